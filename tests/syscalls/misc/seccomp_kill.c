/* A seccomp filter's KILL_PROCESS: the call is not made and the process
 * dies as if by SIGSYS (exit status 159 from the harness); the calls the
 * filter allows before it run normally. */
#include "sctest.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

int main(void)
{
	static const char before[] = "getppid allowed\n";
	static const char after[] = "getpgrp returned: the filter did not kill\n";
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgrp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		printf("installing the filter: %s\n", strerrorname_np(errno));
		return 1;
	}
	if (syscall(SYS_getppid) >= 0)
		syscall(SYS_write, 1, before, sizeof(before) - 1);
	syscall(SYS_getpgrp);
	syscall(SYS_write, 1, after, sizeof(after) - 1);
	return 0;
}
