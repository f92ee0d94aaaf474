#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "kernel/mm/vma.h"

#define P(n) ((uaddr_t)(n) * PAGE_SIZE)

/* A stand-in for mm.c's mapping_obj that counts its references. */
struct fake_obj {
	long refs;
};
#define OBJ(f) ((struct mapping_obj *)(f))

static void fake_get(struct mapping_obj *o)
{
	((struct fake_obj *)o)->refs++;
}

static void fake_put(struct mapping_obj *o)
{
	struct fake_obj *f = (struct fake_obj *)o;
	cr_assert_gt(f->refs, 0, "put on an object with no references");
	f->refs--;
}

static const struct vma_obj_ops fake_ops = { .get = fake_get, .put = fake_put };

static struct vma mk(uaddr_t start, uaddr_t end, int prot, struct fake_obj *f, uint64_t off)
{
	return (struct vma){ .start = start, .end = end, .prot = prot, .obj = OBJ(f), .off = off };
}

/* Inserts on behalf of a caller that holds a reference to give away. */
static int give(struct vma_set *s, struct vma v)
{
	int r;

	if (v.obj)
		fake_get(v.obj);
	r = vma_insert(s, &v);
	if (r && v.obj)
		fake_put(v.obj);
	return r;
}

static long held_by_set(struct vma_set *s, struct fake_obj *f)
{
	long n = 0;
	for (size_t i = 0; i < s->count; i++)
		n += s->v[i].obj == OBJ(f);
	return n;
}

static void check_sorted(struct vma_set *s)
{
	for (size_t i = 0; i < s->count; i++) {
		cr_assert_lt(s->v[i].start, s->v[i].end);
		cr_assert_eq(s->v[i].start % PAGE_SIZE, 0);
		cr_assert_eq(s->v[i].end % PAGE_SIZE, 0);
		if (i)
			cr_assert_leq(s->v[i - 1].end, s->v[i].start, "vmas %zu and %zu overlap", i - 1, i);
	}
}

Test(vma, insert_and_find)
{
	struct vma_set s;

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(give(&s, mk(P(1), P(3), PROT_READ, NULL, 0)), 0);
	cr_assert_eq(give(&s, mk(P(10), P(12), PROT_READ, NULL, 0)), 0);
	cr_assert_null(vma_find(&s, P(1) - 1));
	cr_assert_eq(vma_find(&s, P(1))->start, P(1));
	cr_assert_eq(vma_find(&s, P(3) - 1)->start, P(1));
	cr_assert_null(vma_find(&s, P(3)));
	cr_assert_eq(vma_find_next(&s, 0)->start, P(1));
	cr_assert_eq(vma_find_next(&s, P(3))->start, P(10));
	cr_assert_eq(vma_find_next(&s, P(11))->start, P(10));
	cr_assert_null(vma_find_next(&s, P(12)));
	cr_assert(vma_range_free(&s, P(3), P(10)));
	cr_assert_not(vma_range_free(&s, P(3), P(11)));
	cr_assert_not(vma_range_free(&s, 0, P(2)));
	cr_assert_eq(give(&s, mk(P(5), P(5), PROT_READ, NULL, 0)), -EINVAL);
	cr_assert_eq(give(&s, mk(P(5) + 1, P(6), PROT_READ, NULL, 0)), -EINVAL);
	vma_set_destroy(&s);
}

Test(vma, insert_overlap_is_eexist_and_keeps_reference)
{
	struct fake_obj f = { 0 };
	struct vma v = mk(P(2), P(4), PROT_READ, &f, 0);
	struct vma_set s;

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(give(&s, mk(P(0), P(3), PROT_READ, &f, 0)), 0);
	f.refs++;	/* the caller's reference */
	cr_assert_eq(vma_insert(&s, &v), -EEXIST);
	cr_assert_eq(f.refs, 2, "a failed insert must not take or drop the reference");
	f.refs--;
	cr_assert_eq(s.count, 1);
	vma_set_destroy(&s);
	cr_assert_eq(f.refs, 0);
}

