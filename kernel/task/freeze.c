/* Stopping the world for a checkpoint. Every task is kicked out of
 * application code or out of its blocking wait (task_wait sees the request
 * like a signal, the call returns a restart code, and sig_deliver rewinds
 * it), and parks at the top of its loop, where all of its state is in
 * struct task. The XSAVE area is read there, by the task's own host thread,
 * which is the only one the platform lets touch its context. */
#include "kernel/task/task.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t freeze_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freeze_cond = PTHREAD_COND_INITIALIZER;
static bool freeze_requested;	/* atomic reads outside the lock */
static int parked;

bool kernel_freezing(void)
{
	return __atomic_load_n(&freeze_requested, __ATOMIC_SEQ_CST);
}

void task_freeze_point(struct task *t)
{
	if (!kernel_freezing())
		return;
	pthread_mutex_lock(&freeze_lock);
	if (!freeze_requested) {
		pthread_mutex_unlock(&freeze_lock);
		return;
	}
	if (!t->fpstate) {
		t->fpstate_size = arch_xsave_size();
		t->fpstate = aligned_alloc(64, (t->fpstate_size + 63) & ~63u);
	}
	/* A platform may hand back less than the full area (a signal
	 * frame's XSAVE size); the rest must read as zeros, not as heap. */
	if (t->fpstate)
		memset(t->fpstate, 0, t->fpstate_size);
	t->fpstate_ok = t->fpstate && t->ctx &&
			platform->ctx_get_fpstate(t->ctx, t->fpstate, t->fpstate_size) >= 0;
	t->parked = true;
	parked++;
	pthread_cond_broadcast(&freeze_cond);
	while (freeze_requested)
		pthread_cond_wait(&freeze_cond, &freeze_lock);
	parked--;
	t->parked = false;
	pthread_mutex_unlock(&freeze_lock);
}

/* Done for a checkpoint: parked, or exited with its zombie made or, for
 * a thread that ended alone, its exit done (what task_exit changes is
 * then finished; its host thread may still wait for the others). */
static bool task_settled(struct task *t)
{
	return t->parked || (__atomic_load_n(&t->exited, __ATOMIC_ACQUIRE) &&
			     (__atomic_load_n(&t->tg->zombie, __ATOMIC_ACQUIRE) ||
			      __atomic_load_n(&t->exit_settled, __ATOMIC_ACQUIRE)));
}

/* Interrupts every task not settled yet; returns how many there are
 * (freeze_lock held), or -ENOMEM. A task forking when the world stops
 * has its child in the table once it parks, so the caller lists again
 * until a list finds all settled. */
static int kick_unsettled(void)
{
	struct task **all;
	int n = task_list_all(&all), live = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (!task_settled(all[i])) {
			live++;
			task_interrupt(all[i]);
		}
		task_put(all[i]);
	}
	free(all);
	return live;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int kernel_freeze(int timeout_ms)
{
	int64_t end = realtime_ns() + (int64_t)timeout_ms * 1000000LL;
	int err;

	pthread_mutex_lock(&freeze_lock);
	if (freeze_requested) {
		pthread_mutex_unlock(&freeze_lock);
		return -EBUSY;
	}
	__atomic_store_n(&freeze_requested, true, __ATOMIC_SEQ_CST);
	for (;;) {
		int live = kick_unsettled();
		int64_t now = realtime_ns(), until;
		struct timespec ts;

		if (live <= 0) {
			err = live;
			break;
		}
		if (now >= end) {
			err = -ETIMEDOUT;
			break;
		}
		/* A task finishing its exit does not signal freeze_cond:
		 * look again every few milliseconds. */
		until = MIN(now + 5 * 1000 * 1000LL, end);
		ts.tv_sec = until / 1000000000LL;
		ts.tv_nsec = until % 1000000000LL;
		pthread_cond_timedwait(&freeze_cond, &freeze_lock, &ts);
	}
	pthread_mutex_unlock(&freeze_lock);
	if (err < 0)
		kernel_thaw();
	return err;
}

void kernel_thaw(void)
{
	pthread_mutex_lock(&freeze_lock);
	__atomic_store_n(&freeze_requested, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&freeze_cond);
	pthread_mutex_unlock(&freeze_lock);
}
