/* The end of a process: its address space and files go at once (a pipe's
 * reader sees EOF, the stub process is reaped by the host thread that
 * owns it), its children go to init, and what is left is a zombie that
 * holds the exit status until the parent reaps it with wait4/waitid. */
#include "kernel/task/task.h"
#include "kernel/lib/log.h"
#include "kernel/mm/mm.h"
#include "kernel/time/itimer.h"
#include "kernel/time/timekeeper.h"
#include "kernel/syscalls/futex.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

/* Threads of tasks other than the sandbox's first, still running. */
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t threads_cond = PTHREAD_COND_INITIALIZER;
static int threads_running;

void task_thread_started(void)
{
	pthread_mutex_lock(&threads_lock);
	threads_running++;
	pthread_mutex_unlock(&threads_lock);
}

void task_thread_ended(void)
{
	pthread_mutex_lock(&threads_lock);
	threads_running--;
	pthread_cond_broadcast(&threads_cond);
	pthread_mutex_unlock(&threads_lock);
}

int task_threads_running(void)
{
	int n;

	pthread_mutex_lock(&threads_lock);
	n = threads_running;
	pthread_mutex_unlock(&threads_lock);
	return n;
}

void task_wake(struct task *t)
{
	__atomic_store_n(&t->woken, true, __ATOMIC_RELEASE);
	task_interrupt(t);
}

void task_wake_group(struct thread_group *tg)
{
	pthread_mutex_lock(&tg->lock);
	for (struct task *o = tg->threads; o; o = o->thread_next)
		task_wake(o);
	pthread_mutex_unlock(&tg->lock);
}

int task_exec_alone(struct task *t)
{
	struct thread_group *tg = t->tg;

	pthread_mutex_lock(&tg->lock);
	if (tg->nr_live == 1) {
		pthread_mutex_unlock(&tg->lock);
		return 0;
	}
	if (tg->exec_task && tg->exec_task != t) {
		pthread_mutex_unlock(&tg->lock);
		return -EINTR;	/* another thread's exec ends this one */
	}
	tg->exec_task = t;
	for (struct task *o = tg->threads; o; o = o->thread_next)
		if (o != t)
			task_interrupt(o);
	pthread_mutex_unlock(&tg->lock);
	for (;;) {
		int n;

		pthread_mutex_lock(&tg->lock);
		n = tg->nr_live;
		pthread_mutex_unlock(&tg->lock);
		if (n == 1)
			break;
		/* The others go on ending; this call is made again. */
		if (__atomic_load_n(&tg->exiting, __ATOMIC_ACQUIRE) || kernel_freezing())
			return -EINTR;
		task_wait(t, -1, 0, host_mono_ns() + 10 * 1000 * 1000);
	}
	/* The exec'ing thread takes over the group's pid, as in Linux; the
	 * old leader, gone already, leaves the table. */
	pthread_mutex_lock(&tasklist_lock);
	if (t != tg->leader) {
		struct task *old = tg->leader;

		if (task_unregister_thread_locked(old))
			task_put(old);	/* the table's */
		t->tid = tg->pid;
		tg->leader = t;
	}
	pthread_mutex_unlock(&tasklist_lock);
	pthread_mutex_lock(&tg->lock);
	tg->exec_task = NULL;
	pthread_mutex_unlock(&tg->lock);
	return 0;
}

void task_vfork_done(struct task *child)
{
	struct task *parent = child->vfork_parent;

	if (!parent)
		return;
	child->vfork_parent = NULL;
	__atomic_store_n(&parent->vfork_child, 0, __ATOMIC_RELEASE);
	task_wake(parent);
	task_put(parent);
}

void task_vfork_wait(struct task *t)
{
	while (__atomic_load_n(&t->vfork_child, __ATOMIC_ACQUIRE)) {
		/* A signal is acted on here: a fatal one ends the wait, a
		 * handler's frame waits with the registers until the child
		 * is done (the child has its own copy of the memory). */
		if (sig_pending(t) || kernel_freezing() || task_dying(t))
			return;
		task_wait(t, -1, 0, -1);
	}
}

/* The status a parent's SIGCHLD and waitid report: CLD_* and the code or
 * the signal. */
