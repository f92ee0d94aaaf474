/* Pipes below the system calls: the eventfds a blocked task waits on
 * must be ready whenever the pipe may be (no lost wake-up) and not while
 * it is not (no spinning), with host threads standing in for tasks. The
 * loops here are the ones read and write run around task_wait. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/fs/pipe/internal.h"
#include "kernel/mm/mm.h"

#define A 0x10000000UL		/* application buffers */
#define AREA (16UL << 20)
#define MIB (1UL << 20)

static struct memfile mf;
static struct mm *mm;

static void setup(void)
{
	cr_assert_eq(memfile_init(&mf, 1 << 30), 0);
	sentry_memfile = &mf;
	mm = mm_new();
	cr_assert_not_null(mm);
	mm->mmap_base = 0x7f0000000000UL;
	cr_assert_eq(mm_mmap(mm, A, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
		     (long)A);
}

static void new_pipe(int flags, struct file **rd, struct file **wr)
{
	cr_assert_eq(pipe_create(flags, 0, 0, rd, wr), 0);
}

/* One read_iter or write_iter call on [u, u + len) of the application. */
static ssize_t xfer(struct file *f, uaddr_t u, size_t len, bool write)
{
	struct linux_iovec v = { u, len };
	struct io_iter it;

	io_iter_init(&it, mm, &v, 1, len);
	return write ? f->ops->write_iter(f, &it) : f->ops->read_iter(f, &it);
}

/* Whether the host fd f's wait_fd names for events is ready within
 * timeout_ms: what task_wait would see. */
static bool wait_ready(struct file *f, short events, int timeout_ms)
{
	short ev = events;
	int fd = f->ops->wait_fd(f, &ev);
	struct pollfd p = { .fd = fd, .events = ev };

	cr_assert_geq(fd, 0);
	return poll(&p, 1, timeout_ms) > 0;
}

/* write(2)'s loop on a blocking file: the whole buffer, waiting for room. */
static ssize_t blocking_write(struct file *f, uaddr_t u, size_t len)
{
	struct linux_iovec v = { u, len };
	struct io_iter it;
	ssize_t done = 0;

	io_iter_init(&it, mm, &v, 1, len);
	while (it.count) {
		ssize_t n = f->ops->write_iter(f, &it);

		if (n > 0) {
			done += n;
			continue;
		}
		if (n != -EAGAIN)
			return done ? done : n;
		cr_assert(wait_ready(f, POLLOUT, 10000), "a writer was never woken");
	}
	return done;
}

/* read(2)'s loop on a blocking file: waits for something, takes it. */
static ssize_t blocking_read(struct file *f, uaddr_t u, size_t len)
{
	for (;;) {
		ssize_t n = xfer(f, u, len, false);

		if (n != -EAGAIN)
			return n;
		cr_assert(wait_ready(f, POLLIN, 10000), "a reader was never woken");
	}
}

static void put(uaddr_t u, int c, size_t len)
{
	uint8_t *b = malloc(len);

	memset(b, c, len);
	cr_assert_eq(copy_out(mm, u, b, len), 0);
	free(b);
}

Test(pipe, wait_fds_follow_the_pipe, .init = setup)
{
	struct file *rd, *wr;

	new_pipe(0, &rd, &wr);
	cr_assert(!wait_ready(rd, POLLIN, 0), "empty pipe: read end ready");
	cr_assert(wait_ready(wr, POLLOUT, 0), "empty pipe: write end not ready");
	cr_assert(!wait_ready(rd, 0, 0), "both ends open: POLLHUP wait ready");
	put(A, 'a', 65536);
	cr_assert_eq(xfer(wr, A, 65536, true), 65536);
	cr_assert(wait_ready(rd, POLLIN, 0));
	cr_assert(!wait_ready(wr, POLLOUT, 0), "full pipe: write end ready");
	cr_assert_eq(xfer(wr, A, 1, true), -EAGAIN);
	cr_assert_eq(xfer(rd, A, 4095, false), 4095);
	cr_assert(!wait_ready(wr, POLLOUT, 0), "a slot partly read is still in use");
	cr_assert_eq(xfer(rd, A, 1, false), 1);
	cr_assert(wait_ready(wr, POLLOUT, 0));
	cr_assert_eq(xfer(rd, A, 65536, false), 61440);
	cr_assert(!wait_ready(rd, POLLIN, 0));
	cr_assert_eq(xfer(rd, A, 1, false), -EAGAIN);
	file_put(wr);
	/* No writer: EOF, and every wait on the read end ends. */
	cr_assert(wait_ready(rd, POLLIN, 0));
	cr_assert(wait_ready(rd, 0, 0));
	cr_assert_eq(xfer(rd, A, 1, false), 0);
	file_put(rd);
}

Test(pipe, no_reader_wakes_writers, .init = setup)
{
	struct file *rd, *wr;

	new_pipe(0, &rd, &wr);
	put(A, 'a', 65536);
	cr_assert_eq(xfer(wr, A, 65536, true), 65536);
	cr_assert(!wait_ready(wr, POLLOUT, 0));
	cr_assert(!wait_ready(wr, POLLIN, 0), "a wait for POLLERR alone");
	file_put(rd);
	cr_assert(wait_ready(wr, POLLOUT, 0));
	cr_assert(wait_ready(wr, POLLIN, 0));
	cr_assert_eq(xfer(wr, A, 1, true), -EPIPE);
	file_put(wr);
}

struct side {
	struct file *f;
	uaddr_t buf;
	size_t total, chunk;
	uint64_t sum;
	int id;
};

static uint64_t mix(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void *writer(void *arg)
{
	struct side *s = arg;
	uint8_t tmp[8192];
	size_t done = 0;
	unsigned seed = (unsigned)s->id;

	while (done < s->total) {
		size_t r = (size_t)rand_r(&seed) % s->chunk + 1, n = MIN(s->total - done, r);

		for (size_t i = 0; i < n; i++)
			tmp[i] = (uint8_t)(done + i);
		s->sum = mix(s->sum, tmp, n);
		cr_assert_eq(copy_out(mm, s->buf, tmp, n), 0);
		cr_assert_eq(blocking_write(s->f, s->buf, n), (ssize_t)n);
		done += n;
	}
	file_put(s->f);
	return NULL;
}

Test(pipe, a_stream_between_threads_arrives_whole, .init = setup)
{
	struct side w = { .buf = A, .total = 8 * MIB, .chunk = 8192, .sum = 0xcbf29ce484222325ULL, .id = 1 };
	uint64_t sum = 0xcbf29ce484222325ULL;
	uint8_t tmp[3000];
	size_t got = 0;
	struct file *rd;
	pthread_t th;
	ssize_t n;

	new_pipe(0, &rd, &w.f);
	cr_assert_eq(pthread_create(&th, NULL, writer, &w), 0);
	/* Reads of another size than the writes, until EOF. */
	while ((n = blocking_read(rd, A + MIB, sizeof(tmp))) > 0) {
		cr_assert_eq(copy_in(mm, tmp, A + MIB, (size_t)n), 0);
		for (ssize_t i = 0; i < n; i++)
			cr_assert_eq(tmp[i], (uint8_t)(got + (size_t)i), "byte %zu of the stream (read %zd at %zu)", got + (size_t)i, n, got);
		sum = mix(sum, tmp, (size_t)n);
		got += (size_t)n;
	}
	pthread_join(th, NULL);
	cr_assert_eq(n, 0, "read: %zd", n);
	cr_assert_eq(got, w.total, "got %zu of %zu", got, w.total);
	cr_assert_eq(sum, w.sum);
	file_put(rd);
}

#define RECORD 1000

static void *record_writer(void *arg)
{
	struct side *s = arg;

	put(s->buf, s->id, RECORD);
	for (size_t i = 0; i < s->total; i++)
		cr_assert_eq(blocking_write(s->f, s->buf, RECORD), RECORD);
	file_put(s->f);
	return NULL;
}

/* Writes of up to PIPE_BUF bytes from several writers never interleave. */
Test(pipe, small_writes_stay_whole, .init = setup)
{
	struct side w[3];
	pthread_t th[3];
	struct file *rd, *wr;
	static uint8_t all[3 * 2000 * RECORD];
	size_t got = 0, count[4] = { 0 };
	ssize_t n;

	new_pipe(0, &rd, &wr);
	for (int i = 0; i < 3; i++) {
		file_get(wr);
		w[i] = (struct side){ .f = wr, .buf = A + (uaddr_t)i * 8192, .total = 2000, .id = i + 1 };
		cr_assert_eq(pthread_create(&th[i], NULL, record_writer, &w[i]), 0);
	}
	file_put(wr);
	while ((n = blocking_read(rd, A + MIB, 7777)) > 0) {
		cr_assert_leq(got + (size_t)n, sizeof(all));
		cr_assert_eq(copy_in(mm, all + got, A + MIB, (size_t)n), 0);
		got += (size_t)n;
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(got, sizeof(all));
	for (size_t r = 0; r < got; r += RECORD) {
		cr_assert(all[r] >= 1 && all[r] <= 3);
		for (size_t i = 1; i < RECORD; i++)
			cr_assert_eq(all[r + i], all[r], "record at %zu interleaved", r);
		count[all[r]]++;
	}
	cr_assert(count[1] == 2000 && count[2] == 2000 && count[3] == 2000);
	file_put(rd);
}

/* Every page a pipe took goes back to the memory file with its last end,
 * the spare one too; so do a resize's and a packet's. */
Test(pipe, pages_go_back, .init = setup)
{
	struct file *rd, *wr;
	uint64_t before;

	/* The application's buffer pages first, so they are not counted. */
	put(A, 'x', 65536);
	before = mf.used_pages;
	new_pipe(O_DIRECT, &rd, &wr);
	cr_assert_eq(xfer(wr, A, 65536, true), 65536);
	cr_assert_eq(mf.used_pages, before + 16);
	cr_assert_eq(xfer(rd, A, 100, false), 100);
	cr_assert_eq(mf.used_pages, before + 16, "a read slot's page kept as the spare");
	cr_assert_eq(xfer(rd, A, 100, false), 100);
	cr_assert_eq(mf.used_pages, before + 15);
	cr_assert_eq(pipe_fcntl(wr, F_SETPIPE_SZ, 1 << 20), 1 << 20);
	cr_assert_eq(pipe_fcntl(rd, F_SETPIPE_SZ, 4096), -EBUSY);
	cr_assert_eq(xfer(wr, A, 65536, true), 65536);
	file_put(wr);
	file_put(rd);
	cr_assert_eq(mf.used_pages, before);
}

/* A fault leaves the slot it hit in the ring, empty, as Linux's does:
 * the next small write fills it, a read drops it. */
Test(pipe, a_fault_leaves_an_empty_slot, .init = setup)
{
	struct file *rd, *wr;

	new_pipe(0, &rd, &wr);
	cr_assert_eq(xfer(wr, 0x1000, 10, true), -EFAULT);
	cr_assert(wait_ready(rd, POLLIN, 0));
	cr_assert_eq(xfer(rd, A, 10, false), -EAGAIN);
	cr_assert(!wait_ready(rd, POLLIN, 0));
	cr_assert_eq(xfer(wr, 0x1000, 10, true), -EFAULT);
	put(A, 'y', 3);
	cr_assert_eq(xfer(wr, A, 3, true), 3);
	cr_assert_eq(xfer(rd, A + 4096, 10, false), 3);
	file_put(wr);
	file_put(rd);
}
