/* The pages reader: index validation when opened, then chunk loads on
 * demand from any number of threads; see pages.h.
 *
 * Nothing read from the file is used before it is checked: counts are
 * bounded and must fit the file before anything is allocated for them,
 * the tables' checksums are verified before they are decoded, and a
 * chunk's checksum before it reaches LZ4, whose output must be exactly
 * the chunk's size. */
#include "state/pages.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lz4.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "state/fault.h"
#include "state/pages_format.h"

#define CHUNK_BYTES	(PAGES_CHUNK_PAGES * PAGE_SIZE)

struct rchunk {
	uint64_t offset;
	uint32_t size, pages, flags;
	uint64_t hash;
	size_t first_run;
	uint32_t run_count;
};

/* A pair of buffers for one load: the stored bytes and the pages. */
struct lbuf {
	struct lbuf *next;
	uint8_t *raw;
	uint8_t *plain;
};

struct pages_reader {
	int fd;				/* a dup of the caller's; never changes */
	uint64_t file_size;		/* never changes, nor do the tables */
	struct pages_run *runs;
	size_t run_count;
	struct rchunk *chunks;
	uint64_t chunk_count;
	uint64_t stored, end;
	_Atomic int8_t *state;		/* enum pages_chunk_state per chunk; set under lock */
	atomic_uint_fast64_t loaded;
	pthread_mutex_t lock;		/* protects the fields below and state changes */
	pthread_cond_t cond;		/* a chunk left PAGES_CHUNK_LOADING */
	struct lbuf *free_bufs;
	char err[256];			/* first load failure, "" when none */
};

/* How a load places its pages; direct, when set, lets a chunk made of one
 * run decompress straight into its destination. */
struct placer {
	pages_place_fn place;
	void *arg;
	uint8_t *direct_base;
};

static int read_at(int fd, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;
	int err = fault_hit("pages.read");

	if (err)
		return err;
	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;	/* the file shrank under us */
		done += (size_t)n;
	}
	return 0;
}

static int fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return err;
}

static int read_table(struct pages_reader *pr, uint64_t off, size_t len, uint64_t hash, const char *what,
		      uint8_t **out, char *errbuf, size_t errlen)
{
	uint8_t *buf = malloc(len ? len : 1);
	int err;

	if (!buf)
		return fail(errbuf, errlen, -ENOMEM, "pages: no memory for the %s (%zu bytes)", what, len);
	err = read_at(pr->fd, off, buf, len);
	if (err) {
		free(buf);
		return fail(errbuf, errlen, err, "pages: reading the %s: %s", what, strerror(-err));
	}
	if (XXH64(buf, len, 0) != hash) {
		free(buf);
		return fail(errbuf, errlen, -EBADMSG, "pages: %s checksum mismatch", what);
	}
	*out = buf;
	return 0;
}

static int check_header(struct pages_reader *pr, char *errbuf, size_t errlen)
{
	uint8_t h[PF_HEADER_SIZE];
	uint32_t version, page_size;
	int err = read_at(pr->fd, 0, h, sizeof(h));

	if (err)
		return fail(errbuf, errlen, err, "pages: reading the header: %s", strerror(-err));
	if (memcmp(h, PF_MAGIC, 8) != 0)
		return fail(errbuf, errlen, -EBADMSG, "pages: bad magic");
	version = pf_get32(h + 8);
	if (version == 0)
		return fail(errbuf, errlen, -EBADMSG, "pages: bad format version 0");
	if (version > PF_VERSION)
		return fail(errbuf, errlen, -EPROTONOSUPPORT,
			    "pages: format version %u is newer than this Amber reads (%u)", version, PF_VERSION);
	page_size = pf_get32(h + 12);
	if (page_size != PAGE_SIZE)
		return fail(errbuf, errlen, -EBADMSG, "pages: page size %u, expected %lu", page_size, PAGE_SIZE);
	return 0;
}

/* Decodes and checks the chunk table: chunks back to back from data_off
 * to table_off, sizes bounded, no unknown flags. */
