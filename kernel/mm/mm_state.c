/* Saving and loading an address space: its VMAs, and the page-table
 * entries it owns (anonymous pages and private copies). A file's page
 * cache is not saved: those pages fault in again from the file, whose
 * identity is checked on restore. Nothing is mapped in the new stub after
 * a load; every page faults in through the restored page table. */
#include "kernel/state/state.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/vdso.h"
#include "kernel/task/task.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define VVAR_MAX_PAGES 16

struct pte_walk {
	struct save_ctx *c;
	Amber__Kernel__Mm *pb;
	size_t *cap;			/* of pb->ptes, across the vmas */
	bool cow_only_private;	/* a private file mapping: skip page-cache pages */
};

static int save_pte(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct pte_walk *w = arg;
	Amber__Kernel__Mm *pb = w->pb;

	int err;

	if (w->cow_only_private && (*pte & PTE_CACHE))
		return 0;
	err = save_push_pair(w->c, &pb->ptes, &pb->n_ptes, w->cap, addr, PTE_OFF(*pte) | (*pte & PTE_COW));
	return err < 0 ? err : save_add_page(w->c, PTE_OFF(*pte) >> PAGE_SHIFT);
}

static int save_vma(struct save_ctx *c, struct mm *mm, const struct vma *v, Amber__Kernel__Mm *pb, size_t *cap)
{
	Amber__Kernel__Vma *vp = save_alloc(c, sizeof(*vp));
	struct pte_walk w = { .c = c, .pb = pb, .cap = cap };
	int err;

	if (!vp)
		return -ENOMEM;
	amber__kernel__vma__init(vp);
	vp->start = v->start;
	vp->end = v->end;
	vp->prot = v->prot;
	vp->flags = v->flags;
	vp->off = v->off;
	/* The vDSO's data page is the sentry's: the restoring one maps its
	 * own (vdso.h). */
	if (v->flags & VMA_VVAR)
		goto push;
	if (v->obj) {
		char path[PATH_MAX];
		struct statx id;
		Amber__Kernel__MappingRef *ref = save_alloc(c, sizeof(*ref));
		/* A mapped file whose name is gone has its data in the image,
		 * as shared memory, to which the mapping refers. */
		int64_t sid = orphan_save_mapping(c, v->obj);

		if (!ref)
			return -ENOMEM;
		if (sid < 0)
			return (int)sid;
		err = !sid && v->obj->ops->save_path ? v->obj->ops->save_path(v->obj, path, sizeof(path), &id) : -EOPNOTSUPP;
		if (err == -EOPNOTSUPP && (sid || shmem_is(v->obj))) {
			/* Shared memory (anonymous, a tmpfs file's data, or a
			 * deleted file's): saved once, with its pages, and
			 * referred to by id. */
			if (!sid)
				sid = shmem_save(c, v->obj);
			if (sid < 0)
				return (int)sid;
			amber__kernel__mapping_ref__init(ref);
			ref->shmem_id = (uint64_t)sid;
			vp->obj = ref;
			if (v->flags & VMA_SHARED)
				goto push;
			w.cow_only_private = true;
			goto walk;
		}
		if (err < 0) {
			snprintf(c->err, sizeof(c->err), "mapping at %#lx (%s): %s", (unsigned long)v->start,
				 v->obj->name ? v->obj->name : "shared memory",
				 err == -EOPNOTSUPP ? "not checkpointable yet" : strerror(-err));
			return err == -EOPNOTSUPP ? -ENOTSUP : err;
		}
		amber__kernel__mapping_ref__init(ref);
		ref->path = save_strdup(c, path);
		vp->obj = ref;
		if (!ref->path)
			return -ENOMEM;
		/* Objects with a save_path are page caches of the root
		 * mount's files (gofer_mapping_save_path). */
		err = file_identity_save(c, container_of(v->obj, struct inode, mapping), vfs_root_mount, &id,
					 &ref->identity);
		if (err < 0)
			return err;
		/* Shared file pages are the page cache's. */
		if (v->flags & VMA_SHARED)
			goto push;
		w.cow_only_private = true;
	}
walk:
	err = pgtable_walk(&mm->pt, v->start, v->end, save_pte, &w);
	if (err < 0)
		return err;
push:
	return save_push(c, (void ***)&pb->vmas, &pb->n_vmas, vp);
}

