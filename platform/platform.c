#include "platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

const struct platform_ops *platform = &platform_ptrace;
bool platform_syscall_patching = true;

int platform_select(const char *name)
{
	if (strcmp(name, "ptrace") == 0) {
		platform = &platform_ptrace;
		return 0;
	}
	if (strcmp(name, "systrap") == 0) {
		platform = &platform_systrap;
		return 0;
	}
	return -EINVAL;
}

int platform_stub_child_setup(pid_t parent, int memfile_fd, int extra_fd)
{
	int m, e = -1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return -1;
	prctl(PR_SET_NAME, "runsc-stub");
	/* Out of the caller's session, so terminal signals reach only the
	 * sentry, which decides what the application sees. */
	setsid();
	/* Out of the way first: either may sit where the other goes. */
	m = fcntl(memfile_fd, F_DUPFD, 64);
	if (m < 0 || dup2(m, PLATFORM_STUB_MEMFD) < 0)
		return -1;
	if (extra_fd >= 0) {
		e = fcntl(extra_fd, F_DUPFD, 64);
		if (e < 0 || dup2(e, PLATFORM_STUB_MEMFD + 1) < 0)
			return -1;
	}
	syscall(SYS_close_range, 0, PLATFORM_STUB_MEMFD - 1, 0);
	syscall(SYS_close_range, PLATFORM_STUB_MEMFD + (extra_fd >= 0 ? 2 : 1), ~0U, 0);
	/* fork copied glibc's rseq registration of this thread; the kernel
	 * would write to that area (soon unmapped) on every return to user
	 * mode and kill the stub with SIGSEGV. */
	if (__rseq_size > 0) {
		void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
		if (syscall(SYS_rseq, area, __rseq_size, 1 /* RSEQ_FLAG_UNREGISTER */, RSEQ_SIG) < 0)
			syscall(SYS_rseq, area, 32, 1, RSEQ_SIG);
	}
	return 0;
}
