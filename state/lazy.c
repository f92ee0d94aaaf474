/* Lazy restore with userfaultfd.
 *
 * Design
 *
 * The memory file is a memfd; the sentry maps all of it MAP_SHARED at
 * base. Before the sandbox runs, that mapping is registered with a
 * userfaultfd in MISSING mode, which shmem supports: a sentry access to a
 * page absent from the file's page cache blocks and queues an event.
 * Pages present in the file (already loaded) fault normally. Two threads
 * fill the file:
 *
 *  - the handler reads fault events. For a page the image stores, it
 *    loads that page's whole chunk (decompressing 1 MiB costs about as
 *    much as the round trip, and neighbours are likely next); for a page
 *    the image does not store (zero, or free and about to be allocated) it
 *    installs a zero page. Then it wakes the faulting thread.
 *  - the loader walks the chunks in order and loads every one not loaded
 *    yet, so the sandbox stops faulting soon and the file is whole in
 *    bounded time. When the last chunk is in, it unregisters the range
 *    (which wakes anything still waiting: their pages are now present or
 *    legitimately empty), stops the handler, and marks the restore done.
 *
 * Both place pages with UFFDIO_COPY rather than, say, pwrite on the memfd:
 *  - it is atomic per page: a page appears whole or not at all, and a
 *    thread faulting on it meanwhile sleeps in the kernel until it is in;
 *  - it wakes the threads waiting on the range it fills;
 *  - it never overwrites: if a page is present already (EEXIST) it is
 *    skipped, so a race can never put an image page over newer data;
 *  - it maps the pages into the sentry as it goes, saving minor faults.
 * The handler and the loader never race on a chunk: pages_load_chunk_with
 * lets one thread load a chunk and makes the others wait for it, and a
 * fault whose chunk the loader is busy with waits the same way (counted
 * in faults_waited).
 *
 * Zero pages: UFFDIO_ZEROPAGE is offered for shmem since Linux 4.13 and
 * works on this host's 6.18 (it allocates a zeroed page in the file, as
 * shmem has no shared zero page); where the registration does not offer
 * it, UFFDIO_COPY from a zero page does the same. A fault on a page the
 * image stores whose chunk is already loaded means the page was freed
 * (hole punched) since: it gets a zero page too. Either fill returning
 * EEXIST means the page arrived meanwhile: the thread is just woken.
 *
 * Freed pages: the kernel punches a hole when a page's last user drops
 * it, and the next owner must read zeros. If the image still had to place
 * that page, the hole would be filled with stale data. lazy_discard marks
 * such pages in a bitmap that every placement checks; a read-write lock
 * orders the two, so a page is either placed before the mark (and the
 * punch that follows removes it) or never.
 *
 * Neither thread ever touches the registered mapping itself: it would
 * fault into its own queue.
 *
 * LAZY_EAGER skips all this: every core decompresses and pwrites into
 * the memory file (no page faults, which are dear on virtual machines:
 * see pages_write.c), and lazy_start returns when the file is whole. */
#include "state/lazy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MSG_BATCH 16

struct lazy {
	struct pages_reader *pr;	/* borrowed; never changes */
	uint8_t *base;			/* never changes */
	uint64_t size, pages;		/* never change */
	enum lazy_mode mode;		/* never changes */
	int uffd, stop_efd;		/* -1 when unused */
	bool zeropage;			/* UFFDIO_ZEROPAGE offered; never changes */
	uint8_t *zero;			/* a zero page for UFFDIO_COPY otherwise */
	pthread_t handler, loader;
	bool handler_started, loader_started;
	atomic_bool stop;		/* lazy_free: the loader gives up */
	atomic_bool done;		/* every chunk in, range unregistered */
	uint64_t t0;			/* lazy_start, CLOCK_MONOTONIC ns */
	void (*on_error)(void *arg, int err, const char *msg);
	void *on_error_arg;

	pthread_rwlock_t discard_lock;	/* write: marking; read: placing pages */
	uint64_t *discarded;		/* bit per page below pages_end; discard_lock */

	pthread_mutex_t lock;		/* protects err and finishing */
	pthread_cond_t cond;		/* done or err changed */
	int err;			/* first load error */
	bool finishing;			/* someone is unregistering */

	atomic_uint_fast64_t first_fault_ns, all_loaded_ns;
	atomic_uint_fast64_t faults, faults_waited, zero_fills, bytes_loaded;
	atomic_uint_fast64_t chunks_fault, chunks_ensure, chunks_background;
};

