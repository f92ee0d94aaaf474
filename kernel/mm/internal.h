/* Helpers shared by the files of kernel/mm; all expect mm->lock held. */
#ifndef AMBER_MM_INTERNAL_H
#define AMBER_MM_INTERNAL_H

#include "kernel/mm/mm.h"

int mm_populate(struct mm *mm, struct vma *v, uaddr_t start, uaddr_t end);
int mm_map_host(struct mm *mm, struct vma *v, uaddr_t start, uaddr_t end);
int mm_break_cow(struct mm *mm, struct vma *v, uaddr_t addr, bool map);
/* Drops the pages of [start, end) and unmaps them from the host. */
int mm_zap_range(struct mm *mm, uaddr_t start, uaddr_t end);
/* Unmaps [start, end) from the host, keeping the pages. */
int mm_unmap_host(struct mm *mm, uaddr_t start, uaddr_t end);
long mm_do_munmap(struct mm *mm, uaddr_t addr, uint64_t len);
bool mm_range_ok(uaddr_t addr, uint64_t len);
/* Writes application memory whatever its protection, as a debugger does
 * (private mappings only; a copy-on-write page gets its private copy and
 * the stub's mapping is replaced). 0 or -EFAULT. */
int mm_poke_locked(struct mm *mm, uaddr_t dst, const void *src, size_t len);
/* copy_in with mm->lock held. */
int mm_peek_locked(struct mm *mm, void *dst, uaddr_t src, size_t len);

#endif
