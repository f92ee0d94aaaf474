/* Helpers shared by the state/ unit tests (helpers.c). */
#ifndef AMBER_TESTS_UNIT_STATE_TEST_H
#define AMBER_TESTS_UNIT_STATE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/mm/memfile.h"

/* A memfd mapped shared, like the memory file. */
struct test_mem {
	int fd;
	uint8_t *base;
	uint64_t size;
};

void test_mem_new(struct test_mem *m, uint64_t pages);
void test_mem_free(struct test_mem *m);

/* The extents the tests use: several runs, some adjacent to chunk-sized
 * boundaries, some single pages. */
extern const struct memfile_extent test_extents[];
extern const size_t test_extent_count;
uint64_t test_extents_end(void);	/* one past the last page */

/* Page p's content: p % 4 == 0 or 1 random, 2 zero, 3 text. */
void test_page(uint64_t p, uint64_t seed, uint8_t *out);
/* Fills every page of the extents with test_page. */
void test_fill(struct test_mem *m, const struct memfile_extent *ext, size_t n, uint64_t seed);
/* True when every page of the extents holds test_page and every other
 * page below end reads zero. Reads through m->base. */
bool test_check(const struct test_mem *m, const struct memfile_extent *ext, size_t n, uint64_t seed,
		uint64_t end);

/* Writes a pages file for m into a new memfd and returns it. */
int test_pages_file(const struct test_mem *m, const struct memfile_extent *ext, size_t n, unsigned threads);
/* Reads a whole fd into a new buffer. */
uint8_t *test_slurp(int fd, size_t *len);
/* A new memfd holding buf. */
int test_memfd_of(const uint8_t *buf, size_t len);

/* A fresh empty directory under /tmp; returns its path (static storage
 * per call site is the caller's: copy it). */
void test_tmpdir(char *buf, size_t len);
/* rm -rf of a test directory. */
void test_rmtree(const char *path);
/* Number of entries in dir whose name starts with prefix. */
int test_count_prefix(const char *dir, const char *prefix);

/* Whether this host lets us create a userfaultfd. */
bool test_have_uffd(void);

#endif
