/* fork and the wait family: pids seen by parent and child, exit codes and
 * deaths by signal through wait4's status, WNOHANG, ECHILD, waiting for one
 * pid, for a process group (-pgid), waitid's siginfo with P_PID, P_PGID,
 * P_ALL and WNOWAIT, invalid arguments, copy-on-write memory (a static, a
 * big malloc'd buffer, untouched pages; MAP_SHARED stays shared) and the
 * open file descriptions a child shares with its parent. */
#include "proctest.h"
#include "amber_cr.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>

#define BIG (8u << 20)

static int var = 1;

static void basics(void)
{
	pid_t me = getpid(), pid;

	pid = xfork("basics");
	if (pid == 0) {
		post(0, getpid());
		post(1, getppid());
		_exit(0);
	}
	reap("basics", pid);
	printf("fork returned the child's getpid: %d\n", peek(0) == pid);
	printf("child's getpid differs from the parent's: %d\n", peek(0) != me);
	printf("child's getppid is the parent's getpid: %d\n", peek(1) == me);

	static const int codes[] = { 0, 1, 42, 255, 256, 257, -1 };
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		int st = 0;

		pid = xfork("codes");
		if (pid == 0)
			_exit(codes[i]);
		pid_t w = waitpid(pid, &st, 0);
		printf("_exit(%d): waitpid is the child %d, WIFEXITED %d WEXITSTATUS %d WIFSIGNALED %d\n",
		       codes[i], w == pid, WIFEXITED(st), WEXITSTATUS(st), WIFSIGNALED(st));
	}

	/* Deaths by signal. Not dumpable and RLIMIT_CORE 0: no core, so the
	 * core bit is clear here and in the sandbox alike. */
	static const int sigs[] = { SIGTERM, SIGKILL, SIGABRT, SIGSEGV, SIGUSR1 };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int st = 0;

		pid = xfork("signals");
		if (pid == 0) {
			prctl(PR_SET_DUMPABLE, 0);
			if (sigs[i] == SIGABRT)
				abort();
			if (sigs[i] == SIGSEGV) {
				volatile int *bad;
				__asm__ volatile("" : "=r"(bad) : "0"(LOW_PTR));
				*bad = 1;
			}
			raise(sigs[i]);
			_exit(99);
		}
		pid_t w = waitpid(pid, &st, 0);
		printf("SIG%s: waitpid is the child %d, WIFEXITED %d WIFSIGNALED %d WTERMSIG SIG%s WCOREDUMP %d\n",
		       sigabbrev_np(sigs[i]), w == pid, WIFEXITED(st), WIFSIGNALED(st),
		       sigabbrev_np(WTERMSIG(st)), WCOREDUMP(st) != 0);
	}
}

static void nohang_and_echild(void)
{
	siginfo_t si;
	pid_t pid;
	int st;

	pid = xfork("nohang");
	if (pid == 0) {
		await(NULL, 2, 1);
		_exit(5);
	}
	showw("wait4(child, WNOHANG) while it runs", sc(SYS_wait4, pid, &st, WNOHANG, NULL));
	showw("wait4(-1, WNOHANG) while it runs", sc(SYS_wait4, -1, &st, WNOHANG, NULL));
	memset(&si, 0x55, sizeof(si));
	show("waitid(P_PID, WEXITED|WNOHANG) while it runs", sc(SYS_waitid, P_PID, pid, &si, WEXITED | WNOHANG, NULL));
	printf("  siginfo cleared: si_signo %d si_pid %d\n", si.si_signo, si.si_pid);
	amber_cr_point();
	post(2, 1);
	reap("after it was let go", pid);

	showw("wait4(the reaped child)", sc(SYS_wait4, pid, &st, 0, NULL));
	showw("wait4(-1) without children", sc(SYS_wait4, -1, &st, 0, NULL));
	showw("wait4(-1, WNOHANG) without children", sc(SYS_wait4, -1, &st, WNOHANG, NULL));
	showw("wait4(own pid)", sc(SYS_wait4, getpid(), &st, 0, NULL));
	show("waitid(P_ALL, WEXITED) without children", sc(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL));
	/* Arguments are checked before children are looked for. */
	showw("wait4 with WNOWAIT", sc(SYS_wait4, -1, &st, WNOWAIT, NULL));
	showw("wait4 with WEXITED", sc(SYS_wait4, -1, &st, WEXITED, NULL));
	showw("wait4 with option 0x100", sc(SYS_wait4, -1, &st, 0x100, NULL));
	showw("wait4(INT_MIN)", sc(SYS_wait4, INT_MIN, &st, 0, NULL));
	show("waitid without WEXITED/WSTOPPED/WCONTINUED", sc(SYS_waitid, P_ALL, 0, &si, WNOHANG, NULL));
	show("waitid with option 0x100", sc(SYS_waitid, P_ALL, 0, &si, WEXITED | 0x100, NULL));
	show("waitid idtype 99", sc(SYS_waitid, 99, 0, &si, WEXITED, NULL));
	show("waitid(P_PID, 0)", sc(SYS_waitid, P_PID, 0, &si, WEXITED, NULL));
	show("waitid(P_PGID, -1)", sc(SYS_waitid, P_PGID, -1, &si, WEXITED, NULL));

	pid = xfork("efault");
	if (pid == 0)
		_exit(3);
	showw("wait4 into an unmapped status", sc(SYS_wait4, pid, KERNEL_PTR, 0, NULL));
	showw("  then wait4(child)", sc(SYS_wait4, pid, &st, 0, NULL));
}

