/* Signal delivery and sigreturn with the x86-64 rt_sigframe
 * (platform/arch/x86_64/sigframe.h), so unmodified handlers and glibc's
 * __restore_rt work. */
#include "kernel/signal/signal.h"
#include "kernel/lib/log.h"
#include "platform/arch/x86_64/sigframe.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define RED_ZONE		128
#define LINUX_SA_RESTORER	0x04000000
#define EFLAGS_TF		0x100
#define EFLAGS_DF		0x400
#define EFLAGS_RF		0x10000
/* Flags a handler may change through sigreturn (Linux's FIX_EFLAGS). */
#define EFLAGS_USER		0x40dd5
#define LINUX_SS_ONSTACK		1
#define LINUX_SS_DISABLE		2

static bool on_altstack(struct task *t, uint64_t sp)
{
	return t->altstack.ss_size && sp > t->altstack.ss_sp && sp <= t->altstack.ss_sp + t->altstack.ss_size;
}

void sig_fill_info(struct task *t, int sig, bool from_task, struct linux_siginfo *info)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	if (from_task && t->fault_info[sig - 1].code > 0) {
		info->si_code = t->fault_info[sig - 1].code;
		info->fault.addr = t->fault_info[sig - 1].addr;
		if (sig == SIGSYS) {
			info->sys.nr = t->fault_info[sig - 1].sys_nr;
			info->sys.arch = 0xc000003eU;	/* AUDIT_ARCH_X86_64 */
			info->si_errno = t->fault_info[sig - 1].sys_errno;
		}
		t->fault_info[sig - 1].code = 0;
	} else if (!from_task) {
		/* Taken from the group's queue by the dequeue, which copied
		 * the sender into t->deliver_src. */
		info->si_code = t->deliver_src.code;
		info->kill.pid = t->deliver_src.pid;
		info->kill.uid = t->deliver_src.uid;
		if (sig == SIGCHLD)
			memcpy(info->raw + 8, &t->deliver_src.status, sizeof(int));
	} else {
		info->si_code = 0;	/* SI_USER: sent from outside the sandbox */
	}
}

int sig_setup_frame(struct task *t, int sig, const struct linux_sigaction *act, bool from_task)
{
	uint32_t xsize = arch_xsave_size();
	struct rt_sigframe frame;
	struct fpx_sw_bytes *sw;
	uint64_t sp = t->regs.rsp, fp, fa;
	uint8_t *xbuf;
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	int n, err = -EFAULT;

	if (!(act->flags & LINUX_SA_RESTORER))
		return -EFAULT;	/* x86-64 has no kernel-provided trampoline */
	if ((act->flags & SA_ONSTACK) && t->altstack.ss_size && !(t->altstack.ss_flags & LINUX_SS_DISABLE) &&
	    !on_altstack(t, sp))
		sp = t->altstack.ss_sp + t->altstack.ss_size;
	else
		sp -= RED_ZONE;

	xbuf = calloc(1, xsize);
	if (!xbuf)
		return -ENOMEM;
	n = platform->ctx_get_fpstate(t->ctx, xbuf, xsize);
	if (n < 0)
		goto out;
	sw = (struct fpx_sw_bytes *)(xbuf + SW_BYTES_OFFSET);
	sw->magic1 = FP_XSTATE_MAGIC1;
	sw->extended_size = (uint32_t)n + sizeof(magic2);
	sw->xstate_size = (uint32_t)n;
	memcpy(&sw->xfeatures, xbuf + 512, sizeof(sw->xfeatures));	/* XSTATE_BV */
	sw->xfeatures |= 3;	/* x87 and SSE are always in the frame */

	fp = (sp - (uint64_t)n - sizeof(magic2)) & ~63ULL;
	fa = ((fp - sizeof(frame)) & ~15ULL) - 8;

	memset(&frame, 0, sizeof(frame));
	frame.pretcode = act->restorer;
	frame.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	frame.uc.uc_stack.ss_sp = t->altstack.ss_sp;
	frame.uc.uc_stack.ss_size = t->altstack.ss_size;
	frame.uc.uc_stack.ss_flags = t->altstack.ss_size ?
		(on_altstack(t, t->regs.rsp) ? LINUX_SS_ONSTACK : 0) : LINUX_SS_DISABLE;
	{
		struct linux_sigcontext *sc = &frame.uc.uc_mcontext;
		const struct arch_regs *r = &t->regs;
		sc->r8 = r->r8; sc->r9 = r->r9; sc->r10 = r->r10; sc->r11 = r->r11;
		sc->r12 = r->r12; sc->r13 = r->r13; sc->r14 = r->r14; sc->r15 = r->r15;
		sc->rdi = r->rdi; sc->rsi = r->rsi; sc->rbp = r->rbp; sc->rbx = r->rbx;
		sc->rdx = r->rdx; sc->rax = r->rax; sc->rcx = r->rcx; sc->rsp = r->rsp;
		sc->rip = r->rip; sc->eflags = r->eflags;
		sc->cs = (uint16_t)r->cs; sc->ss = (uint16_t)r->ss;
		sc->trapno = sig == SIGSEGV ? 14 : 0;
		sc->cr2 = t->fault_info[sig - 1].addr;
		sc->oldmask = t->has_saved_sigmask ? t->saved_sigmask : t->sigmask;
		sc->fpstate = fp;
	}
	frame.uc.uc_sigmask = t->has_saved_sigmask ? t->saved_sigmask : t->sigmask;
	t->has_saved_sigmask = false;
	sig_fill_info(t, sig, from_task, &frame.info);

	if (copy_out(t->mm, fp, xbuf, (size_t)n) < 0 ||
	    copy_out(t->mm, fp + (uint64_t)n, &magic2, sizeof(magic2)) < 0 ||
	    copy_out(t->mm, fa, &frame, sizeof(frame)) < 0)
		goto out;

	t->regs.rdi = (uint64_t)sig;
	t->regs.rsi = fa + offsetof(struct rt_sigframe, info);
	t->regs.rdx = fa + offsetof(struct rt_sigframe, uc);
	t->regs.rax = 0;
	t->regs.rip = act->handler;
	t->regs.rsp = fa;
	t->regs.eflags &= ~(uint64_t)(EFLAGS_TF | EFLAGS_DF | EFLAGS_RF);
	t->regs.orig_rax = (uint64_t)-1;
	t->sigmask |= act->mask;
	if (!(act->flags & SA_NODEFER))
		t->sigmask |= 1ULL << (sig - 1);
	t->sigmask &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	err = 0;
out:
	free(xbuf);
	return err;
}

