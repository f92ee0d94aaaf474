/* Saving and loading tasks, thread groups, fd tables and fs contexts.
 * Registers are saved as the parked task left them: a call that was
 * interrupted has been rewound (DESIGN.md, "Safe points"), so it runs
 * again after a restore. A restart block's deadline is on the host's
 * monotonic clock: the loader shifts it by the time between checkpoint
 * and restore, so a sleep finishes with what it had left. */
#include "kernel/mm/syscall_patch.h"
#include "kernel/seccomp/seccomp_state.h"
#include "kernel/state/state.h"
#include "kernel/task/task.h"
#include "kernel/syscalls/syscalls.h"
#include "kernel/time/itimer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* restart_syscall continuations by number; 0 is none. */
static long (*const restart_fns[])(struct task *) = { NULL, sleep_restart };

static int restart_kind(long (*fn)(struct task *))
{
	for (size_t i = 0; i < ARRAY_SIZE(restart_fns); i++)
		if (restart_fns[i] == fn)
			return (int)i;
	return -1;
}

static int save_tg(struct save_ctx *c, struct thread_group *tg, uint64_t id)
{
	Amber__Kernel__ThreadGroup *pb = save_alloc(c, sizeof(*pb));

	if (!pb)
		return -ENOMEM;
	amber__kernel__thread_group__init(pb);
	pb->id = id;
	pb->pid = tg->pid;
	pthread_mutex_lock(&tasklist_lock);
	pb->ppid = tg->parent ? tg->parent->pid : 0;
	pb->pgid = tg->pgid;
	pb->sid = tg->sid;
	pb->zombie = tg->zombie;
	pb->execed = tg->execed;
	pb->child_subreaper = tg->child_subreaper;
	pb->parent_thread = tg->parent_thread;
	itimer_real_get(tg, &pb->itimer_value_ns, &pb->itimer_interval_ns);
	pthread_mutex_unlock(&tasklist_lock);
	pb->exit_status = tg->exit_status;
	pb->exit_signal = tg->exit_signal;
	pthread_mutex_lock(&tg->lock);
	pb->shared_pending = tg->shared_pending;
	pb->stopped = tg->stopped;
	pb->stop_report = tg->stop_report;
	pb->cont_report = tg->cont_report;
	pb->cont_notify = tg->cont_notify;
	pthread_mutex_unlock(&tg->lock);
	for (int sig = 1; sig <= LINUX_NSIG; sig++) {
		Amber__Kernel__SigSource *ss;

		if (!(tg->shared_pending & (1ULL << (sig - 1))))
			continue;
		ss = save_alloc(c, sizeof(*ss));
		if (!ss)
			return -ENOMEM;
		amber__kernel__sig_source__init(ss);
		ss->sig = sig;
		ss->code = tg->shared_src[sig - 1].code;
		ss->pid = tg->shared_src[sig - 1].pid;
		ss->uid = tg->shared_src[sig - 1].uid;
		ss->status = tg->shared_src[sig - 1].status;
		if (save_push(c, (void ***)&pb->shared_sources, &pb->n_shared_sources, ss) < 0)
			return -ENOMEM;
	}
	pb->n_actions = LINUX_NSIG;
	pb->actions = save_alloc(c, LINUX_NSIG * sizeof(*pb->actions));
	pb->n_rlimits = RLIM_COUNT;
	pb->rlimits = save_alloc(c, RLIM_COUNT * sizeof(*pb->rlimits));
	if (!pb->actions || !pb->rlimits)
		return -ENOMEM;
	for (int i = 0; i < LINUX_NSIG; i++) {
		Amber__Kernel__SigAction *a = save_alloc(c, sizeof(*a));
		if (!a)
			return -ENOMEM;
		amber__kernel__sig_action__init(a);
		a->handler = tg->actions[i].handler;
		a->flags = tg->actions[i].flags;
		a->restorer = tg->actions[i].restorer;
		a->mask = tg->actions[i].mask;
		pb->actions[i] = a;
	}
	for (int i = 0; i < RLIM_COUNT; i++) {
		Amber__Kernel__Rlimit *r = save_alloc(c, sizeof(*r));
		if (!r)
			return -ENOMEM;
		amber__kernel__rlimit__init(r);
		r->cur = tg->rlimits[i].rlim_cur;
		r->max = tg->rlimits[i].rlim_max;
		pb->rlimits[i] = r;
	}
	return save_push(c, (void ***)&c->k->thread_groups, &c->k->n_thread_groups, pb);
}