int mm_save(struct save_ctx *c, struct mm *mm, uint64_t id)
{
	Amber__Kernel__Mm *pb = save_alloc(c, sizeof(*pb));
	size_t cap = 0;
	int err = 0;

	if (!pb)
		return -ENOMEM;
	amber__kernel__mm__init(pb);
	pb->id = id;
	pthread_mutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->vmas.count && err == 0; i++)
		err = save_vma(c, mm, &mm->vmas.v[i], pb, &cap);
	pb->brk_start = mm->brk_start;
	pb->brk = mm->brk;
	pb->mmap_base = mm->mmap_base;
	pb->stack_top = mm->stack_top;
	pb->arg_start = mm->arg_start;
	pb->arg_end = mm->arg_end;
	pb->env_start = mm->env_start;
	pb->env_end = mm->env_end;
	pb->n_auxv = mm->auxv_len / sizeof(uint64_t);
	pb->auxv = save_alloc(c, sizeof(mm->auxv));
	if (pb->auxv)
		memcpy(pb->auxv, mm->auxv, mm->auxv_len);
	pb->exe_path = save_strdup(c, mm->exe_path ? mm->exe_path : "");
	pthread_mutex_unlock(&mm->lock);
	if (err < 0)
		return err;
	if (!pb->auxv || !pb->exe_path)
		return -ENOMEM;
	return save_push(c, (void ***)&c->k->mms, &c->k->n_mms, pb);
}

/* Reopens a mapped file by path and checks it is the file that was saved. */
static int load_mapping(struct load_ctx *c, const Amber__Kernel__MappingRef *ref, struct mapping_obj **out)
{
	const Amber__Kernel__FileIdentity *id = ref->identity;
	struct path p;
	struct file *f;
	int err;

	if (!ref->path || ref->path[0] != '/' || !id) {
		snprintf(c->err, sizeof(c->err), "kernel.pb: a mapping without a path");
		return -EINVAL;
	}
	err = vfs_lookup(&sandbox.root, &sandbox.root, ref->path, LOOKUP_FOLLOW, &p);
	if (err < 0) {
		snprintf(c->err, sizeof(c->err), "mapped file %s: %s", ref->path, strerror(-err));
		return err;
	}
	err = vfs_open(&p, O_RDONLY, &f);
	path_put(&p);
	if (err < 0) {
		snprintf(c->err, sizeof(c->err), "mapped file %s: %s", ref->path, strerror(-err));
		return err;
	}
	err = file_identity_check(c, id, f, true, "mapped file", ref->path);
	*out = err == 0 && f->ops->mmap ? f->ops->mmap(f) : NULL;
	if (err == 0 && !*out) {
		snprintf(c->err, sizeof(c->err), "mapped file %s cannot be mapped", ref->path);
		err = -ENODEV;
	}
	file_put(f);
	return err;
}

