/* ITIMER_REAL: a process's real-time interval timer (setitimer, alarm),
 * which sends SIGALRM when it expires and, with an interval, again after
 * each interval. One sentry thread sleeps until the earliest expiry of
 * all processes. Times are ns on the host's monotonic clock, which runs
 * at the rate of the application's. */
#ifndef AMBER_TIME_ITIMER_H
#define AMBER_TIME_ITIMER_H

#include <stdint.h>

struct thread_group;

/* Arms (value > 0) or disarms (value 0) tg's timer; *old_value and
 * *old_interval get what was left and the interval before. Returns 0 or
 * -errno (no timer thread). */
int itimer_real_set(struct thread_group *tg, int64_t value_ns, int64_t interval_ns, int64_t *old_value,
		    int64_t *old_interval);
/* What is left (0: disarmed) and the interval. */
void itimer_real_get(struct thread_group *tg, int64_t *value_ns, int64_t *interval_ns);
/* The process is gone (exit): its timer is disarmed. */
void itimer_real_cancel(struct thread_group *tg);

#endif
