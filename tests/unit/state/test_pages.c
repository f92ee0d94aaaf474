/* state/pages: round trips, index checks, corruption, concurrency. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "state/fault.h"
#include "state/pages.h"
#include "state/pages_format.h"
#include "tests/unit/state/state_test.h"

#define SEED 0x5eed

static uint64_t stored_pages_expected(void)
{
	uint64_t n = 0;

	for (size_t e = 0; e < test_extent_count; e++)
		for (uint64_t p = test_extents[e].start; p < test_extents[e].start + test_extents[e].count; p++)
			n += p % 4 != 2;
	return n;
}

/* A pages file of the standard test memory. */
static int standard_file(unsigned threads)
{
	struct test_mem m;
	int fd;

	test_mem_new(&m, test_extents_end() + 16);
	test_fill(&m, test_extents, test_extent_count, SEED);
	fd = test_pages_file(&m, test_extents, test_extent_count, threads);
	test_mem_free(&m);
	return fd;
}

Test(state_pages, round_trip_and_stats)
{
	struct test_mem m, r;
	struct pages_source src;
	struct pages_stats st;
	struct pages_reader *pr;
	char err[256], line[256];
	int fd;

	test_mem_new(&m, test_extents_end() + 16);
	test_fill(&m, test_extents, test_extent_count, SEED);
	src = (struct pages_source){ .base = m.base, .fd = m.fd, .extents = test_extents,
				     .extent_count = test_extent_count, .threads = 3 };
	fd = memfd_create("pages", MFD_CLOEXEC);
	cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.stored, stored_pages_expected());
	cr_assert_eq(st.scanned, st.stored + st.zero);
	cr_assert_gt(st.holes, 0, "never-written zero pages are found as holes");
	cr_assert_lt(st.holes, st.zero, "written zero pages are found by reading");
	cr_assert_eq(st.chunks, (st.stored + PAGES_CHUNK_PAGES - 1) / PAGES_CHUNK_PAGES);
	cr_assert_gt(st.raw_chunks + st.chunks, 0);
	cr_assert_lt(st.chunk_bytes, st.stored * PAGE_SIZE, "text compresses");
	pages_stats_line(&st, line, sizeof(line));
	cr_assert(strstr(line, "stored"), "%s", line);

	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pages_stored(pr), st.stored);
	cr_assert_eq(pages_chunk_count(pr), st.chunks);
	cr_assert_eq(pages_end(pr), test_extents_end());
	test_mem_new(&r, test_extents_end() + 16);
	cr_assert_eq(pages_load_all(pr, r.base, r.size, 0), 0, "%s", pages_error(pr));
	cr_assert(test_check(&r, test_extents, test_extent_count, SEED, test_extents_end() + 16));
	cr_assert_eq(pages_loaded_chunks(pr), st.chunks);
	/* Loading again is a no-op. */
	cr_assert_eq(pages_load_all(pr, r.base, r.size, 1), 0);
	pages_close(pr);
	test_mem_free(&r);
	test_mem_free(&m);
	close(fd);
}

Test(state_pages, without_fd_reads_every_page)
{
	struct test_mem m, r;
	struct pages_source src;
	struct pages_stats st;
	struct pages_reader *pr;
	char err[256];
	int fd;

	test_mem_new(&m, test_extents_end());
	test_fill(&m, test_extents, test_extent_count, SEED);
	src = (struct pages_source){ .base = m.base, .fd = -1, .extents = test_extents,
				     .extent_count = test_extent_count, .threads = 1 };
	fd = memfd_create("pages", MFD_CLOEXEC);
	cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.holes, 0);
	cr_assert_eq(st.stored, stored_pages_expected());
	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	test_mem_new(&r, test_extents_end());
	cr_assert_eq(pages_load_all(pr, r.base, r.size, 2), 0, "%s", pages_error(pr));
	cr_assert(test_check(&r, test_extents, test_extent_count, SEED, test_extents_end()));
	pages_close(pr);
	test_mem_free(&r);
	test_mem_free(&m);
	close(fd);
}

