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

/* Every live task, for /proc/<pid> and signal delivery by pid. */
static pthread_mutex_t tasks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct task *tasks[64];

struct task *task_current(void)
{
	return current_task;
}

void task_set_current(struct task *t)
{
	current_task = t;
}

struct task *task_lookup_pid(pid_t pid)
{
	struct task *found = NULL;

	pthread_mutex_lock(&tasks_lock);
	for (size_t i = 0; i < ARRAY_SIZE(tasks); i++) {
		if (tasks[i] && tasks[i]->tid == pid && !tasks[i]->exited) {
			found = tasks[i];
			__atomic_add_fetch(&found->refs, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	pthread_mutex_unlock(&tasks_lock);
	return found;
}

int task_list(struct task **out, int max)
{
	int n = 0;

	pthread_mutex_lock(&tasks_lock);
	for (size_t i = 0; i < ARRAY_SIZE(tasks) && n < max; i++) {
		if (tasks[i] && !tasks[i]->exited) {
			__atomic_add_fetch(&tasks[i]->refs, 1, __ATOMIC_RELAXED);
			out[n++] = tasks[i];
		}
	}
	pthread_mutex_unlock(&tasks_lock);
	return n;
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

struct task *task_new_initial(void)
{
	struct task *t = calloc(1, sizeof(*t));
	struct thread_group *tg = calloc(1, sizeof(*tg));

	if (!t || !tg)
		goto err;
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->wake_fd < 0)
		goto err;
	t->refs = 1;
	t->tid = 1;
	t->tg = tg;
	tg->refs = 1;
	tg->pid = tg->pgid = tg->sid = 1;
	tg->ppid = 0;
	tg->leader = t;
	pthread_mutex_init(&tg->lock, NULL);
	default_rlimits(tg->rlimits);
	t->creds.uid = t->creds.euid = t->creds.suid = t->creds.fsuid = (uint32_t)getuid();
	t->creds.gid = t->creds.egid = t->creds.sgid = t->creds.fsgid = (uint32_t)getgid();
	pthread_mutex_lock(&tasks_lock);
	tasks[0] = t;
	pthread_mutex_unlock(&tasks_lock);
	return t;
err:
	if (t && t->wake_fd > 0)
		close(t->wake_fd);
	free(t);
	free(tg);
	return NULL;
}

void task_put(struct task *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_lock(&tasks_lock);
	for (size_t i = 0; i < ARRAY_SIZE(tasks); i++)
		if (tasks[i] == t)
			tasks[i] = NULL;
	pthread_mutex_unlock(&tasks_lock);
	if (t->fdt)
		fdtable_put(t->fdt);
	if (t->fs)
		fs_ctx_put(t->fs);
	seccomp_filter_put(t->seccomp);
	mm_put(t->mm);
	if (t->ctx)
		platform->ctx_destroy(t->ctx);
	if (__atomic_sub_fetch(&t->tg->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		pthread_mutex_destroy(&t->tg->lock);
		free(t->tg);
	}
	close(t->wake_fd);
	free(t->fpstate);
	free(t);
}

void task_exit_group(struct task *t, int status)
{
	pthread_mutex_lock(&t->tg->lock);
	if (!t->tg->exiting) {
		t->tg->exiting = true;
		t->tg->exit_status = status;
	}
	pthread_mutex_unlock(&t->tg->lock);
}

void task_interrupt(struct task *t)
{
	uint64_t one = 1;

	if (write(t->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("task %d: cannot wake: %d", t->tid, errno);
	if (__atomic_load_n(&t->in_app, __ATOMIC_SEQ_CST) && t->ctx)
		platform_interrupt(t->ctx);
}

static bool task_should_stop(struct task *t)
{
	return __atomic_load_n(&t->tg->exiting, __ATOMIC_ACQUIRE);
}

int task_run(struct task *t)
{
	struct fault_info fi;
	int sig, code;

	task_set_current(t);
	while (!task_should_stop(t)) {
		task_freeze_point(t);
		if (task_should_stop(t))
			break;
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
			sig = mm_fault(t->mm, fi.addr, &code);
			log_debug("task %d: fault at 0x%lx (code %d) ip 0x%lx sp 0x%lx cs 0x%lx ss 0x%lx: %s", t->tid, (unsigned long)fi.addr, fi.code,
				  (unsigned long)t->regs.rip, (unsigned long)t->regs.rsp, (unsigned long)t->regs.cs, (unsigned long)t->regs.ss, sig ? "signal" : "mapped");
			if (sig)
				sig_force(t, sig, code, fi.addr);
			break;
		case PLAT_EV_SIGNAL:
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
		if (!task_should_stop(t))
			sig_deliver(t);
	}
	t->exited = true;
	return t->tg->exit_status;
}
