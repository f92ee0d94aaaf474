/* Signal handlers: delivery of a raised signal, SIGSEGV caught and left
 * with siglongjmp, blocked signals held until unblocked, SA_RESETHAND,
 * SA_NODEFER, sigaltstack, siginfo of a fault, and SSE/AVX registers kept
 * across a handler that clobbers them. */
#include "sctest.h"
#include "amber_cr.h"

#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>

static volatile sig_atomic_t got, depth, max_depth, calls;
static volatile uintptr_t fault_addr;
static volatile int fault_code;
static volatile bool on_alt;
static sigjmp_buf jb;
static char *alt_base;
static size_t alt_size;

static void count(int sig)
{
	got = sig;
}

static void nested(int sig)
{
	depth++;
	calls++;
	if (depth > max_depth)
		max_depth = depth;
	/* Delivered inside this handler only with SA_NODEFER; otherwise it
	 * waits until this one returns. */
	if (calls < 3)
		raise(sig);
	depth--;
}

static void segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = (uintptr_t)si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jb, 1);
}

static void where(int sig)
{
	(void)sig;
	char here;
	on_alt = &here >= alt_base && &here < alt_base + alt_size;
}

static void clobber_fpu(int sig)
{
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm7, %%xmm7" ::: "xmm0", "xmm7");
	got = sig;
}

static void set(int sig, void (*h)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

int main(void)
{
	struct sigaction sa, old;
	sigset_t m;
	stack_t ss;

	set(SIGUSR1, count, 0);
	raise(SIGUSR1);
	printf("raise delivered: %d\n", got == SIGUSR1);

	got = 0;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, NULL);
	raise(SIGUSR1);
	printf("blocked: held %d\n", got == 0);
	sigpending(&m);
	printf("pending while blocked: %d\n", sigismember(&m, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	printf("unblocked: delivered %d\n", got == SIGUSR1);

	amber_cr_point();

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	for (int i = 0; i < 2; i++) {
		if (!sigsetjmp(jb, 1)) {
			volatile int *p;
			/* Through a volatile pointer so the compiler cannot see
			 * where it points. */
			__asm__ volatile("" : "=r"(p) : "0"(LOW_PTR));
			*p = 1;
			printf("no fault\n");
		} else {
			printf("segv %d: addr ok %d code %s\n", i, fault_addr == (uintptr_t)LOW_PTR,
			       fault_code == SEGV_MAPERR ? "MAPERR" : fault_code == SEGV_ACCERR ? "ACCERR" : "other");
		}
	}

	set(SIGUSR2, count, SA_RESETHAND);
	got = 0;
	raise(SIGUSR2);
	sigaction(SIGUSR2, NULL, &old);
	printf("resethand: delivered %d, now default %d\n", got == SIGUSR2, old.sa_handler == SIG_DFL);

	set(SIGUSR1, nested, 0);
	depth = max_depth = calls = 0;
	raise(SIGUSR1);
	printf("without NODEFER: max depth %d, calls %d\n", (int)max_depth, (int)calls);
	set(SIGUSR1, nested, SA_NODEFER);
	depth = max_depth = calls = 0;
	raise(SIGUSR1);
	printf("with NODEFER: max depth %d, calls %d\n", (int)max_depth, (int)calls);

	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	ss.ss_sp = alt_base;
	ss.ss_size = alt_size;
	ss.ss_flags = 0;
	printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
	set(SIGUSR1, where, SA_ONSTACK);
	raise(SIGUSR1);
	printf("handler on alternate stack: %d\n", on_alt);
	set(SIGUSR1, where, 0);
	raise(SIGUSR1);
	printf("handler without SA_ONSTACK on alternate stack: %d\n", on_alt);

	{
		double x = 1.25;
		uint64_t before = 0x1122334455667788ULL, after = 0;
		set(SIGUSR1, clobber_fpu, 0);
		__asm__ volatile("movq %1, %%xmm7\n\t"
				 "movq %2, %%xmm0\n\t"
				 "mov $62, %%eax\n\t"	/* kill(getpid(), SIGUSR1) */
				 "mov %3, %%rdi\n\t"
				 "mov $10, %%esi\n\t"
				 "syscall\n\t"
				 "movq %%xmm7, %0"
				 : "=r"(after)
				 : "r"(before), "r"(x), "r"((long)getpid())
				 : "rax", "rdi", "rsi", "rcx", "r11", "xmm0", "xmm7", "memory");
		printf("xmm7 kept across handler: %d\n", after == before);
	}
	return 0;
}
