/* A SIGCHLD handler that records what it gets, for the tests that look at
 * SIGCHLD (sigchld, job_control). SIGCHLD is kept blocked while a child
 * runs and unblocked once the child's state is known, so the handler runs
 * at a known point (no sigsuspend needed). */
#ifndef CHLD_H
#define CHLD_H

#include "proctest.h"

static volatile sig_atomic_t calls, h_code, h_status, h_signo;
static volatile pid_t h_pid;

static inline void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	calls++;
	h_signo = sig;
	h_code = si->si_code;
	h_pid = si->si_pid;
	h_status = si->si_status;
}

static inline const char *cld(int code)
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

static inline void chld_action(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(SIGCHLD, &sa, NULL);
}

static inline void block_chld(int how)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, SIGCHLD);
	sigprocmask(how, &m, NULL);
}

static inline int chld_pending(void)
{
	sigset_t m;

	sigpending(&m);
	return sigismember(&m, SIGCHLD);
}

/* Waits, without reaping, until PID is a zombie: its SIGCHLD is then sent. */
static inline void until_zombie(pid_t pid)
{
	siginfo_t si;
	long r = sc(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, NULL);

	if (r < 0)
		printf("waitid(WNOWAIT): -%s\n", errname(-r));
}

/* Unblocks SIGCHLD and prints what the handler saw. */
static inline void show_handler(const char *what, pid_t pid)
{
	calls = h_signo = h_code = h_status = 0;
	h_pid = 0;
	block_chld(SIG_UNBLOCK);
	printf("%s: handler calls %d, signo SIGCHLD %d, %s, si_pid is the child %d, si_status %d\n", what,
	       (int)calls, h_signo == SIGCHLD, cld(h_code), h_pid == pid, (int)h_status);
	block_chld(SIG_BLOCK);
}

#endif
