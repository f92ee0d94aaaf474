/* The set of VMAs of one address space, ordered by address. */
#ifndef AMBER_MM_VMA_H
#define AMBER_MM_VMA_H

#include "kernel/lib/types.h"

struct mapping_obj;	/* what a file mapping maps; owned by kernel/mm/mm.c */

/* vma flags */
#define VMA_SHARED	0x01	/* MAP_SHARED; otherwise private (copy-on-write) */
#define VMA_GROWSDOWN	0x02	/* stack */
#define VMA_STACK	0x04	/* the main thread's stack, for /proc/self/maps */
#define VMA_HEAP	0x08	/* the brk area, for /proc/self/maps */
#define VMA_NORESERVE	0x10
#define VMA_LOCKED	0x20
#define VMA_DONTFORK	0x40
#define VMA_VDSO	0x80	/* the vDSO's text (kernel/mm/vdso.c) */
#define VMA_VVAR	0x100	/* the vDSO's data page: the sentry's, never saved */
#define VMA_PATCH	0x200	/* patched system calls' table and code (kernel/mm/syscall_patch.c) */

struct vma {
	uaddr_t start;			/* page aligned */
	uaddr_t end;			/* page aligned, exclusive, > start */
	int prot;			/* PROT_READ | PROT_WRITE | PROT_EXEC */
	int flags;			/* VMA_* */
	uint64_t off;			/* file offset of start; 0 for anonymous */
	struct mapping_obj *obj;	/* NULL for anonymous memory; one counted reference per vma */
};

/* How the set takes and drops references on vma->obj when it copies a vma
 * (a split) or discards one (unmap, merge). get and put are never called
 * with obj == NULL. */
struct vma_obj_ops {
	void (*get)(struct mapping_obj *obj);
	void (*put)(struct mapping_obj *obj);
};

struct vma_set {
	struct vma *v;			/* sorted by start, non-overlapping */
	size_t count, cap;
	const struct vma_obj_ops *ops;
};

void vma_set_init(struct vma_set *s, const struct vma_obj_ops *ops);
/* Drops every vma (put on each obj). */
void vma_set_destroy(struct vma_set *s);

/* The vma containing addr, or NULL. The pointer is valid until the set
 * changes. */
struct vma *vma_find(struct vma_set *s, uaddr_t addr);
/* The first vma with end > addr (it may start above addr), or NULL. */
struct vma *vma_find_next(struct vma_set *s, uaddr_t addr);

/* Inserts a copy of *v, taking over the reference v->obj holds. The range
 * must be free (else -EEXIST, and the reference is not taken). Merges with
 * neighbours that are contiguous and identical in prot, flags and obj (and,
 * for file mappings, contiguous in off); a merge puts the reference it no
 * longer needs. Returns 0, -EEXIST or -ENOMEM. */
int vma_insert(struct vma_set *s, const struct vma *v);

/* Removes [start, end) from the set, splitting vmas that straddle the ends.
 * Gaps inside the range are fine. Returns 0 or -ENOMEM (on -ENOMEM the set
 * is unchanged). */
int vma_remove(struct vma_set *s, uaddr_t start, uaddr_t end);

/* Sets prot on [start, end), splitting at the ends and merging afterwards.
 * The whole range must be mapped: otherwise -ENOMEM and nothing changes
 * (Linux's mprotect changes up to the hole; we are stricter). */
int vma_protect(struct vma_set *s, uaddr_t start, uaddr_t end, int prot);

/* Finds the highest free range of len bytes (page multiple) lying within
 * [lo, hi). Returns 0 and stores its start, or -ENOMEM. */
int vma_find_gap(struct vma_set *s, uint64_t len, uaddr_t lo, uaddr_t hi, uaddr_t *out);

/* True when [start, end) is entirely free. */
bool vma_range_free(struct vma_set *s, uaddr_t start, uaddr_t end);

#endif