Test(vma, merge_adjacent_same_prot)
{
	struct fake_obj f = { 0 };
	struct vma_set s;

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(give(&s, mk(P(1), P(2), PROT_READ, NULL, 0)), 0);
	cr_assert_eq(give(&s, mk(P(3), P(4), PROT_READ, NULL, 0)), 0);
	cr_assert_eq(s.count, 2);
	cr_assert_eq(give(&s, mk(P(2), P(3), PROT_READ, NULL, 0)), 0);
	cr_assert_eq(s.count, 1);
	cr_assert_eq(s.v[0].start, P(1));
	cr_assert_eq(s.v[0].end, P(4));
	/* Different prot: stays apart. */
	cr_assert_eq(give(&s, mk(P(4), P(5), PROT_READ | PROT_WRITE, NULL, 0)), 0);
	cr_assert_eq(s.count, 2);

	/* File mappings merge only when the offsets continue. */
	cr_assert_eq(give(&s, mk(P(20), P(22), PROT_READ, &f, P(100))), 0);
	cr_assert_eq(give(&s, mk(P(22), P(23), PROT_READ, &f, P(200))), 0);
	cr_assert_eq(s.count, 4);
	cr_assert_eq(give(&s, mk(P(18), P(20), PROT_READ, &f, P(98))), 0);
	cr_assert_eq(s.count, 4);
	cr_assert_eq(s.v[2].start, P(18));
	cr_assert_eq(s.v[2].off, P(98));
	cr_assert_eq(f.refs, 2);
	cr_assert_eq(give(&s, mk(P(30), P(31), PROT_READ, &f, P(208))), 0);
	cr_assert_eq(give(&s, mk(P(29), P(30), PROT_READ, &f, P(207))), 0);
	cr_assert_eq(give(&s, mk(P(23), P(29), PROT_READ, &f, P(201))), 0);
	cr_assert_eq(s.count, 4, "three pieces with continuing offsets become one");
	cr_assert_eq(s.v[3].start, P(22));
	cr_assert_eq(s.v[3].end, P(31));
	cr_assert_eq(f.refs, 2);
	check_sorted(&s);
	vma_set_destroy(&s);
	cr_assert_eq(f.refs, 0);
}

Test(vma, remove_splits_middle)
{
	struct fake_obj f = { 0 };
	struct vma_set s;

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(give(&s, mk(P(16), P(32), PROT_READ, &f, P(5))), 0);
	cr_assert_eq(vma_remove(&s, P(18), P(20)), 0);
	cr_assert_eq(s.count, 2);
	cr_assert_eq(s.v[0].start, P(16));
	cr_assert_eq(s.v[0].end, P(18));
	cr_assert_eq(s.v[0].off, P(5));
	cr_assert_eq(s.v[1].start, P(20));
	cr_assert_eq(s.v[1].end, P(32));
	cr_assert_eq(s.v[1].off, P(9));
	cr_assert_eq(f.refs, 2, "the new piece takes a reference");
	cr_assert_null(vma_find(&s, P(19)));
	vma_set_destroy(&s);
	cr_assert_eq(f.refs, 0);
}

Test(vma, remove_across_vmas_and_gaps)
{
	struct fake_obj f = { 0 };
	struct vma_set s;

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(give(&s, mk(P(0), P(4), PROT_READ, &f, 0)), 0);
	cr_assert_eq(give(&s, mk(P(6), P(8), PROT_WRITE, &f, 0)), 0);
	cr_assert_eq(give(&s, mk(P(9), P(10), PROT_READ, &f, 0)), 0);
	cr_assert_eq(give(&s, mk(P(12), P(16), PROT_READ, &f, P(40))), 0);
	cr_assert_eq(vma_remove(&s, P(2), P(14)), 0);
	cr_assert_eq(s.count, 2);
	cr_assert_eq(s.v[0].end, P(2));
	cr_assert_eq(s.v[1].start, P(14));
	cr_assert_eq(s.v[1].off, P(42));
	cr_assert_eq(f.refs, 2);
	/* Removing nothing is fine. */
	cr_assert_eq(vma_remove(&s, P(4), P(14)), 0);
	cr_assert_eq(vma_remove(&s, P(4), P(4)), 0);
	cr_assert_eq(s.count, 2);
	cr_assert_eq(vma_remove(&s, P(4), P(4) + 1), -EINVAL);
	cr_assert_eq(vma_remove(&s, 0, P(100)), 0);
	cr_assert_eq(s.count, 0);
	cr_assert_eq(f.refs, 0);
	vma_set_destroy(&s);
}

