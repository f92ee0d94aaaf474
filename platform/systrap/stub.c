/* The systrap stub: code that runs inside every stub process, copied from
 * its own section (amber_systrap_text) to the same address in each. It
 * is freestanding: no libc, no data outside the stub region, nothing the
 * compiler could turn into a call or a relocation out of the section
 * (CMakeLists.txt builds this file with the flags that ensure it, and a
 * build step checks the object's relocations).
 *
 * Application code runs under a seccomp filter that traps every system
 * call made outside this code. The kernel then delivers SIGSYS, on the
 * stub's signal stack, to stub_handler, which puts the registers in the
 * shared context, hands the thread to the sentry and carries out what
 * the sentry asks (map memory, read or load the XSAVE area) until told to
 * run application code again; the return from the handler (rt_sigreturn)
 * loads the sentry's registers. Page faults and other synchronous signals
 * take the same path, and so does the sentry's kick (SYSTRAP_SIGKICK).
 *
 * A patched call site (kernel/mm/syscall_patch.c) enters without a
 * signal: it jumps to amber_systrap_fastcall (stub_entry.S), which pushes
 * the registers into the context and calls amber_systrap_fast here; that
 * hands over the same way, carries out the same commands (the vector
 * state with xsave/xrstor, since there is no signal frame) and returns
 * the registers to load, which the trampoline pops and leaves by iretq.
 * Nothing on that path may touch a vector register: this file is built
 * with -mgeneral-regs-only. */
#include "platform/systrap/shared.h"
#include "platform/arch/x86_64/sigframe.h"

#include <stddef.h>
#include <stdint.h>
#include <asm/unistd.h>
#include <linux/futex.h>

#define STUB __attribute__((section("amber_systrap_text"), noinline))
#define STUB_EXPORT __attribute__((section("amber_systrap_text"), noinline, used, visibility("hidden")))
#define STUB_INLINE static inline __attribute__((always_inline))

/* The start of the copied code; rip-relative, so in a stub it is the
 * stub's own copy. */
extern char __start_amber_systrap_text[] __attribute__((visibility("hidden")));

#define K_SIGILL	4
#define K_SIGTRAP	5
#define K_SIGBUS	7
#define K_SIGFPE	8
#define K_SIGSEGV	11
#define K_SIGSYS	31
#define K_SYS_SECCOMP	1
#define K_AUDIT_ARCH_X86_64 0xc000003eU
#define K_MAP_SHARED	0x01
#define K_MAP_FIXED	0x10
#define K_ARCH_SET_GS	0x1001
#define K_ARCH_SET_FS	0x1002
#define K_EINVAL	22
#define K_SECCOMP_NEW_LISTENER	8
#define K_USER_CS	0x33
#define K_USER_DS	0x2b
/* The flags a return to user mode may carry over: Linux's FIX_EFLAGS,
 * and ID, which its syscall return keeps too; plus IF and bit 1. */
#define K_FIX_EFLAGS	0x250dd5UL
#define K_EFLAGS_BASE	0x202UL
#define K_EFLAGS_TF	0x100UL

/* XSAVE area (standard format) fields the stub touches. */
#define FX_FCW		0
#define FX_MXCSR	24
#define FX_MXCSR_MASK	28
#define FX_LEGACY	512
#define XS_HEADER	512
#define XS_HEADER_SIZE	64

