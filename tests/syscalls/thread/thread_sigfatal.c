/* Fatal signals and threads, and tgkill: a signal whose default action ends
 * the process, sent from one thread to the process (kill) or to another
 * thread (pthread_kill, tgkill with SIGKILL), or a fault in one thread,
 * kills every thread: the parent sees the process killed by that signal.
 * tgkill/tkill find a live thread by tid, fail with ESRCH when the tgid is
 * not the thread's, with EINVAL for a tgid or tid <= 0 or a bad signal, and
 * with ESRCH once the thread is gone. */
#include "threadtest.h"

static int ready, done;
static pid_t tids[2];
static pthread_t victim;

/* Records its tid, says so, waits until done. */
static void *sitter(void *arg)
{
	tids[(long)arg] = gettid();
	bump(&ready, 1);
	while (!peek(&done))
		futex(&done, FUTEX_WAIT, 0, NULL);
	return NULL;
}

/* Ends the process one way or another, then waits for the end. */
static void *killer(void *arg)
{
	long how = (long)arg;

	await("threads up", &ready, 2);
	if (how == 0)
		kill(getpid(), SIGTERM);
	else if (how == 1)
		pthread_kill(victim, SIGTERM);
	else if (how == 2)
		syscall(SYS_tgkill, getpid(), tids[1], SIGKILL);
	else {
		volatile int *bad;
		__asm__ volatile("" : "=r"(bad) : "0"(LOW_PTR));	/* hides the constant from gcc */
		*bad = 1;
	}
	block_forever();
}

/* A child with two threads waiting, the main one in pthread_join, and a
 * fourth that ends it. No core dump: the status has no core flag. */
static void fatal(const char *what, long how)
{
	pid_t pid = xfork(what);

	if (pid == 0) {
		prctl(PR_SET_DUMPABLE, 0);
		victim = xthread("sitter", sitter, (void *)0L);
		xthread("sitter", sitter, (void *)1L);
		pthread_join(xthread("killer", killer, (void *)how), NULL);
		_exit(0);	/* not reached */
	}
	reap(what, pid);
}

/* Polls until tgkill(pid, tid, 0) fails, 2 s at most: pthread_join returns
 * when the kernel clears the thread's tid word, which it does before the
 * thread is released, so the tid may still answer for a moment. */
static long gone(pid_t tid)
{
	struct timespec ms = { 0, 1000 * 1000 };
	long r;

	for (int i = 0; i < 2000 && (r = sc(SYS_tgkill, getpid(), tid, 0)) == 0; i++)
		nanosleep(&ms, NULL);
	return r;
}

int main(void)
{
	pid_t tid;
	pthread_t t;

	thr_start();
	fatal("kill(getpid(), SIGTERM) from a thread", 0);
	fatal("pthread_kill(another thread, SIGTERM)", 1);
	fatal("tgkill(pid, another thread, SIGKILL)", 2);
	fatal("a thread writes to an unmapped address", 3);

	t = xthread("sitter", sitter, (void *)0L);
	await("sitter up", &ready, 1);
	tid = tids[0];
	show("tgkill(pid, thread, 0)", sc(SYS_tgkill, getpid(), tid, 0));
	show("tgkill(pid, main thread, 0)", sc(SYS_tgkill, getpid(), getpid(), 0));
	show("tkill(thread, 0)", sc(SYS_tkill, tid, 0));
	show("tgkill(thread's tid as tgid, thread, 0)", sc(SYS_tgkill, tid, tid, 0));
	show("tgkill(thread's tid as tgid, main thread, 0)", sc(SYS_tgkill, tid, getpid(), 0));
	show("tgkill(0, thread, 0)", sc(SYS_tgkill, 0, tid, 0));
	show("tgkill(pid, 0, 0)", sc(SYS_tgkill, getpid(), 0, 0));
	show("tgkill(pid, -1, 0)", sc(SYS_tgkill, getpid(), -1, 0));
	show("tkill(0, 0)", sc(SYS_tkill, 0, 0));
	show("tgkill(pid, thread, 65)", sc(SYS_tgkill, getpid(), tid, 65));
	post(&done, 1);
	pthread_join(t, NULL);
	show("tgkill(pid, the joined thread, 0), soon", gone(tid));
	show("tkill(the joined thread, 0)", sc(SYS_tkill, tid, 0));
	return 0;
}
