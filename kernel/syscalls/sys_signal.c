/* rt_sigaction, rt_sigprocmask, sigaltstack, rt_sigreturn, rt_sigpending,
 * kill, tkill, tgkill. Only this sandbox's one process can be signalled. */
#include "kernel/syscalls/syscalls.h"
#include "kernel/time/timekeeper.h"
#include "kernel/signal/signal.h"
#include "platform/arch/x86_64/sigframe.h"

#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <time.h>

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
		if (act.handler == (uint64_t)SIG_IGN ||
		    (act.handler == (uint64_t)SIG_DFL && sig_default_ignored(sig))) {
			/* An action that ignores the signal discards what is
			 * pending (POSIX; Linux's sig_handler_ignored). */
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

/* Linux's kill_ok_by_cred: root, or a real or effective uid that is the
 * target's real or saved one. */
static bool may_signal(struct task *t, struct task *target)
{
	const struct creds *a = &t->creds, *b = &target->creds;

	return a->euid == 0 || a->euid == b->suid || a->euid == b->uid || a->uid == b->suid || a->uid == b->uid;
}

/* Sends sig (0: a check) to target's group; -EPERM or 0. */
static int send_to(struct task *t, struct task *target, int sig)
{
	struct sig_source src = { .code = 0 /* SI_USER */, .pid = t->tg->pid, .uid = t->creds.uid };

	if (!may_signal(t, target))
		return -EPERM;
	if (sig && !target->tg->zombie)
		sig_send_group_from(target->tg, sig, &src);
	return 0;
}

SYSCALL(kill)
{
	pid_t pid = (pid_t)a[0];
	int sig = (int)a[1];
	struct task **all;
	int n, found = 0, sent = 0, err = -ESRCH;

	if (sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid > 0) {
		struct task *target = task_find(pid, true);

		if (!target || target->tg->pid != pid) {
			if (target)
				task_put(target);
			return -ESRCH;
		}
		err = send_to(t, target, sig);
		task_put(target);
		return err;
	}
	/* A group, or every process but init and the caller (-1). */
	n = task_list_all(&all);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct task *p = all[i];
		pid_t pgid;
		bool match;

		pthread_mutex_lock(&tasklist_lock);
		pgid = p->tg->pgid;
		pthread_mutex_unlock(&tasklist_lock);
		if (pid == -1)
			match = p->tg->pid > 1 && p->tg != t->tg;
		else
			match = pgid == (pid == 0 ? t->tg->pgid : -pid);
		if (match && p->tg->leader == p) {
			found++;
			if (send_to(t, p, sig) == 0)
				sent++;
		}
		task_put(p);
	}
	free(all);
	if (!found)
		return -ESRCH;
	return sent ? 0 : -EPERM;
}

SYSCALL(tgkill)
{
	int sig = (int)a[2];
	struct task *target;
	int err;

	if ((pid_t)a[0] <= 0 || (pid_t)a[1] <= 0 || sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	target = task_find((pid_t)a[1], false);
	if (!target || target->tg->pid != (pid_t)a[0]) {
		if (target)
			task_put(target);
		return -ESRCH;
	}
	err = may_signal(t, target) ? 0 : -EPERM;
	if (err == 0 && sig)
		sig_send_task(target, sig);
	task_put(target);
	return err;
}

SYSCALL(tkill)
{
	int sig = (int)a[1];
	struct task *target;
	int err;

	if ((pid_t)a[0] <= 0 || sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	target = task_find((pid_t)a[0], false);
	if (!target)
		return -ESRCH;
	err = may_signal(t, target) ? 0 : -EPERM;
	if (err == 0 && sig)
		sig_send_task(target, sig);
	task_put(target);
	return err;
}

/* Sleeps until a signal the task does not block arrives: the call ends
 * with -ERESTARTNOHAND, which a handler turns into EINTR and which runs
 * again when the signal had none (a stop, an ignored one), as Linux's.
 * A freeze ends the wait the same way and the call restarts after. */
static long wait_for_signal(struct task *t)
{
	while (task_wait(t, -1, 0, -1) != -EINTR)
		;
	return -LINUX_ERESTARTNOHAND;
}

SYSCALL(pause)
{
	return wait_for_signal(t);
}

/* The mask is the task's until a signal is delivered: the handler's
 * frame saves the old one (saved_sigmask, as for ppoll), or sig_deliver
 * puts it back. */
SYSCALL(rt_sigsuspend)
{
	uint64_t mask;

	if (a[1] != 8)
		return -EINVAL;
	if (copy_in(t->mm, &mask, a[0], sizeof(mask)) < 0)
		return -EFAULT;
	if (!t->has_saved_sigmask) {
		t->saved_sigmask = t->sigmask;
		t->has_saved_sigmask = true;
	}
	t->sigmask = mask & ~UNBLOCKABLE;
	return wait_for_signal(t);
}

/* Takes a signal of the set from the queues, waiting for one (with the
 * set unblocked while it waits, as Linux's do_sigtimedwait) until the
 * timeout. A signal outside the set that has a handler ends the wait
 * with EINTR; a freeze restarts the call, whose timeout then starts
 * again. */
SYSCALL(rt_sigtimedwait)
{
	struct linux_siginfo info;
	struct linux_timespec ts;
	int64_t deadline = -1;
	uint64_t set;
	bool from_task;
	int sig, r;

	if (a[3] != 8)
		return -EINVAL;
	if (copy_in(t->mm, &set, a[0], sizeof(set)) < 0)
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (a[2]) {
		if (copy_in(t->mm, &ts, a[2], sizeof(ts)) < 0)
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		deadline = host_mono_ns() + (ts.tv_sec > INT64_MAX / 2000000000LL ? INT64_MAX / 2 :
								 ts.tv_sec * 1000000000LL + ts.tv_nsec);
	}
	/* Wake-ups meant for others (a child's exit wakes wait4) or a
	 * signal blocked before the call are no reason to return. */
	while (!(sig = sig_dequeue_set(t, set, &from_task))) {
		uint64_t blocked = t->sigmask;

		if (deadline != -1 && host_mono_ns() >= deadline)
			return -EAGAIN;
		__atomic_store_n(&t->real_blocked, blocked, __ATOMIC_RELAXED);
		t->sigmask = blocked & ~set;
		r = task_wait(t, -1, 0, deadline);
		t->sigmask = blocked;
		__atomic_store_n(&t->real_blocked, 0, __ATOMIC_RELAXED);
		if (r != -EINTR)
			continue;
		if ((sig = sig_dequeue_set(t, set, &from_task)))
			break;
		if (sig_pending(t) || task_dying(t))
			return -EINTR;
		if (kernel_freezing())
			return -LINUX_ERESTARTNOHAND;
	}
	sig_fill_info(t, sig, from_task, &info);
	if (a[1] && copy_out(t->mm, a[1], &info, sizeof(info)) < 0)
		return -EFAULT;
	return sig;
}
