/* kernel/time: the clock reader the vDSO and the sentry share
 * (vdso/vdso_data.h), on pages made by hand; and the timekeeper, against
 * the host's clocks. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "kernel/time/timekeeper.h"
#include "kernel/task/task.h"
#include "state/fault.h"
#include "vdso/vdso_data.h"

static int64_t host(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A page whose clocks run at 1 ns per TSC tick from now. */
static void one_ns_per_tick(struct vdso_data *d)
{
	memset(d, 0, sizeof(*d));
	d->version = VDSO_DATA_VERSION;
	d->flags = VDSO_F_CLOCKS;
	d->hres_res_ns = 1;
	d->coarse_res_ns = 4000000;
	d->mono = (struct vdso_clock){ .tsc_base = vdso_rdtsc(), .ns_base = 5000000000LL, .mult = 1ULL << VDSO_SHIFT };
	d->raw = (struct vdso_clock){ .tsc_base = vdso_rdtsc(), .ns_base = 7000000000LL, .mult = 1ULL << VDSO_SHIFT };
	d->real_off = 1700000000LL * 1000000000LL;
	d->boot_off = 3000;
	d->tai_off = d->real_off + 37000000000LL;
	d->cpu = 3;
	d->node = 1;
}

Test(vdso_data, clocks_from_the_parameters)
{
	struct vdso_data d;
	int64_t mono, raw, real, boot, tai, coarse, res;
	uint32_t cpu, node;

	one_ns_per_tick(&d);
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_MONOTONIC, &mono));
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_BOOTTIME, &boot));
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_REALTIME, &real));
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_TAI, &tai));
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_MONOTONIC_RAW, &raw));
	cr_assert(mono >= 5000000000LL && mono < 5000000000LL + 1000000000LL);
	cr_assert(raw >= 7000000000LL && raw < 7000000000LL + 1000000000LL);
	/* Read later, each is at least the earlier plus its offset. */
	cr_assert_geq(boot, mono + 3000);
	cr_assert_geq(real, mono + d.real_off);
	cr_assert_geq(tai, real + 37000000000LL);
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_MONOTONIC_COARSE, &coarse));
	cr_assert_eq(coarse % 4000000, 0, "a coarse clock is cut to its resolution");
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_MONOTONIC, &mono));
	cr_assert(coarse <= mono && mono - coarse < 4000000 + 1000000000LL);
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_REALTIME_COARSE, &coarse));
	cr_assert_eq(coarse % 4000000, 0);
	cr_assert(vdso_res_ns(&d, VDSO_CLOCK_REALTIME, &res) && res == 1);
	cr_assert(vdso_res_ns(&d, VDSO_CLOCK_MONOTONIC_COARSE, &res) && res == 4000000);
	cr_assert(vdso_getcpu(&d, &cpu, &node) && cpu == 3 && node == 1);
}

Test(vdso_data, tsc_behind_the_anchor_reads_the_anchor)
{
	struct vdso_data d;
	int64_t mono;

	one_ns_per_tick(&d);
	d.mono.tsc_base = vdso_rdtsc() + (1ULL << 40);
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_MONOTONIC, &mono));
	cr_assert_eq(mono, 5000000000LL);
}

Test(vdso_data, large_deltas_do_not_overflow)
{
	struct vdso_data d;
	int64_t mono;

	/* A day of ticks at 3 GHz times a mult near 2^32: 2^78, past 64 bits. */
	one_ns_per_tick(&d);
	d.mono.tsc_base = vdso_rdtsc() - 86400ULL * 3000000000ULL;
	d.mono.mult = (1ULL << VDSO_SHIFT) / 3;
	cr_assert(vdso_read_ns(&d, VDSO_CLOCK_MONOTONIC, &mono));
	cr_assert(mono >= 5000000000LL + 86399LL * 1000000000LL && mono <= 5000000000LL + 86401LL * 1000000000LL);
}

Test(vdso_data, what_the_page_cannot_answer)
{
	static const int32_t others[] = { 2, 3, 8, 9, 10, 12, 15, 16, 100, -1, -6 };
	struct vdso_data d;
	int64_t v;
	uint32_t cpu, node;

	one_ns_per_tick(&d);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		cr_assert(!vdso_read_ns(&d, others[i], &v), "clock %d", others[i]);
		cr_assert(!vdso_res_ns(&d, others[i], &v), "clock %d", others[i]);
	}
	/* Clocks off: no time, but resolutions and the CPU still. */
	d.flags = 0;
	cr_assert(!vdso_read_ns(&d, VDSO_CLOCK_MONOTONIC, &v));
	cr_assert(vdso_res_ns(&d, VDSO_CLOCK_MONOTONIC, &v));
	cr_assert(vdso_getcpu(&d, &cpu, &node));
	/* Another layout: nothing at all. */
	one_ns_per_tick(&d);
	d.version = VDSO_DATA_VERSION + 1;
	cr_assert(!vdso_read_ns(&d, VDSO_CLOCK_MONOTONIC, &v));
	cr_assert(!vdso_res_ns(&d, VDSO_CLOCK_MONOTONIC, &v));
	cr_assert(!vdso_getcpu(&d, &cpu, &node));
	/* A writer that never finishes: the reader gives up. */
	one_ns_per_tick(&d);
	d.seq = 1;
	cr_assert(!vdso_read_ns(&d, VDSO_CLOCK_REALTIME, &v));
}

