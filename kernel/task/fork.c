/* clone(2) for new processes and threads. A new process is a copy of
 * the parent (address space copy-on-write, fd table and fs context copied
 * or shared as the flags say) that runs on a host thread of its own,
 * which makes the child's stub: the platform ties a stub to the host
 * thread that created it. A new thread (CLONE_THREAD) shares the group
 * and the address space: the parent's host thread has the stub make a
 * thread (platform ctx_clone), which the new host thread adopts. The
 * parent waits for either, so a child that cannot start is an error of
 * the call, not a task that dies at once.
 *
 * CLONE_VM without CLONE_THREAD (vfork, posix_spawn) gets a copy of the
 * address space, not the same one: the parent is held until the child
 * execs or exits, as vfork holds it, so the program cannot tell, except
 * by what the child writes into memory it thinks it shares (glibc's
 * posix_spawn reports an exec failure that way: here the spawn succeeds
 * and the child exits 127). CLONE_VM or CLONE_SIGHAND for a new process
 * without vfork is not supported (ENOSYS). */
#include "kernel/task/task.h"
#include "kernel/lib/log.h"
#include "kernel/mm/mm.h"
#include "kernel/seccomp/seccomp.h"

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The flags a new process may have; the rest are refused below. */
#define CLONE_PROCESS_OK                                                                                     \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_VFORK | CLONE_PARENT | CLONE_PARENT_SETTID |              \
	 CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_SETTLS | CLONE_PTRACE | CLONE_UNTRACED |          \
	 CLONE_DETACHED | CLONE_IO | CLONE_SYSVSEM)
/* The flags a new thread may have. */
#define CLONE_THREAD_OK                                                                                      \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_PARENT_SETTID |            \
	 CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_SETTLS | CLONE_PTRACE | CLONE_UNTRACED |          \
	 CLONE_DETACHED | CLONE_IO | CLONE_SYSVSEM)
#define CLONE_NAMESPACES                                                                                     \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |           \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)

/* What the child's host thread is handed, and the parent waits on. */
enum start_kind {
	START_FORK,			/* a new process: the thread makes its stub */
	START_RESTORED,			/* a restored process: the stub gets the image's registers */
	START_THREAD,			/* a new thread: it adopts the context made for it */
};

struct start {
	struct task *t;			/* counted, the thread's */
	enum start_kind kind;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
	int err;
};

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static bool restored_may_run = true;

int task_make_stub(struct task *t)
{
	struct platform_as *as;
	struct platform_ctx *ctx;
	struct arch_regs fresh;
	int err = platform->as_new(&as, &ctx);

	if (err < 0)
		return err;
	mm_attach(t->mm, as);
	t->ctx = ctx;
	/* Segment selectors are the host's, not the image's or the
	 * parent's. */
	platform->ctx_init_regs(ctx, &fresh);
	t->regs.cs = fresh.cs;
	t->regs.ss = fresh.ss;
	t->regs.ds = fresh.ds;
	t->regs.es = fresh.es;
	t->regs.fs = fresh.fs;
	t->regs.gs = fresh.gs;
	t->as_owner = true;
	return t->fpstate_ok ? platform->ctx_set_fpstate(ctx, t->fpstate, t->fpstate_size) : 0;
}

/* A new thread's side: the context the parent's host thread had the
 * stub make becomes this host thread's, with the parent's vector state. */
static int task_adopt_thread(struct task *t)
{
	int err = platform->ctx_adopt(t->ctx);

	if (err == 0 && t->fpstate_ok)
		err = platform->ctx_set_fpstate(t->ctx, t->fpstate, t->fpstate_size);
	return err;
}

