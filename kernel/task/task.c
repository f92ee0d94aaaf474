/* Tasks and the task loop: run application code until it needs the
 * kernel, handle that, deliver signals, repeat. */
#include "kernel/task/task.h"
#include "kernel/lib/log.h"
#include "kernel/mm/syscall_patch.h"
#include "kernel/seccomp/seccomp.h"
#include "kernel/syscalls/syscalls.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

struct sandbox sandbox;
static __thread struct task *current_task;

pthread_mutex_t tasklist_lock = PTHREAD_MUTEX_INITIALIZER;
/* Every task from its creation until it is reaped, each counted. */
static struct task **tasks;
static size_t ntasks, tasks_cap;
static pid_t last_pid;

struct task *task_current(void)
{
	return current_task;
}

void task_set_current(struct task *t)
{
	current_task = t;
}

void task_get(struct task *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

struct task *task_find(pid_t tid, bool zombies)
{
	struct task *found = NULL;

	pthread_mutex_lock(&tasklist_lock);
	for (size_t i = 0; i < ntasks; i++) {
		if (tasks[i]->tid == tid && (zombies || !tasks[i]->exited)) {
			found = tasks[i];
			task_get(found);
			break;
		}
	}
	pthread_mutex_unlock(&tasklist_lock);
	return found;
}

int task_list(struct task **out, int max)
{
	int n = 0;

	pthread_mutex_lock(&tasklist_lock);
	for (size_t i = 0; i < ntasks && n < max; i++) {
		if (!tasks[i]->exited) {
			task_get(tasks[i]);
			out[n++] = tasks[i];
		}
	}
	pthread_mutex_unlock(&tasklist_lock);
	return n;
}

int task_list_all(struct task ***out)
{
	struct task **list;
	size_t n;

	pthread_mutex_lock(&tasklist_lock);
	n = ntasks;
	list = malloc((n ? n : 1) * sizeof(*list));
	if (list)
		for (size_t i = 0; i < n; i++) {
			list[i] = tasks[i];
			task_get(list[i]);
		}
	pthread_mutex_unlock(&tasklist_lock);
	if (!list)
		return -ENOMEM;
	*out = list;
	return (int)n;
}

int task_count_live(void)
{
	int n = 0;

	pthread_mutex_lock(&tasklist_lock);
	for (size_t i = 0; i < ntasks; i++)
		n += !tasks[i]->exited;
	pthread_mutex_unlock(&tasklist_lock);
	return n;
}

int task_may_fork_locked(uint32_t uid, uint64_t limit)
{
	uint64_t mine = 0;

	if (sandbox.pids_max && ntasks >= sandbox.pids_max)
		return -EAGAIN;
	if (uid == 0 || limit == RLIM_INFINITY)
		return 0;
	for (size_t i = 0; i < ntasks; i++)
		mine += !tasks[i]->exited && tasks[i]->creds.uid == uid;
	return mine >= limit ? -EAGAIN : 0;
}

static bool pid_used_locked(pid_t pid)
{
	for (size_t i = 0; i < ntasks; i++) {
		struct thread_group *tg = tasks[i]->tg;
		if (tasks[i]->tid == pid || tg->pgid == pid || tg->sid == pid)
			return true;
	}
	return false;
}

pid_t pid_alloc_locked(void)
{
	/* Like Linux, a pid still naming a process group or session is
	 * not handed out again. */
	for (int tries = 0; tries < PID_MAX; tries++) {
		pid_t pid = last_pid + 1 >= PID_MAX ? 300 : last_pid + 1;

		last_pid = pid;
		if (!pid_used_locked(pid))
			return pid;
	}
	return -EAGAIN;
}

int task_register_locked(struct task *t, struct thread_group *parent)
{
	int err = task_register_thread_locked(t);

	if (err < 0)
		return err;
	t->tg->parent = parent;
	if (parent) {
		t->tg->sibling = parent->children;
		parent->children = t->tg;
	}
	return 0;
}

/* Takes t out of the table and its parent's children (tasklist_lock
 * held); the caller drops the table's reference. */
void task_unregister_locked(struct task *t)
{
	struct thread_group *tg = t->tg;

	for (size_t i = 0; i < ntasks; i++) {
		if (tasks[i] == t) {
			tasks[i] = tasks[--ntasks];
			break;
		}
	}
	if (tg->parent) {
		struct thread_group **pp = &tg->parent->children;
		while (*pp && *pp != tg)
			pp = &(*pp)->sibling;
		if (*pp)
			*pp = tg->sibling;
		tg->parent = NULL;
	}
}

bool task_unregister_thread_locked(struct task *t)
{
	for (size_t i = 0; i < ntasks; i++) {
		if (tasks[i] == t) {
			tasks[i] = tasks[--ntasks];
			return true;
		}
	}
	return false;
}

/* Every task in the table (tasklist_lock held): the caller walks them. */
struct task **task_table_locked(size_t *n)
{
	*n = ntasks;
	return tasks;
}

pid_t task_ppid(struct task *t)
{
	pid_t ppid;

	pthread_mutex_lock(&tasklist_lock);
	ppid = t->tg->parent ? t->tg->parent->pid : 0;
	pthread_mutex_unlock(&tasklist_lock);
	return ppid;
}

struct mm *task_get_mm(struct task *t)
{
	struct mm *mm;

	pthread_mutex_lock(&t->alloc_lock);
	mm = t->mm;
	if (mm)
		mm_get(mm);
	pthread_mutex_unlock(&t->alloc_lock);
	return mm;
}

struct fdtable *task_get_fdt(struct task *t)
{
	struct fdtable *fdt;

	pthread_mutex_lock(&t->alloc_lock);
	fdt = t->fdt;
	if (fdt)
		__atomic_add_fetch(&fdt->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->alloc_lock);
	return fdt;
}

struct fs_ctx *task_get_fs(struct task *t)
{
	struct fs_ctx *fs;

	pthread_mutex_lock(&t->alloc_lock);
	fs = t->fs;
	if (fs)
		__atomic_add_fetch(&fs->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->alloc_lock);
	return fs;
}

static void default_rlimits(struct linux_rlimit *r)
{
	for (int i = 0; i < RLIM_COUNT; i++)
		r[i].rlim_cur = r[i].rlim_max = RLIM_INFINITY;
	r[RLIMIT_STACK].rlim_cur = 8 << 20;
	r[RLIMIT_NOFILE].rlim_cur = 1024;
	r[RLIMIT_NOFILE].rlim_max = 524288;
	r[RLIMIT_CORE].rlim_cur = 0;
	r[RLIMIT_MEMLOCK].rlim_cur = r[RLIMIT_MEMLOCK].rlim_max = 8 << 20;
	r[RLIMIT_NPROC].rlim_cur = r[RLIMIT_NPROC].rlim_max = 4096;
	r[RLIMIT_SIGPENDING].rlim_cur = r[RLIMIT_SIGPENDING].rlim_max = 4096;
	r[RLIMIT_MSGQUEUE].rlim_cur = r[RLIMIT_MSGQUEUE].rlim_max = 819200;
}

struct task *task_alloc(pid_t tid)
{
	struct task *t = calloc(1, sizeof(*t));
	struct thread_group *tg = calloc(1, sizeof(*tg));

	if (!t || !tg)
		goto err;
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->wake_fd < 0)
		goto err;
	t->refs = 1;
	t->tid = tid;
	t->tg = tg;
	pthread_mutex_init(&t->alloc_lock, NULL);
	tg->refs = 1;
	tg->pid = tg->pgid = tg->sid = tid;
	tg->exit_signal = SIGCHLD;
	tg->leader = t;
	tg->threads = t;
	tg->nr_live = 1;
	pthread_mutex_init(&tg->lock, NULL);
	pthread_cond_init(&tg->ended, NULL);
	default_rlimits(tg->rlimits);
	return t;
err:
	if (t && t->wake_fd > 0)
		close(t->wake_fd);
	free(t);
	free(tg);
	return NULL;
}

