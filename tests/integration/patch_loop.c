/* patch_loop: hot system-call sites for the syscall patching of the
 * systrap platform (kernel/mm/syscall_patch.c); syscall_patch.sh runs it.
 * glibc's getpid() is `mov $0x27, %eax; syscall; ret`, the form a site
 * must have to be patched; so is hot_site below, this program's own.
 *
 * usage:
 *   patch_loop N          N calls of getpid(), each checked
 *   patch_loop cr N1 N2   N1 calls, 10 sleeps of 1 ms (glibc's
 *                         clock_nanosleep site is patched too), "patch_loop:
 *                         checkpoint me" on stderr, 100 sleeps of 10 ms (the
 *                         checkpoint interrupts one: it is made again from
 *                         the syscall instruction the patched site ends
 *                         with), N2 calls
 *   patch_loop fork N     N calls of getpid(), then a fork: the child makes N
 *                         calls from the same (inherited, patched) sites
 *                         and N checked calls of hot_site (a site it patches
 *                         itself, in the table it inherited), each checked
 *                         against its own pid; the parent waits for it and
 *                         makes N more
 *   patch_loop stress S   until SIGTERM (S seconds at most), calls of
 *                         hot_site with every register set to a pattern
 *                         that changes each time, checked after each call
 *                         (what the syscall instruction keeps: all but rax,
 *                         rcx and r11; rcx the return address; the flags),
 *                         of getpid() and 100 us sleeps (a pause that comes
 *                         in one makes it again from the patched site's
 *                         syscall instruction)
 * Each mode prints one fixed line on stdout and exits 0, or says what was
 * wrong and exits 1. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* hot_site(): loads rbx, rbp, rdx, rsi, rdi, r8-r10, r12-r15 and
 * xmm0-xmm15 from hot_in[0..11] and hot_in[12..43], sets DF and CF, makes
 * the call `mov $39, %eax; syscall` (the site, at hot_call), and stores
 * what the registers hold after it in hot_out[]: the 12 above, rax, rcx,
 * r11, the flags, rsp and the xmm registers. The byte before the site is
 * stc's (f9), not one a REX prefix could be. */
enum { IN_GPRS = 12, IN_WORDS = IN_GPRS + 32, OUT_RAX = IN_GPRS, OUT_RCX, OUT_R11, OUT_FLAGS, OUT_RSP,
       OUT_XMM, OUT_WORDS = OUT_XMM + 32 };