static void *task_thread(void *arg)
{
	struct start *s = arg;
	struct task *t = s->t;
	int err;

	task_set_current(t);
	err = s->kind == START_RESTORED ? task_restore_platform(t)
	      : s->kind == START_THREAD ? task_adopt_thread(t)
					: task_make_stub(t);
	if (err < 0) {
		/* What part of a stub there is goes on this, its thread; the
		 * spawner unwinds the rest. */
		if (t->ctx) {
			platform->ctx_destroy(t->ctx);
			t->ctx = NULL;
		}
		if (t->mm && s->kind == START_THREAD)
			mm_as_leave(t->mm);
		else if (t->mm)
			mm_detach(t->mm);
	}
	pthread_mutex_lock(&s->lock);
	s->err = err;
	s->ready = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	/* s belongs to the spawner from here on. */
	if (err == 0) {
		pthread_mutex_lock(&start_lock);
		while (!restored_may_run)
			pthread_cond_wait(&start_cond, &start_lock);
		pthread_mutex_unlock(&start_lock);
		task_run(t);
		task_exit(t);
	}
	task_put(t);
	task_thread_ended();
	return NULL;
}

/* Starts t's host thread and waits until its stub exists. */
static int spawn(struct task *t, enum start_kind kind)
{
	struct start s = { .t = t, .kind = kind };
	pthread_attr_t attr;
	pthread_t th;
	int err;

	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 8 << 20);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	task_get(t);
	task_thread_started();
	err = pthread_create(&th, &attr, task_thread, &s);
	pthread_attr_destroy(&attr);
	if (err) {
		task_thread_ended();
		task_put(t);
		err = -EAGAIN;
	} else {
		pthread_mutex_lock(&s.lock);
		while (!s.ready)
			pthread_cond_wait(&s.cond, &s.lock);
		err = s.err;
		pthread_mutex_unlock(&s.lock);
	}
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
	return err;
}

int task_spawn_restored(struct task *t)
{
	pthread_mutex_lock(&start_lock);
	restored_may_run = false;
	pthread_mutex_unlock(&start_lock);
	return spawn(t, START_RESTORED);
}

int task_spawn_restored_thread(struct task *owner, struct task *t)
{
	int err;

	pthread_mutex_lock(&start_lock);
	restored_may_run = false;
	pthread_mutex_unlock(&start_lock);
	err = platform->ctx_clone(owner->ctx, &t->ctx);
	if (err < 0)
		return err;
	mm_as_enter(t->mm);
	return spawn(t, START_THREAD);
}

void task_start_all(void)
{
	pthread_mutex_lock(&start_lock);
	restored_may_run = true;
	pthread_cond_broadcast(&start_cond);
	pthread_mutex_unlock(&start_lock);
}

