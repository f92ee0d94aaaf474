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

int kernel_freeze(int timeout_ms)
{
	struct timespec until;
	struct task *list[64];
	int n, err = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&freeze_lock);
	if (freeze_requested) {
		pthread_mutex_unlock(&freeze_lock);
		return -EBUSY;
	}
	__atomic_store_n(&freeze_requested, true, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&freeze_lock);
	n = task_list(list, 64);
	for (int i = 0; i < n; i++)
		task_interrupt(list[i]);
	pthread_mutex_lock(&freeze_lock);
	for (;;) {
		int live = 0;

		for (int i = 0; i < n; i++)
			if (!list[i]->exited && !list[i]->parked)
				live++;
		if (live == 0)
			break;
		if (pthread_cond_timedwait(&freeze_cond, &freeze_lock, &until) == ETIMEDOUT) {
			err = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&freeze_lock);
	for (int i = 0; i < n; i++)
		task_put(list[i]);
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
