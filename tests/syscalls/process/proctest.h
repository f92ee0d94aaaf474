/* Helpers shared by the process tests (fork, wait, process groups).
 *
 * Children never print: they report through exit codes and shared memory,
 * and the parent prints, so the output's order does not depend on
 * scheduling. No pid is ever printed, only relations between pids. */
#ifndef PROCTEST_H
#define PROCTEST_H

#include "sctest.h"

#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

/* Parent and child meet in a page of MAP_SHARED memory, not in pipes (the
 * sandbox may have none): numbered int slots, set with post() and waited
 * for with await(). */
#define SHM_SLOTS 1024
static volatile int *shm;

/* At the top of every program, before any fork: a hang becomes a death by
 * SIGALRM (status 142, a visible difference) rather than a time-out, no
 * core dumps, and the shared page. */
static inline void proc_start(void)
{
	struct rlimit rl = { 0, 0 };

	alarm(10);
	setrlimit(RLIMIT_CORE, &rl);
	shm = mmap(NULL, SHM_SLOTS * sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		printf("mmap(MAP_SHARED|MAP_ANONYMOUS): -%s\n", errname(errno));
		exit(1);
	}
}

/* Makes the program lead its own session, as it does in the sandbox (pid 1)
 * and under the test harness (runguard's setsid): started from a shell, it
 * is not, and then forks a child that does (the parent only passes on its
 * exit status). Before proc_start(). */
static inline void proc_own_session(void)
{
	pid_t pid;
	int st = 0;

	if (getsid(0) == getpid() || setsid() >= 0)
		return;
	pid = fork();
	if (pid != 0) {
		waitpid(pid, &st, 0);
		exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	setsid();
}

/* fork(), or say why not and stop: nothing after it could mean anything. */
static inline pid_t xfork(const char *what)
{
	pid_t pid = fork();

	if (pid < 0) {
		printf("%s: fork: -%s\n", what, errname(errno));
		exit(1);
	}
	if (pid == 0)
		alarm(10);	/* alarms are not inherited; a stuck child dies too */
	return pid;
}

/* Sets a slot and wakes its waiters (a shared futex; await() does not
 * depend on the wake-up). Async-signal-safe. */
static inline void post(int slot, int v)
{
	__atomic_store_n(&shm[slot], v, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &shm[slot], FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static inline int peek(int slot)
{
	return __atomic_load_n(&shm[slot], __ATOMIC_SEQ_CST);
}

/* Waits until slot == v, for 3 s at most; then prints "WHAT: timed out"
 * (if WHAT) and returns false. */
static inline bool await(const char *what, int slot, int v)
{
	struct timespec now, end, nap = { 0, 20 * 1000 * 1000 }, ms = { 0, 1000 * 1000 };
	int cur;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 3;
	while ((cur = peek(slot)) != v) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)) {
			if (what)
				printf("%s: timed out\n", what);
			return false;
		}
		if (syscall(SYS_futex, &shm[slot], FUTEX_WAIT, cur, &nap, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != ETIMEDOUT && errno != EINTR)
			nanosleep(&ms, NULL);	/* no futex: poll */
	}
	return true;
}

/* A child's idle loop, until a signal ends it (not pause(): it is not the
 * subject here). */
static inline __attribute__((noreturn)) void idle(void)
{
	struct timespec ts = { 1, 0 };

	for (;;)
		nanosleep(&ts, NULL);
}

/* How a wait status reads, without any pid. */
static inline const char *wstr(int st)
{
	static char buf[80];

	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "killed by SIG%s%s", sigabbrev_np(WTERMSIG(st)),
			 WCOREDUMP(st) ? " (core)" : "");
	else if (WIFSTOPPED(st))
		snprintf(buf, sizeof(buf), "stopped by SIG%s", sigabbrev_np(WSTOPSIG(st)));
	else if (WIFCONTINUED(st))
		snprintf(buf, sizeof(buf), "continued");
	else
		snprintf(buf, sizeof(buf), "status %#x", st);
	return buf;
}

/* Like show(), for calls that return a pid: "what: a pid" rather than the
 * number (the tests expect an error or 0 there; a pid is a difference, and
 * should read the same from run to run). */
static inline void showw(const char *what, long r)
{
	if (r > 0)
		printf("%s: a pid\n", what);
	else
		show(what, r);
}

/* Waits for PID (blocking) and prints "what: waited pid is the child: 1,
 * exited 3", or the error. Returns the status, or -1. */
static inline int reap(const char *what, pid_t pid)
{
	int st = 0;
	long r = sc(SYS_wait4, pid, &st, 0, NULL);

	if (r < 0) {
		printf("%s: wait4: -%s\n", what, errname(-r));
		return -1;
	}
	printf("%s: waited pid is the child: %d, %s\n", what, r == pid, wstr(st));
	return st;
}

#endif
