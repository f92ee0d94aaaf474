/* Entry points of the systrap stub that C cannot express: the jump onto
 * the stub's own stack, and the signal restorer. In the stub's section,
 * so that they are copied with it (see stub.c). */
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

	.section .note.GNU-stack,"",@progbits
