/* Job control: a stop signal's default action stops the whole process
 * until SIGCONT. The stopped task waits at the top of its loop, a safe
 * point like any blocking call, so a stopped process can be checkpointed
 * and stays stopped once restored. As in Linux, the sender of SIGCONT only
 * marks the group continued (kernel/signal/signal.c); the task itself
 * tells its parent when it runs again. */
#include "kernel/task/task.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

/* Sleeps until the task is kicked (task_interrupt): a stopped task does
 * not wake for the signals it holds pending, only for SIGCONT, SIGKILL
 * and a freeze, which all kick it. */
static void sleep_until_kicked(struct task *t)
{
	struct pollfd p = { .fd = t->wake_fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, -1) > 0)
		while (read(t->wake_fd, &v, sizeof(v)) > 0)
			;
}

void task_notify_parent_locked(struct thread_group *tg, int code, int status)
{
	struct thread_group *parent = tg->parent;
	struct sig_source src = { .code = code, .pid = tg->pid, .status = status };
	bool quiet;

	if (!parent)
		return;
	src.uid = tg->leader ? tg->leader->creds.uid : 0;
	pthread_mutex_lock(&parent->lock);
	quiet = parent->actions[SIGCHLD - 1].flags & SA_NOCLDSTOP;
	pthread_mutex_unlock(&parent->lock);
	if (!quiet)
		sig_send_group_from(parent, SIGCHLD, &src);
	task_wake_group(parent);
}

bool task_pgrp_orphaned(struct thread_group *tg)
{
	bool orphaned = true;
	struct task **all;
	size_t n;

	pthread_mutex_lock(&tasklist_lock);
	all = task_table_locked(&n);
	for (size_t i = 0; i < n && orphaned; i++) {
		struct thread_group *m = all[i]->tg, *p = m->parent;

		if (m->pgid == tg->pgid && !m->zombie && p && !p->zombie && p->pgid != tg->pgid && p->sid == m->sid)
			orphaned = false;
	}
	pthread_mutex_unlock(&tasklist_lock);
	return orphaned;
}

void task_stop(struct task *t, int sig)
{
	struct thread_group *tg = t->tg;

	pthread_mutex_lock(&tasklist_lock);
	pthread_mutex_lock(&tg->lock);
	/* A SIGCONT sent since the stop signal was queued removed it; one
	 * already dequeued still stops, as in Linux. */
	tg->stopped = true;
	tg->stop_report = sig;
	tg->cont_report = false;
	tg->cont_notify = false;
	pthread_mutex_unlock(&tg->lock);
	task_notify_parent_locked(tg, CLD_STOPPED, sig);
	pthread_mutex_unlock(&tasklist_lock);
	/* The other threads stop where they are too. */
	task_interrupt_group(tg);
}

void task_stop_wait(struct task *t)
{
	struct thread_group *tg = t->tg;
	bool notify;

	while (__atomic_load_n(&tg->stopped, __ATOMIC_ACQUIRE)) {
		if (kernel_freezing() || task_dying(t))
			return;
		sleep_until_kicked(t);
	}
	pthread_mutex_lock(&tasklist_lock);
	pthread_mutex_lock(&tg->lock);
	notify = tg->cont_notify;
	tg->cont_notify = false;
	pthread_mutex_unlock(&tg->lock);
	if (notify)
		task_notify_parent_locked(tg, CLD_CONTINUED, SIGCONT);
	pthread_mutex_unlock(&tasklist_lock);
}
