/* On-disk layout of the `pages` file; private to pages_write.c and
 * pages_read.c. All integers are little-endian.
 *
 *   header        16 bytes   magic "AMBRPAGE", u32 version, u32 page size
 *   run table     run_count  x 24 bytes, sorted by start page:
 *                   u64 start page, u32 page count, u32 chunk,
 *                   u32 first page in the chunk, u32 zero
 *   chunk data    chunk_count chunks, back to back, in chunk order
 *   chunk table   chunk_count x 32 bytes:
 *                   u64 file offset, u32 stored bytes, u32 pages,
 *                   u32 flags (bit 0: stored uncompressed), u32 zero,
 *                   u64 xxh64 of the stored bytes
 *   trailer       64 bytes at the end of the file:
 *                   magic "AMBRPEND", u32 version, u32 zero,
 *                   u64 run_count, u64 chunk_count, u64 chunk table offset,
 *                   u64 xxh64 of the run table, u64 xxh64 of the chunk
 *                   table, u64 xxh64 of the trailer's first 56 bytes
 *
 * Everything a chunk's position depends on is known before its data are
 * compressed except the chunk sizes, which is why their table and the
 * trailer come last: the file is written in one sequential pass (it can
 * be streamed to a pipe) while its whole-file checksum is computed on the
 * way. Runs of one chunk are consecutive in the run table and fill the
 * chunk's pages in order from 0, so the two tables check each other. */
#ifndef AMBER_STATE_PAGES_FORMAT_H
#define AMBER_STATE_PAGES_FORMAT_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#define PF_MAGIC		"AMBRPAGE"
#define PF_TRAILER_MAGIC	"AMBRPEND"
#define PF_VERSION		1
#define PF_HEADER_SIZE		16
#define PF_RUN_SIZE		24
#define PF_CHUNK_SIZE		32
#define PF_TRAILER_SIZE		64
#define PF_CHUNK_RAW		0x1u
#define PF_CHUNK_FLAGS		PF_CHUNK_RAW	/* every flag this version knows */

/* Runs fn(arg) on `threads` threads, the caller's included; on fewer when
 * threads cannot be created, which only costs time. (pages_write.c) */
void pages_run_parallel(unsigned threads, void *(*fn)(void *), void *arg);

static inline void pf_put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void pf_put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint32_t pf_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t pf_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

#endif