static void which_child(void)
{
	int st = 0;
	pid_t a, b, c, w1, w2;
	siginfo_t si;

	a = xfork("specific");
	if (a == 0) {
		await(NULL, 3, 1);
		_exit(11);
	}
	b = xfork("specific");
	if (b == 0)
		_exit(22);
	w1 = waitpid(b, &st, 0);
	printf("waitpid(second child) while the first runs: is it %d, %s\n", w1 == b, wstr(st));
	post(3, 1);
	w1 = waitpid(-1, &st, 0);
	printf("waitpid(-1) then: is the first %d, %s\n", w1 == a, wstr(st));

	/* Process groups: a leads a new group, b joins it, c stays in ours. */
	a = xfork("pgid");
	if (a == 0) {
		setpgid(0, 0);
		await(NULL, 4, 1);
		_exit(1);
	}
	show("setpgid(a, a)", sc(SYS_setpgid, a, a));
	b = xfork("pgid");
	if (b == 0) {
		setpgid(0, a);
		await(NULL, 4, 1);
		_exit(2);
	}
	show("setpgid(b, a)", sc(SYS_setpgid, b, a));
	c = xfork("pgid");
	if (c == 0) {
		await(NULL, 4, 1);
		_exit(3);
	}
	printf("getpgid(a) == a: %d, getpgid(b) == a: %d, getpgid(c) == ours: %d\n", getpgid(a) == a,
	       getpgid(b) == a, getpgid(c) == getpgrp());
	post(4, 1);
	w1 = waitpid(-a, &st, 0);
	int s1 = WEXITSTATUS(st);
	w2 = waitpid(-a, &st, 0);
	int s2 = WEXITSTATUS(st);
	printf("waitpid(-pgid) twice: got a and b %d, codes sum %d\n",
	       (w1 == a && w2 == b) || (w1 == b && w2 == a), s1 + s2);
	showw("waitpid(-pgid) a third time", sc(SYS_wait4, -a, &st, 0, NULL));
	w1 = waitpid(0, &st, 0);
	printf("waitpid(0) then: is c %d, %s\n", w1 == c, wstr(st));

	/* waitid and its siginfo. */
	a = xfork("waitid");
	if (a == 0)
		_exit(7);
	for (int i = 0; i < 2; i++) {
		memset(&si, 0, sizeof(si));
		show("waitid(P_PID, WEXITED|WNOWAIT)", sc(SYS_waitid, P_PID, a, &si, WEXITED | WNOWAIT, NULL));
		printf("  si_signo SIGCHLD %d, si_code CLD_EXITED %d, si_status %d, si_pid is the child %d, si_uid is ours %d\n",
		       si.si_signo == SIGCHLD, si.si_code == CLD_EXITED, si.si_status, si.si_pid == a,
		       si.si_uid == getuid());
	}
	w1 = waitpid(a, &st, WNOHANG);
	printf("wait4(WNOHANG) after WNOWAIT: is the child %d, %s\n", w1 == a, wstr(st));
	show("waitid(P_PID) once reaped", sc(SYS_waitid, P_PID, a, &si, WEXITED | WNOHANG, NULL));

	a = xfork("waitid kill");
	if (a == 0)
		idle();
	kill(a, SIGKILL);
	memset(&si, 0, sizeof(si));
	show("waitid(P_ALL, WEXITED) of a SIGKILLed child", sc(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL));
	printf("  si_code CLD_KILLED %d, si_status SIG%s, si_pid is the child %d\n", si.si_code == CLD_KILLED,
	       sigabbrev_np(si.si_status), si.si_pid == a);

	a = xfork("waitid pgid");
	if (a == 0) {
		setpgid(0, 0);
		await(NULL, 5, 1);
		_exit(9);
	}
	setpgid(a, a);
	post(5, 1);
	memset(&si, 0, sizeof(si));
	show("waitid(P_PGID, child's group, WEXITED)", sc(SYS_waitid, P_PGID, a, &si, WEXITED, NULL));
	printf("  si_pid is the child %d, si_status %d\n", si.si_pid == a, si.si_status);
}

