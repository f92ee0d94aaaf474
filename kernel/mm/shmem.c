/* Anonymous shared memory (MAP_SHARED | MAP_ANONYMOUS): an object that
 * owns its pages, so that they outlive any one mapping of them (madvise,
 * mremap, and later fork, which shares them). */
#include "kernel/mm/mm.h"

#include <errno.h>
#include <stdlib.h>

struct shmem {
	struct mapping_obj obj;
	int refs;			/* atomic */
	uint64_t pages;			/* size; never changes */
	pthread_mutex_t lock;		/* protects table */
	struct pgtable table;		/* page index << PAGE_SHIFT -> memory-file page */
};

static long shmem_get_pages(struct mapping_obj *obj, uint64_t pgoff, uint64_t count, uint64_t *offs)
{
	struct shmem *s = container_of(obj, struct shmem, obj);
	uint64_t i = 0;
	long ret = 0;

	if (pgoff >= s->pages)
		return -EIO;
	count = MIN(count, s->pages - pgoff);
	pthread_mutex_lock(&s->lock);
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
