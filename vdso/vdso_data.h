/* The time data the sentry shares with the vDSO (the "vvar" page), and
 * the one function both use to read a clock from it: a clock read through
 * the vDSO and one read through the system call are the same computation
 * over the same numbers.
 *
 * The clocks are the TSC scaled to nanoseconds: ns = ns_base +
 * ((tsc - tsc_base) * mult >> VDSO_SHIFT), for CLOCK_MONOTONIC and
 * CLOCK_MONOTONIC_RAW; CLOCK_REALTIME, CLOCK_BOOTTIME and CLOCK_TAI are
 * CLOCK_MONOTONIC plus an offset, as in Linux's timekeeping, so that the
 * relations between them hold exactly. The sentry re-anchors the
 * parameters to the host's clocks (kernel/time/timekeeper.c) under a
 * sequence count: odd while it writes.
 *
 * Offset 0 holds the layout version, in every layout there will ever be.
 * A vDSO restored from an image made by another build reads the data page
 * of the build that restores it; when the version is not its own, it
 * makes system calls instead (vdso_read_ns returns false).
 *
 * Compiled into the vDSO (freestanding, no libc) and into the sentry, so
 * it includes only freestanding headers. */
#ifndef AMBER_VDSO_DATA_H
#define AMBER_VDSO_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdso/vdso_layout.h"

#define VDSO_DATA_VERSION	1
#define VDSO_SHIFT		32	/* mult is ns per TSC tick, in units of 2^-32 ns */
#define VDSO_F_CLOCKS		0x1	/* the TSC clocks may be read; else system calls */
/* A reader that finds the sequence count odd this many times in a row
 * (the writer was preempted mid-update) gives up and makes the system
 * call, which waits for the writer instead of spinning. */
#define VDSO_MAX_SPINS		(1u << 16)

/* Linux's clock ids (the ABI's numbers, not a host header's). */
#define VDSO_CLOCK_REALTIME		0
#define VDSO_CLOCK_MONOTONIC		1
#define VDSO_CLOCK_MONOTONIC_RAW	4
#define VDSO_CLOCK_REALTIME_COARSE	5
#define VDSO_CLOCK_MONOTONIC_COARSE	6
#define VDSO_CLOCK_BOOTTIME		7
#define VDSO_CLOCK_TAI			11

#define VDSO_NSEC_PER_SEC	1000000000LL

struct vdso_clock {
	uint64_t tsc_base;	/* the TSC at the anchor */
	int64_t ns_base;	/* the clock there, ns */
	uint64_t mult;		/* ns per TSC tick << VDSO_SHIFT */
};

struct vdso_data {
	uint32_t version;	/* VDSO_DATA_VERSION; set once, never changes */
	uint32_t seq;		/* odd while the sentry writes what follows */
	uint32_t flags;		/* VDSO_F_* */
	uint32_t cpu;		/* what getcpu(2) reports; never changes */
	uint32_t node;
	uint32_t pad;
	int64_t hres_res_ns;	/* clock_getres of the fine clocks; never changes */
	int64_t coarse_res_ns;	/* of the *_COARSE clocks; never changes */
	struct vdso_clock mono;	/* CLOCK_MONOTONIC */
	struct vdso_clock raw;	/* CLOCK_MONOTONIC_RAW */
	int64_t real_off;	/* CLOCK_REALTIME minus CLOCK_MONOTONIC */
	int64_t boot_off;	/* CLOCK_BOOTTIME minus CLOCK_MONOTONIC */
	int64_t tai_off;	/* CLOCK_TAI minus CLOCK_MONOTONIC */
};

_Static_assert(sizeof(struct vdso_data) <= VDSO_VVAR_SIZE, "the data must fit its page");

#define VDSO_READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* The TSC, read after every load before it (Linux's rdtsc_ordered; the
 * host need not have rdtscp). */
