/* systrap_hostile MODE: an application that attacks the systrap stub it
 * runs in (platform/systrap). Everything in its address space is its to
 * write, the stub's code, context and stack included; the sentry must
 * treat all of it as the application's own business: Linux's behaviour
 * for the application, or its death, never a sentry crash or hang.
 * systrap_hostile.sh runs each mode and checks the outcome.
 *
 * Modes:
 *   find          locate the stub region (above the application's top)
 *   ctx-garbage   overwrite the shared context with 0xff, then go on
 *   steal-key     a second thread reads the stub's key from the first
 *                 one's context while the sentry has it map pages, and
 *                 maps the memory file through the stub with it: the
 *                 guard refuses the call (EPERM)
 *   stub-seccomp  through the stub's syscall instruction, install the
 *                 guard's program again, or one of its own, with a
 *                 listener: refused (the guard's, once two threads run:
 *                 EPERM) or the sentry's to answer (its own)
 *   id-page       write the page before the context, which tells the
 *                 trampoline where the thread's context is: read-only,
 *                 so SIGSEGV
 *   jump-restorer jump to the stub's rt_sigreturn with a junk frame
 *   block-signals sigreturn through the stub with every host signal
 *                 blocked, then spin forever without a system call
 *   block-syscall the same, then make a system call
 *   unmap-stub    unmap the stub's code through its own syscall instruction
 *   stub-mmap     map the memory file (the stub's fd 3) through the
 *                 stub's own syscall instruction: without the stub's key
 *                 it traps, and the sentry answers for the program's fd 3
 *   stub-mprotect make a private file page writable the same way: the
 *                 sentry's mprotect, so the write stays private
 *   seccomp       install a seccomp filter of its own (the sentry's to
 *                 apply), then go on
 * and, against the patching of hot call sites (kernel/mm/syscall_patch.c),
 * whose region (table, entry pointer, per-site code) is application
 * memory at PATCH_BASE:
 *   ctx-garbage-patched  ctx-garbage, with the calls made from a patched
 *                 site: through the trampoline, which reads the context
 *   tramp-direct  once a site is patched, jump to the entry pointer's
 *                 target (the stub's trampoline) by hand: rax 39, rcx a
 *                 return label
 *   tramp-junk-rcx, tramp-noncanonical-rcx
 *                 the same with rcx 0x10, or not a canonical address
 *   table-junk    try to make the table writable to overwrite the site's
 *                 entry: the region goes (sites put back), mprotect fails
 *                 as on Linux, where nothing is there; the site works
 *   unmap-region  unmap the whole region, then call the patched site:
 *                 the sites were put back first, the call works
 *   region-taken  map the region's address first, then a hot loop: no
 *                 patching, and the program's data there untouched
 *   region-partly-taken  the same with only the region's last page */
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <stddef.h>
#include "platform/systrap/shared.h"

#define PAGE		4096UL
#define USER_TOP	0x7ffffffff000UL
#define SCAN_BOTTOM	0x7ff000000000UL

/* The patch region (kernel/mm/syscall_patch.h). */
#define PATCH_BASE	0x050f0000UL
#define PATCH_ENTRY	(PATCH_BASE + 0x2000)
#define PATCH_SIZE	0xb000UL

static sigjmp_buf probe_env;

static void on_probe_fault(int sig)
{
	(void)sig;
	siglongjmp(probe_env, 1);
}

static int readable(uintptr_t a)
{
	volatile uint8_t v;

	if (sigsetjmp(probe_env, 1))
		return 0;
	v = *(volatile uint8_t *)a;
	(void)v;
	return 1;
}

/* The stub region: the first run of readable pages below the top of
 * user space (the code, then the first thread's area; the other threads'
 * areas above, 192 MiB of them, are not mapped). Probed 128 KiB at a time,
 * the run being longer (212 KiB; each probe of an unmapped page is a
 * fault the sentry turns into a signal), then page by page at its ends. */
