/* rt_sigaction, rt_sigprocmask and sigaltstack record and return what was
 * set, and refuse what Linux refuses. No signal is delivered. */
#include "sctest.h"
#include "amber_cr.h"
#include <signal.h>

/* The kernel's struct sigaction, not glibc's. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void handler(int sig)
{
	(void)sig;
}

static void restorer(void)
{
}

int main(void)
{
	struct ksigaction act = { 0 }, old;
	uint64_t set, oldset;

	act.handler = (void *)handler;
	act.flags = SA_RESTART | SA_SIGINFO | 0x04000000 /* SA_RESTORER */;
	act.restorer = (void *)restorer;
	act.mask = 1ULL << (SIGUSR2 - 1);
	show("set SIGUSR1", sc(SYS_rt_sigaction, SIGUSR1, &act, NULL, 8));
	memset(&old, 0, sizeof(old));
	show("get SIGUSR1", sc(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8));
	yesno("handler recorded", old.handler == (void *)handler);
	printf("flags: %#lx\n", old.flags);
	yesno("mask recorded", old.mask == 1ULL << (SIGUSR2 - 1));
	act.mask = 1ULL << (SIGKILL - 1) | 1ULL << (SIGSTOP - 1);
	sc(SYS_rt_sigaction, SIGUSR2, &act, NULL, 8);
	sc(SYS_rt_sigaction, SIGUSR2, NULL, &old, 8);
	yesno("SIGKILL and SIGSTOP dropped from sa_mask", old.mask == 0);
	show("get SIGTERM (default)", sc(SYS_rt_sigaction, SIGTERM, NULL, &old, 8));
	yesno("SIGTERM is SIG_DFL", old.handler == SIG_DFL);
	show("SIGKILL", sc(SYS_rt_sigaction, SIGKILL, &act, NULL, 8));
	show("SIGSTOP", sc(SYS_rt_sigaction, SIGSTOP, &act, NULL, 8));
	show("get SIGKILL", sc(SYS_rt_sigaction, SIGKILL, NULL, &old, 8));
	show("signal 0", sc(SYS_rt_sigaction, 0, &act, NULL, 8));
	show("signal 65", sc(SYS_rt_sigaction, 65, &act, NULL, 8));
	show("sigsetsize 4", sc(SYS_rt_sigaction, SIGUSR1, &act, NULL, 4));
	show("act from a low pointer", sc(SYS_rt_sigaction, SIGUSR1, LOW_PTR, NULL, 8));

	amber_cr_point();

	set = 1ULL << (SIGUSR1 - 1) | 1ULL << (SIGKILL - 1);
	show("block SIGUSR1 and SIGKILL", sc(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8));
	show("read the mask", sc(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &oldset, 8));
	printf("blocked: %#llx\n", (unsigned long long)oldset);
	show("SIG_UNBLOCK", sc(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, &oldset, 8));
	show("SIG_SETMASK", sc(SYS_rt_sigprocmask, SIG_SETMASK, &set, &oldset, 8));
	sc(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &oldset, 8);
	printf("blocked: %#llx\n", (unsigned long long)oldset);
	show("bad how", sc(SYS_rt_sigprocmask, 99, &set, NULL, 8));
	show("bad how, no set", sc(SYS_rt_sigprocmask, 99, NULL, &oldset, 8));
	show("sigsetsize 4", sc(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));
	show("set from a low pointer", sc(SYS_rt_sigprocmask, SIG_BLOCK, LOW_PTR, NULL, 8));

	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 }, oss;
	show("sigaltstack get", sc(SYS_sigaltstack, NULL, &oss));
	printf("initial flags: %d size %zu\n", oss.ss_flags, oss.ss_size);
	show("sigaltstack set", sc(SYS_sigaltstack, &ss, NULL));
	sc(SYS_sigaltstack, NULL, &oss);
	yesno("recorded", oss.ss_sp == altstack && oss.ss_size == sizeof(altstack) && oss.ss_flags == 0);
	ss.ss_size = 1024;
	show("sigaltstack too small", sc(SYS_sigaltstack, &ss, NULL));
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0x1234;
	show("sigaltstack bad flags", sc(SYS_sigaltstack, &ss, NULL));
	ss.ss_flags = SS_DISABLE;
	show("sigaltstack disable", sc(SYS_sigaltstack, &ss, NULL));
	sc(SYS_sigaltstack, NULL, &oss);
	printf("flags after disable: %d\n", oss.ss_flags);
	return 0;
}