static inline uint64_t vdso_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* The clock c at TSC value tsc. A TSC a little behind the anchor (read
 * on another CPU just after the sentry's read) counts as the anchor. */
static inline int64_t vdso_clock_at(const struct vdso_clock *c, uint64_t tsc)
{
	uint64_t delta = tsc - c->tsc_base;

	if ((int64_t)delta < 0)
		delta = 0;
	return c->ns_base + (int64_t)(((unsigned __int128)delta * c->mult) >> VDSO_SHIFT);
}

/* Reads clock clockid from d into *ns. Returns false when d cannot
 * answer: a clock it does not carry (the CPU-time clocks, the alarm
 * clocks, a bad id), clocks off (no usable TSC, not calibrated yet), a
 * layout of another version, or a writer that does not finish. The
 * caller then asks the sentry (the system call). */
static inline bool vdso_read_ns(const struct vdso_data *d, int32_t clockid, int64_t *ns)
{
	const struct vdso_clock *src = &d->mono;
	const int64_t *off = NULL;
	bool coarse = false;

	switch (clockid) {
	case VDSO_CLOCK_MONOTONIC:
		break;
	case VDSO_CLOCK_MONOTONIC_COARSE:
		coarse = true;
		break;
	case VDSO_CLOCK_MONOTONIC_RAW:
		src = &d->raw;
		break;
	case VDSO_CLOCK_REALTIME:
		off = &d->real_off;
		break;
	case VDSO_CLOCK_REALTIME_COARSE:
		off = &d->real_off;
		coarse = true;
		break;
	case VDSO_CLOCK_BOOTTIME:
		off = &d->boot_off;
		break;
	case VDSO_CLOCK_TAI:
		off = &d->tai_off;
		break;
	default:
		return false;
	}
	if (VDSO_READ(d->version) != VDSO_DATA_VERSION)
		return false;
	for (uint32_t spins = 0;;) {
		uint32_t seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
		struct vdso_clock c;
		int64_t add, res, v;
		uint64_t tsc;

		if (seq & 1) {
			if (++spins >= VDSO_MAX_SPINS)
				return false;
			__asm__ __volatile__("pause" ::: "memory");
			continue;
		}
		if (!(VDSO_READ(d->flags) & VDSO_F_CLOCKS))
			return false;
		c.tsc_base = VDSO_READ(src->tsc_base);
		c.ns_base = VDSO_READ(src->ns_base);
		c.mult = VDSO_READ(src->mult);
		add = off ? VDSO_READ(*off) : 0;
		res = VDSO_READ(d->coarse_res_ns);
		tsc = vdso_rdtsc();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&d->seq, __ATOMIC_RELAXED) != seq)
			continue;
		v = vdso_clock_at(&c, tsc) + add;
		/* A coarse clock is the fine one cut to its resolution: never
		 * ahead of it, never more than a tick behind. */
		if (coarse && res > 1)
			v -= v % res;
		*ns = v;
		return true;
	}
}

/* clock_getres from d: true and *ns for the clocks d carries, whether or
 * not the clocks are on (the resolutions never change). */
static inline bool vdso_res_ns(const struct vdso_data *d, int32_t clockid, int64_t *ns)
{
	if (VDSO_READ(d->version) != VDSO_DATA_VERSION)
		return false;
	switch (clockid) {
	case VDSO_CLOCK_REALTIME: case VDSO_CLOCK_MONOTONIC: case VDSO_CLOCK_MONOTONIC_RAW:
	case VDSO_CLOCK_BOOTTIME: case VDSO_CLOCK_TAI:
		*ns = VDSO_READ(d->hres_res_ns);
		return true;
	case VDSO_CLOCK_REALTIME_COARSE: case VDSO_CLOCK_MONOTONIC_COARSE:
		*ns = VDSO_READ(d->coarse_res_ns);
		return true;
	default:
		return false;
	}
}

/* getcpu from d: true, with *cpu and *node, unless d is of another
 * version. */
static inline bool vdso_getcpu(const struct vdso_data *d, uint32_t *cpu, uint32_t *node)
{
	if (VDSO_READ(d->version) != VDSO_DATA_VERSION)
		return false;
	*cpu = VDSO_READ(d->cpu);
	*node = VDSO_READ(d->node);
	return true;
}

/* A time in ns as seconds and nanoseconds, nanoseconds in [0, 1e9). */
static inline void vdso_split_ns(int64_t ns, int64_t *sec, int64_t *nsec)
{
	int64_t s = ns / VDSO_NSEC_PER_SEC, r = ns % VDSO_NSEC_PER_SEC;

	if (r < 0) {
		r += VDSO_NSEC_PER_SEC;
		s--;
	}
	*sec = s;
	*nsec = r;
}

#endif