static int decode_chunks(struct pages_reader *pr, const uint8_t *t, uint64_t data_off, uint64_t table_off,
			 char *errbuf, size_t errlen)
{
	uint64_t expect = data_off;

	for (uint64_t c = 0; c < pr->chunk_count; c++) {
		const uint8_t *p = t + c * PF_CHUNK_SIZE;
		struct rchunk *ch = &pr->chunks[c];
		uint32_t max;

		ch->offset = pf_get64(p);
		ch->size = pf_get32(p + 8);
		ch->pages = pf_get32(p + 12);
		ch->flags = pf_get32(p + 16);
		ch->hash = pf_get64(p + 24);
		if (ch->pages == 0 || ch->pages > PAGES_CHUNK_PAGES)
			return fail(errbuf, errlen, -EBADMSG, "pages: chunk %" PRIu64 " holds %u pages (1..%d)",
				    c, ch->pages, PAGES_CHUNK_PAGES);
		if ((ch->flags & ~PF_CHUNK_FLAGS) || pf_get32(p + 20) != 0)
			return fail(errbuf, errlen, -EBADMSG, "pages: chunk %" PRIu64 " has unknown flags %#x",
				    c, ch->flags);
		max = (ch->flags & PF_CHUNK_RAW) ? ch->pages * (uint32_t)PAGE_SIZE
						 : (uint32_t)LZ4_compressBound((int)(ch->pages * PAGE_SIZE));
		if (ch->size == 0 || ch->size > max ||
		    ((ch->flags & PF_CHUNK_RAW) && ch->size != ch->pages * PAGE_SIZE))
			return fail(errbuf, errlen, -EBADMSG, "pages: chunk %" PRIu64 " has a bad size %u for %u pages",
				    c, ch->size, ch->pages);
		if (ch->offset != expect)
			return fail(errbuf, errlen, -EBADMSG,
				    "pages: chunk %" PRIu64 " at offset %" PRIu64 " overlaps or leaves a gap (expected %" PRIu64 ")",
				    c, ch->offset, expect);
		if (ch->size > table_off - expect)
			return fail(errbuf, errlen, -EBADMSG, "pages: chunk %" PRIu64 " runs past the chunk data", c);
		expect += ch->size;
	}
	if (expect != table_off)
		return fail(errbuf, errlen, -EBADMSG, "pages: %" PRIu64 " bytes between the last chunk and the chunk table",
			    table_off - expect);
	return 0;
}

/* Decodes and checks the run table: sorted, disjoint, in range, and
 * filling each chunk's pages in order. */
static int decode_runs(struct pages_reader *pr, const uint8_t *t, char *errbuf, size_t errlen)
{
	uint64_t prev_end = 0, c = 0;
	uint32_t fill = 0;

	for (size_t i = 0; i < pr->run_count; i++) {
		const uint8_t *p = t + i * PF_RUN_SIZE;
		struct pages_run *r = &pr->runs[i];

		r->start = pf_get64(p);
		r->count = pf_get32(p + 8);
		r->chunk = pf_get32(p + 12);
		r->chunk_page = pf_get32(p + 16);
		if (r->count == 0 || r->start >= PAGES_MAX_PAGE || r->count > PAGES_MAX_PAGE - r->start ||
		    pf_get32(p + 20) != 0)
			return fail(errbuf, errlen, -EBADMSG, "pages: run %zu (page %" PRIu64 " +%u) is out of range",
				    i, r->start, r->count);
		if (i > 0 && r->start < prev_end)
			return fail(errbuf, errlen, -EBADMSG, "pages: run %zu overlaps or is out of order", i);
		if (r->chunk >= pr->chunk_count)
			return fail(errbuf, errlen, -EBADMSG, "pages: run %zu points at chunk %u of %" PRIu64,
				    i, r->chunk, pr->chunk_count);
		if (r->chunk != c || r->chunk_page != fill)
			return fail(errbuf, errlen, -EBADMSG,
				    "pages: run %zu points at chunk %u page %u, expected chunk %" PRIu64 " page %u",
				    i, r->chunk, r->chunk_page, c, fill);
		if (r->count > pr->chunks[c].pages - fill)
			return fail(errbuf, errlen, -EBADMSG, "pages: run %zu overfills chunk %" PRIu64, i, c);
		if (fill == 0)
			pr->chunks[c].first_run = i;
		pr->chunks[c].run_count++;
		fill += r->count;
		if (fill == pr->chunks[c].pages) {
			c++;
			fill = 0;
		}
		prev_end = r->start + r->count;
		pr->stored += r->count;
	}
	if (c != pr->chunk_count)
		return fail(errbuf, errlen, -EBADMSG, "pages: chunk %" PRIu64 " is not filled by runs", c);
	pr->end = prev_end;
	return 0;
}

