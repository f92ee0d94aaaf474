/* fork and execve in a multi-threaded process.
 *
 * fork from a thread other than the main one: the child has one thread (its
 * tid is its pid, /proc says Threads: 1, it can make threads of its own),
 * its parent is the process (getppid), any thread of the parent can wait
 * for it but __WNOTHREAD limits wait to the caller's own children; and when
 * the forking thread ends, the child gets its PR_SET_PDEATHSIG signal (the
 * "parent" there is the thread), while getppid still names the process.
 *
 * execve from a thread other than the main one while the others block: the
 * new image keeps the pid (and its only thread takes the pid as its tid),
 * the other threads are gone, the parent waits for the same pid; likewise
 * when the main thread has already left with pthread_exit.
 *
 * Children report through their exit status (bits, all set: success); the
 * exec'd image runs this program again with argv[1] "exec-child". */
#include "threadtest.h"

#include <sys/mman.h>

static int *shm;	/* [0] child ready, [1] forking thread gone, [2] its child's pid
		 * (set before [4]), [3] main has looked */
static pid_t orig;	/* the pid before fork/exec */
static pthread_t main_thread;
static char exe[4096];	/* read at the start: /proc/self/exe fails once the main thread has left */

static int threads_line(void)
{
	char line[256];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

static void *nothing(void *arg)
{
	return arg;
}

/* In the child of a fork made by a non-main thread. */
static int forked_child(void)
{
	sigset_t m;
	int code = 0, sig = 0;
	struct timespec ts = { 2, 0 };
	void *ret = NULL;

	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, NULL);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	code |= (threads_line() == 1) << 0;
	code |= (gettid() == getpid()) << 1;
	code |= (pthread_join(xthread("in the child", nothing, (void *)5L), &ret) == 0 && ret == (void *)5L) << 2;
	post(&shm[0], 1);
	await(NULL, &shm[1], 1);	/* the forking thread has been joined */
	sig = sigtimedwait(&m, NULL, &ts);
	code |= (sig == SIGUSR1) << 3;
	code |= (getppid() == orig) << 4;
	return code;
}

static void *forker(void *arg)
{
	pid_t pid;

	(void)arg;
	pid = xfork("fork from a thread");
	if (pid == 0)
		_exit(forked_child());
	await("child ready", &shm[0], 1);
	shm[2] = pid;
	post(&shm[4], 1);
	await("main's look", &shm[3], 1);
	return NULL;
}

static void *blocker(void *arg)
{
	(void)arg;
	block_forever();
}

/* Runs in a forked child: threads blocked, then one of them execs. */
static void *execer(void *arg)
{
	char pid[16], *argv[] = { "thread_fork_exec", "exec-child", pid, NULL };

	if (arg)	/* wait until the main thread has gone */
		pthread_join(main_thread, NULL);
	snprintf(pid, sizeof(pid), "%d", (int)orig);
	execv(exe, argv);
	_exit(100);
}

static void exec_from_thread(const char *what, bool main_leaves)
{
	pid_t pid = xfork(what);

	if (pid == 0) {
		orig = getpid();
		main_thread = pthread_self();
		xthread("blocker", blocker, NULL);
		xthread("blocker", blocker, NULL);
		xthread("execer", execer, (void *)(long)main_leaves);
		if (main_leaves)
			pthread_exit(NULL);
		block_forever();
	}
	reap(what, pid);
}

int main(int argc, char **argv)
{
	pid_t pid;
	long r;
	int st = 0;

	if (argc == 3 && strcmp(argv[1], "exec-child") == 0) {
		int code = 0;

		code |= (getpid() == atoi(argv[2])) << 0;
		code |= (gettid() == getpid()) << 1;
		code |= (threads_line() == 1) << 2;
		return code;
	}
	thr_start();
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	orig = getpid();

	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		printf("readlink /proc/self/exe: -%s\n", errname(errno));

	xthread("blocker", blocker, NULL);
	pthread_t t = xthread("forker", forker, NULL);
	await("fork from a thread", &shm[4], 1);
	pid = peek(&shm[2]);
	show("main: wait4(another thread's child, WNOHANG)", sc(SYS_wait4, pid, &st, WNOHANG, NULL));
	show("main: wait4(another thread's child, __WNOTHREAD|WNOHANG)", sc(SYS_wait4, pid, &st, __WNOTHREAD | WNOHANG, NULL));
	post(&shm[3], 1);
	pthread_join(t, NULL);
	/* Reparented to the first live thread of the group, the main one, a
	 * moment after the join (the tid word is cleared first): poll. */
	for (int i = 0; i < 2000 && (r = sc(SYS_wait4, pid, &st, __WNOTHREAD | WNOHANG, NULL)) < 0; i++)
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	show("main: wait4(that child, __WNOTHREAD|WNOHANG) once its thread is gone, soon", r);
	post(&shm[1], 1);
	r = sc(SYS_wait4, pid, &st, 0, NULL);
	printf("child of a forked thread, reaped by main: %d, %s\n", r == pid, wstr(st));
	printf("  (31: 1 Threads: 1, 2 its tid is its pid, 4 made a thread, 8 got the pdeath signal when the thread\n"
	       "  ended, 16 getppid the process)\n");

	exec_from_thread("execve from a thread while two block (7: same pid, tid is pid, Threads: 1)", false);
	exec_from_thread("execve from a thread after main's pthread_exit", true);
	return 0;
}