Test(state_pages, empty_and_all_zero)
{
	struct test_mem m;
	struct memfile_extent ext = { .start = 5, .count = 10 };
	struct pages_source src;
	struct pages_stats st;
	struct pages_reader *pr;
	char err[256];
	int fd;

	test_mem_new(&m, 32);
	src = (struct pages_source){ .base = m.base, .fd = m.fd, .extents = &ext, .extent_count = 1 };
	fd = memfd_create("pages", MFD_CLOEXEC);
	cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.stored, 0);
	cr_assert_eq(st.zero, 10);
	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pages_chunk_count(pr), 0);
	cr_assert_eq(pages_chunk_of(pr, 7), -ENOENT);
	cr_assert_eq(pages_load_all(pr, m.base, m.size, 0), 0);
	pages_close(pr);
	close(fd);

	src.extent_count = 0;
	fd = memfd_create("pages", MFD_CLOEXEC);
	cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	pages_close(pr);
	close(fd);
	test_mem_free(&m);
}

Test(state_pages, bad_extents_are_refused)
{
	struct test_mem m;
	struct memfile_extent bad[][2] = {
		{ { 10, 5 }, { 12, 5 } },	/* overlap */
		{ { 10, 5 }, { 2, 1 } },	/* unsorted */
		{ { 10, 0 }, { 20, 1 } },	/* empty */
		{ { PAGES_MAX_PAGE - 1, 2 }, { 0, 0 } },
	};
	struct pages_stats st;
	char err[256];
	int fd = memfd_create("pages", MFD_CLOEXEC);

	test_mem_new(&m, 32);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pages_source src = { .base = m.base, .fd = -1, .extents = bad[i],
					    .extent_count = i == 3 ? 1 : 2 };

		cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), -EINVAL, "case %zu", i);
		cr_assert(strstr(err, "extent"), "%s", err);
	}
	test_mem_free(&m);
	close(fd);
}

Test(state_pages, chunk_of_and_runs)
{
	struct pages_reader *pr;
	char err[256];
	int fd = standard_file(2);
	size_t n;

	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(pages_chunk_of(pr, 0), 0);
	cr_assert_eq(pages_chunk_of(pr, 2), -ENOENT, "zero page");
	cr_assert_eq(pages_chunk_of(pr, 40), -ENOENT, "gap between extents");
	cr_assert_eq(pages_chunk_of(pr, 50), -ENOENT, "unused page");
	cr_assert_eq(pages_chunk_of(pr, 1ull << 40), -ENOENT);
	cr_assert_eq(pages_chunk_of(pr, 3000 + 256), pages_chunk_count(pr) - 1);
	n = pages_run_count(pr);
	for (size_t i = 1; i < n; i++) {
		const struct pages_run *a = pages_run_get(pr, i - 1), *b = pages_run_get(pr, i);

		cr_assert_leq(a->start + a->count, b->start);
		cr_assert_leq(a->chunk, b->chunk);
	}
	cr_assert_eq(pages_run_find(pr, 0), 0);
	cr_assert_eq(pages_run_find(pr, 1ull << 40), n);
	cr_assert_null(pages_run_get(pr, n));
	cr_assert_eq(pages_chunk_state(pr, 0), PAGES_CHUNK_UNLOADED);
	pages_close(pr);
	close(fd);
}

Test(state_pages, destination_too_small)
{
	struct pages_reader *pr;
	struct test_mem r;
	char err[256];
	int fd = standard_file(1);

	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	test_mem_new(&r, 100);
	cr_assert_eq(pages_load_all(pr, r.base, r.size, 1), -ERANGE);
	cr_assert_eq(pages_load_chunk(pr, 0, r.base, r.size), -ERANGE);
	cr_assert(strstr(pages_error(pr), "past"), "%s", pages_error(pr));
	pages_close(pr);
	test_mem_free(&r);
	close(fd);
}

