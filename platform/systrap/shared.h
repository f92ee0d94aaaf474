/* What the sentry and a systrap stub share: the layout of the stub's
 * region and of the context page through which they hand a thread back
 * and forth. Included by the sentry (systrap.c) and by the stub's own
 * freestanding code (stub.c), so it holds only types and constants.
 *
 * The context page is mapped writable in the stub, where the application
 * can write it too: the sentry treats everything it reads from it as
 * untrusted input about that one task, never as a pointer or a size it
 * acts on unchecked. */
#ifndef AMBER_PLATFORM_SYSTRAP_SHARED_H
#define AMBER_PLATFORM_SYSTRAP_SHARED_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#include "platform/arch/x86_64/regs.h"
#define SYSTRAP_UL(x)	x##UL
#else
#define SYSTRAP_UL(x)	x	/* the trampoline's assembly includes the layout too */
#endif

/* The stub region, at the same address in every stub and reserved in the
 * sentry: code (read/execute, the seccomp filter's "stub" range), then
 * one area per stub thread (one per application thread of the address
 * space): a read-only page that says where the thread's things are, its
 * shared context and its own stack (start-up code and the trampoline
 * below, signal stack above). An area is one slot of the sentry's context
 * file, mapped shared; an area stays with its stub once mapped (a later
 * thread of the same address space reuses it), so a slot is never seen by
 * two stubs. A thread's %gs base is its area: the trampoline reads its
 * context's address there, from the page the application cannot write
 * (a host without FSGSBASE has no rdgsbase). */
#define SYSTRAP_CODE_SIZE	(4 * SYSTRAP_UL(4096))
#define SYSTRAP_ID_SIZE		SYSTRAP_UL(4096)
#define SYSTRAP_CTX_SIZE	(16 * SYSTRAP_UL(4096))
#define SYSTRAP_STACK_SIZE	(32 * SYSTRAP_UL(4096))
#define SYSTRAP_AREA_SIZE	(SYSTRAP_ID_SIZE + SYSTRAP_CTX_SIZE + SYSTRAP_STACK_SIZE)
/* The read-only page (struct systrap_id): stub addresses. */
#define SYSTRAP_ID_REGS_TOP	0	/* the context's regs end: the trampoline's first stack */
#define SYSTRAP_ID_CTX		8	/* the context */
#define SYSTRAP_ID_FAST_TOP	16	/* the trampoline's own stack top */
#define SYSTRAP_AREA_MAX	1024	/* threads per address space */
#define SYSTRAP_AREA_OFF	SYSTRAP_CODE_SIZE
#define SYSTRAP_REGION_SIZE	(SYSTRAP_CODE_SIZE + SYSTRAP_AREA_MAX * SYSTRAP_AREA_SIZE)
/* From the context (which starts SYSTRAP_ID_SIZE into its area). */
#define SYSTRAP_STACK_OFF	SYSTRAP_CTX_SIZE
/* The XSAVE area inside the context; AMX-sized states (11 KiB) fit. */
#define SYSTRAP_FP_OFF		SYSTRAP_UL(4096)
#define SYSTRAP_FP_MAX		(SYSTRAP_CTX_SIZE - SYSTRAP_FP_OFF)

/* The stub's stack: its lower half is the stack of the start-up code and,
 * once the stub runs, of the syscall trampoline; the upper half is the
 * signal stack. Offsets from the context. */
#define SYSTRAP_FAST_STACK_TOP	(SYSTRAP_STACK_OFF + SYSTRAP_STACK_SIZE / 2)
/* Where the registers sit in the context (struct systrap_shared.regs),
 * for the trampoline's assembly, which pushes them there in the order of
 * struct arch_regs (ptrace's layout, which is also the order of pops and
 * of an iretq frame). */
#define SYSTRAP_REGS_OFF	256
#define SYSTRAP_REGS_END	(SYSTRAP_REGS_OFF + 21 * 8)	/* past ss */

/* clone flags of a stub thread: a thread of the stub process whose exit
 * clears its context's tid word (and wakes the sentry's futex on it). */
#define SYSTRAP_CLONE_FLAGS	SYSTRAP_UL(0x250f00)	/* VM FS FILES SIGHAND THREAD SYSVSEM CHILD_CLEARTID */

/* The signal that kicks a stub out of application code. */
#define SYSTRAP_SIGKICK		23	/* SIGURG: ignored by default, never sent by the host to a stub */

/* Who holds the context: the futex word. */
#define SYSTRAP_ST_APP_ASM	0
#ifndef __ASSEMBLER__
enum {
	SYSTRAP_ST_APP = SYSTRAP_ST_APP_ASM,	/* the stub runs application code, or entered the trampoline */
	SYSTRAP_ST_EVENT = 1,	/* the stub posted an event or a command's result: the sentry's turn */
	SYSTRAP_ST_CMD = 2,	/* the sentry posted a command: the stub's turn */
};

/* The guard (systrap.c, guard_install): a seccomp filter that turns the
 * stub's keyed calls into user notifications the sentry approves, once a
 * process has a second thread, whose application code could read the key
 * from a sibling's context. Its program and sock_fprog are on the
 * read-only page, where no thread can change them under the kernel. */
