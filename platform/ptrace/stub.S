/* The stub's code, copied into one page at the same address in every stub
 * process. It must be position independent and use no stack: stub_entry
 * unmaps everything the stub inherited from the sentry by fork, its own
 * stack included, then stops itself for the tracer. stub_syscall is where
 * the tracer points the stub to run one injected system call. */
	.text
	.globl amber_stub_begin, amber_stub_end, amber_stub_syscall, amber_stub_clone
	.p2align 12
amber_stub_begin:
	/* rdi = stub page, rsi = end of the stub region, rdx = top of user space */
	mov	%rdi, %r12
	mov	%rsi, %r13
	mov	%rdx, %r14
	/* munmap(0, stub page) */
	mov	$11, %eax
	xor	%edi, %edi
	mov	%r12, %rsi
	syscall
	/* munmap(end of stub region, top - end) */
	mov	$11, %eax
	mov	%r13, %rdi
	mov	%r14, %rsi
	sub	%r13, %rsi
	syscall
	/* kill(getpid(), SIGSTOP): the tracer takes over from here */
	mov	$39, %eax
	syscall
	mov	%eax, %edi
	mov	$19, %esi
	mov	$62, %eax
	syscall
1:	ud2
	jmp	1b
amber_stub_syscall:
	syscall
	int3
	ud2
	/* An injected clone of a new stub thread: the creator stops at the
	 * int3 as after any injected call; the new thread (rax 0) spins,
	 * touching no memory, until its own tracer attaches and moves it. */
amber_stub_clone:
	syscall
	test	%rax, %rax
	jz	2f
	int3
	ud2
2:	pause
	jmp	2b
amber_stub_end:
	.section .note.GNU-stack,"",@progbits
