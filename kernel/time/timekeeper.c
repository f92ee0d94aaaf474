/* The timekeeper: fits the TSC to the host's clocks and publishes the fit
 * in the vDSO's data page (and in a copy the system calls read).
 *
 * Two clocks are extrapolated from the TSC, CLOCK_MONOTONIC (which the
 * host's NTP may slew) and CLOCK_MONOTONIC_RAW; REALTIME, BOOTTIME and TAI
 * are MONOTONIC plus offsets, which change only when the host's do (a
 * step of its wall clock, a suspend), as in Linux's timekeeping.
 *
 * Each refresh reads every host clock with the TSC bracketing the read,
 * measures each extrapolated clock's rate over the interval since the
 * previous refresh, and re-anchors the parameters at the current TSC
 * without a jump: the new anchor is where the old parameters are now, and
 * the new rate carries the difference to the host's clock away over the
 * next interval (the way gVisor's timekeeper does it). So the clocks never
 * step back, and they stay within about the jitter of one read (tens of
 * ns) of the host's.
 *
 * Refreshes come from a thread, 1 ms after start and then at doubling
 * intervals up to 1 s: while a rate has been measured over a short time
 * only, it is used over a short time only, so the error stays the same
 * throughout. A thread rather than a refresh on each trap: a program that
 * reads the clock without trapping (which is the point) would otherwise
 * see no refresh, and each trap would pay for reading the host's clocks.
 * Until the first refresh the clocks are off and every read goes to the
 * host's clocks (the vDSO makes system calls). */
#include "kernel/time/timekeeper.h"
#include "kernel/lib/log.h"
#include "kernel/task/task.h"
#include "state/fault.h"
#include "vdso/vdso_data.h"

#include <cpuid.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define TK_FIRST_INTERVAL_NS	1000000LL		/* the first refresh, after start */
#define TK_MAX_INTERVAL_NS	1000000000LL		/* refreshes once the rates are known */
#define TK_OFFSET_STEP_NS	1000			/* an offset moving more: the host stepped a clock */
#define TK_CATCH_UP_NS		50000000LL		/* this far behind the host: jump forward */
#define TK_MAX_CORRECTION_SHIFT	10			/* corrections stay within rate/1024 */
#define TK_BRACKETS		5			/* reads per sample; the tightest one counts */

/* The host's clocks at one moment. */
struct tk_sample {
	uint64_t mono_tsc, raw_tsc;	/* the TSC at the reads below */
	int64_t mono, raw;		/* host CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW */
	int64_t real_d, boot_d, tai_d;	/* host REALTIME, BOOTTIME, TAI minus MONOTONIC */
};

static struct {
	pthread_mutex_t lock;		/* held by the writer; protects all but shadow's readers */
	struct vdso_data shadow;	/* what the page holds, for the sentry's own reads */
	struct vdso_data *page;		/* the data page; NULL until a program maps it */
	bool tsc;			/* a usable TSC; never changes after tk_init */
	bool started;
	bool have_prev;
	struct tk_sample prev;		/* the previous refresh's sample */
	int64_t next_ns;		/* the refresh thread's next interval */
} tk = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int64_t host_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * VDSO_NSEC_PER_SEC + ts.tv_nsec;
}

/* Host clock c and the TSC at the same moment: the middle of the
 * tightest of a few TSC brackets around the read. */
static void read_pair(clockid_t c, uint64_t *tsc, int64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < TK_BRACKETS; i++) {
		uint64_t a = vdso_rdtsc();
		int64_t v = host_ns(c);
		uint64_t b = vdso_rdtsc();

		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = v;
		}
	}
}

/* Host clock c minus CLOCK_MONOTONIC, with MONOTONIC read on both sides
 * of c: the middle of the tightest bracket. */
static int64_t diff_to_mono(clockid_t c)
{
	int64_t best = INT64_MAX, d = 0;

	for (int i = 0; i < TK_BRACKETS; i++) {
		int64_t a = host_ns(CLOCK_MONOTONIC), v = host_ns(c), b = host_ns(CLOCK_MONOTONIC);

		if (b - a < best) {
			best = b - a;
			d = v - (a + (b - a) / 2);
		}
	}
	return d;
}

static void take_sample(struct tk_sample *s)
{
	read_pair(CLOCK_MONOTONIC, &s->mono_tsc, &s->mono);
	read_pair(CLOCK_MONOTONIC_RAW, &s->raw_tsc, &s->raw);
	s->real_d = diff_to_mono(CLOCK_REALTIME);
	s->boot_d = diff_to_mono(CLOCK_BOOTTIME);
	s->tai_d = diff_to_mono(CLOCK_TAI);
}

/* Re-anchors c at TSC value s, where the host clock reads host + off
 * (measured at TSC value tsc <= s; prev_tsc and prev_host an interval
 * earlier), for an interval of next_ns. measure: take the rate over that
 * interval (a refresh of the thread's, not an early one whose interval
 * is too short to measure). step: anchor on the host's value even if that
 * moves the clock back (no program has read it yet). */
