/* clone and clone3 beyond fork: the raw clone(SIGCHLD) that is fork, the
 * tid-writing flags, CLONE_VFORK, CLONE_FILES and CLONE_FS between two
 * processes, CLONE_PARENT, exit signals other than SIGCHLD (a child
 * waitable only with __WCLONE or __WALL), and the invalid flag combinations
 * and clone3 argument sizes. CLONE_VM is clone_vm's subject.
 *
 * Raw clone without CLONE_VM returns in the child on a copy of our stack,
 * like fork. */
#include "proctest.h"
#include "amber_cr.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>

struct cargs {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
		cgroup;
};

static pid_t *shared_tid;

static long raw_clone(unsigned long flags, void *ptid, void *ctid)
{
	return sc(SYS_clone, flags, 0, ptid, ctid, 0);
}

static long clone3(struct cargs *ca, size_t size)
{
	return sc(SYS_clone3, ca, size);
}

static void fork_like(void)
{
	pid_t ptid = 0, ctid = 0, me = getpid();
	long pid;

	pid = raw_clone(SIGCHLD, NULL, NULL);
	if (pid == 0)
		_exit(getppid() == me ? 21 : 1);
	show("clone(SIGCHLD) is positive", pid > 0 ? 1 : pid);
	reap("clone(SIGCHLD)", pid);

	/* PARENT_SETTID writes in the parent's memory (after the copy: the
	 * child's word stays 0), CHILD_SETTID in the child's. */
	pid = raw_clone(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD, &ptid, &ctid);
	if (pid == 0)
		_exit((ctid == getpid()) | (ptid == 0) << 1);
	printf("PARENT_SETTID: parent's word is the child's pid %d, CHILD_SETTID: parent's word untouched %d\n",
	       ptid == pid, ctid == 0);
	reap("  child's words (3: its tid, and 0)", pid);

	/* CHILD_SETTID into a shared page: the parent sees it. CHILD_CLEARTID
	 * clears it at exit only when the memory is shared with another task
	 * (Linux's mm_release), which a fork-like child's is not; so nothing
	 * is said about the word after the exit. */
	*shared_tid = -1;
	ptid = 0;
	pid = raw_clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID | SIGCHLD, &ptid, shared_tid);
	if (pid == 0)
		_exit(*shared_tid == getpid() ? 0 : 1);
	reap("CHILD_SETTID|CHILD_CLEARTID, tid in a shared page", pid);
	printf("  shared word is the child's tid or 0: %d, PARENT_SETTID %d\n", *shared_tid == pid || *shared_tid == 0,
	       ptid == pid);
}

static void shared_state(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char cwd[PATH_MAX];
	long pid;
	int fd;

	/* CLONE_VFORK without CLONE_VM: a copy, but the parent waits. */
	pid = raw_clone(CLONE_VFORK | SIGCHLD, NULL, NULL);
	if (pid == 0) {
		nanosleep(&ts, NULL);
		post(0, 1);
		_exit(0);
	}
	printf("CLONE_VFORK: parent held until the child exited: %d\n", peek(0) == 1);
	reap("  CLONE_VFORK", pid);

	/* CLONE_FILES: one fd table for two processes. */
	fd = open("/dev/null", O_RDONLY);
	pid = raw_clone(CLONE_FILES | SIGCHLD, NULL, NULL);
	if (pid == 0) {
		close(fd);
		_exit(dup2(0, 60) == 60 ? 0 : 1);
	}
	reap("CLONE_FILES", pid);
	show("  fd the child closed", sc(SYS_fcntl, fd, F_GETFD));
	show("  fd the child opened", sc(SYS_fcntl, 60, F_GETFD));
	close(60);
	pid = raw_clone(SIGCHLD, NULL, NULL);
	if (pid == 0) {
		dup2(0, 61);
		_exit(0);
	}
	reap("without CLONE_FILES", pid);
	show("  fd the child opened", sc(SYS_fcntl, 61, F_GETFD));

	amber_cr_point();

	/* CLONE_FS: cwd and umask shared. */
	getcwd(cwd, sizeof(cwd));
	umask(022);
	pid = raw_clone(CLONE_FS | SIGCHLD, NULL, NULL);
	if (pid == 0) {
		umask(077);
		_exit(chdir("/etc") == 0 ? 0 : 1);
	}
	reap("CLONE_FS", pid);
	{
		char now[PATH_MAX];

		printf("  parent's cwd is /etc: %d, umask %03o\n", getcwd(now, sizeof(now)) && !strcmp(now, "/etc"),
		       umask(022));
	}
	chdir(cwd);
	pid = raw_clone(SIGCHLD, NULL, NULL);
	if (pid == 0) {
		umask(077);
		_exit(chdir("/etc") == 0 ? 0 : 1);
	}
	reap("without CLONE_FS", pid);
	{
		char now[PATH_MAX];

		printf("  parent's cwd unchanged: %d, umask %03o\n", getcwd(now, sizeof(now)) && !strcmp(now, cwd),
		       umask(022));
	}

	/* CLONE_PARENT from a child: the grandchild is ours. */
	pid = xfork("CLONE_PARENT");
	if (pid == 0)
		_exit(raw_clone(CLONE_PARENT | SIGCHLD, NULL, NULL) == 0 ? 8 : 0);
	reap("CLONE_PARENT's caller", pid);
	{
		int st = 0;
		long w = sc(SYS_wait4, -1, &st, 0, NULL);

		printf("  its CLONE_PARENT child is ours: %d, %s\n", w > 0 && w != pid, w > 0 ? wstr(st) : errname(-w));
	}
}

