/* A software page table: application page -> memory-file page, plus what
 * the platform currently has mapped there. Four levels of 512 entries, like
 * x86-64's, so a sparse 47-bit address space costs only what is populated. */
#ifndef AMBER_MM_PGTABLE_H
#define AMBER_MM_PGTABLE_H

#include "kernel/lib/types.h"

/* A pte is a memory-file byte offset (page aligned) ORed with flags.
 * 0 means "not present". */
#define PTE_PRESENT	0x001	/* always set in a present entry */
#define PTE_COW		0x002	/* page is shared: copy before the first write */
#define PTE_HOST_R	0x004	/* platform maps it readable */
#define PTE_HOST_W	0x008	/* platform maps it writable */
#define PTE_HOST_X	0x010	/* platform maps it executable */
#define PTE_CACHE	0x020	/* a file's page (its cache or shared memory) in a private
				 * mapping: copied before a write, never saved as the mm's */
#define PTE_FLAGS	0xfff
#define PTE_OFF(pte)	((pte) & ~(uint64_t)PTE_FLAGS)

#define PGTABLE_VA_BITS 47	/* user addresses are < 1 << 47 */

struct pgtable {
	void *root;		/* level-4 node, NULL until the first insert */
	uint64_t present;	/* number of present entries */
};

void pgtable_init(struct pgtable *pt);
/* Frees all nodes. Calls drop(addr, pte, arg) for each present entry first,
 * if drop is not NULL. */
void pgtable_destroy(struct pgtable *pt, void (*drop)(uaddr_t addr, uint64_t pte, void *arg), void *arg);

/* Returns the entry for addr's page, or NULL when none exists and create is
 * false, or when create is true and allocation failed. A created entry is 0.
 * The caller updates pt->present through pgtable_set/pgtable_clear. */
uint64_t *pgtable_slot(struct pgtable *pt, uaddr_t addr, bool create);
/* Present entry for addr or 0. */
uint64_t pgtable_get(struct pgtable *pt, uaddr_t addr);
/* Sets addr's entry (pte must have PTE_PRESENT). Returns 0 or -ENOMEM. */
int pgtable_set(struct pgtable *pt, uaddr_t addr, uint64_t pte);
/* Clears addr's entry and returns the old value (0 if none). */
uint64_t pgtable_clear(struct pgtable *pt, uaddr_t addr);

/* Calls fn for every present entry with start <= addr < end, in address
 * order; fn may modify *pte (setting it to 0 clears it and is accounted).
 * Stops early and returns fn's value when fn returns non-zero. Empty
 * subtrees are skipped in O(1) each, so a walk over a huge sparse range is
 * cheap. */
int pgtable_walk(struct pgtable *pt, uaddr_t start, uaddr_t end,
		 int (*fn)(uaddr_t addr, uint64_t *pte, void *arg), void *arg);

#endif