/* Which counter a load is made for; the place callback's argument. */
struct load_ctx {
	struct lazy *l;
	atomic_uint_fast64_t *chunks;
	bool placed;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t since_start(const struct lazy *l)
{
	uint64_t d = now_ns() - l->t0;

	return d ? d : 1;	/* 0 means "not yet" */
}

static void report_error(struct lazy *l, int err)
{
	bool first;

	pthread_mutex_lock(&l->lock);
	first = !l->err;
	if (first)
		l->err = err;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	if (first && l->on_error)
		l->on_error(l->on_error_arg, err, pages_error(l->pr));
}

static bool is_discarded(const struct lazy *l, uint64_t page)
{
	return l->discarded[page / 64] & (1ull << (page % 64));
}

/* UFFDIO_COPY of count pages at page, skipping pages already present.
 * Returns the pages placed, or -errno. */
static int64_t copy_pages(struct lazy *l, uint64_t page, const uint8_t *src, uint64_t count)
{
	uint64_t done = 0, placed = 0;

	while (done < count) {
		struct uffdio_copy c = {
			.dst = (uintptr_t)(l->base + (page + done) * PAGE_SIZE),
			.src = (uintptr_t)(src + done * PAGE_SIZE),
			.len = (count - done) * PAGE_SIZE,
		};

		if (ioctl(l->uffd, UFFDIO_COPY, &c) == 0) {
			placed += count - done;
			break;
		}
		if (c.copy > 0) {
			/* Partial: the rest is retried from where it stopped. */
			done += (uint64_t)c.copy / PAGE_SIZE;
			placed += (uint64_t)c.copy / PAGE_SIZE;
			continue;
		}
		if (errno == EEXIST)
			done++;		/* present already: never overwrite it */
		else if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return (int64_t)placed;
}

/* Places a run of the image: every page not discarded, with UFFDIO_COPY. */
static int uffd_place(void *arg, uint64_t page, const void *src, uint64_t count)
{
	struct load_ctx *ctx = arg;
	struct lazy *l = ctx->l;
	const uint8_t *p = src;
	uint64_t i = 0, placed = 0;
	int err = 0;

	pthread_rwlock_rdlock(&l->discard_lock);
	while (i < count && !err) {
		uint64_t n = 0;
		int64_t r;

		while (i < count && is_discarded(l, page + i))
			i++;
		while (i + n < count && !is_discarded(l, page + i + n))
			n++;
		if (!n)
			break;
		r = copy_pages(l, page + i, p + i * PAGE_SIZE, n);
		if (r < 0)
			err = (int)r;
		else
			placed += (uint64_t)r;
		i += n;
	}
	pthread_rwlock_unlock(&l->discard_lock);
	if (err)
		return err;
	atomic_fetch_add(&l->bytes_loaded, placed * PAGE_SIZE);
	ctx->placed = true;
	return 0;
}

static int load(struct lazy *l, uint64_t chunk, atomic_uint_fast64_t *counter)
{
	struct load_ctx ctx = { .l = l, .chunks = counter };
	int err = pages_load_chunk_with(l->pr, chunk, uffd_place, &ctx);

	if (err)
		report_error(l, err);
	else if (ctx.placed)
		atomic_fetch_add(counter, 1);
	return err;
}

/* Installs a zero page at page, or wakes its waiters if it is present. */
static void zero_or_wake(struct lazy *l, uint64_t page)
{
	uintptr_t addr = (uintptr_t)(l->base + page * PAGE_SIZE);
	int r;

	if (l->zeropage) {
		struct uffdio_zeropage z = { .range = { .start = addr, .len = PAGE_SIZE } };

		r = ioctl(l->uffd, UFFDIO_ZEROPAGE, &z);
	} else {
		struct uffdio_copy c = { .dst = addr, .src = (uintptr_t)l->zero, .len = PAGE_SIZE };

		r = ioctl(l->uffd, UFFDIO_COPY, &c);
	}
	if (r == 0) {
		atomic_fetch_add(&l->zero_fills, 1);
		return;
	}
	if (errno == EEXIST) {
		struct uffdio_range w = { .start = addr, .len = PAGE_SIZE };

		ioctl(l->uffd, UFFDIO_WAKE, &w);
	}
	/* Anything else: the range was unregistered meanwhile, which woke
	 * the thread already. */
}

static void serve_fault(struct lazy *l, uint64_t addr)
{
	uint64_t page = (addr - (uintptr_t)l->base) / PAGE_SIZE, expected = 0;
	int64_t chunk;

	if (addr < (uintptr_t)l->base || page >= l->pages)
		return;		/* not ours: cannot happen with one registration */
	atomic_fetch_add(&l->faults, 1);
	chunk = pages_chunk_of(l->pr, page);
	if (chunk >= 0 && !pages_chunk_loaded(l->pr, (uint64_t)chunk)) {
		atomic_fetch_add(&l->faults_waited, 1);
		if (load(l, (uint64_t)chunk, &l->chunks_fault) < 0)
			return;	/* the faulting task stays blocked: see lazy.h */
	}
	/* Timed before the zero fill or wake: a chunk's load has woken the
	 * thread already, and it may run first. */
	atomic_compare_exchange_strong(&l->first_fault_ns, &expected, since_start(l));
	zero_or_wake(l, page);
}

static void *handler_main(void *arg)
{
	struct lazy *l = arg;
	struct uffd_msg msgs[MSG_BATCH];

	for (;;) {
		struct pollfd p[2] = { { .fd = l->uffd, .events = POLLIN }, { .fd = l->stop_efd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		n = read(l->uffd, msgs, sizeof(msgs));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(msgs[0]); i++)
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT)
				serve_fault(l, msgs[i].arg.pagefault.address);
	}
	return NULL;
}

/* Unregisters the mapping and wakes every thread still waiting in it:
 * its page is present now, or is one the image does not hold, which the
 * host fills with zeros once the range is no longer registered.
 *
 * UFFDIO_UNREGISTER wakes waiters itself, but before it takes the VMA
 * away, and faults that run under the per-VMA lock (not mmap_lock, which
 * it holds) can still queue on the still-armed VMA in between; nothing
 * would wake them (seen on 6.18: a reader hung about once in 50 runs).
 * Such a fault holds the VMA lock until it is queued, and unregistering
 * waits for that lock, so every straggler is queued by the time the call
 * returns: one UFFDIO_WAKE, which needs no registration, reaches them all. */
static void unregister(struct lazy *l)
{
	struct uffdio_range r = { .start = (uintptr_t)l->base, .len = l->size };

	ioctl(l->uffd, UFFDIO_UNREGISTER, &r);
	r = (struct uffdio_range){ .start = (uintptr_t)l->base, .len = l->size };
	ioctl(l->uffd, UFFDIO_WAKE, &r);
}

/* Tells the handler to return. An eventfd add of 1 cannot fail short of
 * overflowing a counter nobody reads but the handler. */
static void signal_stop(struct lazy *l)
{
	uint64_t one = 1;
	ssize_t r;

	if (l->stop_efd < 0)
		return;
	r = write(l->stop_efd, &one, sizeof(one));
	(void)r;
}

/* Called once everything is loaded: unregisters, stops the handler, and
 * marks the restore done. Idempotent. */
static void complete(struct lazy *l)
{
	uint64_t expected = 0;

	pthread_mutex_lock(&l->lock);
	if (l->finishing || atomic_load(&l->done)) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	l->finishing = true;
	pthread_mutex_unlock(&l->lock);

	atomic_compare_exchange_strong(&l->all_loaded_ns, &expected, since_start(l));
	unregister(l);
	signal_stop(l);

	pthread_mutex_lock(&l->lock);
	atomic_store(&l->done, true);
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

/* Loads every chunk not loaded yet, then completes. */
static int load_rest(struct lazy *l, atomic_uint_fast64_t *counter)
{
	uint64_t n = pages_chunk_count(l->pr);

	for (uint64_t c = 0; c < n; c++) {
		int err;

		if (atomic_load(&l->stop))
			return -ECANCELED;
		if (pages_chunk_loaded(l->pr, c))
			continue;
		err = load(l, c, counter);
		if (err)
			return err;
	}
	complete(l);
	return 0;
}

static void *loader_main(void *arg)
{
	struct lazy *l = arg;

	load_rest(l, &l->chunks_background);
	return NULL;
}

static int open_uffd(const struct lazy_opts *opts)
{
	int fd, dev;

	if (opts->uffd_dev_fd >= 0) {
		fd = ioctl(opts->uffd_dev_fd, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		return fd < 0 ? -errno : fd;
	}
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		return fd;
	/* Without CAP_SYS_PTRACE the syscall may be refused where the
	 * device's permissions allow it. */
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -EPERM;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	close(dev);
	return fd < 0 ? -errno : fd;
}

static int setup_uffd(struct lazy *l, const struct lazy_opts *opts, char *errbuf, size_t errlen)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MISSING_SHMEM };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)l->base, .len = l->size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	l->uffd = open_uffd(opts);
	if (l->uffd < 0) {
		int err = l->uffd;

		l->uffd = -1;
		snprintf(errbuf, errlen, "lazy restore: userfaultfd: %s", strerror(-err));
		return err;
	}
	if (ioctl(l->uffd, UFFDIO_API, &api) < 0 || !(api.features & UFFD_FEATURE_MISSING_SHMEM)) {
		snprintf(errbuf, errlen, "lazy restore: userfaultfd cannot handle shmem on this kernel");
		return -EOPNOTSUPP;
	}
	if (ioctl(l->uffd, UFFDIO_REGISTER, &reg) < 0) {
		int err = -errno;

		snprintf(errbuf, errlen, "lazy restore: registering the memory file: %s", strerror(errno));
		return err;
	}
	if (!(reg.ioctls & (1ull << _UFFDIO_COPY))) {
		struct uffdio_range r = reg.range;

		ioctl(l->uffd, UFFDIO_UNREGISTER, &r);
		snprintf(errbuf, errlen, "lazy restore: UFFDIO_COPY is not offered for the memory file");
		return -EOPNOTSUPP;
	}
	l->zeropage = reg.ioctls & (1ull << _UFFDIO_ZEROPAGE);
	return 0;
}

static void stop_threads(struct lazy *l)
{
	atomic_store(&l->stop, true);
	signal_stop(l);
	if (l->loader_started)
		pthread_join(l->loader, NULL);
	if (l->handler_started)
		pthread_join(l->handler, NULL);
	l->loader_started = l->handler_started = false;
}

int lazy_start(struct lazy **lp, const struct lazy_mem *mem, struct pages_reader *pr,
	       const struct lazy_opts *opts, char *errbuf, size_t errlen)
{
	struct lazy *l;
	int err;

	*lp = NULL;
	if (errlen)
		errbuf[0] = 0;
	if (!mem->base || mem->size % PAGE_SIZE || pages_end(pr) > mem->size / PAGE_SIZE) {
		snprintf(errbuf, errlen, "lazy restore: the image reaches page %" PRIu64 ", the memory file has %" PRIu64,
			 pages_end(pr), mem->size / PAGE_SIZE);
		return -ERANGE;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(errbuf, errlen, "lazy restore: out of memory");
		return -ENOMEM;
	}
	l->pr = pr;
	l->base = mem->base;
	l->size = mem->size;
	l->pages = mem->size / PAGE_SIZE;
	l->mode = opts->mode;
	l->uffd = l->stop_efd = -1;
	l->on_error = opts->on_error;
	l->on_error_arg = opts->on_error_arg;
	l->t0 = now_ns();
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	pthread_rwlock_init(&l->discard_lock, NULL);

	if (l->mode == LAZY_EAGER) {
		err = mem->fd >= 0 ? pages_load_all_fd(pr, mem->fd, mem->size, opts->threads)
				   : pages_load_all(pr, mem->base, mem->size, opts->threads);
		if (err) {
			snprintf(errbuf, errlen, "%s", pages_error(pr));
			goto err_free;
		}
		atomic_store(&l->bytes_loaded, pages_stored(pr) * PAGE_SIZE);
		atomic_store(&l->chunks_background, pages_chunk_count(pr));
		atomic_store(&l->all_loaded_ns, since_start(l));
		atomic_store(&l->done, true);
		*lp = l;
		return 0;
	}

	l->zero = calloc(1, PAGE_SIZE);
	l->discarded = calloc(pages_end(pr) / 64 + 1, sizeof(*l->discarded));
	if (!l->zero || !l->discarded) {
		err = -ENOMEM;
		snprintf(errbuf, errlen, "lazy restore: out of memory");
		goto err_free;
	}
	err = setup_uffd(l, opts, errbuf, errlen);
	if (err)
		goto err_free;
	l->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->stop_efd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "lazy restore: eventfd: %s", strerror(errno));
		goto err_free;
	}
	err = -pthread_create(&l->handler, NULL, handler_main, l);
	if (err) {
		snprintf(errbuf, errlen, "lazy restore: starting the fault handler: %s", strerror(-err));
		goto err_free;
	}
	l->handler_started = true;
	if (l->mode == LAZY_BACKGROUND) {
		err = -pthread_create(&l->loader, NULL, loader_main, l);
		if (err) {
			snprintf(errbuf, errlen, "lazy restore: starting the loader: %s", strerror(-err));
			goto err_free;
		}
		l->loader_started = true;
	}
	*lp = l;
	return 0;

