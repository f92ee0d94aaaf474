/* The ptrace platform. Each address space is a stub process forked from
 * the sentry, stripped of every mapping but the stub page, and traced by
 * the host thread that created it. Application system calls stop the stub
 * under PTRACE_SYSEMU, so the host never runs them; mapping changes are
 * system calls injected at the stub page's syscall instruction. */
#include "platform/platform.h"
#include "kernel/lib/log.h"
#include "kernel/lib/types.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <sched.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

#define USER_TOP	0x7ffffffff000UL	/* 47-bit x86-64 user space */
#define APP_TOP		0x7ff000000000UL	/* the application stays below */
#define STUB_SIZE	PAGE_SIZE
#define STUB_MEMFD	PLATFORM_STUB_MEMFD

extern const char amber_stub_begin[], amber_stub_end[], amber_stub_syscall[], amber_stub_clone[];

/* A thread of the stub process, sharing its address space. */
#define STUB_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

static uint64_t stub_addr;
static int memfile_fd = -1;

struct platform_as {
	pid_t pid;		/* the stub process; its first thread is traced by its maker */
	bool dead;
};

/* One stub thread, traced by the host thread that runs the context. */
struct platform_ctx {
	struct platform_as *as;
	pid_t tid;
	pid_t tracer;		/* 0 until adopted (ctx_clone's thread spins untraced) */
	bool dead;
	bool interrupt_pending;	/* a SIGSTOP we sent has not been seen yet */
};

/* The context this host thread runs: address-space changes are system
 * calls injected into its stub thread. */
static __thread struct platform_ctx *cur_ctx;

static int ptrace_init(int mfd)
{
	size_t len = (size_t)(amber_stub_end - amber_stub_begin);
	uint64_t a;

	if (len > STUB_SIZE)
		return -EINVAL;
	memfile_fd = mfd;
	/* The stub page must be at an address the sentry itself leaves free,
	 * so that forked stubs inherit it; search the top of user space. */
	for (a = USER_TOP - 16 * STUB_SIZE; a >= APP_TOP; a -= 1UL << 24) {
		void *p = mmap((void *)a, STUB_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		if ((uint64_t)p != a) {
			munmap(p, STUB_SIZE);
			continue;
		}
		memcpy(p, amber_stub_begin, len);
		if (mprotect(p, STUB_SIZE, PROT_READ | PROT_EXEC) < 0)
			return -errno;
		stub_addr = a;
		return 0;
	}
	return -ENOMEM;
}

static uint64_t ptrace_app_top(void)
{
	return APP_TOP;
}

/* Runs in the forked child: only async-signal-safe calls until the jump. */
static void __attribute__((noreturn)) stub_child(pid_t parent)
{
	sigset_t all;

	if (platform_stub_child_setup(parent, memfile_fd, -1) < 0)
		_exit(1);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		_exit(1);
	((void (*)(uint64_t, uint64_t, uint64_t))stub_addr)(stub_addr, stub_addr + STUB_SIZE, USER_TOP);
	_exit(1);
}

static int wait_stop(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL);
		if (r == pid)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : -ECHILD;
	}
}

/* Waits until tid stops with sig, resuming it past any other stop.
 * -ESRCH (and ctx marked dead) if it ends instead. */
static int await_stop(struct platform_ctx *ctx, pid_t tid, int sig)
{
	int status, err;

	for (;;) {
		err = wait_stop(tid, &status);
		if (err < 0)
			return err;
		if (!WIFSTOPPED(status)) {
			ctx->dead = true;
			return -ESRCH;
		}
		if (WSTOPSIG(status) == sig)
			return 0;
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
			return -errno;
	}
}

