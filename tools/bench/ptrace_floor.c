/*
 * ptrace_floor: the cost of one system call answered by a ptrace tracer on
 * this host, the floor no ptrace-based sandbox can beat.
 *
 *   ptrace_floor [ITERS] [--cpu N]
 *
 * A child runs under PTRACE_SYSEMU and executes getpid ITERS times (plus a
 * tenth as warm-up) as a bare syscall instruction. For each one the tracer
 * does what a minimal sentry must: waitpid for the stop, PTRACE_GETREGS, set
 * rax to the answer, PTRACE_SETREGS, PTRACE_SYSEMU to resume. It prints
 *
 *   ptrace_floor_getpid NS       per syscall, with GETREGS + SETREGS
 *   ptrace_floor_stop_resume NS  per syscall, waitpid + SYSEMU only
 *
 * The second line is the bare stop-and-resume (the child ignores the result).
 * With --cpu N the tracer and the child are both pinned to CPU N, which shows
 * the cost with no cross-CPU wake-up, and the names end in "_pinned"; by
 * default the scheduler places them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

#define FAKE_PID 4242

static void die(const char *what)
{
	fprintf(stderr, "ptrace_floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The child: stop for the tracer, then getpid forever (it is killed). */
static void child_loop(void)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(1);
	raise(SIGSTOP);
	for (;;) {
		long ret;

		__asm__ volatile("syscall"
				 : "=a"(ret)
				 : "0"((long)SYS_getpid)
				 : "rcx", "r11", "memory");
		(void)ret;
	}
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/*
 * Start a traced child, answer warm + iters of its syscalls, and return the
 * mean ns per answered syscall over the last iters.
 */
static double measure(long iters, int cpu, int with_regs)
{
	long warm = iters / 10 > 0 ? iters / 10 : 1;
	double t0 = 0;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin(cpu);
		child_loop();
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		die("waitpid for the first stop");
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_EXITKILL))
		die("PTRACE_SETOPTIONS");

	for (long n = 0; n < warm + iters;) {
		struct user_regs_struct regs;

		if (n == warm && t0 == 0)
			t0 = now_ns();
		if (ptrace(PTRACE_SYSEMU, pid, NULL, NULL))
			die("PTRACE_SYSEMU");
		if (waitpid(pid, &status, __WALL) != pid)
			die("waitpid");
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
			fprintf(stderr, "ptrace_floor: unexpected child status %#x\n", status);
			exit(1);
		}
		if (!with_regs) {
			n++;
			continue;
		}
		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
			die("PTRACE_GETREGS");
		/* Only getpid counts; the tail of raise() is answered with 0. */
		if (regs.orig_rax == SYS_getpid) {
			regs.rax = FAKE_PID;
			n++;
		} else {
			regs.rax = 0;
		}
		if (ptrace(PTRACE_SETREGS, pid, NULL, &regs))
			die("PTRACE_SETREGS");
	}
	double t1 = now_ns();

	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return (t1 - t0) / (double)iters;
}

int main(int argc, char **argv)
{
	long iters = 20000;
	int cpu = -1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) {
			cpu = atoi(argv[++i]);
		} else {
			char *end;

			iters = strtol(argv[i], &end, 10);
			if (*end || iters <= 0) {
				fprintf(stderr, "usage: ptrace_floor [ITERS] [--cpu N]\n");
				return 2;
			}
		}
	}
	pin(cpu);
	printf("ptrace_floor_getpid%s %.1f\n", cpu >= 0 ? "_pinned" : "",
	       measure(iters, cpu, 1));
	printf("ptrace_floor_stop_resume%s %.1f\n", cpu >= 0 ? "_pinned" : "",
	       measure(iters, cpu, 0));
	return 0;
}