struct task *task_alloc_thread(struct thread_group *tg, pid_t tid)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->wake_fd < 0) {
		free(t);
		return NULL;
	}
	t->refs = 1;
	t->tid = tid;
	t->tg = tg;
	__atomic_add_fetch(&tg->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_init(&t->alloc_lock, NULL);
	return t;
}

int task_register_thread_locked(struct task *t)
{
	if (ntasks == tasks_cap) {
		size_t cap = tasks_cap ? tasks_cap * 2 : 64;
		struct task **nt;

		if (cap > PID_MAX)
			return -EAGAIN;
		nt = realloc(tasks, cap * sizeof(*nt));
		if (!nt)
			return -EAGAIN;
		tasks = nt;
		tasks_cap = cap;
	}
	task_get(t);
	tasks[ntasks++] = t;
	if (t->tid > last_pid)
		last_pid = t->tid;
	return 0;
}

struct task *task_new_initial(void)
{
	struct task *t = task_alloc(1);
	int err;

	if (!t)
		return NULL;
	t->creds.uid = t->creds.euid = t->creds.suid = t->creds.fsuid = (uint32_t)getuid();
	t->creds.gid = t->creds.egid = t->creds.sgid = t->creds.fsgid = (uint32_t)getgid();
	pthread_mutex_lock(&tasklist_lock);
	err = task_register_locked(t, NULL);
	pthread_mutex_unlock(&tasklist_lock);
	if (err < 0) {
		task_put(t);
		return NULL;
	}
	/* The table's reference: dropped when the sandbox ends. */
	return t;
}