STUB_INLINE long sc(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

void amber_systrap_fastcall(void) __attribute__((visibility("hidden")));

STUB_INLINE int in_stub_code(uint64_t ip)
{
	return ip - (uint64_t)__start_amber_systrap_text < SYSTRAP_CODE_SIZE;
}

/* The handler's context: that of the area whose signal stack it runs on
 * (the kernel chose the stack, the application did not). A stack outside
 * every area -- only an application that moved its thread's signal stack
 * through the stub's own sigaltstack call can cause that -- ends the stub
 * (the sentry then kills the process). */
STUB_INLINE struct systrap_shared *shared_from_stack(void)
{
	uint64_t base = (uint64_t)__start_amber_systrap_text + SYSTRAP_AREA_OFF;
	uint64_t idx = ((uint64_t)__builtin_frame_address(0) - base) / SYSTRAP_AREA_SIZE;

	if (idx >= SYSTRAP_AREA_MAX)
		__builtin_trap();
	return (struct systrap_shared *)(base + idx * SYSTRAP_AREA_SIZE + SYSTRAP_ID_SIZE);
}

/* The trampoline's context: as its area's read-only page says, found
 * through %gs. */
STUB_INLINE struct systrap_shared *shared_from_gs(void)
{
	uint64_t ctx;

	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(ctx) : "i"(SYSTRAP_ID_CTX));
	return (struct systrap_shared *)ctx;
}

STUB_INLINE uint8_t *fp_area(struct systrap_shared *sh)
{
	return (uint8_t *)sh + SYSTRAP_FP_OFF;
}

/* Byte copy the compiler cannot turn into a call to memcpy: the empty asm
 * makes each iteration opaque. */
STUB_INLINE void copy_bytes(uint8_t *dst, const uint8_t *src, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		dst[i] = src[i];
		__asm__ volatile("" ::: "memory");
	}
}

STUB_INLINE void zero_bytes(uint8_t *dst, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		dst[i] = 0;
		__asm__ volatile("" ::: "memory");
	}
}

STUB_INLINE uint32_t rd32(const uint8_t *p) { return *(const uint32_t *)p; }
STUB_INLINE uint64_t rd64(const uint8_t *p) { return *(const uint64_t *)p; }
STUB_INLINE void wr16(uint8_t *p, uint16_t v) { *(uint16_t *)p = v; }
STUB_INLINE void wr32(uint8_t *p, uint32_t v) { *(uint32_t *)p = v; }
STUB_INLINE void wr64(uint8_t *p, uint64_t v) { *(uint64_t *)p = v; }

STUB_INLINE uint64_t rdfsbase(void)
{
	uint64_t v;
	__asm__ volatile("rdfsbase %0" : "=r"(v));
	return v;
}

/* The fs base into the context's registers: the live one where
 * rdfsbase works, else the one the stub last loaded. The gs base is the
 * stub's own (its area); the application's is whatever the sentry keeps
 * in regs.gs_base, which no path here writes. */
static void STUB save_bases(struct systrap_shared *sh)
{
	struct arch_regs *r = &sh->regs;

	if (sh->fsgsbase)
		sh->fs_base = rdfsbase();
	r->fs_base = sh->fs_base;
	r->ds = r->es = r->fs = r->gs = 0;
}

static void STUB save_regs(struct systrap_shared *sh, const struct linux_sigcontext *mc)
{
	struct arch_regs *r = &sh->regs;

	r->r8 = mc->r8; r->r9 = mc->r9; r->r10 = mc->r10; r->r11 = mc->r11;
	r->r12 = mc->r12; r->r13 = mc->r13; r->r14 = mc->r14; r->r15 = mc->r15;
	r->rdi = mc->rdi; r->rsi = mc->rsi; r->rbp = mc->rbp; r->rbx = mc->rbx;
	r->rdx = mc->rdx; r->rax = mc->rax; r->rcx = mc->rcx; r->rsp = mc->rsp;
	r->rip = mc->rip; r->eflags = mc->eflags;
	r->cs = mc->cs; r->ss = mc->ss;
	r->orig_rax = (uint64_t)-1;
	save_bases(sh);
}

/* Loads the sentry's fs base (no FSGSBASE here: a call, made only when
 * it changes). */
static void STUB set_bases(struct systrap_shared *sh)
{
	uint64_t fs = sh->regs.fs_base;

	if (fs != sh->fs_base && sc(__NR_arch_prctl, K_ARCH_SET_FS, (long)fs, 0, 0, 0, 0) == 0)
		sh->fs_base = fs;
}

