/* The memory file: one memfd per sandbox holding every page of application
 * memory (anonymous memory, tmpfs data, cached pages of gofer files).
 * The sentry maps the whole file into itself once, so a page's sentry
 * address is base + offset. Pages are reference counted: a page shared by
 * a page cache and a private mapping, or by two address spaces after fork,
 * is freed (its memory returned to the host) when the last user drops it. */
#ifndef AMBER_MM_MEMFILE_H
#define AMBER_MM_MEMFILE_H

#include <pthread.h>
#include "kernel/lib/types.h"

struct memfile_extent {
	uint64_t start;		/* page index */
	uint64_t count;		/* pages */
};

struct memfile {
	int fd;				/* the memfd; never changes after init */
	uint8_t *base;			/* sentry mapping of [0, max_size); never changes */
	uint64_t max_pages;		/* never changes */
	pthread_mutex_t lock;		/* protects everything below */
	uint32_t *refs;			/* per-page reference counts, lazily backed */
	struct memfile_extent *free;	/* free extents, sorted by start, coalesced */
	size_t free_count, free_cap;
	uint64_t used_pages;		/* pages with refs > 0 */
	uint64_t limit_pages;		/* 0: none; else allocations past it fail (memory limit) */
};

/* Creates the memfd (sized max_size, which is reserved, not committed) and
 * maps it. Returns 0 or -errno. */
int memfile_init(struct memfile *mf, uint64_t max_size);
void memfile_destroy(struct memfile *mf);
/* Caps the pages in use (a container's memory limit); 0 removes the cap. */
void memfile_set_limit(struct memfile *mf, uint64_t bytes);

/* Allocates npages contiguous zeroed pages, each with one reference.
 * Returns the byte offset in the file (>= 0) or -ENOMEM. */
int64_t memfile_alloc(struct memfile *mf, uint64_t npages);
/* Adds a reference to each of npages pages starting at byte offset off. */
void memfile_ref(struct memfile *mf, uint64_t off, uint64_t npages);
/* Drops a reference from each page; pages reaching zero are freed, their
 * memory released to the host (fallocate PUNCH_HOLE), and must read as
 * zero when allocated again. */
void memfile_unref(struct memfile *mf, uint64_t off, uint64_t npages);
/* Current reference count of the page at byte offset off. */
uint32_t memfile_refcount(struct memfile *mf, uint64_t off);

/* Restore: marks pages[i] (page indexes, strictly increasing) used with
 * counts[i] references, on a file with no page in use; every other page
 * is free. Returns 0, -EBUSY or -EINVAL. */
int memfile_restore_refs(struct memfile *mf, const uint64_t *pages, const uint32_t *counts, size_t n);

/* Set during a lazy restore: makes [off, off + len) of the memory file
 * hold its content before a stub maps it. NULL otherwise. */
extern int (*memfile_ensure)(uint64_t off, uint64_t len);
/* Also set during a lazy restore: the range is freed, its image content
 * must never be loaded there; and: load everything now (a checkpoint reads
 * the file through its fd, where a page not loaded yet reads as zeros). */
extern void (*memfile_discard)(uint64_t off, uint64_t len);
extern int (*memfile_settle)(void);

static inline void *memfile_ptr(struct memfile *mf, uint64_t off)
{
	return mf->base + off;
}

#endif