Test(vma, protect_requires_mapped_range)
{
	struct vma_set s;
	struct vma before[2];

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(give(&s, mk(P(1), P(3), PROT_READ, NULL, 0)), 0);
	cr_assert_eq(give(&s, mk(P(4), P(6), PROT_READ, NULL, 0)), 0);
	memcpy(before, s.v, sizeof(before));
	cr_assert_eq(vma_protect(&s, P(2), P(5), PROT_NONE), -ENOMEM);
	cr_assert_eq(vma_protect(&s, P(0), P(2), PROT_NONE), -ENOMEM);
	cr_assert_eq(vma_protect(&s, P(5), P(7), PROT_NONE), -ENOMEM);
	cr_assert_eq(vma_protect(&s, P(7), P(8), PROT_NONE), -ENOMEM);
	cr_assert_eq(s.count, 2);
	cr_assert_arr_eq(s.v, before, sizeof(before), "a failed protect changed the set");
	cr_assert_eq(vma_protect(&s, P(4), P(6), PROT_NONE), 0);
	cr_assert_eq(s.v[1].prot, PROT_NONE);
	vma_set_destroy(&s);
}

Test(vma, protect_splits_then_merges_back)
{
	struct fake_obj f = { 0 };
	struct vma_set s;

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(give(&s, mk(P(0), P(10), PROT_READ | PROT_WRITE, &f, P(7))), 0);
	cr_assert_eq(vma_protect(&s, P(2), P(4), PROT_READ), 0);
	cr_assert_eq(s.count, 3);
	cr_assert_eq(s.v[1].start, P(2));
	cr_assert_eq(s.v[1].end, P(4));
	cr_assert_eq(s.v[1].prot, PROT_READ);
	cr_assert_eq(s.v[1].off, P(9));
	cr_assert_eq(s.v[2].off, P(11));
	cr_assert_eq(f.refs, 3);
	/* Same prot on a sub-range: nothing to split. */
	cr_assert_eq(vma_protect(&s, P(5), P(6), PROT_READ | PROT_WRITE), 0);
	cr_assert_eq(s.count, 3);
	/* Spanning two vmas, ending on the third's prot: the first grows. */
	cr_assert_eq(vma_protect(&s, P(1), P(5), PROT_READ), 0);
	cr_assert_eq(s.count, 3);
	cr_assert_eq(s.v[0].end, P(1));
	cr_assert_eq(s.v[1].end, P(5));
	cr_assert_eq(vma_protect(&s, P(0), P(10), PROT_READ | PROT_WRITE), 0);
	cr_assert_eq(s.count, 1);
	cr_assert_eq(s.v[0].off, P(7));
	cr_assert_eq(f.refs, 1);
	vma_set_destroy(&s);
	cr_assert_eq(f.refs, 0);
}

Test(vma, refcounts_balance)
{
	struct fake_obj a = { 0 }, b = { 0 };
	struct vma_set s;

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(give(&s, mk(P(0), P(64), PROT_READ, &a, 0)), 0);
	cr_assert_eq(give(&s, mk(P(64), P(128), PROT_READ, &b, 0)), 0);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(vma_protect(&s, P(4 * i + 1), P(4 * i + 2), PROT_WRITE), 0);
	cr_assert_eq(vma_remove(&s, P(60), P(70)), 0);
	cr_assert_eq(vma_remove(&s, P(100), P(101)), 0);
	cr_assert_eq(give(&s, mk(P(100), P(101), PROT_READ, &b, P(36))), 0);
	cr_assert_eq(give(&s, mk(P(60), P(64), PROT_READ, &a, P(60))), 0);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(vma_protect(&s, P(4 * i), P(4 * i + 4), PROT_READ), 0);
	check_sorted(&s);
	cr_assert_eq(a.refs, held_by_set(&s, &a));
	cr_assert_eq(b.refs, held_by_set(&s, &b));
	cr_assert_eq(a.refs, 1, "a is one vma again");
	cr_assert_eq(b.refs, 1, "b is one vma again, from 70");
	cr_assert_eq(vma_find(&s, P(127))->start, P(70));
	vma_set_destroy(&s);
	cr_assert_eq(a.refs, 0);
	cr_assert_eq(b.refs, 0);
}

