/* setitimer, getitimer and alarm: ITIMER_REAL only (kernel/time/itimer.c).
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time, which the
 * sentry does not account per process yet: -EINVAL, logged once. */
#include "kernel/syscalls/syscalls.h"
#include "kernel/lib/log.h"
#include "kernel/time/itimer.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>

struct linux_itimerval {
	struct { int64_t sec, usec; } interval, value;
};

static int check_which(int which)
{
	if (which == ITIMER_REAL)
		return 0;
	if (which == ITIMER_VIRTUAL || which == ITIMER_PROF)
		log_warn_once("setitimer/getitimer: ITIMER_VIRTUAL and ITIMER_PROF are not supported yet");
	return -EINVAL;
}

static void to_itv(int64_t value, int64_t interval, struct linux_itimerval *itv)
{
	/* Linux rounds what is left up to the next microsecond. */
	value = (value + 999) / 1000;
	interval = (interval + 999) / 1000;
	itv->value.sec = value / 1000000;
	itv->value.usec = value % 1000000;
	itv->interval.sec = interval / 1000000;
	itv->interval.usec = interval % 1000000;
}

static int tv_ns(int64_t sec, int64_t usec, int64_t *ns)
{
	if (sec < 0 || usec < 0 || usec >= 1000000)
		return -EINVAL;
	/* Past what 64-bit ns hold, a timer that never expires in practice. */
	*ns = sec > INT64_MAX / 1000000000LL - 1 ? INT64_MAX / 2 : sec * 1000000000LL + usec * 1000;
	return 0;
}

SYSCALL(getitimer)
{
	struct linux_itimerval itv;
	int64_t value, interval;
	int err = check_which((int)a[0]);

	if (err < 0)
		return err;
	itimer_real_get(t->tg, &value, &interval);
	to_itv(value, interval, &itv);
	return copy_out(t->mm, a[1], &itv, sizeof(itv));
}

SYSCALL(setitimer)
{
	struct linux_itimerval itv, old;
	int64_t value = 0, interval = 0, ov, oi;
	int err = check_which((int)a[0]);

	if (err < 0)
		return err;
	/* A NULL new value disarms (Linux keeps this misfeature). */
	memset(&itv, 0, sizeof(itv));
	if (a[1] && copy_in(t->mm, &itv, a[1], sizeof(itv)) < 0)
		return -EFAULT;
	if ((err = tv_ns(itv.value.sec, itv.value.usec, &value)) < 0 ||
	    (err = tv_ns(itv.interval.sec, itv.interval.usec, &interval)) < 0)
		return err;
	err = itimer_real_set(t->tg, value, interval, &ov, &oi);
	if (err < 0)
		return err;
	to_itv(ov, oi, &old);
	if (a[2] && copy_out(t->mm, a[2], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL(alarm)
{
	unsigned int secs = (unsigned int)a[0];
	int64_t ov, oi, left;
	int err = itimer_real_set(t->tg, (int64_t)secs * 1000000000LL, 0, &ov, &oi);

	if (err < 0)
		return err;
	/* Linux's alarm_setitimer: what was left in whole seconds, rounded
	 * to the nearest, but never 0 for a timer still armed. */
	left = (ov + 999) / 1000;	/* us */
	if (!left)
		return 0;
	return left / 1000000 + ((left % 1000000) >= 500000 || left < 1000000);
}