static int save_fdtable(struct save_ctx *c, struct fdtable *fdt, uint64_t id)
{
	Amber__Kernel__FdTable *pb = save_alloc(c, sizeof(*pb));
	int err = 0;

	if (!pb)
		return -ENOMEM;
	amber__kernel__fd_table__init(pb);
	pb->id = id;
	pthread_mutex_lock(&fdt->lock);
	pb->size = fdt->size;
	for (int fd = 0; fd < fdt->size && err == 0; fd++) {
		struct file *f = fdt->files[fd];
		Amber__Kernel__Fd *e;
		bool added;
		uint64_t fid;

		if (!f)
			continue;
		e = save_alloc(c, sizeof(*e));
		if (!e) {
			err = -ENOMEM;
			break;
		}
		amber__kernel__fd__init(e);
		fid = idmap_get(&c->files, f, &added);
		if (!fid) {
			err = -ENOMEM;
			break;
		}
		if (added)
			err = file_save(c, f, fid);
		e->fd = fd;
		e->file_id = fid;
		e->cloexec = fdt->cloexec[fd];
		if (err == 0)
			err = save_push(c, (void ***)&pb->fds, &pb->n_fds, e);
	}
	pthread_mutex_unlock(&fdt->lock);
	if (err < 0)
		return err;
	return save_push(c, (void ***)&c->k->fdtables, &c->k->n_fdtables, pb);
}

static int save_fs(struct save_ctx *c, struct fs_ctx *fs, uint64_t id)
{
	Amber__Kernel__FsContext *pb = save_alloc(c, sizeof(*pb));
	char root[PATH_MAX], cwd[PATH_MAX];
	int err;

	if (!pb)
		return -ENOMEM;
	amber__kernel__fs_context__init(pb);
	pb->id = id;
	pthread_mutex_lock(&fs->lock);
	err = vfs_path_name(&sandbox.root, &fs->root, root, sizeof(root));
	if (err >= 0)
		err = vfs_path_name(&sandbox.root, &fs->cwd, cwd, sizeof(cwd));
	pb->umask = fs->umask;
	pthread_mutex_unlock(&fs->lock);
	if (err < 0)
		return err;
	pb->root = save_strdup(c, root);
	pb->cwd = save_strdup(c, cwd);
	if (!pb->root || !pb->cwd)
		return -ENOMEM;
	return save_push(c, (void ***)&c->k->fs_contexts, &c->k->n_fs_contexts, pb);
}

/* Saves a shared object the first time it is seen; returns its id. */
#define SAVE_SHARED(c, map, obj, fn)                                                \
	({                                                                          \
		bool added_;                                                        \
		uint64_t id_ = idmap_get(map, obj, &added_);                        \
		int e_ = !id_ ? -ENOMEM : added_ ? fn(c, obj, id_) : 0;             \
		e_ < 0 ? (int64_t)e_ : (int64_t)id_;                                \
	})

