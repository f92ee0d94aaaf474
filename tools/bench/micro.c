/*
 * micro: one system-call microbenchmark per run.
 *
 *   micro NAME ITERS [FILE]
 *   micro list
 *
 * Runs ITERS / 10 (at least one) warm-up operations, then ITERS timed ones,
 * and prints one line "NAME ns_per_op" on stdout. The loop is timed with
 * clock_gettime(CLOCK_MONOTONIC) through libc. It is built static so that the
 * same binary runs natively, under gVisor and under Amber with no dynamic
 * loader in the measurement. Any failing call ends the run with a message on
 * stderr and exit status 1, so a sandbox that gets a call wrong reports
 * "fail" instead of a fast wrong number.
 *
 * FILE is the file pread_4k reads; by default the binary itself (argv[0] when
 * it holds a '/'), which is always larger than 4 KiB, else /bin/sh.
 *
 * fork_exit_wait, pthread_create_join and pipe_pingpong need a second task; a
 * runtime without fork or clone fails them like any other call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_FILE     "/etc/passwd"
#define PREAD_SIZE     4096
#define TOUCH_PAGES    256
#define PAGE_SIZE_4K   4096
#define WRITE_TOTAL    (1024 * 1024)
#define WRITE_CHUNK    (64 * 1024)     /* 16 write(2) calls per operation */

struct bench_ctx {
	const char *file;       /* file for pread_4k */
	int fd;                 /* open fd for pread_4k, /dev/null for write_1m */
	char *buf;              /* scratch buffer, WRITE_CHUNK bytes */
	int ping_fd;            /* pipe_pingpong: write end towards the echo child */
	int pong_fd;            /* pipe_pingpong: read end from the echo child */
	pid_t child;            /* pipe_pingpong: the echo child */
};

/* setup, op and teardown return 0, or -1 with errno set. */
struct bench {
	const char *name;
	const char *what;
	int (*setup)(struct bench_ctx *ctx);
	int (*op)(struct bench_ctx *ctx);
	int (*teardown)(struct bench_ctx *ctx);
};

static void die(const char *what)
{
	fprintf(stderr, "micro: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* getpid as a bare syscall instruction: no libc wrapper, no pid caching. */
static long raw_getpid(void)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_getpid)
			 : "rcx", "r11", "memory");
	return ret;
}

static int op_getpid(struct bench_ctx *ctx)
{
	long pid = raw_getpid();

	if (pid <= 0) {
		errno = pid < 0 ? (int)-pid : EINVAL;
		return -1;
	}
	return 0;
}

static int op_clock_gettime(struct bench_ctx *ctx)
{
	struct timespec ts;

	return clock_gettime(CLOCK_MONOTONIC, &ts);
}