err_free:
	/* Nothing ran yet: lazy_free stops what started and unregisters. */
	lazy_free(l);
	return err;
}

int lazy_ensure(struct lazy *l, uint64_t off, uint64_t len)
{
	uint64_t first, end, last_chunk = UINT64_MAX;
	size_t n = pages_run_count(l->pr);

	if (off > l->size || len > l->size - off)
		return -EINVAL;
	if (atomic_load(&l->done) || len == 0)
		return 0;
	first = off / PAGE_SIZE;
	end = (off + len + PAGE_SIZE - 1) / PAGE_SIZE;
	for (size_t i = pages_run_find(l->pr, first); i < n; i++) {
		const struct pages_run *r = pages_run_get(l->pr, i);
		int err;

		if (r->start >= end)
			break;
		if (r->chunk == last_chunk || pages_chunk_loaded(l->pr, r->chunk))
			continue;
		last_chunk = r->chunk;
		err = load(l, r->chunk, &l->chunks_ensure);
		if (err)
			return err;
	}
	return 0;
}

int lazy_discard(struct lazy *l, uint64_t off, uint64_t len)
{
	uint64_t first, end;

	if (off % PAGE_SIZE || len % PAGE_SIZE || off > l->size || len > l->size - off)
		return -EINVAL;
	if (atomic_load(&l->done))
		return 0;
	/* Pages past the image's last are never placed. */
	first = off / PAGE_SIZE;
	end = MIN((off + len) / PAGE_SIZE, pages_end(l->pr));
	pthread_rwlock_wrlock(&l->discard_lock);
	for (uint64_t p = first; p < end; p++)
		l->discarded[p / 64] |= 1ull << (p % 64);
	pthread_rwlock_unlock(&l->discard_lock);
	return 0;
}

