/* The `pages` file of an image: the memory file's used pages, zero pages
 * left out, the rest in independently lz4-compressed chunks of up to
 * PAGES_CHUNK_PAGES pages, so chunks are compressed in parallel and
 * loaded in any order (lazy restore loads the one a fault needs first).
 *
 * The on-disk layout is described in state/pages_format.h. The writer
 * takes the memory file's mapping and its used extents; the reader checks
 * the whole index when opened and every chunk's checksum when it loads it.
 *
 * The reader is thread-safe per chunk: a chunk is loaded once, and
 * concurrent callers for the same chunk wait for the first. */
#ifndef AMBER_STATE_PAGES_H
#define AMBER_STATE_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/mm/memfile.h"

#define PAGES_CHUNK_PAGES	256		/* 1 MiB of uncompressed pages */
#define PAGES_MAX_PAGE		(1ull << 36)	/* page numbers stay below: 256 TiB */
#define PAGES_MAX_CHUNKS	(1ull << 28)
#define PAGES_MAX_RUNS		(1ull << 32)
#define PAGES_MAX_THREADS	64

/* What to write. extents are sorted by start, do not overlap, and have
 * count > 0 (struct memfile_extent: start page, page count). */
struct pages_source {
	const uint8_t *base;		/* mapping of the memory file at offset 0 */
	int fd;				/* the memory file, or -1; see below */
	const struct memfile_extent *extents;
	size_t extent_count;
	unsigned threads;		/* 0: one per online CPU */
	/* Called after each chunk is written, in the writing thread: pages
	 * stored so far, of total, and bytes of the file so far. May be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total, uint64_t bytes);
	void *progress_arg;
};
/* With fd >= 0 the writer asks the file where its holes are
 * (SEEK_DATA/SEEK_HOLE) and counts them as zero pages without reading
 * them (reading a hole of a shared memfd mapping would allocate a page
 * for it), and reads the rest with pread rather than through base, which
 * may then be NULL: see pages_write.c for why. The lseek calls move the
 * file position, which memfile users do not rely on. A memory file still
 * being restored lazily must be finished first (lazy_finish): pread
 * sees a page not loaded yet as zeros. */

struct pages_stats {
	uint64_t scanned;		/* used pages given */
	uint64_t zero;			/* of which zero (not stored) */
	uint64_t holes;			/* of which holes of the file, never read */
	uint64_t stored;		/* pages stored */
	uint64_t runs, chunks;
	uint64_t raw_chunks;		/* chunks stored uncompressed */
	uint64_t chunk_bytes;		/* bytes of chunk data in the file */
	uint64_t file_size;		/* bytes of the whole file */
	uint64_t file_xxh64;		/* XXH64 of the whole file */
	uint64_t elapsed_ns;
	unsigned threads;
};

/* Writes the pages file to fd (borrowed; an empty file positioned at 0)
 * in one sequential pass, so fd may also be a pipe. Fills st. Returns 0
 * or -errno with one line in errbuf. Does not fsync. */
int pages_write(int fd, const struct pages_source *src, struct pages_stats *st, char *errbuf, size_t errlen);

/* One summary line: "pages: 131072 scanned, 32768 zero, ...". */
void pages_stats_line(const struct pages_stats *st, char *buf, size_t len);

struct pages_reader;

/* Opens a pages file: fd is borrowed (the reader keeps a dup). Checks
 * the header, the trailer and the whole index before returning: bounded
 * counts, runs sorted and disjoint, every run inside a chunk, chunks
 * contiguous and inside the file, sizes bounded, checksums. Returns 0
 * with *prp set, or -errno (-EBADMSG for a corrupt file) with one line
 * in errbuf starting "pages: ". */
int pages_open(struct pages_reader **prp, int fd, char *errbuf, size_t errlen);

/* Closes the reader; no load may be running. NULL is allowed. */
void pages_close(struct pages_reader *pr);

uint64_t pages_chunk_count(const struct pages_reader *pr);
uint64_t pages_stored(const struct pages_reader *pr);		/* pages stored */
uint64_t pages_end(const struct pages_reader *pr);		/* one past the last stored page */

/* The chunk holding memory-file page `page`, or -ENOENT when the image
 * does not store it (a zero page, or a page that was not in use). */
int64_t pages_chunk_of(const struct pages_reader *pr, uint64_t page);

/* A run: pages [start, start + count) are pages chunk_page.. of chunk. */
struct pages_run {
	uint64_t start;
	uint32_t count;
	uint32_t chunk;
	uint32_t chunk_page;
};
size_t pages_run_count(const struct pages_reader *pr);
/* Index of the first run that ends after `page` (pages_run_count when none). */
size_t pages_run_find(const struct pages_reader *pr, uint64_t page);
const struct pages_run *pages_run_get(const struct pages_reader *pr, size_t i);

enum pages_chunk_state {
	PAGES_CHUNK_UNLOADED,
	PAGES_CHUNK_LOADING,
	PAGES_CHUNK_LOADED,
	PAGES_CHUNK_FAILED,		/* corrupt: every later load fails */
};
/* Lock-free; a chunk never leaves PAGES_CHUNK_LOADED. */
enum pages_chunk_state pages_chunk_state(const struct pages_reader *pr, uint64_t chunk);
bool pages_chunk_loaded(const struct pages_reader *pr, uint64_t chunk);
uint64_t pages_loaded_chunks(const struct pages_reader *pr);

/* Places count decompressed pages (src, borrowed for the call) at
 * memory-file page `page`. Returns 0 or -errno. */
typedef int (*pages_place_fn)(void *arg, uint64_t page, const void *src, uint64_t count);

/* Loads one chunk once: reads it, checks its checksum and that it
 * decompresses to exactly its size, and hands each of its runs to place.
 * Returns 0 at once when the chunk is loaded; waits when another thread
 * is loading it (and returns that load's result). A corrupt chunk gives
 * -EBADMSG now and forever; other failures (-EIO, -ENOMEM, an error from
 * place) leave the chunk unloaded so a later call retries it. The first
 * failure's message is kept for pages_error. */
int pages_load_chunk_with(struct pages_reader *pr, uint64_t chunk, pages_place_fn place, void *arg);

/* pages_load_chunk_with copying to dst_base + page * PAGE_SIZE; dst_size
 * bytes are mapped there and must cover pages_end (else -ERANGE). */
int pages_load_chunk(struct pages_reader *pr, uint64_t chunk, uint8_t *dst_base, uint64_t dst_size);

/* Loads every chunk not yet loaded, with `threads` threads (0: one per
 * online CPU). Returns 0 or the first error. */
int pages_load_all(struct pages_reader *pr, uint8_t *dst_base, uint64_t dst_size, unsigned threads);

/* pages_load_all writing the pages into the memory file fd (borrowed)
 * with pwrite instead of through a mapping: no page is faulted in, which
 * makes it several times faster where faults are dear (see
 * pages_write.c). The file must be at least size bytes; size must cover
 * pages_end (else -ERANGE). */
int pages_load_all_fd(struct pages_reader *pr, int fd, uint64_t size, unsigned threads);

/* The first load failure's message, or "" when none. Valid until
 * pages_close. */
const char *pages_error(struct pages_reader *pr);

/* Threads for "0: one per online CPU", bounded by PAGES_MAX_THREADS. */
unsigned pages_threads(unsigned wanted);

#endif