static void exit_signals(void)
{
	struct cargs ca;
	long pid, r;
	int st = 0;
	sigset_t m, old;

	/* Exit signal 0 and SIGUSR1: invisible to a plain wait. */
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGCHLD);
	sigprocmask(SIG_BLOCK, &m, &old);
	for (int sig = 0; sig <= SIGUSR1; sig += SIGUSR1) {
		pid = raw_clone(sig, NULL, NULL);
		if (pid == 0)
			_exit(sig + 1);
		printf("exit signal %d:\n", sig);
		showw("  wait4(child, 0)", sc(SYS_wait4, pid, &st, 0, NULL));
		show("  waitid(P_PID, WEXITED)", sc(SYS_waitid, P_PID, pid, NULL, WEXITED | WNOHANG, NULL));
		r = sc(SYS_wait4, pid, &st, sig ? __WALL : __WCLONE, NULL);
		printf("  wait4(child, %s): is the child %d, %s\n", sig ? "__WALL" : "__WCLONE", r == pid, wstr(st));
		sigpending(&m);
		printf("  pending: SIGCHLD %d SIGUSR1 %d\n", sigismember(&m, SIGCHLD), sigismember(&m, SIGUSR1));
		signal(SIGUSR1, SIG_IGN);	/* discard */
		signal(SIGUSR1, SIG_DFL);
	}
	pid = raw_clone(SIGCHLD, NULL, NULL);
	if (pid == 0)
		_exit(0);
	showw("__WCLONE on a SIGCHLD child", sc(SYS_wait4, pid, &st, __WCLONE, NULL));
	reap("  then a plain wait", pid);
	signal(SIGCHLD, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* clone3. */
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	pid = clone3(&ca, 64);
	if (pid == 0)
		_exit(3);
	if (pid < 0)
		show("clone3 (64 bytes, SIGCHLD)", pid);
	else
		reap("clone3 (64 bytes, SIGCHLD)", pid);
	pid_t ptid = 0;
	ca.flags = CLONE_PARENT_SETTID;
	ca.parent_tid = (uintptr_t)&ptid;
	pid = clone3(&ca, sizeof(ca));
	if (pid == 0)
		_exit(4);
	if (pid < 0)
		show("clone3 (88 bytes, PARENT_SETTID)", pid);
	else
		reap("clone3 (88 bytes, PARENT_SETTID)", pid);
	printf("  parent_tid is the child's pid: %d\n", ptid == pid);
}

/* An invalid clone that a broken kernel might run anyway: its child
 * leaves at once, and is waited for. */
static void refused(const char *what, long r)
{
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid(r, NULL, __WALL);
	showw(what, r);
}

static void invalid(void)
{
	static char page[8192];
	struct cargs ca;

	refused("clone(CLONE_SIGHAND) without CLONE_VM", raw_clone(CLONE_SIGHAND | SIGCHLD, NULL, NULL));
	refused("clone(CLONE_THREAD|CLONE_VM) without CLONE_SIGHAND", raw_clone(CLONE_THREAD | CLONE_VM | SIGCHLD, NULL, NULL));
	refused("clone(CLONE_NEWNS|CLONE_FS)", raw_clone(CLONE_NEWNS | CLONE_FS | SIGCHLD, NULL, NULL));
	refused("clone(CLONE_NEWUSER|CLONE_FS)", raw_clone(CLONE_NEWUSER | CLONE_FS | SIGCHLD, NULL, NULL));
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	refused("clone3 size 0", clone3(&ca, 0));
	refused("clone3 size 63", clone3(&ca, 63));
	refused("clone3 NULL args", clone3(NULL, 64));
	memcpy(page, &ca, sizeof(ca));
	page[100] = 1;
	refused("clone3 size 104, a non-zero byte past the known fields", clone3((struct cargs *)page, 104));
	refused("clone3 size one page and 8", clone3((struct cargs *)page, 4096 + 8));
	ca.exit_signal = 65;
	refused("clone3 exit_signal 65", clone3(&ca, sizeof(ca)));
	ca.exit_signal = SIGCHLD;
	ca.flags = 1ULL << 40;
	refused("clone3 unknown flag", clone3(&ca, sizeof(ca)));
	ca.flags = CLONE_SIGHAND;
	refused("clone3 CLONE_SIGHAND without CLONE_VM", clone3(&ca, sizeof(ca)));
	ca.flags = 0;
	ca.stack = (uintptr_t)page;
	refused("clone3 stack without stack_size", clone3(&ca, sizeof(ca)));
	ca.stack = 0;
	ca.set_tid_size = 1;
	refused("clone3 set_tid_size without set_tid", clone3(&ca, sizeof(ca)));
}

int main(void)
{
	proc_start();
	shared_tid = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fork_like();
	shared_state();
	exit_signals();
	invalid();
	showw("no children left", sc(SYS_wait4, -1, NULL, __WALL | WNOHANG, NULL));
	return 0;
}
