/* SIGCHLD and kill between parent and child: the siginfo a SIGCHLD handler
 * gets (CLD_EXITED, CLD_KILLED, si_pid, si_status), children reaped by
 * themselves when SIGCHLD is ignored or SA_NOCLDWAIT is set, kill() of a
 * child seen through wait, kill(pid, 0) on a live, a zombie and a reaped
 * child, signal state across fork (handlers and the mask inherited, pending
 * signals not), and stop/continue seen by WUNTRACED, WCONTINUED and
 * CLD_STOPPED / CLD_CONTINUED.
 *
 * SIGCHLD is kept blocked while a child runs and unblocked once the child is
 * known to be gone, so the handler runs at a known point (no sigsuspend
 * needed). */
#include "proctest.h"
#include "amber_cr.h"

static volatile sig_atomic_t calls, h_code, h_status, h_signo;
static volatile pid_t h_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	calls++;
	h_signo = sig;
	h_code = si->si_code;
	h_pid = si->si_pid;
	h_status = si->si_status;
}

static void on_term(int sig)
{
	_exit(sig + 100);
}

static void on_cont(int sig)
{
	(void)sig;
	post(12, 2);
}

static const char *cld(int code)
{
	switch (code) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	case CLD_TRAPPED: return "CLD_TRAPPED";
	default: return "other";
	}
}

static void chld_action(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(SIGCHLD, &sa, NULL);
}

static void block_chld(int how)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, SIGCHLD);
	sigprocmask(how, &m, NULL);
}

static int chld_pending(void)
{
	sigset_t m;

	sigpending(&m);
	return sigismember(&m, SIGCHLD);
}

/* Waits, without reaping, until PID is a zombie: its SIGCHLD is then sent. */
static void until_zombie(pid_t pid)
{
	siginfo_t si;
	long r = sc(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, NULL);

	if (r < 0)
		printf("waitid(WNOWAIT): -%s\n", errname(-r));
}

/* Unblocks SIGCHLD and prints what the handler saw. */
static void show_handler(const char *what, pid_t pid)
{
	calls = 0;
	block_chld(SIG_UNBLOCK);
	printf("%s: handler calls %d, signo SIGCHLD %d, %s, si_pid is the child %d, si_status %d\n", what,
	       (int)calls, h_signo == SIGCHLD, cld(h_code), h_pid == pid, (int)h_status);
	block_chld(SIG_BLOCK);
}

static void handler_info(void)
{
	pid_t pid;

	chld_action(SA_RESTART);
	block_chld(SIG_BLOCK);
	pid = xfork("exit");
	if (pid == 0)
		_exit(4);
	until_zombie(pid);
	printf("SIGCHLD pending once the child exited: %d\n", chld_pending());
	show_handler("exit(4)", pid);
	reap("exit(4)", pid);

	pid = xfork("kill");
	if (pid == 0) {
		post(10, 1);
		idle();
	}
	await("child started", 10, 1);
	show("kill(child, 0) while it runs", sc(SYS_kill, pid, 0));
	amber_cr_point();
	show("kill(child, SIGTERM)", sc(SYS_kill, pid, SIGTERM));
	until_zombie(pid);
	show("kill(child, 0) once a zombie", sc(SYS_kill, pid, 0));
	show_handler("SIGTERM", pid);
	reap("SIGTERM", pid);
	show("kill(child, 0) once reaped", sc(SYS_kill, pid, 0));
	show("kill(child, SIGKILL) once reaped", sc(SYS_kill, pid, SIGKILL));
	show("kill(getpid(), 65)", sc(SYS_kill, getpid(), 65));
	show("kill(-1 << 30, 0): no such group", sc(SYS_kill, -(1 << 30), 0));
	printf("SIGCHLD pending after all that: %d\n", chld_pending());
}

static void autoreap(void)
{
	int st = 0;
	pid_t pid;

	/* Ignored SIGCHLD: children vanish when they exit, and a blocking
	 * wait returns ECHILD once the last one has. */
	signal(SIGCHLD, SIG_IGN);
	pid = xfork("ignored");
	if (pid == 0)
		_exit(5);
	show("wait4(-1) with SIGCHLD ignored", sc(SYS_wait4, -1, &st, 0, NULL));
	show("  then kill(child, 0)", sc(SYS_kill, pid, 0));
	printf("  SIGCHLD pending: %d\n", chld_pending());

	/* SA_NOCLDWAIT with a handler: reaped all the same, but the signal is
	 * still sent (Linux). */
	chld_action(SA_NOCLDWAIT | SA_RESTART);
	pid = xfork("nocldwait");
	if (pid == 0)
		_exit(6);
	show("wait4(child) with SA_NOCLDWAIT", sc(SYS_wait4, pid, &st, 0, NULL));
	show("  then kill(child, 0)", sc(SYS_kill, pid, 0));
	printf("  SIGCHLD pending: %d\n", chld_pending());
	show_handler("  SA_NOCLDWAIT", pid);

	/* Back to the default: children wait to be reaped again. */
	signal(SIGCHLD, SIG_DFL);
	pid = xfork("default");
	if (pid == 0)
		_exit(7);
	until_zombie(pid);
	printf("SIG_DFL again: SIGCHLD pending %d\n", chld_pending());
	reap("SIG_DFL again", pid);
	block_chld(SIG_UNBLOCK);
}

