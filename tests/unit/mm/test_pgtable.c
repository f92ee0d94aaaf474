#include <criterion/criterion.h>
#include <errno.h>

#include "kernel/mm/pgtable.h"

#define TOP (1ULL << PGTABLE_VA_BITS)
#define PTE(off) ((uint64_t)(off) | PTE_PRESENT | PTE_HOST_R)
#define P(n) ((uint64_t)(n) * PAGE_SIZE)

struct seen {
	uaddr_t addr[64];
	uint64_t pte[64];
	int count;
	int stop_at;		/* return 7 on this call, if > 0 */
	bool clear;		/* clear every entry visited */
};

static int record(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct seen *s = arg;

	cr_assert_lt(s->count, 64);
	s->addr[s->count] = addr;
	s->pte[s->count] = *pte;
	s->count++;
	if (s->clear)
		*pte = 0;
	return s->count == s->stop_at ? 7 : 0;
}

Test(pgtable, set_get_clear)
{
	struct pgtable pt;

	pgtable_init(&pt);
	cr_assert_eq(pgtable_get(&pt, 0x1000), 0);
	cr_assert_null(pgtable_slot(&pt, 0x1000, false));
	cr_assert_eq(pgtable_set(&pt, 0x1000, PTE(0x5000)), 0);
	cr_assert_eq(pgtable_get(&pt, 0x1000), PTE(0x5000));
	cr_assert_eq(pgtable_get(&pt, 0x1fff), PTE(0x5000), "any address in the page");
	cr_assert_eq(pgtable_get(&pt, 0x2000), 0);
	cr_assert_eq(pgtable_get(&pt, 0), 0);
	cr_assert_eq(pt.present, 1);
	cr_assert_eq(pgtable_set(&pt, 0x1000, PTE(0x6000) | PTE_COW), 0);
	cr_assert_eq(pt.present, 1, "replacing is not adding");
	cr_assert_eq(PTE_OFF(pgtable_get(&pt, 0x1000)), 0x6000);
	cr_assert_eq(pgtable_set(&pt, 0x3000, 0x7000), -EINVAL, "a pte must be present");
	cr_assert_eq(pgtable_clear(&pt, 0x1000), PTE(0x6000) | PTE_COW);
	cr_assert_eq(pt.present, 0);
	cr_assert_eq(pgtable_clear(&pt, 0x1000), 0);
	cr_assert_eq(pgtable_clear(&pt, 0x7f0000000000), 0);
	cr_assert_eq(pt.present, 0);

	uint64_t *slot = pgtable_slot(&pt, 0x40000000, true);
	cr_assert_not_null(slot);
	cr_assert_eq(*slot, 0);
	cr_assert_eq(pgtable_slot(&pt, 0x40000000, false), slot);
	pgtable_destroy(&pt, NULL, NULL);
	cr_assert_null(pt.root);
}

Test(pgtable, rejects_non_canonical)
{
	struct pgtable pt;

	pgtable_init(&pt);
	cr_assert_null(pgtable_slot(&pt, TOP, true));
	cr_assert_null(pgtable_slot(&pt, ~0ULL, true));
	cr_assert_null(pgtable_slot(&pt, 0xffff800000000000ULL, true));
	cr_assert_eq(pgtable_set(&pt, TOP, PTE(0)), -EFAULT);
	cr_assert_eq(pgtable_set(&pt, 1ULL << 63, PTE(0)), -EFAULT);
	cr_assert_eq(pgtable_get(&pt, TOP), 0);
	cr_assert_eq(pgtable_clear(&pt, TOP), 0);
	cr_assert_null(pt.root, "nothing allocated for a rejected address");
	cr_assert_eq(pgtable_set(&pt, TOP - PAGE_SIZE, PTE(0x1000)), 0, "the last page is valid");
	cr_assert_eq(pgtable_get(&pt, TOP - 1), PTE(0x1000));
	cr_assert_eq(pgtable_get(&pt, TOP - 1 + (1ULL << 47)), 0, "no aliasing above the top");
	pgtable_destroy(&pt, NULL, NULL);
}

Test(pgtable, sparse_walk_skips_empty, .timeout = 5)
{
	static const uaddr_t addrs[] = { 0, 0x1000, 0x200000, 1ULL << 39, 1ULL << 46, TOP - PAGE_SIZE };
	struct seen seen = { 0 };
	struct pgtable pt;

	pgtable_init(&pt);
	/* Insert out of order: the walk must still be in address order. */
	for (int i = (int)ARRAY_SIZE(addrs) - 1; i >= 0; i--)
		cr_assert_eq(pgtable_set(&pt, addrs[i], PTE(i * PAGE_SIZE)), 0);
	/* 2^35 pages: only finishes if empty subtrees are skipped. */
	for (int rep = 0; rep < 1000; rep++) {
		seen.count = 0;
		cr_assert_eq(pgtable_walk(&pt, 0, ~0ULL, record, &seen), 0);
		cr_assert_eq(seen.count, (int)ARRAY_SIZE(addrs));
	}
	for (int i = 0; i < (int)ARRAY_SIZE(addrs); i++) {
		cr_assert_eq(seen.addr[i], addrs[i]);
		cr_assert_eq(seen.pte[i], PTE(i * PAGE_SIZE));
	}
	pgtable_destroy(&pt, NULL, NULL);
}

