/* POSIX threads, the basics: eight threads that compute and return a value
 * through pthread_join; the ids a thread sees (getpid the same in all,
 * gettid its own and not the pid, pthread_self distinct); thread-local
 * storage (each thread starts from the initial image, not from the values
 * the main thread wrote, and keeps its own copy); and a mutex + condition
 * variable handoff between two threads, 1000 times each way. */
#include "threadtest.h"
#include "amber_cr.h"

#define N 8
#define ROUNDS 1000

/* __thread with an initializer: comes from the TLS image (.tdata), zeroed
 * one from .tbss. */
static __thread int tls_init = 42;
static __thread long tls_zero;

struct slot {
	int idx;
	pid_t pid, tid;
	pthread_t self;
	int saw_init;
	long saw_zero;
	void *tls_addr;
	int kept;	/* its own tls value still there after the others wrote */
};

static struct slot slots[N];
static pthread_barrier_t all_set, all_checked;

/* Sum of squares up to (idx + 1) * 10000, mod 1e9+7: different per thread. */
static long compute(int idx)
{
	long s = 0;

	for (long i = 1; i <= (idx + 1) * 10000L; i++)
		s = (s + i * i) % 1000000007L;
	return s;
}

static void *worker(void *arg)
{
	struct slot *sl = arg;

	sl->pid = getpid();
	sl->tid = gettid();
	sl->self = pthread_self();
	sl->saw_init = tls_init;
	sl->saw_zero = tls_zero;
	sl->tls_addr = &tls_init;
	tls_init = 1000 + sl->idx;
	tls_zero = -sl->idx;
	/* Every thread has written its copy before any reads it back; all are
	 * alive together, so no tid can have been reused. */
	pthread_barrier_wait(&all_set);
	sl->kept = tls_init == 1000 + sl->idx && tls_zero == -sl->idx;
	pthread_barrier_wait(&all_checked);
	return (void *)compute(sl->idx);
}

/* The handoff: whose turn it is, under the mutex. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn, passes;

static void *player(void *arg)
{
	int me = (int)(long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		while (turn != me)
			pthread_cond_wait(&cv, &mu);
		passes++;
		turn = !me;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int main(void)
{
	pthread_t th[N], p0, p1;
	bool same_pid = true, tid_not_pid = true, distinct = true, tls_ok = true;

	thr_start();
	printf("main thread: gettid is getpid: %d\n", gettid() == getpid());
	tls_init = 7;	/* the main thread's copy only */
	tls_zero = 8;
	pthread_barrier_init(&all_set, NULL, N);
	pthread_barrier_init(&all_checked, NULL, N + 1);
	for (int i = 0; i < N; i++) {
		slots[i].idx = i;
		th[i] = xthread("worker", worker, &slots[i]);
	}
	/* The eight threads are then waiting at a barrier (a futex wait). */
	amber_cr_point();
	pthread_barrier_wait(&all_checked);
	for (int i = 0; i < N; i++) {
		void *ret = NULL;
		int r = pthread_join(th[i], &ret);

		printf("thread %d: join %d, returned %ld, expected %d\n", i, r, (long)ret, (long)ret == compute(i));
	}
	for (int i = 0; i < N; i++) {
		same_pid &= slots[i].pid == getpid();
		tid_not_pid &= slots[i].tid != getpid() && slots[i].tid > 0;
		tls_ok &= slots[i].saw_init == 42 && slots[i].saw_zero == 0 && slots[i].kept;
		for (int j = 0; j < i; j++)
			distinct &= slots[i].tid != slots[j].tid && !pthread_equal(slots[i].self, slots[j].self) &&
				    slots[i].tls_addr != slots[j].tls_addr;
		distinct &= slots[i].tls_addr != (void *)&tls_init && !pthread_equal(slots[i].self, pthread_self());
	}
	printf("getpid the same in every thread: %d\n", same_pid);
	printf("gettid in a thread is not getpid: %d\n", tid_not_pid);
	printf("tids, pthread_self and TLS addresses distinct: %d\n", distinct);
	printf("TLS: initial image in each thread, own copy kept: %d\n", tls_ok);
	printf("main's TLS untouched by the threads: %d\n", tls_init == 7 && tls_zero == 8);

	p0 = xthread("player 0", player, (void *)0L);
	p1 = xthread("player 1", player, (void *)1L);
	pthread_join(p0, NULL);
	pthread_join(p1, NULL);
	printf("mutex+condvar ping-pong: %d passes, turn back to %d\n", passes, turn);
	return 0;
}