static void STUB load_regs(struct systrap_shared *sh, struct linux_sigcontext *mc)
{
	const struct arch_regs *r = &sh->regs;

	mc->r8 = r->r8; mc->r9 = r->r9; mc->r10 = r->r10; mc->r11 = r->r11;
	mc->r12 = r->r12; mc->r13 = r->r13; mc->r14 = r->r14; mc->r15 = r->r15;
	mc->rdi = r->rdi; mc->rsi = r->rsi; mc->rbp = r->rbp; mc->rbx = r->rbx;
	mc->rdx = r->rdx; mc->rax = r->rax; mc->rcx = r->rcx; mc->rsp = r->rsp;
	mc->rip = r->rip;
	mc->eflags = r->eflags;	/* rt_sigreturn keeps only the user-changeable bits */
	/* cs and ss stay the kernel's: the application has no business
	 * choosing a selector, and a bad one would kill the stub. */
	set_bases(sh);
}

/* The XSAVE area's size as the kernel wrote it into the frame. */
static uint64_t STUB fp_size(const uint8_t *fx)
{
	const struct fpx_sw_bytes *sw = (const struct fpx_sw_bytes *)(fx + SW_BYTES_OFFSET);
	uint64_t n = 512;

	if (sw->magic1 == FP_XSTATE_MAGIC1)
		n = sw->xstate_size;
	if (n < 512)
		n = 512;
	return n > SYSTRAP_FP_MAX ? SYSTRAP_FP_MAX : n;
}

static long STUB fp_get(struct systrap_shared *sh, const struct linux_sigcontext *mc)
{
	const uint8_t *fx = (const uint8_t *)mc->fpstate;
	uint64_t n;

	if (!fx)
		return -K_EINVAL;
	n = fp_size(fx);
	copy_bytes(fp_area(sh), fx, n);
	return (long)n;
}

/* Loads the sentry's XSAVE area into the frame. The software bytes and
 * the features the kernel saved stay the kernel's, and fields a bad value
 * in would make rt_sigreturn fail are cleaned, so that whatever the
 * application handed the sentry (a forged signal frame) cannot kill the
 * stub. */
static long STUB fp_set(struct systrap_shared *sh, struct linux_sigcontext *mc, uint64_t len)
{
	uint8_t *fx = (uint8_t *)mc->fpstate;
	const uint8_t *src = fp_area(sh);
	const struct fpx_sw_bytes *sw;
	uint64_t n, xfeatures = 3, mask;

	if (!fx)
		return -K_EINVAL;
	n = fp_size(fx);
	if (len < n)
		n = len;
	if (n < 512)
		return -K_EINVAL;
	mask = rd32(fx + FX_MXCSR_MASK);
	if (mask == 0)
		mask = 0xffbf;
	sw = (const struct fpx_sw_bytes *)(fx + SW_BYTES_OFFSET);
	if (sw->magic1 == FP_XSTATE_MAGIC1)
		xfeatures = sw->xfeatures;
	copy_bytes(fx, src, SW_BYTES_OFFSET);
	if (n > FX_LEGACY)
		copy_bytes(fx + FX_LEGACY, src + FX_LEGACY, n - FX_LEGACY);
	wr32(fx + FX_MXCSR, rd32(fx + FX_MXCSR) & (uint32_t)mask);
	if (n >= XS_HEADER + XS_HEADER_SIZE) {
		wr64(fx + XS_HEADER, rd64(fx + XS_HEADER) & xfeatures);
		zero_bytes(fx + XS_HEADER + 8, XS_HEADER_SIZE - 8);	/* xcomp_bv, reserved */
	}
	return 0;
}

/* Exec's clean state: every XSAVE component in its initial state. */
static long STUB fp_init(struct linux_sigcontext *mc)
{
	uint8_t *fx = (uint8_t *)mc->fpstate;

	if (!fx)
		return -K_EINVAL;
	zero_bytes(fx, SW_BYTES_OFFSET);
	wr16(fx + FX_FCW, 0x37f);
	wr32(fx + FX_MXCSR, 0x1f80);
	if (fp_size(fx) >= XS_HEADER + XS_HEADER_SIZE)
		zero_bytes(fx + XS_HEADER, XS_HEADER_SIZE);
	return 0;
}