struct loader_arg {
	struct pages_reader *pr;
	struct test_mem *r;
	unsigned id;
};

static void *load_backwards(void *p)
{
	struct loader_arg *a = p;
	uint64_t n = pages_chunk_count(a->pr);

	/* Every thread loads every chunk, in different orders. */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t c = a->id % 2 ? n - 1 - i : (i + a->id) % n;

		cr_assert_eq(pages_load_chunk(a->pr, c, a->r->base, a->r->size), 0);
		cr_assert(pages_chunk_loaded(a->pr, c));
	}
	return NULL;
}

Test(state_pages, concurrent_loads_of_the_same_chunks)
{
	struct pages_reader *pr;
	struct test_mem r;
	struct loader_arg args[6];
	pthread_t t[6];
	char err[256];
	int fd = standard_file(0);

	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	test_mem_new(&r, test_extents_end());
	for (unsigned i = 0; i < 6; i++) {
		args[i] = (struct loader_arg){ pr, &r, i };
		cr_assert_eq(pthread_create(&t[i], NULL, load_backwards, &args[i]), 0);
	}
	for (unsigned i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(pages_loaded_chunks(pr), pages_chunk_count(pr), "each chunk loaded exactly once");
	cr_assert(test_check(&r, test_extents, test_extent_count, SEED, test_extents_end()));
	pages_close(pr);
	test_mem_free(&r);
	close(fd);
}

/* ---- corruption ---- */

/* Offsets of the tables in a pages file image held in memory. */
struct layout {
	uint64_t runs, run_count, chunks, chunk_count, trailer;
};

static struct layout parse(const uint8_t *f, size_t len)
{
	const uint8_t *t = f + len - PF_TRAILER_SIZE;

	return (struct layout){
		.runs = PF_HEADER_SIZE, .run_count = pf_get64(t + 16),
		.chunks = pf_get64(t + 32), .chunk_count = pf_get64(t + 24),
		.trailer = len - PF_TRAILER_SIZE,
	};
}

/* Recomputes every checksum of the index, so that a structural change is
 * caught by the structural checks rather than by a checksum. */
static void rehash(uint8_t *f, size_t len)
{
	struct layout l = parse(f, len);
	uint8_t *t = f + l.trailer;

	pf_put64(t + 40, XXH64(f + l.runs, l.run_count * PF_RUN_SIZE, 0));
	pf_put64(t + 48, XXH64(f + l.chunks, l.chunk_count * PF_CHUNK_SIZE, 0));
	pf_put64(t + 56, XXH64(t, 56, 0));
}

/* Opens a (corrupt) copy; returns the result, with the message in err. */
static int open_copy(const uint8_t *f, size_t len, char *err, size_t errlen, struct pages_reader **prp)
{
	int fd = test_memfd_of(f, len), r;

	r = pages_open(prp, fd, err, errlen);
	close(fd);
	return r;
}

static void expect_open_error(const uint8_t *f, size_t len, int code, const char *msg)
{
	struct pages_reader *pr;
	char err[256];
	int r = open_copy(f, len, err, sizeof(err), &pr);

	cr_assert_eq(r, code, "expected %d, got %d (%s)", code, r, err);
	cr_assert_null(pr);
	cr_assert(strstr(err, msg), "message \"%s\" lacks \"%s\"", err, msg);
	cr_assert_eq(strncmp(err, "pages: ", 7), 0, "%s", err);
}

Test(state_pages, structural_corruption)
{
	int fd = standard_file(2);
	size_t len;
	uint8_t *orig = test_slurp(fd, &len), *f = malloc(len);
	struct layout l = parse(orig, len);

	cr_assert_geq(l.chunk_count, 3);
	cr_assert_geq(l.run_count, 3);

	/* Two chunks at the same offset. */
	memcpy(f, orig, len);
	pf_put64(f + l.chunks + PF_CHUNK_SIZE, pf_get64(f + l.chunks));
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "overlaps");

	/* A run pointing at a chunk past the end of the table. */
	memcpy(f, orig, len);
	pf_put32(f + l.runs + 12, (uint32_t)l.chunk_count + 7);
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "points at chunk");

	/* The last chunk running past the chunk data into the table. */
	memcpy(f, orig, len);
	{
		uint8_t *c = f + l.chunks + (l.chunk_count - 1) * PF_CHUNK_SIZE;

		pf_put32(c + 8, pf_get32(c + 8) + 100);
	}
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "chunk");

	/* A chunk claiming more pages than a chunk holds. */
	memcpy(f, orig, len);
	pf_put32(f + l.chunks + 12, PAGES_CHUNK_PAGES + 1);
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "holds");

	/* Runs out of order. */
	memcpy(f, orig, len);
	{
		uint8_t tmp[PF_RUN_SIZE];

		memcpy(tmp, f + l.runs, PF_RUN_SIZE);
		memcpy(f + l.runs, f + l.runs + PF_RUN_SIZE, PF_RUN_SIZE);
		memcpy(f + l.runs + PF_RUN_SIZE, tmp, PF_RUN_SIZE);
	}
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "run");

	/* A run overlapping the previous one. */
	memcpy(f, orig, len);
	pf_put64(f + l.runs + PF_RUN_SIZE, pf_get64(f + l.runs));
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "overlaps or is out of order");

	/* A run far outside any memory file. */
	memcpy(f, orig, len);
	pf_put64(f + l.runs + (l.run_count - 1) * PF_RUN_SIZE, PAGES_MAX_PAGE);
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "out of range");

	/* Counts that do not fit the file. */
	memcpy(f, orig, len);
	pf_put64(f + l.trailer + 16, l.run_count + 10);
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "leaves a gap");
	memcpy(f, orig, len);
	pf_put64(f + l.trailer + 16, l.run_count + len / PF_RUN_SIZE);
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "do not fit");
	memcpy(f, orig, len);
	pf_put64(f + l.trailer + 16, UINT64_MAX / 2);
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "out of range");

	/* Unknown chunk flags. */
	memcpy(f, orig, len);
	pf_put32(f + l.chunks + 16, 0x80);
	rehash(f, len);
	expect_open_error(f, len, -EBADMSG, "flags");

	/* Bit flips without rehashing: the checksums catch them. */
	memcpy(f, orig, len);
	f[l.runs + 5] ^= 0x10;
	expect_open_error(f, len, -EBADMSG, "run table checksum mismatch");
	memcpy(f, orig, len);
	f[l.chunks + 3] ^= 0x01;
	expect_open_error(f, len, -EBADMSG, "chunk table checksum mismatch");
	memcpy(f, orig, len);
	f[l.trailer + 20] ^= 0x04;
	expect_open_error(f, len, -EBADMSG, "trailer checksum mismatch");

	/* Header: magic, version, page size. */
	memcpy(f, orig, len);
	f[0] = 'X';
	expect_open_error(f, len, -EBADMSG, "bad magic");
	memcpy(f, orig, len);
	pf_put32(f + 8, PF_VERSION + 1);
	expect_open_error(f, len, -EPROTONOSUPPORT, "newer");
	memcpy(f, orig, len);
	pf_put32(f + 8, 0);
	expect_open_error(f, len, -EBADMSG, "version");
	memcpy(f, orig, len);
	pf_put32(f + 12, 65536);
	expect_open_error(f, len, -EBADMSG, "page size");

	/* Truncated. */
	expect_open_error(orig, 10, -EBADMSG, "truncated");
	expect_open_error(orig, len - 1, -EBADMSG, "trailer");
	expect_open_error(orig, len / 2, -EBADMSG, "trailer");

	free(f);
	free(orig);
	close(fd);
}

