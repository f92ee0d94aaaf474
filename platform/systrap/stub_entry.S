/* Entry points of the systrap stub that C cannot express: the jump onto
 * the stub's own stack, the signal restorer and the trampoline of
 * patched system calls. In the stub's section, so that they are copied
 * with it (see stub.c). */
#include "platform/systrap/shared.h"

	.hidden	__start_amber_systrap_text
	.section amber_systrap_text,"ax",@progbits

	/* amber_systrap_entry(stack top, top of user space) */
	.globl	amber_systrap_entry
	.hidden	amber_systrap_entry
amber_systrap_entry:
	mov	%rdi, %rsp
	mov	%rsi, %rdi
	call	amber_systrap_main
1:	ud2
	jmp	1b

	/* sa_restorer of every stub handler: rt_sigreturn */
	.globl	amber_systrap_restorer
	.hidden	amber_systrap_restorer
amber_systrap_restorer:
	mov	$15, %eax
	syscall
	ud2

	/* A patched call site jumps here (kernel/mm/syscall_patch.c) with
	 * the call's number in rax and its return address in rcx, as the
	 * syscall instruction would leave them; rcx and r11 are the
	 * application's to lose, nothing else is. The registers are pushed
	 * straight into the context (struct arch_regs is laid out in push
	 * order), the C half hands over and returns the registers to load,
	 * which are popped from the context and left by iretq: rip, cs,
	 * rflags, rsp and ss, at the end of arch_regs, are its frame. iretq
	 * also serializes, so a site the sentry just patched is fetched
	 * anew. The first instruction marks the entry (see kick_in_stub):
	 * a kick that lands on it finds the application's registers intact
	 * in the signal frame. */
	.globl	amber_systrap_fastcall
	.hidden	amber_systrap_fastcall
	.type	amber_systrap_fastcall, @function
amber_systrap_fastcall:
	movl	$SYSTRAP_ST_APP_ASM, %gs:SYSTRAP_ID_SIZE	/* the context's state word */
	mov	%rsp, %r11
	mov	%gs:SYSTRAP_ID_REGS_TOP, %rsp
	pushq	$0		/* ss */
	push	%r11		/* rsp */
	pushfq			/* eflags */
	pushq	$0		/* cs */
	push	%rcx		/* rip */
	push	%rax		/* orig_rax */
	push	%rdi
	push	%rsi
	push	%rdx
	push	%rcx
	push	%rax
	push	%r8
	push	%r9
	push	%r10
	push	%r11		/* r11: the C half makes it the flags */
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%gs:SYSTRAP_ID_FAST_TOP, %rsp
	pushq	$2
	popfq			/* DF, AC and TF clear for C */
	call	amber_systrap_fast
	mov	%rax, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rax
	pop	%rcx
	pop	%rdx
	pop	%rsi
	pop	%rdi
	lea	8(%rsp), %rsp	/* orig_rax */
	iretq
	.size	amber_systrap_fastcall, . - amber_systrap_fastcall

	/* long amber_systrap_clone(area, stack top, ctid, const uint64_t *key):
	 * clone(SYSTRAP_CLONE_FLAGS, stack top, NULL, ctid, key) -- the key
	 * in the tls argument, which the kernel ignores without CLONE_SETTLS
	 * and the filter checks. The key is cleared from the context and from
	 * both threads' registers once the call is made. The new thread calls
	 * amber_systrap_thread(area) on its stack and never comes back. */
	.globl	amber_systrap_clone
	.hidden	amber_systrap_clone
	.type	amber_systrap_clone, @function
amber_systrap_clone:
	mov	%rdi, %r9		/* area: kept by the kernel for both threads */
	mov	%rdx, %r10		/* ctid */
	mov	(%rcx), %r8		/* the key */
	movq	$0, (%rcx)
	mov	$SYSTRAP_CLONE_FLAGS, %edi
	xor	%edx, %edx		/* no parent tid */
	mov	$56, %eax		/* clone */
	syscall
	xor	%r8d, %r8d
	test	%rax, %rax
	jz	1f
	ret
1:	mov	%r9, %rdi
	call	amber_systrap_thread
2:	ud2
	jmp	2b
	.size	amber_systrap_clone, . - amber_systrap_clone

	.section .note.GNU-stack,"",@progbits
