/* Four threads (more than the machine's two cores) alternating computation
 * with system calls -- getppid, clock_gettime, write to /dev/null,
 * sched_yield -- for a fixed number of iterations, adding their results to
 * a shared atomic counter: a smoke test of the hand-off between threads
 * that run user code and threads in system calls, under oversubscription.
 * The sums do not depend on the interleaving (addition commutes), so they
 * print; the clocks only say whether they went backwards. */
#include "threadtest.h"

#include <fcntl.h>
#include <sched.h>

#define THREADS 4
#define ITER 10000

static uint64_t counter;	/* atomic */
static int devnull;

struct result {
	uint64_t sum;
	int ppid_ok, clock_ok, write_ok;
};

/* xorshift64*, seeded per thread and iteration: some work between calls. */
static uint64_t work(uint64_t x)
{
	for (int i = 0; i < 200; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		x *= 0x2545f4914f6cdd1dULL;
	}
	return x;
}

static void *worker(void *arg)
{
	struct result *res = arg;
	uint64_t seed = res->sum;	/* main put the seed there */
	struct timespec prev = { 0, 0 }, now;
	pid_t ppid = getppid();

	res->sum = 0;
	res->ppid_ok = res->clock_ok = res->write_ok = 1;
	for (int i = 0; i < ITER; i++) {
		uint64_t v = work(seed * 1000003 + i);

		res->sum += v;
		__atomic_add_fetch(&counter, v & 0xffff, __ATOMIC_RELAXED);
		switch (i % 4) {
		case 0:
			res->ppid_ok &= getppid() == ppid;
			break;
		case 1:
			clock_gettime(CLOCK_MONOTONIC, &now);
			res->clock_ok &= now.tv_sec > prev.tv_sec ||
					 (now.tv_sec == prev.tv_sec && now.tv_nsec >= prev.tv_nsec);
			prev = now;
			break;
		case 2:
			res->write_ok &= write(devnull, &v, sizeof(v)) == sizeof(v);
			break;
		case 3:
			sched_yield();
			break;
		}
	}
	return NULL;
}

int main(void)
{
	static struct result res[THREADS];
	pthread_t t[THREADS];
	uint64_t expect = 0;

	thr_start();
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		printf("open /dev/null: -%s\n", errname(errno));
		return 1;
	}
	for (int i = 0; i < THREADS; i++) {
		res[i].sum = i + 1;	/* the seed */
		t[i] = xthread("worker", worker, &res[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	/* The same sums computed here, by one thread. */
	for (int i = 0; i < THREADS; i++)
		for (int j = 0; j < ITER; j++)
			expect += work((uint64_t)(i + 1) * 1000003 + j) & 0xffff;
	printf("counter: %llu, as computed by one thread: %d\n", (unsigned long long)counter, counter == expect);
	for (int i = 0; i < THREADS; i++)
		printf("thread %d: sum %016llx, getppid steady %d, clock monotonic %d, writes whole %d\n", i,
		       (unsigned long long)res[i].sum, res[i].ppid_ok, res[i].clock_ok, res[i].write_ok);
	return 0;
}