int task_save(struct save_ctx *c, struct task *t)
{
	Amber__Kernel__Task *pb = save_alloc(c, sizeof(*pb));
	Amber__Kernel__Creds *cr = save_alloc(c, sizeof(*cr));
	Amber__Kernel__RestartBlock *rb = save_alloc(c, sizeof(*rb));
	int64_t id;
	int kind;

	if (!pb || !cr || !rb)
		return -ENOMEM;
	amber__kernel__task__init(pb);
	amber__kernel__creds__init(cr);
	amber__kernel__restart_block__init(rb);
	/* A zombie is its thread group's status, and a leader that ended
	 * alone only holds the group's pid: no memory, files or registers.
	 * A thread that has ended is gone (it is leaving the table). */
	bool zombie = t->exited;

	if (zombie && t != t->tg->leader)
		return 0;

	if (!zombie && !t->fpstate_ok) {
		snprintf(c->err, sizeof(c->err), "task %d: cannot read its FPU state", t->tid);
		return -EIO;
	}
	pb->tid = t->tid;
	if ((id = SAVE_SHARED(c, &c->tgs, t->tg, save_tg)) < 0)
		return (int)id;
	pb->tg_id = (uint64_t)id;
	if (zombie) {
		pb->exited = !t->tg->zombie;
		pb->comm = save_strdup(c, t->comm);
		if (!pb->comm)
			return -ENOMEM;
		return save_push(c, (void ***)&c->k->tasks, &c->k->n_tasks, pb);
	}
	if ((id = SAVE_SHARED(c, &c->mms, t->mm, mm_save)) < 0)
		return (int)id;
	pb->mm_id = (uint64_t)id;
	if ((id = SAVE_SHARED(c, &c->fdtables, t->fdt, save_fdtable)) < 0)
		return (int)id;
	pb->fdtable_id = (uint64_t)id;
	pb->vfork_child = __atomic_load_n(&t->vfork_child, __ATOMIC_ACQUIRE);
	pb->pdeath_signal = t->pdeath_signal;
	if ((id = SAVE_SHARED(c, &c->fs, t->fs, save_fs)) < 0)
		return (int)id;
	pb->fs_id = (uint64_t)id;

	cr->n_uids = 4;
	cr->uids = save_alloc(c, 4 * sizeof(uint32_t));
	cr->n_gids = 4;
	cr->gids = save_alloc(c, 4 * sizeof(uint32_t));
	cr->n_groups = (size_t)t->creds.ngroups;
	cr->groups = save_alloc(c, sizeof(t->creds.groups));
	if (!cr->uids || !cr->gids || !cr->groups)
		return -ENOMEM;
	cr->uids[0] = t->creds.uid, cr->uids[1] = t->creds.euid, cr->uids[2] = t->creds.suid, cr->uids[3] = t->creds.fsuid;
	cr->gids[0] = t->creds.gid, cr->gids[1] = t->creds.egid, cr->gids[2] = t->creds.sgid, cr->gids[3] = t->creds.fsgid;
	memcpy(cr->groups, t->creds.groups, sizeof(t->creds.groups));
	pb->creds = cr;
	pb->comm = save_strdup(c, t->comm);
	pb->n_regs = sizeof(t->regs) / sizeof(uint64_t);
	pb->regs = save_alloc(c, sizeof(t->regs));
	pb->fpstate.len = t->fpstate_size;
	pb->fpstate.data = save_alloc(c, t->fpstate_size);
	if (!pb->comm || !pb->regs || !pb->fpstate.data)
		return -ENOMEM;
	memcpy(pb->regs, &t->regs, sizeof(t->regs));
	memcpy(pb->fpstate.data, t->fpstate, t->fpstate_size);
	pb->sigmask = t->sigmask;
	pb->saved_sigmask = t->saved_sigmask;
	pb->has_saved_sigmask = t->has_saved_sigmask;
	pb->altstack_sp = t->altstack.ss_sp;
	pb->altstack_flags = t->altstack.ss_flags;
	pb->altstack_size = t->altstack.ss_size;
	pb->clear_child_tid = t->clear_child_tid;
	pb->robust_list = t->robust_list;
	pb->robust_len = t->robust_len;
	pb->pending = t->pending;
	kind = restart_kind(t->restart.fn);
	if (kind < 0) {
		snprintf(c->err, sizeof(c->err), "task %d: a restart block of an unknown kind", t->tid);
		return -ENOTSUP;
	}
	rb->kind = (uint32_t)kind;
	rb->clockid = t->restart.clockid;
	rb->deadline_ns = t->restart.deadline_ns;
	rb->rem = t->restart.rem;
	rb->uaddr = t->restart.uaddr;
	rb->val = t->restart.val;
	rb->bitset = t->restart.bitset;
	pb->restart = rb;
	if (seccomp_state_save(c, t, pb) < 0)
		return -ENOMEM;
	return save_push(c, (void ***)&c->k->tasks, &c->k->n_tasks, pb);
}

/* ---- load ---- */

static int bad(struct load_ctx *c, const char *what, unsigned long id)
{
	snprintf(c->err, sizeof(c->err), "kernel.pb: %s %lu", what, id);
	return -EINVAL;
}

