/* rt_sigaction, rt_sigprocmask, sigaltstack, rt_sigreturn, rt_sigpending,
 * kill, tkill, tgkill. Only this sandbox's one process can be signalled. */
#include "kernel/syscalls/syscalls.h"
#include "kernel/signal/signal.h"

#include <errno.h>
#include <signal.h>

#define BIT(sig) (1ULL << ((sig) - 1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))
#define SS_ONSTACK_FLAG 1
#define SS_DISABLE_FLAG 2
#define SS_AUTODISARM_FLAG (1U << 31)
#define LINUX_MINSIGSTKSZ 2048

SYSCALL(rt_sigaction)
{
	int sig = (int)a[0];
	struct linux_sigaction act, old;

	if (a[3] != 8 || sig < 1 || sig > LINUX_NSIG)
		return -EINVAL;
	if (a[1] && copy_in(t->mm, &act, a[1], sizeof(act)) < 0)
		return -EFAULT;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	pthread_mutex_lock(&t->tg->lock);
	old = t->tg->actions[sig - 1];
	if (a[1]) {
		act.mask &= ~UNBLOCKABLE;
		t->tg->actions[sig - 1] = act;
		if (act.handler == (uint64_t)SIG_IGN) {
			/* Setting SIG_IGN discards what is pending (POSIX). */
			t->tg->shared_pending &= ~BIT(sig);
			t->pending &= ~BIT(sig);
		}
	}
	pthread_mutex_unlock(&t->tg->lock);
	if (a[2] && copy_out(t->mm, a[2], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL(rt_sigprocmask)
{
	int how = (int)a[0];
	uint64_t set, old = t->sigmask;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (copy_in(t->mm, &set, a[1], sizeof(set)) < 0)
			return -EFAULT;
		set &= ~UNBLOCKABLE;
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
	}
	if (a[2] && copy_out(t->mm, a[2], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL(rt_sigpending)
{
	uint64_t p;

	if (a[1] > 8)
		return -EINVAL;
	pthread_mutex_lock(&t->tg->lock);
	p = (t->pending | t->tg->shared_pending) & t->sigmask;
	pthread_mutex_unlock(&t->tg->lock);
	return copy_out(t->mm, a[0], &p, a[1]);
}

SYSCALL(sigaltstack)
{
	struct linux_stack ss, old = t->altstack;
	bool on = t->altstack.ss_size && t->regs.rsp > t->altstack.ss_sp &&
		  t->regs.rsp <= t->altstack.ss_sp + t->altstack.ss_size;

	old.ss_flags = !t->altstack.ss_size ? SS_DISABLE_FLAG : on ? SS_ONSTACK_FLAG : 0;
	if (a[0]) {
		if (copy_in(t->mm, &ss, a[0], sizeof(ss)) < 0)
			return -EFAULT;
		if (on)
			return -EPERM;
		unsigned mode = (unsigned)ss.ss_flags & ~SS_AUTODISARM_FLAG;
		if (mode != 0 && mode != SS_DISABLE_FLAG && mode != SS_ONSTACK_FLAG)
			return -EINVAL;
		if (mode == SS_DISABLE_FLAG) {
			t->altstack.ss_sp = 0;
			t->altstack.ss_size = 0;
			t->altstack.ss_flags = SS_DISABLE_FLAG;
		} else {
			if (ss.ss_size < LINUX_MINSIGSTKSZ)
				return -ENOMEM;
			t->altstack = ss;
			t->altstack.ss_flags = 0;
		}
	}
	if (a[1] && copy_out(t->mm, a[1], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL(rt_sigreturn)
{
	return sig_return(t);
}

static bool is_self(struct task *t, pid_t pid)
{
	return pid == 0 || pid == -1 || pid == t->tg->pid || pid == -t->tg->pgid;
}

SYSCALL(kill)
{
	int sig = (int)a[1];

	if (sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	if (!is_self(t, (pid_t)a[0]))
		return -ESRCH;
	if (sig)
		sig_send_group(t->tg, sig);
	return 0;
}

SYSCALL(tgkill)
{
	int sig = (int)a[2];

	if ((pid_t)a[0] <= 0 || (pid_t)a[1] <= 0 || sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	if ((pid_t)a[0] != t->tg->pid || (pid_t)a[1] != t->tid)
		return -ESRCH;
	if (sig)
		sig_send_task(t, sig);
	return 0;
}

SYSCALL(tkill)
{
	int sig = (int)a[1];

	if ((pid_t)a[0] <= 0 || sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	if ((pid_t)a[0] != t->tid)
		return -ESRCH;
	if (sig)
		sig_send_task(t, sig);
	return 0;
}
