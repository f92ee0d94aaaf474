/* cr_touch MIB FILE: the workload of the checkpoint/restore benchmark
 * (tools/bench/checkpoint).
 *
 * Allocates MIB MiB of private anonymous memory and writes every page of
 * it: the first half with pseudo-random bytes (incompressible), the next
 * quarter with zeros (touched, so resident, but a runtime may omit them
 * from its image), the last quarter with text (words drawn from a small
 * vocabulary, so it compresses about as well as prose). Then it loops for
 * ever: counter + 1, pwrite the counter as fixed-width text at offset 0 of
 * FILE, sleep 1 ms. FILE sits on a bind-mounted host directory, so the
 * host sees the counter move; the first write also says that the memory
 * is filled.
 *
 * One process, no threads, no shared memory, FILE kept open: what a
 * checkpoint of any runtime can take. Built static, so the same binary
 * runs in a bare rootfs under Amber and gVisor. Exits 1 with a message if
 * a call fails. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* the tree defines it; a lone cc does not */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define COUNTER_WIDTH 20	/* digits; then a newline */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* splitmix64: fast, and its output does not compress. */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t len)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t v = rng_next();

		memcpy(p + i, &v, 8);
	}
	for (; i < len; i++)
		p[i] = (uint8_t)rng_next();
}

/* Zeros written explicitly: each page is faulted in and stays resident. */
static void fill_zero(uint8_t *p, size_t len)
{
	memset(p, 0, len);
}

static void fill_text(uint8_t *p, size_t len)
{
	static const char *const words[] = {
		"the", "sandbox", "kernel", "restores", "a", "checkpoint", "of", "memory",
		"pages", "while", "its", "task", "runs", "and", "every", "file",
		"is", "loaded", "lazily", "from", "image", "when", "first", "touched",
		"container", "process", "thread", "signal", "system", "call", "returns", "zero",
	};
	size_t i = 0;

	while (i < len) {
		uint64_t r = rng_next();
		const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
		size_t n = strlen(w);

		if (n > len - i)
			n = len - i;
		memcpy(p + i, w, n);
		i += n;
		if (i < len)
			p[i++] = (r >> 8) % 13 == 0 ? '\n' : ' ';
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: cr_touch MIB FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	char line[COUNTER_WIDTH + 2];
	struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };
	uint64_t counter = 0;
	size_t size, half, quarter;
	uint8_t *mem;
	char *end;
	long mib;
	int fd;

	if (argc != 3)
		return usage();
	errno = 0;
	mib = strtol(argv[1], &end, 10);
	if (errno || *end || mib < 4 || mib > 65536)
		return usage();
	size = (size_t)mib * MIB;
	half = size / 2;
	quarter = size / 4;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "cr_touch: mmap %ld MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	fill_random(mem, half);
	fill_zero(mem + half, quarter);
	fill_text(mem + half + quarter, size - half - quarter);
	/* The memory is never read again: keep the compiler from dropping the
	 * stores that fill it. */
	__asm__ volatile("" : : "r"(mem) : "memory");

	fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "cr_touch: open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (;;) {
		int n;

		counter++;
		n = snprintf(line, sizeof(line), "%0*" PRIu64 "\n", COUNTER_WIDTH, counter);
		if (pwrite(fd, line, (size_t)n, 0) != n) {
			fprintf(stderr, "cr_touch: pwrite %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		/* EINTR (a stop for checkpoint, a signal) only shortens a sleep. */
		nanosleep(&ms, NULL);
	}
}
