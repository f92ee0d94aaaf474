/* The x86-64 signal frame as Linux's arch/x86 signal code lays it out:
 * the sentry builds it for the application's handlers (kernel/signal/
 * frame.c), and the systrap stub reads and rewrites the host's own frame
 * (platform/systrap/stub.c). Types only, so the stub's freestanding code
 * can include it. */
#ifndef AMBER_ARCH_X86_64_SIGFRAME_H
#define AMBER_ARCH_X86_64_SIGFRAME_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/abi/linux.h"

#define UC_FP_XSTATE		0x1
#define UC_SIGCONTEXT_SS	0x2
#define UC_STRICT_RESTORE_SS	0x4
#define FP_XSTATE_MAGIC1	0x46505853U
#define FP_XSTATE_MAGIC2	0x46505845U
/* Where struct fpx_sw_bytes sits in the legacy (FXSAVE) area. */
#define SW_BYTES_OFFSET		464

struct linux_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct linux_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct linux_stack uc_stack;
	struct linux_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct linux_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct { int32_t pid; uint32_t uid; } kill;
		struct { uint64_t addr; } fault;
		struct { uint64_t call_addr; int32_t nr; uint32_t arch; } sys;
		uint8_t raw[112];
	};
};

struct rt_sigframe {
	uint64_t pretcode;
	struct linux_ucontext uc;
	struct linux_siginfo info;
};

/* The software bytes of an XSAVE area in a frame. */
struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

_Static_assert(sizeof(struct linux_sigcontext) == 256, "sigcontext");
_Static_assert(sizeof(struct linux_siginfo) == 128, "siginfo");
_Static_assert(offsetof(struct rt_sigframe, info) == 8 + 304, "rt_sigframe");
_Static_assert(offsetof(struct fpx_sw_bytes, xstate_size) == 16, "fpx_sw_bytes");

#endif
