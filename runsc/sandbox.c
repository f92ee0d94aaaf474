#include "runsc/sandbox.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static void *task_thread(void *arg)
{
	struct sandbox_run *sb = arg;
	int err, status = 0;

	task_set_current(sb->task);
	err = sb->restored ? task_restore_platform(sb->task) : task_exec(sb->task, sb->path, sb->argv, sb->envp);
	pthread_mutex_lock(&sb->lock);
	sb->exec_err = err;
	sb->prepared = true;
	pthread_cond_broadcast(&sb->cond);
	while (err == 0 && !sb->start && !sb->discard)
		pthread_cond_wait(&sb->cond, &sb->lock);
	if (err == 0 && sb->discard) {
		struct task *t = sb->task;

		/* A restore takes the sandbox over: the task goes unrun, its
		 * stub reaped here, by its tracer; no exit is reported. */
		sb->task = NULL;
		pthread_mutex_unlock(&sb->lock);
		task_exit_group(t, SIGKILL);
		task_exit(t);	/* no parent: out of the table at once */
		task_put(t);
		pthread_mutex_lock(&sb->lock);
		sb->discarded = true;
		pthread_cond_broadcast(&sb->cond);
		pthread_mutex_unlock(&sb->lock);
		return NULL;
	}
	if (err == 0)
		sb->status = SANDBOX_RUNNING;
	if (err == 0)
		clock_gettime(CLOCK_MONOTONIC, &sb->started);	/* the first application instruction is next */
	pthread_mutex_unlock(&sb->lock);
	/* A restore's other tasks were spawned, each waiting to be let go
	 * (or killed, when init cannot run). */
	if (sb->restored)
		task_start_all();
	if (err == 0)
		task_run(sb->task);
	else
		task_exit_group(sb->task, status);
	/* Init's end is the sandbox's: every other process is killed, as in
	 * a pid namespace, and all stubs are gone (each reaped by its
	 * tracer) before the exit is reported. Its first thread may have
	 * ended alone: task_exit waits for the group's other threads. */
	task_exit(sb->task);
	status = sb->task->tg->exit_status;
	task_kill_others_and_wait(sb->task);
	sandbox_stopped(sb, status);
	return NULL;
}

int sandbox_launch(struct sandbox_run *sb, bool start_now)
{
	pthread_attr_t attr;
	int err;

	pthread_mutex_init(&sb->lock, NULL);
	pthread_cond_init(&sb->cond, NULL);
	sb->status = SANDBOX_CREATED;
	sb->start = start_now;
	sb->done_fd = eventfd(0, EFD_CLOEXEC);
	if (sb->done_fd < 0)
		return -errno;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 8 << 20);
	err = pthread_create(&sb->thread, &attr, task_thread, sb);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	pthread_mutex_lock(&sb->lock);
	while (!sb->prepared)
		pthread_cond_wait(&sb->cond, &sb->lock);
	err = sb->exec_err;
	sb->joinable = err == 0;
	pthread_mutex_unlock(&sb->lock);
	if (err < 0)
		pthread_join(sb->thread, NULL);
	return err;
}

int sandbox_start(struct sandbox_run *sb)
{
	int err = 0;

	pthread_mutex_lock(&sb->lock);
	if (sb->status == SANDBOX_STOPPED)
		err = -ESRCH;
	else if (sb->discard && !sb->start)
		err = -EBUSY;
	else if (sb->start)
		err = -EALREADY;
	if (err != -EBUSY)
		sb->start = true;
	pthread_cond_broadcast(&sb->cond);
	pthread_mutex_unlock(&sb->lock);
	return err;
}

int sandbox_discard(struct sandbox_run *sb)
{
	pthread_mutex_lock(&sb->lock);
	if (sb->start || sb->discard || sb->status != SANDBOX_CREATED) {
		pthread_mutex_unlock(&sb->lock);
		return -EALREADY;
	}
	sb->discard = true;
	pthread_cond_broadcast(&sb->cond);
	while (!sb->discarded)
		pthread_cond_wait(&sb->cond, &sb->lock);
	sb->joinable = false;
	pthread_mutex_unlock(&sb->lock);
	pthread_join(sb->thread, NULL);
	return 0;
}