static uintptr_t find_stub(size_t *len)
{
	struct sigaction sa = { .sa_handler = on_probe_fault, .sa_flags = SA_NODEFER };
	uintptr_t a, lo, hi;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	for (a = USER_TOP - 32 * PAGE; a >= SCAN_BOTTOM && USER_TOP - a < (512UL << 20); a -= 32 * PAGE)
		if (readable(a))
			break;
	if (a < SCAN_BOTTOM || USER_TOP - a >= (512UL << 20) || !readable(a)) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		return 0;
	}
	for (lo = a; readable(lo - PAGE); lo -= PAGE)
		;
	for (hi = a + PAGE; readable(hi); hi += PAGE)
		;
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	*len = hi - lo;
	return lo;
}

/* Finds `mov $imm, %eax; syscall` (b8 imm32 0f 05) with the given imm,
 * or, with imm < 0, any syscall instruction, in the stub's code. */
static uintptr_t find_syscall(uintptr_t code, size_t len, long imm)
{
	const uint8_t *p = (const uint8_t *)code;

	for (size_t i = 5; i + 1 < len; i++) {
		if (p[i] != 0x0f || p[i + 1] != 0x05)
			continue;
		if (imm < 0)
			return code + i;
		if (p[i - 5] == 0xb8 && *(const uint32_t *)(p + i - 4) == (uint32_t)imm)
			return code + i - 5;
	}
	return 0;
}

static void on_segv_exit(int sig)
{
	static const char msg[] = "application got SIGSEGV\n";
	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	_exit(42);
}

static void spin_forever(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static void call_getpid(void)
{
	syscall(SYS_getpid);
	_exit(0);
}

/* A frame for rt_sigreturn (x86-64 ucontext at rsp) that resumes at
 * `resume` with every host signal blocked. */
struct fake_frame {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, ss_pad;
	uint64_t ss_size;
	uint64_t gregs[23];	/* r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags, csgsfs, err, trapno, oldmask, cr2 */
	uint64_t fpstate;
	uint64_t reserved[8];
	uint64_t sigmask;
};

static void sigreturn_blocked(uintptr_t restorer, void (*resume)(void))
{
	static uint8_t stack[65536] __attribute__((aligned(16)));
	static struct fake_frame f __attribute__((aligned(16)));

	memset(&f, 0, sizeof(f));
	f.gregs[15] = (uint64_t)(stack + sizeof(stack) - 8);	/* rsp */
	f.gregs[16] = (uint64_t)resume;				/* rip */
	f.gregs[17] = 0x202;					/* eflags */
	f.gregs[18] = 0x33 | (0x2bULL << 48);			/* cs, ss */
	f.sigmask = ~0ULL;
	__asm__ volatile("mov %0, %%rsp\n\tjmp *%1" :: "r"(&f), "r"(restorer) : "memory");
}

/* A site of the patchable form, this program's own: `mov $39, %eax;
 * syscall` (the int3 before it, never run, keeps whatever precedes it
 * from looking like a REX prefix). */
long hot_getpid(void);
extern const uint8_t hot_getpid_site[];
__asm__(".text\n"
	".p2align 4\n"
	"int3\n"
	".globl hot_getpid\n"
	".globl hot_getpid_site\n"
	"hot_getpid:\n"
	"hot_getpid_site:\n"
	"mov $39, %eax\n"
	"syscall\n"
	"ret\n");

static int site_patched(void)
{
	const uint8_t *p = hot_getpid_site;

	return p[0] == 0xff && p[1] == 0x24 && p[2] == 0x25;
}

/* Makes the site hot (a site is patched after a few traps) and returns
 * the address of its table entry, or 0 if it was not patched. */
static uintptr_t patch_site(long pid)
{
	for (int i = 0; i < 16; i++)
		if (hot_getpid() != pid)
			return 0;
	if (!site_patched())
		return 0;
	return *(const uint32_t *)(hot_getpid_site + 3);
}

/* Calls the entry pointer's target as a site's code does: rax the call,
 * rcx the return address (the one given, or with 0 the label after the
 * jump). */
static long call_entry(uint64_t rcx)
{
	uint64_t entry = *(volatile uint64_t *)PATCH_ENTRY;
	long r;

	if (rcx)
		__asm__ volatile("mov %2, %%rcx\n\tjmp *%1" : "=a"(r) : "r"(entry), "r"(rcx), "0"(39L) : "rcx", "r11", "memory");
	else
		__asm__ volatile("lea 1f(%%rip), %%rcx\n\tjmp *%1\n1:" : "=a"(r) : "r"(entry), "0"(39L) : "rcx", "r11", "memory");
	return r;
}

/* The region's address mapped by the program before anything is hot
 * (len bytes from the region's end backwards), a pattern written there,
 * then a hot loop: every call right, the site left as it was, the
 * pattern intact. */
static int region_taken(size_t len, long pid)
{
	static const uint8_t orig[7] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05 };
	uintptr_t at = PATCH_BASE + PATCH_SIZE - len;
	uint64_t *w = mmap((void *)at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
	int calls = 1000;

	if (w == MAP_FAILED) {
		printf("the region's address is taken already: %m\n");
		return 2;
	}
	for (size_t i = 0; i < len / 8; i++)
		w[i] = 0x5a5a000000000000ULL ^ (at + 8 * i);
	for (int i = 0; i < calls; i++)
		if (hot_getpid() != pid) {
			printf("call %d: wrong pid\n", i);
			return 1;
		}
	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != (0x5a5a000000000000ULL ^ (at + 8 * i))) {
			printf("the program's data at %#lx changed\n", (unsigned long)(at + 8 * i));
			return 1;
		}
	printf("region taken (%zu KiB): %d calls, pid %ld, site %s, data intact\n", len / 1024, calls, pid,
	       memcmp(hot_getpid_site, orig, sizeof(orig)) ? "changed" : "unpatched");
	return 0;
}

