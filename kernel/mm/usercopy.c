/* The one path by which the sentry touches application memory: find the
 * VMA, check its protection as the hardware would, make the page present
 * (copying a copy-on-write page before a write), then memcpy through the
 * sentry's mapping of the memory file. Never a fault in the sentry. */
#include "kernel/mm/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* Returns the sentry address of the byte at addr, made present and, with
 * write, private; or NULL. With force, a write ignores the protection of
 * a private mapping, as a debugger's does (never a shared one's: that
 * would write the file). mm->lock held. */
static uint8_t *user_page(struct mm *mm, uaddr_t addr, bool write, bool force)
{
	uaddr_t page = PAGE_ALIGN_DOWN(addr);
	struct vma *v = vma_find(&mm->vmas, page);
	uint64_t pte;

	if (!v)
		return NULL;
	if (force) {
		if (v->flags & VMA_SHARED)
			return NULL;
	} else if (!(v->prot & (write ? PROT_WRITE : (PROT_READ | PROT_WRITE | PROT_EXEC)))) {
		/* On x86 a writable or executable page is readable too. */
		return NULL;
	}
	pte = pgtable_get(&mm->pt, page);
	if (!pte) {
		if (mm_populate(mm, v, page, page + PAGE_SIZE) < 0)
			return NULL;
		pte = pgtable_get(&mm->pt, page);
	}
	if (write && (pte & PTE_COW)) {
		/* A forced write's page is mapped in the stub (it is code
		 * the thread runs): break_cow replaces that mapping. */
		if (mm_break_cow(mm, v, page, false) < 0)
			return NULL;
		pte = pgtable_get(&mm->pt, page);
	}
	return memfile_ptr(sentry_memfile, PTE_OFF(pte)) + (addr - page);
}

/* Copies up to len bytes; returns how many were copied before the first
 * inaccessible byte. */
static size_t copy_user_locked(struct mm *mm, void *kbuf, uaddr_t uaddr, size_t len, bool write, bool force)
{
	size_t done = 0;

	if (uaddr + len < uaddr)
		len = (size_t)(0 - uaddr);
	while (done < len) {
		uaddr_t a = uaddr + done;
		size_t n = MIN(len - done, PAGE_SIZE - (a & ~PAGE_MASK));
		uint8_t *p = user_page(mm, a, write, force);

		if (!p)
			break;
		if (write)
			memcpy(p, (const uint8_t *)kbuf + done, n);
		else
			memcpy((uint8_t *)kbuf + done, p, n);
		done += n;
	}
	return done;
}

static size_t copy_user(struct mm *mm, void *kbuf, uaddr_t uaddr, size_t len, bool write)
{
	size_t done;

	pthread_mutex_lock(&mm->lock);
	done = copy_user_locked(mm, kbuf, uaddr, len, write, false);
	pthread_mutex_unlock(&mm->lock);
	return done;
}

int mm_poke_locked(struct mm *mm, uaddr_t dst, const void *src, size_t len)
{
	return copy_user_locked(mm, (void *)src, dst, len, true, true) == len ? 0 : -EFAULT;
}

int mm_peek_locked(struct mm *mm, void *dst, uaddr_t src, size_t len)
{
	return copy_user_locked(mm, dst, src, len, false, false) == len ? 0 : -EFAULT;
}

int user_atomic_update_u32(struct mm *mm, uaddr_t addr, uint32_t (*update)(uint32_t old, void *arg), void *arg,
			   uint32_t *old)
{
	uint32_t *p, cur;

	if (addr & 3)
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	p = (uint32_t *)user_page(mm, addr, true, false);
	if (!p) {
		pthread_mutex_unlock(&mm->lock);
		return -EFAULT;
	}
	/* The application's threads change the word with their own atomic
	 * instructions meanwhile, on the same memory file page. */
	cur = __atomic_load_n(p, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(p, &cur, update(cur, arg), false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	pthread_mutex_unlock(&mm->lock);
	*old = cur;
	return 0;
}

int copy_in(struct mm *mm, void *dst, uaddr_t src, size_t len)
{
	return copy_user(mm, dst, src, len, false) == len ? 0 : -EFAULT;
}

int copy_out(struct mm *mm, uaddr_t dst, const void *src, size_t len)
{
	return copy_user(mm, (void *)src, dst, len, true) == len ? 0 : -EFAULT;
}

ssize_t copy_in_partial(struct mm *mm, void *dst, uaddr_t src, size_t len)
{
	size_t n;

	if (len == 0)
		return 0;
	n = copy_user(mm, dst, src, len, false);
	return n ? (ssize_t)n : -EFAULT;
}

ssize_t copy_out_partial(struct mm *mm, uaddr_t dst, const void *src, size_t len)
{
	size_t n;

	if (len == 0)
		return 0;
	n = copy_user(mm, (void *)src, dst, len, true);
	return n ? (ssize_t)n : -EFAULT;
}

ssize_t copy_in_string(struct mm *mm, char *dst, uaddr_t src, size_t max)
{
	size_t done = 0;

	while (done < max) {
		/* Never read past the page the string may end in. */
		size_t chunk = MIN(max - done, PAGE_SIZE - ((src + done) & ~PAGE_MASK));
		size_t got = copy_user(mm, dst + done, src + done, chunk, false);
		char *nul = memchr(dst + done, 0, got);

		if (nul)
			return nul - dst;
		if (got < chunk)
			return -EFAULT;
		done += got;
	}
	return -ENAMETOOLONG;
}

int clear_user(struct mm *mm, uaddr_t dst, size_t len)
{
	static const uint8_t zeros[PAGE_SIZE];

	while (len) {
		size_t n = MIN(len, sizeof(zeros));
		if (copy_out(mm, dst, zeros, n) < 0)
			return -EFAULT;
		dst += n;
		len -= n;
	}
	return 0;
}
