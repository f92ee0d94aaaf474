/* The systrap platform. Each address space is a stub process forked from
 * the sentry, stripped of every mapping but the stub region (code, and an
 * area per application thread: its shared context and stack; shared.h),
 * running application code under a seccomp filter that traps every
 * system call made outside the stub's code. Each application thread has
 * a stub thread of its own. The stub's signal handler (stub.c) and the
 * sentry hand the thread to each other through the context: a futex word
 * both sides spin on first and sleep on after (see wait_event and the
 * stub's wait_cmd). No ptrace and, while both sides spin, no host context
 * switch on the path of a system call; mapping changes are commands the
 * stub carries out. */
#include "platform/platform.h"
#include "platform/systrap/shared.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define USER_TOP	0x7ffffffff000UL	/* 47-bit x86-64 user space */
#define APP_TOP		0x7ff000000000UL	/* the application stays below */
#define MAX_SLOTS	4096			/* stub threads per sandbox */
/* The longest either side spins before it sleeps on the futex. Long
 * enough to cover a typical sentry system call and the application's
 * code between two calls in a syscall-heavy loop; short enough that a
 * wrong guess costs little next to a futex round trip here (20-30 us). */
#define SPIN_MAX_NS	50000
/* How often a sleeping side checks that the stub still lives. */
#define DEAD_CHECK_NS	100000000L
/* A stub that has not answered a kick in this long has had its signals
 * blocked by the application (a forged rt_sigreturn frame can do that):
 * it would run beyond the sentry's reach, so it is killed. */
#define KICK_TIMEOUT_NS	5000000000ULL
#define HELLO_TIMEOUT_NS 10000000000L
/* Longer than a futex wake-up of an idle CPU takes here (10-30 us), and
 * than a wake-up on the same CPU (12-15 us); shorter than one across
 * CPUs busy with other work (80-200 us). */
#define SLOW_WAKE_NS	40000ULL

#ifndef SA_RESTORER
#define SA_RESTORER	0x04000000
#endif

#define USER_CS		0x33
#define USER_DS		0x2b

_Static_assert(SYSTRAP_MEMFD == PLATFORM_STUB_MEMFD, "the stub's memory-file fd");

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE	(1 << 1)
#endif

extern char __start_amber_systrap_text[], __stop_amber_systrap_text[];
void amber_systrap_entry(uint64_t stack_top, uint64_t user_top);
void amber_systrap_handler(int sig, void *si, void *uc);
void amber_systrap_restorer(void);
void amber_systrap_fastcall(void);
void amber_systrap_thread(uint64_t area);

static uint64_t region;		/* the stub region, reserved in the sentry */
static int memfile_fd = -1;
static int ctx_fd = -1;		/* every thread area (context and stack), one slot each */
static uint8_t *ctx_map;	/* the sentry's view of ctx_fd */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t slot_used[MAX_SLOTS / 64];
static uint32_t spin_max;	/* pause iterations in SPIN_MAX_NS */
static uint32_t ncpu = 1;
static uint32_t running;	/* contexts in application code */
static bool fsgsbase;
static bool xsave_usable;	/* the trampoline saves vector state with XSAVE */
static cpu_set_t all_cpus;	/* the sentry's own affinity, to go back to */
static __thread bool thread_pinned;	/* this task thread shares a CPU with its stub */
/* The context this host thread runs: address-space changes are commands
 * to its stub thread, which the sentry holds while the task is in a call. */
static __thread struct platform_ctx *cur_ctx;

struct area {
	int slot;		/* its slot of ctx_fd, mapped at the area; -1: never mapped */
	bool used;		/* a live stub thread runs there */
};

struct platform_as {
	pid_t pid;
	uint64_t key;		/* the stub's key for mmap, mprotect and clone (build_filter) */
	bool dead;
	bool reaped;
	int notif_fd;		/* the guard's listener (guard_install), or -1 */
	pthread_mutex_t keyed_lock;	/* one keyed command at a time under the guard */
	pthread_mutex_t lock;	/* protects areas */
	struct area areas[SYSTRAP_AREA_MAX];
	unsigned int n_areas;	/* areas ever mapped */
	/* For --debug, of threads that have ended: how their handoffs went. */
	uint64_t waits, sleeps, fast_calls;
};

struct platform_ctx {
	struct platform_as *as;
	struct systrap_shared *sh;	/* the sentry's view of the thread's context */
	unsigned int area;
	pid_t tid;		/* the stub thread's host tid */
	bool dead;		/* the stub thread is gone */
	uint32_t cmd_spin, cmd_probe;	/* the sentry's spin on commands */
	uint64_t waits, sleeps;	/* for --debug: how the handoffs went */
	bool interrupt_pending;
	uint64_t kick_ns;	/* when the pending kick was sent */
	uint32_t spin, probe;	/* the sentry's spin on application code */
	uint32_t sleep_streak;	/* handoffs in a row that ended asleep */
	uint32_t colocated_for;	/* handoffs since the two were put on one CPU */
	uint32_t same_cpu_streak;	/* handoffs in a row with both on one CPU, not pinned there */
	bool separated;		/* the stub was kept off this thread's CPU */
};