/* A call made by jumping to the syscall instruction of the stub's
 * restorer (`mov $15, %eax; syscall; ud2`) with the application's own
 * registers: the ud2 after it raises SIGILL, whose handler takes the
 * call's result from the frame and comes back here. */
static sigjmp_buf gadget_env;
static volatile long gadget_ret;

static void on_gadget_ill(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	gadget_ret = ((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RAX];
	siglongjmp(gadget_env, 1);
}

static long stub_gadget(uintptr_t sys, long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	struct sigaction sa = { .sa_sigaction = on_gadget_ill, .sa_flags = SA_SIGINFO };

	sigaction(SIGILL, &sa, NULL);
	if (sigsetjmp(gadget_env, 1))
		return gadget_ret;
	{
		register long r10 __asm__("r10") = a3;
		register long r8 __asm__("r8") = a4;
		register long r9 __asm__("r9") = a5;

		__asm__ volatile("jmp *%[sys]"
				 :: [sys] "r"(sys), "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
				 : "rcx", "r11", "memory");
	}
	return -1;	/* not reached */
}

/* steal-key: the thread that reads the key and uses it. */
static uintptr_t thief_ctx, thief_sys;
static volatile int thief_done;

static void *thief(void *arg)
{
	volatile uint64_t *key = (volatile uint64_t *)(thief_ctx + offsetof(struct systrap_shared, key));
	uint64_t k = 0;
	long r;

	(void)arg;
	while (!(k = *key))
		;
	r = stub_gadget(thief_sys, SYS_mmap, 0x30000000L, (long)PAGE, PROT_READ,
			(long)(MAP_SHARED | MAP_FIXED | (k << 32)), (long)(3 | (k & ~0xffffffffULL)), 0);
	printf("a sibling thread's mmap of the memory file with the key it read: %s\n",
	       r == 0x30000000L ? "mapped" : r < 0 && r > -4096 ? strerrorname_np((int)-r) : "?");
	thief_done = 1;
	return NULL;
}

/* steal-key: faults on fresh pages, each a keyed mmap command of the
 * stub, until the thief is done. */
static int steal_key(uintptr_t ctx, uintptr_t code)
{
	size_t len = 256UL << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t restorer = find_syscall(code, 4 * PAGE, SYS_rt_sigreturn);
	pthread_t t;

	if (p == MAP_FAILED || !restorer)
		return 2;
	thief_ctx = ctx;
	thief_sys = restorer + 5;
	alarm(30);
	if (pthread_create(&t, NULL, thief, NULL))
		return 2;
	for (size_t off = 0; !thief_done; off = (off + 64 * PAGE) % len)
		p[off] = 1;	/* a window of pages per fault: skip past it */
	pthread_join(t, NULL);
	return 0;
}

/* stub-seccomp: a listener of the application's own, installed through
 * the stub's syscall instruction, would be asked before the guard's. */
static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static const char *errname_of(long r)
{
	return r < 0 && r > -4096 ? strerrorname_np((int)-r) : r >= 0 ? "a descriptor" : "?";
}

static int stub_seccomp(uintptr_t code, uintptr_t guard_fprog)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog own = { 1, &allow };
	uintptr_t restorer = find_syscall(code, 4 * PAGE, SYS_rt_sigreturn);
	pthread_t t;
	long r;

	if (!restorer)
		return 2;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	r = stub_gadget(restorer + 5, SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			(long)guard_fprog, 0, 0, 0);
	printf("the guard's program, one thread: %s\n", errname_of(r));
	if (pthread_create(&t, NULL, idle_thread, NULL))
		return 2;
	r = stub_gadget(restorer + 5, SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			(long)guard_fprog, 0, 0, 0);
	printf("the guard's program again, two threads: %s\n", errname_of(r));
	r = stub_gadget(restorer + 5, SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			(long)&own, 0, 0, 0);
	printf("a program of its own: %s\n", errname_of(r));
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "find";
	uintptr_t base, code, ctx, sys;
	size_t len = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	/* Before find_stub, whose probes make sites hot (sigprocmask,
	 * sigaction): the region must not exist yet. */
	if (strcmp(mode, "region-taken") == 0)
		return region_taken(PATCH_SIZE, syscall(SYS_getpid));
	if (strcmp(mode, "region-partly-taken") == 0)
		return region_taken(PAGE, syscall(SYS_getpid));
	base = find_stub(&len);
	if (!base) {
		printf("no stub region\n");
		return 1;
	}
	/* The code, then the first thread's area: a read-only page, then
	 * its context (platform/systrap/shared.h). */
	code = base;
	ctx = base + 5 * PAGE;
	if (strcmp(mode, "find") == 0) {
		printf("stub region found, %zu KiB\n", len / 1024);
		return 0;
	}
	if (strcmp(mode, "ctx-garbage") == 0) {
		memset((void *)ctx, 0xff, PAGE);
		printf("context overwritten\n");
		memset((void *)ctx, 0x00, PAGE);
		printf("context zeroed, pid %ld\n", (long)syscall(SYS_getpid));
		return 0;
	}
	if (strcmp(mode, "steal-key") == 0)
		return steal_key(ctx, code);
	if (strcmp(mode, "stub-seccomp") == 0)
		return stub_seccomp(code, base + 4 * PAGE + offsetof(struct systrap_id, guard_len));
	if (strcmp(mode, "id-page") == 0) {
		printf("writing the area's read-only page\n");
		*(volatile uint64_t *)(base + 4 * PAGE) = 0;
		return 3;
	}
	if (strcmp(mode, "jump-restorer") == 0) {
		signal(SIGSEGV, on_segv_exit);
		sys = find_syscall(code, 4 * PAGE, SYS_rt_sigreturn);
		if (!sys)
			return 2;
		printf("jumping to the stub's rt_sigreturn\n");
		__asm__ volatile("mov %0, %%rsp\n\tjmp *%1" :: "r"((uintptr_t)0x1000), "r"(sys) : "memory");
		return 3;
	}
	if (strcmp(mode, "block-signals") == 0 || strcmp(mode, "block-syscall") == 0) {
		sys = find_syscall(code, 4 * PAGE, SYS_rt_sigreturn);
		if (!sys)
			return 2;
		printf("blocking the stub's signals\n");
		sigreturn_blocked(sys, strcmp(mode, "block-signals") == 0 ? spin_forever : call_getpid);
		return 3;
	}
	if (strcmp(mode, "unmap-stub") == 0) {
		sys = find_syscall(code, 4 * PAGE, -1);
		if (!sys)
			return 2;
		printf("unmapping the stub's code\n");
		__asm__ volatile("mov %0, %%rdi\n\tmov %1, %%rsi\n\tmov $11, %%eax\n\tjmp *%2"
				 :: "r"(code), "r"((uintptr_t)(4 * PAGE)), "r"(sys) : "rax", "rdi", "rsi", "memory");
		return 3;
	}
	if (strcmp(mode, "stub-mmap") == 0 || strcmp(mode, "stub-mprotect") == 0) {
		uintptr_t restorer = find_syscall(code, 4 * PAGE, SYS_rt_sigreturn);

		if (!restorer)
			return 2;
		sys = restorer + 5;
		if (strcmp(mode, "stub-mmap") == 0) {
			/* The memory file (the stub's fd 3) holds every page of
			 * the sandbox: mapped, its first page would be readable. */
			long r;

			close(3);
			r = stub_gadget(sys, SYS_mmap, 0x30000000L, (long)PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, 3, 0);
			printf("mmap of fd 3 through the stub's syscall: %s\n",
			       r == 0x30000000L ? "mapped" : r < 0 && r > -4096 ? strerrorname_np((int)-r) : "?");
			return 0;
		} else {
			/* A private mapping of a file made writable by the host
			 * would write through to the page cache the sandbox shares. */
			char before, after;
			int fd = open("/proc/self/exe", O_RDONLY);
			volatile char *p, *q;
			long r;

			if (fd < 0 || pread(fd, &before, 1, 0) != 1)
				return 2;
			p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
			if (p == MAP_FAILED)
				return 2;
			(void)p[0];	/* present, mapped read-only */
			r = stub_gadget(sys, SYS_mprotect, (long)p, (long)PAGE, PROT_READ | PROT_WRITE, 0x1234, 0, 0);
			if (r == 0)
				p[0] = (char)(before ^ 0x55);
			/* Another mapping of the file shares its cached pages. */
			q = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
			if (q == MAP_FAILED)
				return 2;
			after = q[0];
			printf("mprotect through the stub's syscall: %ld; the file's byte %s\n", r,
			       after == before ? "unchanged" : "changed");
			return 0;
		}
	}
	if (strcmp(mode, "seccomp") == 0) {
		/* Every call but write and exit_group fails with EPERM: the
		 * sentry applies it to the application; had the host installed
		 * it on the stub, the stub's own futex and mmap calls would
		 * fail and the program could not go on. */
		struct sock_filter eperm_all[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 2, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { 5, eperm_all };
		long r, pid;

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
		pid = syscall(SYS_getpid);
		printf("seccomp returned %ld; getpid %s; still running\n", r, pid < 0 && errno == EPERM ? "EPERM" : "allowed");
		return 0;
	}
	if (strncmp(mode, "tramp-", 6) == 0 || strcmp(mode, "table-junk") == 0 || strcmp(mode, "unmap-region") == 0 ||
	    strcmp(mode, "ctx-garbage-patched") == 0) {
		long pid = syscall(SYS_getpid);
		uintptr_t slot = patch_site(pid);

		if (!slot) {
			printf("the site was not patched\n");
			return 2;
		}
		if (strcmp(mode, "ctx-garbage-patched") == 0) {
			long r1, r2;

			memset((void *)ctx, 0xff, PAGE);
			r1 = hot_getpid();
			memset((void *)ctx, 0x00, PAGE);
			r2 = hot_getpid();
			printf("context overwritten, then zeroed: pids %ld %ld\n", r1, r2);
			return 0;
		}
		if (strcmp(mode, "tramp-direct") == 0) {
			printf("trampoline called directly, pid %ld\n", call_entry(0));
			return 0;
		}
		if (strcmp(mode, "tramp-junk-rcx") == 0 || strcmp(mode, "tramp-noncanonical-rcx") == 0) {
			uint64_t rcx = strcmp(mode, "tramp-junk-rcx") == 0 ? 0x10 : 0x8000000000000000ULL;

			printf("calling the trampoline with rcx %#llx\n", (unsigned long long)rcx);
			call_entry(rcx);
			return 3;
		}
		if (strcmp(mode, "table-junk") == 0) {
			if (mprotect((void *)(slot & ~(PAGE - 1)), PAGE, PROT_READ | PROT_WRITE) == 0) {
				*(volatile uint64_t *)slot = 0x4141414141414141ULL;
				printf("table entry overwritten\n");
				hot_getpid();
				return 3;
			}
			printf("mprotect: %s; the site then returns pid %ld\n", strerrorname_np(errno), hot_getpid());
			return 0;
		}
		if (strcmp(mode, "unmap-region") == 0) {
			if (munmap((void *)PATCH_BASE, PATCH_SIZE) != 0) {
				printf("munmap: %m\n");
				return 2;
			}
			printf("patch region unmapped; the site then returns pid %ld\n", hot_getpid());
			return 0;
		}
	}
	printf("unknown mode %s\n", mode);
	return 2;
}
