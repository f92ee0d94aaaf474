/* Stopping and continuing a child: SIGSTOP and SIGTSTP seen by wait4's
 * WUNTRACED and waitid's WSTOPPED (reported once), SIGCONT by WCONTINUED,
 * the SIGCHLD of each (CLD_STOPPED, CLD_CONTINUED) unless SA_NOCLDSTOP, a
 * signal held while stopped and acted on when continued, SIGKILL of a
 * stopped child, and SIGTSTP discarded in an orphaned process group.
 *
 * The program leads its own session (proc_own_session), so its own group is
 * orphaned (its parent is in another session, or it is pid 1), while a
 * child's group of its own is not (the parent, in our group, is in the same
 * session). A stop that never comes must not block the program: the waits
 * poll. */
#include "chld.h"
#include "amber_cr.h"

static void on_cont(int sig)
{
	(void)sig;
	post(1, peek(1) + 1);
}

static void on_urg(int sig)
{
	(void)sig;
	post(2, 1);
}

/* wait4 or waitid with WNOHANG, again every millisecond for 3 s at most
 * while it finds nothing (the sandbox may have no alarm() to end a
 * blocking wait). */
static long poll_wait(pid_t pid, int *st, siginfo_t *si, int options)
{
	struct timespec ms = { 0, 1000 * 1000 };
	long r = 0;

	for (int i = 0; i < 3000; i++) {
		if (si) {
			memset(si, 0, sizeof(*si));
			r = sc(SYS_waitid, P_PID, pid, si, options | WNOHANG, NULL);
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

static void stopped(const char *what, pid_t pid)
{
	int st = 0;
	long r = poll_wait(pid, &st, NULL, WUNTRACED);

	printf("%s: wait4(WUNTRACED) is the child %d, %s\n", what, r == pid,
	       r < 0 ? errname(-r) : r == 0 ? "nothing" : wstr(st));
}

/* A child in a process group of its own (OWN_GROUP) or in ours. */
static pid_t child(bool own_group)
{
	pid_t pid;

	post(1, 0);
	pid = xfork("child");
	if (pid == 0) {
		if (own_group)
			setpgid(0, 0);
		signal(SIGCONT, on_cont);
		signal(SIGURG, on_urg);
		post(0, 1);
		idle();
	}
	if (own_group)
		setpgid(pid, pid);
	await("child started", 0, 1);
	post(0, 0);
	return pid;
}

int main(void)
{
	siginfo_t si;
	int st = 0;
	pid_t pid;
	long r;

	proc_own_session();
	proc_start();
	chld_action(SA_RESTART);
	block_chld(SIG_BLOCK);

	pid = child(true);
	kill(pid, SIGSTOP);
	stopped("SIGSTOP", pid);
	show_handler("  SIGCHLD", pid);
	showw("  wait4(WUNTRACED|WNOHANG) again", sc(SYS_wait4, pid, &st, WUNTRACED | WNOHANG, NULL));
	show("  kill(stopped child, 0)", sc(SYS_kill, pid, 0));
	amber_cr_point();
	kill(pid, SIGCONT);
	r = poll_wait(pid, NULL, &si, WCONTINUED);
	printf("SIGCONT: waitid(WCONTINUED) %ld, %s, si_pid is the child %d, si_status %s\n", r, cld(si.si_code),
	       si.si_pid == pid, sigabbrev_np(si.si_status));
	/* The child tells its parent it was continued when it runs again,
	 * before its SIGCONT handler. */
	await("  the continued child's SIGCONT handler", 1, 1);
	show_handler("  SIGCHLD", pid);
	show("  waitid(WCONTINUED|WNOHANG) again", sc(SYS_waitid, P_PID, pid, &si, WCONTINUED | WNOHANG, NULL));
	printf("  si_pid %d\n", si.si_pid != 0);

	/* SIGTSTP's default action stops too; waitid(WSTOPPED). */
	kill(pid, SIGTSTP);
	r = poll_wait(pid, NULL, &si, WSTOPPED);
	printf("SIGTSTP: waitid(WSTOPPED) %ld, %s, si_pid is the child %d, si_status %s\n", r, cld(si.si_code),
	       si.si_pid == pid, sigabbrev_np(si.si_status));
	show_handler("  SIGCHLD", pid);

	/* A signal sent while stopped waits for SIGCONT. */
	kill(pid, SIGTERM);
	showw("SIGTERM while stopped: wait4(WNOHANG)", sc(SYS_wait4, pid, &st, WNOHANG, NULL));
	kill(pid, SIGCONT);
	reap("  then SIGCONT", pid);
	show_handler("  SIGCHLD", pid);

	/* SA_NOCLDSTOP: no SIGCHLD for a stop, but it is still waitable. */
	chld_action(SA_RESTART | SA_NOCLDSTOP);
	pid = child(true);
	kill(pid, SIGSTOP);
	stopped("SIGSTOP with SA_NOCLDSTOP", pid);
	printf("  SIGCHLD pending: %d\n", chld_pending());
	kill(pid, SIGKILL);
	reap("SIGKILL of a stopped child", pid);
	show_handler("  SIGCHLD", pid);

	/* In our orphaned group, SIGTSTP is dropped when the child takes it.
	 * The child takes pending signals lowest first: SIGURG's handler runs
	 * after SIGTSTP was dealt with. */
	chld_action(SA_RESTART);
	pid = child(false);
	post(2, 0);
	kill(pid, SIGTSTP);
	kill(pid, SIGURG);
	await("SIGURG after SIGTSTP", 2, 1);
	showw("SIGTSTP in an orphaned group: wait4(WUNTRACED|WNOHANG)", sc(SYS_wait4, pid, &st, WUNTRACED | WNOHANG, NULL));
	printf("  SIGCHLD pending: %d\n", chld_pending());
	kill(pid, SIGKILL);
	reap("  SIGKILL", pid);

	block_chld(SIG_UNBLOCK);
	showw("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
