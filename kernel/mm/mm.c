/* Address spaces and demand faulting.
 *
 * The platform cannot tell us whether a fault was a read, a write or an
 * execution, so the fault path works from what it knows it has mapped: a
 * page that is absent is mapped with everything its VMA allows (less write
 * for a copy-on-write page); a page that faults while already mapped that
 * way was either written while copy-on-write (copy it) or accessed in a way
 * the VMA forbids (SIGSEGV). */
#include "kernel/mm/internal.h"
#include "kernel/mm/syscall_patch.h"
#include "kernel/mm/vdso.h"
#include "kernel/lib/log.h"
#include "platform/platform.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FAULT_WINDOW_PAGES 64
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif
#define MMAP_MIN_ADDR 0x10000UL

struct memfile *sentry_memfile;

void mapping_obj_get(struct mapping_obj *obj)
{
	obj->ops->get(obj);
}

void mapping_obj_put(struct mapping_obj *obj)
{
	obj->ops->put(obj);
}

static const struct vma_obj_ops mm_vma_ops = {
	.get = mapping_obj_get,
	.put = mapping_obj_put,
};

struct mm *mm_new(void)
{
	struct mm *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	mm->refs = 1;
	pthread_mutex_init(&mm->lock, NULL);
	pthread_cond_init(&mm->as_cond, NULL);
	vma_set_init(&mm->vmas, &mm_vma_ops);
	pgtable_init(&mm->pt);
	return mm;
}

void mm_get(struct mm *mm)
{
	__atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
}

static void drop_page(uaddr_t addr, uint64_t pte, void *arg)
{
	memfile_unref(sentry_memfile, PTE_OFF(pte), 1);
}

