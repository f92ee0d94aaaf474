/*
 * floor: what each way of entering a sandbox kernel costs on this host.
 *
 *   floor [--iters N] [--budget SECONDS] [--cpu N] [NAME...]
 *   floor list
 *
 * A platform turns an application's system call into a request to the sentry
 * and back. Whatever it does above that, it cannot be faster than the
 * mechanism it is built on: a ptrace stop, a seccomp SIGSYS, a futex or a
 * spinning handoff between two processes. This program measures each of
 * them bare, one round trip per operation, and prints "NAME ns" per line
 * (all of them, or the NAMEs given). A mechanism the host refuses prints
 * "NAME fail" with the reason on stderr and makes the exit status 1; one
 * that cannot be measured here (spinning on two CPUs of a one-CPU host)
 * prints "NAME n/a".
 *
 * Each measurement runs a tenth of ITERS as warm-up, then ITERS round trips,
 * but stops early once BUDGET seconds (a tenth for the warm-up) have passed,
 * and divides by the round trips done: spinning on one CPU costs a scheduler
 * time slice per handoff, and would otherwise run for minutes.
 * "_same_cpu" variants pin both processes to CPU N (default 0); "spin" pins
 * them to CPU N and another allowed CPU; the others let the scheduler place
 * them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

#define FAKE_PID        4242
#define TRAP_MAGIC      0x5ec7a9u       /* getpid's first argument that traps */
#define CHECK_EVERY     16              /* round trips between clock reads */

enum placement {
	PLACE_FREE,             /* the scheduler decides */
	PLACE_SAME_CPU,         /* both processes on one CPU */
	PLACE_TWO_CPUS,         /* one process on each of two CPUs */
};

enum wait_kind {
	WAIT_FUTEX,             /* sleep in FUTEX_WAIT, FUTEX_WAKE the other */
	WAIT_SPIN,              /* spin with pause on the shared word */
	WAIT_SPIN_YIELD,        /* spin with sched_yield on the shared word */
};

/* One request/reply channel in memory shared by two processes. */
enum { CH_IDLE, CH_REQUEST, CH_REPLY, CH_STOP };

struct channel {
	_Atomic uint32_t state;
	enum wait_kind wait;
};

struct options {
	long iters;
	double budget_ns;
	int cpu;                /* the CPU of "_same_cpu" and the first of "spin" */
};

