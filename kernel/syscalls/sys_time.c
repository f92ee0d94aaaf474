/* Clocks and sleeps. Clocks are the timekeeper's (kernel/time), the same
 * the vDSO reads; the CPU-time clocks report the whole sandbox's CPU time
 * (sentry included), a known approximation. Sleeps wait in task_wait and
 * restart with what is left after an interruption (restart_syscall), as
 * Linux's do. */
#include "kernel/syscalls/syscalls.h"
#include "kernel/time/timekeeper.h"

#include <errno.h>
#include <sys/syscall.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000LL

static int host_clock(int clockid, clockid_t *out)
{
	switch (clockid) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		*out = clockid;
		return 0;
	case CLOCK_REALTIME_ALARM:
		*out = CLOCK_REALTIME;
		return 0;
	case CLOCK_BOOTTIME_ALARM:
		*out = CLOCK_BOOTTIME;
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		*out = CLOCK_PROCESS_CPUTIME_ID;
		return 0;
	default:
		return -EINVAL;
	}
}

static int64_t ts_ns(const struct linux_timespec *ts)
{
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

/* The application's clocks: the monotonic ones are shifted after a
 * restore so that they go on from the checkpoint (timekeeper.h). */
static int64_t clock_now(clockid_t c)
{
	return tk_now(c);
}

SYSCALL(clock_gettime)
{
	struct linux_timespec out;
	clockid_t c;
	int err = host_clock((int)a[0], &c);
	int64_t now;

	if (err < 0)
		return err;
	now = clock_now(c);
	out.tv_sec = now / NSEC_PER_SEC;
	out.tv_nsec = now % NSEC_PER_SEC;
	return copy_out(t->mm, a[1], &out, sizeof(out));
}

SYSCALL(clock_getres)
{
	struct linux_timespec out;
	struct timespec ts;
	clockid_t c;
	int err = host_clock((int)a[0], &c);

	if (err < 0)
		return err;
	if (!a[1])
		return 0;
	clock_getres(c, &ts);
	out.tv_sec = ts.tv_sec;
	out.tv_nsec = ts.tv_nsec;
	return copy_out(t->mm, a[1], &out, sizeof(out));
}

SYSCALL(gettimeofday)
{
	int64_t now = clock_now(CLOCK_REALTIME);
	struct linux_timeval tv;
	int32_t tz[2] = { 0, 0 };

	tv.tv_sec = now / NSEC_PER_SEC;
	tv.tv_usec = now % NSEC_PER_SEC / 1000;
	if (a[0] && copy_out(t->mm, a[0], &tv, sizeof(tv)) < 0)
		return -EFAULT;
	if (a[1] && copy_out(t->mm, a[1], tz, sizeof(tz)) < 0)
		return -EFAULT;
	return 0;
}

/* The coarse clock's seconds, as Linux's time(2). */
SYSCALL(time)
{
	int64_t now = clock_now(CLOCK_REALTIME_COARSE) / NSEC_PER_SEC;

	if (a[0] && copy_out(t->mm, a[0], &now, sizeof(now)) < 0)
		return -EFAULT;
	return now;
}

/* Sleeps until the absolute monotonic deadline; on interruption leaves a
 * restart block that finishes the same sleep. */
static long sleep_until(struct task *t, int64_t deadline, uaddr_t rem, bool absolute);

long sleep_restart(struct task *t)
{
	return sleep_until(t, t->restart.deadline_ns, t->restart.rem, false);
}

static long sleep_until(struct task *t, int64_t deadline, uaddr_t rem, bool absolute)
{
	int r = task_wait(t, -1, 0, deadline);

	if (r >= 0)
		return 0;
	if (r != -EINTR)
		return r;
	if (absolute)
		return -LINUX_ERESTARTNOHAND;
	if (rem) {
		int64_t left = deadline - host_mono_ns();
		struct linux_timespec ts = { 0, 0 };
		if (left > 0) {
			ts.tv_sec = left / NSEC_PER_SEC;
			ts.tv_nsec = left % NSEC_PER_SEC;
		}
		if (copy_out(t->mm, rem, &ts, sizeof(ts)) < 0)
			return -EFAULT;
	}
	t->restart.fn = sleep_restart;
	t->restart.deadline_ns = deadline;
	t->restart.rem = rem;
	return -LINUX_ERESTART_RESTARTBLOCK;
}

static int read_timespec(struct task *t, uaddr_t addr, struct linux_timespec *ts)
{
	if (copy_in(t->mm, ts, addr, sizeof(*ts)) < 0)
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

SYSCALL(nanosleep)
{
	struct linux_timespec req;
	int err = read_timespec(t, a[0], &req);

	if (err < 0)
		return err;
	return sleep_until(t, host_mono_ns() + ts_ns(&req), a[1], false);
}

SYSCALL(clock_nanosleep)
{
	int clockid = (int)a[0], flags = (int)a[1];
	struct linux_timespec req;
	int64_t deadline;
	clockid_t c;
	int err;

	if (clockid == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	err = host_clock(clockid, &c);
	if (err < 0 || c == CLOCK_PROCESS_CPUTIME_ID)
		return err < 0 ? err : -EOPNOTSUPP;
	err = read_timespec(t, a[2], &req);
	if (err < 0)
		return err;
	if (flags & TIMER_ABSTIME) {
		/* Converted once to the monotonic clock: a later jump of the
		 * realtime clock is not followed. */
		deadline = host_mono_ns() + (ts_ns(&req) - clock_now(c));
		return sleep_until(t, deadline, 0, true);
	}
	return sleep_until(t, host_mono_ns() + ts_ns(&req), a[3], false);
}

SYSCALL(restart_syscall)
{
	long (*fn)(struct task *) = t->restart.fn;

	t->restart.fn = NULL;
	return fn ? fn(t) : -EINTR;
}