static void inherited(void)
{
	int st = 0;
	sigset_t m;
	pid_t pid;

	/* A handler, an ignored signal and a blocked one go to the child; a
	 * pending one does not. */
	signal(SIGTERM, on_term);
	signal(SIGINT, SIG_IGN);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	raise(SIGUSR2);
	pid = xfork("inherit");
	if (pid == 0) {
		sigset_t cur, pend;

		sigprocmask(SIG_BLOCK, NULL, &cur);
		sigpending(&pend);
		if (!sigismember(&cur, SIGUSR2))
			_exit(1);
		if (sigismember(&pend, SIGUSR2))
			_exit(2);
		post(11, 1);
		idle();
	}
	await("child started", 11, 1);
	kill(pid, SIGINT);	/* ignored: nothing happens */
	kill(pid, SIGTERM);	/* the inherited handler exits 100 + SIGTERM */
	waitpid(pid, &st, 0);
	printf("child with inherited dispositions after SIGINT then SIGTERM: %s\n", wstr(st));
	sigpending(&m);
	printf("parent's SIGUSR2 still pending: %d\n", sigismember(&m, SIGUSR2));
	signal(SIGUSR2, SIG_IGN);	/* discards it */
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
}

/* wait4 or waitid with WNOHANG, again every millisecond for 3 s at most
 * while it finds nothing: a stop or continue that never comes must not
 * block (the sandbox may have no alarm() to end the wait). */
static long poll_wait(int idtype, pid_t pid, int *st, siginfo_t *si, int options)
{
	struct timespec ms = { 0, 1000 * 1000 };
	long r = 0;

	for (int i = 0; i < 3000; i++) {
		if (si) {
			memset(si, 0, sizeof(*si));
			r = sc(SYS_waitid, idtype, pid, si, options | WNOHANG, NULL);
			if (r != 0 || si->si_pid != 0)
				return r;
		} else {
			r = sc(SYS_wait4, pid, st, options | WNOHANG, NULL);
			if (r != 0)
				return r;
		}
		nanosleep(&ms, NULL);
	}
	return r;
}

/* Stop and continue. */
static void stop_continue(void)
{
	siginfo_t si;
	int st = 0;
	pid_t pid;
	long r;

	chld_action(SA_RESTART);
	block_chld(SIG_BLOCK);
	pid = xfork("stop");
	if (pid == 0) {
		signal(SIGCONT, on_cont);
		post(12, 1);
		idle();
	}
	await("child started", 12, 1);
	kill(pid, SIGSTOP);
	r = poll_wait(P_PID, pid, &st, NULL, WUNTRACED);
	printf("wait4(WUNTRACED) after SIGSTOP: is the child %d, %s\n", r == pid,
	       r < 0 ? errname(-r) : r == 0 ? "nothing" : wstr(st));
	show_handler("  stopped", pid);
	show("wait4(WUNTRACED|WNOHANG) again", sc(SYS_wait4, pid, &st, WUNTRACED | WNOHANG, NULL));
	kill(pid, SIGCONT);
	r = poll_wait(P_PID, pid, NULL, &si, WCONTINUED);
	printf("waitid(WCONTINUED) after SIGCONT: %ld, %s, si_pid is the child %d, si_status %s\n", r, cld(si.si_code),
	       si.si_pid == pid, sigabbrev_np(si.si_status));
	/* The child tells its parent it was continued when it runs again,
	 * before its SIGCONT handler. */
	await("  the continued child's SIGCONT handler", 12, 2);
	show_handler("  continued", pid);
	kill(pid, SIGKILL);
	reap("SIGKILL after SIGCONT", pid);
	block_chld(SIG_UNBLOCK);
}

int main(void)
{
	proc_start();
	handler_info();
	autoreap();
	inherited();
	stop_continue();
	show("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