Test(vdso_data, split_ns)
{
	int64_t s, n;

	vdso_split_ns(1500000000LL, &s, &n);
	cr_assert(s == 1 && n == 500000000);
	vdso_split_ns(-1, &s, &n);
	cr_assert(s == -1 && n == 999999999);
}

/* Waits for the first refresh (1 ms after tk_init). */
static void wait_clocks_on(void)
{
	for (int i = 0; i < 1000 && !tk_tsc_clocks(); i++)
		usleep(1000);
	cr_assert(tk_tsc_clocks(), "the TSC clocks came on (this host has an invariant TSC)");
}

/* Every clock the page carries reads between two reads of the host's,
 * give or take tol ns, and never goes back, for ms milliseconds. */
static void follows_host(int ms, int64_t tol)
{
	static const clockid_t ids[] = { CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_TAI };
	int64_t last[5] = { 0 }, t0 = host(CLOCK_MONOTONIC);

	while (host(CLOCK_MONOTONIC) - t0 < ms * 1000000LL) {
		for (int k = 0; k < 5; k++) {
			int64_t a = host(ids[k]), v = tk_now(ids[k]), b = host(ids[k]);

			cr_assert(v >= a - tol && v <= b + tol, "clock %d: %ld not in [%ld, %ld] +- %ld", ids[k], v, a, b, tol);
			cr_assert_geq(v, last[k], "clock %d went back", ids[k]);
			last[k] = v;
		}
	}
}

Test(timekeeper, follows_the_host_clocks, .timeout = 30)
{
	cr_assert_eq(tk_init(), 0);
	wait_clocks_on();
	/* Through the refreshes at 2, 4, ... 512 ms and 1 s. */
	follows_host(1500, 20000);
}

Test(timekeeper, page_and_sentry_agree, .timeout = 30)
{
	static struct vdso_data page __attribute__((aligned(4096)));
	int64_t a, b, c;
	uint32_t cpu, node;

	cr_assert_eq(tk_init(), 0);
	tk_attach_page(&page);
	cr_assert_eq(page.version, VDSO_DATA_VERSION, "filled at once");
	wait_clocks_on();
	a = tk_now(CLOCK_MONOTONIC);
	cr_assert(vdso_read_ns(&page, VDSO_CLOCK_MONOTONIC, &b));
	c = tk_now(CLOCK_MONOTONIC);
	cr_assert(a <= b && b <= c);
	tk_getcpu(&cpu, &node);
	cr_assert(cpu == 0 && node == 0);
}

Test(timekeeper, restore_shifts_the_monotonic_clocks, .timeout = 30)
{
	static const clockid_t shifted[] = { CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME, CLOCK_MONOTONIC_COARSE };
	static const clockid_t fixed[] = { CLOCK_REALTIME, CLOCK_TAI, CLOCK_REALTIME_COARSE };
	const int64_t off = 1000LL * 1000000000LL;

	cr_assert_eq(tk_init(), 0);
	wait_clocks_on();
	tk_set_mono_offset(off);
	cr_assert_eq(sandbox.mono_offset_ns, off);
	for (size_t i = 0; i < sizeof(shifted) / sizeof(shifted[0]); i++) {
		int64_t d = tk_now(shifted[i]) - host(shifted[i]);
		cr_assert(d > off - 10000000 && d < off + 10000000, "clock %d off by %ld", shifted[i], d - off);
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		int64_t d = tk_now(fixed[i]) - host(fixed[i]);
		cr_assert(d > -10000000 && d < 10000000, "clock %d moved by %ld", fixed[i], d);
	}
	/* And it keeps following the host, shifted, through refreshes. */
	for (int64_t t0 = host(CLOCK_MONOTONIC), last = 0; host(CLOCK_MONOTONIC) - t0 < 300000000LL;) {
		int64_t a = host(CLOCK_MONOTONIC) + off, v = tk_now(CLOCK_MONOTONIC), b = host(CLOCK_MONOTONIC) + off;

		cr_assert(v >= a - 20000 && v <= b + 20000, "%ld not in [%ld, %ld]", v, a, b);
		cr_assert_geq(v, last);
		last = v;
	}
}

Test(timekeeper, without_a_usable_tsc, .timeout = 30)
{
	setenv("AMBER_FAULT", "time.tsc", 1);
	fault_reload();
	cr_assert_eq(tk_init(), 0);
	usleep(20000);
	cr_assert(!tk_tsc_clocks());
	follows_host(50, 0);
	tk_set_mono_offset(5000000000LL);
	follows_host(50, 5000000000LL + 1000000);
	{
		int64_t a = host(CLOCK_MONOTONIC), v = tk_now(CLOCK_MONOTONIC);
		cr_assert_geq(v - a, 5000000000LL);
	}
	unsetenv("AMBER_FAULT");
	fault_reload();
}