static int check_flags(const struct clone_req *req)
{
	uint64_t f = req->flags;

	/* Linux's own rules first (copy_process), then what we lack. */
	if ((f & CLONE_SIGHAND) && !(f & CLONE_VM))
		return -EINVAL;
	if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND))
		return -EINVAL;
	if ((f & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
		return -EINVAL;
	if (f & CLONE_NAMESPACES) {
		log_warn_once("clone: new namespaces are not supported");
		return -EINVAL;
	}
	if (f & CLONE_THREAD) {
		if (f & ~(uint64_t)CLONE_THREAD_OK) {
			log_warn_once("clone: unsupported flags for a thread");
			return -EINVAL;
		}
		return 0;
	}
	if (f & CLONE_SIGHAND) {
		log_warn_once("clone: a process sharing its parent's signal handlers (CLONE_SIGHAND) is not supported");
		return -ENOSYS;
	}
	if (f & ~(uint64_t)CLONE_PROCESS_OK) {
		log_warn_once("clone: unsupported flags");
		return -EINVAL;
	}
	if ((f & CLONE_VM) && !(f & CLONE_VFORK)) {
		log_warn_once("clone: CLONE_VM without CLONE_VFORK is not supported yet");
		return -ENOSYS;
	}
	if (req->exit_signal < 0 || req->exit_signal > LINUX_NSIG)
		return -EINVAL;
	return 0;
}

/* What a new task, process or thread, takes from the one that made it
 * besides its address space and group: files and fs context shared or
 * copied as the flags say, credentials, registers, mask, seccomp, and
 * the vector state (the parent is in the sentry: its context holds it). */
static int copy_common(struct task *t, struct task *c, const struct clone_req *req)
{
	if (req->flags & CLONE_FILES) {
		c->fdt = t->fdt;
		__atomic_add_fetch(&c->fdt->refs, 1, __ATOMIC_RELAXED);
	} else if (!(c->fdt = fdtable_dup(t->fdt))) {
		return -ENOMEM;
	}
	if (req->flags & CLONE_FS) {
		c->fs = t->fs;
		__atomic_add_fetch(&c->fs->refs, 1, __ATOMIC_RELAXED);
	} else if (!(c->fs = fs_ctx_copy(t->fs))) {
		return -ENOMEM;
	}
	c->creds = t->creds;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	c->regs = t->regs;
	c->regs.rax = 0;
	if (req->stack)
		c->regs.rsp = req->stack;
	if (req->flags & CLONE_SETTLS)
		c->regs.fs_base = req->tls;
	c->sigmask = t->sigmask;
	/* Linux clears the signal stack of a task that shares the memory
	 * but not the wait of a vfork. */
	if ((req->flags & CLONE_VM) && !(req->flags & CLONE_VFORK))
		memset(&c->altstack, 0, sizeof(c->altstack));
	else
		c->altstack = t->altstack;
	c->no_new_privs = t->no_new_privs;
	c->seccomp_mode = t->seccomp_mode;
	c->seccomp = t->seccomp;
	if (c->seccomp)
		seccomp_filter_get(c->seccomp);
	if (req->flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = req->child_tid;
	c->fpstate_size = arch_xsave_size();
	c->fpstate = aligned_alloc(64, (c->fpstate_size + 63) & ~63u);
	if (!c->fpstate)
		return -ENOMEM;
	memset(c->fpstate, 0, c->fpstate_size);
	if (platform->ctx_get_fpstate(t->ctx, c->fpstate, c->fpstate_size) < 0)
		return -EIO;
	c->fpstate_ok = true;
	return 0;
}

/* Everything of the parent a new process starts with. */
static int copy_task(struct task *t, struct task *c, const struct clone_req *req)
{
	int err = 0;

	c->mm = mm_fork(t->mm, &err);
	if (!c->mm)
		return err;
	err = copy_common(t, c, req);
	if (err < 0)
		return err;
	pthread_mutex_lock(&t->tg->lock);
	memcpy(c->tg->actions, t->tg->actions, sizeof(c->tg->actions));
	memcpy(c->tg->rlimits, t->tg->rlimits, sizeof(c->tg->rlimits));
	pthread_mutex_unlock(&t->tg->lock);
	c->tg->exit_signal = req->exit_signal;
	return 0;
}

/* A new thread shares the group and the address space. */
static int copy_thread(struct task *t, struct task *c, const struct clone_req *req)
{
	c->mm = t->mm;
	mm_get(c->mm);
	return copy_common(t, c, req);
}

static long clone_thread(struct task *t, const struct clone_req *req)
{
	struct thread_group *tg = t->tg;
	struct task *c;
	pid_t tid;
	int err;

	pthread_mutex_lock(&tasklist_lock);
	tid = pid_alloc_locked();
	pthread_mutex_unlock(&tasklist_lock);
	if (tid < 0)
		return tid;
	c = task_alloc_thread(tg, tid);
	if (!c)
		return -ENOMEM;
	err = copy_thread(t, c, req);
	if (err == 0 && (req->flags & CLONE_CHILD_SETTID) && copy_out(c->mm, req->child_tid, &tid, sizeof(tid)) < 0)
		err = -EFAULT;
	if (err == 0 && (req->flags & CLONE_PARENT_SETTID) && copy_out(t->mm, req->parent_tid, &tid, sizeof(tid)) < 0)
		err = -EFAULT;
	if (err == 0)
		err = platform->ctx_clone(t->ctx, &c->ctx);
	if (err < 0) {
		task_put(c);
		return err == -EAGAIN || err == -ENOMEM || err == -EFAULT ? err : -EAGAIN;
	}
	mm_as_enter(c->mm);

	pthread_mutex_lock(&tasklist_lock);
	err = task_dying(t) ? -LINUX_ERESTARTNOINTR : task_may_fork_locked(c->creds.uid, tg->rlimits[RLIMIT_NPROC].rlim_cur);
	if (err == 0)
		err = task_register_thread_locked(c);
	if (err == 0) {
		struct task **pp;

		/* In the order of creation, as Linux's thread list: the
		 * first live one is the heir of a leaving thread's children. */
		pthread_mutex_lock(&tg->lock);
		for (pp = &tg->threads; *pp; pp = &(*pp)->thread_next)
			;
		*pp = c;
		tg->nr_live++;
		pthread_mutex_unlock(&tg->lock);
	}
	pthread_mutex_unlock(&tasklist_lock);
	if (err < 0) {
		platform->ctx_destroy(c->ctx);
		c->ctx = NULL;
		mm_as_leave(c->mm);
		task_put(c);
		return err;
	}
	err = spawn(c, START_THREAD);
	if (err < 0) {
		/* The thread never ran: it goes unseen, as if never made. */
		pthread_mutex_lock(&tasklist_lock);
		pthread_mutex_lock(&tg->lock);
		for (struct task **pp = &tg->threads; *pp; pp = &(*pp)->thread_next)
			if (*pp == c) {
				*pp = c->thread_next;
				tg->nr_live--;
				break;
			}
		pthread_mutex_unlock(&tg->lock);
		if (task_unregister_thread_locked(c))
			task_put(c);	/* the table's */
		pthread_mutex_unlock(&tasklist_lock);
		task_put(c);
		return err == -ENOMEM ? -ENOMEM : -EAGAIN;
	}
	task_put(c);
	return tid;
}

long task_clone(struct task *t, const struct clone_req *req)
{
	struct thread_group *parent;
	struct task *c;
	pid_t pid;
	int err = check_flags(req);

	if (err < 0)
		return err;
	if (req->flags & CLONE_THREAD)
		return clone_thread(t, req);
	pthread_mutex_lock(&tasklist_lock);
	pid = pid_alloc_locked();
	pthread_mutex_unlock(&tasklist_lock);
	if (pid < 0)
		return pid;
	c = task_alloc(pid);
	if (!c)
		return -ENOMEM;
	err = copy_task(t, c, req);
	if (err == 0 && (req->flags & CLONE_CHILD_SETTID) &&
	    copy_out(c->mm, req->child_tid, &pid, sizeof(pid)) < 0)
		err = -EFAULT;
	if (err == 0 && (req->flags & CLONE_PARENT_SETTID) &&
	    copy_out(t->mm, req->parent_tid, &pid, sizeof(pid)) < 0)
		err = -EFAULT;
	if (err < 0) {
		task_put(c);
		return err;
	}

	pthread_mutex_lock(&tasklist_lock);
	/* A fatal signal that came meanwhile wins over the new child
	 * (Linux checks for one at the same point). */
	if (__atomic_load_n(&t->tg->exiting, __ATOMIC_ACQUIRE)) {
		pthread_mutex_unlock(&tasklist_lock);
		task_put(c);
		return -LINUX_ERESTARTNOINTR;
	}
	parent = (req->flags & CLONE_PARENT) && t->tg->parent ? t->tg->parent : t->tg;
	c->tg->parent_thread = parent == t->tg ? t->tid : t->tg->parent_thread;
	c->tg->pgid = t->tg->pgid;
	c->tg->sid = t->tg->sid;
	err = task_may_fork_locked(c->creds.uid, c->tg->rlimits[RLIMIT_NPROC].rlim_cur);
	if (err == 0)
		err = task_register_locked(c, parent);
	pthread_mutex_unlock(&tasklist_lock);
	if (err < 0) {
		task_put(c);
		return err;
	}
	if (req->flags & CLONE_VFORK) {
		task_get(t);
		c->vfork_parent = t;
		__atomic_store_n(&t->vfork_child, pid, __ATOMIC_RELEASE);
	}
	err = spawn(c, START_FORK);
	if (err < 0) {
		/* The child never ran: it goes unseen, as if never made. */
		pthread_mutex_lock(&tasklist_lock);
		task_unregister_locked(c);
		pthread_mutex_unlock(&tasklist_lock);
		task_put(c);	/* the table's */
		__atomic_store_n(&t->vfork_child, 0, __ATOMIC_RELEASE);
		task_put(c);
		return err == -ENOMEM ? -ENOMEM : -EAGAIN;
	}
	task_put(c);
	return pid;
}
