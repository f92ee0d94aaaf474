/* SIGCHLD and kill between parent and child: the siginfo a SIGCHLD handler
 * gets (CLD_EXITED, CLD_KILLED, si_pid, si_status), children reaped by
 * themselves when SIGCHLD is ignored or SA_NOCLDWAIT is set, kill() of a
 * child seen through wait, kill(pid, 0) on a live, a zombie and a reaped
 * child, signal state across fork (handlers and the mask inherited, pending
 * signals not). Stop and continue are job_control's. */
#include "chld.h"
#include "amber_cr.h"

static void on_term(int sig)
{
	_exit(sig + 100);
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
	showw("wait4(-1) with SIGCHLD ignored", sc(SYS_wait4, -1, &st, 0, NULL));
	show("  then kill(child, 0)", sc(SYS_kill, pid, 0));
	printf("  SIGCHLD pending: %d\n", chld_pending());

	/* SA_NOCLDWAIT with a handler: reaped all the same, but the signal is
	 * still sent (Linux). */
	chld_action(SA_NOCLDWAIT | SA_RESTART);
	pid = xfork("nocldwait");
	if (pid == 0)
		_exit(6);
	showw("wait4(child) with SA_NOCLDWAIT", sc(SYS_wait4, pid, &st, 0, NULL));
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

int main(void)
{
	proc_start();
	handler_info();
	autoreap();
	inherited();
	showw("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