/* The XSAVE layout the kernel uses in this stub's frames, kept for the
 * trampoline's path, which has none: recorded from every frame, so that
 * an application that scribbles over the context gets it back at its
 * next trapped call. */
static void STUB record_fp_layout(struct systrap_shared *sh, const struct linux_sigcontext *mc)
{
	const uint8_t *fx = (const uint8_t *)mc->fpstate;
	const struct fpx_sw_bytes *sw;

	if (!fx)
		return;
	sw = (const struct fpx_sw_bytes *)(fx + SW_BYTES_OFFSET);
	if (sw->magic1 == FP_XSTATE_MAGIC1) {
		sh->xsave_mask = sw->xfeatures;
		sh->xsave_size = (uint32_t)fp_size(fx);
	}
	sh->mxcsr_mask = rd32(fx + FX_MXCSR_MASK) ? rd32(fx + FX_MXCSR_MASK) : 0xffbf;
}

STUB_INLINE uint64_t xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* The features the trampoline saves and loads: those of the frames, and
 * never one the CPU has not enabled (the context is the application's
 * to write). 0: the host gave no XSAVE frame, the path cannot be used. */
STUB_INLINE uint64_t fast_fp_mask(const struct systrap_shared *sh)
{
	return sh->xsave_mask ? sh->xsave_mask & xcr0() : 0;
}

STUB_INLINE uint64_t fast_fp_size(const struct systrap_shared *sh)
{
	uint64_t n = sh->xsave_size;

	if (n < XS_HEADER + XS_HEADER_SIZE)
		n = XS_HEADER + XS_HEADER_SIZE;
	return n > SYSTRAP_FP_MAX ? SYSTRAP_FP_MAX : n;
}