int lazy_finish(struct lazy *l)
{
	int err;

	if (l->mode == LAZY_ON_DEMAND && !atomic_load(&l->done))
		load_rest(l, &l->chunks_background);
	pthread_mutex_lock(&l->lock);
	while (!atomic_load(&l->done) && !l->err)
		pthread_cond_wait(&l->cond, &l->lock);
	err = l->err;
	pthread_mutex_unlock(&l->lock);
	if (!err) {
		/* Done: the loader has returned and the handler was told to stop. */
		if (l->loader_started)
			pthread_join(l->loader, NULL);
		if (l->handler_started)
			pthread_join(l->handler, NULL);
		l->loader_started = l->handler_started = false;
	}
	return err;
}

bool lazy_done(struct lazy *l)
{
	return atomic_load(&l->done);
}

void lazy_stats(struct lazy *l, struct lazy_stats *st)
{
	st->first_fault_ns = atomic_load(&l->first_fault_ns);
	st->all_loaded_ns = atomic_load(&l->all_loaded_ns);
	st->faults = atomic_load(&l->faults);
	st->faults_waited = atomic_load(&l->faults_waited);
	st->zero_fills = atomic_load(&l->zero_fills);
	st->bytes_loaded = atomic_load(&l->bytes_loaded);
	st->chunks_fault = atomic_load(&l->chunks_fault);
	st->chunks_ensure = atomic_load(&l->chunks_ensure);
	st->chunks_background = atomic_load(&l->chunks_background);
}

void lazy_stats_line(const struct lazy_stats *st, char *buf, size_t len)
{
	snprintf(buf, len,
		 "restore: %.1f MiB loaded in %.3f s; first fault served at %.3f ms; %" PRIu64
		 " faults (%" PRIu64 " waited for a chunk, %" PRIu64 " zero fills); chunks by fault %" PRIu64
		 ", ensure %" PRIu64 ", background %" PRIu64,
		 (double)st->bytes_loaded / (1 << 20), (double)st->all_loaded_ns / 1e9,
		 (double)st->first_fault_ns / 1e6, st->faults, st->faults_waited, st->zero_fills,
		 st->chunks_fault, st->chunks_ensure, st->chunks_background);
}

void lazy_free(struct lazy *l)
{
	if (!l)
		return;
	stop_threads(l);
	if (l->uffd >= 0 && !atomic_load(&l->done))
		unregister(l);
	if (l->uffd >= 0)
		close(l->uffd);
	if (l->stop_efd >= 0)
		close(l->stop_efd);
	pthread_rwlock_destroy(&l->discard_lock);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	free(l->discarded);
	free(l->zero);
	free(l);
}
