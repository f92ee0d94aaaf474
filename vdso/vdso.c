/* The vDSO the sentry maps into every program: clock_gettime,
 * gettimeofday, time, clock_getres and getcpu answered from the sentry's
 * data page (vdso_data.h) without a trap. Whatever the page cannot answer
 * goes to the real system call, as Linux's vDSO does: the sentry handles
 * it like any other call.
 *
 * Built freestanding (vdso/CMakeLists.txt): no libc, no stack protector,
 * and no relocations, since nobody relocates a vDSO. The data page is
 * reached PC-relatively through vvar_page, which the linker script puts
 * right below the image. The functions return 0 or -errno, like the
 * system calls they stand for; glibc turns that into errno. */
#include "vdso/vdso_data.h"

#define VDSO_EXPORT __attribute__((visibility("default")))

/* x86-64 system call numbers. */
#define NR_gettimeofday		96
#define NR_time			201
#define NR_clock_gettime	228
#define NR_clock_getres		229
#define NR_getcpu		309

struct vdso_timespec {
	long tv_sec;
	long tv_nsec;
};

struct vdso_timeval {
	long tv_sec;
	long tv_usec;
};

struct vdso_timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

extern const struct vdso_data vvar_page __attribute__((visibility("hidden")));

static long syscall1(long nr, long a)
{
	long ret;

	__asm__ __volatile__("syscall" : "=a"(ret) : "a"(nr), "D"(a) : "rcx", "r11", "memory");
	return ret;
}

static long syscall2(long nr, long a, long b)
{
	long ret;

	__asm__ __volatile__("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static long syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ __volatile__("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

VDSO_EXPORT int __vdso_clock_gettime(int clock, struct vdso_timespec *ts)
{
	int64_t ns, sec, nsec;

	if (!vdso_read_ns(&vvar_page, clock, &ns))
		return (int)syscall2(NR_clock_gettime, clock, (long)ts);
	vdso_split_ns(ns, &sec, &nsec);
	ts->tv_sec = sec;
	ts->tv_nsec = nsec;
	return 0;
}

/* The sandbox's time zone is UTC: sys_gettimeofday reports zeros too. */
VDSO_EXPORT int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
{
	if (tv) {
		int64_t ns, sec, nsec;

		if (!vdso_read_ns(&vvar_page, VDSO_CLOCK_REALTIME, &ns))
			return (int)syscall2(NR_gettimeofday, (long)tv, (long)tz);
		vdso_split_ns(ns, &sec, &nsec);
		tv->tv_sec = sec;
		tv->tv_usec = nsec / 1000;
	}
	if (tz) {
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

/* time(2) is the coarse realtime clock's seconds, in Linux and in the
 * sentry alike. */
VDSO_EXPORT long __vdso_time(long *t)
{
	int64_t ns, sec, nsec;

	if (!vdso_read_ns(&vvar_page, VDSO_CLOCK_REALTIME_COARSE, &ns))
		return syscall1(NR_time, (long)t);
	vdso_split_ns(ns, &sec, &nsec);
	if (t)
		*t = sec;
	return sec;
}

VDSO_EXPORT int __vdso_clock_getres(int clock, struct vdso_timespec *res)
{
	int64_t ns, sec, nsec;

	if (!vdso_res_ns(&vvar_page, clock, &ns))
		return (int)syscall2(NR_clock_getres, clock, (long)res);
	if (res) {
		vdso_split_ns(ns, &sec, &nsec);
		res->tv_sec = sec;
		res->tv_nsec = nsec;
	}
	return 0;
}

VDSO_EXPORT int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	uint32_t c, n;

	if (!vdso_getcpu(&vvar_page, &c, &n))
		return (int)syscall3(NR_getcpu, (long)cpu, (long)node, (long)unused);
	if (cpu)
		*cpu = c;
	if (node)
		*node = n;
	return 0;
}

/* The names without the prefix, as Linux's vDSO has them. */
VDSO_EXPORT int clock_gettime(int, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
VDSO_EXPORT int gettimeofday(struct vdso_timeval *, struct vdso_timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
VDSO_EXPORT long time(long *) __attribute__((weak, alias("__vdso_time")));
VDSO_EXPORT int clock_getres(int, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
VDSO_EXPORT int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
