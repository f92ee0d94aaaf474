/* A call site of the form `mov $nr, %eax; syscall`, run often enough for
 * the sentry to patch it (kernel/mm/syscall_patch.c), must behave as the
 * original instruction pair does on Linux:
 * - every register but rax, rcx and r11 kept, rcx the address after the
 *   syscall instruction, r11 the flags (DF and the arithmetic flags as
 *   they were), the vector registers kept;
 * - the last two bytes of the site still execute as a syscall
 *   instruction (a call restarted at rip - 2);
 * - a signal raised by a patched call sees, in its frame, the vector
 *   state and the return address of the call, and a change the handler
 *   makes there is what the program finds after rt_sigreturn, itself
 *   made through a patched site (its own restorer);
 * - the same after a checkpoint in the middle (amber_cr_point), on
 *   whatever platform the restore runs.
 * Prints only results, so native and sandboxed outputs compare. */
#include "sctest.h"
#include "amber_cr.h"
#include <signal.h>
#include <stddef.h>

#define ROUNDS 64

/* getpid as a site of its own, and a way in at its last two bytes with
 * eax already set (a jump, so that the way in is no site itself). */
long site_getpid(void);
long site_getpid_tail(void);
__asm__(".text\n"
	".globl site_getpid\n"
	".globl site_getpid_tail\n"
	"site_getpid:\n"
	"	mov $39, %eax\n"
	"1:	syscall\n"
	"	ret\n"
	"site_getpid_tail:\n"
	"	mov $39, %eax\n"
	"	jmp 1b\n");

struct gprs {
	uint64_t rbx, rbp, r12, r13, r14, r15, rdi, rsi, rdx, r8, r9, r10;
	uint64_t rax, rcx, r11, expect_rcx;
	uint64_t flags_before;
	uint8_t xmm_in[16][16], xmm_out[16][16];
} __attribute__((aligned(16)));

#define XLOAD(n) "movdqu " #n "*16+%c[xin](%[g]), %%xmm" #n "\n\t"
#define XSTORE(n) "movdqu %%xmm" #n ", " #n "*16+%c[xout](%[g])\n\t"
#define XALL(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)

/* One getpid from an inline site with every register set to a pattern,
 * the direction and carry flags set; everything read back after. */
