/* state/lazy: restores that read back identical in every mode, with
 * concurrent readers and writers, lazy_ensure for other mappings, and a
 * corrupt chunk met while running. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "state/lazy.h"
#include "state/pages.h"
#include "state/pages_format.h"
#include "tests/unit/state/state_test.h"

#define SEED 0x1a2b
#define EXTRA 64	/* pages past the image: free memory-file pages */

struct fixture {
	struct test_mem src, dst;
	int pages_fd;
	struct pages_reader *pr;
};

static void setup(struct fixture *f)
{
	char err[256];

	if (!test_have_uffd())
		cr_skip_test("no userfaultfd here");
	test_mem_new(&f->src, test_extents_end() + EXTRA);
	test_fill(&f->src, test_extents, test_extent_count, SEED);
	f->pages_fd = test_pages_file(&f->src, test_extents, test_extent_count, 0);
	cr_assert_eq(pages_open(&f->pr, f->pages_fd, err, sizeof(err)), 0, "%s", err);
	test_mem_new(&f->dst, test_extents_end() + EXTRA);
}

static void teardown(struct fixture *f)
{
	pages_close(f->pr);
	close(f->pages_fd);
	test_mem_free(&f->dst);
	test_mem_free(&f->src);
}

static struct lazy *start(struct fixture *f, enum lazy_mode mode)
{
	struct lazy_mem mem = { .fd = f->dst.fd, .base = f->dst.base, .size = f->dst.size };
	struct lazy_opts opts = { .mode = mode, .uffd_dev_fd = -1 };
	struct lazy *l;
	char err[256];

	cr_assert_eq(lazy_start(&l, &mem, f->pr, &opts, err, sizeof(err)), 0, "%s", err);
	return l;
}

struct reader {
	struct fixture *f;
	unsigned id;
	atomic_int *bad;
};

/* Reads pages in a scattered order and checks each against the image. */
static void *read_scattered(void *p)
{
	struct reader *r = p;
	uint64_t end = test_extents_end() + EXTRA, s = r->id * 7919 + 1;
	uint8_t want[PAGE_SIZE];
	size_t e;

	for (uint64_t i = 0; i < end; i++) {
		uint64_t page = (i * 2654435761u + s) % end;
		bool used = false;

		for (e = 0; e < test_extent_count; e++)
			if (page >= test_extents[e].start && page < test_extents[e].start + test_extents[e].count)
				used = true;
		if (used)
			test_page(page, SEED, want);
		else
			memset(want, 0, PAGE_SIZE);
		if (memcmp(r->f->dst.base + page * PAGE_SIZE, want, PAGE_SIZE) != 0)
			atomic_fetch_add(r->bad, 1);
	}
	return NULL;
}

static void run_readers(struct fixture *f, unsigned n)
{
	pthread_t t[8];
	struct reader r[8];
	atomic_int bad = 0;

	for (unsigned i = 0; i < n; i++) {
		r[i] = (struct reader){ f, i, &bad };
		cr_assert_eq(pthread_create(&t[i], NULL, read_scattered, &r[i]), 0);
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&bad), 0, "%d pages read wrong", atomic_load(&bad));
}

static void check_all(struct fixture *f)
{
	cr_assert(test_check(&f->dst, test_extents, test_extent_count, SEED, test_extents_end() + EXTRA));
}

Test(state_lazy, background_with_concurrent_readers)
{
	struct fixture f;
	struct lazy_stats st;
	struct lazy *l;
	char line[512];

	setup(&f);
	l = start(&f, LAZY_BACKGROUND);
	run_readers(&f, 4);
	cr_assert_eq(lazy_finish(l), 0, "%s", pages_error(f.pr));
	cr_assert(lazy_done(l));
	check_all(&f);
	lazy_stats(l, &st);
	cr_assert_eq(st.bytes_loaded, pages_stored(f.pr) * PAGE_SIZE, "every stored page placed once");
	cr_assert_eq(st.chunks_fault + st.chunks_ensure + st.chunks_background, pages_chunk_count(f.pr));
	cr_assert_gt(st.all_loaded_ns, 0);
	lazy_stats_line(&st, line, sizeof(line));
	cr_log_info("%s", line);
	lazy_free(l);
	teardown(&f);
}

Test(state_lazy, on_demand_faults_load_chunks)
{
	struct fixture f;
	struct lazy_stats st;
	struct lazy *l;

	setup(&f);
	l = start(&f, LAZY_ON_DEMAND);
	run_readers(&f, 6);
	lazy_stats(l, &st);
	cr_assert_gt(st.faults, 0);
	cr_assert_gt(st.faults_waited, 0);
	cr_assert_eq(st.chunks_fault, pages_chunk_count(f.pr), "readers touched every chunk");
	cr_assert_gt(st.zero_fills, 0, "pages outside the image are zero-filled");
	cr_assert_gt(st.first_fault_ns, 0);
	cr_assert_not(lazy_done(l), "on demand: not done before lazy_finish");
	cr_assert_eq(lazy_finish(l), 0);
	cr_assert(lazy_done(l));
	check_all(&f);
	lazy_free(l);
	teardown(&f);
}