Test(vma, find_gap_top_down)
{
	struct vma_set s;
	uaddr_t at = 0;

	vma_set_init(&s, &fake_ops);
	cr_assert_eq(vma_find_gap(&s, P(4), P(10), P(100), &at), 0);
	cr_assert_eq(at, P(96));
	cr_assert_eq(give(&s, mk(P(90), P(120), PROT_READ, NULL, 0)), 0);
	cr_assert_eq(give(&s, mk(P(50), P(87), PROT_READ, NULL, 0)), 0);
	cr_assert_eq(give(&s, mk(P(20), P(40), PROT_READ, NULL, 0)), 0);
	cr_assert_eq(vma_find_gap(&s, P(3), P(10), P(100), &at), 0);
	cr_assert_eq(at, P(87));
	cr_assert_eq(vma_find_gap(&s, P(4), P(10), P(100), &at), 0);
	cr_assert_eq(at, P(46));
	cr_assert_eq(vma_find_gap(&s, P(10), P(10), P(100), &at), 0);
	cr_assert_eq(at, P(40));
	cr_assert_eq(vma_find_gap(&s, P(10), P(12), P(100), &at), 0);
	cr_assert_eq(at, P(40));
	cr_assert_eq(vma_find_gap(&s, P(11), P(12), P(100), &at), -ENOMEM);
	cr_assert_eq(vma_find_gap(&s, P(8), P(10), P(100), &at), 0);
	cr_assert_eq(at, P(42));
	/* Unaligned bounds shrink inward. */
	cr_assert_eq(vma_find_gap(&s, P(2), P(87) + 1, P(90) - 1, &at), -ENOMEM);
	cr_assert_eq(vma_find_gap(&s, P(2), P(87), P(90) - 1, &at), 0);
	cr_assert_eq(at, P(87));
	cr_assert_eq(vma_find_gap(&s, P(1), P(200), P(100), &at), -ENOMEM);
	cr_assert_eq(vma_find_gap(&s, P(1), P(100), P(125), &at), 0);
	cr_assert_eq(at, P(124));
	cr_assert_eq(vma_find_gap(&s, 0, 0, P(100), &at), -EINVAL);
	vma_set_destroy(&s);
}

