/* The XSAVE area of a signal frame: a handler sees the interrupted
 * code's AVX registers in the frame (xmm0 in the legacy area, ymm0's
 * upper half in the YMM component at offset 576 of the standard format),
 * and what the handler writes there is what the code has after the
 * handler returns -- the path that carries extended state between the
 * host, the platform and the sentry's frames. */
#include "sctest.h"
#include "amber_cr.h"

#include <cpuid.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#define FP_XSTATE_MAGIC1 0x46505853U
#define YMM_OFFSET 576

static volatile int seen_low, seen_high, magic_ok;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint8_t *fx = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic, size;
	uint64_t bv;

	(void)sig;
	(void)si;
	memcpy(&magic, fx + 464, 4);
	memcpy(&size, fx + 464 + 16, 4);
	magic_ok = magic == FP_XSTATE_MAGIC1 && size >= YMM_OFFSET + 256;
	if (!magic_ok)
		return;
	memcpy(&bv, fx + 512, 8);
	seen_low = fx[160] == 0x11 && fx[160 + 15] == 0x11;		/* xmm0 */
	seen_high = (bv & 4) && fx[YMM_OFFSET] == 0x22 && fx[YMM_OFFSET + 15] == 0x22;
	memset(fx + 160, 0x33, 16);
	memset(fx + YMM_OFFSET, 0x44, 16);
	bv |= 4;
	memcpy(fx + 512, &bv, 8);
}

int main(void)
{
	unsigned int a, b, c, d;
	uint8_t in[32], out[32];
	struct sigaction sa;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AVX)) {
		printf("no AVX: nothing to test\n");
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	amber_cr_point();
	memset(in, 0x11, 16);
	memset(in + 16, 0x22, 16);
	__asm__ volatile("vmovdqu %1, %%ymm0\n\t"
			 "mov $62, %%eax\n\t"		/* kill(getpid(), SIGUSR1) */
			 "mov %2, %%edi\n\t"
			 "mov $10, %%esi\n\t"
			 "syscall\n\t"
			 "vmovdqu %%ymm0, %0"
			 : "=m"(out) : "m"(in), "r"(getpid()) : "rax", "rdi", "rsi", "rcx", "r11", "xmm0", "memory");
	printf("frame has XSAVE software bytes: %s\n", magic_ok ? "yes" : "no");
	printf("handler saw xmm0: %s, ymm0 upper half: %s\n", seen_low ? "yes" : "no", seen_high ? "yes" : "no");
	printf("after return: xmm0 %s, ymm0 upper half %s\n", out[0] == 0x33 && out[15] == 0x33 ? "as written" : "lost",
	       out[16] == 0x44 && out[31] == 0x44 ? "as written" : "lost");
	return 0;
}
