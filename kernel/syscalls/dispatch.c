#include "kernel/syscalls/syscalls.h"
#include "kernel/time/timekeeper.h"
#include "kernel/lib/log.h"
#include "kernel/seccomp/seccomp.h"
#include "kernel/strace/strace.h"

#include <errno.h>
#include <sys/syscall.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t enosys_counts[SYSCALL_COUNT];

uint64_t syscall_enosys_count(long nr)
{
	return nr >= 0 && nr < SYSCALL_COUNT ? __atomic_load_n(&enosys_counts[nr], __ATOMIC_RELAXED) : 0;
}

static long enosys(long nr)
{
	uint64_t n = 1;

	if (nr >= 0 && nr < SYSCALL_COUNT)
		n = __atomic_add_fetch(&enosys_counts[nr], 1, __ATOMIC_RELAXED);
	if (n == 1) {
		const char *name = syscall_name(nr);
		if (name)
			log_warn("unsupported system call %s (%ld)", name, nr);
		else
			log_warn("unsupported system call %ld", nr);
	}
	return -ENOSYS;
}

static ssize_t strace_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return copy_in_partial(ctx, buf, addr, len);
}

static void strace_line(struct task *t, long nr, const uint64_t a[6], bool enter, long ret, int64_t ns)
{
	struct strace_mem mem = { strace_read, t->mm };
	char body[1024], line[1200];
	size_t n;
	int len;

	if (enter)
		n = strace_format_enter(body, sizeof(body), nr, a, &mem);
	else
		n = strace_format_exit(body, sizeof(body), nr, a, ret, &mem);
	(void)n;
	if (enter)
		len = snprintf(line, sizeof(line), "[%4d:%4d] %s E %s", t->tg->pid, t->tid, t->comm, body);
	else
		len = snprintf(line, sizeof(line), "[%4d:%4d] %s X %s (%.1fµs)", t->tg->pid, t->tid, t->comm, body,
			       (double)ns / 1000.0);
	if (len >= (int)sizeof(line))
		len = sizeof(line) - 1;
	log_msg(LOG_INFO, "%.*s", len, line);
}

void syscall_dispatch(struct task *t)
{
	long nr = (long)arch_syscall_nr(&t->regs), ret;
	uint64_t a[6];
	int64_t start = 0;

	arch_syscall_args(&t->regs, a);
	if (sandbox.strace) {
		strace_line(t, nr, a, true, 0, 0);
		start = host_mono_ns();
	}
	/* The application's own filters: a call they refuse is not made,
	 * and seccomp_check has set its outcome. */
	if (t->seccomp_mode && seccomp_check(t) != 0) {
		if (sandbox.strace && !t->tg->exiting)
			strace_line(t, nr, a, false, (long)t->regs.rax, host_mono_ns() - start);
		return;
	}
	if (nr >= 0 && nr < SYSCALL_COUNT && syscall_table[nr])
		ret = syscall_table[nr](t, a);
	else
		ret = enosys(nr);
	if (sandbox.strace && !t->tg->exiting)
		strace_line(t, nr, a, false, ret, host_mono_ns() - start);
	arch_set_return(&t->regs, ret);
	/* rt_sigreturn's "result" is the restored rax, never a restart code. */
	t->syscall_return = nr != SYS_rt_sigreturn;
}

int copy_path(struct task *t, uaddr_t addr, char *buf)
{
	ssize_t n = copy_in_string(t->mm, buf, addr, PATH_MAX);
	return n < 0 ? (int)n : 0;
}