static void memory(void)
{
	unsigned char *big = malloc(BIG), *fresh, *shared;
	int st = 0;
	uint64_t h0, h1;
	int local = 10;
	pid_t pid;

	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 12));
	h0 = fnv1a(big, BIG, FNV_INIT);
	fresh = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shared[0] = 1;
	pid = xfork("cow");
	if (pid == 0) {
		int code = 0;

		var = 2;
		local = 20;
		for (size_t i = 0; i < BIG; i += 4096)
			big[i + 1] ^= 0xff;
		h1 = fnv1a(big, BIG, FNV_INIT);
		for (size_t i = 0; i < (1 << 20); i += 4096)
			fresh[i] = 0xaa;
		shared[0] = 42;
		post(6, 1);
		await(NULL, 7, 1);
		/* The parent wrote its copies meanwhile. */
		code |= (var == 2 && local == 20) << 0;
		code |= (fnv1a(big, BIG, FNV_INIT) == h1) << 1;
		code |= (h1 != h0) << 2;
		code |= (fresh[4096] == 0xaa) << 3;
		code |= (shared[0] == 43) << 4;
		_exit(code);
	}
	await("child's writes", 6, 1);
	amber_cr_point();
	printf("parent after the child wrote: static %d, local %d, big buffer unchanged %d, untouched pages zero %d, shared page %d\n",
	       var, local, fnv1a(big, BIG, FNV_INIT) == h0, fresh[0] == 0 && fresh[4096] == 0, shared[0]);
	var = 3;
	local = 30;
	memset(big, 0x11, BIG);
	fresh[4096] = 0x55;
	shared[0] = 43;
	post(7, 1);
	waitpid(pid, &st, 0);
	printf("child kept its own copies: %s (31: all)\n", wstr(st));
	free(big);
	munmap(fresh, 1 << 20);
	munmap(shared, 4096);
}

static void files(void)
{
	int fd = open("/etc/passwd", O_RDONLY);
	char buf[32];
	pid_t pid;

	fcntl(fd, F_SETFD, FD_CLOEXEC);
	pid = xfork("files");
	if (pid == 0) {
		int code = 0;

		code |= (read(fd, buf, 4) == 4) << 0;
		code |= (lseek(fd, 6, SEEK_CUR) == 10) << 1;
		code |= (fcntl(fd, F_GETFD) == FD_CLOEXEC) << 2;
		fcntl(fd, F_SETFD, 0);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		code |= (dup2(fd, 50) == 50) << 3;
		close(fd);
		_exit(code);
	}
	reap("fd child (exit 15: all checks held)", pid);
	printf("parent's offset after the child read and seeked: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	printf("parent's fd still open, FD_CLOEXEC kept: %d\n", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	printf("O_NONBLOCK set by the child seen (shared description): %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	show("child's dup2 target in the parent", sc(SYS_fcntl, 50, F_GETFD));
	close(fd);
}

int main(void)
{
	proc_start();
	basics();
	nohang_and_echild();
	which_child();
	memory();
	files();
	showw("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
