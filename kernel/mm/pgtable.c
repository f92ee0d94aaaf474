/* The software page table: a 4-level radix tree over page numbers.
 *
 * Every node is one page of 512 words: level 0 holds ptes, levels 1-3 hold
 * pointers to the level below, NULL for an empty subtree. Nodes are created
 * on demand and never move. Only pgtable_walk frees nodes (those it
 * empties), so a pointer from pgtable_slot stays valid until the next walk
 * or destroy.
 *
 * A walk's fn may get, set and clear entries outside the walked range (mremap
 * moves pages that way): new nodes never disturb the walk, and a node is
 * freed only when a scan finds it empty. fn must not start another walk. */
#include "kernel/mm/pgtable.h"

#include <errno.h>
#include <stdlib.h>

#define PT_BITS		9
#define PT_ENTRIES	(1u << PT_BITS)
#define PT_TOP		3	/* level of the root */
#define VPN_LIMIT	(1ULL << (PGTABLE_VA_BITS - PAGE_SHIFT))

/* Interior and leaf nodes share one size and one allocator. */
_Static_assert(sizeof(void *) == sizeof(uint64_t), "nodes hold 512 words");

static inline unsigned pt_index(uint64_t vpn, int level)
{
	return (unsigned)(vpn >> (PT_BITS * level)) & (PT_ENTRIES - 1);
}

void pgtable_init(struct pgtable *pt)
{
	pt->root = NULL;
	pt->present = 0;
}

static void destroy_node(void *node, int level, uint64_t base,
			 void (*drop)(uaddr_t addr, uint64_t pte, void *arg), void *arg)
{
	if (level == 0) {
		uint64_t *pte = node;
		for (unsigned i = 0; drop && i < PT_ENTRIES; i++)
			if (pte[i])
				drop((base + i) << PAGE_SHIFT, pte[i], arg);
	} else {
		void **child = node;
		for (unsigned i = 0; i < PT_ENTRIES; i++)
			if (child[i])
				destroy_node(child[i], level - 1,
					     base + ((uint64_t)i << (PT_BITS * level)), drop, arg);
	}
	free(node);
}

void pgtable_destroy(struct pgtable *pt, void (*drop)(uaddr_t addr, uint64_t pte, void *arg), void *arg)
{
	if (pt->root)
		destroy_node(pt->root, PT_TOP, 0, drop, arg);
	pgtable_init(pt);
}

/* Returns the node at *pp, creating it when asked to. */
static inline void *node_at(void **pp, bool create)
{
	if (!*pp && create)
		*pp = calloc(PT_ENTRIES, sizeof(uint64_t));
	return *pp;
}

/* The fault path: four dependent loads, no branches but the NULL checks. */
uint64_t *pgtable_slot(struct pgtable *pt, uaddr_t addr, bool create)
{
	uint64_t vpn = addr >> PAGE_SHIFT;
	void **pp = &pt->root;
	uint64_t *leaf;

	if (addr >> PGTABLE_VA_BITS)
		return NULL;
	for (int level = PT_TOP; level > 0; level--) {
		void **node = node_at(pp, create);
		if (!node)
			return NULL;
		pp = &node[pt_index(vpn, level)];
	}
	leaf = node_at(pp, create);
	return leaf ? &leaf[pt_index(vpn, 0)] : NULL;
}

uint64_t pgtable_get(struct pgtable *pt, uaddr_t addr)
{
	uint64_t *slot = pgtable_slot(pt, addr, false);

	return slot ? *slot : 0;
}

int pgtable_set(struct pgtable *pt, uaddr_t addr, uint64_t pte)
{
	uint64_t *slot;

	if (addr >> PGTABLE_VA_BITS)
		return -EFAULT;
	if (!(pte & PTE_PRESENT))
		return -EINVAL;
	slot = pgtable_slot(pt, addr, true);
	if (!slot)
		return -ENOMEM;
	if (!*slot)
		pt->present++;
	*slot = pte;
	return 0;
}

/* Leaves the (possibly now empty) leaf in place: the next fault nearby will
 * likely want it, and a walk reclaims it if it stays empty. */
uint64_t pgtable_clear(struct pgtable *pt, uaddr_t addr)
{
	uint64_t *slot = pgtable_slot(pt, addr, false);
	uint64_t old;

	if (!slot || !*slot)
		return 0;
	old = *slot;
	*slot = 0;
	pt->present--;
	return old;
}

static bool node_empty(const void *node, int level)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (level ? ((void *const *)node)[i] != NULL : ((const uint64_t *)node)[i] != 0)
			return false;
	return true;
}

struct walk_ctx {
	struct pgtable *pt;
	int (*fn)(uaddr_t addr, uint64_t *pte, void *arg);
	void *arg;
};

/* Visits page numbers [lo, hi] (inclusive, so the top of the address space
 * needs no special case) of the node at *slotp, which covers pages from
 * base. Frees the node when the walk emptied it. */
static int walk_node(struct walk_ctx *w, void **slotp, int level, uint64_t base,
		     uint64_t lo, uint64_t hi)
{
	int shift = PT_BITS * level, ret = 0;
	unsigned i = (unsigned)((lo - base) >> shift), last = (unsigned)((hi - base) >> shift);
	void *node = *slotp;
	bool shrunk = false;

	if (level == 0) {
		uint64_t *pte = node;
		for (; i <= last; i++) {
			if (!pte[i])
				continue;
			ret = w->fn((base + i) << PAGE_SHIFT, &pte[i], w->arg);
			if (!pte[i]) {
				w->pt->present--;
				shrunk = true;
			}
			if (ret)
				break;
		}
	} else {
		void **child = node;
		uint64_t span = 1ULL << shift;
		for (; i <= last; i++) {
			uint64_t cbase = base + i * span;
			if (!child[i])
				continue;
			ret = walk_node(w, &child[i], level - 1, cbase,
					MAX(lo, cbase), MIN(hi, cbase + span - 1));
			shrunk |= !child[i];
			if (ret)
				break;
		}
	}
	if (shrunk && node_empty(node, level)) {
		free(node);
		*slotp = NULL;
	}
	return ret;
}

int pgtable_walk(struct pgtable *pt, uaddr_t start, uaddr_t end,
		 int (*fn)(uaddr_t addr, uint64_t *pte, void *arg), void *arg)
{
	struct walk_ctx w = { .pt = pt, .fn = fn, .arg = arg };
	/* Only pages whose address is >= start: round start up. */
	uint64_t lo = (start >> PAGE_SHIFT) + !!(start & (PAGE_SIZE - 1));
	uint64_t hi;

	if (end > VPN_LIMIT << PAGE_SHIFT)
		end = VPN_LIMIT << PAGE_SHIFT;
	if (!pt->root || end == 0)
		return 0;
	hi = (end - 1) >> PAGE_SHIFT;
	if (lo > hi)
		return 0;
	return walk_node(&w, &pt->root, PT_TOP, 0, lo, hi);
}