static void exit_source(struct thread_group *tg, struct sig_source *src)
{
	int st = tg->exit_status;

	src->pid = tg->pid;
	src->uid = tg->leader ? tg->leader->creds.uid : 0;
	if (st & 0x7f) {
		src->code = CLD_KILLED;
		src->status = st & 0x7f;
	} else {
		src->code = CLD_EXITED;
		src->status = (st >> 8) & 0xff;
	}
}

/* Releases a zombie nobody will wait for (tasklist_lock held). */
static void release_zombie_locked(struct thread_group *tg)
{
	struct task *t = tg->leader;

	task_unregister_locked(t);
	task_put(t);	/* the table's; the tg goes with its last task */
}

/* Tells the parent a child has become a zombie: its exit signal and a
 * wake-up for wait4. Returns true when the parent takes no notice
 * (SIGCHLD ignored or SA_NOCLDWAIT): then the child is reaped at once,
 * as Linux's do_notify_parent says. tasklist_lock held. */
static bool notify_parent_locked(struct thread_group *tg)
{
	struct thread_group *parent = tg->parent;
	struct sig_source src;
	bool autoreap = false;
	int sig = tg->exit_signal;

	if (!parent)
		return true;
	exit_source(tg, &src);
	if (sig == SIGCHLD) {
		pthread_mutex_lock(&parent->lock);
		autoreap = parent->actions[SIGCHLD - 1].handler == (uint64_t)SIG_IGN ||
			   (parent->actions[SIGCHLD - 1].flags & SA_NOCLDWAIT);
		/* Ignored, it is not sent at all, blocked or not. */
		if (parent->actions[SIGCHLD - 1].handler == (uint64_t)SIG_IGN)
			sig = 0;
		pthread_mutex_unlock(&parent->lock);
	}
	if (sig > 0 && sig <= LINUX_NSIG)
		sig_send_group_from(parent, sig, &src);
	task_wake_group(parent);
	return autoreap;
}

/* The process children are handed to: the nearest live ancestor that
 * is a child subreaper (PR_SET_CHILD_SUBREAPER), else init, unless it is
 * the one leaving. tasklist_lock held. */
static struct thread_group *reaper_locked(struct thread_group *leaving)
{
	size_t n;
	struct task **all = task_table_locked(&n);

	for (struct thread_group *p = leaving->parent; p; p = p->parent)
		if (p->child_subreaper && !p->zombie && !__atomic_load_n(&p->exiting, __ATOMIC_ACQUIRE))
			return p;

	for (size_t i = 0; i < n; i++)
		if (all[i]->tid == 1 && all[i]->tg != leaving && !all[i]->tg->zombie)
			return all[i]->tg;
	return NULL;
}

/* Linux's mm_release for a thread that set clear_child_tid (pthreads,
 * CLONE_CHILD_CLEARTID): the word goes to 0 and one futex waiter on it
 * is woken, which is how pthread_join learns the thread is gone. */
static void clear_child_tid(struct task *t, struct mm *mm)
{
	uint32_t zero = 0;

	if (!t->clear_child_tid || !mm)
		return;
	if (copy_out(mm, t->clear_child_tid, &zero, sizeof(zero)) == 0)
		futex_wake_addr(mm, t->clear_child_tid, 1);
	t->clear_child_tid = 0;
}

/* t stops running in its address space. The thread that made the
 * address space (its stub is tied to that host thread) waits here until
 * the others have left, then destroys it; the others end their own stub
 * thread. */
static void leave_address_space(struct task *t, struct mm *mm, struct platform_ctx *ctx)
{
	if (ctx)
		platform->ctx_destroy(ctx);
	if (!mm)
		return;
	if (t->as_owner)
		mm_as_release_owner(mm);
	else
		mm_as_leave(mm);
}

/* Takes a thread other than its group's leader out of the table:
 * nobody waits for a thread (tasklist_lock held). */
static void release_thread_locked(struct task *t)
{
	if (task_unregister_thread_locked(t))
		task_put(t);	/* the table's */
}