Test(state_lazy, eager)
{
	struct fixture f;
	struct lazy_stats st;
	struct lazy *l;

	setup(&f);
	l = start(&f, LAZY_EAGER);
	cr_assert(lazy_done(l));
	check_all(&f);
	cr_assert_eq(lazy_ensure(l, 0, PAGE_SIZE), 0);
	cr_assert_eq(lazy_finish(l), 0);
	lazy_stats(l, &st);
	cr_assert_eq(st.faults, 0);
	cr_assert_eq(st.bytes_loaded, pages_stored(f.pr) * PAGE_SIZE);
	lazy_free(l);
	teardown(&f);
}

/* What a stub sees: the file itself, not the registered mapping. */
static bool file_page_is(struct fixture *f, uint64_t page)
{
	uint8_t got[PAGE_SIZE], want[PAGE_SIZE];

	cr_assert_eq(pread(f->dst.fd, got, PAGE_SIZE, (off_t)(page * PAGE_SIZE)), (ssize_t)PAGE_SIZE);
	test_page(page, SEED, want);
	return memcmp(got, want, PAGE_SIZE) == 0;
}

Test(state_lazy, ensure_makes_a_range_present_for_other_mappings)
{
	struct fixture f;
	struct lazy_stats st;
	struct lazy *l;
	int64_t c;

	setup(&f);
	l = start(&f, LAZY_ON_DEMAND);
	/* Page 901 is stored (901 % 4 == 1) and not loaded: the file has a hole. */
	cr_assert_not(file_page_is(&f, 901));
	c = pages_chunk_of(f.pr, 901);
	cr_assert_geq(c, 0);
	cr_assert_eq(lazy_ensure(l, 900 * PAGE_SIZE + 100, 3 * PAGE_SIZE), 0);
	cr_assert(pages_chunk_loaded(f.pr, (uint64_t)c));
	cr_assert(file_page_is(&f, 901));
	cr_assert(file_page_is(&f, 903));
	lazy_stats(l, &st);
	cr_assert_eq(st.chunks_ensure, 1);
	cr_assert_eq(st.faults, 0, "no fault was needed");
	cr_assert_eq(lazy_ensure(l, f.dst.size, 1), -EINVAL);
	cr_assert_eq(lazy_ensure(l, 0, f.dst.size), 0, "the whole file");
	cr_assert_eq(pages_loaded_chunks(f.pr), pages_chunk_count(f.pr));
	cr_assert_eq(lazy_finish(l), 0);
	check_all(&f);
	lazy_free(l);
	teardown(&f);
}

static void punch(struct fixture *f, uint64_t page, uint64_t count)
{
	cr_assert_eq(fallocate(f->dst.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(page * PAGE_SIZE),
			       (off_t)(count * PAGE_SIZE)), 0);
}

static bool page_is_zero(const uint8_t *p)
{
	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (p[i])
			return false;
	return true;
}