STUB_INLINE void xsave64(uint8_t *p, uint64_t mask)
{
	__asm__ volatile("xsave64 (%0)" : : "r"(p), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}

STUB_INLINE void xrstor64(const uint8_t *p, uint64_t mask)
{
	__asm__ volatile("xrstor64 (%0)" : : "r"(p), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}

/* The live vector state into the context's area, laid out as in a signal
 * frame (software bytes included), since that is what the sentry keeps. */
static long STUB fast_fp_get(struct systrap_shared *sh)
{
	uint8_t *fx = fp_area(sh);
	uint64_t mask = fast_fp_mask(sh), n = fast_fp_size(sh);
	struct fpx_sw_bytes *sw = (struct fpx_sw_bytes *)(fx + SW_BYTES_OFFSET);

	if (!mask)
		return -K_EINVAL;
	/* XSAVE leaves the header's reserved bytes alone; the kernel clears
	 * them in frames, and so does this. */
	zero_bytes(fx + XS_HEADER, XS_HEADER_SIZE);
	xsave64(fx, mask);
	zero_bytes(fx + SW_BYTES_OFFSET, FX_LEGACY - SW_BYTES_OFFSET);
	sw->magic1 = FP_XSTATE_MAGIC1;
	sw->extended_size = (uint32_t)n + 4;	/* FP_XSTATE_MAGIC2 after the area */
	sw->xfeatures = mask;
	sw->xstate_size = (uint32_t)n;
	return (long)n;
}

/* Loads the sentry's area (len bytes) into the live registers, cleaned as
 * fp_set cleans a frame: XRSTOR faults on a reserved MXCSR bit or a bad
 * header, and whatever the application handed the sentry must not kill
 * the stub. */
static long STUB fast_fp_set(struct systrap_shared *sh, uint64_t len)
{
	uint8_t *fx = fp_area(sh);
	uint64_t mask = fast_fp_mask(sh), n = fast_fp_size(sh);

	if (!mask || len < FX_LEGACY)
		return -K_EINVAL;
	if (len < n)
		zero_bytes(fx + len, n - len);
	wr32(fx + FX_MXCSR, rd32(fx + FX_MXCSR) & sh->mxcsr_mask);
	wr64(fx + XS_HEADER, rd64(fx + XS_HEADER) & mask);
	zero_bytes(fx + XS_HEADER + 8, XS_HEADER_SIZE - 8);
	xrstor64(fx, mask);
	return 0;
}

/* Exec's clean state: an empty header puts every component in its
 * initial state; MXCSR is loaded from the area whatever the header. */
static long STUB fast_fp_init(struct systrap_shared *sh)
{
	uint8_t *fx = fp_area(sh);
	uint64_t mask = fast_fp_mask(sh);

	if (!mask)
		return -K_EINVAL;
	zero_bytes(fx, XS_HEADER + XS_HEADER_SIZE);
	wr16(fx + FX_FCW, 0x37f);
	wr32(fx + FX_MXCSR, 0x1f80);
	xrstor64(fx, mask);
	return 0;
}

/* The CPU this thread runs on, as the vDSO's getcpu reads it without
 * RDPID: the limit of the per-CPU GDT entry. */
STUB_INLINE uint32_t this_cpu(void)
{
	uint32_t p = 0;

	__asm__ volatile("lsl %1, %0" : "=r"(p) : "r"(0x7bU));
	return p & 0xfff;
}

static void STUB post(struct systrap_shared *sh, uint32_t ev)
{
	sh->event = ev;
	sh->stub_cpu = this_cpu();
	__atomic_store_n(&sh->state, SYSTRAP_ST_EVENT, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sh->sentry_sleeping, __ATOMIC_SEQ_CST))
		sc(__NR_futex, (long)&sh->state, FUTEX_WAKE, 1, 0, 0, 0);
}

/* Waits for the sentry's command: spins while that has been paying off
 * (doubling the budget on success, halving it on a sleep, probing now
 * and then from zero), never longer than the sentry's cap, which is zero
 * when the sandbox has more running threads than cores to spin on. */
static void STUB wait_cmd(struct systrap_shared *sh)
{
	uint32_t max = sh->stub_spin_max, budget = sh->stub_spin, min, v;

	if (max > SYSTRAP_SPIN_CEIL)
		max = SYSTRAP_SPIN_CEIL;
	min = max >> 6;

	if (budget > max)
		budget = max;
	if (budget == 0 && max && (++sh->stub_probe & 15) == 0)
		budget = max / 8 ? max / 8 : 1;
	int same_cpu = __atomic_load_n(&sh->sentry_cpu, __ATOMIC_RELAXED) == sh->stub_cpu;

	if (same_cpu)
		budget = 0;	/* the sentry's thread last ran here: let it */
	for (uint32_t i = 0; i < budget; i++) {
		if (__atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == SYSTRAP_ST_CMD) {
			budget = budget * 2 < min ? min : budget * 2;
			sh->stub_spin = budget > max ? max : budget;
			return;
		}
		__asm__ volatile("pause" ::: "memory");
	}
	for (;;) {
		__atomic_store_n(&sh->stub_sleeping, 1, __ATOMIC_SEQ_CST);
		v = __atomic_load_n(&sh->state, __ATOMIC_SEQ_CST);
		if (v == SYSTRAP_ST_CMD)
			break;
		sc(__NR_futex, (long)&sh->state, FUTEX_WAIT, v, 0, 0, 0);
	}
	__atomic_store_n(&sh->stub_sleeping, 0, __ATOMIC_RELAXED);
	/* A sleep that did not follow a spin says nothing about spinning. */
	if (!same_cpu)
		sh->stub_spin = budget / 2 < min ? 0 : budget / 2;
}

/* The two calls the filter lets through only with the stub's key
 * (systrap.c, build_filter). The key goes from the context into the
 * checked registers inside the asm and is cleared from them, and from
 * the context, once the call is made: no copy of it is left where the
 * application could read it. */
static long STUB keyed_mmap(struct systrap_shared *sh)
{
	register long r10 __asm__("r10") = K_MAP_SHARED | K_MAP_FIXED;
	register long r8 __asm__("r8") = sh->arg[4] == SYSTRAP_CTXFD ? SYSTRAP_CTXFD : SYSTRAP_MEMFD;
	register long r9 __asm__("r9") = (long)sh->arg[3];
	long ret;

	__asm__ volatile("mov (%[key]), %%rcx\n\t"
			 "mov %%rcx, %%r11\n\t"
			 "shl $32, %%rcx\n\t"
			 "or %%rcx, %%r10\n\t"		/* flags: the key's low half above */
			 "shr $32, %%r11\n\t"
			 "shl $32, %%r11\n\t"
			 "or %%r11, %%r8\n\t"		/* fd: its high half above */
			 "syscall\n\t"			/* rcx and r11 are the kernel's after */
			 "xor %%r10d, %%r10d\n\t"
			 "xor %%r8d, %%r8d\n\t"
			 "movq $0, (%[key])"
			 : "=a"(ret), "+r"(r10), "+r"(r8)
			 : "a"((long)__NR_mmap), "D"(sh->arg[0]), "S"(sh->arg[1]), "d"(sh->arg[2]), "r"(r9),
			   [key] "r"(&sh->key)
			 : "rcx", "r11", "memory");
	return ret;
}

static long STUB keyed_mprotect(struct systrap_shared *sh)
{
	long ret;

	__asm__ volatile("mov (%[key]), %%r10\n\t"
			 "syscall\n\t"
			 "xor %%r10d, %%r10d\n\t"
			 "movq $0, (%[key])"
			 : "=a"(ret)
			 : "a"((long)__NR_mprotect), "D"(sh->arg[0]), "S"(sh->arg[1]), "d"(sh->arg[2]),
			   [key] "r"(&sh->key)
			 : "rcx", "r10", "r11", "memory");
	return ret;
}

long amber_systrap_clone(uint64_t area, uint64_t stack_top, uint64_t ctid, const uint64_t *key)
	__attribute__((visibility("hidden")));

/* A new stub thread in the area the sentry mapped (arg[0]): it starts in
 * amber_systrap_thread with its own stack, and its exit clears its
 * context's tid word. clone's tls argument (ignored without
 * CLONE_SETTLS) carries the stub's key, which the filter checks: the
 * application cannot make stub threads of its own. */
static long STUB stub_clone(struct systrap_shared *sh)
{
	uint64_t area = sh->arg[0];
	struct systrap_shared *child = (struct systrap_shared *)(area + SYSTRAP_ID_SIZE);

	return amber_systrap_clone(area, (uint64_t)child + SYSTRAP_FAST_STACK_TOP, (uint64_t)&child->tid_word,
				   &sh->key);
}

static void STUB serve(struct systrap_shared *sh, uint32_t ev, struct linux_sigcontext *mc)
{
	for (;;) {
		post(sh, ev);
		wait_cmd(sh);
		ev = SYSTRAP_EV_DONE;
		switch (sh->cmd) {
		case SYSTRAP_CMD_RUN:
			return;
		case SYSTRAP_CMD_MMAP:
			sh->ret = keyed_mmap(sh);
			break;
		case SYSTRAP_CMD_MUNMAP:
			sh->ret = sc(__NR_munmap, (long)sh->arg[0], (long)sh->arg[1], 0, 0, 0, 0);
			break;
		case SYSTRAP_CMD_MPROTECT:
			sh->ret = keyed_mprotect(sh);
			break;
		case SYSTRAP_CMD_GET_FP:
			sh->ret = mc ? fp_get(sh, mc) : fast_fp_get(sh);
			break;
		case SYSTRAP_CMD_SET_FP:
			sh->ret = mc ? fp_set(sh, mc, sh->arg[0]) : fast_fp_set(sh, sh->arg[0]);
			break;
		case SYSTRAP_CMD_CLONE:
			sh->ret = stub_clone(sh);
			break;
		case SYSTRAP_CMD_EXIT:
			for (;;)
				sc(__NR_exit, 0, 0, 0, 0, 0, 0);
		case SYSTRAP_CMD_GUARD:
			/* arg 0: area 0's sock_fprog, on the page no thread can
			 * write; the filter allows no other. */
			sh->ret = sc(__NR_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, K_SECCOMP_NEW_LISTENER,
				     (long)sh->arg[0], 0, 0, 0);
			break;
		case SYSTRAP_CMD_INIT_FP:
			sh->ret = mc ? fp_init(mc) : fast_fp_init(sh);
			break;
		default:
			sh->ret = -K_EINVAL;
			break;
		}
	}
}

/* The sentry's kick found the thread in the stub's own code, which only
 * the trampoline's path runs with signals open. Where it landed says
 * what the application's registers are:
 * - on the trampoline's first instruction: the frame's, as if the kick
 *   had come just before the call; the call is made again through the
 *   syscall instruction the patched site ends with (rcx - 2);
 * - on the way out (the sentry's RUN is posted): the context's, which the
 *   trampoline only reads from then on;
 * - anywhere else the trampoline is saving the registers or handing
 *   over: its own event gives the sentry the thread, and it reports an
 *   interrupt before it leaves (kick_seen), in case the sentry asked
 *   after it had looked.
 * Returns 1 to report an interrupt, 0 to ignore the kick. The first
 * case is the handler's (a trap there is the same). */
static int STUB kick_in_stub(struct systrap_shared *sh)
{
	return __atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == SYSTRAP_ST_CMD && sh->cmd == SYSTRAP_CMD_RUN;
}

/* The application's trap flag, carried into the trampoline (it jumped
 * there itself while single-stepping: the sentry turns the steps through
 * a site's code into one at the site's syscall instruction): the
 * trampoline's instructions are not the application's to step through.
 * The flag is dropped here and given back on the way out, so the
 * program's next step traps after the call. */
static void STUB step_in_stub(struct systrap_shared *sh, struct linux_sigcontext *mc)
{
	mc->eflags &= ~K_EFLAGS_TF;
	sh->tf_rearm = 1;
}

void STUB_EXPORT amber_systrap_handler(int sig, struct linux_siginfo *si, struct linux_ucontext *uc)
{
	struct systrap_shared *sh = shared_from_stack();
	struct linux_sigcontext *mc = &uc->uc_mcontext;
	uint32_t ev;

	if ((sig == SYSTRAP_SIGKICK || sig == K_SIGTRAP) && mc->rip == (uint64_t)amber_systrap_fastcall) {
		/* On the trampoline's first instruction nothing is saved
		 * yet: the application's state is the frame's, about to make
		 * the call by the syscall instruction the patched site ends
		 * with (rcx - 2), as if it had not jumped. */
		save_regs(sh, mc);
		sh->regs.rip = mc->rcx - 2;
	} else if (sig == K_SIGTRAP && in_stub_code(mc->rip)) {
		step_in_stub(sh, mc);
		return;
	} else if (sig == SYSTRAP_SIGKICK && in_stub_code(mc->rip)) {
		if (!kick_in_stub(sh)) {
			/* Not lost: the trampoline reports it before it leaves. */
			__atomic_store_n(&sh->kick_seen, 1, __ATOMIC_RELEASE);
			return;
		}
	} else {
		save_regs(sh, mc);
	}
	record_fp_layout(sh, mc);
	sh->signo = sig;
	sh->code = si->si_code;
	sh->addr = 0;
	if (sig == K_SIGSYS) {
		if (si->si_code != K_SYS_SECCOMP)
			return;		/* not a trapped call: nobody else may send it */
		sh->regs.orig_rax = si->sys.arch == K_AUDIT_ARCH_X86_64 ? (uint64_t)(uint32_t)si->sys.nr
								      : (uint64_t)-1;
		ev = sh->started ? SYSTRAP_EV_SYSCALL : SYSTRAP_EV_HELLO;
		sh->started = 1;
	} else if (sig == K_SIGSEGV) {
		ev = SYSTRAP_EV_FAULT;
		sh->addr = si->fault.addr;
		sh->fault_err = mc->err;
	} else if (sig == K_SIGBUS || sig == K_SIGFPE || sig == K_SIGILL || sig == K_SIGTRAP) {
		ev = SYSTRAP_EV_SIGNAL;
		sh->addr = si->fault.addr;
	} else {
		ev = SYSTRAP_EV_INTERRUPT;
	}
	serve(sh, ev, mc);
	load_regs(sh, mc);
	__atomic_store_n(&sh->state, SYSTRAP_ST_APP, __ATOMIC_RELAXED);
}

/* The C half of the trampoline (stub_entry.S), on the stub's stack with
 * the application's registers in the context as the trampoline pushed
 * them: rax the call, rcx its return address, r11 not yet the flags.
 * Returns the registers the trampoline loads, as an iretq frame ends
 * them: cs and ss the host's, flags only those a return to user mode
 * may set. The state word stays SYSTRAP_ST_CMD (RUN) until the thread
 * next enters: that is how a kick on the way out is recognized. */
STUB_EXPORT struct arch_regs *amber_systrap_fast(void)
{
	struct systrap_shared *sh = shared_from_gs();
	struct arch_regs *r = &sh->regs;

	r->orig_rax = r->rax;
	r->r11 = r->eflags;	/* as the syscall instruction leaves it */
	save_bases(sh);
	sh->signo = K_SIGSYS;
	sh->code = 0;
	sh->addr = 0;
	sh->fast_calls++;
	serve(sh, SYSTRAP_EV_SYSCALL, NULL);
	/* A kick that came while the thread was on its way in or handing
	 * over was dropped; the sentry may have asked for the thread after
	 * it last looked (a signal, a freeze), so it gets it once more, at
	 * the registers it just gave. */
	while (__atomic_exchange_n(&sh->kick_seen, 0, __ATOMIC_ACQ_REL)) {
		sh->signo = SYSTRAP_SIGKICK;
		serve(sh, SYSTRAP_EV_INTERRUPT, NULL);
	}
	set_bases(sh);
	/* Exactly what step_in_stub writes: garbage the application put in
	 * the context is not a reason to make it single-step. */
	if (sh->tf_rearm == 1)
		r->eflags |= K_EFLAGS_TF;
	sh->tf_rearm = 0;
	r->eflags = (r->eflags & K_FIX_EFLAGS) | K_EFLAGS_BASE;
	r->cs = K_USER_CS;
	r->ss = K_USER_DS;
	return r;
}

/* A new stub's first code after the jump from the forked child: drop
 * every mapping inherited from the sentry but the stub region, then make
 * the first trapped call, whose handler says hello and waits for the
 * first program. It never returns: the sentry's first RUN replaces the
 * registers of that call. */
void STUB_EXPORT amber_systrap_main(uint64_t user_top)
{
	uint64_t base = (uint64_t)__start_amber_systrap_text;
	uint64_t end = base + SYSTRAP_REGION_SIZE;

	sc(__NR_munmap, 0, (long)base, 0, 0, 0, 0);
	sc(__NR_munmap, (long)end, (long)(user_top - end), 0, 0, 0, 0);
	for (;;)
		sc(__NR_getpid, 0, 0, 0, 0, 0, 0);	/* trapped: not on the stub's list */
}

/* A new stub thread's first code, on its area's stack (stub_entry.S's
 * clone): the key clone carried is already gone from its registers. Its
 * %gs and signal stack are its area's, and it unblocks the signals the
 * creating thread had blocked in its handler; then its first trapped call
 * says hello in its own context, as a new stub's does. */
void STUB_EXPORT amber_systrap_thread(uint64_t area)
{
	struct {
		uint64_t sp;
		int32_t flags, pad;
		uint64_t size;
	} ss = { area + SYSTRAP_ID_SIZE + SYSTRAP_FAST_STACK_TOP, 0, 0, SYSTRAP_STACK_SIZE / 2 };
	uint64_t none = 0;

	sc(__NR_arch_prctl, K_ARCH_SET_GS, (long)area, 0, 0, 0, 0);
	sc(__NR_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);
	sc(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&none, 0, 8, 0, 0);
	for (;;)
		sc(__NR_getpid, 0, 0, 0, 0, 0, 0);	/* trapped */
}
