/* Memory-file-backed objects that own their pages: anonymous shared
 * memory (MAP_SHARED | MAP_ANONYMOUS), whose pages outlive any one mapping
 * (madvise, mremap, and later fork), and the data of tmpfs files. */
#include "kernel/mm/mm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct shmem {
	struct mapping_obj obj;
	int refs;			/* atomic */
	pthread_mutex_t lock;		/* protects below */
	uint64_t pages;			/* size in pages: faults past it are SIGBUS */
	uint64_t used;			/* pages present in table */
	struct pgtable table;		/* page index << PAGE_SHIFT -> memory-file page */
};

static long shmem_get_pages(struct mapping_obj *obj, uint64_t pgoff, uint64_t count, uint64_t *offs)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	uint64_t i = 0;
	long ret = 0;

	pthread_mutex_lock(&s->lock);
	if (pgoff >= s->pages) {
		pthread_mutex_unlock(&s->lock);
		return -EIO;
	}
	count = MIN(count, s->pages - pgoff);
	while (i < count) {
		uint64_t pte = pgtable_get(&s->table, (pgoff + i) << PAGE_SHIFT), run = 1;
		int64_t block;

		if (pte) {
			memfile_ref(sentry_memfile, PTE_OFF(pte), 1);
			offs[i++] = PTE_OFF(pte);
			continue;
		}
		while (i + run < count && !pgtable_get(&s->table, (pgoff + i + run) << PAGE_SHIFT))
			run++;
		block = memfile_alloc(sentry_memfile, run);
		if (block < 0) {
			ret = block;
			break;
		}
		for (uint64_t j = 0; j < run; j++) {
			uint64_t off = (uint64_t)block + j * PAGE_SIZE;
			if (pgtable_set(&s->table, (pgoff + i + j) << PAGE_SHIFT, off | PTE_PRESENT) < 0) {
				memfile_unref(sentry_memfile, off, run - j);
				ret = -ENOMEM;
				goto out;
			}
			memfile_ref(sentry_memfile, off, 1);	/* the caller's */
			offs[i + j] = off;
			s->used++;
		}
		i += run;
	}
out:
	pthread_mutex_unlock(&s->lock);
	return i ? (long)i : ret;
}

static void drop_page(uaddr_t addr, uint64_t pte, void *arg)
{
	memfile_unref(sentry_memfile, PTE_OFF(pte), 1);
}

static void shmem_get(struct mapping_obj *obj)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

static void shmem_put(struct mapping_obj *obj)
{
	struct shmem *s = container_of(obj, struct shmem, obj);

	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pgtable_destroy(&s->table, drop_page, NULL);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct mapping_ops shmem_ops = {
	.get_pages = shmem_get_pages,
	.get = shmem_get,
	.put = shmem_put,
};

struct mapping_obj *shmem_new(uint64_t size)
{
	struct shmem *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->obj.ops = &shmem_ops;
	s->obj.name = NULL;
	s->refs = 1;
	s->pages = PAGE_ALIGN_UP(size) >> PAGE_SHIFT;
	pthread_mutex_init(&s->lock, NULL);
	pgtable_init(&s->table);
	return &s->obj;
}

/* Page i of s, allocated (zeroed) when absent and alloc is set; returns its
 * memory-file offset or a negative errno (-ENOENT: absent). lock held. */
static int64_t page_of(struct shmem *s, uint64_t i, bool alloc)
{
	uint64_t pte = pgtable_get(&s->table, i << PAGE_SHIFT);
	int64_t off;

	if (pte)
		return (int64_t)PTE_OFF(pte);
	if (!alloc)
		return -ENOENT;
	off = memfile_alloc(sentry_memfile, 1);
	if (off < 0)
		return off;
	if (pgtable_set(&s->table, i << PAGE_SHIFT, (uint64_t)off | PTE_PRESENT) < 0) {
		memfile_unref(sentry_memfile, (uint64_t)off, 1);
		return -ENOMEM;
	}
	s->used++;
	return off;
}

ssize_t shmem_rw(struct mapping_obj *obj, void *buf, size_t len, uint64_t pos, bool write)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	size_t done = 0;
	ssize_t ret = 0;

	pthread_mutex_lock(&s->lock);
	while (done < len) {
		uint64_t at = pos + done;
		size_t n = MIN(len - done, PAGE_SIZE - (at & ~PAGE_MASK));
		int64_t off = page_of(s, at >> PAGE_SHIFT, write);

		if (off == -ENOENT) {
			memset((uint8_t *)buf + done, 0, n);	/* a hole reads as zeros */
		} else if (off < 0) {
			ret = off;
			break;
		} else if (write) {
			memcpy((uint8_t *)memfile_ptr(sentry_memfile, (uint64_t)off) + (at & ~PAGE_MASK),
			       (const uint8_t *)buf + done, n);
		} else {
			memcpy((uint8_t *)buf + done,
			       (uint8_t *)memfile_ptr(sentry_memfile, (uint64_t)off) + (at & ~PAGE_MASK), n);
		}
		done += n;
	}
	pthread_mutex_unlock(&s->lock);
	return done ? (ssize_t)done : ret;
}