static void retune(struct vdso_clock *c, uint64_t s, uint64_t tsc, int64_t host, uint64_t prev_tsc,
		   int64_t prev_host, int64_t off, int64_t next_ns, bool measure, bool step)
{
	uint64_t rate = c->mult, ticks;
	int64_t at_s, base, err, corr = 0, limit;

	if (measure && tsc > prev_tsc && host > prev_host)
		rate = (uint64_t)(((unsigned __int128)(uint64_t)(host - prev_host) << VDSO_SHIFT) / (tsc - prev_tsc));
	if (!rate)
		return;		/* no rate measured yet: the clocks stay off */
	/* s is read after tsc, but maybe on another CPU: not before it. */
	if ((int64_t)(s - tsc) < 0)
		s = tsc;
	at_s = host + off + (int64_t)(((unsigned __int128)(s - tsc) * rate) >> VDSO_SHIFT);
	if (step || !c->mult) {
		base = at_s;
	} else {
		/* Continue from where the clock is; far behind (the thread did
		 * not run for long), catch up at once. Never step back. */
		base = vdso_clock_at(c, s);
		if (at_s - base > TK_CATCH_UP_NS)
			base = at_s;
	}
	err = at_s - base;
	ticks = (uint64_t)(((unsigned __int128)(uint64_t)next_ns << VDSO_SHIFT) / rate);
	if (ticks)
		corr = (int64_t)((__int128)err * ((__int128)1 << VDSO_SHIFT) / (__int128)ticks);
	limit = (int64_t)(rate >> TK_MAX_CORRECTION_SHIFT);
	corr = corr > limit ? limit : corr < -limit ? -limit : corr;
	c->tsc_base = s;
	c->ns_base = base;
	c->mult = (uint64_t)((int64_t)rate + corr);
}

/* An offset as measured now, unless it is within the noise of the one in
 * use; a BOOTTIME offset only grows (a suspend), as in Linux. */
static int64_t adopt(int64_t old, int64_t now, bool force, bool grow_only)
{
	int64_t d = now - old;

	if (force)
		return grow_only && now < 0 ? 0 : now;
	if (grow_only)
		return d > TK_OFFSET_STEP_NS ? now : old;
	return d > TK_OFFSET_STEP_NS || d < -TK_OFFSET_STEP_NS ? now : old;
}

#define W(f) __atomic_store_n(&dst->f, src->f, __ATOMIC_RELAXED)