static uint64_t stub_sym(const void *p)
{
	return region + (uint64_t)((const char *)p - __start_amber_systrap_text);
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* The stub's seccomp filter: a call from the stub's code, of the few
 * kinds the stub makes, runs; anything else traps (SIGSYS to the stub's
 * handler), whatever its architecture. The application can jump into
 * the stub's code, so each allowed call is one it could not misuse
 * beyond its own address space: munmap, futex, arch_prctl setting fs or
 * gs, rt_sigreturn. The two that could reach further -- mmap of the
 * memory file, which holds every page of the sandbox, and mprotect,
 * which could make a shared copy-on-write page writable -- also need
 * the stub's key, a random 64-bit value in bits the kernel ignores
 * (mmap: the upper halves of flags and fd; mprotect: a fourth argument).
 * The sentry puts the key in the context only for the command that needs
 * it, while the application cannot run; the stub loads it into those
 * registers inside the asm that makes the call and clears them after.
 * Built in the forked child, on its stack (async-signal-safe). */
#define FILTER_LEN	51
static int build_filter(uint64_t key, struct sock_filter *filter, unsigned short *len)
{
	uint64_t lo = region, hi = region + SYSTRAP_CODE_SIZE;
	uint64_t guard = region + SYSTRAP_AREA_OFF + offsetof(struct systrap_id, guard_len);	/* area 0's */
	enum { T = 49, A = 50 };
	unsigned int n = 0;

#define LD(off)		filter[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)), n++
#define JEQ(k, t, f)	filter[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t) - n - 1, (f) - n - 1), n++
#define JGE(k, t, f)	filter[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t) - n - 1, (f) - n - 1), n++
#define RET(k)		filter[n] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (k)), n++
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i)	(ARG_LO(i) + 4)
	if ((lo >> 32) != ((hi - 1) >> 32))
		return -EINVAL;
	LD(offsetof(struct seccomp_data, arch));			/* 0 */
	JEQ(AUDIT_ARCH_X86_64, 2, T);
	LD(offsetof(struct seccomp_data, instruction_pointer) + 4);	/* 2 */
	JEQ((uint32_t)(lo >> 32), 4, T);
	LD(offsetof(struct seccomp_data, instruction_pointer));		/* 4 */
	JGE((uint32_t)lo, 6, T);
	JGE((uint32_t)hi, T, 7);
	LD(offsetof(struct seccomp_data, nr));				/* 7 */
	JEQ(__NR_rt_sigreturn, A, 9);
	JEQ(__NR_futex, A, 10);
	JEQ(__NR_munmap, A, 11);
	/* A stub thread's own set-up and end: they reach no further than the
	 * calling thread. And the guard's installation (guard_install): its
	 * program alone, which forbids any later seccomp. */
	JEQ(__NR_exit, A, 12);
	JEQ(__NR_sigaltstack, A, 13);
	JEQ(__NR_rt_sigprocmask, A, 14);
	JEQ(__NR_seccomp, 41, 15);
	JEQ(__NR_mprotect, 18, 16);					/* 15 */
	JEQ(__NR_arch_prctl, 22, 17);					/* 16 */
	JEQ(__NR_clone, 35, 25);					/* 17 */
	LD(ARG_LO(3));							/* 18: mprotect's key */
	JEQ((uint32_t)key, 20, T);
	LD(ARG_HI(3));							/* 20 */
	JEQ((uint32_t)(key >> 32), A, T);
	LD(ARG_LO(0));							/* 22: arch_prctl */
	JEQ(ARCH_SET_FS, A, 24);
	JEQ(ARCH_SET_GS, A, T);						/* 24 */
	JEQ(__NR_mmap, 26, T);						/* 25: nr still loaded */
	LD(ARG_LO(3));							/* 26 */
	JEQ(MAP_SHARED | MAP_FIXED, 28, T);
	LD(ARG_HI(3));							/* 28: the key's low half */
	JEQ((uint32_t)key, 30, T);
	LD(ARG_LO(4));							/* 30 */
	JEQ(SYSTRAP_MEMFD, 33, 32);
	JEQ(SYSTRAP_CTXFD, 33, T);					/* 32 */
	LD(ARG_HI(4));							/* 33: the key's high half */
	JEQ((uint32_t)(key >> 32), A, T);
	LD(ARG_LO(0));							/* 35: clone's flags */
	JEQ(SYSTRAP_CLONE_FLAGS, 37, T);
	LD(ARG_LO(4));							/* 37: tls: the key */
	JEQ((uint32_t)key, 39, T);
	LD(ARG_HI(4));							/* 39 */
	JEQ((uint32_t)(key >> 32), A, T);
	LD(ARG_LO(0));							/* 41: seccomp: only the guard */
	JEQ(SECCOMP_SET_MODE_FILTER, 43, T);
	LD(ARG_LO(1));							/* 43 */
	JEQ(SECCOMP_FILTER_FLAG_NEW_LISTENER, 45, T);
	LD(ARG_LO(2));							/* 45: its sock_fprog, on a read-only page */
	JEQ((uint32_t)guard, 47, T);
	LD(ARG_HI(2));							/* 47 */
	JEQ((uint32_t)(guard >> 32), A, T);
	RET(SECCOMP_RET_TRAP);						/* 49 = T */
	RET(SECCOMP_RET_ALLOW);						/* 50 = A */
#undef LD
#undef JEQ
#undef JGE
#undef RET
	if (n != FILTER_LEN)
		return -EINVAL;
	*len = (unsigned short)n;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Spin budgets are counted in `pause` instructions, whose cost varies by
 * CPU (10 to 150 cycles): measure it once, briefly (tens of microseconds:
 * this is on every sandbox's start-up path). */
static void calibrate_spin(void)
{
	const uint32_t n = 2000;
	uint64_t t0 = now_ns(), dt;
	cpu_set_t set;

	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile("pause" ::: "memory");
	dt = now_ns() - t0;
	if (dt == 0)
		dt = 1;
	spin_max = (uint32_t)((uint64_t)SPIN_MAX_NS * n / dt);
	if (spin_max == 0)
		spin_max = 1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
		ncpu = (uint32_t)CPU_COUNT(&set);
		all_cpus = set;
	}
}

static int systrap_init(int mfd)
{
	size_t code = (size_t)(__stop_amber_systrap_text - __start_amber_systrap_text);
	uint64_t a;
	int err;

	if (code > SYSTRAP_CODE_SIZE)
		return -EINVAL;
	memfile_fd = mfd;
	fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
	xsave_usable = arch_xsave_enabled();
	/* The region must be free in the sentry, so that forked stubs find
	 * it free too; the code is mapped there now and inherited. */
	for (a = USER_TOP - SYSTRAP_REGION_SIZE - (16UL << 20); a >= APP_TOP; a -= 1UL << 24) {
		a &= ~(uint64_t)0xfff;
		if ((a >> 32) != ((a + SYSTRAP_CODE_SIZE - 1) >> 32))
			continue;
		void *p = mmap((void *)a, SYSTRAP_REGION_SIZE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		if ((uint64_t)p != a) {
			munmap(p, SYSTRAP_REGION_SIZE);
			continue;
		}
		if (mprotect(p, SYSTRAP_CODE_SIZE, PROT_READ | PROT_WRITE) < 0)
			return -errno;
		memcpy(p, __start_amber_systrap_text, code);
		if (mprotect(p, SYSTRAP_CODE_SIZE, PROT_READ | PROT_EXEC) < 0)
			return -errno;
		region = a;
		break;
	}
	if (!region)
		return -ENOMEM;
	ctx_fd = (int)syscall(SYS_memfd_create, "amber-systrap", MFD_CLOEXEC);
	if (ctx_fd < 0)
		return -errno;
	if (ftruncate(ctx_fd, (off_t)(MAX_SLOTS * SYSTRAP_AREA_SIZE)) < 0)
		return -errno;
	ctx_map = mmap(NULL, MAX_SLOTS * SYSTRAP_AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		       ctx_fd, 0);
	if (ctx_map == MAP_FAILED) {
		ctx_map = NULL;
		return -errno;
	}
	{
		struct sock_filter check[FILTER_LEN];
		unsigned short n;

		err = build_filter(0, check, &n);	/* the layout, once, where an error can be reported */
		if (err < 0)
			return err;
	}
	calibrate_spin();
	log_debug("systrap: stub region at 0x%lx, %zu bytes of code, spin %u pauses, %u cpus%s",
		  (unsigned long)region, code, spin_max, ncpu, fsgsbase ? ", fsgsbase" : "");
	return 0;
}

static uint64_t systrap_app_top(void)
{
	return APP_TOP;
}

static int slot_alloc(void)
{
	int slot = -ENOSPC;

	pthread_mutex_lock(&slot_lock);
	for (unsigned int i = 0; i < MAX_SLOTS; i++) {
		if (!(slot_used[i / 64] & (1ULL << (i % 64)))) {
			slot_used[i / 64] |= 1ULL << (i % 64);
			slot = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&slot_lock);
	return slot;
}

static void slot_free(unsigned int slot)
{
	/* The context's pages go back to the host: a new stub starts from
	 * zeros, and an idle sandbox holds no memory for dead ones. */
	fallocate(ctx_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)slot * (off_t)SYSTRAP_AREA_SIZE,
		  (off_t)SYSTRAP_AREA_SIZE);
	pthread_mutex_lock(&slot_lock);
	slot_used[slot / 64] &= ~(1ULL << (slot % 64));
	pthread_mutex_unlock(&slot_lock);
}

struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static uint64_t area_addr(unsigned int area)
{
	return region + SYSTRAP_AREA_OFF + (uint64_t)area * SYSTRAP_AREA_SIZE;
}

static struct systrap_id *slot_id(int slot)
{
	return (struct systrap_id *)(ctx_map + (size_t)slot * SYSTRAP_AREA_SIZE);
}

static struct systrap_shared *slot_shared(int slot)
{
	return (struct systrap_shared *)(ctx_map + (size_t)slot * SYSTRAP_AREA_SIZE + SYSTRAP_ID_SIZE);
}

/* The area's read-only page, for a thread at area. */
static void slot_set_id(int slot, unsigned int area)
{
	struct systrap_id *id = (struct systrap_id *)(ctx_map + (size_t)slot * SYSTRAP_AREA_SIZE);
	uint64_t ctx = area_addr(area) + SYSTRAP_ID_SIZE;

	id->regs_top = ctx + SYSTRAP_REGS_END;
	id->ctx = ctx;
	id->fast_top = ctx + SYSTRAP_FAST_STACK_TOP;
}

/* Runs in the forked child: only async-signal-safe calls until the jump,
 * and no system call at all once the filter is in. The first thread's
 * area is area 0. */
static void __attribute__((noreturn)) stub_child(pid_t parent, const struct platform_as *as)
{
	static const int sigs[] = { SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SYSTRAP_SIGKICK };
	uint64_t area = area_addr(0), ctx = area + SYSTRAP_ID_SIZE;
	struct k_sigaction ksa = {
		.handler = (void *)stub_sym((const void *)amber_systrap_handler),
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		.restorer = (void *)stub_sym((const void *)amber_systrap_restorer),
		.mask = ~0ULL,
	};
	stack_t ss = { .ss_sp = (void *)(ctx + SYSTRAP_FAST_STACK_TOP), .ss_size = SYSTRAP_STACK_SIZE / 2 };
	struct systrap_shared *sh = (struct systrap_shared *)ctx;
	struct sock_filter filter[FILTER_LEN];
	struct sock_fprog prog = { 0 };
	sigset_t none;

	if (platform_stub_child_setup(parent, memfile_fd, ctx_fd) < 0)
		_exit(1);
	if (mmap((void *)area, SYSTRAP_AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, SYSTRAP_CTXFD,
		 (off_t)as->areas[0].slot * (off_t)SYSTRAP_AREA_SIZE) == MAP_FAILED ||
	    mprotect((void *)area, SYSTRAP_ID_SIZE, PROT_READ) < 0)
		_exit(1);
	/* The stub's view of fs starts as the sentry thread's; gs is the
	 * area's from now on. */
	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &sh->fs_base) < 0 ||
	    syscall(SYS_arch_prctl, ARCH_SET_GS, area) < 0)
		_exit(1);
	if (sigaltstack(&ss, NULL) < 0)
		_exit(1);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (syscall(SYS_rt_sigaction, sigs[i], &ksa, NULL, 8) < 0)
			_exit(1);
	if (build_filter(as->key, filter, &prog.len) < 0)
		_exit(1);
	prog.filter = filter;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* This stack, where the filter and the key are, goes with the rest of
	 * the sentry's mappings in amber_systrap_main. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		_exit(1);
	((void (*)(uint64_t, uint64_t))stub_sym((const void *)amber_systrap_entry))(ctx + SYSTRAP_FAST_STACK_TOP,
										   USER_TOP);
	_exit(1);
}

