/* SIGSYS raised by the application itself (kill, tgkill, raise): an
 * ordinary signal to the application, whatever the platform uses SIGSYS
 * for underneath (systrap traps system calls with it): its handler runs,
 * and the default action ends the process with SIGSYS. (si_code is left
 * out: the sentry does not yet keep a sender's siginfo per signal.) */
#include "sctest.h"
#include "amber_cr.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	got = sig;
}

int main(void)
{
	struct sigaction sa;

	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	amber_cr_point();
	kill(getpid(), SIGSYS);
	printf("kill: got %d\n", got);
	got = 0;
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGSYS);
	printf("tgkill: got %d\n", got);
	got = 0;
	raise(SIGSYS);
	printf("raise: got %d\n", got);
	printf("still running: %d\n", getpid() > 0);
	signal(SIGSYS, SIG_DFL);
	raise(SIGSYS);
	printf("not reached\n");
	return 0;
}