void task_exit(struct task *t)
{
	struct thread_group *tg = t->tg, *reaper, *c, *next;
	struct platform_ctx *ctx;
	struct mm *mm;
	struct fdtable *fdt;
	bool last;

	__atomic_store_n(&t->exited, true, __ATOMIC_RELEASE);
	task_vfork_done(t);
	pthread_mutex_lock(&tg->lock);
	for (struct task **pp = &tg->threads; *pp; pp = &(*pp)->thread_next)
		if (*pp == t) {
			*pp = t->thread_next;
			tg->nr_live--;
			break;
		}
	t->thread_next = NULL;
	last = tg->nr_live == 0;
	if (last)
		pthread_cond_broadcast(&tg->ended);
	pthread_mutex_unlock(&tg->lock);
	/* An exec waiting for the others to go may go on. */
	if (!last && tg->exec_task)
		task_wake(tg->exec_task);
	if (last)
		itimer_real_cancel(tg);
	pthread_mutex_lock(&t->alloc_lock);
	mm = t->mm;
	fdt = t->fdt;
	ctx = t->ctx;
	t->mm = NULL;
	t->fdt = NULL;
	t->ctx = NULL;
	pthread_mutex_unlock(&t->alloc_lock);
	/* Robust mutexes may be in memory shared with other processes: the
	 * last thread's count too. */
	futex_exit_robust_list(t, mm);
	if (!last)
		clear_child_tid(t, mm);
	/* The thread that made the address space, leaving before the others,
	 * keeps it until they have left too (below); everyone else leaves
	 * now. */
	if (!last && t->as_owner) {
		if (ctx)
			platform->ctx_destroy(ctx);
	} else {
		leave_address_space(t, mm, ctx);
		mm_put(mm);
		mm = NULL;
	}
	/* Pipes see their ends close now, not when the zombie is reaped. */
	fdtable_put(fdt);

	pthread_mutex_lock(&tasklist_lock);
	if (!last) {
		/* Its children now belong to another thread of the group, and
		 * hear of their parent's death as Linux tells them. */
		pid_t heir;

		pthread_mutex_lock(&tg->lock);
		heir = tg->threads ? tg->threads->tid : tg->pid;
		pthread_mutex_unlock(&tg->lock);
		for (c = tg->children; c; c = c->sibling) {
			if (c->parent_thread != t->tid)
				continue;
			c->parent_thread = heir;
			if (!c->zombie && c->leader && c->leader->pdeath_signal)
				sig_send_group(c, c->leader->pdeath_signal);
		}
		/* A thread is reaped at once; a leader stays in the table,
		 * for the group's zombie, until the group ends, and its host
		 * thread (init's is the sandbox's) returns only then. The
		 * task's own exit is done: a checkpoint may go on. */
		if (t != tg->leader)
			release_thread_locked(t);
		__atomic_store_n(&t->exit_settled, true, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&tasklist_lock);
		if (mm) {
			mm_as_release_owner(mm);
			mm_put(mm);
		}
		if (t == tg->leader) {
			pthread_mutex_lock(&tg->lock);
			while (tg->nr_live > 0)
				pthread_cond_wait(&tg->ended, &tg->lock);
			pthread_mutex_unlock(&tg->lock);
		}
		return;
	}
	reaper = reaper_locked(tg);
	for (c = tg->children; c; c = next) {
		next = c->sibling;
		c->parent = reaper;
		c->parent_thread = reaper ? reaper->pid : 0;
		if (reaper) {
			c->sibling = reaper->children;
			reaper->children = c;
		}
		/* A zombie handed over is announced to its new parent. */
		if (c->zombie && (!reaper || notify_parent_locked(c)))
			release_zombie_locked(c);
		else if (!c->zombie && c->leader && c->leader->pdeath_signal)
			sig_send_group(c, c->leader->pdeath_signal);
	}
	tg->children = NULL;
	if (t != tg->leader)
		release_thread_locked(t);
	__atomic_store_n(&tg->zombie, true, __ATOMIC_RELEASE);
	if (notify_parent_locked(tg))
		release_zombie_locked(tg);
	pthread_mutex_unlock(&tasklist_lock);
}

void task_kill_others_and_wait(struct task *init)
{
	struct task **all;
	int n;

	for (;;) {
		n = task_list_all(&all);
		if (n < 0) {
			log_warn("cannot list tasks to end them");
			break;
		}
		for (int i = 0; i < n; i++) {
			if (all[i] != init && !all[i]->exited)
				sig_send_group(all[i]->tg, SIGKILL);
			task_put(all[i]);
		}
		free(all);
		pthread_mutex_lock(&threads_lock);
		if (threads_running == 0) {
			pthread_mutex_unlock(&threads_lock);
			break;
		}
		/* A task forking right now makes a child after the list was
		 * taken: look again until every thread is gone. */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&threads_cond, &threads_lock, &until);
		pthread_mutex_unlock(&threads_lock);
	}
}
