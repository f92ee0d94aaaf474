/* Signal generation and delivery. Handlers run on a frame the sentry
 * builds on the application's stack (kernel/signal/frame.c); default
 * actions end the thread group or stop it (kernel/task/jobctl.c). */
#include "kernel/task/task.h"
#include "kernel/lib/log.h"
#include "kernel/signal/signal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

#define BIT(sig) (1ULL << ((sig) - 1))
#define SYNC_MASK (BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGTRAP) | BIT(SIGFPE) | BIT(SIGSYS))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))
#define STOP_MASK (BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))

enum sig_default { SIG_DEF_TERM, SIG_DEF_CORE, SIG_DEF_IGN, SIG_DEF_STOP };

static enum sig_default default_action(int sig)
{
	switch (sig) {
	case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:
		return SIG_DEF_IGN;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return SIG_DEF_STOP;
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
	case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return SIG_DEF_CORE;
	default:
		return SIG_DEF_TERM;
	}
}

bool sig_default_ignored(int sig)
{
	return default_action(sig) == SIG_DEF_IGN;
}

static bool ignored(struct thread_group *tg, int sig)
{
	uint64_t h = tg->actions[sig - 1].handler;

	if (sig == SIGKILL || sig == SIGSTOP)
		return false;
	return h == (uint64_t)SIG_IGN || (h == (uint64_t)SIG_DFL && default_action(sig) == SIG_DEF_IGN);
}

void sig_send_group(struct thread_group *tg, int sig)
{
	sig_send_group_from(tg, sig, NULL);
}

static bool blocks(struct task *t, int sig)
{
	return ((__atomic_load_n(&t->sigmask, __ATOMIC_RELAXED) | __atomic_load_n(&t->real_blocked, __ATOMIC_RELAXED)) &
		BIT(sig)) != 0;
}

/* The thread a group signal wakes, as Linux's complete_signal picks it:
 * the leader unless it blocks the signal, else the first live thread
 * that does not; NULL when all block it (it stays pending for the first
 * to unblock it). A thread in sigtimedwait for it has lifted its block
 * (real_blocked is only for the "ignored" test). tg->lock held. */
static bool wants(struct task *t, int sig)
{
	return !(__atomic_load_n(&t->sigmask, __ATOMIC_RELAXED) & BIT(sig));
}

static struct task *pick_thread(struct thread_group *tg, int sig)
{
	struct task *l = tg->leader;

	if (l && !l->exited && wants(l, sig))
		return l;
	for (struct task *o = tg->threads; o; o = o->thread_next)
		if (wants(o, sig))
			return o;
	return NULL;
}

void sig_send_group_from(struct thread_group *tg, int sig, const struct sig_source *src)
{
	struct task *t, *o;
	bool all = false;

	if (sig < 1 || sig > LINUX_NSIG)
		return;
	pthread_mutex_lock(&tg->lock);
	/* What Linux's prepare_signal does at sending time, ignored or
	 * not: SIGCONT drops pending stops and resumes a stopped group (the
	 * group tells its parent when it runs), a stop drops a pending
	 * SIGCONT, and SIGKILL ends the group at once, stopped or not. */
	if (sig == SIGCONT) {
		tg->shared_pending &= ~STOP_MASK;
		for (o = tg->threads; o; o = o->thread_next)
			o->pending &= ~STOP_MASK;
		if (tg->stopped) {
			__atomic_store_n(&tg->stopped, false, __ATOMIC_RELEASE);
			tg->stop_report = 0;
			tg->cont_report = true;
			tg->cont_notify = true;
			all = true;
		}
	} else if (BIT(sig) & STOP_MASK) {
		tg->shared_pending &= ~BIT(SIGCONT);
		for (o = tg->threads; o; o = o->thread_next)
			o->pending &= ~BIT(SIGCONT);
	} else if (sig == SIGKILL && !tg->exiting) {
		tg->exit_status = SIGKILL;
		__atomic_store_n(&tg->exiting, true, __ATOMIC_RELEASE);
		all = true;
	}
	/* A blocked signal is never ignored: the handler may change
	 * before it is unblocked (Linux's sig_ignored, which looks at the
	 * thread it targets: here the leader, or the first live thread). */
	t = tg->leader && !tg->leader->exited ? tg->leader : tg->threads;
	if (ignored(tg, sig) && !(t && blocks(t, sig))) {
		pthread_mutex_unlock(&tg->lock);
		if (all)
			task_interrupt_group(tg);
		return;
	}
	if (!(tg->shared_pending & BIT(sig))) {
		if (src)
			tg->shared_src[sig - 1] = *src;
		else
			memset(&tg->shared_src[sig - 1], 0, sizeof(tg->shared_src[sig - 1]));
	}
	tg->shared_pending |= BIT(sig);
	t = pick_thread(tg, sig);
	if (t && !all)
		task_interrupt(t);
	pthread_mutex_unlock(&tg->lock);
	if (all)
		task_interrupt_group(tg);
}

void sig_send_task(struct task *t, int sig)
{
	pthread_mutex_lock(&t->tg->lock);
	if (!ignored(t->tg, sig) || ((t->sigmask | t->real_blocked) & BIT(sig)))
		t->pending |= BIT(sig);
	pthread_mutex_unlock(&t->tg->lock);
	task_interrupt(t);
}

void sig_force(struct task *t, int sig, int code, uint64_t addr)
{
	struct linux_sigaction *act = &t->tg->actions[sig - 1];

	pthread_mutex_lock(&t->tg->lock);
	/* As Linux's force_sig: a blocked or ignored synchronous signal
	 * cannot be held off, so it reverts to its default action. */
	if ((t->sigmask & BIT(sig)) || act->handler == (uint64_t)SIG_IGN) {
		act->handler = (uint64_t)SIG_DFL;
		t->sigmask &= ~BIT(sig);
	}
	t->pending |= BIT(sig);
	t->fault_info[sig - 1].code = code;
	t->fault_info[sig - 1].addr = addr;
	pthread_mutex_unlock(&t->tg->lock);
}

