/* The memory file's page allocator: first fit over a sorted, coalesced list
 * of free extents, and a reference count per page.
 *
 * First fit keeps used pages packed at the bottom of the file, which keeps
 * checkpoint images small; a single-page allocation, the page-fault case,
 * is served from the first extent in O(1). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create, fallocate */
#endif
#include "kernel/mm/memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel/lib/log.h"

int (*memfile_ensure)(uint64_t off, uint64_t len);
void (*memfile_discard)(uint64_t off, uint64_t len);
int (*memfile_settle)(void);

/* Free extents are separated by at least one used page, so there are never
 * more than this many; sizing the array for the worst case up front (it is
 * lazily backed) means freeing pages can never fail for lack of memory. */
static uint64_t max_extents(uint64_t pages)
{
	return (pages + 1) / 2;
}

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int memfile_init(struct memfile *mf, uint64_t max_size)
{
	uint64_t pages = max_size >> PAGE_SHIFT;
	size_t size = (size_t)(pages << PAGE_SHIFT);
	size_t refs_size = (size_t)pages * sizeof(*mf->refs);
	size_t free_size = (size_t)max_extents(pages) * sizeof(*mf->free);
	int err;

	memset(mf, 0, sizeof(*mf));
	mf->fd = -1;
	/* Offsets are returned as int64_t. */
	if (pages == 0 || max_size > (uint64_t)INT64_MAX)
		return -EINVAL;

	mf->fd = memfd_create("amber-memory", MFD_CLOEXEC);
	if (mf->fd < 0)
		return -errno;
	if (ftruncate(mf->fd, (off_t)size) < 0) {
		err = -errno;
		goto err_close;
	}
	mf->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, mf->fd, 0);
	if (mf->base == MAP_FAILED) {
		err = -errno;
		goto err_close;
	}
	mf->refs = map_anon(refs_size);
	if (!mf->refs) {
		err = -ENOMEM;
		goto err_unmap_base;
	}
	mf->free = map_anon(free_size);
	if (!mf->free) {
		err = -ENOMEM;
		goto err_unmap_refs;
	}
	err = pthread_mutex_init(&mf->lock, NULL);
	if (err) {
		err = -err;
		goto err_unmap_free;
	}
	mf->max_pages = pages;
	mf->free[0] = (struct memfile_extent){ .start = 0, .count = pages };
	mf->free_count = 1;
	mf->free_cap = (size_t)max_extents(pages);
	return 0;

err_unmap_free:
	munmap(mf->free, free_size);
err_unmap_refs:
	munmap(mf->refs, refs_size);
err_unmap_base:
	munmap(mf->base, size);
err_close:
	close(mf->fd);
	memset(mf, 0, sizeof(*mf));
	mf->fd = -1;
	return err;
}

/* Pages still referenced go with the file: their users must be gone. */
void memfile_destroy(struct memfile *mf)
{
	uint64_t pages = mf->max_pages;

	if (!pages)
		return;
	pthread_mutex_destroy(&mf->lock);
	munmap(mf->free, (size_t)max_extents(pages) * sizeof(*mf->free));
	munmap(mf->refs, (size_t)pages * sizeof(*mf->refs));
	munmap(mf->base, (size_t)(pages << PAGE_SHIFT));
	close(mf->fd);
	memset(mf, 0, sizeof(*mf));
	mf->fd = -1;
}

/* Converts a caller's byte range to pages; false when it is not page
 * aligned or reaches outside the file. */
static bool page_range(const struct memfile *mf, uint64_t off, uint64_t npages, uint64_t *first)
{
	*first = off >> PAGE_SHIFT;
	return !(off & (PAGE_SIZE - 1)) && npages <= mf->max_pages &&
	       *first <= mf->max_pages - npages;
}

int64_t memfile_alloc(struct memfile *mf, uint64_t npages)
{
	struct memfile_extent *e;
	uint64_t start;
	size_t i;

	if (npages == 0)
		return -EINVAL;
	pthread_mutex_lock(&mf->lock);
	if (mf->limit_pages && mf->used_pages + npages > mf->limit_pages) {
		pthread_mutex_unlock(&mf->lock);
		return -ENOMEM;
	}
	for (i = 0; i < mf->free_count; i++)
		if (mf->free[i].count >= npages)
			break;
	if (i == mf->free_count) {
		pthread_mutex_unlock(&mf->lock);
		return -ENOMEM;
	}
	e = &mf->free[i];
	start = e->start;
	e->start += npages;
	e->count -= npages;
	if (!e->count) {
		memmove(e, e + 1, (mf->free_count - i - 1) * sizeof(*e));
		mf->free_count--;
	}
	for (uint64_t p = start; p < start + npages; p++)
		mf->refs[p] = 1;
	mf->used_pages += npages;
	pthread_mutex_unlock(&mf->lock);
	return (int64_t)(start << PAGE_SHIFT);
}

void memfile_ref(struct memfile *mf, uint64_t off, uint64_t npages)
{
	uint64_t first, p;

	if (!page_range(mf, off, npages, &first)) {
		log_error("memfile_ref: bad range %#" PRIx64 " +%" PRIu64 " pages", off, npages);
		return;
	}
	pthread_mutex_lock(&mf->lock);
	/* Check everything first so a bad call changes nothing. */
	for (p = first; p < first + npages; p++) {
		if (mf->refs[p] == 0 || mf->refs[p] == UINT32_MAX) {
			log_error("memfile_ref: page %#" PRIx64 " has refcount %" PRIu32,
				  p << PAGE_SHIFT, mf->refs[p]);
			pthread_mutex_unlock(&mf->lock);
			return;
		}
	}
	for (p = first; p < first + npages; p++)
		mf->refs[p]++;
	pthread_mutex_unlock(&mf->lock);
}