void mm_put(struct mm *mm)
{
	if (!mm || __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (mm->as)
		platform->as_destroy(mm->as);
	pgtable_destroy(&mm->pt, drop_page, NULL);
	vma_set_destroy(&mm->vmas);
	free(mm->exe_path);
	syscall_patch_free(mm);
	pthread_cond_destroy(&mm->as_cond);
	pthread_mutex_destroy(&mm->lock);
	free(mm);
}

void mm_attach(struct mm *mm, struct platform_as *as)
{
	mm->as = as;
	mm->as_users = 1;
}

void mm_as_enter(struct mm *mm)
{
	pthread_mutex_lock(&mm->lock);
	mm->as_users++;
	pthread_mutex_unlock(&mm->lock);
}

void mm_as_leave(struct mm *mm)
{
	if (!mm)
		return;
	pthread_mutex_lock(&mm->lock);
	mm->as_users--;
	pthread_cond_broadcast(&mm->as_cond);
	pthread_mutex_unlock(&mm->lock);
}

void mm_as_release_owner(struct mm *mm)
{
	if (!mm)
		return;
	pthread_mutex_lock(&mm->lock);
	while (mm->as && mm->as_users > 1)
		pthread_cond_wait(&mm->as_cond, &mm->lock);
	pthread_mutex_unlock(&mm->lock);
	mm_detach(mm);
}

/* ---- page population and host mapping (mm->lock held) ---- */

static int pte_host_prot(uint64_t pte)
{
	return ((pte & PTE_HOST_R) ? PROT_READ : 0) | ((pte & PTE_HOST_W) ? PROT_WRITE : 0) |
	       ((pte & PTE_HOST_X) ? PROT_EXEC : 0);
}

static uint64_t prot_host_bits(int prot)
{
	return ((prot & PROT_READ) ? PTE_HOST_R : 0) | ((prot & PROT_WRITE) ? PTE_HOST_W : 0) |
	       ((prot & PROT_EXEC) ? PTE_HOST_X : 0);
}

static int wanted_prot(const struct vma *v, uint64_t pte)
{
	int prot = v->prot;

	if (pte & PTE_COW)
		prot &= ~PROT_WRITE;
	/* x86 cannot map write-only or exec-only pages without read. */
	if (prot & (PROT_WRITE | PROT_EXEC))
		prot |= PROT_READ;
	return prot;
}

/* Makes the pages of [start, end) (inside v) present in the page table.
 * Returns 0, or -errno for the first page that could not be made present
 * (-EIO: past the end of the mapped file). */
int mm_populate(struct mm *mm, struct vma *v, uaddr_t start, uaddr_t end)
{
	uaddr_t a = start;

	while (a < end) {
		uaddr_t run_end;
		uint64_t n, i;

		if (pgtable_get(&mm->pt, a)) {
			a += PAGE_SIZE;
			continue;
		}
		for (run_end = a + PAGE_SIZE; run_end < end && !pgtable_get(&mm->pt, run_end);
		     run_end += PAGE_SIZE)
			;
		n = (run_end - a) >> PAGE_SHIFT;
		if (!v->obj) {
			int64_t off = memfile_alloc(sentry_memfile, n);
			if (off < 0)
				return (int)off;
			for (i = 0; i < n; i++) {
				if (pgtable_set(&mm->pt, a + i * PAGE_SIZE,
						((uint64_t)off + i * PAGE_SIZE) | PTE_PRESENT) < 0) {
					memfile_unref(sentry_memfile, (uint64_t)off + i * PAGE_SIZE, n - i);
					return -ENOMEM;
				}
			}
		} else {
			uint64_t offs[FAULT_WINDOW_PAGES * 2];
			uint64_t pgoff = (v->off + (a - v->start)) >> PAGE_SHIFT;
			uint64_t flags = PTE_PRESENT | ((v->flags & VMA_SHARED) ? 0 : PTE_COW | PTE_CACHE);
			long got = v->obj->ops->get_pages(v->obj, pgoff, MIN(n, ARRAY_SIZE(offs)), offs);

			if (got <= 0)
				return got < 0 ? (int)got : -EIO;
			n = (uint64_t)got;
			for (i = 0; i < n; i++) {
				if (pgtable_set(&mm->pt, a + i * PAGE_SIZE, offs[i] | flags) < 0) {
					for (; i < n; i++)
						memfile_unref(sentry_memfile, offs[i], 1);
					return -ENOMEM;
				}
			}
		}
		a += n * PAGE_SIZE;
	}
	return 0;
}

/* Maps present pages of [start, end) (inside v) whose host protection is
 * not yet what they need, in runs that are contiguous in the memory file. */
int mm_map_host(struct mm *mm, struct vma *v, uaddr_t start, uaddr_t end)
{
	uaddr_t a = start;

	while (a < end) {
		uint64_t *slot = pgtable_slot(&mm->pt, a, false);
		uint64_t pte = slot ? *slot : 0;
		int prot;
		uaddr_t b;

		if (!pte || pte_host_prot(pte) == wanted_prot(v, pte)) {
			a += PAGE_SIZE;
			continue;
		}
		prot = wanted_prot(v, pte);
		for (b = a + PAGE_SIZE; b < end; b += PAGE_SIZE) {
			uint64_t q = pgtable_get(&mm->pt, b);
			if (!q || PTE_OFF(q) != PTE_OFF(pte) + (b - a) || wanted_prot(v, q) != prot)
				break;
		}
		/* A stub's own touch of a page that a lazy restore has not
		 * loaded yet would find a hole and silently get zeros. */
		int err = memfile_ensure ? memfile_ensure(PTE_OFF(pte), b - a) : 0;
		if (err == 0)
			err = platform_as_map(mm->as, a, b - a, prot, PTE_OFF(pte));
		__atomic_add_fetch(&mm->map_gen, 1, __ATOMIC_RELEASE);
		if (err < 0)
			return err;
		for (uaddr_t c = a; c < b; c += PAGE_SIZE) {
			uint64_t *s = pgtable_slot(&mm->pt, c, false);
			*s = (*s & ~(uint64_t)(PTE_HOST_R | PTE_HOST_W | PTE_HOST_X)) | prot_host_bits(prot);
		}
		a = b;
	}
	return 0;
}

/* Gives the page at addr a private copy before a write. */
int mm_break_cow(struct mm *mm, struct vma *v, uaddr_t addr, bool map)
{
	uint64_t *slot = pgtable_slot(&mm->pt, addr, false);
	uint64_t old = *slot;
	int64_t off;

	if (memfile_refcount(sentry_memfile, PTE_OFF(old)) == 1 && !(old & PTE_CACHE)) {
		/* The last user of a private page (a fork's other side has
		 * let go of it): it is ours already. */
		*slot = old & ~(uint64_t)PTE_COW;
	} else {
		off = memfile_alloc(sentry_memfile, 1);
		if (off < 0)
			return (int)off;
		memcpy(memfile_ptr(sentry_memfile, (uint64_t)off), memfile_ptr(sentry_memfile, PTE_OFF(old)),
		       PAGE_SIZE);
		memfile_unref(sentry_memfile, PTE_OFF(old), 1);
		*slot = (uint64_t)off | PTE_PRESENT | (old & (PTE_HOST_R | PTE_HOST_W | PTE_HOST_X));
		if (old & PTE_HOST_R) {
			/* The stub still maps the old page: replace it now. */
			*slot &= ~(uint64_t)(PTE_HOST_R | PTE_HOST_W | PTE_HOST_X);
			map = true;
		}
	}
	return map ? mm_map_host(mm, v, addr, addr + PAGE_SIZE) : 0;
}

/* Gives every copy-on-write page of [start, end) a private copy, in one
 * contiguous block so that the stub maps them with one call. The platform
 * cannot say whether a fault was a write, and the writable private file
 * mappings that programs touch are almost all written (data segments, the
 * relocations ld.so makes), so copying on the first touch saves a second
 * fault per page for a small cost in memory. */
static int privatize_window(struct mm *mm, uaddr_t start, uaddr_t end)
{
	uint64_t n = 0, i = 0;
	int64_t block;

	for (uaddr_t a = start; a < end; a += PAGE_SIZE)
		if (pgtable_get(&mm->pt, a) & PTE_COW)
			n++;
	if (!n)
		return 0;
	block = memfile_alloc(sentry_memfile, n);
	if (block < 0)
		return (int)block;
	for (uaddr_t a = start; a < end; a += PAGE_SIZE) {
		uint64_t *slot = pgtable_slot(&mm->pt, a, false);
		uint64_t off;

		if (!slot || !(*slot & PTE_COW))
			continue;
		off = (uint64_t)block + i++ * PAGE_SIZE;
		memcpy(memfile_ptr(sentry_memfile, off), memfile_ptr(sentry_memfile, PTE_OFF(*slot)), PAGE_SIZE);
		memfile_unref(sentry_memfile, PTE_OFF(*slot), 1);
		*slot = off | PTE_PRESENT;
	}
	return 0;
}

/* Host unmaps count as mapping changes too (mm_fault's retry). */
static int mm_host_unmap(struct mm *mm, uaddr_t start, uaddr_t end)
{
	__atomic_add_fetch(&mm->map_gen, 1, __ATOMIC_RELEASE);
	return platform_as_unmap(mm->as, start, end - start);
}

int mm_fault(struct mm *mm, uaddr_t addr, uint64_t gen, bool write, int *si_code)
{
	uaddr_t page = PAGE_ALIGN_DOWN(addr);
	struct vma *v;
	uint64_t pte;
	int ret = 0, err;

	pthread_mutex_lock(&mm->lock);
	v = vma_find(&mm->vmas, page);
	if (!v) {
		*si_code = SEGV_MAPERR;
		ret = SIGSEGV;
		goto out;
	}
	if (!(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) {
		*si_code = SEGV_ACCERR;
		ret = SIGSEGV;
		goto out;
	}
	pte = pgtable_get(&mm->pt, page);
	log_debug("mm: fault 0x%lx %s vma %c%c%c %s", (unsigned long)addr, !pte ? "absent" :
		  pte_host_prot(pte) != wanted_prot(v, pte) ? "reprotect" : (pte & PTE_COW) ? "cow" : "violation",
		  (v->prot & PROT_READ) ? 'r' : '-', (v->prot & PROT_WRITE) ? 'w' : '-', (v->prot & PROT_EXEC) ? 'x' : '-',
		  v->obj ? "file" : "anon");
	if (!pte) {
		uaddr_t ws = MAX(v->start, page & ~(FAULT_WINDOW_PAGES * PAGE_SIZE - 1));
		uaddr_t we = MIN(v->end, ws + FAULT_WINDOW_PAGES * PAGE_SIZE);

		err = mm_populate(mm, v, page, page + PAGE_SIZE);
		if (err == -EIO) {
			*si_code = BUS_ADRERR;
			ret = SIGBUS;
			goto out;
		}
		if (err < 0)
			goto oom;
		/* The rest of the window is a bonus: its errors surface when
		 * those pages are touched. */
		mm_populate(mm, v, ws, page);
		mm_populate(mm, v, page + PAGE_SIZE, we);
		if (v->obj && !(v->flags & VMA_SHARED) && (v->prot & PROT_WRITE) && privatize_window(mm, ws, we) < 0)
			goto oom;
		if (mm_map_host(mm, v, ws, we) < 0)
			goto oom;
		goto out;
	}
	if (pte_host_prot(pte) != wanted_prot(v, pte)) {
		uaddr_t ws = MAX(v->start, page & ~(FAULT_WINDOW_PAGES * PAGE_SIZE - 1));
		uaddr_t we = MIN(v->end, ws + FAULT_WINDOW_PAGES * PAGE_SIZE);
		if (mm_map_host(mm, v, ws, we) < 0)
			goto oom;
		/* A write to a page the window just mapped read-only (a
		 * copy-on-write one, after a fork) would fault again. */
		if (!(write && (pte & PTE_COW) && (v->prot & PROT_WRITE)))
			goto out;
	}
	if ((pte & PTE_COW) && (v->prot & PROT_WRITE)) {
		if (mm_break_cow(mm, v, page, true) < 0)
			goto oom;
		goto out;
	}
	/* Another thread changed the host mapping since this one last
	 * entered the application (it broke the same copy-on-write page, or
	 * mapped it): the fault may predate that, so the access is tried
	 * again; a real violation faults again, with nothing changed. */
	if (__atomic_load_n(&mm->map_gen, __ATOMIC_ACQUIRE) != gen)
		goto out;
	*si_code = SEGV_ACCERR;
	ret = SIGSEGV;
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
oom:
	/* Linux would invoke the OOM killer; the application gets SIGBUS. */
	log_warn("mm: cannot back page 0x%lx: out of memory", (unsigned long)page);
	*si_code = BUS_ADRERR;
	ret = SIGBUS;
	goto out;
}

/* ---- mapping operations ---- */

struct drop_ctx {
	bool host_mapped;
};

static int drop_pte(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct drop_ctx *d = arg;

	if (*pte & (PTE_HOST_R | PTE_HOST_W | PTE_HOST_X))
		d->host_mapped = true;
	memfile_unref(sentry_memfile, PTE_OFF(*pte), 1);
	*pte = 0;
	return 0;
}

/* Drops the pages of [start, end) and unmaps them from the host. */
int mm_zap_range(struct mm *mm, uaddr_t start, uaddr_t end)
{
	struct drop_ctx d = { false };

	pgtable_walk(&mm->pt, start, end, drop_pte, &d);
	if (d.host_mapped && mm->as)
		return mm_host_unmap(mm, start, end);
	return 0;
}

static int clear_host_bits(uaddr_t addr, uint64_t *pte, void *arg)
{
	bool *any = arg;

	if (*pte & (PTE_HOST_R | PTE_HOST_W | PTE_HOST_X)) {
		*pte &= ~(uint64_t)(PTE_HOST_R | PTE_HOST_W | PTE_HOST_X);
		*any = true;
	}
	return 0;
}

/* Takes [start, end) out of the stub but keeps the pages: they come back
 * with whatever protection their VMA has by then on the next touch. */
int mm_unmap_host(struct mm *mm, uaddr_t start, uaddr_t end)
{
	bool any = false;

	pgtable_walk(&mm->pt, start, end, clear_host_bits, &any);
	if (any && mm->as)
		return mm_host_unmap(mm, start, end);
	return 0;
}

long mm_do_munmap(struct mm *mm, uaddr_t addr, uint64_t len)
{
	int err;

	syscall_patch_release(mm, addr, addr + len);
	err = vma_remove(&mm->vmas, addr, addr + len);

	if (err < 0)
		return err;
	return mm_zap_range(mm, addr, addr + len);
}

bool mm_range_ok(uaddr_t addr, uint64_t len)
{
	return addr + len >= addr && addr + len <= platform->app_top();
}

long mm_mmap(struct mm *mm, uaddr_t addr, uint64_t len, int prot, int flags, struct mapping_obj *obj,
	     uint64_t off)
{
	int type = flags & MAP_TYPE;
	struct vma v = { 0 };
	long ret;

	if (len == 0 || (off & ~PAGE_MASK))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (flags & MAP_HUGETLB)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (len == 0 || len > platform->app_top())
		return -ENOMEM;
	if (obj && off + len < off)
		return -EOVERFLOW;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && (addr & ~PAGE_MASK))
		return -EINVAL;

	pthread_mutex_lock(&mm->lock);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!mm_range_ok(addr, len) || addr < MMAP_MIN_ADDR) {
			ret = (flags & MAP_FIXED) ? -ENOMEM : -ENOMEM;
			goto out;
		}
		syscall_patch_release(mm, addr, addr + len);
		if (!vma_range_free(&mm->vmas, addr, addr + len)) {
			if (flags & MAP_FIXED_NOREPLACE) {
				ret = -EEXIST;
				goto out;
			}
			ret = mm_do_munmap(mm, addr, len);
			if (ret < 0)
				goto out;
		}
	} else {
		uaddr_t hint = PAGE_ALIGN_DOWN(addr);
		uaddr_t hi = (flags & MAP_32BIT) ? 0x80000000UL : mm->mmap_base;

		if (!(hint && hint >= MMAP_MIN_ADDR && mm_range_ok(hint, len) &&
		      vma_range_free(&mm->vmas, hint, hint + len))) {
			ret = vma_find_gap(&mm->vmas, len, (flags & MAP_32BIT) ? 0x40000000UL : MMAP_MIN_ADDR,
					   hi, &hint);
			if (ret < 0)
				goto out;
		}
		addr = hint;
	}
	if (!obj && type != MAP_PRIVATE) {
		/* The mapping's reference is the one shmem_new returns. */
		obj = shmem_new(len);
		if (!obj) {
			ret = -ENOMEM;
			goto out;
		}
		off = 0;
	} else if (obj) {
		mapping_obj_get(obj);
	}
	v.start = addr;
	v.end = addr + len;
	v.prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
	v.flags = (type == MAP_PRIVATE ? 0 : VMA_SHARED) | ((flags & MAP_GROWSDOWN) ? VMA_GROWSDOWN : 0) |
		  ((flags & MAP_NORESERVE) ? VMA_NORESERVE : 0);
	v.off = obj ? off : 0;
	v.obj = obj;
	ret = vma_insert(&mm->vmas, &v);
	if (ret < 0) {
		if (obj)
			mapping_obj_put(obj);
		goto out;
	}
	if (flags & MAP_POPULATE) {
		struct vma *pv = vma_find(&mm->vmas, addr);
		mm_populate(mm, pv, addr, addr + len);
	}
	ret = (long)addr;
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_munmap(struct mm *mm, uaddr_t addr, uint64_t len)
{
	long ret;

	if ((addr & ~PAGE_MASK) || len == 0)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (!mm_range_ok(addr, len))
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	ret = mm_do_munmap(mm, addr, len);
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_mprotect(struct mm *mm, uaddr_t addr, uint64_t len, int prot)
{
	long ret;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (len == 0)
		return 0;
	if (!mm_range_ok(addr, len))
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	/* Like Linux's, the vDSO's data page may not become writable or
	 * executable: it is the whole sandbox's. */
	if ((prot & (PROT_WRITE | PROT_EXEC)) && vdso_vvar_in_range(mm, addr, addr + len)) {
		pthread_mutex_unlock(&mm->lock);
		return -EACCES;
	}
	syscall_patch_release(mm, addr, addr + len);
	ret = vma_protect(&mm->vmas, addr, addr + len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
	if (ret == 0)
		ret = mm_unmap_host(mm, addr, addr + len);
	pthread_mutex_unlock(&mm->lock);
	return ret;
}