void sig_force_seccomp(struct task *t, int nr, int data, uint64_t ip)
{
	sig_force(t, SIGSYS, 1 /* SYS_SECCOMP */, ip);
	pthread_mutex_lock(&t->tg->lock);
	t->fault_info[SIGSYS - 1].sys_nr = nr;
	t->fault_info[SIGSYS - 1].sys_errno = data;
	pthread_mutex_unlock(&t->tg->lock);
}

bool sig_pending(struct task *t)
{
	uint64_t p = __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
		     __atomic_load_n(&t->tg->shared_pending, __ATOMIC_ACQUIRE);

	return (p & ~(t->sigmask & ~UNBLOCKABLE)) != 0;
}

/* Takes the next signal of deliverable, synchronous ones first.
 * tg->lock held. */
static int dequeue_mask(struct task *t, uint64_t deliverable, bool *from_task)
{
	uint64_t mine = t->pending & deliverable, shared = t->tg->shared_pending & deliverable;
	uint64_t pick;
	int sig;

	if (mine & SYNC_MASK)
		pick = mine & SYNC_MASK;
	else if (mine)
		pick = mine;
	else if (shared)
		pick = shared;
	else
		return 0;
	sig = __builtin_ctzll(pick) + 1;
	*from_task = (mine & BIT(sig)) != 0;
	if (*from_task) {
		t->pending &= ~BIT(sig);
	} else {
		t->tg->shared_pending &= ~BIT(sig);
		t->deliver_src = t->tg->shared_src[sig - 1];
	}
	return sig;
}

/* The next signal to act on. tg->lock held. */
static int dequeue(struct task *t, bool *from_task)
{
	return dequeue_mask(t, ~(t->sigmask & ~UNBLOCKABLE), from_task);
}

int sig_dequeue_set(struct task *t, uint64_t set, bool *from_task)
{
	int sig;

	pthread_mutex_lock(&t->tg->lock);
	sig = dequeue_mask(t, set, from_task);
	pthread_mutex_unlock(&t->tg->lock);
	return sig;
}

static bool is_restart(long ret)
{
	return ret == -LINUX_ERESTARTSYS || ret == -LINUX_ERESTARTNOINTR || ret == -LINUX_ERESTARTNOHAND ||
	       ret == -LINUX_ERESTART_RESTARTBLOCK;
}

/* Rewinds an interrupted system call so it runs again. */
static void restart_syscall_regs(struct task *t, long ret)
{
	t->regs.rip -= ARCH_SYSCALL_INSN_LEN;
	t->regs.rax = ret == -LINUX_ERESTART_RESTARTBLOCK ? SYS_restart_syscall : t->regs.orig_rax;
}

void sig_fix_restart(struct task *t, long ret)
{
	if (is_restart(ret))
		restart_syscall_regs(t, ret);
}

void sig_deliver(struct task *t)
{
	bool syscall_return = t->syscall_return;
	long ret = (long)t->regs.rax;

	t->syscall_return = false;
	for (;;) {
		struct linux_sigaction act;
		bool from_task;
		int sig;

		pthread_mutex_lock(&t->tg->lock);
		sig = dequeue(t, &from_task);
		if (sig)
			act = t->tg->actions[sig - 1];
		pthread_mutex_unlock(&t->tg->lock);
		if (!sig)
			break;
		if (act.handler == (uint64_t)SIG_IGN && sig != SIGKILL && sig != SIGSTOP)
			continue;
		if (act.handler == (uint64_t)SIG_DFL || sig == SIGKILL || sig == SIGSTOP) {
			switch (default_action(sig)) {
			case SIG_DEF_IGN:
				continue;
			case SIG_DEF_STOP:
				/* A terminal's stop in an orphaned process
				 * group would never be undone: Linux drops it. */
				if (sig != SIGSTOP && task_pgrp_orphaned(t->tg))
					continue;
				/* The group stops; task_run waits before going
				 * back to the application. */
				task_stop(t, sig);
				goto out;
			case SIG_DEF_CORE:
				/* No core dumps: the status says the signal
				 * without WCOREDUMP, as with RLIMIT_CORE 0. */
			case SIG_DEF_TERM:
				task_exit_group(t, sig);
				return;
			}
		}
		/* A handler: an interrupted call gets -EINTR unless
		 * SA_RESTART asks for a restart. */
		if (syscall_return && is_restart(ret)) {
			if (ret == -LINUX_ERESTARTNOINTR ||
			    (ret == -LINUX_ERESTARTSYS && (act.flags & SA_RESTART)))
				restart_syscall_regs(t, ret);
			else
				t->regs.rax = (uint64_t)-EINTR;
			syscall_return = false;
		}
		if (sig_setup_frame(t, sig, &act, from_task) < 0) {
			/* No room for the frame: Linux kills with SIGSEGV. */
			task_exit_group(t, SIGSEGV);
			return;
		}
		if (act.flags & SA_RESETHAND) {
			pthread_mutex_lock(&t->tg->lock);
			t->tg->actions[sig - 1].handler = (uint64_t)SIG_DFL;
			pthread_mutex_unlock(&t->tg->lock);
		}
		break;	/* one frame per return to the application */
	}
out:
	if (syscall_return && is_restart(ret))
		restart_syscall_regs(t, ret);
	/* ppoll/pselect6's temporary mask ends here unless a frame took it. */
	if (t->has_saved_sigmask) {
		t->sigmask = t->saved_sigmask;
		t->has_saved_sigmask = false;
	}
}