/* Checks that ids are 1..n in order, so that id - 1 indexes the list. */
#define CHECK_IDS(c, list, n, what)                                   \
	do {                                                          \
		for (size_t i_ = 0; i_ < (n); i_++)                   \
			if ((list)[i_]->id != i_ + 1)                 \
				return bad(c, what " with id", (unsigned long)(list)[i_]->id); \
	} while (0)

/* Fills a table the tasks already hold. Runs once the tasks are in the
 * table: a file under /proc (a task's status, say) is opened only now
 * (kernel_load leaves it), as its path names a task. */
static int load_fdtable(struct load_ctx *c, const Amber__Kernel__FdTable *pb, struct fdtable *fdt)
{
	struct task tmp = { 0 };
	struct thread_group tg = { 0 };
	int err = 0;

	/* fd_replace works on a task: lend it one with no limit. */
	tg.rlimits[RLIMIT_NOFILE].rlim_cur = 1 << 20;
	tmp.tg = &tg;
	tmp.fdt = fdt;
	for (size_t i = 0; i < pb->n_fds && err == 0; i++) {
		const Amber__Kernel__Fd *e = pb->fds[i];
		struct file **f;

		if (!e->file_id || e->file_id > c->k->n_files || e->fd < 0 || e->fd >= (1 << 20))
			return bad(c, "fd table", (unsigned long)pb->id);
		f = &c->files[e->file_id - 1];
		if (!*f && (err = file_load(c, c->k->files[e->file_id - 1], f)) < 0)
			return err;
		err = fd_replace(&tmp, e->fd, *f, e->cloexec);
		if (err > 0)
			err = 0;	/* the fd */
	}
	return err;
}

static int load_fs(struct load_ctx *c, const Amber__Kernel__FsContext *pb, struct fs_ctx **out)
{
	struct path root, cwd;
	int err;

	if (!pb->root || !pb->cwd)
		return bad(c, "fs context", (unsigned long)pb->id);
	err = vfs_lookup(&sandbox.root, &sandbox.root, pb->root, LOOKUP_DIRECTORY, &root);
	if (err < 0) {
		snprintf(c->err, sizeof(c->err), "root directory %s: %s", pb->root, strerror(-err));
		return err;
	}
	err = vfs_lookup(&sandbox.root, &sandbox.root, pb->cwd, LOOKUP_DIRECTORY, &cwd);
	if (err < 0) {
		path_put(&root);
		snprintf(c->err, sizeof(c->err), "working directory %s: %s", pb->cwd, strerror(-err));
		return err;
	}
	*out = fs_ctx_new(&root, &cwd);
	path_put(&root);
	path_put(&cwd);
	if (!*out)
		return -ENOMEM;
	(*out)->umask = pb->umask & 0777;
	return 0;
}

/* What the image says of a thread group, into t's own. */
static int load_tg(struct load_ctx *c, const Amber__Kernel__ThreadGroup *tgp, struct task *t)
{
	struct thread_group *tg = t->tg;

	if (tgp->n_actions != LINUX_NSIG || tgp->n_rlimits != RLIM_COUNT || tgp->pid != t->tid ||
	    tgp->pgid <= 0 || tgp->pgid >= PID_MAX || tgp->sid <= 0 || tgp->sid >= PID_MAX ||
	    tgp->exit_signal < 0 || tgp->exit_signal > LINUX_NSIG || tgp->stop_report < 0 ||
	    tgp->stop_report > LINUX_NSIG)
		return bad(c, "thread group", (unsigned long)tgp->id);
	if (tgp->itimer_value_ns < 0 || tgp->itimer_interval_ns < 0)
		return bad(c, "thread group's interval timer", (unsigned long)tgp->id);
	tg->pgid = tgp->pgid;
	tg->sid = tgp->sid;
	tg->zombie = tgp->zombie;
	tg->execed = tgp->execed;
	tg->child_subreaper = tgp->child_subreaper;
	tg->exit_signal = tgp->exit_signal;
	tg->exit_status = tgp->exit_status;
	tg->exiting = tgp->zombie;
	tg->shared_pending = tgp->shared_pending;
	tg->stopped = tgp->stopped;
	tg->stop_report = tgp->stop_report;
	tg->cont_report = tgp->cont_report;
	tg->cont_notify = tgp->cont_notify;
	for (size_t i = 0; i < tgp->n_shared_sources; i++) {
		const Amber__Kernel__SigSource *ss = tgp->shared_sources[i];

		if (ss->sig < 1 || ss->sig > LINUX_NSIG)
			return bad(c, "thread group's signal source", (unsigned long)tgp->id);
		tg->shared_src[ss->sig - 1] = (struct sig_source){ .code = ss->code, .pid = ss->pid,
								   .uid = ss->uid, .status = ss->status };
	}
	for (int i = 0; i < LINUX_NSIG; i++) {
		tg->actions[i].handler = tgp->actions[i]->handler;
		tg->actions[i].flags = tgp->actions[i]->flags;
		tg->actions[i].restorer = tgp->actions[i]->restorer;
		tg->actions[i].mask = tgp->actions[i]->mask;
	}
	for (int i = 0; i < RLIM_COUNT; i++) {
		tg->rlimits[i].rlim_cur = tgp->rlimits[i]->cur;
		tg->rlimits[i].rlim_max = tgp->rlimits[i]->max;
	}
	return 0;
}

