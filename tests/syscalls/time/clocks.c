/* clock_gettime, clock_getres, gettimeofday, time, nanosleep and
 * clock_nanosleep: only relations and errors are printed, never times. */
#include "sctest.h"
#include "amber_cr.h"
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct timespec now(clockid_t id)
{
	struct timespec t = { 0, 0 };

	sc(SYS_clock_gettime, id, &t);
	return t;
}

int main(void)
{
	struct timespec a, b, res, req;
	struct timeval tv;

	a = now(CLOCK_MONOTONIC);
	b = now(CLOCK_MONOTONIC);
	yesno("monotonic does not go back", ns(b) >= ns(a));
	a = now(CLOCK_MONOTONIC);
	b = now(CLOCK_BOOTTIME);
	yesno("boottime >= monotonic", ns(b) >= ns(a));
	struct timespec rt = now(CLOCK_REALTIME);
	sc(SYS_gettimeofday, &tv, NULL);
	long t = sc(SYS_time, NULL);
	yesno("realtime is after 2020", rt.tv_sec > 1577836800);
	/* time() may read a clock that lags by a tick: allow either order. */
	yesno("gettimeofday within 2 s of realtime", labs((long)(tv.tv_sec - rt.tv_sec)) <= 2);
	yesno("time within 2 s of realtime", labs(t - (long)rt.tv_sec) <= 2);
	yesno("coarse clocks work", now(CLOCK_REALTIME_COARSE).tv_sec > 0 && ns(now(CLOCK_MONOTONIC_COARSE)) > 0);
	yesno("process cpu clock advances", ns(now(CLOCK_PROCESS_CPUTIME_ID)) > 0);
	yesno("thread cpu clock advances", ns(now(CLOCK_THREAD_CPUTIME_ID)) > 0);

	show("clock_getres MONOTONIC", sc(SYS_clock_getres, CLOCK_MONOTONIC, &res));
	printf("resolution: %ld s %ld ns\n", (long)res.tv_sec, res.tv_nsec);
	show("clock_getres REALTIME NULL", sc(SYS_clock_getres, CLOCK_REALTIME, NULL));
	show("clock_gettime bad clock", sc(SYS_clock_gettime, 100, &a));
	show("clock_getres bad clock", sc(SYS_clock_getres, -100, &res));

	amber_cr_point();

	req = (struct timespec){ 0, 20 * 1000000 };
	a = now(CLOCK_MONOTONIC);
	show("nanosleep 20 ms", sc(SYS_nanosleep, &req, NULL));
	b = now(CLOCK_MONOTONIC);
	yesno("slept at least 20 ms", ns(b) - ns(a) >= 20 * 1000000LL);
	req = (struct timespec){ 0, 1000000000 };
	show("nanosleep tv_nsec 1e9", sc(SYS_nanosleep, &req, NULL));
	req = (struct timespec){ -1, 0 };
	show("nanosleep negative", sc(SYS_nanosleep, &req, NULL));
	req = (struct timespec){ 0, 0 };
	show("nanosleep 0", sc(SYS_nanosleep, &req, NULL));

	req = now(CLOCK_MONOTONIC);
	req.tv_nsec += 10 * 1000000;
	if (req.tv_nsec >= 1000000000) {
		req.tv_sec++;
		req.tv_nsec -= 1000000000;
	}
	show("clock_nanosleep absolute +10 ms", sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL));
	yesno("woke after the deadline", ns(now(CLOCK_MONOTONIC)) >= ns(req));
	req = (struct timespec){ 1, 0 };
	show("clock_nanosleep absolute in the past", sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL));
	req = (struct timespec){ 0, 1000000 };
	show("clock_nanosleep relative 1 ms", sc(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &req, NULL));
	show("clock_nanosleep bad clock", sc(SYS_clock_nanosleep, 100, 0, &req, NULL));
	/* Not CLOCK_THREAD_CPUTIME_ID: EINVAL or EOPNOTSUPP, by kernel version. */
	show("clock_nanosleep bad flags", sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, 2, &req, NULL));
	return 0;
}
