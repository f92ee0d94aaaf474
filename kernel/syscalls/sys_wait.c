/* wait4 and waitid: reaping zombie children. A caller with children but
 * none to reap waits in task_wait, which a child's exit wakes (exit.c);
 * an interrupted wait is restarted from scratch, holding nothing. Stopped
 * and continued children (kernel/task/jobctl.c) are reported once each to
 * WUNTRACED/WSTOPPED and WCONTINUED. */
#include "kernel/syscalls/syscalls.h"

#include "kernel/lib/log.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "platform/arch/x86_64/sigframe.h"

#define P_PIDFD 3

struct wait_req {
	int which;			/* P_ALL, P_PID, P_PGID */
	pid_t id;
	int options;
};

struct wait_result {
	pid_t pid;
	uint32_t uid;
	int status;			/* wait(2) status */
	int code;			/* CLD_*, for waitid */
	int child_status;			/* the exit code or the signal, for waitid */
};

/* Linux's eligible_child: __WALL takes every child; otherwise __WCLONE
 * picks children whose exit signal is not SIGCHLD, and its absence the
 * others. */
static bool eligible(const struct wait_req *w, struct thread_group *c, pid_t my_pgid)
{
	if (w->which == P_PID && c->pid != w->id)
		return false;
	if (w->which == P_PGID && c->pgid != (w->id ? w->id : my_pgid))
		return false;
	if (w->options & __WALL)
		return true;
	return ((c->exit_signal != SIGCHLD) ^ !(w->options & __WCLONE));
}

/* A stop or a continue of c that wait has not reported yet, if options
 * ask for it (WSTOPPED is wait4's WUNTRACED): true with *res filled,
 * and the report taken unless WNOWAIT. tasklist_lock held. */
static bool stopped_or_continued(struct thread_group *c, int options, struct wait_result *res)
{
	bool found = false;

	pthread_mutex_lock(&c->lock);
	if ((options & WSTOPPED) && c->stop_report) {
		res->status = (c->stop_report << 8) | 0x7f;
		res->code = CLD_STOPPED;
		res->child_status = c->stop_report;
		if (!(options & WNOWAIT))
			c->stop_report = 0;
		found = true;
	} else if ((options & WCONTINUED) && c->cont_report) {
		res->status = 0xffff;
		res->code = CLD_CONTINUED;
		res->child_status = SIGCONT;
		if (!(options & WNOWAIT))
			c->cont_report = false;
		found = true;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

/* One pass over t's children: 1 with *res filled (reaped unless
 * WNOWAIT), 0 when a child may still become waitable, -ECHILD when none
 * can. */
static int try_reap(struct task *t, const struct wait_req *w, struct wait_result *res)
{
	struct thread_group *c;
	struct task *dead = NULL;
	bool any = false;

	pthread_mutex_lock(&tasklist_lock);
	for (c = t->tg->children; c; c = c->sibling) {
		if (!eligible(w, c, t->tg->pgid))
			continue;
		if ((w->options & __WNOTHREAD) && c->parent_thread != t->tid)
			continue;
		any = true;
		res->pid = c->pid;
		res->uid = c->leader ? c->leader->creds.uid : 0;
		if (c->zombie) {
			if (!(w->options & WEXITED))
				continue;
			res->status = c->exit_status;
			res->code = (c->exit_status & 0x7f) ? CLD_KILLED : CLD_EXITED;
			res->child_status = (c->exit_status & 0x7f) ? c->exit_status & 0x7f : (c->exit_status >> 8) & 0xff;
			if (!(w->options & WNOWAIT)) {
				dead = c->leader;
				task_unregister_locked(dead);
			}
			break;
		}
		if (stopped_or_continued(c, w->options, res))
			break;
	}
	pthread_mutex_unlock(&tasklist_lock);
	if (dead)
		task_put(dead);	/* the table's: the zombie is gone */
	if (c)
		return 1;
	return any ? 0 : -ECHILD;
}

static long do_wait(struct task *t, const struct wait_req *w, struct wait_result *res)
{
	for (;;) {
		int r;

		/* A wake-up that came before this pass is not lost: the
		 * pass sees its zombie. */
		__atomic_store_n(&t->woken, false, __ATOMIC_RELEASE);
		r = try_reap(t, w, res);
		if (r != 0)
			return r;
		if (w->options & WNOHANG)
			return 0;
		r = task_wait(t, -1, 0, -1);
		if (r == -EINTR) {
			/* The child's SIGCHLD comes before its wake-up: like
			 * Linux, a zombie found now wins over the signal. */
			r = try_reap(t, w, res);
			return r != 0 ? r : -LINUX_ERESTARTSYS;
		}
	}
}

SYSCALL(wait4)
{
	pid_t pid = (pid_t)a[0];
	int options = (int)a[2];
	struct wait_req w = { .options = options | WEXITED };
	struct wait_result res;
	long r;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	/* INT_MIN has no process group to name (Linux: -ESRCH). */
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid > 0) {
		w.which = P_PID;
		w.id = pid;
	} else if (pid == 0) {
		w.which = P_PGID;
	} else if (pid < -1) {
		w.which = P_PGID;
		w.id = -pid;
	} else {
		w.which = P_ALL;
	}
	r = do_wait(t, &w, &res);
	if (r <= 0)
		return r;
	/* As Linux: the child is reaped even when the status cannot be
	 * written. CPU times are not kept per process: rusage reads zero. */
	if (a[1] && copy_out(t->mm, a[1], &res.status, sizeof(res.status)) < 0)
		return -EFAULT;
	if (a[3] && clear_user(t->mm, a[3], sizeof(struct rusage)) < 0)
		return -EFAULT;
	return res.pid;
}

SYSCALL(waitid)
{
	int which = (int)a[0], options = (int)a[3];
	struct wait_req w = { .which = which, .id = (pid_t)a[1], .options = options };
	struct wait_result res = { 0 };
	struct linux_siginfo si;
	long r;

	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (which) {
	case P_ALL:
		break;
	case P_PID:
		if (w.id <= 0)
			return -EINVAL;
		break;
	case P_PGID:
		if (w.id < 0)
			return -EINVAL;
		break;
	case P_PIDFD:
		log_warn_once("waitid: P_PIDFD is not supported yet");
		return -EINVAL;
	default:
		return -EINVAL;
	}
	r = do_wait(t, &w, &res);
	if (r < 0)
		return r;
	if (a[2]) {
		memset(&si, 0, sizeof(si));
		if (r > 0) {
			si.si_signo = SIGCHLD;
			si.kill.pid = res.pid;
			si.kill.uid = res.uid;
			si.si_code = res.code;
			memcpy(si.raw + 8, &res.child_status, sizeof(res.child_status));
		}
		/* Linux writes signo, errno, code, pid, uid and status only. */
		if (copy_out(t->mm, a[2], &si, 16 + 12) < 0)
			return -EFAULT;
	}
	if (a[4] && clear_user(t->mm, a[4], sizeof(struct rusage)) < 0)
		return -EFAULT;
	return 0;
}