/* A live task's registers, memory, files and signal state. */
static int load_live(struct load_ctx *c, const Amber__Kernel__Task *pb, struct task *t)
{
	if (!pb->mm_id || pb->mm_id > c->k->n_mms || !pb->fdtable_id || pb->fdtable_id > c->k->n_fdtables ||
	    !pb->fs_id || pb->fs_id > c->k->n_fs_contexts ||
	    pb->n_regs != sizeof(struct arch_regs) / sizeof(uint64_t) || pb->fpstate.len != arch_xsave_size() ||
	    !pb->creds || pb->creds->n_uids != 4 || pb->creds->n_gids != 4 || pb->creds->n_groups > 32 ||
	    !pb->restart || pb->restart->kind >= ARRAY_SIZE(restart_fns) || pb->vfork_child < 0 ||
	    pb->vfork_child >= PID_MAX || pb->pdeath_signal < 0 || pb->pdeath_signal > LINUX_NSIG)
		return bad(c, "task", (unsigned long)pb->tid);
	t->mm = c->mms[pb->mm_id - 1];
	mm_get(t->mm);
	t->fdt = c->fdtables[pb->fdtable_id - 1];
	__atomic_add_fetch(&t->fdt->refs, 1, __ATOMIC_RELAXED);
	t->fs = c->fs[pb->fs_id - 1];
	__atomic_add_fetch(&t->fs->refs, 1, __ATOMIC_RELAXED);
	t->creds.uid = pb->creds->uids[0], t->creds.euid = pb->creds->uids[1];
	t->creds.suid = pb->creds->uids[2], t->creds.fsuid = pb->creds->uids[3];
	t->creds.gid = pb->creds->gids[0], t->creds.egid = pb->creds->gids[1];
	t->creds.sgid = pb->creds->gids[2], t->creds.fsgid = pb->creds->gids[3];
	t->creds.ngroups = (int)pb->creds->n_groups;
	if (pb->creds->n_groups)
		memcpy(t->creds.groups, pb->creds->groups, pb->creds->n_groups * sizeof(uint32_t));
	memcpy(&t->regs, pb->regs, sizeof(t->regs));
	t->fpstate_size = (uint32_t)pb->fpstate.len;
	t->fpstate = aligned_alloc(64, (t->fpstate_size + 63) & ~63u);
	if (!t->fpstate)
		return -ENOMEM;
	memcpy(t->fpstate, pb->fpstate.data, pb->fpstate.len);
	t->fpstate_ok = true;
	t->sigmask = pb->sigmask;
	t->saved_sigmask = pb->saved_sigmask;
	t->has_saved_sigmask = pb->has_saved_sigmask;
	t->altstack.ss_sp = pb->altstack_sp;
	t->altstack.ss_flags = pb->altstack_flags;
	t->altstack.ss_size = pb->altstack_size;
	t->clear_child_tid = pb->clear_child_tid;
	t->robust_list = pb->robust_list;
	t->robust_len = pb->robust_len;
	t->pending = pb->pending;
	t->vfork_child = pb->vfork_child;
	t->pdeath_signal = pb->pdeath_signal;
	t->restart.fn = restart_fns[pb->restart->kind];
	t->restart.clockid = pb->restart->clockid;
	t->restart.deadline_ns = pb->restart->deadline_ns + c->mono_shift;
	t->restart.rem = pb->restart->rem;
	t->restart.uaddr = pb->restart->uaddr;
	t->restart.val = pb->restart->val;
	t->restart.bitset = pb->restart->bitset;
	return seccomp_state_load(c, pb, t);
}