void task_put(struct task *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (t->fdt)
		fdtable_put(t->fdt);
	if (t->fs)
		fs_ctx_put(t->fs);
	seccomp_filter_put(t->seccomp);
	/* A context goes before its address space (platform.h). */
	if (t->ctx)
		platform->ctx_destroy(t->ctx);
	mm_put(t->mm);
	if (t->vfork_parent)
		task_put(t->vfork_parent);
	if (__atomic_sub_fetch(&t->tg->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		pthread_mutex_destroy(&t->tg->lock);
		pthread_cond_destroy(&t->tg->ended);
		free(t->tg);
	}
	pthread_mutex_destroy(&t->alloc_lock);
	close(t->wake_fd);
	free(t->fpstate);
	free(t);
}

void task_exit_group(struct task *t, int status)
{
	pthread_mutex_lock(&t->tg->lock);
	if (!t->tg->exiting) {
		t->tg->exit_status = status;
		__atomic_store_n(&t->tg->exiting, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&t->tg->lock);
	task_interrupt_group(t->tg);
}

void task_exit_thread(struct task *t, int code)
{
	struct thread_group *tg = t->tg;
	bool last;

	/* The last thread's exit is the group's, with its code (Linux's
	 * synchronize_group_exit, since 5.19). */
	pthread_mutex_lock(&tg->lock);
	last = tg->nr_live == 1;
	if (!last)
		t->exit_alone = true;
	pthread_mutex_unlock(&tg->lock);
	if (last)
		task_exit_group(t, (code & 0xff) << 8);
}

void task_interrupt_group(struct thread_group *tg)
{
	pthread_mutex_lock(&tg->lock);
	for (struct task *o = tg->threads; o; o = o->thread_next)
		task_interrupt(o);
	pthread_mutex_unlock(&tg->lock);
}

void task_interrupt(struct task *t)
{
	uint64_t one = 1;

	if (write(t->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("task %d: cannot wake: %d", t->tid, errno);
	if (__atomic_load_n(&t->in_app, __ATOMIC_SEQ_CST) && t->ctx)
		platform_interrupt(t->ctx);
}

bool task_dying(struct task *t)
{
	struct task *ex = __atomic_load_n(&t->tg->exec_task, __ATOMIC_ACQUIRE);

	return __atomic_load_n(&t->tg->exiting, __ATOMIC_ACQUIRE) || t->exit_alone || (ex && ex != t);
}

int task_run(struct task *t)
{
	struct fault_info fi = { 0 };
	uint64_t map_gen;
	int sig, code;

	task_set_current(t);
	/* A restored leader that had ended alone: nothing to run. */
	if (t->exited)
		return t->tg->exit_status;
	while (!task_dying(t)) {
		task_freeze_point(t);
		if (task_dying(t))
			break;
		if (__atomic_load_n(&t->tg->stopped, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&t->tg->cont_notify, __ATOMIC_ACQUIRE)) {
			task_stop_wait(t);
			continue;
		}
		if (__atomic_load_n(&t->vfork_child, __ATOMIC_ACQUIRE)) {
			task_vfork_wait(t);
			if (sig_pending(t))
				sig_deliver(t);
			continue;
		}
		__atomic_store_n(&t->in_app, true, __ATOMIC_SEQ_CST);
		if (kernel_freezing()) {
			__atomic_store_n(&t->in_app, false, __ATOMIC_SEQ_CST);
			continue;
		}
		if (sig_pending(t)) {
			__atomic_store_n(&t->in_app, false, __ATOMIC_SEQ_CST);
			sig_deliver(t);
			continue;
		}
		memset(&fi, 0, sizeof(fi));
		map_gen = __atomic_load_n(&t->mm->map_gen, __ATOMIC_ACQUIRE);
		enum platform_event ev = platform_switch(t->ctx, &t->regs, &fi);
		__atomic_store_n(&t->in_app, false, __ATOMIC_SEQ_CST);

		switch (ev) {
		case PLAT_EV_SYSCALL:
			/* Before the call: rip still points past the site
			 * (execve and rt_sigreturn change it). */
			if (fi.trapped)
				syscall_patch_trapped(t->mm, &t->regs);
			syscall_dispatch(t);
			break;
		case PLAT_EV_FAULT:
			sig = mm_fault(t->mm, fi.addr, map_gen, fi.write, &code);
			log_debug("task %d: fault at 0x%lx (code %d) ip 0x%lx sp 0x%lx cs 0x%lx ss 0x%lx: %s", t->tid, (unsigned long)fi.addr, fi.code,
				  (unsigned long)t->regs.rip, (unsigned long)t->regs.rsp, (unsigned long)t->regs.cs, (unsigned long)t->regs.ss, sig ? "signal" : "mapped");
			if (sig)
				sig_force(t, sig, code, fi.addr);
			break;
		case PLAT_EV_SIGNAL:
			if (fi.signo == SIGTRAP && fi.code == SI_KERNEL && syscall_patch_int3(t->mm, &t->regs))
				break;
			if (fi.signo == SIGTRAP)
				syscall_patch_step(t->mm, &t->regs);
			log_debug("task %d: signal %d at ip 0x%lx", t->tid, fi.signo, (unsigned long)t->regs.rip);
			sig_force(t, fi.signo, fi.code, fi.addr);
			break;
		case PLAT_EV_INTERRUPT:
			break;
		case PLAT_EV_DEAD:
			log_warn("task %d: stub process died", t->tid);
			task_exit_group(t, SIGKILL);
			break;
		}
		if (!task_dying(t))
			sig_deliver(t);
	}
	t->exited = true;
	return t->tg->exit_status;
}