static int check_index(struct pages_reader *pr, char *errbuf, size_t errlen)
{
	uint8_t tr[PF_TRAILER_SIZE], *runs_raw = NULL, *chunks_raw = NULL;
	uint64_t trailer_off = pr->file_size - PF_TRAILER_SIZE;
	uint64_t run_count, chunk_count, table_off, runs_end;
	int err = read_at(pr->fd, trailer_off, tr, sizeof(tr));

	if (err)
		return fail(errbuf, errlen, err, "pages: reading the trailer: %s", strerror(-err));
	if (memcmp(tr, PF_TRAILER_MAGIC, 8) != 0)
		return fail(errbuf, errlen, -EBADMSG, "pages: bad trailer magic (truncated?)");
	if (XXH64(tr, 56, 0) != pf_get64(tr + 56))
		return fail(errbuf, errlen, -EBADMSG, "pages: trailer checksum mismatch");
	if (pf_get32(tr + 8) != PF_VERSION || pf_get32(tr + 12) != 0)
		return fail(errbuf, errlen, -EBADMSG, "pages: trailer version %u does not match", pf_get32(tr + 8));
	run_count = pf_get64(tr + 16);
	chunk_count = pf_get64(tr + 24);
	table_off = pf_get64(tr + 32);
	if (run_count > PAGES_MAX_RUNS || chunk_count > PAGES_MAX_CHUNKS || (run_count == 0) != (chunk_count == 0))
		return fail(errbuf, errlen, -EBADMSG, "pages: %" PRIu64 " runs in %" PRIu64 " chunks is out of range",
			    run_count, chunk_count);
	/* Bounded counts: none of these sums can overflow. */
	runs_end = PF_HEADER_SIZE + run_count * PF_RUN_SIZE;
	if (runs_end > table_off || table_off > trailer_off || trailer_off - table_off != chunk_count * PF_CHUNK_SIZE)
		return fail(errbuf, errlen, -EBADMSG,
			    "pages: %" PRIu64 " runs and %" PRIu64 " chunks do not fit the file (%" PRIu64 " bytes)",
			    run_count, chunk_count, pr->file_size);
	pr->run_count = (size_t)run_count;
	pr->chunk_count = chunk_count;

	err = read_table(pr, PF_HEADER_SIZE, (size_t)(run_count * PF_RUN_SIZE), pf_get64(tr + 40), "run table",
			 &runs_raw, errbuf, errlen);
	if (err)
		goto out;
	err = read_table(pr, table_off, (size_t)(chunk_count * PF_CHUNK_SIZE), pf_get64(tr + 48), "chunk table",
			 &chunks_raw, errbuf, errlen);
	if (err)
		goto out;
	pr->runs = malloc((run_count + 1) * sizeof(*pr->runs));
	pr->chunks = calloc(chunk_count + 1, sizeof(*pr->chunks));
	pr->state = calloc(chunk_count + 1, sizeof(*pr->state));
	if (!pr->runs || !pr->chunks || !pr->state) {
		err = fail(errbuf, errlen, -ENOMEM, "pages: no memory for the index");
		goto out;
	}
	err = decode_chunks(pr, chunks_raw, runs_end, table_off, errbuf, errlen);
	if (!err)
		err = decode_runs(pr, runs_raw, errbuf, errlen);
out:
	free(runs_raw);
	free(chunks_raw);
	return err;
}

