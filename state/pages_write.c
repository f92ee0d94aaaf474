/* The pages writer: finds the zero pages, lays the rest out in chunks,
 * compresses the chunks on every core and writes the file in one pass.
 *
 *  1. scan (parallel): one bit per used page, set when the page is not
 *     zero. Holes of the memory file are found with SEEK_DATA/SEEK_HOLE
 *     and never read. Work is handed out in blocks, since a random page
 *     is judged at its first word and a zero page only at its last.
 *  2. layout (serial): the nonzero pages, in order, fill chunks of
 *     PAGES_CHUNK_PAGES pages; a run is split where a chunk ends.
 *  3. compress and write: workers compress chunks into a ring of slots
 *     while this thread writes them out in chunk order. A worker takes
 *     chunk c only when c's slot is free, so at most `slots` compressed
 *     chunks are held in memory whatever the size of the image.
 *
 * With the memory file's fd, pages are read with pread, not through the
 * mapping: reading a mapping populates page tables page by page (a fault
 * each, and a TLB entry each), which on a virtual machine with shadow
 * paging costs ten times the copy (this host: 1.1 GB/s through a
 * populated mapping, 10 GB/s with pread; 0.5 GB/s through a fresh one).
 *
 * The world is stopped while this runs: the pages do not change. */
#include "state/pages.h"

#include <errno.h>
#include <inttypes.h>
#include <lz4.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "state/fault.h"
#include "state/pages_format.h"

#define SCAN_BLOCK	4096	/* positions handed to a scan worker at a time; a multiple of 64 */
#define SCAN_READ	64	/* pages a scan worker preads at a time */
#define TABLE_BATCH	512	/* table entries encoded per write */

struct wchunk {
	size_t first_run;
	uint32_t run_count;
	uint32_t pages;
};

struct layout {
	const struct pages_source *src;
	uint64_t used;			/* used pages: positions 0..used-1 */
	uint64_t *prefix;		/* prefix[i]: position of extent i's first page */
	uint64_t *nonzero;		/* bit per position: page is not zero */
	atomic_uint_fast64_t next_block;	/* scan: next block to hand out */
	atomic_uint_fast64_t holes;
	atomic_int scan_err;		/* first scan failure, or 0 */
	struct pages_run *runs;
	size_t run_count, run_cap;
	struct wchunk *chunks;
	uint64_t chunk_count;
	uint64_t stored;
	char *errbuf;
	size_t errlen;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;

	/* One cache line at a time, so a nonzero page is judged early. */
	for (size_t i = 0; i < PAGE_SIZE / 8; i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			return false;
	return true;
}

/* Reads count pages at page from the memory file into buf. */
static int read_pages(int fd, uint64_t page, uint64_t count, uint8_t *buf)
{
	size_t len = (size_t)count * PAGE_SIZE, done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)(page * PAGE_SIZE + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* the memory file is shorter than its extents */
		done += (size_t)n;
	}
	return 0;
}

/* Sets the bits of the nonzero pages among count pages at page (position
 * pos), reading them with pread into buf (SCAN_READ pages) when the file
 * is known, else through the mapping. */
static int mark_data(struct layout *l, uint64_t pos, uint64_t page, uint64_t count, uint8_t *buf)
{
	const uint8_t *base = l->src->base;

	while (count) {
		uint64_t n = l->src->fd >= 0 ? MIN(count, (uint64_t)SCAN_READ) : count;
		const uint8_t *data = base + page * PAGE_SIZE;

		if (l->src->fd >= 0) {
			int err = read_pages(l->src->fd, page, n, buf);

			if (err)
				return err;
			data = buf;
		}
		for (uint64_t i = 0; i < n; i++, pos++)
			if (!page_is_zero(data + i * PAGE_SIZE))
				l->nonzero[pos / 64] |= 1ull << (pos % 64);
		page += n;
		count -= n;
	}
	return 0;
}