static int ptrace_as_new(struct platform_as **asp, struct platform_ctx **ctxp)
{
	struct platform_as *as = calloc(1, sizeof(*as));
	struct platform_ctx *ctx = calloc(1, sizeof(*ctx));
	pid_t parent = getpid();
	int status, err;

	if (!as || !ctx) {
		err = -ENOMEM;
		goto err_free;
	}
	as->pid = fork();
	if (as->pid < 0) {
		err = -errno;
		goto err_free;
	}
	if (as->pid == 0)
		stub_child(parent);
	ctx->tid = as->pid;
	ctx->tracer = (pid_t)syscall(SYS_gettid);
	err = wait_stop(as->pid, &status);
	if (err < 0)
		goto err_kill;
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
		log_error("ptrace: stub %d did not start (status 0x%x)", as->pid, status);
		err = -ECHILD;
		goto err_kill;
	}
	if (ptrace(PTRACE_SETOPTIONS, as->pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0) {
		err = -errno;
		goto err_kill;
	}
	ctx->as = as;
	cur_ctx = ctx;
	*asp = as;
	*ctxp = ctx;
	return 0;

err_kill:
	kill(as->pid, SIGKILL);
	waitpid(as->pid, &status, __WALL);
err_free:
	free(as);
	free(ctx);
	return err;
}

static void ptrace_as_destroy(struct platform_as *as)
{
	int status;

	if (!as)
		return;
	kill(as->pid, SIGKILL);
	while (waitpid(as->pid, &status, __WALL) < 0 && errno == EINTR)
		;
	free(as);
}

static int ptrace_attach(struct platform_ctx *ctx);

/* A stub thread other than the first ends by an injected exit, which its
 * tracer (this thread) sees; one never adopted is attached first. The
 * first thread goes with the process. */
static void ptrace_ctx_destroy(struct platform_ctx *ctx)
{
	int status;

	if (cur_ctx == ctx)
		cur_ctx = NULL;
	if (ctx->tid != ctx->as->pid && !ctx->dead && !ctx->as->dead &&
	    (ctx->tracer == (pid_t)syscall(SYS_gettid) || (!ctx->tracer && ptrace_attach(ctx) == 0))) {
		struct arch_regs r;

		if (ptrace(PTRACE_GETREGS, ctx->tid, 0, &r) == 0) {
			r.rip = stub_addr + (uint64_t)(amber_stub_syscall - amber_stub_begin);
			r.rax = SYS_exit;
			r.orig_rax = (uint64_t)-1;
			r.rdi = 0;
			if (ptrace(PTRACE_SETREGS, ctx->tid, 0, &r) == 0 && ptrace(PTRACE_CONT, ctx->tid, 0, 0) == 0)
				while (wait_stop(ctx->tid, &status) == 0 && WIFSTOPPED(status))
					if (ptrace(PTRACE_CONT, ctx->tid, 0, 0) < 0)
						break;
		}
	}
	free(ctx);
}

/* Runs one system call in the stub. The stub must be stopped; its
 * registers are saved and restored around the call. */
static long stub_inject_at(struct platform_ctx *ctx, const char *site, long nr, uint64_t a0, uint64_t a1,
			   uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	pid_t tid = ctx->tid;
	struct arch_regs saved, r;
	int err;

	if (ctx->as->dead || ctx->dead)
		return -ESRCH;
	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0)
		return -errno;
	r = saved;
	r.rip = stub_addr + (uint64_t)(site - amber_stub_begin);
	r.rax = (uint64_t)nr;
	r.orig_rax = (uint64_t)-1;	/* not restarting anything */
	r.rdi = a0; r.rsi = a1; r.rdx = a2; r.r10 = a3; r.r8 = a4; r.r9 = a5;
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) < 0)
		return -errno;
	/* Anything but the call's SIGTRAP (our own interrupt SIGSTOP
	 * included) is dropped; the caller's task loop notices interrupts
	 * through its own flags. */
	if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
		return -errno;
	err = await_stop(ctx, tid, SIGTRAP);
	if (err < 0)
		return err;
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
		return -errno;
	if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0)
		return -errno;
	return (long)r.rax;
}

