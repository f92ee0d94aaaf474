/* How threads and their process end: pthread_join's value from a thread
 * that returned and from one that called pthread_exit; exit() and
 * exit_group from one thread end every thread (blocked in pause, a futex
 * wait, pthread_join) with that status; returning from main does too; the
 * main thread's pthread_exit leaves the others running (the process is not
 * waitable yet, another thread can join the main one) until the last ends
 * it with status 0 (glibc's last thread calls exit(0)); and when every
 * thread leaves with the exit system call alone, the main thread first,
 * the status is the last thread's code, not the main thread's (Linux since
 * 5.19 or so: the last thread to exit records its code as the group's,
 * synchronize_group_exit; older kernels reported the leader's code).
 *
 * Each ending of a process runs in a forked child; the parent reports its
 * status. The words the parent watches are in MAP_SHARED memory. */
#include "threadtest.h"
#include "amber_cr.h"

#include <sys/mman.h>

static int *shm;	/* [0] threads up, [1] go, [2] leader gone, [3] done count */
static pthread_t main_thread;
static int joined = -1;
static void *mainval;

static void *returns(void *arg)
{
	return arg;
}

static void nested_exit(void *v)
{
	pthread_exit(v);
}

static void *exits(void *arg)
{
	nested_exit(arg);
	return (void *)1L;	/* not reached */
}

static void *pauser(void *arg)
{
	(void)arg;
	bump(&shm[0], 1);
	for (;;)
		pause();
	return NULL;	/* not reached (gcc 12 wants it all the same) */
}

static void *futex_waiter(void *arg)
{
	(void)arg;
	bump(&shm[0], 1);
	block_forever();
}

/* Waits until the other two threads are up, then ends the process. */
static void *ender(void *arg)
{
	await("threads up", &shm[0], 2);
	if ((long)arg == 3)
		exit(3);
	syscall(SYS_exit_group, 4);
	return NULL;
}

/* A child with a thread in pause(), one in a futex wait, and the main
 * thread in pthread_join of a third, which ends the process with CODE. */
static void whole_process(long code)
{
	pthread_t t;

	xthread("pauser", pauser, NULL);
	xthread("futex waiter", futex_waiter, NULL);
	t = xthread("ender", ender, (void *)code);
	pthread_join(t, NULL);
	_exit(99);	/* not reached */
}

/* After the main thread's pthread_exit: each thread waits for the go, and
 * the last one done prints. */
static void *survivor(void *arg)
{
	if (arg) {	/* the first joins the main thread */
		joined = pthread_join(main_thread, &mainval);
		post(&shm[2], 1);
	}
	await(NULL, &shm[1], 1);
	if (__atomic_add_fetch(&shm[3], 1, __ATOMIC_SEQ_CST) == 3)
		printf("  last thread: 3 done, getpid unchanged %d, pthread_join(main thread) %d, its value %ld\n",
		       (pid_t)shm[4] == getpid(), joined, (long)mainval);
	return NULL;
}

/* The leader ends with SYS_exit(9), then the last thread with SYS_exit(2). */
static void *last_raw(void *arg)
{
	(void)arg;
	pthread_join(main_thread, NULL);	/* the kernel clears the leader's tid word */
	post(&shm[2], 1);
	await(NULL, &shm[1], 1);
	syscall(SYS_exit, 2);
	return NULL;
}

int main(void)
{
	void *ret;
	pid_t pid;
	int st, r;

	thr_start();
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	main_thread = pthread_self();

	ret = NULL;
	r = pthread_join(xthread("returns", returns, (void *)11L), &ret);
	printf("join a thread that returned 11: %d, value %ld\n", r, (long)ret);
	ret = NULL;
	r = pthread_join(xthread("exits", exits, (void *)22L), &ret);
	printf("join a thread that called pthread_exit(22): %d, value %ld\n", r, (long)ret);

	for (long code = 3; code <= 4; code++) {
		memset(shm, 0, 64);
		if ((pid = xfork("whole")) == 0)
			whole_process(code);
		reap(code == 3 ? "exit(3) in a thread while the others block"
			       : "exit_group(4) in a thread while the others block", pid);
	}

	memset(shm, 0, 64);
	if ((pid = xfork("return")) == 0) {
		xthread("pauser", pauser, NULL);
		xthread("futex waiter", futex_waiter, NULL);
		await("threads up", &shm[0], 2);
		return 5;
	}
	reap("return 5 from main while two threads block", pid);

	memset(shm, 0, 64);
	if ((pid = xfork("pthread_exit")) == 0) {
		shm[4] = getpid();
		xthread("survivor", survivor, (void *)1L);
		xthread("survivor", survivor, NULL);
		xthread("survivor", survivor, NULL);
		pthread_exit((void *)77L);
	}
	printf("main thread's pthread_exit(77), three threads left:\n");
	await("the main thread gone", &shm[2], 1);
	amber_cr_point();	/* the child's main thread gone, three others waiting */
	show("  wait4(WNOHANG) while they run", sc(SYS_wait4, pid, &st, WNOHANG, NULL));
	show("  kill(pid, 0)", sc(SYS_kill, pid, 0));
	post(&shm[1], 1);
	reap("  then the process", pid);

	memset(shm, 0, 64);
	if ((pid = xfork("raw exits")) == 0) {
		xthread("last", last_raw, NULL);
		syscall(SYS_exit, 9);
	}
	await("the main thread gone", &shm[2], 1);
	show("main thread SYS_exit(9), wait4(WNOHANG) while another runs", sc(SYS_wait4, pid, &st, WNOHANG, NULL));
	post(&shm[1], 1);
	reap("  then that thread SYS_exit(2): the process", pid);
	show("no children left", sc(SYS_wait4, -1, &st, WNOHANG, NULL));
	return 0;
}
