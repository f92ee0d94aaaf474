/* Single-stepping (the trap flag, SIGTRAP after every instruction) through
 * a `mov $nr, %eax; syscall` site that has run often enough to be patched
 * in the sandbox: the steps, and where each stops, must be Linux's -- the
 * sentry turns a step into the patched site's code into Linux's step onto
 * the syscall instruction, and the stub's trampoline is never stepped
 * through. Prints each stop as an offset from a label, never an address. */
#include "sctest.h"
#include <signal.h>
#include <ucontext.h>

long hot_getpid(void);
extern const char hot_site[], steps_from[], steps_to[];
__asm__(".text\n"
	".p2align 4\n"
	".globl hot_getpid\n"
	".globl hot_site\n"
	"hot_getpid:\n"
	"hot_site:\n"
	"	mov $39, %eax\n"
	"	syscall\n"
	"	ret\n");

#define MAX_STEPS 64

static volatile int steps;
static uint64_t rips[MAX_STEPS];

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	if (steps < MAX_STEPS)
		rips[steps] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	if (++steps >= MAX_STEPS)
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100LL;
}

static void print_stop(uint64_t rip)
{
	uint64_t site = (uint64_t)hot_site, from = (uint64_t)steps_from, to = (uint64_t)steps_to;

	if (rip >= site && rip < site + 16)
		printf(" site+%lu", (unsigned long)(rip - site));
	else if (rip >= from && rip <= to)
		printf(" caller+%lu", (unsigned long)(rip - from));
	else
		printf(" elsewhere");
}

/* Calls the site with the trap flag set; one copy of the labels, so never
 * inlined or cloned. */
static __attribute__((noinline, noclone)) long step_through_site(void)
{
	long r;

	__asm__ volatile("pushf\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popf\n"
			 ".globl steps_from\n"
			 "steps_from:\n\t"
			 "call hot_getpid\n\t"
			 "nop\n\t"
			 "pushf\n\t"
			 "andq $~0x100, (%%rsp)\n\t"
			 "popf\n"
			 ".globl steps_to\n"
			 "steps_to:\n\t"
			 : "=a"(r)
			 :
			 : "rcx", "r11", "rdx", "rsi", "rdi", "r8", "r9", "r10", "memory", "cc");
	return r;
}

int main(void)
{
	struct sigaction sa;
	long pid = getpid(), r;

	for (int i = 0; i < 32; i++)
		if (hot_getpid() != pid)
			printf("getpid from the site: wrong\n");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGTRAP, &sa, NULL) != 0) {
		printf("sigaction: %s\n", strerror(errno));
		return 1;
	}
	for (int round = 0; round < 3; round++) {
		steps = 0;
		r = step_through_site();
		printf("round %d: pid %s, %d steps:", round, r == pid ? "right" : "wrong", steps);
		for (int i = 0; i < steps && i < MAX_STEPS; i++)
			print_stop(rips[i]);
		printf("\n");
	}
	return 0;
}
