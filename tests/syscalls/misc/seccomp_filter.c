/* seccomp(2) and prctl's seccomp operations, as the application sees them:
 * programs refused (EINVAL, EFAULT), actions offered, and two attached
 * filters deciding calls by number, architecture and argument -- ERRNO
 * (the newest filter wins a tie), TRAP (SIGSYS with SYS_SECCOMP, the call,
 * the architecture, the filter's data in si_errno, rax rolled back to the
 * call), TRACE without a tracer (ENOSYS), LOG and ALLOW -- checked again
 * after a checkpoint (amber_cr_point). Strict mode cannot follow filters
 * (EINVAL); seccomp_strict and seccomp_kill end a process each. */
#include "sctest.h"
#include "amber_cr.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <ucontext.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
#define ARG0_OFF offsetof(struct seccomp_data, args[0])

static long set_filter(unsigned int flags, const struct sock_filter *f, size_t n)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = (struct sock_filter *)f };

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) == 0 ? 0 : -errno;
}

static void refused(const char *what, const struct sock_filter *f, size_t n)
{
	long r = set_filter(0, f, n);

	printf("%-32s %s\n", what, r == 0 ? "attached" : strerrorname_np((int)-r));
}

static void check_refusals(void)
{
	static struct sock_filter big[BPF_MAXINSNS + 1];
	const struct sock_filter ok[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter byte_load[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
						 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter past_data[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
						 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter misaligned[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
						  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter jump_out[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
						BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter ja_out[] = { BPF_STMT(BPF_JMP | BPF_JA, 1),
					      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter no_ret[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0) };
	const struct sock_filter div_zero[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
						BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter mod[] = { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3),
					   BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter shift[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32),
					     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter unwritten[] = { BPF_STMT(BPF_LD | BPF_MEM, 3),
						 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter half_written[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
						    BPF_STMT(BPF_ST, 3),
						    BPF_STMT(BPF_LD | BPF_MEM, 3),
						    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_filter mem_range[] = { BPF_STMT(BPF_ST, 16),
						 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog bad_ptr = { .len = 1, .filter = KERNEL_PTR };
	long r;

	for (size_t i = 0; i < LEN(big); i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	refused("empty program", ok, 0);
	refused("4097 instructions", big, LEN(big));
	refused("byte load", byte_load, LEN(byte_load));
	refused("load past seccomp_data", past_data, LEN(past_data));
	refused("misaligned load", misaligned, LEN(misaligned));
	refused("jump past the end", jump_out, LEN(jump_out));
	refused("ja past the end", ja_out, LEN(ja_out));
	refused("no return at the end", no_ret, LEN(no_ret));
	refused("division by constant 0", div_zero, LEN(div_zero));
	refused("modulo", mod, LEN(mod));
	refused("shift by 32", shift, LEN(shift));
	refused("memory read unwritten", unwritten, LEN(unwritten));
	refused("memory written on one path", half_written, LEN(half_written));
	refused("memory cell 16", mem_range, LEN(mem_range));
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &bad_ptr);
	printf("%-32s %s\n", "program at a bad address", r == 0 ? "attached" : strerrorname_np(errno));
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, KERNEL_PTR);
	printf("%-32s %s\n", "fprog at a bad address", r == 0 ? "attached" : strerrorname_np(errno));
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 1U << 20, NULL);
	printf("%-32s %s\n", "unknown flag", r == 0 ? "attached" : strerrorname_np(errno));
	r = syscall(SYS_seccomp, 77, 0, NULL);
	printf("%-32s %s\n", "unknown operation", r == 0 ? "done" : strerrorname_np(errno));
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL);
	printf("%-32s %s\n", "strict mode with flags", r == 0 ? "done" : strerrorname_np(errno));
}

static void check_actions(void)
{
	static const struct {
		const char *name;
		uint32_t action;
	} actions[] = {
		{ "KILL_PROCESS", SECCOMP_RET_KILL_PROCESS }, { "KILL_THREAD", SECCOMP_RET_KILL_THREAD },
		{ "TRAP", SECCOMP_RET_TRAP }, { "ERRNO", SECCOMP_RET_ERRNO }, { "TRACE", SECCOMP_RET_TRACE },
		{ "LOG", SECCOMP_RET_LOG }, { "ALLOW", SECCOMP_RET_ALLOW }, { "0x12340000", 0x12340000 },
	};

	for (size_t i = 0; i < LEN(actions); i++) {
		long r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &actions[i].action);
		printf("action %-14s %s\n", actions[i].name, r == 0 ? "available" : strerrorname_np(errno));
	}
}

static volatile int trapped;
static volatile int trap_ok;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	trapped++;
	trap_ok = sig == SIGSYS && si->si_code == 1 /* SYS_SECCOMP */ && si->si_errno == 42 &&
		  si->si_syscall == SYS_getpgrp && si->si_arch == AUDIT_ARCH_X86_64 &&
		  (uint64_t)si->si_call_addr == (uint64_t)uc->uc_mcontext.gregs[REG_RIP] &&
		  uc->uc_mcontext.gregs[REG_RAX] == SYS_getpgrp;
	uc->uc_mcontext.gregs[REG_RAX] = 777;	/* what the trapped call "returns" */
}

static void show_status(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f) {
		printf("/proc/self/status: %s\n", strerrorname_np(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "NoNewPrivs:", 11) || !strncmp(line, "Seccomp:", 8) ||
		    !strncmp(line, "Seccomp_filters:", 16))
			printf("status %s", line);
	fclose(f);
}

static void print_result(const char *what, long r)
{
	const char *name = r < 0 ? strerrorname_np(errno) : "";

	if (name)
		printf("%-28s %ld %s\n", what, r < 0 ? -1L : r, name);
	else
		printf("%-28s -1 errno %d\n", what, errno);
}

static void check_filters(void)
{
	/* The older filter: any other architecture is killed; getppid fails
	 * with EPERM, getpgrp traps with data 42, getsid with a non-zero
	 * argument fails with EBADFD, geteuid goes to a tracer there is not,
	 * uname is logged. */
	const struct sock_filter older[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgrp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 42),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_geteuid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getsid, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_OFF),
		BPF_STMT(BPF_ST, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EBADFD),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	/* The newer: getppid fails with EACCES (a tie with the older's
	 * ERRNO goes to the newer), getuid with 5000, which is cut to 4095. */
	const struct sock_filter newer[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 5000),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sigaction sa;
	struct utsname { char f[6][65]; } u;
	long r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	print_result("PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	print_result("PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
	print_result("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	print_result("attach older", set_filter(0, older, LEN(older)) == 0 ? 0 : -1);
	print_result("attach newer", set_filter(SECCOMP_FILTER_FLAG_LOG, newer, LEN(newer)) == 0 ? 0 : -1);
	print_result("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	print_result("strict after filters", syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL));
	show_status();
	amber_cr_point();
	for (int round = 0; round < 2; round++) {
		print_result("getppid", syscall(SYS_getppid));
		print_result("getuid", syscall(SYS_getuid));
		print_result("geteuid", syscall(SYS_geteuid));
		r = syscall(SYS_getpgrp);
		printf("getpgrp: returned %ld, %d traps, siginfo and registers %s\n", r, trapped,
		       trap_ok ? "right" : "wrong");
		r = syscall(SYS_getsid, 0);
		printf("getsid(0): %s\n", r > 0 ? "a session" : strerrorname_np(errno));
		print_result("getsid(1234567)", syscall(SYS_getsid, 1234567));
		print_result("uname", syscall(SYS_uname, &u));
		print_result("getpid", syscall(SYS_getpid) > 0 ? 1 : -1);
	}
}

int main(void)
{
	printf("PR_GET_SECCOMP %ld, PR_GET_NO_NEW_PRIVS %ld\n", (long)prctl(PR_GET_SECCOMP, 0, 0, 0, 0),
	       (long)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	check_refusals();
	check_actions();
	check_filters();
	print_result("strict mode at the end", syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL));
	return 0;
}
