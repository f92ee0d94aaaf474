/* x86-64 register state as the host's ptrace(PTRACE_GETREGS) lays it out.
 * Defined here rather than taken from <sys/user.h> so that the layout the
 * platform and (later) the image format depend on is written down once. */
#ifndef AMBER_ARCH_X86_64_REGS_H
#define AMBER_ARCH_X86_64_REGS_H

#include <stdbool.h>
#include <stdint.h>

struct arch_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10;
	uint64_t r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax;
	uint64_t rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base, ds, es, fs, gs;
};

_Static_assert(sizeof(struct arch_regs) == 27 * 8, "arch_regs must match user_regs_struct");

/* System-call convention. */
static inline uint64_t arch_syscall_nr(const struct arch_regs *r) { return r->orig_rax; }
static inline void arch_syscall_args(const struct arch_regs *r, uint64_t a[6])
{
	a[0] = r->rdi; a[1] = r->rsi; a[2] = r->rdx;
	a[3] = r->r10; a[4] = r->r8; a[5] = r->r9;
}
static inline void arch_set_return(struct arch_regs *r, long v) { r->rax = (uint64_t)v; }

/* Length of the syscall instruction, rewound to restart a call. */
#define ARCH_SYSCALL_INSN_LEN 2

#define ARCH_EFLAGS_DEFAULT 0x202	/* IF set, reserved bit 1 */

/* The XSAVE area size this CPU uses with every feature the host enables
 * (CPUID 0xD, sub-leaf 0, EBX); AVX-512 makes it about 2.7 KiB. */
uint32_t arch_xsave_size(void);
/* The OS has enabled XSAVE (CPUID.1:ECX.OSXSAVE): user code may run
 * xgetbv, xsave and xrstor. */
bool arch_xsave_enabled(void);

#endif