Test(state_pages, corrupt_chunk_fails_its_load_only)
{
	int fd = standard_file(2);
	size_t len;
	uint8_t *f = test_slurp(fd, &len);
	struct layout l = parse(f, len);
	uint64_t off1 = pf_get64(f + l.chunks + PF_CHUNK_SIZE);
	struct pages_reader *pr;
	struct test_mem r;
	char err[256];

	f[off1 + 7] ^= 0x40;	/* inside chunk 1's data */
	cr_assert_eq(open_copy(f, len, err, sizeof(err), &pr), 0, "%s", err);
	test_mem_new(&r, test_extents_end());
	cr_assert_eq(pages_load_chunk(pr, 0, r.base, r.size), 0);
	cr_assert_eq(pages_load_chunk(pr, 1, r.base, r.size), -EBADMSG);
	cr_assert(strstr(pages_error(pr), "chunk 1 checksum mismatch"), "%s", pages_error(pr));
	cr_assert_eq(pages_chunk_state(pr, 1), PAGES_CHUNK_FAILED);
	cr_assert_eq(pages_load_chunk(pr, 1, r.base, r.size), -EBADMSG, "corruption is forever");
	cr_assert_eq(pages_load_all(pr, r.base, r.size, 2), -EBADMSG);
	pages_close(pr);
	test_mem_free(&r);
	free(f);
	close(fd);
}

