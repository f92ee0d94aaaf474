/* AVX-512 state survives system calls and page faults: zmm0-31 and k0-7 are
 * loaded with patterns, then getpid, write, pread64, clock_gettime,
 * sched_yield, nanosleep and a first-touch page fault run with raw syscall
 * instructions, and the registers are read back and compared. Prints a skip
 * line when the CPU or the OS does not offer AVX-512, so the output is the
 * same natively and sandboxed on such a host. */
#include "sctest.h"
#include "amber_cr.h"
#include <cpuid.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <time.h>

struct ctx {
	unsigned char zin[32][64];
	unsigned char zout[32][64];
	uint64_t kin[8];
	uint64_t kout[8];
	long devnull;
	long passwd;
	char *buf;
	volatile char *fresh;
	struct timespec ts;
	struct timespec sleep;
} __attribute__((aligned(64)));

static struct ctx c;

#define OFF(f) "i"(offsetof(struct ctx, f))

#define ZLOAD(n) "vmovdqu64 %c[zin]+" #n "*64(%[c]), %%zmm" #n "\n\t"
#define ZSTORE(n) "vmovdqu64 %%zmm" #n ", %c[zout]+" #n "*64(%[c])\n\t"
#define ZALL(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15) \
	M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)
#define KALL(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

/* The system calls, each a raw syscall instruction; registers the kernel
 * may change (rax, rcx, r11) and the argument registers are clobbered. */
#define SYSCALLS \
	"mov $39, %%eax\n\tsyscall\n\t" /* getpid */ \
	"mov $1, %%eax\n\tmov %c[devnull](%[c]), %%rdi\n\tmov %c[buf](%[c]), %%rsi\n\tmov $64, %%edx\n\tsyscall\n\t" \
	"mov $17, %%eax\n\tmov %c[passwd](%[c]), %%rdi\n\tmov %c[buf](%[c]), %%rsi\n\tmov $64, %%edx\n\txor %%r10d, %%r10d\n\tsyscall\n\t" \
	"mov $228, %%eax\n\tmov $1, %%edi\n\tlea %c[ts](%[c]), %%rsi\n\tsyscall\n\t" \
	"mov $24, %%eax\n\tsyscall\n\t" /* sched_yield */ \
	"mov $35, %%eax\n\tlea %c[sleep](%[c]), %%rdi\n\txor %%esi, %%esi\n\tsyscall\n\t" \
	"mov %c[fresh](%[c]), %%rax\n\tmovb $1, (%%rax)\n\t" /* page fault */ \
	"mov $39, %%eax\n\tsyscall\n\t"

#define CLOBBERS "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc", \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

#define KLOADQ(n) "kmovq %c[kin]+" #n "*8(%[c]), %%k" #n "\n\t"
#define KSTOREQ(n) "kmovq %%k" #n ", %c[kout]+" #n "*8(%[c])\n\t"
#define KLOADW(n) "kmovw %c[kin]+" #n "*8(%[c]), %%k" #n "\n\t"
#define KSTOREW(n) "kmovw %%k" #n ", %c[kout]+" #n "*8(%[c])\n\t"

#define OPERANDS [c] "r"(&c), [zin] OFF(zin), [zout] OFF(zout), [kin] OFF(kin), [kout] OFF(kout), \
	[devnull] OFF(devnull), [passwd] OFF(passwd), [buf] OFF(buf), [fresh] OFF(fresh), \
	[ts] OFF(ts), [sleep] OFF(sleep)

static void run_q(void)
{
	asm volatile(ZALL(ZLOAD) KALL(KLOADQ) SYSCALLS ZALL(ZSTORE) KALL(KSTOREQ)
		     : : OPERANDS : CLOBBERS);
}

static void run_w(void)
{
	asm volatile(ZALL(ZLOAD) KALL(KLOADW) SYSCALLS ZALL(ZSTORE) KALL(KSTOREW)
		     : : OPERANDS : CLOBBERS);
}

static bool os_has_avx512(bool *bw)
{
	unsigned a, b, cc, d;

	if (!__get_cpuid(1, &a, &b, &cc, &d) || !(cc & bit_OSXSAVE))
		return false;
	unsigned lo, hi;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
	if ((lo & 0xe7) != 0xe7)
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &cc, &d) || !(b & bit_AVX512F))
		return false;
	*bw = b & bit_AVX512BW;
	return true;
}

int main(void)
{
	bool bw = false;
	char buf[64];

	if (!os_has_avx512(&bw)) {
		printf("avx512: skip (no avx512f)\n");
		return 0;
	}
	for (int r = 0; r < 32; r++)
		for (int i = 0; i < 64; i++)
			c.zin[r][i] = (unsigned char)(r * 64 + i * 7 + 0x11);
	for (int k = 0; k < 8; k++)
		c.kin[k] = bw ? 0x0123456789abcdefULL * (k + 1) + k : 0xa5a5U ^ (k * 0x1111U);
	c.devnull = open("/dev/null", O_WRONLY);
	c.passwd = open("/etc/passwd", O_RDONLY);
	c.buf = buf;
	c.sleep.tv_nsec = 1000000;
	c.fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.devnull < 0 || c.passwd < 0 || c.fresh == MAP_FAILED) {
		printf("setup failed\n");
		return 1;
	}

	amber_cr_point();

	int bad = 0;
	for (int round = 0; round < 3; round++) {
		memset(c.zout, 0, sizeof(c.zout));
		memset(c.kout, 0, sizeof(c.kout));
		if (bw)
			run_q();
		else
			run_w();
		for (int r = 0; r < 32; r++)
			if (memcmp(c.zin[r], c.zout[r], 64)) {
				printf("round %d: zmm%d changed\n", round, r);
				bad++;
			}
		for (int k = 0; k < 8; k++)
			if (c.kin[k] != c.kout[k]) {
				printf("round %d: k%d changed\n", round, k);
				bad++;
			}
		/* Different patterns next round, and a fresh page to fault on. */
		for (int r = 0; r < 32; r++)
			for (int i = 0; i < 64; i++)
				c.zin[r][i] ^= (unsigned char)(0x5b + round);
		for (int k = 0; k < 8; k++)
			c.kin[k] = ~c.kin[k] & (bw ? ~0ULL : 0xffffULL);
		c.fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	yesno("avx512: zmm0-31 and k0-7 unchanged across system calls and a page fault", bad == 0);
	return 0;
}
