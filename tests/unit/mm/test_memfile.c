#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/lib/log.h"
#include "kernel/mm/memfile.h"

#define P(n) ((uint64_t)(n) * PAGE_SIZE)

/* Misuse is logged as an error; keep the expected ones out of the output. */
static void quiet_log(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	log_init(fd, LOG_ERROR);
}

static uint64_t file_blocks(struct memfile *mf)
{
	struct stat st;

	cr_assert_eq(fstat(mf->fd, &st), 0);
	return (uint64_t)st.st_blocks;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

Test(memfile, init_and_destroy)
{
	struct memfile mf;

	cr_assert_eq(memfile_init(&mf, 0), -EINVAL);
	cr_assert_eq(memfile_init(&mf, PAGE_SIZE - 1), -EINVAL);
	/* A terabyte is only reserved: the test must not need the memory. */
	cr_assert_eq(memfile_init(&mf, 1ULL << 40), 0);
	cr_assert_eq(mf.max_pages, (1ULL << 40) / PAGE_SIZE);
	cr_assert_eq(mf.free_count, 1);
	cr_assert_eq(mf.used_pages, 0);
	cr_assert_eq(fcntl(mf.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	int64_t off = memfile_alloc(&mf, 1);
	cr_assert_eq(off, 0);
	memset(memfile_ptr(&mf, (uint64_t)off), 0xab, PAGE_SIZE);
	memfile_destroy(&mf);
	cr_assert_eq(mf.fd, -1);
}

Test(memfile, freed_pages_read_zero)
{
	struct memfile mf;
	int64_t off, again;

	cr_assert_eq(memfile_init(&mf, P(64)), 0);
	off = memfile_alloc(&mf, 4);
	cr_assert_geq(off, 0);
	cr_assert(all_zero(memfile_ptr(&mf, (uint64_t)off), P(4)), "new pages read zero");
	memset(memfile_ptr(&mf, (uint64_t)off), 0x5a, P(4));
	cr_assert_geq(file_blocks(&mf), P(4) / 512, "written pages are backed");
	memfile_unref(&mf, (uint64_t)off, 4);
	cr_assert_eq(file_blocks(&mf), 0, "freed pages went back to the host");
	again = memfile_alloc(&mf, 4);
	cr_assert_eq(again, off, "first fit reuses the hole");
	cr_assert(all_zero(memfile_ptr(&mf, (uint64_t)again), P(4)), "reused pages read zero");
	memfile_unref(&mf, (uint64_t)again, 4);
	memfile_destroy(&mf);
}

Test(memfile, shared_page_freed_on_last_unref)
{
	struct memfile mf;
	int64_t off;

	cr_assert_eq(memfile_init(&mf, P(16)), 0);
	off = memfile_alloc(&mf, 3);
	cr_assert_eq(off, 0);
	memset(memfile_ptr(&mf, 0), 1, P(3));
	memfile_ref(&mf, P(1), 2);
	cr_assert_eq(memfile_refcount(&mf, P(0)), 1);
	cr_assert_eq(memfile_refcount(&mf, P(1)), 2);
	cr_assert_eq(memfile_refcount(&mf, P(2) + 17), 2, "any offset in the page");
	memfile_unref(&mf, 0, 3);
	cr_assert_eq(mf.used_pages, 2);
	cr_assert_eq(memfile_refcount(&mf, 0), 0);
	cr_assert_eq(*(uint8_t *)memfile_ptr(&mf, P(1)), 1, "still referenced pages keep data");
	cr_assert_eq(memfile_alloc(&mf, 1), 0, "page 0 is free again");
	cr_assert_eq(memfile_alloc(&mf, 1), P(3), "pages 1 and 2 are not");
	memfile_unref(&mf, P(1), 2);
	cr_assert_eq(mf.used_pages, 2);
	memfile_destroy(&mf);
}

Test(memfile, alloc_contiguous_and_coalesce)
{
	struct memfile mf;
	int64_t a, b, c, d;

	cr_assert_eq(memfile_init(&mf, P(16)), 0);
	a = memfile_alloc(&mf, 4);
	b = memfile_alloc(&mf, 4);
	c = memfile_alloc(&mf, 4);
	d = memfile_alloc(&mf, 4);
	cr_assert_eq(a, P(0));
	cr_assert_eq(b, P(4));
	cr_assert_eq(c, P(8));
	cr_assert_eq(d, P(12));
	cr_assert_eq(mf.free_count, 0);
	cr_assert_eq(mf.used_pages, 16);

	memfile_unref(&mf, (uint64_t)a, 4);
	memfile_unref(&mf, (uint64_t)c, 4);
	cr_assert_eq(mf.free_count, 2);
	cr_assert_eq(memfile_alloc(&mf, 8), -ENOMEM, "no 8 contiguous pages yet");
	memfile_unref(&mf, (uint64_t)b, 4);
	cr_assert_eq(mf.free_count, 1, "both neighbours joined");
	cr_assert_eq(mf.free[0].start, 0);
	cr_assert_eq(mf.free[0].count, 12);
	cr_assert_eq(memfile_alloc(&mf, 12), 0);

	/* Freeing out of order and page by page still coalesces. */
	memfile_unref(&mf, P(5), 1);
	memfile_unref(&mf, P(3), 1);
	memfile_unref(&mf, P(4), 1);
	cr_assert_eq(mf.free_count, 1);
	cr_assert_eq(mf.free[0].start, 3);
	cr_assert_eq(mf.free[0].count, 3);
	memfile_unref(&mf, P(12), 4);
	cr_assert_eq(mf.free_count, 2);
	cr_assert_eq(mf.free[1].start, 12);
	cr_assert_eq(memfile_alloc(&mf, 4), P(12), "first extent is too small");
	cr_assert_eq(memfile_alloc(&mf, 2), P(3));
	cr_assert_eq(memfile_alloc(&mf, 1), P(5));
	cr_assert_eq(mf.free_count, 0);
	memfile_destroy(&mf);
}

Test(memfile, unref_batches_runs)
{
	struct memfile mf;

	cr_assert_eq(memfile_init(&mf, P(32)), 0);
	cr_assert_eq(memfile_alloc(&mf, 32), 0);
	memset(memfile_ptr(&mf, 0), 7, P(32));
	/* Keep every fourth page: the range frees as runs of three. */
	for (int i = 0; i < 32; i += 4)
		memfile_ref(&mf, P(i), 1);
	memfile_unref(&mf, 0, 32);
	cr_assert_eq(mf.used_pages, 8);
	cr_assert_eq(mf.free_count, 8);
	/* Before reading: a read of a hole allocates a shmem page. */
	cr_assert_eq(file_blocks(&mf), P(8) / 512, "every run was punched");
	for (int i = 0; i < 32; i++) {
		uint8_t *p = memfile_ptr(&mf, P(i));
		cr_assert_eq(memfile_refcount(&mf, P(i)), i % 4 == 0);
		cr_assert_eq(p[0], i % 4 == 0 ? 7 : 0, "page %d", i);
	}
	memfile_destroy(&mf);
}

Test(memfile, enomem_when_full)
{
	struct memfile mf;

	cr_assert_eq(memfile_init(&mf, P(8)), 0);
	cr_assert_eq(memfile_alloc(&mf, 9), -ENOMEM);
	cr_assert_eq(memfile_alloc(&mf, UINT64_MAX), -ENOMEM);
	cr_assert_eq(memfile_alloc(&mf, 0), -EINVAL);
	cr_assert_eq(memfile_alloc(&mf, 8), 0);
	cr_assert_eq(memfile_alloc(&mf, 1), -ENOMEM);
	cr_assert_eq(mf.used_pages, 8);
	memfile_unref(&mf, P(6), 1);
	cr_assert_eq(memfile_alloc(&mf, 2), -ENOMEM);
	cr_assert_eq(memfile_alloc(&mf, 1), P(6));
	cr_assert_eq(memfile_alloc(&mf, 1), -ENOMEM);
	memfile_destroy(&mf);
}

Test(memfile, bad_calls_change_nothing)
{
	struct memfile mf;

	quiet_log();
	cr_assert_eq(memfile_init(&mf, P(8)), 0);
	cr_assert_eq(memfile_alloc(&mf, 2), 0);
	memfile_unref(&mf, P(2), 1);		/* never allocated */
	memfile_unref(&mf, 0, 3);		/* last page never allocated */
	memfile_unref(&mf, 1, 1);		/* unaligned */
	memfile_unref(&mf, P(7), 2);		/* past the end */
	memfile_unref(&mf, P(8), 0);		/* empty */
	memfile_unref(&mf, 0, UINT64_MAX);	/* overflow */
	memfile_ref(&mf, P(1), 2);		/* second page free */
	memfile_ref(&mf, UINT64_MAX & PAGE_MASK, 2);
	cr_assert_eq(memfile_refcount(&mf, P(8)), 0);
	cr_assert_eq(memfile_refcount(&mf, UINT64_MAX), 0);
	cr_assert_eq(memfile_refcount(&mf, 0), 1);
	cr_assert_eq(memfile_refcount(&mf, P(1)), 1);
	cr_assert_eq(mf.used_pages, 2);
	cr_assert_eq(mf.free_count, 1);
	cr_assert_eq(mf.free[0].start, 2);
	memfile_unref(&mf, 0, 2);
	memfile_unref(&mf, 0, 2);		/* double free */
	cr_assert_eq(mf.used_pages, 0);
	cr_assert_eq(mf.free_count, 1);
	cr_assert_eq(mf.free[0].count, 8);
	memfile_destroy(&mf);
}

struct worker {
	struct memfile *mf;
	unsigned seed;
	bool ok;
};

/* Owns what it allocates and checks nobody else writes into it. Only some
 * allocations are touched: page faults are slow and would hide races in
 * the allocator behind them. */
static void *churn(void *arg)
{
	struct worker *w = arg;
	int64_t held[16];
	uint64_t sizes[16];
	bool touched[16];
	int n = 0;

	w->ok = true;
	for (int i = 0; i < 40000; i++) {
		w->seed = w->seed * 1103515245 + 12345;
		if (n < 16 && (w->seed >> 16) % 3) {
			uint64_t np = 1 + (w->seed >> 20) % 4;
			int64_t off = memfile_alloc(w->mf, np);
			if (off < 0)
				continue;
			held[n] = off;
			sizes[n] = np;
			touched[n++] = !(i % 16);
			if (i % 16)
				continue;
			uint8_t *p = memfile_ptr(w->mf, (uint64_t)off);
			if (!all_zero(p, P(np)))
				w->ok = false;
			memset(p, (int)(w->seed & 0xff) | 1, P(np));
		} else if (n) {
			n--;
			uint8_t *p = memfile_ptr(w->mf, (uint64_t)held[n]);
			for (uint64_t k = 1; touched[n] && k < P(sizes[n]); k++)
				if (p[k] != p[0])
					w->ok = false;
			memfile_unref(w->mf, (uint64_t)held[n], sizes[n]);
		}
	}
	while (n--)
		memfile_unref(w->mf, (uint64_t)held[n], sizes[n]);
	return NULL;
}

Test(memfile, threads_share_safely)
{
	struct worker w[4];
	pthread_t t[4];
	struct memfile mf;

	cr_assert_eq(memfile_init(&mf, P(256)), 0);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .mf = &mf, .seed = (unsigned)i + 1 };
		cr_assert_eq(pthread_create(&t[i], NULL, churn, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert(w[i].ok, "worker %d saw foreign or stale data", i);
	}
	cr_assert_eq(mf.used_pages, 0);
	cr_assert_eq(mf.free_count, 1);
	cr_assert_eq(mf.free[0].count, 256);
	cr_assert_eq(file_blocks(&mf), 0);
	memfile_destroy(&mf);
}