Test(state_pages, lz4_size_is_checked)
{
	/* A chunk whose data decompress to fewer pages than it claims: the
	 * checksum is right, so only the size check can catch it. */
	struct test_mem m, r;
	struct memfile_extent ext = { .start = 0, .count = 4 };
	struct pages_reader *pr;
	uint8_t *f;
	size_t len;
	char err[256];
	int fd;

	test_mem_new(&m, 8);
	for (int p = 0; p < 4; p++)
		memset(m.base + p * PAGE_SIZE, 'a' + p, PAGE_SIZE);	/* compressible */
	fd = test_pages_file(&m, &ext, 1, 1);
	f = test_slurp(fd, &len);
	{
		struct layout l = parse(f, len);
		uint8_t *c = f + l.chunks;

		cr_assert_eq(pf_get32(c + 16), 0, "stored compressed");
		cr_assert_eq(pf_get32(c + 12), 4);
		pf_put32(c + 12, 3);	/* claims 3 pages... */
		pf_put32(f + l.runs + 8, 3);	/* ...and so does the run */
		rehash(f, len);
	}
	cr_assert_eq(open_copy(f, len, err, sizeof(err), &pr), 0, "%s", err);
	test_mem_new(&r, 8);
	cr_assert_eq(pages_load_chunk(pr, 0, r.base, r.size), -EBADMSG);
	cr_assert(strstr(pages_error(pr), "decompress"), "%s", pages_error(pr));
	pages_close(pr);
	test_mem_free(&r);
	test_mem_free(&m);
	free(f);
	close(fd);
}

/* Every single-bit flip and every truncation of a small file is caught,
 * at open or at load, and never crashes or loads wrong pages. */