struct drop_ctx {
	struct shmem *s;
};

static int drop_entry(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct drop_ctx *d = arg;

	memfile_unref(sentry_memfile, PTE_OFF(*pte), 1);
	*pte = 0;
	d->s->used--;
	return 0;
}

void shmem_resize(struct mapping_obj *obj, uint64_t size)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	struct drop_ctx d = { s };
	uint64_t pte;

	pthread_mutex_lock(&s->lock);
	s->pages = PAGE_ALIGN_UP(size) >> PAGE_SHIFT;
	/* Shrinking drops the pages past the end and zeroes the tail of the
	 * last one, so growing again shows zeros there. */
	pgtable_walk(&s->table, PAGE_ALIGN_UP(size), 1ULL << PGTABLE_VA_BITS, drop_entry, &d);
	pte = (size & ~PAGE_MASK) ? pgtable_get(&s->table, size & PAGE_MASK) : 0;
	if (pte)
		memset((uint8_t *)memfile_ptr(sentry_memfile, PTE_OFF(pte)) + (size & ~PAGE_MASK), 0,
		       PAGE_SIZE - (size & ~PAGE_MASK));
	pthread_mutex_unlock(&s->lock);
}

uint64_t shmem_used_pages(struct mapping_obj *obj)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->used;
	pthread_mutex_unlock(&s->lock);
	return n;
}

struct each_ctx {
	int (*fn)(uint64_t idx, uint64_t off, void *arg);
	void *arg;
};

static int each_page(uaddr_t addr, uint64_t *pte, void *arg)
{
	struct each_ctx *e = arg;

	return e->fn(addr >> PAGE_SHIFT, PTE_OFF(*pte), e->arg);
}

int shmem_for_each_page(struct mapping_obj *obj, int (*fn)(uint64_t idx, uint64_t off, void *arg), void *arg)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	struct each_ctx e = { fn, arg };
	int r;

	pthread_mutex_lock(&s->lock);
	r = pgtable_walk(&s->table, 0, 1ULL << PGTABLE_VA_BITS, each_page, &e);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int shmem_restore_page(struct mapping_obj *obj, uint64_t idx, uint64_t off)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	int r;

	if (idx >= (1ULL << (PGTABLE_VA_BITS - PAGE_SHIFT)) || (off & ~PAGE_MASK))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (idx >= s->pages || pgtable_get(&s->table, idx << PAGE_SHIFT))
		r = -EINVAL;
	else
		r = pgtable_set(&s->table, idx << PAGE_SHIFT, off | PTE_PRESENT);
	if (r == 0)
		s->used++;
	pthread_mutex_unlock(&s->lock);
	return r;
}

bool shmem_is(const struct mapping_obj *obj)
{
	return obj->ops == &shmem_ops;
}

uint64_t shmem_size_pages(struct mapping_obj *obj)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->pages;
	pthread_mutex_unlock(&s->lock);
	return n;
}
