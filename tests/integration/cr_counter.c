/* A program to checkpoint in the middle of: it fills MIB MiB (a quarter
 * random, a quarter zeros, a quarter text, a quarter written once), then
 * for STEPS steps sleeps STEP_MS, changes a page, and prints the step, a
 * checksum of all its memory and a floating-point value carried in
 * registers. Its output depends on nothing but its arguments, so a run
 * checkpointed and restored anywhere prints what an uninterrupted one
 * does. Exits with status 7. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t sum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		h = (h ^ v) * 1099511628211ull;
	}
	return h;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 4;
	int steps = argc > 2 ? atoi(argv[2]) : 20;
	long step_ms = argc > 3 ? atol(argv[3]) : 100;
	size_t size = mib << 20, q = size / 4;
	uint8_t *mem = malloc(size);
	uint64_t x = 88172645463325252ull;
	double f = 1.5;

	if (!mem)
		return 1;
	for (size_t i = 0; i < q; i += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(mem + i, &x, 8);
	}
	memset(mem + q, 0, q);
	for (size_t i = 0; i < q; i++)
		mem[2 * q + i] = "the quick brown fox jumps over the lazy dog\n"[i % 44];
	memset(mem + 3 * q, 0x5a, q);
	for (int s = 1; s <= steps; s++) {
		struct timespec ts = { step_ms / 1000, (step_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		mem[(size_t)s * 4096 % size] ^= (uint8_t)s;
		f *= 1.01;
		printf("%d %016llx %.6f\n", s, (unsigned long long)sum(mem, size), f);
		fflush(stdout);
	}
	return 7;
}
