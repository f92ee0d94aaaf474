/* fork's copy of an address space. Private pages are shared copy-on-write
 * (the sentry's own: the first write to either side faults and copies,
 * kernel/mm/mm.c); shared mappings share their pages. The parent's stub
 * loses write access to the pages it had writable, so its next write
 * faults too; the child's stub starts empty and maps on first touch. */
#include "kernel/mm/internal.h"
#include "platform/platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PTE_HOST_BITS (PTE_HOST_R | PTE_HOST_W | PTE_HOST_X)

struct fork_walk {
	struct mm *parent, *child;
	bool private;
	/* A run of parent pages to write-protect in its stub: contiguous,
	 * with the same host protection. */
	uaddr_t run_start, run_end;
	uint64_t run_bits;
};

static int host_prot(uint64_t bits)
{
	return ((bits & PTE_HOST_R) ? PROT_READ : 0) | ((bits & PTE_HOST_W) ? PROT_WRITE : 0) |
	       ((bits & PTE_HOST_X) ? PROT_EXEC : 0);
}

static int flush_run(struct fork_walk *w)
{
	int err = 0;

	if (w->run_end > w->run_start && w->parent->as) {
		__atomic_add_fetch(&w->parent->map_gen, 1, __ATOMIC_RELEASE);
		err = platform->as_protect(w->parent->as, w->run_start, w->run_end - w->run_start,
					   host_prot(w->run_bits & ~(uint64_t)PTE_HOST_W));
	}
	w->run_start = w->run_end = 0;
	return err;
}

static int copy_pte(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct fork_walk *w = arg;
	uint64_t child = PTE_OFF(*pte) | PTE_PRESENT | (*pte & PTE_CACHE);
	int err;

	if (w->private) {
		if (*pte & PTE_HOST_W) {
			uint64_t bits = *pte & PTE_HOST_BITS;

			if (w->run_end != addr || w->run_bits != bits) {
				err = flush_run(w);
				if (err < 0)
					return err;
				w->run_start = addr;
				w->run_bits = bits;
			}
			w->run_end = addr + PAGE_SIZE;
			*pte &= ~(uint64_t)PTE_HOST_W;
		}
		*pte |= PTE_COW;
		child |= PTE_COW;
	}
	if (pgtable_set(&w->child->pt, addr, child) < 0)
		return -ENOMEM;
	memfile_ref(sentry_memfile, PTE_OFF(*pte), 1);
	return 0;
}

/* Copies the VMAs and page table of parent into child (both locked). */
static int copy_mm_locked(struct mm *parent, struct mm *child)
{
	struct fork_walk w = { .parent = parent, .child = child };
	int err = 0;

	for (size_t i = 0; i < parent->vmas.count && err == 0; i++) {
		struct vma v = parent->vmas.v[i];

		/* MADV_DONTFORK: the child has a hole there. */
		if (v.flags & VMA_DONTFORK)
			continue;
		if (v.obj)
			mapping_obj_get(v.obj);
		err = vma_insert(&child->vmas, &v);
		if (err < 0) {
			if (v.obj)
				mapping_obj_put(v.obj);
			break;
		}
		w.private = !(v.flags & VMA_SHARED);
		err = pgtable_walk(&parent->pt, v.start, v.end, copy_pte, &w);
		if (err == 0)
			err = flush_run(&w);
	}
	if (err < 0)
		flush_run(&w);
	return err;
}

struct mm *mm_fork(struct mm *parent, int *errp)
{
	struct mm *child = mm_new();
	int err;

	if (!child) {
		*errp = -ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&parent->lock);
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	child->mmap_base = parent->mmap_base;
	child->stack_top = parent->stack_top;
	child->arg_start = parent->arg_start;
	child->arg_end = parent->arg_end;
	child->env_start = parent->env_start;
	child->env_end = parent->env_end;
	memcpy(child->auxv, parent->auxv, sizeof(child->auxv));
	child->auxv_len = parent->auxv_len;
	child->exe_path = parent->exe_path ? strdup(parent->exe_path) : NULL;
	err = parent->exe_path && !child->exe_path ? -ENOMEM : 0;
	/* The child's own lock is uncontended: nobody else knows it yet. */
	pthread_mutex_lock(&child->lock);
	if (err == 0)
		err = copy_mm_locked(parent, child);
	pthread_mutex_unlock(&child->lock);
	pthread_mutex_unlock(&parent->lock);
	if (err < 0) {
		/* The parent keeps its pages, copy-on-write now: its next
		 * write copies a page that nobody else shares, which is
		 * harmless. */
		mm_put(child);
		*errp = err;
		return NULL;
	}
	return child;
}

void mm_detach(struct mm *mm)
{
	pthread_mutex_lock(&mm->lock);
	if (mm->as) {
		platform->as_destroy(mm->as);
		mm->as = NULL;
		mm->as_users = 0;
	}
	pthread_mutex_unlock(&mm->lock);
}