static void regs_round(struct gprs *g)
{
	__asm__ volatile(
		XALL(XLOAD)
		"push %%rbp\n\t"
		"push %[g]\n\t"
		"mov %c[rbx](%[g]), %%rbx\n\t"
		"mov %c[r12](%[g]), %%r12\n\t"
		"mov %c[r13](%[g]), %%r13\n\t"
		"mov %c[r14](%[g]), %%r14\n\t"
		"mov %c[r15](%[g]), %%r15\n\t"
		"mov %c[rsi](%[g]), %%rsi\n\t"
		"mov %c[rdx](%[g]), %%rdx\n\t"
		"mov %c[r8](%[g]), %%r8\n\t"
		"mov %c[r9](%[g]), %%r9\n\t"
		"mov %c[r10](%[g]), %%r10\n\t"
		"mov %c[rbp](%[g]), %%rbp\n\t"
		"mov %c[rdi](%[g]), %%rdi\n\t"
		"std\n\t"
		"stc\n\t"
		"mov $39, %%eax\n\t"
		"syscall\n"
		"1:\n\t"
		"pushfq\n\t"
		"cld\n\t"
		"xchg %%rdi, 8(%%rsp)\n\t"	/* rdi = g; the saved slot gets the call's rdi */
		"pop %c[flags](%%rdi)\n\t"
		"pop %c[rdi](%%rdi)\n\t"
		"mov %%rbp, %c[rbp](%%rdi)\n\t"
		"pop %%rbp\n\t"
		"mov %%rbx, %c[rbx](%%rdi)\n\t"
		"mov %%r12, %c[r12](%%rdi)\n\t"
		"mov %%r13, %c[r13](%%rdi)\n\t"
		"mov %%r14, %c[r14](%%rdi)\n\t"
		"mov %%r15, %c[r15](%%rdi)\n\t"
		"mov %%rsi, %c[rsi](%%rdi)\n\t"
		"mov %%rdx, %c[rdx](%%rdi)\n\t"
		"mov %%r8, %c[r8](%%rdi)\n\t"
		"mov %%r9, %c[r9](%%rdi)\n\t"
		"mov %%r10, %c[r10](%%rdi)\n\t"
		"mov %%rax, %c[rax](%%rdi)\n\t"
		"mov %%rcx, %c[rcx](%%rdi)\n\t"
		"mov %%r11, %c[r11](%%rdi)\n\t"
		"lea 1b(%%rip), %%rax\n\t"
		"mov %%rax, %c[expect](%%rdi)\n\t"
		"mov %%rdi, %[g]\n\t"
		XALL(XSTORE)
		: [g] "+D"(g)
		: [rbx] "i"(offsetof(struct gprs, rbx)), [rbp] "i"(offsetof(struct gprs, rbp)),
		  [r12] "i"(offsetof(struct gprs, r12)), [r13] "i"(offsetof(struct gprs, r13)),
		  [r14] "i"(offsetof(struct gprs, r14)), [r15] "i"(offsetof(struct gprs, r15)),
		  [rdi] "i"(offsetof(struct gprs, rdi)), [rsi] "i"(offsetof(struct gprs, rsi)),
		  [rdx] "i"(offsetof(struct gprs, rdx)), [r8] "i"(offsetof(struct gprs, r8)),
		  [r9] "i"(offsetof(struct gprs, r9)), [r10] "i"(offsetof(struct gprs, r10)),
		  [rax] "i"(offsetof(struct gprs, rax)), [rcx] "i"(offsetof(struct gprs, rcx)),
		  [r11] "i"(offsetof(struct gprs, r11)), [expect] "i"(offsetof(struct gprs, expect_rcx)),
		  [flags] "i"(offsetof(struct gprs, flags_before)),
		  [xin] "i"(offsetof(struct gprs, xmm_in)), [xout] "i"(offsetof(struct gprs, xmm_out))
		: "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory",
		  "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static int check_regs(int round)
{
	struct gprs g;
	uint64_t base = 0x1111111111111111ULL * (uint64_t)(round % 15 + 1);
	uint64_t *want = &g.rbx;
	int bad = 0;

	memset(&g, 0, sizeof(g));
	for (int i = 0; i < 12; i++)
		want[i] = base ^ ((uint64_t)i << 56);
	for (int r = 0; r < 16; r++)
		for (int i = 0; i < 16; i++)
			g.xmm_in[r][i] = (uint8_t)(round * 31 + r * 16 + i);
	struct gprs in = g;
	regs_round(&g);
	for (int i = 0; i < 12; i++)
		if ((&g.rbx)[i] != (&in.rbx)[i])
			bad |= 1;
	if (g.rax != (uint64_t)getpid())
		bad |= 2;
	if (g.rcx != g.expect_rcx)
		bad |= 4;
	/* r11 holds the flags as the syscall instruction saw them: DF and CF
	 * set (the pushfq after the call must show them too). */
	if ((g.r11 & 0x401) != 0x401 || (g.flags_before & 0x401) != 0x401)
		bad |= 8;
	if (memcmp(g.xmm_in, g.xmm_out, sizeof(g.xmm_in)) != 0)
		bad |= 16;
	return bad;
}

/* ---- signals through patched sites ---- */

struct k_sigaction {
	void (*handler)(int, siginfo_t *, void *);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

void site_restorer(void);
__asm__(".text\n"
	".globl site_restorer\n"
	"site_restorer:\n"
	"	mov $15, %eax\n"
	"	syscall\n"
	"	hlt\n");

static volatile int handled, frame_ok;
static volatile uint64_t frame_rip, want_rip;

static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	uint8_t *x0 = (uint8_t *)&uc->uc_mcontext.fpregs->_xmm[0];

	handled++;
	frame_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	frame_ok = frame_rip == want_rip && x0[0] == (uint8_t)handled && x0[15] == 0xa5;
	x0[0] ^= 0xff;	/* the program finds this in xmm0 after rt_sigreturn */
}

/* kill(getpid(), SIGUSR1) from a site of its own, xmm0 = {n, 0..., 0xa5}
 * before it; returns xmm0's first byte after, and the call's return
 * address in *after. */
static unsigned int kill_round(int n, uint64_t *after)
{
	uint8_t x[16] = { 0 };
	long pid = getpid();
	uint64_t ret_addr;

	x[0] = (uint8_t)n;
	x[15] = 0xa5;
	__asm__ volatile(
		"movdqu (%[x]), %%xmm0\n\t"
		"lea 1f(%%rip), %[ra]\n\t"
		"mov %[ra], %[want]\n\t"
		"mov $62, %%eax\n\t"
		"syscall\n"
		"1:\n\t"
		"movdqu %%xmm0, (%[x])\n\t"
		: [ra] "=&r"(ret_addr), [want] "=m"(want_rip)
		: [x] "r"(x), "D"(pid), "S"((long)SIGUSR1)
		: "rax", "rcx", "r11", "memory", "xmm0");
	*after = ret_addr;
	return x[0];
}

int main(void)
{
	struct k_sigaction ksa = { .handler = on_usr1, .flags = SA_SIGINFO | 0x04000000 /* SA_RESTORER */,
				   .restorer = site_restorer };
	int bad_regs = 0, bad_tail = 0, bad_sig = 0;

	for (int i = 0; i < ROUNDS; i++) {
		bad_regs |= check_regs(i);
		if (site_getpid() != getpid())
			bad_tail |= 1;
		if (i == ROUNDS / 2)
			amber_cr_point();
	}
	printf("registers across a hot site: %s (%d)\n", bad_regs ? "changed" : "kept", bad_regs);
	/* The site's last two bytes, entered with rax set: a syscall. */
	for (int i = 0; i < 8; i++)
		if (site_getpid_tail() != getpid())
			bad_tail |= 2;
	printf("site tail executes as syscall: %s\n", bad_tail ? "no" : "yes");

	if (syscall(SYS_rt_sigaction, SIGUSR1, &ksa, NULL, 8) != 0) {
		printf("rt_sigaction: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 1; i <= ROUNDS; i++) {
		uint64_t after;
		unsigned int x0 = kill_round(i, &after);

		if (handled != i || !frame_ok || frame_rip != after || x0 != ((unsigned int)(uint8_t)i ^ 0xffU))
			bad_sig++;
		if (i == ROUNDS / 2)
			amber_cr_point();
	}
	printf("signals from a hot site: %d handled, %d wrong\n", handled, bad_sig);
	return 0;
}