#define SYSTRAP_GUARD_MAX	8
struct systrap_bpf {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

struct systrap_id {
	uint64_t regs_top, ctx, fast_top;
	uint16_t guard_len;			/* struct sock_fprog: len, then the pointer */
	uint16_t pad[3];
	uint64_t guard_prog;			/* &guard[0], a stub address */
	struct systrap_bpf guard[SYSTRAP_GUARD_MAX];
};

enum systrap_event {
	SYSTRAP_EV_HELLO = 1,	/* a new stub is ready (or the application jumped into its start-up code) */
	SYSTRAP_EV_SYSCALL,	/* regs.orig_rax holds the call */
	SYSTRAP_EV_FAULT,	/* SIGSEGV: signo, code, addr */
	SYSTRAP_EV_SIGNAL,	/* SIGBUS, SIGFPE, SIGILL, SIGTRAP: signo, code, addr */
	SYSTRAP_EV_INTERRUPT,	/* the sentry's kick arrived */
	SYSTRAP_EV_DONE,	/* a command finished: ret */
};

enum systrap_cmd {
	SYSTRAP_CMD_RUN = 1,	/* load regs into the thread and return to application code */
	SYSTRAP_CMD_MMAP,	/* arg: addr, len, prot, offset in the memory file */
	SYSTRAP_CMD_MUNMAP,	/* arg: addr, len */
	SYSTRAP_CMD_MPROTECT,	/* arg: addr, len, prot */
	SYSTRAP_CMD_GET_FP,	/* copy the thread's XSAVE area into fp; ret = its size */
	SYSTRAP_CMD_SET_FP,	/* load fp (arg[0] bytes) into the thread's XSAVE area */
	SYSTRAP_CMD_INIT_FP,	/* reset the thread's FPU/vector state, as exec does */
	SYSTRAP_CMD_CLONE,	/* arg: the new thread's area; ret = its host tid */
	SYSTRAP_CMD_EXIT,	/* the thread ends (its context's tid word goes to 0) */
	SYSTRAP_CMD_GUARD,	/* arg 0: area 0's guard_len; install the guard; ret = its listener fd */
};

struct systrap_shared {
	uint32_t state;			/* SYSTRAP_ST_*: the futex word */
	uint32_t tid_word;		/* non-zero until the stub thread exits (CLONE_CHILD_CLEARTID) */
	uint32_t stub_sleeping;		/* the stub waits in FUTEX_WAIT: wake it */
	uint32_t sentry_sleeping;	/* the sentry waits in FUTEX_WAIT: wake it */
	uint32_t event;			/* enum systrap_event */
	int32_t signo, code;
	uint64_t addr;
	uint32_t cmd;			/* enum systrap_cmd */
	uint32_t stub_spin_max;		/* the sentry's cap on the stub's spin (pause loops) */
	uint64_t arg[6];
	int64_t ret;
	uint32_t stub_spin;		/* the stub's adaptive spin budget (its own state) */
	uint32_t stub_probe;
	uint64_t fs_base;		/* the value the stub last loaded (no FSGSBASE); %gs is the stub's,
					 * the application's gs base is regs.gs_base, never loaded */
	uint32_t fsgsbase;		/* rd/wrfsbase usable: read the live values */
	uint32_t started;		/* the stub has said hello */
	/* Where each side last ran: spinning for a peer on one's own CPU
	 * only delays it, so either side sleeps at once then. */
	uint32_t stub_cpu, sentry_cpu;
	/* Set by the sentry when spinning keeps failing (more runnable
	 * threads than cores): the stub and its sentry thread then share one
	 * CPU, where a futex wake-up lets the woken side run at once. */
	uint32_t colocated;
	/* The frame's XSAVE layout as the host's first SIGSYS showed it:
	 * the trampoline saves and loads the vector state itself, with the
	 * same features and size the kernel uses in signal frames. */
	uint64_t xsave_mask;
	uint32_t xsave_size;
	uint32_t mxcsr_mask;
	uint64_t fast_calls;		/* system calls that came through the trampoline */
	uint32_t tf_rearm;		/* the trampoline dropped the application's trap flag */
	uint32_t kick_seen;		/* the trampoline dropped a kick: report an interrupt before leaving */
	/* The stub's key (systrap.c, build_filter), present only while an
	 * mmap or mprotect command runs, when the application cannot. */
	uint64_t key;
	uint64_t fault_err;		/* SIGSEGV: the page fault's error code (bit 1: a write) */
	struct arch_regs regs __attribute__((aligned(SYSTRAP_REGS_OFF)));
};

_Static_assert(__builtin_offsetof(struct systrap_shared, regs) == SYSTRAP_REGS_OFF, "systrap_shared: regs");
_Static_assert(__builtin_offsetof(struct systrap_shared, state) == 0, "systrap_shared: state first");
_Static_assert(__builtin_offsetof(struct arch_regs, ss) + 8 == SYSTRAP_REGS_END - SYSTRAP_REGS_OFF,
	       "arch_regs ends with the iretq frame");
_Static_assert(sizeof(struct systrap_shared) <= SYSTRAP_FP_OFF, "shared header fits before the XSAVE area");
_Static_assert(__builtin_offsetof(struct systrap_id, regs_top) == SYSTRAP_ID_REGS_TOP &&
		       __builtin_offsetof(struct systrap_id, ctx) == SYSTRAP_ID_CTX &&
		       __builtin_offsetof(struct systrap_id, fast_top) == SYSTRAP_ID_FAST_TOP,
	       "systrap_id: the trampoline's offsets");
_Static_assert(__builtin_offsetof(struct systrap_id, guard_prog) - __builtin_offsetof(struct systrap_id, guard_len) == 8,
	       "systrap_id: a struct sock_fprog at guard_len");

#endif /* !__ASSEMBLER__ */

/* The most the stub spins, whatever the context says: the application
 * can write the sentry's cap too. */
#define SYSTRAP_SPIN_CEIL	(1U << 18)

/* The memory file's fd inside a stub (PLATFORM_STUB_MEMFD), and the
 * context file's, from which new threads' areas are mapped. */
#define SYSTRAP_MEMFD		3
#define SYSTRAP_CTXFD		4

#endif