/* Reaps the stub if it has died. */
static bool stub_gone(struct platform_as *as)
{
	int status;

	if (as->reaped)
		return true;
	if (waitpid(as->pid, &status, WNOHANG | __WALL) == as->pid) {
		as->reaped = true;
		as->dead = true;
		log_debug("systrap: stub %d died (status 0x%x)", as->pid, status);
	}
	return as->dead;
}

/* The stub thread is gone (the process, or the application made the
 * thread exit through the stub's own exit call). */
static bool thread_gone(struct platform_ctx *ctx)
{
	if (stub_gone(ctx->as))
		return true;
	if (!ctx->dead && syscall(SYS_tgkill, ctx->as->pid, ctx->tid, 0) < 0 && errno == ESRCH)
		ctx->dead = true;
	return ctx->dead;
}

static bool oversubscribed(void)
{
	return __atomic_load_n(&running, __ATOMIC_RELAXED) * 2 > ncpu;
}

/* Hands the context to the stub. */
static void post_cmd(struct systrap_shared *sh, uint32_t cmd)
{
	sh->cmd = cmd;
	sh->stub_spin_max = oversubscribed() || sh->colocated ? 0 : spin_max;
	sh->sentry_cpu = (uint32_t)sched_getcpu();
	__atomic_store_n(&sh->state, SYSTRAP_ST_CMD, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sh->stub_sleeping, __ATOMIC_SEQ_CST))
		futex(&sh->state, FUTEX_WAKE, 1, NULL);
}