/* A page-granular model to check random operation sequences against. */
#define MODEL_PAGES 96
struct model_page {
	bool mapped;
	int prot;
	int obj;		/* 0: anonymous, else index + 1 into objs */
	uint64_t off;		/* file offset of this page */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

static void check_model(struct vma_set *s, struct model_page *m, struct fake_obj *objs, int nobjs)
{
	check_sorted(s);
	for (size_t i = 1; i < s->count; i++) {
		struct vma *a = &s->v[i - 1], *b = &s->v[i];
		bool same = a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
			    a->obj == b->obj && (!a->obj || a->off + (a->end - a->start) == b->off);
		cr_assert_not(same, "vmas %zu and %zu should have been merged", i - 1, i);
	}
	for (int p = 0; p < MODEL_PAGES; p++) {
		struct vma *v = vma_find(s, P(p));
		cr_assert_eq(v != NULL, m[p].mapped, "page %d mapped state", p);
		if (!v)
			continue;
		cr_assert_eq(v->prot, m[p].prot, "page %d prot", p);
		cr_assert_eq(v->obj, m[p].obj ? OBJ(&objs[m[p].obj - 1]) : NULL, "page %d obj", p);
		if (v->obj)
			cr_assert_eq(v->off + (P(p) - v->start), m[p].off, "page %d off", p);
		else
			cr_assert_eq(v->off, 0, "anonymous vmas have no offset");
	}
	for (int i = 0; i < nobjs; i++)
		cr_assert_eq(objs[i].refs, held_by_set(s, &objs[i]), "obj %d refs", i);
}

Test(vma, random_ops_match_model)
{
	struct fake_obj objs[2] = { { 0 }, { 0 } };
	struct model_page m[MODEL_PAGES] = { { 0 } };
	struct vma_set s;

	vma_set_init(&s, &fake_ops);
	for (int step = 0; step < 20000; step++) {
		int a = (int)rnd(MODEL_PAGES), b = a + 1 + (int)rnd(MIN(12, MODEL_PAGES - a));
		int prot = (int)rnd(3), op = (int)rnd(4);
		bool all = true, none = true;

		for (int p = a; p < b; p++) {
			all &= m[p].mapped;
			none &= !m[p].mapped;
		}
		if (op <= 1) {
			int obj = (int)rnd(3);
			/* Offsets follow the address half the time so merges happen. */
			uint64_t off = obj ? (rnd(2) ? P(a + 1000) : P(rnd(4096))) : 0;
			int r = give(&s, mk(P(a), P(b), prot, obj ? &objs[obj - 1] : NULL, off));
			cr_assert_eq(r, none ? 0 : -EEXIST, "insert [%d, %d)", a, b);
			for (int p = a; none && p < b; p++)
				m[p] = (struct model_page){ true, prot, obj, off + P(p - a) };
		} else if (op == 2) {
			cr_assert_eq(vma_remove(&s, P(a), P(b)), 0);
			for (int p = a; p < b; p++)
				m[p].mapped = false;
		} else {
			cr_assert_eq(vma_protect(&s, P(a), P(b), prot), all ? 0 : -ENOMEM);
			for (int p = a; all && p < b; p++)
				m[p].prot = prot;
		}
		check_model(&s, m, objs, 2);

		uint64_t len = 1 + rnd(8);
		int lo = (int)rnd(MODEL_PAGES), hi = lo + (int)rnd(MODEL_PAGES - lo + 1), want = -1;
		uaddr_t at;
		for (int top = hi; top - (int)len >= lo && want < 0; top--) {
			bool free_run = true;
			for (int p = top - (int)len; p < top; p++)
				free_run &= !m[p].mapped;
			if (free_run)
				want = top - (int)len;
		}
		int r = vma_find_gap(&s, P(len), P(lo), P(hi), &at);
		cr_assert_eq(r, want < 0 ? -ENOMEM : 0, "gap of %d in [%d, %d)", (int)len, lo, hi);
		if (want >= 0)
			cr_assert_eq(at, P(want), "gap of %d in [%d, %d)", (int)len, lo, hi);
	}
	vma_set_destroy(&s);
	cr_assert_eq(objs[0].refs, 0);
	cr_assert_eq(objs[1].refs, 0);
}

#if !defined(__SANITIZE_ADDRESS__)
/* Makes the next realloc of the array fail, by capping the address space
 * just above what the process uses. ASan reserves terabytes of shadow and
 * aborts on allocation failure, so the test needs a plain build. */
static bool limit_address_space(void)
{
	unsigned long vm_pages;
	struct rlimit rl;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return false;
	if (fscanf(f, "%lu", &vm_pages) != 1) {
		fclose(f);
		return false;
	}
	fclose(f);
	rl.rlim_cur = rl.rlim_max = vm_pages * PAGE_SIZE + (1 << 20);
	return setrlimit(RLIMIT_AS, &rl) == 0;
}
#endif

Test(vma, enomem_leaves_set_unchanged)
{
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("needs RLIMIT_AS, which ASan cannot run under");
#else
	enum { N = 1 << 16 };
	struct fake_obj f = { 0 };
	struct vma_set s;
	struct vma *copy;
	size_t size;

	vma_set_init(&s, &fake_ops);
	/* Alternating prot keeps N vmas of 4 pages apart; N fills the array. */
	for (int i = 0; i < N; i++)
		cr_assert_eq(give(&s, mk(P(4 * i), P(4 * i + 4), i & 1 ? PROT_READ : PROT_NONE,
					 &f, P(4 * i))), 0);
	cr_assert_eq(s.count, s.cap, "the test needs a full array");
	size = s.count * sizeof(*s.v);
	copy = malloc(size);
	cr_assert_not_null(copy);
	memcpy(copy, s.v, size);
	cr_assert(limit_address_space());

	/* What needs no new vma still works. */
	cr_assert_eq(vma_remove(&s, P(4 * 7), P(4 * 7 + 1)), 0);
	copy[7].start += PAGE_SIZE;
	copy[7].off += PAGE_SIZE;
	cr_assert_eq(vma_remove(&s, P(4 * 9 + 3), P(4 * 9 + 4)), 0);
	copy[9].end -= PAGE_SIZE;
	cr_assert_eq(vma_protect(&s, P(4 * 13 + 2), P(4 * 13 + 4), PROT_READ), 0, "same prot: no split");

	/* What does fails whole. */
	cr_assert_eq(vma_remove(&s, P(4 * 11 + 1), P(4 * 11 + 2)), -ENOMEM);
	cr_assert_eq(vma_protect(&s, P(4 * 12 + 1), P(4 * 12 + 2), PROT_WRITE), -ENOMEM);
	cr_assert_eq(vma_protect(&s, P(4 * 12), P(4 * 14 + 2), PROT_WRITE), -ENOMEM);
	cr_assert_eq(give(&s, mk(P(4 * N + 1), P(4 * N + 2), PROT_READ, NULL, 0)), -ENOMEM);
	cr_assert_eq(s.count, (size_t)N);
	cr_assert_arr_eq(s.v, copy, size, "a failed operation changed the set");
	cr_assert_eq(f.refs, N);
#endif
}