long sig_return(struct task *t)
{
	uint64_t fa = t->regs.rsp - 8;
	struct rt_sigframe frame;
	const struct linux_sigcontext *sc = &frame.uc.uc_mcontext;
	struct arch_regs *r = &t->regs;
	uint32_t xsize = arch_xsave_size();
	uint8_t *xbuf;

	if (copy_in(t->mm, &frame, fa, sizeof(frame)) < 0)
		goto bad;
	r->r8 = sc->r8; r->r9 = sc->r9; r->r10 = sc->r10; r->r11 = sc->r11;
	r->r12 = sc->r12; r->r13 = sc->r13; r->r14 = sc->r14; r->r15 = sc->r15;
	r->rdi = sc->rdi; r->rsi = sc->rsi; r->rbp = sc->rbp; r->rbx = sc->rbx;
	r->rdx = sc->rdx; r->rax = sc->rax; r->rcx = sc->rcx; r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->eflags = (r->eflags & ~(uint64_t)EFLAGS_USER) | (sc->eflags & EFLAGS_USER);
	r->orig_rax = (uint64_t)-1;	/* no restart of the call the handler interrupted */
	t->sigmask = frame.uc.uc_sigmask & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	if (sc->fpstate) {
		const struct fpx_sw_bytes *sw;
		uint32_t n = 512;

		xbuf = calloc(1, xsize);
		if (!xbuf)
			goto bad;
		/* As Linux: the frame says how much XSAVE state it holds
		 * (the software bytes of its legacy area); without them it is
		 * a bare FXSAVE image. Reading more could run off the top of
		 * the stack, where a frame built by frame_setup may end. */
		if (copy_in(t->mm, xbuf, sc->fpstate, 512) < 0)
			goto bad_free;
		sw = (const struct fpx_sw_bytes *)(xbuf + SW_BYTES_OFFSET);
		if (sw->magic1 == FP_XSTATE_MAGIC1 && sw->xstate_size >= 512 + 64 && sw->xstate_size <= xsize &&
		    sw->extended_size >= sw->xstate_size + sizeof(uint32_t))
			n = sw->xstate_size;
		if ((n > 512 && copy_in(t->mm, xbuf + 512, sc->fpstate + 512, n - 512) < 0) ||
		    platform->ctx_set_fpstate(t->ctx, xbuf, xsize) < 0)
			goto bad_free;
		free(xbuf);
	}
	return (long)r->rax;
bad_free:
	free(xbuf);
bad:
	/* A corrupt frame: Linux kills the task with SIGSEGV. */
	sig_force(t, SIGSEGV, 0x80 /* SI_KERNEL */, 0);
	return (long)r->rax;
}