Test(state_lazy, freed_pages_are_never_refilled)
{
	struct fixture f;
	struct lazy *l;
	uint8_t want[PAGE_SIZE];

	setup(&f);
	l = start(&f, LAZY_ON_DEMAND);
	cr_assert_eq(lazy_discard(l, 1, PAGE_SIZE), -EINVAL, "not page aligned");
	cr_assert_eq(lazy_discard(l, 0, f.dst.size + PAGE_SIZE), -EINVAL);

	/* Freed before its chunk was loaded: the load skips it. */
	cr_assert_not(pages_chunk_loaded(f.pr, (uint64_t)pages_chunk_of(f.pr, 901)));
	cr_assert_eq(lazy_discard(l, 901 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	punch(&f, 901, 2);
	cr_assert_eq(lazy_ensure(l, 900 * PAGE_SIZE, 4 * PAGE_SIZE), 0);
	cr_assert_not(file_page_is(&f, 901), "a freed page came back");
	cr_assert(file_page_is(&f, 903), "its neighbours did not");

	/* Freed after: the punch takes it away, nothing puts it back. */
	cr_assert_eq(lazy_ensure(l, 3000 * PAGE_SIZE, PAGE_SIZE), 0);
	cr_assert(file_page_is(&f, 3001));
	cr_assert_eq(lazy_discard(l, 3001 * PAGE_SIZE, PAGE_SIZE), 0);
	punch(&f, 3001, 1);

	cr_assert_eq(lazy_finish(l), 0);
	cr_assert(page_is_zero(f.dst.base + 901 * PAGE_SIZE), "reallocated pages read zero");
	cr_assert(page_is_zero(f.dst.base + 902 * PAGE_SIZE));
	cr_assert(page_is_zero(f.dst.base + 3001 * PAGE_SIZE));
	test_page(903, SEED, want);
	cr_assert_eq(memcmp(f.dst.base + 903 * PAGE_SIZE, want, PAGE_SIZE), 0);
	cr_assert_eq(lazy_discard(l, 0, PAGE_SIZE), 0, "a no-op once done");
	lazy_free(l);
	teardown(&f);
}

struct writer_arg {
	struct fixture *f;
	uint64_t page;
};

static void *write_one_byte(void *p)
{
	struct writer_arg *w = p;

	w->f->dst.base[w->page * PAGE_SIZE + 10] = 0xee;
	return NULL;
}

Test(state_lazy, writes_land_on_loaded_content)
{
	struct fixture f;
	struct lazy *l;
	struct writer_arg w[4];
	pthread_t t[4];
	uint8_t want[PAGE_SIZE];
	static const uint64_t pages[4] = { 1, 150, 1200, 3100 };

	setup(&f);
	l = start(&f, LAZY_BACKGROUND);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct writer_arg){ &f, pages[i] };
		cr_assert_eq(pthread_create(&t[i], NULL, write_one_byte, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(lazy_finish(l), 0);
	for (int i = 0; i < 4; i++) {
		test_page(pages[i], SEED, want);
		want[10] = 0xee;
		cr_assert_eq(memcmp(f.dst.base + pages[i] * PAGE_SIZE, want, PAGE_SIZE), 0,
			     "page %llu: a write before the load was lost or overwritten",
			     (unsigned long long)pages[i]);
	}
	lazy_free(l);
	teardown(&f);
}

Test(state_lazy, image_larger_than_memory_is_refused)
{
	struct fixture f;
	struct lazy_mem mem;
	struct lazy_opts opts = { .mode = LAZY_BACKGROUND, .uffd_dev_fd = -1 };
	struct lazy *l;
	char err[256];

	setup(&f);
	mem = (struct lazy_mem){ .fd = f.dst.fd, .base = f.dst.base, .size = 100 * PAGE_SIZE };
	cr_assert_eq(lazy_start(&l, &mem, f.pr, &opts, err, sizeof(err)), -ERANGE);
	cr_assert(strstr(err, "reaches page"), "%s", err);
	teardown(&f);
}

static atomic_int errors_seen;

static void on_error(void *arg, int err, const char *msg)
{
	atomic_fetch_add(&errors_seen, 1);
	cr_log_info("on_error(%d): %s", err, msg);
}

Test(state_lazy, corrupt_chunk_is_reported)
{
	struct test_mem src, dst;
	struct pages_reader *pr;
	struct lazy_mem mem;
	struct lazy_opts opts = { .mode = LAZY_ON_DEMAND, .uffd_dev_fd = -1, .on_error = on_error };
	struct lazy *l;
	uint8_t *buf;
	size_t len;
	char err[256];
	int fd, bad_fd;

	if (!test_have_uffd())
		cr_skip_test("no userfaultfd here");
	test_mem_new(&src, test_extents_end());
	test_fill(&src, test_extents, test_extent_count, SEED);
	fd = test_pages_file(&src, test_extents, test_extent_count, 0);
	buf = test_slurp(fd, &len);
	{
		const uint8_t *t = buf + len - PF_TRAILER_SIZE;
		uint64_t table = pf_get64(t + 32);
		uint64_t last = pf_get64(buf + table + (pf_get64(t + 24) - 1) * PF_CHUNK_SIZE);

		buf[last + 1] ^= 1;	/* the last chunk's data */
	}
	bad_fd = test_memfd_of(buf, len);
	cr_assert_eq(pages_open(&pr, bad_fd, err, sizeof(err)), 0, "%s", err);
	test_mem_new(&dst, test_extents_end());
	mem = (struct lazy_mem){ .fd = dst.fd, .base = dst.base, .size = dst.size };
	cr_assert_eq(lazy_start(&l, &mem, pr, &opts, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(lazy_ensure(l, 0, PAGE_SIZE), 0, "a good chunk loads");
	cr_assert_eq(lazy_finish(l), -EBADMSG);
	cr_assert_eq(atomic_load(&errors_seen), 1);
	cr_assert(strstr(pages_error(pr), "checksum mismatch"), "%s", pages_error(pr));
	cr_assert_not(lazy_done(l));
	lazy_free(l);

	/* Eager restores report it from lazy_start. */
	opts.mode = LAZY_EAGER;
	cr_assert_eq(lazy_start(&l, &mem, pr, &opts, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "checksum mismatch"), "%s", err);
	pages_close(pr);
	close(bad_fd);
	close(fd);
	free(buf);
	test_mem_free(&dst);
	test_mem_free(&src);
}