/* Waits for the stub to hand the context back: spins while spinning has
 * been paying off for this context (budget doubled on success, halved
 * when the wait ended asleep, probed from zero now and then), not at all
 * while the sandbox runs more application threads than half the cores,
 * then sleeps on the futex. A stub that died wakes nobody: the sleep
 * times out now and then to look. Returns 0 when the spin caught the
 * event, 1 when it slept long after spinning, 3 when it slept briefly
 * after spinning, 2 when it slept without trying (the stub last ran on
 * this CPU: no evidence about spinning either way, so the budget is left
 * as it was), or -ESRCH if the stub is gone. */
static int wait_event(struct platform_ctx *ctx, bool app, uint32_t *spin, uint32_t *probe, long limit_ns)
{
	struct platform_as *as = ctx->as;
	struct systrap_shared *sh = ctx->sh;
	bool no_spin = oversubscribed() || __atomic_load_n(&sh->colocated, __ATOMIC_RELAXED);
	uint32_t budget = no_spin ? 0 : *spin, min = spin_max >> 6, v;
	struct timespec ts = { 0, DEAD_CHECK_NS };
	long slept = 0;
	uint64_t asleep_at;

	if (budget == 0 && !no_spin && (++*probe & 15) == 0)
		budget = spin_max / 8 ? spin_max / 8 : 1;
	bool same_cpu = __atomic_load_n(&sh->stub_cpu, __ATOMIC_RELAXED) == (uint32_t)sched_getcpu();

	if (same_cpu)
		budget = 0;	/* the stub last ran on this CPU: spinning would only delay it */
	ctx->waits++;
	for (uint32_t i = 0; i < budget; i++) {
		if (__atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == SYSTRAP_ST_EVENT) {
			budget = budget * 2 < min ? min : budget * 2;
			*spin = budget > spin_max ? spin_max : budget;
			return 0;
		}
		__asm__ volatile("pause" ::: "memory");
	}
	asleep_at = now_ns();
	for (;;) {
		__atomic_store_n(&sh->sentry_sleeping, 1, __ATOMIC_SEQ_CST);
		v = __atomic_load_n(&sh->state, __ATOMIC_SEQ_CST);
		if (v == SYSTRAP_ST_EVENT)
			break;
		if (futex(&sh->state, FUTEX_WAIT, v, &ts) < 0 && errno == ETIMEDOUT) {
			slept += DEAD_CHECK_NS;
			if (app && __atomic_load_n(&ctx->interrupt_pending, __ATOMIC_RELAXED) &&
			    now_ns() - __atomic_load_n(&ctx->kick_ns, __ATOMIC_RELAXED) > KICK_TIMEOUT_NS) {
				log_warn("systrap: stub %d ignores the sentry's kick: killing it", as->pid);
				kill(as->pid, SIGKILL);
			}
			if (thread_gone(ctx) || (limit_ns && slept >= limit_ns)) {
				__atomic_store_n(&sh->sentry_sleeping, 0, __ATOMIC_RELAXED);
				ctx->dead = true;
				return -ESRCH;
			}
		}
	}
	__atomic_store_n(&sh->sentry_sleeping, 0, __ATOMIC_RELAXED);
	ctx->sleeps++;
	if (same_cpu)
		return 2;
	*spin = budget / 2 < min ? 0 : budget / 2;
	/* A short sleep is the stub's own wake-up latency on an idle CPU;
	 * a long one, with the application doing no more than a system call
	 * between two handoffs, is a CPU busy with something else. */
	return now_ns() - asleep_at > SLOW_WAKE_NS ? 1 : 3;
}

static void pin_thread(pid_t pid, const cpu_set_t *set)
{
	if (sched_setaffinity(pid, sizeof(*set), set) < 0)
		log_debug("systrap: sched_setaffinity(%d): %s", pid, strerror(errno));
}

/* When neither side's spin pays off -- more runnable threads than cores,
 * so the other side is rarely running when it is waited for -- every
 * handoff costs two wake-ups across CPUs, each waiting for the other
 * CPU's scheduler (80-200 us here under load). On one CPU the woken side
 * preempts at once (12-15 us), and neither side spins there. So after a
 * run of handoffs that all ended asleep, the stub and this thread are
 * pinned to the CPU the thread is on; after a while they are let go
 * again, to see whether cores have come free. */
static void colocate(struct platform_ctx *ctx, bool on)
{
	struct systrap_shared *sh = ctx->sh;
	cpu_set_t one;
	int cpu;

	if (on) {
		cpu = sched_getcpu();
		if (cpu < 0)
			return;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pin_thread(0, &one);
		pin_thread(ctx->tid, &one);
	} else {
		pin_thread(0, &all_cpus);
		pin_thread(ctx->tid, &all_cpus);
		/* A fair trial: both spin budgets start full again. */
		ctx->spin = spin_max;
		sh->stub_spin = spin_max;
	}
	thread_pinned = on;
	__atomic_store_n(&sh->colocated, on, __ATOMIC_RELAXED);
	ctx->colocated_for = 0;
	ctx->sleep_streak = 0;
	log_debug("systrap: stub thread %d %s", ctx->tid, on ? "shares its task thread's CPU" : "may run on any CPU again");
}

/* The opposite case: on a host with cores to spare, the scheduler may
 * still keep the stub on its waker's CPU (a futex wake-up counts as a
 * hint that the two share data), and then neither side spins, and every
 * call pays two context switches. After a run of such handoffs the stub
 * is kept off this thread's CPU until a spin succeeds, which lets it go
 * again: from then on no wake-up happens to pull it back. */