/* Address-space changes go through the calling task's own stub thread. */
static long stub_inject(struct platform_as *as, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			uint64_t a4, uint64_t a5)
{
	if (!cur_ctx || cur_ctx->as != as) {
		log_warn("ptrace: an address-space change from a thread not running in it");
		return -ESRCH;
	}
	return stub_inject_at(cur_ctx, amber_stub_syscall, nr, a0, a1, a2, a3, a4, a5);
}

static int ptrace_as_map(struct platform_as *as, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
	long r = stub_inject(as, SYS_mmap, addr, len, (uint64_t)prot, MAP_SHARED | MAP_FIXED,
			     STUB_MEMFD, off);
	if (r < 0 && r > -4096)
		return (int)r;
	return r == (long)addr ? 0 : -EFAULT;
}

static int ptrace_as_unmap(struct platform_as *as, uint64_t addr, uint64_t len)
{
	long r = stub_inject(as, SYS_munmap, addr, len, 0, 0, 0, 0);
	return r < 0 ? (int)r : 0;
}

static int ptrace_as_protect(struct platform_as *as, uint64_t addr, uint64_t len, int prot)
{
	long r = stub_inject(as, SYS_mprotect, addr, len, (uint64_t)prot, 0, 0, 0);
	return r < 0 ? (int)r : 0;
}

/* A new stub thread, cloned by parent's: it spins untraced in the stub
 * page until the host thread that will run it attaches (ctx_adopt). */
static int ptrace_ctx_clone(struct platform_ctx *parent, struct platform_ctx **ctxp)
{
	struct platform_ctx *ctx = calloc(1, sizeof(*ctx));
	long r;

	if (!ctx)
		return -ENOMEM;
	r = stub_inject_at(parent, amber_stub_clone, SYS_clone, STUB_THREAD_FLAGS, 0, 0, 0, 0, 0);
	if (r <= 0) {
		free(ctx);
		return r < 0 ? (int)r : -EIO;
	}
	ctx->as = parent->as;
	ctx->tid = (pid_t)r;
	*ctxp = ctx;
	return 0;
}