Test(pgtable, walk_bounds_are_half_open)
{
	struct seen seen = { 0 };
	struct pgtable pt;

	pgtable_init(&pt);
	for (uaddr_t a = 0x10000; a < 0x20000; a += PAGE_SIZE)
		cr_assert_eq(pgtable_set(&pt, a, PTE(a)), 0);
	cr_assert_eq(pgtable_walk(&pt, 0x12000, 0x15000, record, &seen), 0);
	cr_assert_eq(seen.count, 3);
	cr_assert_eq(seen.addr[0], 0x12000);
	cr_assert_eq(seen.addr[2], 0x14000);
	/* Only pages at or above start: an unaligned start skips its page. */
	seen.count = 0;
	cr_assert_eq(pgtable_walk(&pt, 0x12001, 0x14001, record, &seen), 0);
	cr_assert_eq(seen.count, 2);
	cr_assert_eq(seen.addr[0], 0x13000);
	cr_assert_eq(seen.addr[1], 0x14000);
	seen.count = 0;
	cr_assert_eq(pgtable_walk(&pt, 0x15000, 0x15000, record, &seen), 0);
	cr_assert_eq(pgtable_walk(&pt, 0x16000, 0x15000, record, &seen), 0);
	cr_assert_eq(seen.count, 0);
	pgtable_destroy(&pt, NULL, NULL);
}

Test(pgtable, walk_stops_early)
{
	struct seen seen = { .stop_at = 2 };
	struct pgtable pt;

	pgtable_init(&pt);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(pgtable_set(&pt, (uaddr_t)i << 30, PTE(0)), 0);
	cr_assert_eq(pgtable_walk(&pt, 0, TOP, record, &seen), 7);
	cr_assert_eq(seen.count, 2);
	cr_assert_eq(seen.addr[1], 1ULL << 30);
	pgtable_destroy(&pt, NULL, NULL);
}

Test(pgtable, walk_clearing_frees_nodes)
{
	struct seen seen = { .clear = true };
	struct pgtable pt;

	pgtable_init(&pt);
	for (int i = 0; i < 40; i++)
		cr_assert_eq(pgtable_set(&pt, (uaddr_t)i << 33 | 0x5000, PTE(i * PAGE_SIZE)), 0);
	cr_assert_eq(pt.present, 40);
	cr_assert_eq(pgtable_walk(&pt, 0, (uaddr_t)20 << 33, record, &seen), 0);
	cr_assert_eq(seen.count, 20);
	cr_assert_eq(pt.present, 20);
	cr_assert_eq(pgtable_get(&pt, 0x5000), 0);
	cr_assert_eq(pgtable_get(&pt, (uaddr_t)20 << 33 | 0x5000), PTE(20 * PAGE_SIZE));
	cr_assert_null(pgtable_slot(&pt, (uaddr_t)3 << 33 | 0x5000, false), "emptied leaf freed");
	seen.count = 0;
	cr_assert_eq(pgtable_walk(&pt, 0, TOP, record, &seen), 0);
	cr_assert_eq(seen.count, 20);
	cr_assert_eq(pt.present, 0);
	cr_assert_null(pt.root, "an empty table holds no nodes");
	cr_assert_eq(pgtable_set(&pt, 0x5000, PTE(0)), 0, "and can be used again");
	pgtable_destroy(&pt, NULL, NULL);
}

struct mover {
	struct pgtable *pt;
	int64_t delta;
};

/* Moves each entry by delta, as mremap does. */
static int move(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct mover *m = arg;

	cr_assert_eq(pgtable_set(m->pt, (uaddr_t)((int64_t)addr + m->delta), *pte), 0);
	*pte = 0;
	return 0;
}

