/* The platform: how the sentry runs application code and changes the
 * application's host address space. Implementations (ptrace, systrap) fill
 * in struct platform_ops; the kernel only calls the wrappers. */
#ifndef AMBER_PLATFORM_H
#define AMBER_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include "platform/arch/x86_64/regs.h"

enum platform_event {
	PLAT_EV_SYSCALL,	/* regs hold the call: orig_rax, args */
	PLAT_EV_FAULT,		/* page fault: fault->addr, fault->code (SEGV_MAPERR/ACCERR) */
	PLAT_EV_SIGNAL,		/* another synchronous host signal: fault->signo (SIGFPE, SIGILL, SIGTRAP, SIGBUS) */
	PLAT_EV_INTERRUPT,	/* platform_interrupt() kicked the context */
	PLAT_EV_DEAD,		/* the host process running the context vanished */
};

struct fault_info {
	int signo;
	int code;
	uint64_t addr;
	/* PLAT_EV_SYSCALL: the call came by a trap, from a site that may be
	 * worth patching, not through platform_ops.syscall_entry. */
	bool trapped;
	/* PLAT_EV_FAULT: the access was a write, as far as the platform can
	 * tell (the page fault's error code); false when it cannot. */
	bool write;
};

struct platform_as;	/* one application address space (a stub process) */
struct platform_ctx;	/* one application thread running in an address space */

struct platform_ops {
	const char *name;
	/* One-time set-up in the sentry, before any thread exists. */
	int (*init)(int memfile_fd);
	/* The highest address (exclusive) the application may use. */
	uint64_t (*app_top)(void);
	/* A new, empty address space with one context that runs in it; both
	 * owned by the caller. The calling host thread becomes the one that
	 * must run the context and change the address space. */
	int (*as_new)(struct platform_as **as, struct platform_ctx **ctx);
	void (*as_destroy)(struct platform_as *as);
	/* Ends a context on the host thread that runs it. A context made by
	 * ctx_clone ends its host thread in the stub; the first one of an
	 * address space stays until as_destroy, which must come from the
	 * host thread that made the address space: the stub is tied to it. */
	void (*ctx_destroy)(struct platform_ctx *ctx);
	/* A new context in parent's address space (a new application thread),
	 * made on parent's host thread while parent is stopped in the
	 * sentry; the host thread that will run it then adopts it. */
	int (*ctx_clone)(struct platform_ctx *parent, struct platform_ctx **ctx);
	int (*ctx_adopt)(struct platform_ctx *ctx);
	/* Address-space changes, made by the calling host thread's own
	 * context in as (it must run one there). */
	int (*as_map)(struct platform_as *as, uint64_t addr, uint64_t len, int prot, uint64_t memfile_off);
	int (*as_unmap)(struct platform_as *as, uint64_t addr, uint64_t len);
	int (*as_protect)(struct platform_as *as, uint64_t addr, uint64_t len, int prot);
	enum platform_event (*ctx_switch)(struct platform_ctx *ctx, struct arch_regs *regs, struct fault_info *fault);
	/* Reads/writes the context's XSAVE area (arch_xsave_size() bytes). */
	int (*ctx_get_fpstate)(struct platform_ctx *ctx, void *buf, size_t size);
	int (*ctx_set_fpstate)(struct platform_ctx *ctx, const void *buf, size_t size);
	/* Initial registers for a new program (segment selectors the host uses). */
	void (*ctx_init_regs)(struct platform_ctx *ctx, struct arch_regs *regs);
	/* May be called from any thread. */
	void (*ctx_interrupt)(struct platform_ctx *ctx);
	/* Where a patched system-call site may jump to make its call
	 * without a trap, entered with the call's number in rax and its
	 * return address in rcx (as the syscall instruction leaves them,
	 * and free to clobber r11 as it does); the same address in every
	 * address space of this sentry. 0 or NULL: no such way in. */
	uint64_t (*syscall_entry)(void);
};

extern const struct platform_ops *platform;
extern const struct platform_ops platform_ptrace;
extern const struct platform_ops platform_systrap;

/* Selects the platform by name. Returns 0 or -EINVAL. */
int platform_select(const char *name);

/* --systrap-disable-syscall-patching clears it (before any program runs). */
extern bool platform_syscall_patching;

/* For the implementations: the memory file's fd inside every stub. */
#define PLATFORM_STUB_MEMFD 3

/* For the implementations, in a stub just forked from a task thread
 * (async-signal-safe calls only): die with that thread, check it still
 * lives, leave the caller's session, keep only the memory file (at
 * PLATFORM_STUB_MEMFD) and extra_fd if not -1 (at PLATFORM_STUB_MEMFD + 1)
 * and drop glibc's inherited rseq registration. Returns 0, or -1 when
 * the stub must _exit. */
int platform_stub_child_setup(pid_t parent, int memfile_fd, int extra_fd);

static inline enum platform_event platform_switch(struct platform_ctx *ctx, struct arch_regs *regs,
						 struct fault_info *fault)
{
	return platform->ctx_switch(ctx, regs, fault);
}
static inline int platform_as_map(struct platform_as *as, uint64_t addr, uint64_t len, int prot,
				  uint64_t memfile_off)
{
	return platform->as_map(as, addr, len, prot, memfile_off);
}
static inline int platform_as_unmap(struct platform_as *as, uint64_t addr, uint64_t len)
{
	return platform->as_unmap(as, addr, len);
}
static inline void platform_interrupt(struct platform_ctx *ctx)
{
	platform->ctx_interrupt(ctx);
}
/* The platform's trap-free way into the sentry for patched call sites
 * (platform_ops.syscall_entry), or 0 when there is none or patching is
 * off. */
static inline uint64_t platform_syscall_entry(void)
{
	return platform_syscall_patching && platform->syscall_entry ? platform->syscall_entry() : 0;
}

#endif
