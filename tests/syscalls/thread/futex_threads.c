/* futex between threads: FUTEX_WAKE's count (each waiter woken exactly once,
 * one at a time with nr 1, all together with INT_MAX), FUTEX_WAIT_BITSET
 * and a wake with a mask that does not match, FUTEX_CMP_REQUEUE moving
 * waiters to another word; FUTEX_WAIT with a stale value (EAGAIN), a
 * relative timeout (ETIMEDOUT), an absolute one in the past, a bad
 * timespec; and glibc's users: a barrier, 4 threads x 100 rounds, and a
 * contended mutex.
 *
 * A waker cannot know that a waiter is already asleep in the kernel, so
 * wakes are repeated until the counts add up: the totals are exact (a waiter
 * leaves only when woken), the number of attempts is not printed. */
#include "threadtest.h"

#define N 4
#define ROUNDS 100

static int word, word2, woken, bad;
static int bitset_mode;

/* Waits on word (or with bitset 1) until a FUTEX_WAIT returns 0: woken. */
static void *waiter(void *arg)
{
	long r;

	(void)arg;
	do {
		if (bitset_mode)
			r = sc(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 1);
		else
			r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL);
		if (r != 0 && r != -EINTR)
			bump(&bad, 1);
	} while (r != 0);
	bump(&woken, 1);
	return NULL;
}

/* Repeats OP (a wake or requeue returning a count) until the counts add up
 * to WANT; returns the total, and whether any one call exceeded MAX. */
static long until(long (*op)(void), long want, long max, bool *over)
{
	struct timespec ms = { 0, 1000 * 1000 };
	long total = 0, r;

	for (int i = 0; i < 3000 && total < want; i++) {
		r = op();
		if (r < 0)
			return r;
		*over |= r > max;
		total += r;
		if (r == 0)
			nanosleep(&ms, NULL);
	}
	return total;
}

static long wake1(void) { return futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL); }
static long wakeall(void) { return futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL); }
static long wakebit1(void) { return sc(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 1); }
static long requeue(void) { return sc(SYS_futex, &word, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, &word2, 0); }
static long wake2all(void) { return futex(&word2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL); }

static void round_of(const char *what, long (*op)(void), long max, int mode)
{
	pthread_t t[N];
	bool over = false;
	long total;

	woken = 0;
	bitset_mode = mode;
	for (int i = 0; i < N; i++)
		t[i] = xthread(what, waiter, NULL);
	if (mode)
		show("  FUTEX_WAKE_BITSET with mask 2 (they wait with 1)",
		     sc(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 2));
	total = until(op, N, max, &over);
	if (op == requeue) {
		show("  FUTEX_CMP_REQUEUE, moved in all", total);
		total = until(total < 0 ? wakeall : wake2all, N, N, &over);
	}
	/* Waiters a failed call left behind are let go all the same, so that
	 * the program goes on (its output already differs). */
	for (int i = 0; i < 3000 && peek(&woken) != N; i++) {
		wakeall();
		wake2all();
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	}
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	if (total < 0)
		printf("%s: -%s\n", what, errname(-total));
	else
		printf("%s: %ld woken in all, each once %d, none woken by more than %ld per call %d\n", what, total,
		       peek(&woken) == N, max, !over);
}

/* show(), with ETIMEDOUT by name (sctest.h's errname lacks it). */
static void showt(const char *what, long r)
{
	if (r == -ETIMEDOUT)
		printf("%s: -ETIMEDOUT\n", what);
	else
		show(what, r);
}

static pthread_barrier_t barrier;
static int arrivals[ROUNDS], serials, mismatches;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *rounds(void *arg)
{
	(void)arg;
	for (int r = 0; r < ROUNDS; r++) {
		__atomic_add_fetch(&arrivals[r], 1, __ATOMIC_SEQ_CST);
		if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&serials, 1, __ATOMIC_SEQ_CST);
		if (peek(&arrivals[r]) != N)	/* all four arrived before any left */
			__atomic_add_fetch(&mismatches, 1, __ATOMIC_SEQ_CST);
		for (int i = 0; i < 100; i++) {
			pthread_mutex_lock(&mu);
			counter++;
			pthread_mutex_unlock(&mu);
		}
	}
	return NULL;
}

int main(void)
{
	struct timespec rel = { 0, 20 * 1000 * 1000 }, past = { 0, 0 }, badts = { 0, 2000000000L };
	pthread_t t[N];
	int w = 5;

	thr_start();
	round_of("FUTEX_WAKE nr 1, repeated", wake1, 1, 0);
	round_of("FUTEX_WAKE nr INT_MAX, repeated", wakeall, N, 0);
	round_of("FUTEX_WAIT_BITSET 1, FUTEX_WAKE_BITSET 1", wakebit1, N, 1);
	round_of("FUTEX_CMP_REQUEUE to another word, then FUTEX_WAKE there", requeue, N, 0);
	printf("waits that ended otherwise than woken or EINTR: %d\n", peek(&bad));

	show("FUTEX_WAKE with nobody waiting", futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL));
	show("FUTEX_WAIT, value 5 expected 6", futex(&w, FUTEX_WAIT, 6, NULL));
	show("FUTEX_WAIT_PRIVATE, value 5 expected 6", futex(&w, FUTEX_WAIT_PRIVATE, 6, &rel));
	showt("FUTEX_WAIT, 20 ms", futex(&w, FUTEX_WAIT, 5, &rel));
	showt("FUTEX_WAIT_BITSET, absolute CLOCK_MONOTONIC 0", sc(SYS_futex, &w, FUTEX_WAIT_BITSET, 5, &past, NULL, ~0));
	show("FUTEX_WAIT, tv_nsec 2e9", futex(&w, FUTEX_WAIT, 5, &badts));
	show("FUTEX_WAIT_BITSET, mask 0", sc(SYS_futex, &w, FUTEX_WAIT_BITSET, 5, &rel, NULL, 0));
	show("FUTEX_CMP_REQUEUE, value 5 expected 6", sc(SYS_futex, &w, FUTEX_CMP_REQUEUE, 0, 1, &word2, 6));

	pthread_barrier_init(&barrier, NULL, N);
	for (int i = 0; i < N; i++)
		t[i] = xthread("rounds", rounds, NULL);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	printf("barrier: %d rounds, one serial thread per round %d, early leavers %d, mutex counter %ld\n", ROUNDS,
	       serials == ROUNDS, mismatches, counter);
	return 0;
}