/* Scans pages [page, page + count) at positions from pos. */
static int scan_segment(struct layout *l, uint64_t pos, uint64_t page, uint64_t count, uint8_t *buf)
{
	int fd = l->src->fd, err;
	uint64_t cur = page, end = page + count;

	if (fd < 0)
		return mark_data(l, pos, page, count, buf);
	while (cur < end) {
		off_t d = lseek(fd, (off_t)(cur * PAGE_SIZE), SEEK_DATA);
		uint64_t dpage, hpage;
		off_t h;

		if (d < 0 && errno == ENXIO) {
			dpage = end;		/* nothing but holes up to the end of the file */
		} else if (d < 0) {
			dpage = cur;		/* the file cannot say: read everything */
		} else {
			dpage = (uint64_t)d / PAGE_SIZE;
			if (dpage > end)
				dpage = end;
			if (dpage < cur)
				dpage = cur;
		}
		atomic_fetch_add(&l->holes, dpage - cur);
		cur = dpage;
		if (cur >= end)
			break;
		h = d < 0 ? -1 : lseek(fd, (off_t)(cur * PAGE_SIZE), SEEK_HOLE);
		hpage = h < 0 ? end : ((uint64_t)h + PAGE_SIZE - 1) / PAGE_SIZE;
		if (hpage > end)
			hpage = end;
		if (hpage <= cur)
			hpage = cur + 1;
		err = mark_data(l, pos + (cur - page), cur, hpage - cur, buf);
		if (err)
			return err;
		cur = hpage;
	}
	return 0;
}