Test(state_pages, every_flip_and_truncation_is_caught, .timeout = 120)
{
	static const struct memfile_extent ext[] = { { 0, 3 }, { 5, 2 }, { 300, 1 } };
	struct test_mem m, r;
	uint8_t *orig, *f;
	size_t len;
	int fd;

	test_mem_new(&m, 301);
	for (int i = 0; i < 3; i++)
		snprintf((char *)m.base + ext[i].start * PAGE_SIZE, 64, "page %d of the small test", i);
	memset(m.base + 5 * PAGE_SIZE, 'z', 2 * PAGE_SIZE);
	m.base[300 * PAGE_SIZE] = 1;
	fd = test_pages_file(&m, ext, 3, 1);
	orig = test_slurp(fd, &len);
	f = malloc(len);
	test_mem_new(&r, 301);
	for (size_t i = 0; i < len * 8; i++) {
		struct pages_reader *pr;
		char err[256];

		memcpy(f, orig, len);
		f[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (open_copy(f, len, err, sizeof(err), &pr) == 0) {
			int res = pages_load_all(pr, r.base, r.size, 1);

			cr_assert_eq(res, -EBADMSG, "flip of bit %zu went unnoticed", i);
			pages_close(pr);
		}
	}
	for (size_t n = 0; n < len; n++) {
		struct pages_reader *pr;
		char err[256];

		cr_assert_neq(open_copy(orig, n, err, sizeof(err), &pr), 0, "truncation to %zu bytes", n);
	}
	test_mem_free(&r);
	test_mem_free(&m);
	free(f);
	free(orig);
	close(fd);
}

Test(state_pages, read_fault_is_reported)
{
	struct pages_reader *pr;
	struct test_mem r;
	char err[256];
	int fd = standard_file(1);

	setenv("AMBER_FAULT", "pages.read:1", 1);
	fault_reload();
	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "pages: reading"), "%s", err);
	/* Open reads the header, trailer and two tables: the 5th read is a chunk. */
	setenv("AMBER_FAULT", "pages.read:5", 1);
	fault_reload();
	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	test_mem_new(&r, test_extents_end());
	cr_assert_eq(pages_load_chunk(pr, 0, r.base, r.size), -EIO);
	cr_assert_eq(pages_chunk_state(pr, 0), PAGES_CHUNK_UNLOADED, "an I/O error can be retried");
	cr_assert_eq(pages_load_all(pr, r.base, r.size, 2), 0, "%s", pages_error(pr));
	cr_assert(test_check(&r, test_extents, test_extent_count, SEED, test_extents_end()));
	unsetenv("AMBER_FAULT");
	fault_reload();
	pages_close(pr);
	test_mem_free(&r);
	close(fd);
}

Test(state_pages, write_fault_is_reported)
{
	struct test_mem m;
	struct pages_source src;
	struct pages_stats st;
	char err[256];
	int fd = memfd_create("pages", MFD_CLOEXEC);

	test_mem_new(&m, test_extents_end());
	test_fill(&m, test_extents, test_extent_count, SEED);
	src = (struct pages_source){ .base = m.base, .fd = m.fd, .extents = test_extents,
				     .extent_count = test_extent_count };
	setenv("AMBER_FAULT", "pages.write:4", 1);
	fault_reload();
	cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "pages: write at offset"), "%s", err);
	unsetenv("AMBER_FAULT");
	fault_reload();
	test_mem_free(&m);
	close(fd);
}

Test(state_pages, fd_only_source_and_fd_destination)
{
	struct test_mem m, r;
	struct pages_source src;
	struct pages_stats st;
	struct pages_reader *pr;
	char err[256];
	int fd = memfd_create("pages", MFD_CLOEXEC);

	test_mem_new(&m, test_extents_end());
	test_fill(&m, test_extents, test_extent_count, SEED);
	/* No mapping: everything is read with pread. */
	src = (struct pages_source){ .base = NULL, .fd = m.fd, .extents = test_extents,
				     .extent_count = test_extent_count, .threads = 2 };
	cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.stored, stored_pages_expected());
	cr_assert_eq(pages_open(&pr, fd, err, sizeof(err)), 0, "%s", err);
	test_mem_new(&r, test_extents_end());
	cr_assert_eq(pages_load_all_fd(pr, r.fd, r.size / 2, 0), -ERANGE);
	cr_assert_eq(pages_load_all_fd(pr, r.fd, r.size, 0), 0, "%s", pages_error(pr));
	cr_assert(test_check(&r, test_extents, test_extent_count, SEED, test_extents_end()));
	pages_close(pr);
	test_mem_free(&r);

	/* A memory file shorter than its extents is an error, not zeros. */
	cr_assert_eq(ftruncate(m.fd, 50 * PAGE_SIZE), 0);
	cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "past the memory file"), "%s", err);
	test_mem_free(&m);
	close(fd);
}