static void separate(struct platform_ctx *ctx, bool on)
{
	cpu_set_t others = all_cpus;
	int cpu = sched_getcpu();

	if (on) {
		if (cpu < 0)
			return;
		CPU_CLR(cpu, &others);
		if (CPU_COUNT(&others) == 0)
			return;
		pin_thread(ctx->tid, &others);
	} else {
		pin_thread(ctx->tid, &all_cpus);
	}
	ctx->separated = on;
	ctx->same_cpu_streak = 0;
	log_debug("systrap: stub thread %d %s", ctx->tid, on ? "kept off its task thread's CPU" : "may run on any CPU");
}

#define SEPARATE_AFTER	16	/* system calls in a row handed over on one CPU */
#define COLOCATE_AFTER	16	/* system calls in a row whose handoff ended asleep after a spin */
#define COLOCATE_FOR	4096	/* handoffs before trying apart again */

/* Under the guard, a keyed command's call stops for the sentry's
 * approval: the notification from ctx's stub thread, which is carrying
 * out the command (its application code cannot run meanwhile), goes on;
 * any other -- a sibling's application code that read the key from this
 * thread's context and jumped into the stub -- fails with EPERM.
 * keyed_lock held. Returns 0, or -ESRCH when the thread is gone. */
static int guard_approve(struct platform_ctx *ctx, int nr)
{
	struct platform_as *as = ctx->as;

	for (;;) {
		struct pollfd p = { .fd = as->notif_fd, .events = POLLIN };
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		bool ours;
		int r = poll(&p, 1, 100);

		if (r == 0 && thread_gone(ctx))
			return -ESRCH;
		if (r <= 0)
			continue;
		memset(&req, 0, sizeof(req));
		if (ioctl(as->notif_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return -ESRCH;
		}
		ours = req.pid == (uint32_t)ctx->tid && req.data.nr == nr;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		if (ours)
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		else
			resp.error = -EPERM;
		if (!ours)
			log_warn_once("systrap: a stub's keyed call from a thread it was not asked of refused");
		/* ENOENT: the caller is gone (killed); nothing to answer. */
		ioctl(as->notif_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		if (ours)
			return 0;
	}
}

/* Has the stub thread carry out one command while it holds the thread
 * in its handler (or the trampoline). */
static long stub_call(struct platform_ctx *ctx, uint32_t cmd, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		      uint64_t a4)
{
	struct platform_as *as = ctx->as;
	struct systrap_shared *sh = ctx->sh;
	int nr = cmd == SYSTRAP_CMD_MMAP ? __NR_mmap : cmd == SYSTRAP_CMD_MPROTECT ? __NR_mprotect
		 : cmd == SYSTRAP_CMD_CLONE ? __NR_clone : -1;
	bool guarded = nr >= 0 && as->notif_fd >= 0;
	int err = 0;

	if (as->dead || ctx->dead)
		return -ESRCH;
	if (guarded)
		pthread_mutex_lock(&as->keyed_lock);
	sh->arg[0] = a0;
	sh->arg[1] = a1;
	sh->arg[2] = a2;
	sh->arg[3] = a3;
	sh->arg[4] = a4;
	sh->key = nr >= 0 ? as->key : 0;
	post_cmd(sh, cmd);
	if (guarded)
		err = guard_approve(ctx, nr);
	if (err == 0)
		err = wait_event(ctx, false, &ctx->cmd_spin, &ctx->cmd_probe, 0);
	sh->key = 0;
	if (guarded)
		pthread_mutex_unlock(&as->keyed_lock);
	if (err < 0)
		return -ESRCH;
	/* Only the application, writing the context from another thread of
	 * its own, can make this anything else. */
	if (__atomic_load_n(&sh->event, __ATOMIC_RELAXED) != SYSTRAP_EV_DONE)
		return -EIO;
	return sh->ret;
}

/* A fresh context in slot's pages, for a thread at area. */
static void ctx_init_shared(struct platform_ctx *ctx, int slot, unsigned int area)
{
	struct systrap_shared *sh = slot_shared(slot);

	memset(sh, 0, SYSTRAP_FP_OFF);
	sh->fsgsbase = fsgsbase;
	sh->stub_spin_max = spin_max;
	sh->stub_spin = spin_max;
	sh->tid_word = 1;
	slot_set_id(slot, area);
	ctx->sh = sh;
	ctx->area = area;
	ctx->spin = ctx->cmd_spin = spin_max;
}

static int systrap_as_new(struct platform_as **asp, struct platform_ctx **ctxp)
{
	struct platform_as *as = calloc(1, sizeof(*as));
	struct platform_ctx *ctx = calloc(1, sizeof(*ctx));
	pid_t parent = getpid();
	int slot, err, status;

	if (!as || !ctx) {
		err = -ENOMEM;
		goto err_free;
	}
	slot = slot_alloc();
	if (slot < 0) {
		err = slot;
		goto err_free;
	}
	pthread_mutex_init(&as->lock, NULL);
	pthread_mutex_init(&as->keyed_lock, NULL);
	as->notif_fd = -1;
	for (unsigned int i = 0; i < SYSTRAP_AREA_MAX; i++)
		as->areas[i].slot = -1;
	as->areas[0] = (struct area){ .slot = slot, .used = true };
	as->n_areas = 1;
	if (getrandom(&as->key, sizeof(as->key), 0) != sizeof(as->key)) {
		err = -EIO;
		goto err_slot;
	}
	ctx->as = as;
	ctx_init_shared(ctx, slot, 0);
	if (thread_pinned) {
		/* The previous program's stub shared this thread's CPU. */
		pin_thread(0, &all_cpus);
		thread_pinned = false;
	}
	/* The clone system call, not glibc's fork: the child needs none of
	 * fork's work (atfork handlers, every malloc arena locked in the
	 * parent, then unlocked on both sides), whose writes are copy-on-write
	 * faults at each new address space. stub_child is async-signal-safe. */
	as->pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
	if (as->pid < 0) {
		err = -errno;
		goto err_slot;
	}
	if (as->pid == 0)
		stub_child(parent, as);
	ctx->tid = as->pid;
	err = wait_event(ctx, false, &ctx->cmd_spin, &ctx->cmd_probe, HELLO_TIMEOUT_NS);
	if (err >= 0 && ctx->sh->event != SYSTRAP_EV_HELLO)
		err = -EPROTO;
	if (err < 0) {
		log_error("systrap: stub %d did not start: %s", as->pid, strerror(-err));
		goto err_kill;
	}
	cur_ctx = ctx;
	*asp = as;
	*ctxp = ctx;
	return 0;

err_kill:
	kill(as->pid, SIGKILL);
	if (!as->reaped)
		waitpid(as->pid, &status, __WALL);
err_slot:
	slot_free((unsigned int)slot);
err_free:
	free(as);
	free(ctx);
	return err;
}

static void systrap_as_destroy(struct platform_as *as)
{
	int status;

	if (!as)
		return;
	/* Ended threads' figures, and the first thread's (its context
	 * outlives its platform_ctx, which may be gone). */
	if (as->areas[0].slot >= 0)
		as->fast_calls += slot_shared(as->areas[0].slot)->fast_calls;
	log_debug("systrap: stub %d: %lu handoffs, %lu slept, %lu calls through the trampoline (stub spin budget %u)",
		  as->pid, (unsigned long)as->waits, (unsigned long)as->sleeps, (unsigned long)as->fast_calls,
		  as->areas[0].slot >= 0 ? slot_shared(as->areas[0].slot)->stub_spin : 0);
	kill(as->pid, SIGKILL);
	if (!as->reaped)
		while (waitpid(as->pid, &status, __WALL) < 0 && errno == EINTR)
			;
	/* The process is gone with every mapping of its areas: their slots
	 * may serve other stubs now. */
	for (unsigned int i = 0; i < as->n_areas; i++)
		if (as->areas[i].slot >= 0)
			slot_free((unsigned int)as->areas[i].slot);
	if (as->notif_fd >= 0)
		close(as->notif_fd);
	pthread_mutex_destroy(&as->keyed_lock);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

/* The guard, before a process's second thread exists: the stub's keyed
 * calls (mmap, mprotect, clone: only the stub's code can make them, the
 * application's own are trapped, and a trap outranks a notification)
 * stop for the sentry's approval (guard_approve). The key alone was
 * enough while one thread ran in the process; a second one could read it
 * from the first one's context during a command. The guard also
 * refuses every later seccomp: an application that jumped into the stub
 * to install a listener of its own would be asked before the sentry. Its
 * program is on area 0's read-only page, the only one the stub's filter
 * lets seccomp take. The listener is the stub's fd; the sentry takes a
 * copy (pidfd_getfd). A guard that cannot be set up leaves the stub
 * unusable: it is killed. */
static int guard_install(struct platform_ctx *parent)
{
	struct platform_as *as = parent->as;
	struct systrap_id *id = slot_id(as->areas[0].slot);
	uint64_t prog = area_addr(0) + offsetof(struct systrap_id, guard);
	const struct systrap_bpf guard[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr) },
		{ BPF_JMP | BPF_JEQ | BPF_K, 4, 0, __NR_mmap },
		{ BPF_JMP | BPF_JEQ | BPF_K, 3, 0, __NR_mprotect },
		{ BPF_JMP | BPF_JEQ | BPF_K, 2, 0, __NR_clone },
		{ BPF_JMP | BPF_JEQ | BPF_K, 2, 0, __NR_seccomp },
		{ BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW },
		{ BPF_RET | BPF_K, 0, 0, SECCOMP_RET_USER_NOTIF },
		/* A second listener, the application's, would be asked first. */
		{ BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | EPERM },
	};
	long fd;
	int pidfd, copy = -1;

	_Static_assert(sizeof(guard) / sizeof(guard[0]) <= SYSTRAP_GUARD_MAX, "the guard fits its page");
	memcpy(id->guard, guard, sizeof(guard));
	id->guard_len = sizeof(guard) / sizeof(guard[0]);
	id->guard_prog = prog;
	fd = stub_call(parent, SYSTRAP_CMD_GUARD, area_addr(0) + offsetof(struct systrap_id, guard_len), 0, 0, 0, 0);
	if (fd >= 0) {
		pidfd = (int)syscall(SYS_pidfd_open, as->pid, 0);
		if (pidfd >= 0) {
			copy = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
			close(pidfd);
		}
	}
	if (copy < 0) {
		log_warn("systrap: stub %d: cannot set up the guard of its threads (%ld, %s)", as->pid, fd,
			 strerror(errno));
		kill(as->pid, SIGKILL);
		as->dead = true;
		return -EAGAIN;
	}
	as->notif_fd = copy;
	log_debug("systrap: stub %d: guard set up for its threads' keyed calls", as->pid);
	return 0;
}

/* A new stub thread, made by parent's (which the sentry holds: the
 * calling task is in clone): an area of the stub not in use -- one an
 * earlier thread left is already mapped -- its context, then the clone
 * command; the new thread says hello in its own context. */
static int systrap_ctx_clone(struct platform_ctx *parent, struct platform_ctx **ctxp)
{
	struct platform_as *as = parent->as;
	struct platform_ctx *ctx = calloc(1, sizeof(*ctx));
	unsigned int area = SYSTRAP_AREA_MAX;
	bool fresh = false;
	int slot = -1, err;
	long r;

	if (!ctx)
		return -ENOMEM;
	if (as->notif_fd < 0 && (err = guard_install(parent)) < 0) {
		free(ctx);
		return err;
	}
	pthread_mutex_lock(&as->lock);
	for (unsigned int i = 1; i < as->n_areas; i++)
		if (!as->areas[i].used && as->areas[i].slot >= 0) {
			area = i;
			break;
		}
	if (area == SYSTRAP_AREA_MAX && as->n_areas < SYSTRAP_AREA_MAX) {
		area = as->n_areas++;
		fresh = true;
	}
	if (area < SYSTRAP_AREA_MAX)
		as->areas[area].used = true;
	pthread_mutex_unlock(&as->lock);
	if (area == SYSTRAP_AREA_MAX) {
		free(ctx);
		return -EAGAIN;
	}
	ctx->as = as;
	if (fresh) {
		slot = slot_alloc();
		if (slot < 0) {
			err = -EAGAIN;
			goto err_area;
		}
		ctx_init_shared(ctx, slot, area);
		r = stub_call(parent, SYSTRAP_CMD_MMAP, area_addr(area), SYSTRAP_AREA_SIZE, PROT_READ | PROT_WRITE,
			      (uint64_t)slot * SYSTRAP_AREA_SIZE, SYSTRAP_CTXFD);
		if (r != (long)area_addr(area)) {
			/* Not mapped: the area is left without a slot, never
			 * to be used. */
			slot_free((unsigned int)slot);
			err = r < 0 && r > -4096 ? (int)r : -EFAULT;
			goto err_area;
		}
		/* The page that says where things are is the application's
		 * to read, not to write. A failure leaves the area taken for
		 * good, its slot this stub's until it goes. */
		pthread_mutex_lock(&as->lock);
		as->areas[area].slot = slot;
		pthread_mutex_unlock(&as->lock);
		r = stub_call(parent, SYSTRAP_CMD_MPROTECT, area_addr(area), SYSTRAP_ID_SIZE, PROT_READ, 0, 0);
		if (r < 0) {
			free(ctx);
			return (int)r;
		}
	} else {
		ctx_init_shared(ctx, as->areas[area].slot, area);
	}
	/* The new thread starts with the creator's fs base (clone keeps it),
	 * which is what the stub last loaded there. */
	ctx->sh->fs_base = parent->sh->fs_base;
	r = stub_call(parent, SYSTRAP_CMD_CLONE, area_addr(area), 0, 0, 0, 0);
	if (r <= 0) {
		err = r < 0 ? (int)r : -EIO;
		goto err_area;
	}
	ctx->tid = (pid_t)r;
	err = wait_event(ctx, false, &ctx->cmd_spin, &ctx->cmd_probe, HELLO_TIMEOUT_NS);
	if (err >= 0 && ctx->sh->event != SYSTRAP_EV_HELLO)
		err = -EPROTO;
	if (err < 0) {
		/* A thread that never said hello cannot be told to go: the
		 * area stays taken until the process ends. */
		log_warn("systrap: stub %d: new thread %d did not start: %s", as->pid, ctx->tid, strerror(-err));
		free(ctx);
		return err;
	}
	*ctxp = ctx;
	return 0;

err_area:
	pthread_mutex_lock(&as->lock);
	as->areas[area].used = false;
	pthread_mutex_unlock(&as->lock);
	free(ctx);
	return err;
}

static int systrap_ctx_adopt(struct platform_ctx *ctx)
{
	cur_ctx = ctx;
	if (thread_pinned) {
		pin_thread(0, &all_cpus);
		thread_pinned = false;
	}
	return 0;
}

/* The stub thread of a context other than its stub's first ends (the
 * first goes with the process): its exit clears the tid word, and the
 * area is free for the next thread once it has. */
static void systrap_ctx_destroy(struct platform_ctx *ctx)
{
	struct platform_as *as = ctx->as;
	struct timespec ts = { 0, DEAD_CHECK_NS };
	bool gone = false;

	if (cur_ctx == ctx)
		cur_ctx = NULL;
	__atomic_add_fetch(&as->waits, ctx->waits, __ATOMIC_RELAXED);
	__atomic_add_fetch(&as->sleeps, ctx->sleeps, __ATOMIC_RELAXED);
	if (ctx->area == 0) {
		free(ctx);
		return;
	}
	__atomic_add_fetch(&as->fast_calls, ctx->sh->fast_calls, __ATOMIC_RELAXED);
	if (!ctx->dead && !as->dead) {
		post_cmd(ctx->sh, SYSTRAP_CMD_EXIT);
		for (int i = 0; i < 50 && !gone; i++) {
			uint32_t v = __atomic_load_n(&ctx->sh->tid_word, __ATOMIC_ACQUIRE);

			if (v == 0)
				gone = true;
			else
				futex(&ctx->sh->tid_word, FUTEX_WAIT, v, &ts);
			if (!gone && thread_gone(ctx))
				gone = true;
		}
	} else {
		gone = thread_gone(ctx) || as->dead;
	}
	if (gone) {
		pthread_mutex_lock(&as->lock);
		as->areas[ctx->area].used = false;
		pthread_mutex_unlock(&as->lock);
	} else {
		log_warn("systrap: stub %d: thread %d does not end; its area stays taken", as->pid, ctx->tid);
	}
	free(ctx);
}

/* Address-space changes go through the calling task's own stub thread. */
static struct platform_ctx *caller_ctx(struct platform_as *as)
{
	if (!cur_ctx || cur_ctx->as != as) {
		log_warn("systrap: an address-space change from a thread not running in it");
		return NULL;
	}
	return cur_ctx;
}

static int systrap_as_map(struct platform_as *as, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
	struct platform_ctx *ctx = caller_ctx(as);
	long r;

	if (!ctx)
		return -ESRCH;
	r = stub_call(ctx, SYSTRAP_CMD_MMAP, addr, len, (uint64_t)prot, off, SYSTRAP_MEMFD);
	if (r < 0 && r > -4096)
		return (int)r;
	return r == (long)addr ? 0 : -EFAULT;
}

static int systrap_as_unmap(struct platform_as *as, uint64_t addr, uint64_t len)
{
	struct platform_ctx *ctx = caller_ctx(as);
	long r;

	if (!ctx)
		return -ESRCH;
	r = stub_call(ctx, SYSTRAP_CMD_MUNMAP, addr, len, 0, 0, 0);
	return r < 0 ? (int)r : 0;
}

static int systrap_as_protect(struct platform_as *as, uint64_t addr, uint64_t len, int prot)
{
	struct platform_ctx *ctx = caller_ctx(as);
	long r;

	if (!ctx)
		return -ESRCH;
	r = stub_call(ctx, SYSTRAP_CMD_MPROTECT, addr, len, (uint64_t)prot, 0, 0);
	return r < 0 ? (int)r : 0;
}

static enum platform_event systrap_switch(struct platform_ctx *ctx, struct arch_regs *regs,
					  struct fault_info *fault)
{
	struct systrap_shared *sh = ctx->sh;
	uint32_t ev;
	int err;

	if (ctx->as->dead || ctx->dead)
		return PLAT_EV_DEAD;
	memcpy(&sh->regs, regs, sizeof(*regs));
	__atomic_add_fetch(&running, 1, __ATOMIC_RELAXED);
	post_cmd(sh, SYSTRAP_CMD_RUN);
	err = wait_event(ctx, true, &ctx->spin, &ctx->probe, 0);
	__atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
	if (err < 0)
		return PLAT_EV_DEAD;
	ev = __atomic_load_n(&sh->event, __ATOMIC_RELAXED);
	/* Only system calls are evidence: the faults of a program's start
	 * keep the sentry busy for hundreds of microseconds each (file
	 * pages from the gofer), which no spin covers, on an idle host too. */
	if (sh->colocated) {
		if (++ctx->colocated_for >= COLOCATE_FOR)
			colocate(ctx, false);
	} else if (err == 0) {
		ctx->sleep_streak = 0;
		ctx->same_cpu_streak = 0;
		if (ctx->separated)
			separate(ctx, false);
	} else if (err == 3) {
		ctx->sleep_streak = 0;
	} else if (err == 1 && ev == SYSTRAP_EV_SYSCALL && ++ctx->sleep_streak >= COLOCATE_AFTER && ncpu > 1) {
		colocate(ctx, true);
	} else if (err == 2 && ev == SYSTRAP_EV_SYSCALL && ++ctx->same_cpu_streak >= SEPARATE_AFTER && ncpu > 1 &&
		   !ctx->separated && !oversubscribed()) {
		separate(ctx, true);
	}
	memcpy(regs, &sh->regs, sizeof(*regs));
	regs->cs = USER_CS;
	regs->ss = USER_DS;
	/* Any event gives the sentry the thread, which is what a kick asks
	 * for; the stub drops a kick that finds it already handing over
	 * (kick_in_stub), so waiting for an interrupt event could wait for
	 * ever, and the kick timeout would kill a healthy stub. */
	__atomic_store_n(&ctx->interrupt_pending, false, __ATOMIC_RELAXED);
	switch (ev) {
	case SYSTRAP_EV_SYSCALL:
	case SYSTRAP_EV_HELLO:	/* the application jumped into the stub's start-up code */
		/* The trampoline's path says code 0; SIGSYS from seccomp is
		 * SYS_SECCOMP. Forged, it only misleads the patching. */
		fault->trapped = sh->code != 0;
		return PLAT_EV_SYSCALL;
	case SYSTRAP_EV_FAULT:
		fault->signo = SIGSEGV;
		fault->code = sh->code;
		fault->addr = sh->addr;
		/* The application can write it: at worst a page of a writable
		 * private mapping is copied before it is written. */
		fault->write = sh->fault_err & 2;
		return PLAT_EV_FAULT;
	case SYSTRAP_EV_SIGNAL:
		fault->signo = sh->signo;
		fault->code = sh->code;
		fault->addr = sh->addr;
		if (fault->signo != SIGBUS && fault->signo != SIGFPE && fault->signo != SIGILL &&
		    fault->signo != SIGTRAP)
			fault->signo = SIGSEGV;
		return PLAT_EV_SIGNAL;
	case SYSTRAP_EV_INTERRUPT:
		return PLAT_EV_INTERRUPT;
	default:
		/* Only a forged context gets here: run the task loop round
		 * once more, as for a kick. */
		return PLAT_EV_INTERRUPT;
	}
}

static int systrap_get_fpstate(struct platform_ctx *ctx, void *buf, size_t size)
{
	long n = stub_call(ctx, SYSTRAP_CMD_GET_FP, 0, 0, 0, 0, 0);

	if (n < 0)
		return (int)n;
	if ((uint64_t)n > size)
		n = (long)size;
	if ((uint64_t)n > SYSTRAP_FP_MAX)
		n = SYSTRAP_FP_MAX;
	memcpy(buf, (uint8_t *)ctx->sh + SYSTRAP_FP_OFF, (size_t)n);
	return (int)n;
}

static int systrap_set_fpstate(struct platform_ctx *ctx, const void *buf, size_t size)
{
	long r;

	if (size > SYSTRAP_FP_MAX)
		size = SYSTRAP_FP_MAX;
	memcpy((uint8_t *)ctx->sh + SYSTRAP_FP_OFF, buf, size);
	r = stub_call(ctx, SYSTRAP_CMD_SET_FP, size, 0, 0, 0, 0);
	if (r < 0)
		log_debug("systrap: stub thread %d: cannot load an XSAVE area of %zu bytes: %ld", ctx->tid, size, r);
	return r < 0 ? (int)r : 0;
}

static void systrap_init_regs(struct platform_ctx *ctx, struct arch_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	regs->cs = USER_CS;
	regs->ss = USER_DS;
	regs->eflags = ARCH_EFLAGS_DEFAULT;
	regs->orig_rax = (uint64_t)-1;
	/* A new program starts with clean FPU and vector registers. */
	if (stub_call(ctx, SYSTRAP_CMD_INIT_FP, 0, 0, 0, 0, 0) < 0)
		log_warn("systrap: stub thread %d: cannot reset its FPU state", ctx->tid);
}

static void systrap_interrupt(struct platform_ctx *ctx)
{
	if (__atomic_exchange_n(&ctx->interrupt_pending, true, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&ctx->kick_ns, now_ns(), __ATOMIC_RELAXED);
	syscall(SYS_tgkill, ctx->as->pid, ctx->tid, SYSTRAP_SIGKICK);
}

static uint64_t systrap_syscall_entry(void)
{
	return xsave_usable ? stub_sym((const void *)amber_systrap_fastcall) : 0;
}

const struct platform_ops platform_systrap = {
	.name = "systrap",
	.init = systrap_init,
	.app_top = systrap_app_top,
	.as_new = systrap_as_new,
	.as_destroy = systrap_as_destroy,
	.ctx_destroy = systrap_ctx_destroy,
	.ctx_clone = systrap_ctx_clone,
	.ctx_adopt = systrap_ctx_adopt,
	.as_map = systrap_as_map,
	.as_unmap = systrap_as_unmap,
	.as_protect = systrap_as_protect,
	.ctx_switch = systrap_switch,
	.ctx_get_fpstate = systrap_get_fpstate,
	.ctx_set_fpstate = systrap_set_fpstate,
	.ctx_init_regs = systrap_init_regs,
	.ctx_interrupt = systrap_interrupt,
	.syscall_entry = systrap_syscall_entry,
};
