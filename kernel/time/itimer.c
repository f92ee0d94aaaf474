/* ITIMER_REAL. The armed timers are a list under one lock; a single
 * thread waits on a condition variable for the earliest deadline, sends
 * SIGALRM (si_code SI_KERNEL, as Linux's it_real_fn does) and re-arms
 * periodic timers. While the world is frozen for a checkpoint nothing
 * fires: an expiry then waits for the thaw, or, in the image, is saved as
 * a timer with nothing left (kernel/task/task_state.c). */
#include "kernel/time/itimer.h"
#include "kernel/time/timekeeper.h"
#include "kernel/task/task.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <signal.h>
#include <time.h>

/* How often a timer due during a freeze looks again. */
#define FROZEN_RETRY_NS (5 * 1000 * 1000LL)

static pthread_mutex_t itimer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t itimer_cond;
static struct thread_group *armed;	/* through itimer_next */
static bool thread_started;

static void unlink_locked(struct thread_group *tg)
{
	struct thread_group **pp = &armed;

	while (*pp && *pp != tg)
		pp = &(*pp)->itimer_next;
	if (*pp)
		*pp = tg->itimer_next;
	tg->itimer_next = NULL;
	tg->itimer_deadline = 0;
}

/* Sends SIGALRM to each expired timer's process; returns the earliest
 * deadline left (0: none). itimer_lock held. */
static int64_t fire_expired_locked(int64_t now)
{
	struct sig_source src = { .code = SI_KERNEL };
	struct thread_group *tg, *next;
	int64_t earliest = 0;

	for (tg = armed; tg; tg = next) {
		next = tg->itimer_next;
		if (tg->itimer_deadline <= now) {
			if (kernel_freezing()) {
				earliest = earliest && earliest < now + FROZEN_RETRY_NS ? earliest : now + FROZEN_RETRY_NS;
				continue;
			}
			sig_send_group_from(tg, SIGALRM, &src);
			if (!tg->itimer_interval) {
				unlink_locked(tg);
				continue;
			}
			/* Overruns are not queued: the next expiry is the first
			 * one still to come, as for Linux's hrtimer forwarding. */
			tg->itimer_deadline += tg->itimer_interval;
			if (tg->itimer_deadline <= now)
				tg->itimer_deadline += ((now - tg->itimer_deadline) / tg->itimer_interval + 1) *
						       tg->itimer_interval;
		}
		if (!earliest || tg->itimer_deadline < earliest)
			earliest = tg->itimer_deadline;
	}
	return earliest;
}

static void *itimer_thread(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&itimer_lock);
	for (;;) {
		int64_t earliest = fire_expired_locked(host_mono_ns());

		if (!earliest) {
			pthread_cond_wait(&itimer_cond, &itimer_lock);
		} else {
			struct timespec until = { .tv_sec = earliest / 1000000000LL, .tv_nsec = earliest % 1000000000LL };
			pthread_cond_timedwait(&itimer_cond, &itimer_lock, &until);
		}
	}
	return NULL;
}

/* The timer thread, made with the first armed timer. itimer_lock held. */
static int start_thread_locked(void)
{
	pthread_condattr_t ca;
	pthread_attr_t attr;
	pthread_t th;
	int err;

	if (thread_started)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&itimer_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	err = pthread_create(&th, &attr, itimer_thread, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		pthread_cond_destroy(&itimer_cond);
		log_warn("itimer: cannot start the timer thread: %d", err);
		return -EAGAIN;
	}
	thread_started = true;
	return 0;
}

static void get_locked(struct thread_group *tg, int64_t now, int64_t *value, int64_t *interval)
{
	*interval = tg->itimer_interval;
	*value = 0;
	if (tg->itimer_deadline) {
		*value = tg->itimer_deadline - now;
		/* An armed timer never reads as disarmed (Linux shows at
		 * least one tick). */
		if (*value <= 0)
			*value = 1000;
	}
}

int itimer_real_set(struct thread_group *tg, int64_t value_ns, int64_t interval_ns, int64_t *old_value,
		    int64_t *old_interval)
{
	int64_t now = host_mono_ns();
	int err = 0;

	pthread_mutex_lock(&itimer_lock);
	get_locked(tg, now, old_value, old_interval);
	if (value_ns > 0)
		err = start_thread_locked();
	if (err == 0) {
		if (tg->itimer_deadline)
			unlink_locked(tg);
		tg->itimer_interval = value_ns > 0 ? interval_ns : 0;
		if (value_ns > 0) {
			tg->itimer_deadline = now + value_ns;
			tg->itimer_next = armed;
			armed = tg;
			pthread_cond_signal(&itimer_cond);
		}
	}
	pthread_mutex_unlock(&itimer_lock);
	return err;
}

void itimer_real_get(struct thread_group *tg, int64_t *value_ns, int64_t *interval_ns)
{
	pthread_mutex_lock(&itimer_lock);
	get_locked(tg, host_mono_ns(), value_ns, interval_ns);
	pthread_mutex_unlock(&itimer_lock);
}

void itimer_real_cancel(struct thread_group *tg)
{
	pthread_mutex_lock(&itimer_lock);
	if (tg->itimer_deadline)
		unlink_locked(tg);
	tg->itimer_interval = 0;
	pthread_mutex_unlock(&itimer_lock);
}