int pages_open(struct pages_reader **prp, int fd, char *errbuf, size_t errlen)
{
	struct pages_reader *pr;
	struct stat st;
	int err;

	*prp = NULL;
	if (errlen)
		errbuf[0] = 0;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return fail(errbuf, errlen, -ENOMEM, "pages: out of memory");
	pr->fd = -1;
	pthread_mutex_init(&pr->lock, NULL);
	pthread_cond_init(&pr->cond, NULL);
	pr->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (pr->fd < 0) {
		err = fail(errbuf, errlen, -errno, "pages: %s", strerror(errno));
		goto err_free;
	}
	if (fstat(pr->fd, &st) < 0) {
		err = fail(errbuf, errlen, -errno, "pages: %s", strerror(errno));
		goto err_free;
	}
	if (!S_ISREG(st.st_mode)) {
		err = fail(errbuf, errlen, -EINVAL, "pages: not a regular file");
		goto err_free;
	}
	pr->file_size = (uint64_t)st.st_size;
	if (pr->file_size < PF_HEADER_SIZE + PF_TRAILER_SIZE) {
		err = fail(errbuf, errlen, -EBADMSG, "pages: truncated (%" PRIu64 " bytes)", pr->file_size);
		goto err_free;
	}
	err = check_header(pr, errbuf, errlen);
	if (!err)
		err = check_index(pr, errbuf, errlen);
	if (err)
		goto err_free;
	*prp = pr;
	return 0;

err_free:
	pages_close(pr);
	return err;
}

void pages_close(struct pages_reader *pr)
{
	struct lbuf *b, *next;

	if (!pr)
		return;
	for (b = pr->free_bufs; b; b = next) {
		next = b->next;
		free(b->raw);
		free(b->plain);
		free(b);
	}
	if (pr->fd >= 0)
		close(pr->fd);
	pthread_cond_destroy(&pr->cond);
	pthread_mutex_destroy(&pr->lock);
	free(pr->state);
	free(pr->chunks);
	free(pr->runs);
	free(pr);
}

uint64_t pages_chunk_count(const struct pages_reader *pr)
{
	return pr->chunk_count;
}

uint64_t pages_stored(const struct pages_reader *pr)
{
	return pr->stored;
}

uint64_t pages_end(const struct pages_reader *pr)
{
	return pr->end;
}

size_t pages_run_count(const struct pages_reader *pr)
{
	return pr->run_count;
}

const struct pages_run *pages_run_get(const struct pages_reader *pr, size_t i)
{
	return i < pr->run_count ? &pr->runs[i] : NULL;
}

