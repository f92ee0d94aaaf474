/* The process tree as programs see it: getppid, process groups and
 * sessions. All of it lives under tasklist_lock (kernel/task/task.c). */
#include "kernel/syscalls/syscalls.h"

#include <errno.h>

SYSCALL(getppid)
{
	return task_ppid(t);
}

/* The thread group with this pid, or NULL (tasklist_lock held). */
static struct thread_group *find_tg_locked(pid_t pid)
{
	size_t n;
	struct task **all = task_table_locked(&n);

	for (size_t i = 0; i < n; i++)
		if (all[i]->tg->pid == pid)
			return all[i]->tg;
	return NULL;
}

static long get_id(struct task *t, pid_t pid, bool session)
{
	struct thread_group *tg;
	long r;

	if (pid < 0)
		return -ESRCH;
	pthread_mutex_lock(&tasklist_lock);
	tg = pid ? find_tg_locked(pid) : t->tg;
	r = !tg ? -ESRCH : session ? tg->sid : tg->pgid;
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}

SYSCALL(getpgrp)
{
	return get_id(t, 0, false);
}

SYSCALL(getpgid)
{
	return get_id(t, (pid_t)a[0], false);
}

SYSCALL(getsid)
{
	return get_id(t, (pid_t)a[0], true);
}

/* Linux's setpgid: the caller or one of its children (before it exec'd,
 * in the same session), into a group of the same session or a new one
 * named after the process; never a session leader. */
SYSCALL(setpgid)
{
	pid_t pid = (pid_t)a[0], pgid = (pid_t)a[1];
	struct thread_group *tg;
	long r = 0;

	if (pgid < 0)
		return -EINVAL;
	pthread_mutex_lock(&tasklist_lock);
	tg = !pid || pid == t->tg->pid ? t->tg : find_tg_locked(pid);
	if (!tg || (tg != t->tg && tg->parent != t->tg) || tg->zombie) {
		r = -ESRCH;
		goto out;
	}
	if (!pgid)
		pgid = tg->pid;
	if (tg != t->tg) {
		if (tg->sid != t->tg->sid) {
			r = -EPERM;
			goto out;
		}
		if (tg->execed) {
			r = -EACCES;
			goto out;
		}
	}
	if (tg->sid == tg->pid) {
		r = -EPERM;	/* a session leader stays in its group */
		goto out;
	}
	if (pgid != tg->pid) {
		/* Joining a group: it must exist in the caller's session. */
		size_t n;
		struct task **all = task_table_locked(&n);
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = all[i]->tg->pgid == pgid && all[i]->tg->sid == t->tg->sid && !all[i]->tg->zombie;
		if (!found) {
			r = -EPERM;
			goto out;
		}
	}
	tg->pgid = pgid;
out:
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}

SYSCALL(setsid)
{
	size_t n;
	struct task **all;
	long r;

	pthread_mutex_lock(&tasklist_lock);
	all = task_table_locked(&n);
	r = t->tg->pid;
	/* A process group leader, or a pid some group still uses, cannot
	 * start a session. */
	for (size_t i = 0; i < n; i++)
		if (all[i]->tg->pgid == t->tg->pid)
			r = -EPERM;
	if (r > 0)
		t->tg->pgid = t->tg->sid = t->tg->pid;
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}
