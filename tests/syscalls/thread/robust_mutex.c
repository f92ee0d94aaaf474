/* Robust mutexes (glibc's PTHREAD_MUTEX_ROBUST over set_robust_list): a
 * holder that ends without unlocking -- a thread's exit, a process's
 * _exit, SIGKILL, execve -- leaves the lock word marked owner-dead, and
 * the next locker gets EOWNERDEAD, including one already blocked in the
 * lock when the holder ends; pthread_mutex_consistent makes the mutex
 * usable again. And get_robust_list: the head glibc registered for this
 * thread (24 bytes), ESRCH for no such thread, EFAULT for a bad pointer.
 *
 * With "exec-wait READY FD" the program is the exec'd image of a child
 * that held a shared robust mutex: it writes a byte to READY, then waits
 * for FD to close, so its parent sees the owner-dead mark that the exec
 * itself left. */
#include "threadtest.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

static pthread_mutex_t *shared;
static pthread_mutex_t local;
static int locked, release;

static const char *res(int r)
{
	return r == 0 ? "0" : strerrorname_np(r);
}

static void init(pthread_mutex_t *m, bool pshared)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (pshared)
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

/* Takes the lock again after an owner's death: EOWNERDEAD, then
 * consistent, unlock, and a clean lock and unlock. */
static void recover(const char *what, pthread_mutex_t *m, int r)
{
	printf("%s: lock: %s\n", what, res(r));
	if (r == EOWNERDEAD) {
		printf("  consistent: %s\n", res(pthread_mutex_consistent(m)));
		printf("  unlock: %s\n", res(pthread_mutex_unlock(m)));
		r = pthread_mutex_lock(m);
		printf("  lock again: %s\n", res(r));
		if (r == 0)
			pthread_mutex_unlock(m);
	}
}

static void *hold_and_exit(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&local);
	return NULL;
}

/* Locks, tells main, waits for main to be (very likely) blocked in the
 * lock, then ends holding it. */
static void *hold_until_told(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&local);
	post(&locked, 1);
	await(NULL, &release, 1);
	return NULL;
}

static void *release_later(void *arg)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };

	(void)arg;
	nanosleep(&pause, NULL);
	post(&release, 1);
	return NULL;
}

static void child_ends(const char *what, int how, const char *self)
{
	int fds[2], ready[2], st;
	pid_t pid;
	char c;

	if (pipe(fds) < 0 || pipe(ready) < 0)
		return;
	pid = xfork(what);
	if (pid == 0) {
		char fd[16], rfd[16];

		pthread_mutex_lock(shared);
		if (how == 0)
			_exit(0);
		if (how == 1)
			raise(SIGKILL);
		close(fds[1]);
		close(ready[0]);
		snprintf(fd, sizeof(fd), "%d", fds[0]);
		snprintf(rfd, sizeof(rfd), "%d", ready[1]);
		execl(self, self, "exec-wait", rfd, fd, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	close(ready[1]);
	if (how == 2) {
		/* The exec'd child still runs, waiting for fds[1] to close:
		 * the mark is the exec's. */
		if (read(ready[0], &c, 1) != 1)
			printf("%s: the exec'd child did not start\n", what);
		recover(what, shared, pthread_mutex_lock(shared));
		close(fds[1]);
		waitpid(pid, &st, 0);
	} else {
		close(fds[1]);
		waitpid(pid, &st, 0);
		recover(what, shared, pthread_mutex_lock(shared));
	}
	printf("  the child: %s\n", wstr(st));
	close(ready[0]);
}

int main(int argc, char **argv)
{
	uint64_t head = 0, len = 0;
	pthread_t t, t2;

	if (argc > 3 && strcmp(argv[1], "exec-wait") == 0) {
		char c = 1;

		if (write(atoi(argv[2]), &c, 1) != 1)
			return 1;
		while (read(atoi(argv[3]), &c, 1) > 0)
			;
		return 0;
	}
	thr_start();
	setvbuf(stdout, NULL, _IONBF, 0);

	show("get_robust_list(0)", sc(SYS_get_robust_list, 0, &head, &len));
	printf("  a head: %s, length %lu\n", head ? "yes" : "no", (unsigned long)len);
	show("get_robust_list(own tid)", sc(SYS_get_robust_list, gettid(), &head, &len));
	show("get_robust_list(no such thread)", sc(SYS_get_robust_list, 999999, &head, &len));
	show("get_robust_list(bad pointer)", sc(SYS_get_robust_list, 0, (void *)16, &len));
	show("set_robust_list(length 23)", sc(SYS_set_robust_list, head, 23));

	init(&local, false);
	t = xthread("exit", hold_and_exit, NULL);
	pthread_join(t, NULL);
	recover("a thread ended holding it", &local, pthread_mutex_lock(&local));

	t = xthread("blocked", hold_until_told, NULL);
	await(NULL, &locked, 1);
	t2 = xthread("release", release_later, NULL);
	recover("blocked in the lock when the holder ended", &local, pthread_mutex_lock(&local));
	pthread_join(t, NULL);
	pthread_join(t2, NULL);

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return 1;
	init(shared, true);
	child_ends("a child process's _exit", 0, argv[0]);
	child_ends("a child killed by SIGKILL", 1, argv[0]);
	child_ends("a child's execve", 2, "/proc/self/exe");
	return 0;
}