/* Puts a live thread in its group's list, after the leader and by tid
 * (the order of creation, but for pids that wrapped). */
static void link_thread(struct thread_group *tg, struct task *t)
{
	struct task **pp = &tg->threads;

	if (t != tg->leader)
		while (*pp && (*pp == tg->leader || (*pp)->tid < t->tid))
			pp = &(*pp)->thread_next;
	t->thread_next = *pp;
	*pp = t;
	tg->nr_live++;
}

/* A group's leader (tid the group's pid) makes the group; its other
 * threads join it, so leaders are loaded first (tgs by id - 1). A
 * zombie is only its group's status; a leader that ended alone while
 * its group runs only holds the pid. */
static int load_task(struct load_ctx *c, const Amber__Kernel__Task *pb, struct thread_group **tgs,
		     struct task **out)
{
	const Amber__Kernel__ThreadGroup *tgp;
	struct task *t;
	bool leader, exited;
	int err;

	if (pb->tid <= 0 || pb->tid >= PID_MAX || !pb->tg_id || pb->tg_id > c->k->n_thread_groups)
		return bad(c, "task", (unsigned long)pb->tid);
	tgp = c->k->thread_groups[pb->tg_id - 1];
	leader = pb->tid == tgp->pid;
	exited = tgp->zombie || pb->exited;
	if ((tgp->zombie && (!leader || pb->exited)) || (pb->exited && !leader) || exited != !pb->mm_id ||
	    (exited && (pb->fdtable_id || pb->fs_id)))
		return bad(c, "task", (unsigned long)pb->tid);
	if (leader) {
		if (tgs[pb->tg_id - 1])
			return bad(c, "thread group with two leaders:", (unsigned long)pb->tg_id);
		t = task_alloc(pb->tid);
	} else {
		if (!tgs[pb->tg_id - 1])
			return bad(c, "thread group without its leader:", (unsigned long)pb->tg_id);
		t = task_alloc_thread(tgs[pb->tg_id - 1], pb->tid);
	}
	if (!t)
		return -ENOMEM;
	snprintf(t->comm, sizeof(t->comm), "%s", pb->comm ? pb->comm : "");
	err = 0;
	if (leader) {
		/* task_alloc made the leader its group's one live thread. */
		t->tg->threads = NULL;
		t->tg->nr_live = 0;
		err = load_tg(c, tgp, t);
	}
	if (err == 0 && exited)
		t->exited = t->exit_settled = true;
	else if (err == 0)
		err = load_live(c, pb, t);
	if (err < 0) {
		task_put(t);
		return err;
	}
	if (!exited)
		link_thread(t->tg, t);
	if (leader)
		tgs[pb->tg_id - 1] = t->tg;
	*out = t;
	return 0;
}

