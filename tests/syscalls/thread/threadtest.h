/* Helpers shared by the thread tests.
 *
 * Threads meet in plain words of memory, waited for with futexes, not in
 * sleeps: a test never depends on how the threads are scheduled. Only the
 * main thread prints (or, in a forked child, one thread chosen by the
 * program's logic, while the parent waits), so the output's order is fixed.
 * No tid, pid or address is printed, only relations between them. */
#ifndef THREADTEST_H
#define THREADTEST_H

#include "sctest.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

/* At the top of every program: a hang becomes a death by SIGALRM (status
 * 142, a visible difference; SIGALRM is process-directed, so it ends every
 * thread) rather than a time-out, and no core dumps. */
static inline void thr_start(void)
{
	struct rlimit rl = { 0, 0 };

	alarm(10);
	setrlimit(RLIMIT_CORE, &rl);
}

/* A raw futex call returning >= 0 or -errno. */
static inline long futex(int *w, int op, int val, const struct timespec *ts)
{
	return sc(SYS_futex, w, op, val, ts, NULL, 0);
}

static inline int peek(int *w)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

/* Sets *W and wakes its waiters. Shared (not _PRIVATE) futex operations,
 * so that a word in MAP_SHARED memory works between processes too.
 * Async-signal-safe. */
static inline void post(int *w, int v)
{
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
	futex(w, FUTEX_WAKE, INT_MAX, NULL);
}

/* Adds D to *W and wakes its waiters (a count of arrivals). */
static inline void bump(int *w, int d)
{
	__atomic_add_fetch(w, d, __ATOMIC_SEQ_CST);
	futex(w, FUTEX_WAKE, INT_MAX, NULL);
}

/* Waits until *W == V, for 3 s at most; then prints "WHAT: timed out" and
 * returns false. Without WHAT, waits as long as it takes (the alarm is the
 * safety net): for waits that must not end early, as a thread going on
 * would print out of turn, even when a checkpoint stops everything for a
 * while. The futex wait has a short timeout of its own: the result does
 * not depend on the wake-up. */
static inline bool await(const char *what, int *w, int v)
{
	struct timespec now, end, nap = { 0, 20 * 1000 * 1000 };
	int cur;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 3;
	while ((cur = peek(w)) != v) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (what && (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))) {
			printf("%s: timed out\n", what);
			return false;
		}
		futex(w, FUTEX_WAIT, cur, &nap);
	}
	return true;
}

/* Blocks the calling thread for good (until the process ends), in a futex
 * wait on a word nobody changes; signals' EINTR just go round again. */
static inline __attribute__((noreturn)) void block_forever(void)
{
	static int never;

	for (;;)
		futex(&never, FUTEX_WAIT, 0, NULL);
}

/* fork(), or say why not and stop. The child gets an alarm of its own (they
 * are not inherited). stdout is flushed first so that nothing is printed
 * twice. */
static inline pid_t xfork(const char *what)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("%s: fork: -%s\n", what, errname(errno));
		exit(1);
	}
	if (pid == 0)
		alarm(10);
	return pid;
}

/* How a wait status reads, without any pid. */
static inline const char *wstr(int st)
{
	static char buf[80];

	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "killed by SIG%s", sigabbrev_np(WTERMSIG(st)));
	else
		snprintf(buf, sizeof(buf), "status %#x", st);
	return buf;
}

/* Waits for the child PID and prints "WHAT: exited 3" or the error. */
static inline int reap(const char *what, pid_t pid)
{
	int st = 0;
	long r = sc(SYS_wait4, pid, &st, 0, NULL);

	if (r < 0) {
		printf("%s: wait4: -%s\n", what, errname(-r));
		return -1;
	}
	printf("%s: %s\n", what, r == pid ? wstr(st) : "another pid");
	return st;
}

/* pthread_create, or say why not and stop. */
static inline pthread_t xthread(const char *what, void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, fn, arg);

	if (r != 0) {
		printf("%s: pthread_create: -%s\n", what, errname(r));
		exit(1);
	}
	return t;
}

#endif
