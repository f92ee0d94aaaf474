/* ITIMER_REAL through setitimer, getitimer and alarm; pause and
 * rt_sigsuspend waiting for its SIGALRM:
 * - alarm's return: the seconds left, rounded to the nearest, never 0 for
 *   an armed timer; alarm(0) disarms;
 * - a periodic timer ticks (si_code SI_KERNEL), and its old value and
 *   interval come back from the setitimer that disarms it; getitimer of a
 *   disarmed timer reads zero; a NULL new value disarms;
 * - bad arguments: EINVAL (which, a negative or too large usec), EFAULT;
 * - a fork's child has no timer; the parent's still fires;
 * - sigsuspend with SIGALRM blocked outside it: the handler runs inside,
 *   the old mask is back after;
 * - a checkpoint while the timer is armed and the program pauses: it
 *   fires after the restore;
 * - the default action ends the program (exit 142). */
#include "sctest.h"
#include "amber_cr.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile sig_atomic_t ticks, code;

static void on_alrm(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	ticks++;
	code = si->si_code;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_alrm, .sa_flags = SA_SIGINFO };
	struct itimerval it = { { 0, 20000 }, { 0, 30000 } }, old;
	sigset_t block, orig, now;
	unsigned int left;
	int st;
	pid_t pid;

	sigaction(SIGALRM, &sa, NULL);
	left = alarm(5);
	printf("alarm(5) with none armed: %u\n", left);
	left = alarm(3);
	printf("alarm(3) after alarm(5): %u\n", left);
	left = alarm(0);
	printf("alarm(0) after alarm(3): %u\n", left);
	left = alarm(0);
	printf("alarm(0) again: %u\n", left);

	sc(SYS_setitimer, ITIMER_REAL, &it, NULL);
	while (ticks < 3)
		pause();
	printf("periodic: %d ticks, si_code SI_KERNEL %d\n", (int)ticks, code == SI_KERNEL);
	memset(&it, 0, sizeof(it));
	sc(SYS_setitimer, ITIMER_REAL, &it, &old);
	printf("disarmed: old interval %ld.%06ld, old value armed %d\n", (long)old.it_interval.tv_sec,
	       (long)old.it_interval.tv_usec, old.it_value.tv_sec > 0 || old.it_value.tv_usec > 0);
	sc(SYS_getitimer, ITIMER_REAL, &old);
	printf("getitimer after: %ld %ld %ld %ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec,
	       (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
	it.it_value.tv_sec = 100;
	sc(SYS_setitimer, ITIMER_REAL, &it, NULL);
	show("setitimer(NULL new value)", sc(SYS_setitimer, ITIMER_REAL, NULL, &old));
	printf("  it was armed %d, now %u left\n", old.it_value.tv_sec > 90, alarm(0));

	it.it_value.tv_usec = 1000000;
	show("usec 1000000", sc(SYS_setitimer, ITIMER_REAL, &it, NULL));
	it.it_value.tv_usec = -1;
	show("usec -1", sc(SYS_setitimer, ITIMER_REAL, &it, NULL));
	it.it_value.tv_usec = 0;
	show("which 7", sc(SYS_setitimer, 7, &it, NULL));
	show("getitimer which -1", sc(SYS_getitimer, -1, &old));
	show("new value unmapped", sc(SYS_setitimer, ITIMER_REAL, KERNEL_PTR, NULL));
	show("getitimer to unmapped", sc(SYS_getitimer, ITIMER_REAL, KERNEL_PTR));

	ticks = 0;
	alarm(1);
	pid = fork();
	if (pid == 0) {
		sc(SYS_getitimer, ITIMER_REAL, &old);
		_exit(old.it_value.tv_sec || old.it_value.tv_usec ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	printf("fork: the child had no timer %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pause();
	printf("fork: the parent's alarm fired %d\n", (int)ticks);

	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	ticks = 0;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 50000;
	sc(SYS_setitimer, ITIMER_REAL, &it, NULL);
	show("sigsuspend", sc(SYS_rt_sigsuspend, &orig, 8));
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("  handler ran %d, SIGALRM blocked again %d\n", (int)ticks, sigismember(&now, SIGALRM));
	show("sigsuspend with size 4", sc(SYS_rt_sigsuspend, &orig, 4));
	show("sigsuspend of an unmapped mask", sc(SYS_rt_sigsuspend, KERNEL_PTR, 8));
	sigprocmask(SIG_SETMASK, &orig, NULL);

	ticks = 0;
	it.it_value.tv_usec = 0;
	it.it_value.tv_sec = 1;
	sc(SYS_setitimer, ITIMER_REAL, &it, NULL);
	amber_cr_point();
	while (!ticks)
		pause();
	printf("armed across the checkpoint: fired %d\n", (int)ticks);

	signal(SIGALRM, SIG_DFL);
	it.it_value.tv_sec = 0;
	it.it_value.tv_usec = 10000;
	sc(SYS_setitimer, ITIMER_REAL, &it, NULL);
	for (;;)
		pause();
}