static int by_tid(const void *a, const void *b)
{
	const struct task *x = *(struct task *const *)a, *y = *(struct task *const *)b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static struct task *find_loaded(struct task **list, size_t n, pid_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (list[i]->tid == tid)
			return list[i];
	return NULL;
}

/* The process tree as the image has it: each task under its parent,
 * the vfork children's parents held. */
static int link_tasks(struct load_ctx *c, struct task **list, size_t n)
{
	const KernelPb *k = c->k;
	size_t done = 0;
	int err = 0;

	for (size_t i = 1; i < n; i++)
		if (list[i]->tid == list[i - 1]->tid)
			return bad(c, "task id used twice:", (unsigned long)list[i]->tid);
	if (list[0]->tid != 1 || list[0]->tg->zombie)
		return bad(c, "no live init task; the first is", (unsigned long)list[0]->tid);
	for (size_t i = 0; i < n; i++) {
		pid_t vc = list[i]->vfork_child;
		struct task *child = vc ? find_loaded(list, n, vc) : NULL;

		if (vc && (!child || child->exited))
			return bad(c, "vfork child", (unsigned long)vc);
	}
	pthread_mutex_lock(&tasklist_lock);
	for (; done < n; done++) {
		const Amber__Kernel__ThreadGroup *tgp = NULL;
		struct task *t = list[done], *parent = NULL;

		for (size_t j = 0; j < k->n_tasks; j++)
			if (k->tasks[j]->tid == t->tid)
				tgp = k->thread_groups[k->tasks[j]->tg_id - 1];
		if (t != t->tg->leader) {
			err = task_register_thread_locked(t);
			if (err < 0)
				break;
			continue;
		}
		if (done > 0 &&
		    (!(parent = find_loaded(list, n, tgp->ppid)) || parent != parent->tg->leader || parent->tg->zombie)) {
			err = bad(c, "task's parent", (unsigned long)tgp->ppid);
			break;
		}
		err = task_register_locked(t, parent ? parent->tg : NULL);
		if (err < 0)
			break;
		t->tg->parent_thread = tgp->parent_thread ? tgp->parent_thread : tgp->ppid;
	}
	/* Those put in the table come out again: the caller puts the rest. */
	for (size_t i = 0; err < 0 && i < done; i++) {
		if (list[i] == list[i]->tg->leader)
			task_unregister_locked(list[i]);
		else
			task_unregister_thread_locked(list[i]);
		task_put(list[i]);
	}
	pthread_mutex_unlock(&tasklist_lock);
	if (err < 0)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (list[i]->vfork_child) {
			struct task *child = find_loaded(list, n, list[i]->vfork_child);

			task_get(list[i]);
			child->vfork_parent = list[i];
		}
	}
	return 0;
}

/* The live processes' interval timers go on with what they had left,
 * once nothing can fail any more (an armed timer names its group). */
static int arm_timers(struct load_ctx *c, struct task **list, size_t n)
{
	const KernelPb *k = c->k;
	int64_t ov, oi;
	int err = 0;

	for (size_t j = 0; j < k->n_tasks && err == 0; j++) {
		const Amber__Kernel__ThreadGroup *tgp = k->thread_groups[k->tasks[j]->tg_id - 1];
		struct task *t = find_loaded(list, n, k->tasks[j]->tid);

		if (t == t->tg->leader && !tgp->zombie && tgp->itimer_value_ns > 0)
			err = itimer_real_set(t->tg, tgp->itimer_value_ns, tgp->itimer_interval_ns, &ov, &oi);
	}
	return err;
}

/* What the image's threads must be: a live group has a live thread,
 * its threads share one address space, and no address space serves two
 * groups (a process sharing memory without being a thread is not
 * supported). Then who makes each address space's stub on restore: its
 * first live thread, which then has the others made (restore_threads). */
static int check_threads(struct load_ctx *c, struct task **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct task *t = list[i];

		if (t == t->tg->leader && !t->tg->zombie && t->tg->nr_live == 0)
			return bad(c, "thread group without a live thread:", (unsigned long)t->tid);
		if (t->exited)
			continue;
		for (size_t j = 0; j < i; j++) {
			struct task *o = list[j];

			if (o->exited || o->mm != t->mm)
				continue;
			if (o->tg != t->tg)
				return bad(c, "address space shared by two processes, task", (unsigned long)t->tid);
			/* o comes first (list is by tid): it makes the stub. */
			while (o->restore_by)
				o = o->restore_by;
			t->restore_by = o;
			task_get(t);
			t->restore_next = o->restore_threads;
			o->restore_threads = t;
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (!list[j]->exited && list[j]->tg == t->tg && list[j]->mm != t->mm)
				return bad(c, "threads of one group in two address spaces, task", (unsigned long)t->tid);
	}
	return 0;
}

/* Drops what check_threads set up (a restore that does not go ahead). */
static void drop_restore_threads(struct task **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct task *o;

		while ((o = list[i]->restore_threads)) {
			list[i]->restore_threads = o->restore_next;
			o->restore_next = NULL;
			task_put(o);
		}
	}
}

