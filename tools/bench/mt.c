/*
 * mt: several threads mixing computation and system calls.
 *
 *   mt [THREADS [OPS [WORK]]]
 *
 * THREADS threads (default 4) each do OPS operations (default 20000). One
 * operation is WORK rounds (default 3000) of integer arithmetic on registers,
 * then one system call, in turn: a bare getpid syscall instruction, libc
 * clock_gettime(CLOCK_MONOTONIC) (the vDSO where there is one) and a 64-byte
 * write to /dev/null. All threads start together behind a barrier; the
 * program prints "mt OPS_PER_SECOND" for all threads together, from the
 * barrier to the last join. Built static like micro, so that the same file
 * runs natively and in every sandbox. A runtime without threads fails at
 * pthread_create, with exit status 1 and a message.
 *
 * The arithmetic never touches memory, so it runs at native speed in any
 * sandbox: what a runtime loses shows in its system calls and in how it
 * schedules several threads on the host's CPUs.
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS     64
#define WRITE_SIZE      64

struct worker {
	pthread_t thread;
	long ops;
	long work;
	int devnull;
	uint64_t result;        /* keeps the arithmetic from being optimized out */
};

static pthread_barrier_t start_line;

static void die(const char *what, int err)
{
	fprintf(stderr, "mt: %s: %s\n", what, strerror(err));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime", errno);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long raw_getpid(void)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_getpid)
			 : "rcx", "r11", "memory");
	return ret;
}

/* xorshift64: a dependent chain of arithmetic the compiler cannot fold. */
static uint64_t compute(uint64_t x, long rounds)
{
	for (long i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

static void one_syscall(struct worker *w, long i)
{
	static const char buf[WRITE_SIZE];
	struct timespec ts;

	switch (i % 3) {
	case 0:
		if (raw_getpid() <= 0)
			die("getpid", EINVAL);
		break;
	case 1:
		if (clock_gettime(CLOCK_MONOTONIC, &ts))
			die("clock_gettime", errno);
		break;
	default:
		if (write(w->devnull, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write /dev/null", errno ? errno : EIO);
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t x = 88172645463325252ull + (uintptr_t)arg;

	pthread_barrier_wait(&start_line);
	for (long i = 0; i < w->ops; i++) {
		x = compute(x, w->work);
		one_syscall(w, i);
	}
	w->result = x;
	return NULL;
}

static long parse(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > max) {
		fprintf(stderr, "usage: mt [THREADS [OPS [WORK]]] (THREADS <= %d)\n", MAX_THREADS);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_THREADS];
	long threads = argc > 1 ? parse(argv[1], MAX_THREADS) : 4;
	long ops = argc > 2 ? parse(argv[2], 1L << 40) : 20000;
	long work = argc > 3 ? parse(argv[3], 1L << 30) : 3000;
	uint64_t sum = 0;
	double t0, t1;
	int devnull, err;

	if (argc > 4)
		parse("", 0);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		die("open /dev/null", errno);
	err = pthread_barrier_init(&start_line, NULL, (unsigned)threads + 1);
	if (err)
		die("pthread_barrier_init", err);
	for (long i = 0; i < threads; i++) {
		workers[i] = (struct worker){ .ops = ops, .work = work, .devnull = devnull };
		err = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
		if (err)
			die("pthread_create", err);
	}
	pthread_barrier_wait(&start_line);
	t0 = now_ns();
	for (long i = 0; i < threads; i++) {
		err = pthread_join(workers[i].thread, NULL);
		if (err)
			die("pthread_join", err);
		sum += workers[i].result;
	}
	t1 = now_ns();
	if (sum == 0)   /* practically never; makes the result observable */
		fprintf(stderr, "mt: checksum 0\n");
	printf("mt %.1f\n", (double)(threads * ops) / ((t1 - t0) / 1e9));
	return 0;
}