/* Adds [start, start + count) to the free list, joining the neighbours it
 * touches. Called with the lock held. */
static void free_list_add(struct memfile *mf, uint64_t start, uint64_t count)
{
	struct memfile_extent *e = mf->free;
	size_t n = mf->free_count, lo = 0, hi = n;
	bool join_prev, join_next;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	join_prev = lo > 0 && e[lo - 1].start + e[lo - 1].count == start;
	join_next = lo < n && e[lo].start == start + count;
	if (join_prev && join_next) {
		e[lo - 1].count += count + e[lo].count;
		memmove(&e[lo], &e[lo + 1], (n - lo - 1) * sizeof(*e));
		mf->free_count--;
	} else if (join_prev) {
		e[lo - 1].count += count;
	} else if (join_next) {
		e[lo].start = start;
		e[lo].count += count;
	} else if (n < mf->free_cap) {
		memmove(&e[lo + 1], &e[lo], (n - lo) * sizeof(*e));
		e[lo] = (struct memfile_extent){ .start = start, .count = count };
		mf->free_count++;
	} else {
		/* Impossible while refcounts are right; leaking beats corrupting. */
		log_error("memfile: free list full, leaking %" PRIu64 " pages", count);
	}
}

/* Returns a run of pages whose last reference is gone to the host and to the
 * free list. The hole is punched before the pages can be handed out again,
 * so the next owner reads zeros. Called with the lock held. */
static void free_run(struct memfile *mf, uint64_t start, uint64_t count)
{
	off_t off = (off_t)(start << PAGE_SHIFT), len = (off_t)(count << PAGE_SHIFT);
	int r;

	/* A lazy restore must not fill the hole later with the image's
	 * old content. */
	if (memfile_discard)
		memfile_discard((uint64_t)off, (uint64_t)len);
	do
		r = fallocate(mf->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		log_error("memfile: punch hole at %#" PRIx64 ": %s; zeroing instead",
			  (uint64_t)off, strerror(errno));
		memset(mf->base + off, 0, (size_t)len);
	}
	free_list_add(mf, start, count);
	mf->used_pages -= count;
}

void memfile_unref(struct memfile *mf, uint64_t off, uint64_t npages)
{
	uint64_t first, p, run = 0;

	if (!page_range(mf, off, npages, &first)) {
		log_error("memfile_unref: bad range %#" PRIx64 " +%" PRIu64 " pages", off, npages);
		return;
	}
	pthread_mutex_lock(&mf->lock);
	for (p = first; p < first + npages; p++) {
		if (mf->refs[p] == 0) {
			log_error("memfile_unref: page %#" PRIx64 " is not allocated", p << PAGE_SHIFT);
			pthread_mutex_unlock(&mf->lock);
			return;
		}
	}
	/* Pages freed next to each other are released in one call. */
	for (p = first; p < first + npages; p++) {
		if (--mf->refs[p] == 0) {
			run++;
		} else if (run) {
			free_run(mf, p - run, run);
			run = 0;
		}
	}
	if (run)
		free_run(mf, p - run, run);
	pthread_mutex_unlock(&mf->lock);
}

uint32_t memfile_refcount(struct memfile *mf, uint64_t off)
{
	uint64_t page;
	uint32_t refs;

	if (!page_range(mf, PAGE_ALIGN_DOWN(off), 1, &page)) {
		log_error("memfile_refcount: offset %#" PRIx64 " out of range", off);
		return 0;
	}
	pthread_mutex_lock(&mf->lock);
	refs = mf->refs[page];
	pthread_mutex_unlock(&mf->lock);
	return refs;
}

void memfile_set_limit(struct memfile *mf, uint64_t bytes)
{
	pthread_mutex_lock(&mf->lock);
	mf->limit_pages = bytes >> PAGE_SHIFT;
	pthread_mutex_unlock(&mf->lock);
}

int memfile_restore_refs(struct memfile *mf, const uint64_t *pages, const uint32_t *counts, size_t n)
{
	uint64_t next = 0;

	pthread_mutex_lock(&mf->lock);
	if (mf->used_pages) {
		pthread_mutex_unlock(&mf->lock);
		return -EBUSY;
	}
	for (size_t i = 0; i < n; i++)
		if (pages[i] >= mf->max_pages || (i && pages[i] <= pages[i - 1]) || !counts[i]) {
			pthread_mutex_unlock(&mf->lock);
			return -EINVAL;
		}
	mf->free_count = 0;
	for (size_t i = 0; i < n; i++) {
		if (pages[i] > next)
			mf->free[mf->free_count++] = (struct memfile_extent){ .start = next, .count = pages[i] - next };
		mf->refs[pages[i]] = counts[i];
		next = pages[i] + 1;
	}
	if (next < mf->max_pages)
		mf->free[mf->free_count++] = (struct memfile_extent){ .start = next, .count = mf->max_pages - next };
	mf->used_pages = n;
	pthread_mutex_unlock(&mf->lock);
	return 0;
}
