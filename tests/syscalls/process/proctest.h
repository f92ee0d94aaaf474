/* Helpers shared by the process tests (fork, wait, process groups).
 *
 * Children never print: they report through exit codes and pipes, and the
 * parent prints, so the output's order does not depend on scheduling. No pid
 * is ever printed, only relations between pids. */
#ifndef PROCTEST_H
#define PROCTEST_H

#include "sctest.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* At the top of every program: a hang becomes a death by SIGALRM (status
 * 142, a visible difference) rather than a time-out, and no core dumps. */
static inline void proc_start(void)
{
	struct rlimit rl = { 0, 0 };

	alarm(10);
	setrlimit(RLIMIT_CORE, &rl);
}

/* fork(), or say why not and stop: nothing after it could mean anything. */
static inline pid_t xfork(const char *what)
{
	pid_t pid = fork();

	if (pid < 0) {
		printf("%s: fork: -%s\n", what, errname(errno));
		exit(1);
	}
	if (pid == 0)
		alarm(10);	/* alarms are not inherited; a stuck child dies too */
	return pid;
}

/* How a wait status reads, without any pid. */
static inline const char *wstr(int st)
{
	static char buf[80];

	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "killed by SIG%s%s", sigabbrev_np(WTERMSIG(st)),
			 WCOREDUMP(st) ? " (core)" : "");
	else if (WIFSTOPPED(st))
		snprintf(buf, sizeof(buf), "stopped by SIG%s", sigabbrev_np(WSTOPSIG(st)));
	else if (WIFCONTINUED(st))
		snprintf(buf, sizeof(buf), "continued");
	else
		snprintf(buf, sizeof(buf), "status %#x", st);
	return buf;
}

/* Waits for PID (blocking) and prints "what: waited pid is the child: 1,
 * exited 3", or the error. Returns the status, or -1. */
static inline int reap(const char *what, pid_t pid)
{
	int st = 0;
	long r = sc(SYS_wait4, pid, &st, 0, NULL);

	if (r < 0) {
		printf("%s: wait4: -%s\n", what, errname(-r));
		return -1;
	}
	printf("%s: waited pid is the child: %d, %s\n", what, r == pid, wstr(st));
	return st;
}

/* A child's side of a pipe handshake: blocks until the parent writes a byte
 * or closes its end. */
static inline void wait_byte(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static inline void send_byte(int fd)
{
	char c = 1;

	if (write(fd, &c, 1) != 1)
		printf("send_byte: -%s\n", errname(errno));
}

#endif