struct mechanism {
	const char *name;
	const char *what;
	/* ns per round trip, or -1 with errno set; -2 when not measurable here */
	double (*measure)(const struct mechanism *m, const struct options *o);
	enum placement place;
	int arg;                /* enum wait_kind, or ptrace with registers */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long raw_syscall1(long nr, long a0)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(nr), "D"(a0)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * Run op until count round trips are done or budget_ns has passed; store
 * the number done in *done and return the elapsed ns, or -1 when op failed.
 */
static double run_for(int (*op)(void *), void *ctx, long count, double budget_ns,
		      long *done)
{
	double t0 = now_ns(), t = t0;
	long n;

	for (n = 0; n < count; n++) {
		if (op(ctx))
			return -1;
		if (n % CHECK_EVERY == CHECK_EVERY - 1) {
			t = now_ns();
			if (t - t0 > budget_ns) {
				n++;
				break;
			}
		}
	}
	*done = n;
	return now_ns() - t0;
}

/* Warm up, then return ns per round trip of op, or -1 with errno set. */
static double time_op(int (*op)(void *), void *ctx, const struct options *o)
{
	long warm = o->iters / 10 > 0 ? o->iters / 10 : 1;
	long done;
	double ns;

	if (run_for(op, ctx, warm, o->budget_ns / 10, &done) < 0)
		return -1;
	ns = run_for(op, ctx, o->iters, o->budget_ns, &done);
	return ns < 0 ? -1 : ns / (double)done;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The first CPU after cpu that this process may run on, or -1. */
static int other_cpu(const cpu_set_t *allowed, int cpu)
{
	for (int c = 0; c < CPU_SETSIZE; c++) {
		int candidate = (cpu + 1 + c) % CPU_SETSIZE;

		if (candidate != cpu && CPU_ISSET(candidate, allowed))
			return candidate;
	}
	return -1;
}

/*
 * The CPUs of the measuring process (*mine) and of its partner (*theirs) for
 * a placement, -1 meaning unpinned. Returns -2 when the host lacks the CPUs.
 */
static int place_cpus(enum placement place, const struct options *o,
		      const cpu_set_t *allowed, int *mine, int *theirs)
{
	*mine = *theirs = -1;
	if (place == PLACE_FREE)
		return 0;
	if (!CPU_ISSET(o->cpu, allowed))
		return -2;
	*mine = *theirs = o->cpu;
	if (place == PLACE_TWO_CPUS) {
		*theirs = other_cpu(allowed, o->cpu);
		if (*theirs < 0)
			return -2;
	}
	return 0;
}

/* ---- bare syscall ---- */

static int op_syscall(void *ctx)
{
	return raw_syscall1(SYS_getpid, 0) > 0 ? 0 : (errno = EINVAL, -1);
}

static double measure_syscall(const struct mechanism *m, const struct options *o)
{
	return time_op(op_syscall, NULL, o);
}

/* ---- seccomp SECCOMP_RET_TRAP -> SIGSYS handler -> rt_sigreturn ---- */

/* The handler answers the trapped call the way a systrap stub would. */
static void on_sigsys(int sig, siginfo_t *info, void *uc_void)
{
	ucontext_t *uc = uc_void;

	uc->uc_mcontext.gregs[REG_RAX] = FAKE_PID;
}

static int op_sigsys(void *ctx)
{
	return raw_syscall1(SYS_getpid, TRAP_MAGIC) == FAKE_PID ? 0 : (errno = EPROTO, -1);
}

/* Trap getpid(TRAP_MAGIC) only, so that everything else runs unchanged. */
static int install_trap_filter(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TRAP_MAGIC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	if (sigaction(SIGSYS, &sa, NULL))
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* A filter cannot be removed, so the measurement runs in a child. */
static double measure_sigsys(const struct mechanism *m, const struct options *o)
{
	double result = -1;
	int fds[2], err = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		err = errno;
		goto out;
	}
	if (pid == 0) {
		double r[2] = { -1, 0 };

		close(fds[0]);
		if (install_trap_filter() == 0)
			r[0] = time_op(op_sigsys, NULL, o);
		r[1] = errno;
		_exit(write(fds[1], r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	fds[1] = -1;
	{
		double r[2];

		if (read(fds[0], r, sizeof(r)) != sizeof(r)) {
			err = EPIPE;
		} else {
			result = r[0];
			err = (int)r[1];
		}
	}
	waitpid(pid, NULL, 0);
out:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	errno = err;
	return result;
}

/* ---- request/reply between two processes over shared memory ---- */

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
	/* Not FUTEX_PRIVATE_FLAG: the word is shared between processes. */
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* Wait until the channel leaves state from; return the new state. */
static uint32_t wait_change(struct channel *ch, uint32_t from)
{
	uint32_t s;

	while ((s = atomic_load_explicit(&ch->state, memory_order_acquire)) == from) {
		switch (ch->wait) {
		case WAIT_FUTEX:
			futex(&ch->state, FUTEX_WAIT, from);
			break;
		case WAIT_SPIN:
			cpu_relax();
			break;
		case WAIT_SPIN_YIELD:
			sched_yield();
			break;
		}
	}
	return s;
}

static void post(struct channel *ch, uint32_t state)
{
	atomic_store_explicit(&ch->state, state, memory_order_release);
	if (ch->wait == WAIT_FUTEX)
		futex(&ch->state, FUTEX_WAKE, 1);
}

/* The partner: answer every request until told to stop. */
static void server_loop(struct channel *ch)
{
	uint32_t s = CH_IDLE;

	for (;;) {
		s = wait_change(ch, s);
		if (s == CH_STOP)
			_exit(0);
		if (s == CH_REQUEST) {
			post(ch, CH_REPLY);
			s = CH_REPLY;
		}
	}
}

static int op_request(void *ctx)
{
	struct channel *ch = ctx;

	post(ch, CH_REQUEST);
	return wait_change(ch, CH_REQUEST) == CH_REPLY ? 0 : (errno = EPROTO, -1);
}

static double measure_handoff(const struct mechanism *m, const struct options *o)
{
	cpu_set_t allowed;
	struct channel *ch;
	double result = -1;
	int mine, theirs, err = 0;
	pid_t pid;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return -1;
	if (place_cpus(m->place, o, &allowed, &mine, &theirs) < 0)
		return -2;
	ch = mmap(NULL, sizeof(*ch), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ch == MAP_FAILED)
		return -1;
	atomic_init(&ch->state, CH_IDLE);
	ch->wait = (enum wait_kind)m->arg;

	/* The child inherits its CPU: a child that failed to pin itself would
	 * leave the parent waiting for an answer forever. */
	if (theirs >= 0 && pin(theirs)) {
		err = errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = errno;
		goto out;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		server_loop(ch);
	}
	if (mine >= 0 && pin(mine)) {
		err = errno;
		kill(pid, SIGKILL);
	} else {
		result = time_op(op_request, ch, o);
		err = errno;
		post(ch, CH_STOP);
	}
	waitpid(pid, NULL, 0);
out:
	sched_setaffinity(0, sizeof(allowed), &allowed);
	munmap(ch, sizeof(*ch));
	errno = err;
	return result;
}

/* ---- ptrace: PTRACE_SYSEMU stop and resume ---- */

struct tracee {
	pid_t pid;
	int with_regs;
};

/* The tracee: stop for the tracer, then getpid forever (it is killed). */
static void tracee_loop(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(1);
	raise(SIGSTOP);
	for (;;)
		raw_syscall1(SYS_getpid, 0);
}

/*
 * One emulated call: resume to the next syscall stop, and with_regs do what a
 * minimal sentry must (read the registers, answer in rax, write them back).
 */
static int op_sysemu(void *ctx)
{
	struct tracee *t = ctx;
	struct user_regs_struct regs;
	int status;

	if (ptrace(PTRACE_SYSEMU, t->pid, NULL, NULL))
		return -1;
	if (waitpid(t->pid, &status, __WALL) != t->pid)
		return -1;
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		errno = EPROTO;
		return -1;
	}
	if (!t->with_regs)
		return 0;
	if (ptrace(PTRACE_GETREGS, t->pid, NULL, &regs))
		return -1;
	/* The tail of raise() is answered with 0, getpid with a fake pid. */
	regs.rax = regs.orig_rax == SYS_getpid ? FAKE_PID : 0;
	return ptrace(PTRACE_SETREGS, t->pid, NULL, &regs) ? -1 : 0;
}

static double measure_ptrace(const struct mechanism *m, const struct options *o)
{
	struct tracee t = { .with_regs = m->arg };
	cpu_set_t allowed;
	double result = -1;
	int mine, theirs, status, err = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return -1;
	if (place_cpus(m->place, o, &allowed, &mine, &theirs) < 0)
		return -2;
	if (theirs >= 0 && pin(theirs)) {
		err = errno;
		goto out;
	}
	t.pid = fork();
	if (t.pid < 0) {
		err = errno;
		goto out;
	}
	if (t.pid == 0)
		tracee_loop();
	if (mine >= 0 && pin(mine)) {
		err = errno;
		goto out_kill;
	}
	if (waitpid(t.pid, &status, 0) != t.pid) {
		err = errno;
	} else if (!WIFSTOPPED(status)) {
		err = EPROTO;   /* the tracee could not become traced */
	} else if (ptrace(PTRACE_SETOPTIONS, t.pid, NULL,
			  (void *)(long)PTRACE_O_EXITKILL)) {
		err = errno;
	} else {
		result = time_op(op_sysemu, &t, o);
		err = errno;
	}
out_kill:
	kill(t.pid, SIGKILL);
	waitpid(t.pid, &status, __WALL);
out:
	sched_setaffinity(0, sizeof(allowed), &allowed);
	errno = err;
	return result;
}

static const struct mechanism mechanisms[] = {
	{ "syscall", "bare getpid syscall instruction, no sandbox",
	  measure_syscall, PLACE_FREE, 0 },
	{ "sigsys", "seccomp RET_TRAP -> SIGSYS handler sets rax -> rt_sigreturn, in one process",
	  measure_sigsys, PLACE_FREE, 0 },
	{ "futex", "request/reply between two processes: FUTEX_WAKE + FUTEX_WAIT each way",
	  measure_handoff, PLACE_FREE, WAIT_FUTEX },
	{ "futex_same_cpu", "futex, both processes on one CPU",
	  measure_handoff, PLACE_SAME_CPU, WAIT_FUTEX },
	{ "spin", "request/reply between two processes spinning on shared memory, one per CPU",
	  measure_handoff, PLACE_TWO_CPUS, WAIT_SPIN },
	{ "spin_same_cpu", "spin, both processes on one CPU: a handoff waits for a time slice",
	  measure_handoff, PLACE_SAME_CPU, WAIT_SPIN },
	{ "spin_yield_same_cpu", "spin calling sched_yield, both processes on one CPU",
	  measure_handoff, PLACE_SAME_CPU, WAIT_SPIN_YIELD },
	{ "ptrace_stop_resume", "PTRACE_SYSEMU + waitpid for the next syscall stop",
	  measure_ptrace, PLACE_FREE, 0 },
	{ "ptrace_getpid", "ptrace_stop_resume + GETREGS, answer in rax, SETREGS",
	  measure_ptrace, PLACE_FREE, 1 },
	{ "ptrace_stop_resume_same_cpu", "ptrace_stop_resume, tracer and tracee on one CPU",
	  measure_ptrace, PLACE_SAME_CPU, 0 },
	{ "ptrace_getpid_same_cpu", "ptrace_getpid, tracer and tracee on one CPU",
	  measure_ptrace, PLACE_SAME_CPU, 1 },
};

#define MECHANISM_COUNT (sizeof(mechanisms) / sizeof(mechanisms[0]))

static const struct mechanism *find_mechanism(const char *name)
{
	for (size_t i = 0; i < MECHANISM_COUNT; i++)
		if (strcmp(mechanisms[i].name, name) == 0)
			return &mechanisms[i];
	return NULL;
}

/* Measure one mechanism and print its line; return whether it failed. */
static int report(const struct mechanism *m, const struct options *o)
{
	double ns;

	errno = 0;
	ns = m->measure(m, o);
	if (ns == -2) {
		printf("%s n/a\n", m->name);
	} else if (ns < 0) {
		printf("%s fail\n", m->name);
		fprintf(stderr, "floor: %s: %s\n", m->name, strerror(errno));
	} else {
		printf("%s %.1f\n", m->name, ns);
	}
	fflush(stdout);
	return ns < 0 && ns != -2;
}

static int usage(void)
{
	fprintf(stderr, "usage: floor [--iters N] [--budget SECONDS] [--cpu N] [NAME...]\n"
			"       floor list\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct options o = { .iters = 20000, .budget_ns = 0.3e9, .cpu = 0 };
	const struct mechanism *chosen[MECHANISM_COUNT];
	size_t nchosen = 0;
	int failed = 0;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < MECHANISM_COUNT; i++)
			printf("%-28s %s\n", mechanisms[i].name, mechanisms[i].what);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		char *end = NULL;

		errno = 0;
		if (strcmp(arg, "--iters") == 0 && i + 1 < argc) {
			o.iters = strtol(argv[++i], &end, 10);
			if (errno || *end || o.iters <= 0)
				return usage();
		} else if (strcmp(arg, "--budget") == 0 && i + 1 < argc) {
			o.budget_ns = strtod(argv[++i], &end) * 1e9;
			if (errno || *end || !(o.budget_ns > 0))
				return usage();
		} else if (strcmp(arg, "--cpu") == 0 && i + 1 < argc) {
			long cpu = strtol(argv[++i], &end, 10);

			if (errno || *end || cpu < 0 || cpu >= CPU_SETSIZE)
				return usage();
			o.cpu = (int)cpu;
		} else if (arg[0] == '-') {
			return usage();
		} else {
			const struct mechanism *m = find_mechanism(arg);

			if (!m) {
				fprintf(stderr, "floor: unknown mechanism %s (try: floor list)\n", arg);
				return 2;
			}
			if (nchosen < MECHANISM_COUNT)
				chosen[nchosen++] = m;
		}
	}
	if (nchosen == 0)
		for (size_t i = 0; i < MECHANISM_COUNT; i++)
			chosen[nchosen++] = &mechanisms[i];
	for (size_t i = 0; i < nchosen; i++)
		failed |= report(chosen[i], &o);
	return failed;
}