/* The extent holding position pos. */
static size_t extent_of(const struct layout *l, uint64_t pos)
{
	size_t lo = 0, hi = l->src->extent_count;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->prefix[mid] <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void scan_failed(struct layout *l, int err)
{
	int none = 0;

	atomic_compare_exchange_strong(&l->scan_err, &none, err);
}

static void *scan_worker(void *arg)
{
	struct layout *l = arg;
	const struct memfile_extent *ext = l->src->extents;
	uint8_t *buf = NULL;

	if (l->src->fd >= 0) {
		buf = malloc(SCAN_READ * PAGE_SIZE);
		if (!buf) {
			scan_failed(l, -ENOMEM);
			return NULL;
		}
	}
	while (!atomic_load(&l->scan_err)) {
		uint64_t block = atomic_fetch_add(&l->next_block, 1);
		uint64_t pos = block * SCAN_BLOCK, end;
		size_t e;

		if (pos >= l->used)
			break;
		end = MIN(pos + SCAN_BLOCK, l->used);
		e = extent_of(l, pos);
		while (pos < end) {
			uint64_t in_ext = pos - l->prefix[e];
			uint64_t n = MIN(end, l->prefix[e + 1]) - pos;
			int err = scan_segment(l, pos, ext[e].start + in_ext, n, buf);

			if (err) {
				scan_failed(l, err);
				break;
			}
			pos += n;
			e++;
		}
	}
	free(buf);
	return NULL;
}

void pages_run_parallel(unsigned threads, void *(*fn)(void *), void *arg)
{
	pthread_t tid[PAGES_MAX_THREADS];
	unsigned started = 0;

	for (unsigned i = 1; i < threads; i++, started++)
		if (pthread_create(&tid[started], NULL, fn, arg) != 0)
			break;
	fn(arg);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

static int check_extents(struct layout *l)
{
	const struct pages_source *src = l->src;
	uint64_t prev_end = 0;

	l->prefix = malloc((src->extent_count + 1) * sizeof(*l->prefix));
	if (!l->prefix)
		return -ENOMEM;
	for (size_t i = 0; i < src->extent_count; i++) {
		const struct memfile_extent *e = &src->extents[i];

		if (e->count == 0 || e->start < prev_end || e->start >= PAGES_MAX_PAGE ||
		    e->count > PAGES_MAX_PAGE - e->start) {
			snprintf(l->errbuf, l->errlen, "pages: extent %zu (%" PRIu64 "+%" PRIu64
				 ") is empty, unsorted or out of range", i, e->start, e->count);
			return -EINVAL;
		}
		l->prefix[i] = l->used;
		l->used += e->count;
		prev_end = e->start + e->count;
	}
	l->prefix[src->extent_count] = l->used;
	if (l->used && src->fd < 0 && !src->base) {
		snprintf(l->errbuf, l->errlen, "pages: no memory mapping given");
		return -EINVAL;
	}
	/* Past the end, SEEK_DATA would call the pages holes (and a mapping
	 * would raise SIGBUS): refuse rather than write zeros. */
	if (src->fd >= 0 && l->used) {
		struct stat st;

		if (fstat(src->fd, &st) < 0)
			return -errno;
		if ((uint64_t)st.st_size / PAGE_SIZE < prev_end) {
			snprintf(l->errbuf, l->errlen, "pages: the extents reach page %" PRIu64
				 ", past the memory file's %" PRIu64, prev_end, (uint64_t)st.st_size / PAGE_SIZE);
			return -EINVAL;
		}
	}
	return 0;
}

static int add_run(struct layout *l, uint64_t page, uint32_t chunk, uint32_t chunk_page)
{
	if (l->run_count == l->run_cap) {
		size_t cap = l->run_cap ? l->run_cap * 2 : 1024;
		struct pages_run *r = realloc(l->runs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		l->runs = r;
		l->run_cap = cap;
	}
	l->runs[l->run_count++] = (struct pages_run){
		.start = page, .count = 1, .chunk = chunk, .chunk_page = chunk_page,
	};
	return 0;
}

/* Appends a nonzero page to the layout. */
static int add_page(struct layout *l, uint64_t page)
{
	struct wchunk *c;
	struct pages_run *last = l->run_count ? &l->runs[l->run_count - 1] : NULL;
	int err;

	if (l->chunk_count == 0 || l->chunks[l->chunk_count - 1].pages == PAGES_CHUNK_PAGES) {
		l->chunks[l->chunk_count] = (struct wchunk){ .first_run = l->run_count };
		l->chunk_count++;
		last = NULL;	/* a run never spans two chunks */
	}
	c = &l->chunks[l->chunk_count - 1];
	if (last && last->start + last->count == page) {
		last->count++;
	} else {
		err = add_run(l, page, (uint32_t)(l->chunk_count - 1), c->pages);
		if (err)
			return err;
		c->run_count++;
	}
	c->pages++;
	l->stored++;
	return 0;
}

static int build_layout(struct layout *l)
{
	const struct pages_source *src = l->src;
	uint64_t stored = 0, pos = 0;
	int err;

	for (uint64_t w = 0; w < (l->used + 63) / 64; w++)
		stored += (uint64_t)__builtin_popcountll(l->nonzero[w]);
	l->chunks = calloc((stored + PAGES_CHUNK_PAGES - 1) / PAGES_CHUNK_PAGES + 1, sizeof(*l->chunks));
	if (!l->chunks)
		return -ENOMEM;
	for (size_t e = 0; e < src->extent_count; e++) {
		const struct memfile_extent *ext = &src->extents[e];

		for (uint64_t k = 0; k < ext->count; k++, pos++) {
			/* Skip empty words whole: zero-heavy files are common. */
			if (pos % 64 == 0 && l->nonzero[pos / 64] == 0 && ext->count - k >= 64) {
				k += 63;
				pos += 63;
				continue;
			}
			if (!(l->nonzero[pos / 64] & (1ull << (pos % 64))))
				continue;
			err = add_page(l, ext->start + k);
			if (err)
				return err;
		}
	}
	return 0;
}

struct out {
	int fd;
	uint64_t off;
	XXH64_state_t *hash;		/* of the whole file */
	char *errbuf;
	size_t errlen;
};

static int out_write(struct out *o, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;
	int err = fault_hit("pages.write");

	while (!err && done < len) {
		ssize_t n = write(o->fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		else if (n == 0)
			err = -EIO;
		else
			done += (size_t)n;
	}
	if (err) {
		snprintf(o->errbuf, o->errlen, "pages: write at offset %" PRIu64 ": %s",
			 o->off + done, strerror(-err));
		return err;
	}
	XXH64_update(o->hash, buf, len);
	o->off += len;
	return 0;
}

static int write_runs(struct out *o, const struct layout *l, uint64_t *runs_hash)
{
	uint8_t header[PF_HEADER_SIZE], batch[TABLE_BATCH * PF_RUN_SIZE];
	XXH64_state_t *h = XXH64_createState();
	int err;

	if (!h)
		return -ENOMEM;
	XXH64_reset(h, 0);
	memcpy(header, PF_MAGIC, 8);
	pf_put32(header + 8, PF_VERSION);
	pf_put32(header + 12, PAGE_SIZE);
	err = out_write(o, header, sizeof(header));
	for (size_t i = 0; !err && i < l->run_count; i += TABLE_BATCH) {
		size_t n = MIN((size_t)TABLE_BATCH, l->run_count - i);

		for (size_t k = 0; k < n; k++) {
			const struct pages_run *r = &l->runs[i + k];
			uint8_t *p = batch + k * PF_RUN_SIZE;

			pf_put64(p, r->start);
			pf_put32(p + 8, r->count);
			pf_put32(p + 12, r->chunk);
			pf_put32(p + 16, r->chunk_page);
			pf_put32(p + 20, 0);
		}
		XXH64_update(h, batch, n * PF_RUN_SIZE);
		err = out_write(o, batch, n * PF_RUN_SIZE);
	}
	*runs_hash = XXH64_digest(h);
	XXH64_freeState(h);
	return err;
}

struct slot {
	uint8_t *stage;			/* the chunk's pages gathered, when from several runs */
	uint8_t *out;			/* compressed */
	const uint8_t *data;		/* what to store: out, stage or the memory file */
	uint32_t size, flags;
	uint64_t hash;
	int err;			/* reading the pages failed */
	bool ready;			/* protected by pipeline.lock */
};

struct chunk_entry {
	uint64_t offset;
	uint32_t size, pages, flags;
	uint64_t hash;
};

struct pipeline {
	const struct layout *l;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t next;			/* next chunk to compress; lock */
	uint64_t written;		/* chunks written; lock */
	bool stop;			/* lock */
	struct slot *slots;		/* chunk c uses slots[c % nslots] */
	unsigned nslots;
};

static void compress_chunk(const struct layout *l, uint64_t c, struct slot *s)
{
	const struct wchunk *ch = &l->chunks[c];
	const struct pages_run *run = &l->runs[ch->first_run];
	const uint8_t *base = l->src->base;
	int in = (int)(ch->pages * PAGE_SIZE), n;
	const uint8_t *src;

	s->err = 0;
	if (l->src->fd >= 0) {
		for (uint32_t i = 0; i < ch->run_count && !s->err; i++)
			s->err = read_pages(l->src->fd, run[i].start, run[i].count,
					    s->stage + (size_t)run[i].chunk_page * PAGE_SIZE);
		if (s->err)
			return;
		src = s->stage;
	} else if (ch->run_count == 1) {
		src = base + run->start * PAGE_SIZE;
	} else {
		for (uint32_t i = 0; i < ch->run_count; i++)
			memcpy(s->stage + (size_t)run[i].chunk_page * PAGE_SIZE,
			       base + run[i].start * PAGE_SIZE, (size_t)run[i].count * PAGE_SIZE);
		src = s->stage;
	}
	n = LZ4_compress_default((const char *)src, (char *)s->out, in, LZ4_compressBound(in));
	if (n <= 0 || n >= in) {
		/* Incompressible: storing it as is saves the reader a pass. */
		s->data = src;
		s->size = (uint32_t)in;
		s->flags = PF_CHUNK_RAW;
	} else {
		s->data = s->out;
		s->size = (uint32_t)n;
		s->flags = 0;
	}
	s->hash = XXH64(s->data, s->size, 0);
}

static void *compress_worker(void *arg)
{
	struct pipeline *p = arg;
	uint64_t c;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->next < p->l->chunk_count && p->next >= p->written + p->nslots)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stop || p->next >= p->l->chunk_count)
			break;
		c = p->next++;
		pthread_mutex_unlock(&p->lock);
		compress_chunk(p->l, c, &p->slots[c % p->nslots]);
		pthread_mutex_lock(&p->lock);
		p->slots[c % p->nslots].ready = true;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Takes chunks from the slots in order and writes them. */
static int write_chunks(struct pipeline *p, struct out *o, struct chunk_entry *table)
{
	uint64_t done_pages = 0;

	for (uint64_t c = 0; c < p->l->chunk_count; c++) {
		struct slot *s = &p->slots[c % p->nslots];
		int err;

		pthread_mutex_lock(&p->lock);
		while (!s->ready)
			pthread_cond_wait(&p->cond, &p->lock);
		pthread_mutex_unlock(&p->lock);
		if (s->err) {
			err = s->err;
			snprintf(o->errbuf, o->errlen, "pages: reading the memory file: %s", strerror(-err));
		} else {
			table[c] = (struct chunk_entry){
				.offset = o->off, .size = s->size, .pages = p->l->chunks[c].pages,
				.flags = s->flags, .hash = s->hash,
			};
			err = out_write(o, s->data, s->size);
		}
		if (!err && p->l->src->progress) {
			done_pages += p->l->chunks[c].pages;
			p->l->src->progress(p->l->src->progress_arg, done_pages, p->l->stored, o->off);
		}
		pthread_mutex_lock(&p->lock);
		s->ready = false;
		p->written++;
		if (err)
			p->stop = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (err)
			return err;
	}
	return 0;
}

static void free_slots(struct slot *slots, unsigned n)
{
	for (unsigned i = 0; slots && i < n; i++) {
		free(slots[i].stage);
		free(slots[i].out);
	}
	free(slots);
}

static int compress_and_write(const struct layout *l, struct out *o, unsigned threads,
			      struct chunk_entry *table)
{
	struct pipeline p = { .l = l, .nslots = threads + 2 };
	pthread_t tid[PAGES_MAX_THREADS];
	unsigned started = 0;
	int err = 0;

	if (l->chunk_count == 0)
		return 0;
	p.slots = calloc(p.nslots, sizeof(*p.slots));
	if (!p.slots)
		return -ENOMEM;
	for (unsigned i = 0; i < p.nslots; i++) {
		p.slots[i].stage = malloc(PAGES_CHUNK_PAGES * PAGE_SIZE);
		p.slots[i].out = malloc((size_t)LZ4_compressBound(PAGES_CHUNK_PAGES * PAGE_SIZE));
		if (!p.slots[i].stage || !p.slots[i].out) {
			err = -ENOMEM;
			goto out_free;
		}
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	for (unsigned i = 0; i < threads; i++, started++)
		if (pthread_create(&tid[started], NULL, compress_worker, &p) != 0)
			break;
	if (started == 0) {
		err = -EAGAIN;
		snprintf(o->errbuf, o->errlen, "pages: cannot start a compression thread");
	} else {
		err = write_chunks(&p, o, table);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
out_free:
	free_slots(p.slots, p.nslots);
	return err;
}

static int write_tail(struct out *o, const struct layout *l, const struct chunk_entry *table,
		      uint64_t runs_hash)
{
	uint8_t batch[TABLE_BATCH * PF_CHUNK_SIZE], trailer[PF_TRAILER_SIZE];
	uint64_t table_off = o->off;
	XXH64_state_t *h = XXH64_createState();
	int err = 0;

	if (!h)
		return -ENOMEM;
	XXH64_reset(h, 0);
	for (uint64_t i = 0; !err && i < l->chunk_count; i += TABLE_BATCH) {
		size_t n = (size_t)MIN((uint64_t)TABLE_BATCH, l->chunk_count - i);

		for (size_t k = 0; k < n; k++) {
			const struct chunk_entry *c = &table[i + k];
			uint8_t *p = batch + k * PF_CHUNK_SIZE;

			pf_put64(p, c->offset);
			pf_put32(p + 8, c->size);
			pf_put32(p + 12, c->pages);
			pf_put32(p + 16, c->flags);
			pf_put32(p + 20, 0);
			pf_put64(p + 24, c->hash);
		}
		XXH64_update(h, batch, n * PF_CHUNK_SIZE);
		err = out_write(o, batch, n * PF_CHUNK_SIZE);
	}
	memcpy(trailer, PF_TRAILER_MAGIC, 8);
	pf_put32(trailer + 8, PF_VERSION);
	pf_put32(trailer + 12, 0);
	pf_put64(trailer + 16, l->run_count);
	pf_put64(trailer + 24, l->chunk_count);
	pf_put64(trailer + 32, table_off);
	pf_put64(trailer + 40, runs_hash);
	pf_put64(trailer + 48, XXH64_digest(h));
	pf_put64(trailer + 56, XXH64(trailer, 56, 0));
	XXH64_freeState(h);
	if (!err)
		err = out_write(o, trailer, sizeof(trailer));
	return err;
}

int pages_write(int fd, const struct pages_source *src, struct pages_stats *st, char *errbuf, size_t errlen)
{
	struct layout l = { .src = src, .errbuf = errbuf, .errlen = errlen };
	struct out o = { .fd = fd, .errbuf = errbuf, .errlen = errlen };
	struct chunk_entry *table = NULL;
	unsigned threads = pages_threads(src->threads);
	uint64_t start = now_ns(), runs_hash = 0;
	int err;

	memset(st, 0, sizeof(*st));
	if (errlen)
		errbuf[0] = 0;
	err = check_extents(&l);
	if (err)
		goto out;
	err = -ENOMEM;
	l.nonzero = calloc((l.used + 63) / 64 + 1, sizeof(*l.nonzero));
	o.hash = XXH64_createState();
	if (!l.nonzero || !o.hash)
		goto out;
	XXH64_reset(o.hash, 0);
	pages_run_parallel(threads, scan_worker, &l);
	err = atomic_load(&l.scan_err);
	if (err) {
		snprintf(errbuf, errlen, "pages: reading the memory file: %s", strerror(-err));
		goto out;
	}
	err = build_layout(&l);
	if (err)
		goto out;
	table = calloc(l.chunk_count + 1, sizeof(*table));
	if (!table) {
		err = -ENOMEM;
		goto out;
	}
	err = write_runs(&o, &l, &runs_hash);
	if (!err)
		err = compress_and_write(&l, &o, threads, table);
	if (!err)
		err = write_tail(&o, &l, table, runs_hash);
	if (err)
		goto out;

	st->scanned = l.used;
	st->holes = atomic_load(&l.holes);
	st->stored = l.stored;
	st->zero = l.used - l.stored;
	st->runs = l.run_count;
	st->chunks = l.chunk_count;
	for (uint64_t c = 0; c < l.chunk_count; c++) {
		st->chunk_bytes += table[c].size;
		st->raw_chunks += !!(table[c].flags & PF_CHUNK_RAW);
	}
	st->file_size = o.off;
	st->file_xxh64 = XXH64_digest(o.hash);
	st->threads = threads;
	st->elapsed_ns = now_ns() - start;
out:
	if (err == -ENOMEM && errlen && !errbuf[0])
		snprintf(errbuf, errlen, "pages: out of memory");
	free(table);
	free(l.chunks);
	free(l.runs);
	free(l.nonzero);
	free(l.prefix);
	if (o.hash)
		XXH64_freeState(o.hash);
	return err;
}

void pages_stats_line(const struct pages_stats *st, char *buf, size_t len)
{
	double stored_mib = (double)st->stored * PAGE_SIZE / (1 << 20);
	double file_mib = (double)st->file_size / (1 << 20);
	double secs = (double)st->elapsed_ns / 1e9;

	snprintf(buf, len,
		 "pages: %" PRIu64 " scanned, %" PRIu64 " zero (%" PRIu64 " holes), %" PRIu64
		 " stored in %" PRIu64 " chunks; %.1f MiB -> %.1f MiB (%.2fx) in %.3f s on %u threads",
		 st->scanned, st->zero, st->holes, st->stored, st->chunks, stored_mib, file_mib,
		 file_mib > 0 ? stored_mib / file_mib : 0.0, secs, st->threads);
}

unsigned pages_threads(unsigned wanted)
{
	long n = wanted ? (long)wanted : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if (n > PAGES_MAX_THREADS)
		n = PAGES_MAX_THREADS;
	return (unsigned)n;
}
