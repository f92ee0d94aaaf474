/* mremap, brk, madvise, msync, mincore and /proc/self/maps. */
#include "kernel/mm/internal.h"
#include "kernel/mm/syscall_patch.h"
#include "platform/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

struct move_ctx {
	struct mm *mm;
	int64_t delta;
	int err;
};

static int move_pte(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct move_ctx *m = arg;
	/* The stub mapping stays at the old address until it is unmapped
	 * below, so the moved page starts unmapped at its new place. */
	uint64_t moved = *pte & ~(uint64_t)(PTE_HOST_R | PTE_HOST_W | PTE_HOST_X);

	if (pgtable_set(&m->mm->pt, (uaddr_t)((int64_t)addr + m->delta), moved) < 0) {
		m->err = -ENOMEM;
		return 1;
	}
	*pte = 0;
	return 0;
}

long mm_mremap(struct mm *mm, uaddr_t old, uint64_t old_len, uint64_t new_len, int flags, uaddr_t new_addr)
{
	struct vma *v, nv;
	long ret;

	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (flags & MREMAP_DONTUNMAP)
		return -EINVAL;	/* not supported yet */
	if (old & ~PAGE_MASK)
		return -EINVAL;
	old_len = PAGE_ALIGN_UP(old_len);
	new_len = PAGE_ALIGN_UP(new_len);
	if (new_len == 0)
		return -EINVAL;
	if (old_len == 0)
		return -EINVAL;	/* duplicating a shared mapping: not supported */
	if (!mm_range_ok(old, old_len) || !mm_range_ok(old, new_len))
		return -EFAULT;
	if ((flags & MREMAP_FIXED) && ((new_addr & ~PAGE_MASK) || !mm_range_ok(new_addr, new_len)))
		return -EINVAL;

	pthread_mutex_lock(&mm->lock);
	syscall_patch_release(mm, old, old + old_len);
	if (flags & MREMAP_FIXED)
		syscall_patch_release(mm, new_addr, new_addr + new_len);
	else if (new_len > old_len)
		syscall_patch_release(mm, old + old_len, old + new_len);
	v = vma_find(&mm->vmas, old);
	if (!v || v->end < old + old_len) {
		ret = -EFAULT;
		goto out;
	}
	nv = *v;
	if (!(flags & MREMAP_FIXED)) {
		if (new_len <= old_len) {
			ret = mm_do_munmap(mm, old + new_len, old_len - new_len);
			ret = ret < 0 ? ret : (long)old;
			goto out;
		}
		if (old + old_len == v->end && vma_range_free(&mm->vmas, old + old_len, old + new_len)) {
			nv.start = old + old_len;
			nv.end = old + new_len;
			nv.off = v->off + (nv.start - v->start);
			if (nv.obj)
				mapping_obj_get(nv.obj);
			ret = vma_insert(&mm->vmas, &nv);
			if (ret < 0) {
				if (nv.obj)
					mapping_obj_put(nv.obj);
				goto out;
			}
			ret = (long)old;
			goto out;
		}
		if (!(flags & MREMAP_MAYMOVE)) {
			ret = -ENOMEM;
			goto out;
		}
		ret = vma_find_gap(&mm->vmas, new_len, 0x10000UL, mm->mmap_base, &new_addr);
		if (ret < 0)
			goto out;
	} else {
		if (new_addr < old + old_len && old < new_addr + new_len) {
			ret = -EINVAL;
			goto out;
		}
		ret = mm_do_munmap(mm, new_addr, new_len);
		if (ret < 0)
			goto out;
		v = vma_find(&mm->vmas, old);
		nv = *v;
	}
	/* Move: a new vma with the same backing, then the pages. */
	nv.start = new_addr;
	nv.end = new_addr + new_len;
	nv.off = v->off + (old - v->start);
	if (nv.obj)
		mapping_obj_get(nv.obj);
	ret = vma_insert(&mm->vmas, &nv);
	if (ret < 0) {
		if (nv.obj)
			mapping_obj_put(nv.obj);
		goto out;
	}
	{
		struct move_ctx m = { mm, (int64_t)new_addr - (int64_t)old, 0 };
		uint64_t moved = MIN(old_len, new_len);

		ret = mm_unmap_host(mm, old, old + old_len);
		if (ret < 0)
			goto out;
		pgtable_walk(&mm->pt, old, old + moved, move_pte, &m);
		if (m.err < 0) {
			ret = m.err;
			goto out;
		}
		ret = mm_do_munmap(mm, old, old_len);
		if (ret < 0)
			goto out;
	}
	ret = (long)new_addr;
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_brk(struct mm *mm, uaddr_t brk)
{
	uaddr_t old_end, new_end;
	long ret;

	pthread_mutex_lock(&mm->lock);
	if (brk < mm->brk_start)
		goto out;
	old_end = PAGE_ALIGN_UP(mm->brk);
	new_end = PAGE_ALIGN_UP(brk);
	if (new_end > old_end) {
		struct vma v = { .start = old_end, .end = new_end, .prot = PROT_READ | PROT_WRITE,
				 .flags = VMA_HEAP };
		if (!mm_range_ok(old_end, new_end - old_end) || new_end > mm->mmap_base)
			goto out;
		syscall_patch_release(mm, old_end, new_end);
		if (!vma_range_free(&mm->vmas, old_end, new_end))
			goto out;
		if (vma_insert(&mm->vmas, &v) < 0)
			goto out;
	} else if (new_end < old_end) {
		if (mm_do_munmap(mm, new_end, old_end - new_end) < 0)
			goto out;
	}
	mm->brk = brk;
out:
	ret = (long)mm->brk;
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

/* Checks that [addr, addr + len) is covered by vmas without holes. */
static bool fully_mapped(struct mm *mm, uaddr_t addr, uaddr_t end)
{
	while (addr < end) {
		struct vma *v = vma_find(&mm->vmas, addr);
		if (!v)
			return false;
		addr = v->end;
	}
	return true;
}

long mm_madvise(struct mm *mm, uaddr_t addr, uint64_t len, int advice)
{
	long ret = 0;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTFORK: case MADV_DOFORK: case MADV_MERGEABLE: case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
	case MADV_COLD: case MADV_PAGEOUT:
		/* Hints: nothing the application can observe. */
		return 0;
	case MADV_DONTNEED:
	case MADV_FREE:
		break;
	default:
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	if (!mm_range_ok(addr, len))
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	syscall_patch_release(mm, addr, addr + len);
	if (!fully_mapped(mm, addr, addr + len)) {
		ret = -ENOMEM;
	} else {
		/* Private anonymous pages read as zero again, private file
		 * pages as the file; shared pages keep their data, which the
		 * next touch maps back. */
		ret = mm_zap_range(mm, addr, addr + len);
	}
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_msync(struct mm *mm, uaddr_t addr, uint64_t len, int flags)
{
	long ret = 0;

	if ((addr & ~PAGE_MASK) || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (!mm_range_ok(addr, len))
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	/* Shared pages are the page cache itself, so there is nothing to
	 * write back before a file is written through the gofer. */
	if (!fully_mapped(mm, addr, addr + len))
		ret = -ENOMEM;
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_mincore(struct mm *mm, uaddr_t addr, uint64_t len, uaddr_t vec)
{
	uint64_t npages, i;
	unsigned char buf[256];
	long ret = 0;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (!mm_range_ok(addr, len))
		return -ENOMEM;
	npages = len >> PAGE_SHIFT;
	for (i = 0; i < npages && ret == 0; i += sizeof(buf)) {
		uint64_t n = MIN(npages - i, sizeof(buf)), j;

		pthread_mutex_lock(&mm->lock);
		if (!fully_mapped(mm, addr + i * PAGE_SIZE, addr + (i + n) * PAGE_SIZE)) {
			pthread_mutex_unlock(&mm->lock);
			return -ENOMEM;
		}
		for (j = 0; j < n; j++)
			buf[j] = pgtable_get(&mm->pt, addr + (i + j) * PAGE_SIZE) ? 1 : 0;
		pthread_mutex_unlock(&mm->lock);
		ret = copy_out(mm, vec + i, buf, n);
	}
	return ret;
}

ssize_t mm_format_maps(struct mm *mm, char **out)
{
	size_t cap = 4096, len = 0, i;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	for (i = 0; i < mm->vmas.count; i++) {
		const struct vma *v = &mm->vmas.v[i];
		const char *name = v->obj && v->obj->name ? v->obj->name :
				   (v->flags & VMA_HEAP) ? "[heap]" : (v->flags & VMA_STACK) ? "[stack]" :
				   (v->flags & VMA_VDSO) ? "[vdso]" : (v->flags & VMA_VVAR) ? "[vvar]" : "";
		size_t need = strlen(name) + 128;
		int n;

		if (len + need > cap) {
			char *nb = realloc(buf, cap * 2 + need);
			if (!nb) {
				pthread_mutex_unlock(&mm->lock);
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap * 2 + need;
		}
		n = snprintf(buf + len, cap - len, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %-10lu%s%s\n",
			     (unsigned long)v->start, (unsigned long)v->end, (v->prot & PROT_READ) ? 'r' : '-',
			     (v->prot & PROT_WRITE) ? 'w' : '-', (v->prot & PROT_EXEC) ? 'x' : '-',
			     (v->flags & VMA_SHARED) ? 's' : 'p', (unsigned long)v->off,
			     v->obj ? (unsigned)(v->obj->dev >> 8) & 0xfff : 0, v->obj ? (unsigned)v->obj->dev & 0xff : 0,
			     v->obj ? (unsigned long)v->obj->ino : 0UL, *name ? "               " : "", name);
		len += (size_t)n;
	}
	pthread_mutex_unlock(&mm->lock);
	*out = buf;
	return (ssize_t)len;
}