static int op_open_close(struct bench_ctx *ctx)
{
	int fd = open(BENCH_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	return close(fd);
}

static int op_stat(struct bench_ctx *ctx)
{
	struct stat st;

	return stat(BENCH_FILE, &st);
}

static int setup_pread(struct bench_ctx *ctx)
{
	ctx->fd = open(ctx->file, O_RDONLY | O_CLOEXEC);
	return ctx->fd < 0 ? -1 : 0;
}

static int op_pread(struct bench_ctx *ctx)
{
	ssize_t n = pread(ctx->fd, ctx->buf, PREAD_SIZE, 0);

	if (n == PREAD_SIZE)
		return 0;
	if (n >= 0)
		errno = EIO;    /* short read: FILE is smaller than 4 KiB */
	return -1;
}

static int op_mmap_touch(struct bench_ctx *ctx)
{
	size_t len = (size_t)TOUCH_PAGES * PAGE_SIZE_4K;
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	for (size_t off = 0; off < len; off += PAGE_SIZE_4K)
		p[off] = 1;
	return munmap((void *)p, len);
}

static int setup_devnull(struct bench_ctx *ctx)
{
	ctx->fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return ctx->fd < 0 ? -1 : 0;
}

static int op_write_1m(struct bench_ctx *ctx)
{
	for (size_t done = 0; done < WRITE_TOTAL; done += WRITE_CHUNK) {
		ssize_t n = write(ctx->fd, ctx->buf, WRITE_CHUNK);

		if (n != WRITE_CHUNK) {
			if (n >= 0)
				errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* Reap pid and fail unless it exited with status 0. */
static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

static int op_fork_exit_wait(struct bench_ctx *ctx)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(0);
	return reap(pid);
}

static void *thread_noop(void *arg)
{
	return arg;
}

static int op_pthread_create_join(struct bench_ctx *ctx)
{
	pthread_t t;
	void *ret;
	int err = pthread_create(&t, NULL, thread_noop, ctx);

	if (!err)
		err = pthread_join(t, &ret);
	if (!err && ret != ctx)
		err = EINVAL;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* The echo child of pipe_pingpong: send back each byte until end of file. */
static void echo_loop(int in, int out)
{
	char c;
	ssize_t n;

	while ((n = read(in, &c, 1)) == 1)
		if (write(out, &c, 1) != 1)
			_exit(1);
	_exit(n == 0 ? 0 : 1);
}

static int setup_pingpong(struct bench_ctx *ctx)
{
	int ping[2], pong[2];

	if (pipe(ping))
		return -1;
	if (pipe(pong))
		goto err_ping;
	ctx->child = fork();
	if (ctx->child < 0)
		goto err_pong;
	if (ctx->child == 0) {
		close(ping[1]);
		close(pong[0]);
		echo_loop(ping[0], pong[1]);
	}
	close(ping[0]);
	close(pong[1]);
	ctx->ping_fd = ping[1];
	ctx->pong_fd = pong[0];
	return 0;

err_pong:
	close(pong[0]);
	close(pong[1]);
err_ping:
	close(ping[0]);
	close(ping[1]);
	return -1;
}

static int op_pipe_pingpong(struct bench_ctx *ctx)
{
	char c = 'p';
	ssize_t n = write(ctx->ping_fd, &c, 1);

	if (n == 1) {
		c = 0;
		n = read(ctx->pong_fd, &c, 1);
	}
	if (n == 1 && c == 'p')
		return 0;
	if (n >= 0)
		errno = EIO;    /* end of file or a wrong byte: the child is gone */
	return -1;
}

/* End of file on its input ends the echo child; it must exit cleanly. */
static int teardown_pingpong(struct bench_ctx *ctx)
{
	close(ctx->ping_fd);
	close(ctx->pong_fd);
	return reap(ctx->child);
}

static const struct bench benches[] = {
	{ "getpid", "raw getpid syscall", NULL, op_getpid, NULL },
	{ "clock_gettime", "libc clock_gettime(CLOCK_MONOTONIC); vDSO where the runtime has one",
	  NULL, op_clock_gettime, NULL },
	{ "open_close", "open(" BENCH_FILE ", O_RDONLY) + close", NULL, op_open_close, NULL },
	{ "stat", "stat(" BENCH_FILE ")", NULL, op_stat, NULL },
	{ "pread_4k", "pread 4 KiB at offset 0 of an open file", setup_pread, op_pread, NULL },
	{ "fork_exit_wait", "fork, child _exit(0), waitpid", NULL, op_fork_exit_wait, NULL },
	{ "pthread_create_join", "pthread_create of a thread that returns at once + pthread_join",
	  NULL, op_pthread_create_join, NULL },
	{ "pipe_pingpong", "one byte to a child process and back through two pipes",
	  setup_pingpong, op_pipe_pingpong, teardown_pingpong },
	{ "mmap_touch_256", "mmap 1 MiB anonymous, write one byte in each of 256 pages, munmap",
	  NULL, op_mmap_touch, NULL },
	{ "write_1m", "write 1 MiB to /dev/null as 16 writes of 64 KiB",
	  setup_devnull, op_write_1m, NULL },
};

#define BENCH_COUNT (sizeof(benches) / sizeof(benches[0]))

static double now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime");
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void run_ops(const struct bench *b, struct bench_ctx *ctx, long count)
{
	for (long i = 0; i < count; i++)
		if (b->op(ctx))
			die(b->name);
}

static int usage(void)
{
	fprintf(stderr, "usage: micro NAME ITERS [FILE]\n       micro list\n");
	return 2;
}

int main(int argc, char **argv)
{
	static char buf[WRITE_CHUNK];
	struct bench_ctx ctx = { .fd = -1, .buf = buf, .ping_fd = -1, .pong_fd = -1 };
	const struct bench *b = NULL;
	char *end;
	long iters;
	double t0, t1;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < BENCH_COUNT; i++)
			printf("%-20s %s\n", benches[i].name, benches[i].what);
		return 0;
	}
	if (argc < 3 || argc > 4)
		return usage();
	for (size_t i = 0; i < BENCH_COUNT; i++)
		if (strcmp(argv[1], benches[i].name) == 0)
			b = &benches[i];
	if (!b) {
		fprintf(stderr, "micro: unknown benchmark %s (try: micro list)\n", argv[1]);
		return 2;
	}
	errno = 0;
	iters = strtol(argv[2], &end, 10);
	if (errno || *end || iters <= 0) {
		fprintf(stderr, "micro: bad iteration count %s\n", argv[2]);
		return 2;
	}
	if (argc == 4)
		ctx.file = argv[3];
	else
		ctx.file = strchr(argv[0], '/') ? argv[0] : "/bin/sh";

	memset(buf, 'x', sizeof(buf));
	if (b->setup && b->setup(&ctx))
		die(b->name);

	run_ops(b, &ctx, iters / 10 > 0 ? iters / 10 : 1);
	t0 = now_ns();
	run_ops(b, &ctx, iters);
	t1 = now_ns();
	if (b->teardown && b->teardown(&ctx))
		die(b->name);

	printf("%s %.1f\n", b->name, (t1 - t0) / (double)iters);
	return 0;
}
