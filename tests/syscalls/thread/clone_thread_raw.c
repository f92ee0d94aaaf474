/* A thread made with the raw clone system call, no glibc: CLONE_THREAD with
 * the flags glibc passes (less CLONE_SETTLS), CLONE_PARENT_SETTID writing
 * the new tid where parent and child both see it, the child's getpid the
 * process's and its gettid its own, memory shared both ways, the thread not
 * a child (no wait4, no SIGCHLD), and CLONE_CHILD_CLEARTID clearing the
 * word at the thread's exit and waking a FUTEX_WAIT on it (what
 * pthread_join relies on). The invalid combinations: CLONE_THREAD without
 * CLONE_SIGHAND, CLONE_SIGHAND without CLONE_VM. (CLONE_VM without
 * CLONE_THREAD, a process in our memory, is process/clone_vm's.)
 *
 * x86-64 only. The child shares our thread pointer, so it makes raw system
 * calls only (no errno, no stdio), and never returns into libc: the helper
 * calls the function on the new stack, then makes SYS_exit itself. */
#include "threadtest.h"
#include "amber_cr.h"

#include <sched.h>
#include <sys/mman.h>

#define STACK (64 * 1024)

/* long clone_raw(flags, stack_top, ptid, ctid, fn, arg): the child pops fn
 * and arg from its new stack (16-byte aligned once both are off), calls
 * fn(arg) and exits with its result; the parent gets the tid or -errno. */
long clone_raw(unsigned long flags, void *stack, pid_t *ptid, pid_t *ctid, int (*fn)(void *), void *arg)
	__attribute__((visibility("hidden")));
__asm__(".text\n"
	".globl clone_raw\n"
	".hidden clone_raw\n"
	".type clone_raw, @function\n"
	"clone_raw:\n"
	"	sub $16, %rsi\n"
	"	mov %r8, 0(%rsi)\n"	/* fn */
	"	mov %r9, 8(%rsi)\n"	/* arg */
	"	mov %rcx, %r10\n"	/* ctid */
	"	xor %r8d, %r8d\n"	/* tls: unused */
	"	mov $56, %eax\n"	/* SYS_clone */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	pop %rax\n"
	"	pop %rdi\n"
	"	call *%rax\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"	/* SYS_exit */
	"	syscall\n"
	"	ud2\n"
	"1:	ret\n"
	".size clone_raw, .-clone_raw\n");

static inline long raw0(long nr)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"(nr) : "rcx", "r11", "memory");
	return r;
}

static inline long raw4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return r;
}

static pid_t ptid, ctid;
static int go, value, seen_value, child_tid, child_pid, seen_ptid;

static int thread_fn(void *arg)
{
	(void)arg;
	child_tid = raw0(SYS_gettid);
	child_pid = raw0(SYS_getpid);
	seen_ptid = __atomic_load_n(&ptid, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST))
		raw4(SYS_futex, (long)&go, FUTEX_WAIT, 0, 0);
	seen_value = value;	/* written by the parent after clone */
	return 0;
}

static int quit(void *arg)
{
	(void)arg;
	return 0;
}

int main(void)
{
	const long thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
				  CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	char *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sigset_t m, pend;
	int st;
	long tid, r;

	thr_start();
	sigemptyset(&m);
	sigaddset(&m, SIGCHLD);
	sigprocmask(SIG_BLOCK, &m, NULL);

	ctid = -1;
	tid = clone_raw(thread_flags, stack + STACK, &ptid, &ctid, thread_fn, NULL);
	if (tid < 0) {
		show("clone(CLONE_THREAD...)", tid);
		return 1;
	}
	printf("clone(CLONE_THREAD|...): returned a tid, PARENT_SETTID wrote it: %d\n", ptid == tid);
	show("  tgkill(pid, tid, 0) while it runs", sc(SYS_tgkill, getpid(), tid, 0));
	show("  wait4(tid, __WALL|WNOHANG): a thread is no child", sc(SYS_wait4, tid, &st, __WALL | WNOHANG, NULL));
	amber_cr_point();	/* the thread waits, its CLEARTID word set */
	value = 1234;
	post(&go, 1);
	/* CLEARTID: the word goes from the -1 we set to 0 at the exit, with a
	 * FUTEX_WAKE; no timeout, the alarm is the safety net. */
	while ((r = peek(&ctid)) != 0)
		futex(&ctid, FUTEX_WAIT, r, NULL);
	printf("  CHILD_CLEARTID: word cleared at the exit and FUTEX_WAIT on it returned\n");
	printf("  child: getpid is ours %d, gettid is the tid %d and not the pid %d, saw PARENT_SETTID's word %d\n",
	       child_pid == getpid(), child_tid == tid, child_tid != getpid(), seen_ptid == tid);
	printf("  child saw the parent's write after clone: %d\n", seen_value == 1234);
	show("  wait4(-1, __WALL|WNOHANG) after its exit", sc(SYS_wait4, -1, &st, __WALL | WNOHANG, NULL));
	sigpending(&pend);
	printf("  SIGCHLD pending: %d\n", sigismember(&pend, SIGCHLD));

	/* Refused before anything is created. */
	show("CLONE_THREAD without CLONE_SIGHAND",
	     clone_raw(CLONE_VM | CLONE_THREAD, stack + STACK, NULL, NULL, quit, NULL));
	show("CLONE_SIGHAND without CLONE_VM", clone_raw(CLONE_SIGHAND | SIGCHLD, stack + STACK, NULL, NULL, quit, NULL));
	show("CLONE_THREAD|CLONE_SIGHAND without CLONE_VM",
	     clone_raw(CLONE_THREAD | CLONE_SIGHAND, stack + STACK, NULL, NULL, quit, NULL));

	return 0;
}