/* Writes src into dst under dst's sequence count (one writer: tk.lock). */
static void write_data(struct vdso_data *dst, const struct vdso_data *src)
{
	uint32_t seq = dst->seq;

	__atomic_store_n(&dst->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	W(version);
	W(flags);
	W(cpu);
	W(node);
	W(hres_res_ns);
	W(coarse_res_ns);
	W(mono.tsc_base);
	W(mono.ns_base);
	W(mono.mult);
	W(raw.tsc_base);
	W(raw.ns_base);
	W(raw.mult);
	W(real_off);
	W(boot_off);
	W(tai_off);
	__atomic_store_n(&dst->seq, seq + 2, __ATOMIC_RELEASE);
}

#undef W

/* Publishes d as the clocks. tk.lock held. */
static void publish(const struct vdso_data *d)
{
	write_data(&tk.shadow, d);
	if (tk.page)
		write_data(tk.page, d);
}

/* A refresh: a new sample, and the clocks refitted to it for an interval
 * of next_ns. The first sample only starts the first interval. step: a
 * re-anchoring outside the thread's rhythm (a restore's new offset): the
 * rates stay, and the next refresh measures from the previous sample.
 * tk.lock held. */
static void refresh(bool step, int64_t next_ns)
{
	struct vdso_data d = tk.shadow;
	struct tk_sample n;
	int64_t mo = sandbox.mono_offset_ns;
	bool first = !(d.flags & VDSO_F_CLOCKS);
	uint64_t s;

	take_sample(&n);
	if (!tk.have_prev) {
		tk.prev = n;
		tk.have_prev = true;
		return;
	}
	/* The anchor: read last, so that it is after every sample's TSC,
	 * and close to the moment the new values are published. */
	s = vdso_rdtsc();
	retune(&d.mono, s, n.mono_tsc, n.mono, tk.prev.mono_tsc, tk.prev.mono, mo, next_ns, !step, step);
	retune(&d.raw, s, n.raw_tsc, n.raw, tk.prev.raw_tsc, tk.prev.raw, mo, next_ns, !step, step);
	d.real_off = adopt(d.real_off, n.real_d - mo, first || step, false);
	d.boot_off = adopt(d.boot_off, n.boot_d, first || step, true);
	d.tai_off = adopt(d.tai_off, n.tai_d - mo, first || step, false);
	if (!step)
		tk.prev = n;
	if (!d.mono.mult || !d.raw.mult)
		return;		/* no rate yet: the TSC did not move */
	if (first)
		log_debug("time: TSC clocks on, %.3f MHz", 1e3 * (double)(1ULL << VDSO_SHIFT) / (double)d.raw.mult);
	d.flags |= VDSO_F_CLOCKS;
	publish(&d);
}

static void *refresh_thread(void *arg)
{
	int64_t interval = TK_FIRST_INTERVAL_NS;

	for (;;) {
		int64_t next = interval * 2 < TK_MAX_INTERVAL_NS ? interval * 2 : TK_MAX_INTERVAL_NS;

		/* poll: a sleep the sentry's seccomp filter allows. */
		poll(NULL, 0, (int)(interval / 1000000));
		pthread_mutex_lock(&tk.lock);
		tk.next_ns = next;
		refresh(false, next);
		pthread_mutex_unlock(&tk.lock);
		interval = next;
	}
	return NULL;
}

/* Invariant TSC (constant rate, and running in deep sleep states) in the
 * CPUID the sentry sees, and rdtsc allowed in user space; the stubs the
 * programs run in inherit the sentry's setting. */
static bool tsc_usable(void)
{
	unsigned int a, b, c, d;
	int mode = PR_TSC_ENABLE;

	if (fault_hit("time.tsc") < 0)
		return false;
	if (__get_cpuid_max(0x80000000, NULL) < 0x80000007)
		return false;
	__cpuid(0x80000007, a, b, c, d);
	if (!(d & (1u << 8)))
		return false;
	if (prctl(PR_GET_TSC, &mode, 0, 0, 0) == 0 && mode != PR_TSC_ENABLE)
		return false;
	return true;
}

int tk_init(void)
{
	struct timespec res;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	if (tk.started)
		return 0;
	tk.started = true;
	tk.shadow.version = VDSO_DATA_VERSION;
	tk.shadow.cpu = 0;
	tk.shadow.node = 0;
	clock_getres(CLOCK_MONOTONIC, &res);
	tk.shadow.hres_res_ns = res.tv_sec * VDSO_NSEC_PER_SEC + res.tv_nsec;
	clock_getres(CLOCK_MONOTONIC_COARSE, &res);
	tk.shadow.coarse_res_ns = res.tv_sec * VDSO_NSEC_PER_SEC + res.tv_nsec;
	tk.tsc = tsc_usable();
	if (!tk.tsc) {
		log_info("time: no usable TSC; the vDSO makes system calls");
		return 0;
	}
	tk.next_ns = TK_FIRST_INTERVAL_NS;
	pthread_mutex_lock(&tk.lock);
	refresh(false, TK_FIRST_INTERVAL_NS);
	pthread_mutex_unlock(&tk.lock);

	/* The thread takes no signal: the sentry's are for task threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&thread, &attr, refresh_thread, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		tk.tsc = false;
		return -err;
	}
	return 0;
}

void tk_attach_page(struct vdso_data *page)
{
	pthread_mutex_lock(&tk.lock);
	tk.page = page;
	write_data(page, &tk.shadow);
	pthread_mutex_unlock(&tk.lock);
}

/* The monotonic clocks are shifted after a restore. */
static bool shifted(clockid_t c)
{
	return c == CLOCK_MONOTONIC || c == CLOCK_MONOTONIC_RAW || c == CLOCK_MONOTONIC_COARSE ||
	       c == CLOCK_BOOTTIME;
}

int64_t tk_now(clockid_t c)
{
	int64_t ns;

	if (vdso_read_ns(&tk.shadow, (int32_t)c, &ns))
		return ns;
	/* A clock the page carries and the clocks on: the writer was
	 * preempted mid-update, wait for it rather than spin. */
	if ((__atomic_load_n(&tk.shadow.flags, __ATOMIC_RELAXED) & VDSO_F_CLOCKS) &&
	    vdso_res_ns(&tk.shadow, (int32_t)c, &ns)) {
		bool ok;

		pthread_mutex_lock(&tk.lock);
		ok = vdso_read_ns(&tk.shadow, (int32_t)c, &ns);
		pthread_mutex_unlock(&tk.lock);
		if (ok)
			return ns;
	}
	return host_ns(c) + (shifted(c) ? __atomic_load_n(&sandbox.mono_offset_ns, __ATOMIC_RELAXED) : 0);
}

void tk_getcpu(uint32_t *cpu, uint32_t *node)
{
	*cpu = 0;
	*node = 0;
	vdso_getcpu(&tk.shadow, cpu, node);
}

void tk_set_mono_offset(int64_t off)
{
	pthread_mutex_lock(&tk.lock);
	__atomic_store_n(&sandbox.mono_offset_ns, off, __ATOMIC_RELAXED);
	if (tk.shadow.flags & VDSO_F_CLOCKS)
		refresh(true, tk.next_ns);
	pthread_mutex_unlock(&tk.lock);
}

bool tk_tsc_clocks(void)
{
	return __atomic_load_n(&tk.shadow.flags, __ATOMIC_RELAXED) & VDSO_F_CLOCKS;
}

int64_t host_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