int mm_load(struct load_ctx *c, const Amber__Kernel__Mm *pb, struct mm **out)
{
	struct mm *mm = mm_new();
	uint64_t top = platform->app_top();
	int err = 0;

	if (!mm)
		return -ENOMEM;
	for (size_t i = 0; i < pb->n_vmas && err == 0; i++) {
		const Amber__Kernel__Vma *v = pb->vmas[i];
		struct vma vma = { .start = v->start, .end = v->end, .prot = v->prot & 7, .flags = v->flags,
				   .off = v->off };

		if (v->start >= v->end || v->end > top || (v->start | v->end) & (PAGE_SIZE - 1)) {
			snprintf(c->err, sizeof(c->err), "kernel.pb: mm %lu: bad vma %#lx-%#lx", (unsigned long)pb->id,
				 (unsigned long)v->start, (unsigned long)v->end);
			err = -EINVAL;
			break;
		}
		if (v->flags & VMA_VVAR) {
			/* Never writable or executable, and a few pages at most
			 * (another build's layout may have had more than one). */
			if ((v->prot & (PROT_WRITE | PROT_EXEC)) || (v->flags & VMA_SHARED) || v->obj ||
			    v->end - v->start > VVAR_MAX_PAGES * PAGE_SIZE) {
				snprintf(c->err, sizeof(c->err), "kernel.pb: mm %lu: bad vDSO data mapping at %#lx",
					 (unsigned long)pb->id, (unsigned long)v->start);
				err = -EINVAL;
				break;
			}
			vma.obj = vdso_vvar_obj();
			vma.off = 0;
			mapping_obj_get(vma.obj);
		} else if (v->obj && v->obj->shmem_id) {
			if (v->obj->shmem_id > c->nshmems || !c->shmems[v->obj->shmem_id - 1]) {
				snprintf(c->err, sizeof(c->err), "kernel.pb: mm %lu: a mapping of shared memory %lu that is not there",
					 (unsigned long)pb->id, (unsigned long)v->obj->shmem_id);
				err = -EINVAL;
				break;
			}
			vma.obj = c->shmems[v->obj->shmem_id - 1];
			mapping_obj_get(vma.obj);
		} else if (v->obj) {
			err = load_mapping(c, v->obj, &vma.obj);
			if (err < 0)
				break;
		}
		err = vma_insert(&mm->vmas, &vma);
		if (err < 0) {
			if (vma.obj)
				mapping_obj_put(vma.obj);
			snprintf(c->err, sizeof(c->err), "kernel.pb: mm %lu: overlapping vma at %#lx", (unsigned long)pb->id,
				 (unsigned long)v->start);
		}
	}
	if (err == 0 && pb->n_ptes % 2) {
		snprintf(c->err, sizeof(c->err), "kernel.pb: mm %lu: odd page-table list", (unsigned long)pb->id);
		err = -EINVAL;
	}
	for (size_t i = 0; i + 1 < pb->n_ptes && err == 0; i += 2) {
		uint64_t addr = pb->ptes[i], off = PTE_OFF(pb->ptes[i + 1]), page = off >> PAGE_SHIFT;

		const struct vma *in = vma_find(&mm->vmas, addr);

		if ((addr & (PAGE_SIZE - 1)) || !in || (in->flags & VMA_VVAR) || page >= c->k->memfile_pages ||
		    (pb->ptes[i + 1] & PTE_FLAGS & ~PTE_COW) || pgtable_get(&mm->pt, addr)) {
			snprintf(c->err, sizeof(c->err), "kernel.pb: mm %lu: bad page-table entry for %#lx",
				 (unsigned long)pb->id, (unsigned long)addr);
			err = -EINVAL;
			break;
		}
		err = pgtable_set(&mm->pt, addr, off | PTE_PRESENT | (pb->ptes[i + 1] & PTE_COW));
		if (err == 0)
			err = load_add_page(c, page);
	}
	mm->brk_start = pb->brk_start;
	mm->brk = pb->brk;
	mm->mmap_base = pb->mmap_base;
	mm->stack_top = pb->stack_top;
	mm->arg_start = pb->arg_start;
	mm->arg_end = pb->arg_end;
	mm->env_start = pb->env_start;
	mm->env_end = pb->env_end;
	if (pb->n_auxv > ARRAY_SIZE(mm->auxv)) {
		snprintf(c->err, sizeof(c->err), "kernel.pb: mm %lu: auxv too long", (unsigned long)pb->id);
		err = err ? err : -EINVAL;
	} else {
		if (pb->n_auxv)
			memcpy(mm->auxv, pb->auxv, pb->n_auxv * sizeof(uint64_t));
		mm->auxv_len = pb->n_auxv * sizeof(uint64_t);
	}
	if (pb->exe_path && pb->exe_path[0])
		mm->exe_path = strdup(pb->exe_path);
	if (err < 0) {
		/* The page references are not taken yet: forget the entries
		 * before mm_put would drop them. */
		pgtable_destroy(&mm->pt, NULL, NULL);
		pgtable_init(&mm->pt);
		mm_put(mm);
		return err;
	}
	*out = mm;
	return 0;
}
