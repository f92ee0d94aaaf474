/* seccomp strict mode (through prctl, as the oldest programs enter it):
 * read, write, _exit and rt_sigreturn still work; the first other call
 * kills the process with SIGKILL (exit status 137 from the harness). */
#include "sctest.h"
#include <linux/seccomp.h>
#include <sys/prctl.h>

int main(void)
{
	static const char in_strict[] = "in strict mode: write works\n";
	static const char after[] = "getppid returned: strict mode did not kill\n";

	printf("PR_GET_SECCOMP before: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	fflush(stdout);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0) {
		printf("PR_SET_SECCOMP: %s\n", strerrorname_np(errno));
		return 1;
	}
	if (syscall(SYS_write, 1, in_strict, sizeof(in_strict) - 1) < 0)
		return 2;
	syscall(SYS_getppid);
	syscall(SYS_write, 1, after, sizeof(after) - 1);
	return 0;
}