static int ptrace_attach(struct platform_ctx *ctx)
{
	int err;

	if (ptrace(PTRACE_ATTACH, ctx->tid, 0, 0) < 0)
		return -errno;
	/* Nothing but the attach's SIGSTOP is the thread's to see. */
	err = await_stop(ctx, ctx->tid, SIGSTOP);
	if (err < 0)
		return err;
	if (ptrace(PTRACE_SETOPTIONS, ctx->tid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0)
		return -errno;
	ctx->tracer = (pid_t)syscall(SYS_gettid);
	return 0;
}

static int ptrace_ctx_adopt(struct platform_ctx *ctx)
{
	int err = ctx->tracer ? 0 : ptrace_attach(ctx);

	if (err == 0)
		cur_ctx = ctx;
	return err;
}

static enum platform_event ptrace_switch(struct platform_ctx *ctx, struct arch_regs *regs,
					 struct fault_info *fault)
{
	struct platform_as *as = ctx->as;
	int status, sig;
	siginfo_t si;

	if (as->dead || ctx->dead)
		return PLAT_EV_DEAD;
	if (ptrace(PTRACE_SETREGS, ctx->tid, 0, regs) < 0)
		goto dead;
	for (;;) {
		if (ptrace(PTRACE_SYSEMU, ctx->tid, 0, 0) < 0)
			goto dead;
		if (wait_stop(ctx->tid, &status) < 0 || !WIFSTOPPED(status))
			goto dead;
		sig = WSTOPSIG(status);
		if (ptrace(PTRACE_GETREGS, ctx->tid, 0, regs) < 0)
			goto dead;
		if (sig == (SIGTRAP | 0x80))
			return PLAT_EV_SYSCALL;
		if (sig == SIGSTOP) {
			__atomic_store_n(&ctx->interrupt_pending, false, __ATOMIC_RELAXED);
			return PLAT_EV_INTERRUPT;
		}
		if (status >> 16)
			continue;	/* a ptrace event stop, not the thread's */
		if (ptrace(PTRACE_GETSIGINFO, ctx->tid, 0, &si) < 0)
			goto dead;
		log_debug("ptrace: stop sig %d code %d addr %p rip 0x%lx", sig, si.si_code, si.si_addr, (unsigned long)regs->rip);
		if (si.si_code <= 0)
			continue;	/* sent by someone on the host: not the application's business */
		fault->signo = sig;
		fault->code = si.si_code;
		fault->addr = (uint64_t)si.si_addr;
		fault->write = false;	/* the error code is not in ptrace's view */
		if (sig == SIGSEGV) {
			return PLAT_EV_FAULT;
		}
		if (sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP)
			return PLAT_EV_SIGNAL;
	}
dead:
	ctx->dead = true;
	return PLAT_EV_DEAD;
}

static int ptrace_get_fpstate(struct platform_ctx *ctx, void *buf, size_t size)
{
	struct iovec iov = { buf, size };

	if (ptrace(PTRACE_GETREGSET, ctx->tid, NT_X86_XSTATE, &iov) < 0)
		return -errno;
	return (int)iov.iov_len;
}

static int ptrace_set_fpstate(struct platform_ctx *ctx, const void *buf, size_t size)
{
	struct iovec iov = { (void *)buf, size };
	const uint8_t *x = buf;

	if (ptrace(PTRACE_SETREGSET, ctx->tid, NT_X86_XSTATE, &iov) < 0) {
		int err = -errno;
		uint64_t bv = 0, comp = 0;
		uint32_t mxcsr = 0;

		if (size >= 576) {
			memcpy(&bv, x + 512, 8);
			memcpy(&comp, x + 520, 8);
		}
		if (size >= 28)
			memcpy(&mxcsr, x + 24, 4);
		log_debug("ptrace: stub %d refuses an XSAVE area of %zu bytes (xstate_bv 0x%lx, xcomp_bv 0x%lx, mxcsr 0x%x): %d",
			  ctx->tid, size, (unsigned long)bv, (unsigned long)comp, mxcsr, err);
		return err;
	}
	return 0;
}

static void ptrace_init_regs(struct platform_ctx *ctx, struct arch_regs *regs)
{
	struct arch_regs host;

	memset(regs, 0, sizeof(*regs));
	if (ptrace(PTRACE_GETREGS, ctx->tid, 0, &host) == 0) {
		regs->cs = host.cs;
		regs->ss = host.ss;
		regs->ds = host.ds;
		regs->es = host.es;
	}
	regs->eflags = ARCH_EFLAGS_DEFAULT;
	regs->orig_rax = (uint64_t)-1;
}

static void ptrace_interrupt(struct platform_ctx *ctx)
{
	if (__atomic_exchange_n(&ctx->interrupt_pending, true, __ATOMIC_RELAXED))
		return;
	syscall(SYS_tgkill, ctx->as->pid, ctx->tid, SIGSTOP);
}

const struct platform_ops platform_ptrace = {
	.name = "ptrace",
	.init = ptrace_init,
	.app_top = ptrace_app_top,
	.as_new = ptrace_as_new,
	.as_destroy = ptrace_as_destroy,
	.ctx_destroy = ptrace_ctx_destroy,
	.ctx_clone = ptrace_ctx_clone,
	.ctx_adopt = ptrace_ctx_adopt,
	.as_map = ptrace_as_map,
	.as_unmap = ptrace_as_unmap,
	.as_protect = ptrace_as_protect,
	.ctx_switch = ptrace_switch,
	.ctx_get_fpstate = ptrace_get_fpstate,
	.ctx_set_fpstate = ptrace_set_fpstate,
	.ctx_init_regs = ptrace_init_regs,
	.ctx_interrupt = ptrace_interrupt,
};