uint64_t hot_in[IN_WORDS] __attribute__((aligned(16)));
uint64_t hot_out[OUT_WORDS] __attribute__((aligned(16)));
uint64_t hot_rsp;
void hot_site(void);
extern const char hot_ret[];
__asm__(".text\n"
	".p2align 4\n"
	".globl hot_site\n"
	"hot_site:\n"
	"push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"mov %rsp, hot_rsp(%rip)\n"
	"lea hot_in(%rip), %rax\n"
	"movdqu 96(%rax), %xmm0\n movdqu 112(%rax), %xmm1\n movdqu 128(%rax), %xmm2\n movdqu 144(%rax), %xmm3\n"
	"movdqu 160(%rax), %xmm4\n movdqu 176(%rax), %xmm5\n movdqu 192(%rax), %xmm6\n movdqu 208(%rax), %xmm7\n"
	"movdqu 224(%rax), %xmm8\n movdqu 240(%rax), %xmm9\n movdqu 256(%rax), %xmm10\n movdqu 272(%rax), %xmm11\n"
	"movdqu 288(%rax), %xmm12\n movdqu 304(%rax), %xmm13\n movdqu 320(%rax), %xmm14\n movdqu 336(%rax), %xmm15\n"
	"mov 0(%rax), %rbx\n mov 8(%rax), %rbp\n mov 16(%rax), %rdx\n mov 24(%rax), %rsi\n"
	"mov 32(%rax), %rdi\n mov 40(%rax), %r8\n mov 48(%rax), %r9\n mov 56(%rax), %r10\n"
	"mov 64(%rax), %r12\n mov 72(%rax), %r13\n mov 80(%rax), %r14\n mov 88(%rax), %r15\n"
	"std\n stc\n"
	".globl hot_call\n"
	"hot_call:\n"
	"mov $39, %eax\n"
	"syscall\n"
	".globl hot_ret\n"
	"hot_ret:\n"
	"mov %rbx, hot_out+0(%rip)\n mov %rbp, hot_out+8(%rip)\n mov %rdx, hot_out+16(%rip)\n"
	"mov %rsi, hot_out+24(%rip)\n mov %rdi, hot_out+32(%rip)\n mov %r8, hot_out+40(%rip)\n"
	"mov %r9, hot_out+48(%rip)\n mov %r10, hot_out+56(%rip)\n mov %r12, hot_out+64(%rip)\n"
	"mov %r13, hot_out+72(%rip)\n mov %r14, hot_out+80(%rip)\n mov %r15, hot_out+88(%rip)\n"
	"mov %rax, hot_out+96(%rip)\n mov %rcx, hot_out+104(%rip)\n mov %r11, hot_out+112(%rip)\n"
	"pushfq\n pop hot_out+120(%rip)\n"
	"cld\n"
	"mov %rsp, hot_out+128(%rip)\n"
	"lea hot_out+136(%rip), %rax\n"
	"movdqu %xmm0, 0(%rax)\n movdqu %xmm1, 16(%rax)\n movdqu %xmm2, 32(%rax)\n movdqu %xmm3, 48(%rax)\n"
	"movdqu %xmm4, 64(%rax)\n movdqu %xmm5, 80(%rax)\n movdqu %xmm6, 96(%rax)\n movdqu %xmm7, 112(%rax)\n"
	"movdqu %xmm8, 128(%rax)\n movdqu %xmm9, 144(%rax)\n movdqu %xmm10, 160(%rax)\n movdqu %xmm11, 176(%rax)\n"
	"movdqu %xmm12, 192(%rax)\n movdqu %xmm13, 208(%rax)\n movdqu %xmm14, 224(%rax)\n movdqu %xmm15, 240(%rax)\n"
	"pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"ret\n");

/* Not a constant the compiler could fold the calls around. */
static pid_t (*volatile getpid_fn)(void) = getpid;

static long calls(long n, pid_t pid)
{
	for (long i = 0; i < n; i++) {
		pid_t got = getpid_fn();

		if (got != pid) {
			printf("call %ld: getpid() returned %d, not %d\n", i, (int)got, (int)pid);
			exit(1);
		}
	}
	return n;
}

static volatile sig_atomic_t stop;

/* n sleeps of ns each, each checked to have slept that long; but the
 * stress mode's SIGTERM makes the one it comes in return EINTR, as on
 * Linux. */
static void naps(int n, long ns)
{
	for (int i = 0; i < n; i++) {
		struct timespec nap = { 0, ns }, t0, t1;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r != 0 && errno == EINTR && stop)
			return;
		if (r != 0 || (t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec < ns) {
			printf("sleep %d: nanosleep returned %d, or woke early\n", i, r);
			exit(1);
		}
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

/* One call of hot_site with patterns from seed; 0 if every register came
 * back as the syscall instruction leaves it. */
static int checked_call(uint64_t seed, pid_t pid, long i)
{
	const uint64_t flags = 0x401 | 0x2 | 0x200;	/* DF, CF set by the site; bit 1, IF */
	static const char *const names[IN_GPRS] = { "rbx", "rbp", "rdx", "rsi", "rdi", "r8",
						     "r9", "r10", "r12", "r13", "r14", "r15" };
	int bad = 0;

	for (int k = 0; k < IN_WORDS; k++)
		hot_in[k] = mix(seed * IN_WORDS + k);
	memset(hot_out, 0, sizeof(hot_out));
	hot_site();
	for (int k = 0; k < IN_GPRS; k++)
		if (hot_out[k] != hot_in[k]) {
			printf("call %ld: %s %#llx, want %#llx\n", i, names[k], (unsigned long long)hot_out[k],
			       (unsigned long long)hot_in[k]);
			bad = 1;
		}
	for (int k = 0; k < 32; k++)
		if (hot_out[OUT_XMM + k] != hot_in[IN_GPRS + k]) {
			printf("call %ld: xmm%d word %d %#llx, want %#llx\n", i, k / 2, k % 2,
			       (unsigned long long)hot_out[OUT_XMM + k], (unsigned long long)hot_in[IN_GPRS + k]);
			bad = 1;
		}
	if (hot_out[OUT_RAX] != (uint64_t)pid) {
		printf("call %ld: rax %#llx, want the pid %d\n", i, (unsigned long long)hot_out[OUT_RAX], (int)pid);
		bad = 1;
	}
	if (hot_out[OUT_RCX] != (uint64_t)hot_ret) {
		printf("call %ld: rcx %#llx, want the return address %p\n", i, (unsigned long long)hot_out[OUT_RCX],
		       (const void *)hot_ret);
		bad = 1;
	}
	if ((hot_out[OUT_R11] & flags) != flags) {
		printf("call %ld: r11 %#llx, want the flags (%#llx set)\n", i, (unsigned long long)hot_out[OUT_R11],
		       (unsigned long long)flags);
		bad = 1;
	}
	if ((hot_out[OUT_FLAGS] & flags) != flags) {
		printf("call %ld: flags %#llx after the call, want %#llx set\n", i,
		       (unsigned long long)hot_out[OUT_FLAGS], (unsigned long long)flags);
		bad = 1;
	}
	if (hot_out[OUT_RSP] != hot_rsp) {
		printf("call %ld: rsp %#llx, want %#llx\n", i, (unsigned long long)hot_out[OUT_RSP],
		       (unsigned long long)hot_rsp);
		bad = 1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	pid_t pid = (pid_t)syscall(SYS_getpid);	/* not a site of the patched form */

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2) {
		long n = atol(argv[1]);

		printf("patch_loop: %ld getpid() calls returned pid %d\n", calls(n, pid), (int)pid);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "cr") == 0) {
		long n1 = atol(argv[2]), n2 = atol(argv[3]);

		calls(n1, pid);
		naps(10, 1000000);
		fprintf(stderr, "patch_loop: checkpoint me\n");
		naps(100, 10000000);
		calls(n2, pid);
		printf("patch_loop: %ld + %ld getpid() calls returned pid %d\n", n1, n2, (int)pid);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "fork") == 0) {
		long n = atol(argv[2]);
		pid_t child;
		int st;

		calls(n, pid);
		child = fork();
		if (child == 0) {
			pid_t me = (pid_t)syscall(SYS_getpid);

			calls(n, me);
			for (long i = 0; i < n; i++)
				if (checked_call((uint64_t)i, me, i))
					_exit(1);
			_exit(0);
		}
		if (child < 0 || waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("patch_loop: the child failed (status %#x)\n", child < 0 ? -1 : st);
			return 1;
		}
		calls(n, pid);
		printf("patch_loop: parent and forked child made %ld getpid() calls each, the child %ld checked ones\n",
		       2 * n, n);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "stress") == 0) {
		double end = now_s() + atof(argv[2]);
		long i = 0;

		signal(SIGTERM, on_term);
		do {
			for (int k = 0; k < 100; k++, i++)
				if (checked_call((uint64_t)i, pid, i))
					return 1;
			calls(10, pid);
			naps(1, 100000);
		} while (!stop && now_s() < end);
		fprintf(stderr, "patch_loop: %ld checked calls\n", i);
		printf("patch_loop: every checked call returned pid %d with the registers intact\n", (int)pid);
		return 0;
	}
	fprintf(stderr, "usage: patch_loop N | cr N1 N2 | fork N | stress SECONDS\n");
	return 2;
}
