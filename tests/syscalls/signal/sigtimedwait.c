/* rt_sigtimedwait (sigtimedwait, sigwaitinfo): a pending signal of the
 * set is taken with its siginfo (kill's sender, a child's exit), nothing
 * pending times out with EAGAIN, a signal another process sends while
 * the call waits ends it, a handled signal outside the set interrupts it
 * (EINTR), bad arguments fail; and a wait under way at a checkpoint goes
 * on after the restore. */
#include "sctest.h"
#include "amber_cr.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static void on_alrm(int sig)
{
	(void)sig;
}

static long timedwait(const sigset_t *set, siginfo_t *si, long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	return sc(SYS_rt_sigtimedwait, set, si, ns < 0 ? NULL : &ts, 8);
}

/* A child that sends sig to its parent after ms milliseconds, then exits
 * with code. */
static pid_t sender(int sig, int ms, int code)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		kill(parent, sig);
		_exit(code);
	}
	return pid;
}

int main(void)
{
	sigset_t set, cur;
	siginfo_t si;
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };
	long r;
	pid_t pid;
	int st;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);

	kill(getpid(), SIGUSR1);
	memset(&si, 0, sizeof(si));
	r = timedwait(&set, &si, -1);
	printf("pending SIGUSR1: %s, si_code SI_USER %d, si_pid is ours %d\n", r == SIGUSR1 ? "taken" : errname(-r),
	       si.si_code == SI_USER, si.si_pid == getpid());
	show("nothing pending, timeout 0", timedwait(&set, &si, 0));
	show("nothing pending, timeout 50 ms", timedwait(&set, &si, 50000000L));

	pid = sender(SIGUSR2, 50, 7);
	memset(&si, 0, sizeof(si));
	r = timedwait(&set, &si, 3000000000L);
	printf("SIGUSR2 from a child while waiting: %s, si_pid is the child %d\n",
	       r == SIGUSR2 ? "taken" : errname(-r), si.si_pid == pid);
	memset(&si, 0, sizeof(si));
	r = timedwait(&set, &si, 3000000000L);
	printf("the child's exit: %s, CLD_EXITED %d, si_status %d, si_pid is the child %d\n",
	       r == SIGCHLD ? "SIGCHLD" : errname(-r), si.si_code == CLD_EXITED, si.si_status, si.si_pid == pid);
	waitpid(pid, &st, 0);

	signal(SIGALRM, on_alrm);
	setitimer(ITIMER_REAL, &it, NULL);
	show("SIGALRM with a handler while waiting", timedwait(&set, &si, 3000000000L));
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("  the set is blocked again after the wait: %d\n",
	       sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2) && !sigismember(&cur, SIGALRM));

	show("sigsetsize 4", sc(SYS_rt_sigtimedwait, &set, &si, NULL, 4));
	{
		struct timespec bad = { 0, 1000000000L };
		show("tv_nsec 1e9", sc(SYS_rt_sigtimedwait, &set, &si, &bad, 8));
		bad.tv_sec = -1;
		bad.tv_nsec = 0;
		show("tv_sec -1", sc(SYS_rt_sigtimedwait, &set, &si, &bad, 8));
	}
	show("set unmapped", sc(SYS_rt_sigtimedwait, KERNEL_PTR, &si, NULL, 8));
	kill(getpid(), SIGUSR1);
	show("siginfo unmapped (the signal is taken)", sc(SYS_rt_sigtimedwait, &set, KERNEL_PTR, NULL, 8));
	show("  then nothing is pending", timedwait(&set, &si, 0));

	pid = sender(SIGUSR1, 1500, 0);
	amber_cr_point();
	memset(&si, 0, sizeof(si));
	r = timedwait(&set, &si, 10000000000L);
	printf("across the checkpoint: %s, si_pid is the child %d\n", r == SIGUSR1 ? "taken" : errname(-r),
	       si.si_pid == pid);
	waitpid(pid, &st, 0);
	return 0;
}