Test(pgtable, walk_fn_may_set_outside_range)
{
	static const int64_t deltas[] = { 0x1000 * 64, -0x1000 * 64, 1LL << 40, -(1LL << 30), 0x200000 };
	struct pgtable pt;

	pgtable_init(&pt);
	for (int d = 0; d < (int)ARRAY_SIZE(deltas); d++) {
		uaddr_t base = (1ULL << 41) + 0x1ff000;
		struct mover m = { &pt, deltas[d] };

		/* A neighbour keeps the second leaf of the range from being freed. */
		cr_assert_eq(pgtable_set(&pt, base + P(200), PTE(0x99000)), 0);
		for (int i = 0; i < 64; i++)
			cr_assert_eq(pgtable_set(&pt, base + P(i), PTE(P(i))), 0);
		cr_assert_eq(pgtable_walk(&pt, base, base + P(64), move, &m), 0);
		cr_assert_eq(pt.present, 65, "delta %d: %lu", d, (unsigned long)pt.present);
		for (int i = 0; i < 64; i++) {
			cr_assert_eq(pgtable_get(&pt, base + P(i)), 0);
			cr_assert_eq(pgtable_get(&pt, (uaddr_t)((int64_t)(base + P(i)) + m.delta)), PTE(P(i)));
		}
		cr_assert_eq(pgtable_get(&pt, base + P(200)), PTE(0x99000));
		pgtable_destroy(&pt, NULL, NULL);
	}
}

struct drop_count {
	int count;
	uint64_t sum;
};

static void count_drop(uaddr_t addr, uint64_t pte, void *arg)
{
	struct drop_count *d = arg;

	cr_assert_eq(PTE_OFF(pte), addr, "drop gets the address its pte was set at");
	d->count++;
	d->sum += addr;
}

Test(pgtable, destroy_drops_every_entry)
{
	struct drop_count d = { 0 };
	struct pgtable pt;
	uint64_t sum = 0;

	pgtable_init(&pt);
	for (uaddr_t a = 0x7ff000000000; a < 0x7ff000000000 + 2000 * PAGE_SIZE; a += 3 * PAGE_SIZE) {
		cr_assert_eq(pgtable_set(&pt, a, PTE(a)), 0);
		sum += a;
	}
	cr_assert_eq(pgtable_set(&pt, 0, PTE(0)), 0);
	pgtable_destroy(&pt, count_drop, &d);
	cr_assert_eq(d.count, 668);
	cr_assert_eq(d.sum, sum);
	cr_assert_null(pt.root);
	cr_assert_eq(pt.present, 0);
}

/* Random sets, clears and clearing walks against a flat array. */
#define MODEL_PAGES 4096

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/* Model pages are spread over the whole address space, several per leaf. */
static uaddr_t model_addr(int i)
{
	return ((uaddr_t)(i / 8) << 38) | ((uaddr_t)(i % 8) << 21) | ((uaddr_t)(i % 3) << 12);
}

struct model_walk {
	uint64_t *model;
	int next;
	bool clear;
};

static int check_walk(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct model_walk *w = arg;

	while (w->next < MODEL_PAGES && !w->model[w->next])
		w->next++;
	cr_assert_lt(w->next, MODEL_PAGES, "walk found %#lx beyond the model", (unsigned long)addr);
	cr_assert_eq(addr, model_addr(w->next));
	cr_assert_eq(*pte, w->model[w->next]);
	if (w->clear) {
		*pte = 0;
		w->model[w->next] = 0;
	}
	w->next++;
	return 0;
}

Test(pgtable, random_ops_match_model)
{
	static uint64_t model[MODEL_PAGES];
	struct pgtable pt;
	uint64_t present = 0;

	pgtable_init(&pt);
	for (int step = 0; step < 100000; step++) {
		int i = (int)rnd(MODEL_PAGES), op = (int)rnd(16);
		if (op < 9) {
			uint64_t pte = PTE(rnd(1 << 20) << PAGE_SHIFT);
			cr_assert_eq(pgtable_set(&pt, model_addr(i), pte), 0);
			present += !model[i];
			model[i] = pte;
		} else if (op < 15) {
			cr_assert_eq(pgtable_clear(&pt, model_addr(i)), model[i]);
			present -= !!model[i];
			model[i] = 0;
		} else {
			int j = i + (int)rnd(64);
			struct model_walk w = { .model = model, .next = i, .clear = rnd(2) };
			if (j > MODEL_PAGES)
				j = MODEL_PAGES;
			cr_assert_eq(pgtable_walk(&pt, model_addr(i),
						  j < MODEL_PAGES ? model_addr(j) : TOP, check_walk, &w), 0);
			while (w.next < j && !model[w.next])
				w.next++;
			cr_assert_eq(w.next, j, "walk missed page %d", w.next);
			present = 0;
			for (int k = 0; k < MODEL_PAGES; k++)
				present += !!model[k];
		}
		cr_assert_eq(pt.present, present);
		cr_assert_eq(pgtable_get(&pt, model_addr(i)), model[i]);
	}
	for (int k = 0; k < MODEL_PAGES; k++)
		cr_assert_eq(pgtable_get(&pt, model_addr(k)), model[k]);
	pgtable_destroy(&pt, NULL, NULL);
}