int task_load_all(struct load_ctx *c, struct task ***tasks, size_t *ntasks)
{
	const KernelPb *k = c->k;
	struct thread_group **tgs;
	struct task **list;
	bool registered = false;
	int err = 0;

	CHECK_IDS(c, k->fdtables, k->n_fdtables, "fd table");
	CHECK_IDS(c, k->fs_contexts, k->n_fs_contexts, "fs context");
	CHECK_IDS(c, k->thread_groups, k->n_thread_groups, "thread group");
	if (k->n_tasks == 0 || k->n_tasks >= PID_MAX || k->n_thread_groups > k->n_tasks)
		return bad(c, "task count:", (unsigned long)k->n_tasks);
	c->fdtables = calloc(k->n_fdtables + 1, sizeof(*c->fdtables));
	c->fs = calloc(k->n_fs_contexts + 1, sizeof(*c->fs));
	list = calloc(k->n_tasks, sizeof(*list));
	tgs = calloc(k->n_thread_groups + 1, sizeof(*tgs));
	if (!c->fdtables || !c->fs || !list || !tgs) {
		free(list);
		free(tgs);
		return -ENOMEM;
	}
	/* Empty: filled once the tasks are in the table (load_fdtable). */
	for (size_t i = 0; i < k->n_fdtables && err == 0; i++)
		if (!(c->fdtables[i] = fdtable_new()))
			err = -ENOMEM;
	for (size_t i = 0; i < k->n_fs_contexts && err == 0; i++)
		err = load_fs(c, k->fs_contexts[i], &c->fs[i]);
	/* Leaders first: they make the groups their threads join. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < k->n_tasks && err == 0; i++) {
			const Amber__Kernel__Task *pb = k->tasks[i];
			bool leader = pb->tg_id && pb->tg_id <= k->n_thread_groups &&
				      pb->tid == k->thread_groups[pb->tg_id - 1]->pid;

			if (leader == (pass == 0))
				err = load_task(c, pb, tgs, &list[i]);
		}
	for (size_t i = 0; i < k->n_thread_groups && err == 0; i++)
		if (!tgs[i])
			err = bad(c, "thread group without its leader:", (unsigned long)(i + 1));
	free(tgs);
	if (err == 0) {
		qsort(list, k->n_tasks, sizeof(*list), by_tid);
		err = check_threads(c, list, k->n_tasks);
		if (err == 0 && (err = link_tasks(c, list, k->n_tasks)) == 0) {
			registered = true;
			for (size_t i = 0; i < k->n_fdtables && err == 0; i++)
				err = load_fdtable(c, k->fdtables[i], c->fdtables[i]);
			if (err == 0)
				err = arm_timers(c, list, k->n_tasks);
		}
		if (err < 0 && registered) {
			for (size_t i = 0; i < k->n_tasks; i++)
				itimer_real_cancel(list[i]->tg);
			pthread_mutex_lock(&tasklist_lock);
			for (size_t i = 0; i < k->n_tasks; i++) {
				if (list[i] == list[i]->tg->leader)
					task_unregister_locked(list[i]);
				else
					task_unregister_thread_locked(list[i]);
				task_put(list[i]);
			}
			pthread_mutex_unlock(&tasklist_lock);
		}
		if (err < 0)
			drop_restore_threads(list, k->n_tasks);
	}
	if (err < 0) {
		for (size_t i = 0; i < k->n_tasks; i++)
			if (list[i])
				task_put(list[i]);
		free(list);
		return err;
	}
	*tasks = list;
	*ntasks = k->n_tasks;
	return 0;
}

int task_restore_platform(struct task *t)
{
	struct task *o;
	int err = 0;

	/* A leader that ended alone: its group's stub is another thread's. */
	if (t->mm) {
		err = task_make_stub(t);
		/* Patched sites jump through a pointer that was the saving
		 * sentry's platform's. */
		if (err == 0)
			err = syscall_patch_rebind(t->mm);
	}
	/* The other threads in this address space: their stub threads are
	 * made through this one's. */
	while ((o = t->restore_threads)) {
		t->restore_threads = o->restore_next;
		o->restore_next = NULL;
		if (err == 0)
			err = task_spawn_restored_thread(t, o);
		task_put(o);
	}
	return err;
}