size_t pages_run_find(const struct pages_reader *pr, uint64_t page)
{
	size_t lo = 0, hi = pr->run_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pr->runs[mid].start + pr->runs[mid].count <= page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int64_t pages_chunk_of(const struct pages_reader *pr, uint64_t page)
{
	size_t i = pages_run_find(pr, page);

	if (i == pr->run_count || pr->runs[i].start > page)
		return -ENOENT;
	return pr->runs[i].chunk;
}

enum pages_chunk_state pages_chunk_state(const struct pages_reader *pr, uint64_t chunk)
{
	if (chunk >= pr->chunk_count)
		return PAGES_CHUNK_FAILED;
	return (enum pages_chunk_state)atomic_load_explicit(&pr->state[chunk], memory_order_acquire);
}

bool pages_chunk_loaded(const struct pages_reader *pr, uint64_t chunk)
{
	return pages_chunk_state(pr, chunk) == PAGES_CHUNK_LOADED;
}

uint64_t pages_loaded_chunks(const struct pages_reader *pr)
{
	return atomic_load(&((struct pages_reader *)pr)->loaded);
}

const char *pages_error(struct pages_reader *pr)
{
	return pr->err;
}

static struct lbuf *get_buf(struct pages_reader *pr)
{
	struct lbuf *b;

	pthread_mutex_lock(&pr->lock);
	b = pr->free_bufs;
	if (b)
		pr->free_bufs = b->next;
	pthread_mutex_unlock(&pr->lock);
	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->raw = malloc((size_t)LZ4_compressBound(CHUNK_BYTES));
	b->plain = malloc(CHUNK_BYTES);
	if (!b->raw || !b->plain) {
		free(b->raw);
		free(b->plain);
		free(b);
		return NULL;
	}
	return b;
}

static void put_buf(struct pages_reader *pr, struct lbuf *b)
{
	pthread_mutex_lock(&pr->lock);
	b->next = pr->free_bufs;
	pr->free_bufs = b;
	pthread_mutex_unlock(&pr->lock);
}

/* Reads, checks and places chunk c. msg gets the reason for a failure. */
static int do_load(struct pages_reader *pr, uint64_t c, const struct placer *pl, char *msg, size_t msglen)
{
	const struct rchunk *ch = &pr->chunks[c];
	const struct pages_run *runs = &pr->runs[ch->first_run];
	size_t bytes = (size_t)ch->pages * PAGE_SIZE;
	bool raw = ch->flags & PF_CHUNK_RAW;
	uint8_t *direct = NULL, *stored, *plain;
	struct lbuf *b = get_buf(pr);
	int err = 0;

	if (!b)
		return fail(msg, msglen, -ENOMEM, "pages: chunk %" PRIu64 ": out of memory", c);
	if (pl->direct_base && ch->run_count == 1)
		direct = pl->direct_base + runs[0].start * PAGE_SIZE;
	/* A raw chunk is its pages: read it where the pages go. */
	stored = raw && direct ? direct : b->raw;
	err = read_at(pr->fd, ch->offset, stored, ch->size);
	if (err) {
		fail(msg, msglen, err, "pages: chunk %" PRIu64 ": read: %s", c,
		     err == -EBADMSG ? "file truncated" : strerror(-err));
		goto out;
	}
	if (XXH64(stored, ch->size, 0) != ch->hash) {
		err = fail(msg, msglen, -EBADMSG, "pages: chunk %" PRIu64 " checksum mismatch", c);
		goto out;
	}
	if (raw) {
		plain = stored;
	} else {
		plain = direct ? direct : b->plain;
		if (LZ4_decompress_safe((const char *)stored, (char *)plain, (int)ch->size, (int)bytes) != (int)bytes) {
			err = fail(msg, msglen, -EBADMSG, "pages: chunk %" PRIu64 " does not decompress to %zu bytes",
				   c, bytes);
			goto out;
		}
	}
	if (plain == direct)
		goto out;
	for (uint32_t i = 0; i < ch->run_count; i++) {
		err = pl->place(pl->arg, runs[i].start, plain + (size_t)runs[i].chunk_page * PAGE_SIZE, runs[i].count);
		if (err) {
			fail(msg, msglen, err, "pages: chunk %" PRIu64 ": placing pages at %#" PRIx64 ": %s", c,
			     runs[i].start * PAGE_SIZE, strerror(-err));
			goto out;
		}
	}
out:
	put_buf(pr, b);
	return err;
}

static int load_chunk(struct pages_reader *pr, uint64_t c, const struct placer *pl)
{
	char msg[sizeof(pr->err)];
	int8_t s;
	int err;

	if (c >= pr->chunk_count)
		return -EINVAL;
	if (atomic_load_explicit(&pr->state[c], memory_order_acquire) == PAGES_CHUNK_LOADED)
		return 0;
	pthread_mutex_lock(&pr->lock);
	for (;;) {
		s = atomic_load(&pr->state[c]);
		if (s == PAGES_CHUNK_LOADED || s == PAGES_CHUNK_FAILED) {
			pthread_mutex_unlock(&pr->lock);
			return s == PAGES_CHUNK_LOADED ? 0 : -EBADMSG;
		}
		if (s == PAGES_CHUNK_UNLOADED)
			break;
		pthread_cond_wait(&pr->cond, &pr->lock);
	}
	atomic_store(&pr->state[c], PAGES_CHUNK_LOADING);
	pthread_mutex_unlock(&pr->lock);

	msg[0] = 0;
	err = do_load(pr, c, pl, msg, sizeof(msg));

	pthread_mutex_lock(&pr->lock);
	if (!err) {
		atomic_fetch_add(&pr->loaded, 1);
		atomic_store_explicit(&pr->state[c], PAGES_CHUNK_LOADED, memory_order_release);
	} else {
		/* Corruption is forever; anything else may pass on a retry. */
		atomic_store(&pr->state[c], err == -EBADMSG ? PAGES_CHUNK_FAILED : PAGES_CHUNK_UNLOADED);
		if (!pr->err[0])
			memcpy(pr->err, msg, sizeof(pr->err));
	}
	pthread_cond_broadcast(&pr->cond);
	pthread_mutex_unlock(&pr->lock);
	return err;
}

int pages_load_chunk_with(struct pages_reader *pr, uint64_t chunk, pages_place_fn place, void *arg)
{
	struct placer pl = { .place = place, .arg = arg };

	return load_chunk(pr, chunk, &pl);
}

static int copy_place(void *arg, uint64_t page, const void *src, uint64_t count)
{
	memcpy((uint8_t *)arg + page * PAGE_SIZE, src, count * PAGE_SIZE);
	return 0;
}

static int check_dst(struct pages_reader *pr, uint64_t dst_size)
{
	if (pr->end > dst_size / PAGE_SIZE) {
		pthread_mutex_lock(&pr->lock);
		if (!pr->err[0])
			snprintf(pr->err, sizeof(pr->err),
				 "pages: the image reaches page %" PRIu64 ", past the %" PRIu64 "-page destination",
				 pr->end, dst_size / PAGE_SIZE);
		pthread_mutex_unlock(&pr->lock);
		return -ERANGE;
	}
	return 0;
}

int pages_load_chunk(struct pages_reader *pr, uint64_t chunk, uint8_t *dst_base, uint64_t dst_size)
{
	struct placer pl = { .place = copy_place, .arg = dst_base, .direct_base = dst_base };
	int err = check_dst(pr, dst_size);

	return err ? err : load_chunk(pr, chunk, &pl);
}

static int pwrite_place(void *arg, uint64_t page, const void *src, uint64_t count)
{
	int fd = *(const int *)arg;
	size_t len = (size_t)count * PAGE_SIZE, done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const uint8_t *)src + done, len - done, (off_t)(page * PAGE_SIZE + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

struct load_all {
	struct pages_reader *pr;
	struct placer pl;
	atomic_uint_fast64_t next;
	atomic_int err;
};

static void *load_all_worker(void *arg)
{
	struct load_all *la = arg;

	while (!atomic_load(&la->err)) {
		uint64_t c = atomic_fetch_add(&la->next, 1);
		int err;

		if (c >= la->pr->chunk_count)
			break;
		err = load_chunk(la->pr, c, &la->pl);
		if (err) {
			int none = 0;

			atomic_compare_exchange_strong(&la->err, &none, err);
		}
	}
	return NULL;
}

int pages_load_all(struct pages_reader *pr, uint8_t *dst_base, uint64_t dst_size, unsigned threads)
{
	struct load_all la = {
		.pr = pr,
		.pl = { .place = copy_place, .arg = dst_base, .direct_base = dst_base },
	};
	int err = check_dst(pr, dst_size);

	if (err)
		return err;
	pages_run_parallel(pages_threads(threads), load_all_worker, &la);
	return atomic_load(&la.err);
}

int pages_load_all_fd(struct pages_reader *pr, int fd, uint64_t size, unsigned threads)
{
	struct load_all la = { .pr = pr, .pl = { .place = pwrite_place, .arg = &fd } };
	int err = check_dst(pr, size);

	if (err)
		return err;
	pages_run_parallel(pages_threads(threads), load_all_worker, &la);
	return atomic_load(&la.err);
}
