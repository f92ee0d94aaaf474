/* Reads the clocks N times between two getppid calls, which mark the loop
 * in `runsc --strace`'s output: vdso_traps.sh counts the system calls in
 * between. Every 1000th round also reads gettimeofday, time, getcpu,
 * clock_getres and the other clocks the vDSO answers.
 * usage: vdso_loop N */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	static const clockid_t others[] = { CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_RAW,
					    CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI };
	struct timespec nap = { 0, 50 * 1000 * 1000 }, prev = { 0, 0 }, now;
	long n = argc > 1 ? atol(argv[1]) : 0, back = 0;

	/* The sentry's TSC clocks come on within a few ms of its start. */
	nanosleep(&nap, NULL);
	syscall(SYS_getppid);
	for (long i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		back += ns(now) < ns(prev);
		prev = now;
		if (i % 1000 == 0) {
			struct timeval tv;
			struct timespec ts;

			gettimeofday(&tv, NULL);
			(void)time(NULL);
			(void)sched_getcpu();
			clock_getres(CLOCK_MONOTONIC, &ts);
			for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++)
				clock_gettime(others[k], &ts);
		}
	}
	syscall(SYS_getppid);
	printf("%ld reads, %ld backwards\n", n, back);
	return back != 0;
}