int sandbox_relaunch(struct sandbox_run *sb)
{
	pthread_attr_t attr;
	int err;

	pthread_mutex_lock(&sb->lock);
	sb->restored = true;
	sb->prepared = false;
	sb->discard = false;
	sb->start = true;
	pthread_mutex_unlock(&sb->lock);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 8 << 20);
	pthread_mutex_lock(&sb->lock);
	err = pthread_create(&sb->thread, &attr, task_thread, sb);
	sb->joinable = err == 0;
	pthread_mutex_unlock(&sb->lock);
	pthread_attr_destroy(&attr);
	if (err) {
		struct task *t = sb->task;

		/* No thread to run it, or to end the sandbox: end it here. */
		pthread_mutex_lock(&sb->lock);
		sb->task = NULL;
		pthread_mutex_unlock(&sb->lock);
		task_exit_group(t, SIGKILL);
		task_start_all();
		task_exit(t);	/* init has no stub yet: no thread owns one */
		task_kill_others_and_wait(t);
		task_put(t);
		sandbox_stopped(sb, 128 + SIGKILL);
		return -err;
	}
	pthread_mutex_lock(&sb->lock);
	while (!sb->prepared)
		pthread_cond_wait(&sb->cond, &sb->lock);
	err = sb->exec_err;
	pthread_mutex_unlock(&sb->lock);
	/* On failure the thread reported the sandbox stopped and ended. */
	return err;
}

void sandbox_stopped(struct sandbox_run *sb, int status)
{
	uint64_t one = 1;

	pthread_mutex_lock(&sb->lock);
	sb->wait_status = status;
	sb->status = SANDBOX_STOPPED;
	pthread_cond_broadcast(&sb->cond);
	pthread_mutex_unlock(&sb->lock);
	/* The main thread joins sb->thread: one that has ended. */
	if (write(sb->done_fd, &one, sizeof(one)) < 0)
		abort();
}

struct task *sandbox_get_task(struct sandbox_run *sb)
{
	struct task *t;

	pthread_mutex_lock(&sb->lock);
	t = sb->task;
	if (t)
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sb->lock);
	return t;
}

int sandbox_wait(struct sandbox_run *sb)
{
	int status;

	pthread_mutex_lock(&sb->lock);
	while (sb->status != SANDBOX_STOPPED)
		pthread_cond_wait(&sb->cond, &sb->lock);
	status = sb->wait_status;
	pthread_mutex_unlock(&sb->lock);
	return status;
}

enum sandbox_status sandbox_get_status(struct sandbox_run *sb)
{
	enum sandbox_status s;

	pthread_mutex_lock(&sb->lock);
	s = sb->status;
	pthread_mutex_unlock(&sb->lock);
	return s;
}

int sandbox_exit_code(int wait_status)
{
	if (wait_status & 0x7f)
		return 128 + (wait_status & 0x7f);
	return (wait_status >> 8) & 0xff;
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };

int sandbox_signals_init(void)
{
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	for (size_t k = 0; k < ARRAY_SIZE(forwarded); k++)
		sigaddset(&mask, forwarded[k]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	return sfd < 0 ? -errno : sfd;
}

void sandbox_forward_signals(struct sandbox_run *sb, int sfd)
{
	bool joinable;

	for (;;) {
		struct pollfd p[2] = { { sb->done_fd, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		struct signalfd_siginfo si;
		struct task *t;
		int sig;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (!p[1].revents || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		sig = (int)si.ssi_signo;
		t = sandbox_get_task(sb);
		if (!t)
			continue;	/* a restore is replacing the task */
		if (sandbox_get_status(sb) == SANDBOX_CREATED && (sig == SIGTERM || sig == SIGINT)) {
			/* Ended before it started: it never runs. */
			task_exit_group(t, sig);
			sandbox_start(sb);
		} else {
			sig_send_group(t->tg, sig);
		}
		task_put(t);
	}
	pthread_mutex_lock(&sb->lock);
	joinable = sb->joinable;
	sb->joinable = false;
	pthread_mutex_unlock(&sb->lock);
	if (joinable)
		pthread_join(sb->thread, NULL);
}
