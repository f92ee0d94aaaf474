/* seccomp(2), and the prctl operations that set the same state
 * (PR_SET/GET_SECCOMP, PR_SET/GET_NO_NEW_PRIVS). The filters themselves
 * are kernel/seccomp's. Not supported: user notification (a listener fd),
 * which fails as unsupported. */
#include "kernel/syscalls/syscalls.h"
#include "kernel/seccomp/seccomp.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <linux/seccomp.h>

#define FLAG_WAIT_KILLABLE_RECV	(1U << 5)	/* newer than these headers */
#define FILTER_FLAGS_KNOWN	(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | \
				 SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER | \
				 SECCOMP_FILTER_FLAG_TSYNC_ESRCH | FLAG_WAIT_KILLABLE_RECV)

/* struct sock_fprog as the application lays it out. */
struct user_fprog {
	uint16_t len;
	uint8_t pad[6];
	uint64_t filter;
};

static long set_strict(struct task *t, uint32_t flags, uaddr_t args)
{
	if (flags || args)
		return -EINVAL;
	if (t->seccomp_mode && t->seccomp_mode != SECCOMP_MODE_STRICT)
		return -EINVAL;
	t->seccomp_mode = SECCOMP_MODE_STRICT;
	return 0;
}

/* In Linux's order of checks, so that a call with several faults fails
 * with the same error. */
static long set_filter(struct task *t, uint32_t flags, uaddr_t uprog)
{
	struct user_fprog prog;
	struct seccomp_filter *f;
	long err;

	if (flags & ~FILTER_FLAGS_KNOWN)
		return -EINVAL;
	if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) &&
	    !(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
		return -EINVAL;
	if ((flags & FLAG_WAIT_KILLABLE_RECV) && !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return -EINVAL;
	if (copy_in(t->mm, &prog, uprog, sizeof(prog)) < 0)
		return -EFAULT;
	if (prog.len == 0 || prog.len > SECCOMP_MAX_INSNS)
		return -EINVAL;
	/* Linux: without no_new_privs only CAP_SYS_ADMIN may; the sandbox's
	 * root stands for a holder of every capability. */
	if (!t->no_new_privs && t->creds.euid != 0)
		return -EACCES;
	err = seccomp_filter_alloc(prog.len, (flags & SECCOMP_FILTER_FLAG_LOG) != 0, &f);
	if (err < 0)
		return err;
	if (copy_in(t->mm, f->insns, prog.filter, prog.len * sizeof(f->insns[0])) < 0)
		err = -EFAULT;
	else
		err = seccomp_filter_check(f);
	if (err == 0 && (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) {
		log_warn_once("seccomp: user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER) is not supported");
		err = -EINVAL;
	}
	if (err == 0 && t->seccomp_mode && t->seccomp_mode != SECCOMP_MODE_FILTER)
		err = -EINVAL;
	if (err == 0)
		err = seccomp_attach(t, f);
	if (err < 0)
		seccomp_filter_put(f);
	/* TSYNC succeeds trivially: the task is its process's only thread
	 * (with the flag, Linux returns 0 or the id of a thread it could
	 * not synchronise). */
	return err;
}

static long action_avail(struct task *t, uint32_t flags, uaddr_t uaction)
{
	uint32_t action;

	if (flags)
		return -EINVAL;
	if (copy_in(t->mm, &action, uaction, sizeof(action)) < 0)
		return -EFAULT;
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS:
	case SECCOMP_RET_KILL_THREAD:
	case SECCOMP_RET_TRAP:
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_LOG:
	case SECCOMP_RET_ALLOW:
		return 0;
	default:
		/* SECCOMP_RET_USER_NOTIF among them: no listener can be made
		 * here (Linux says it is available). */
		return -EOPNOTSUPP;
	}
}

long seccomp_set_mode(struct task *t, unsigned int op, uint32_t flags, uaddr_t arg)
{
	switch (op) {
	case SECCOMP_SET_MODE_STRICT:
		return set_strict(t, flags, arg);
	case SECCOMP_SET_MODE_FILTER:
		return set_filter(t, flags, arg);
	case SECCOMP_GET_ACTION_AVAIL:
		return action_avail(t, flags, arg);
	case SECCOMP_GET_NOTIF_SIZES:
		log_warn_once("seccomp: SECCOMP_GET_NOTIF_SIZES: user notification is not supported");
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

SYSCALL(seccomp)
{
	/* op and flags are unsigned int in Linux: the upper halves are not
	 * looked at. */
	return seccomp_set_mode(t, (unsigned int)a[0], (uint32_t)a[1], a[2]);
}
