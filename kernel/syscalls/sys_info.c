/* Identity and system information: pids, credentials, uname, sysinfo,
 * rlimits, getrandom, affinity, arch_prctl and the per-thread registrations
 * glibc makes at start-up. rseq is not supported (ENOSYS: glibc copes). */
#include "kernel/syscalls/syscalls.h"
#include "kernel/lib/log.h"
#include "kernel/time/timekeeper.h"

#include <errno.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <sched.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

SYSCALL(getpid) { return t->tg->pid; }
SYSCALL(gettid) { return t->tid; }
SYSCALL(getuid) { return t->creds.uid; }
SYSCALL(geteuid) { return t->creds.euid; }
SYSCALL(getgid) { return t->creds.gid; }
SYSCALL(getegid) { return t->creds.egid; }

SYSCALL(getresuid)
{
	uint32_t v[3] = { t->creds.uid, t->creds.euid, t->creds.suid };
	if (copy_out(t->mm, a[0], &v[0], 4) || copy_out(t->mm, a[1], &v[1], 4) || copy_out(t->mm, a[2], &v[2], 4))
		return -EFAULT;
	return 0;
}

SYSCALL(getresgid)
{
	uint32_t v[3] = { t->creds.gid, t->creds.egid, t->creds.sgid };
	if (copy_out(t->mm, a[0], &v[0], 4) || copy_out(t->mm, a[1], &v[1], 4) || copy_out(t->mm, a[2], &v[2], 4))
		return -EFAULT;
	return 0;
}

SYSCALL(getgroups)
{
	int size = (int)a[0];

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return t->creds.ngroups;
	if (size < t->creds.ngroups)
		return -EINVAL;
	if (copy_out(t->mm, a[1], t->creds.groups, (size_t)t->creds.ngroups * 4) < 0)
		return -EFAULT;
	return t->creds.ngroups;
}

SYSCALL(uname)
{
	struct linux_utsname u;

	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Linux");
	snprintf(u.nodename, sizeof(u.nodename), "%s", sandbox.hostname ? sandbox.hostname : "amber");
	strcpy(u.release, "6.1.0");
	strcpy(u.version, "#1 SMP Amber");
	strcpy(u.machine, "x86_64");
	strcpy(u.domainname, "(none)");
	return copy_out(t->mm, a[0], &u, sizeof(u));
}

SYSCALL(sysinfo)
{
	struct linux_sysinfo si;
	struct sysinfo host;
	struct timespec now;

	memset(&si, 0, sizeof(si));
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (sysinfo(&host) == 0) {
		si.totalram = host.totalram;
		si.freeram = host.freeram;
		si.mem_unit = host.mem_unit;
	}
	si.uptime = (now.tv_sec * 1000000000LL + now.tv_nsec - sandbox.boot_ns) / 1000000000LL + 1;
	si.procs = (uint16_t)task_count_live();
	return copy_out(t->mm, a[0], &si, sizeof(si));
}

static long do_prlimit(struct task *t, pid_t pid, unsigned res, uaddr_t unew, uaddr_t uold)
{
	struct linux_rlimit nl, old;

	if (res >= RLIM_COUNT)
		return -EINVAL;
	if (pid != 0 && pid != t->tg->pid)
		return -ESRCH;
	if (unew && copy_in(t->mm, &nl, unew, sizeof(nl)) < 0)
		return -EFAULT;
	if (unew && nl.rlim_cur > nl.rlim_max)
		return -EINVAL;
	if (unew && res == RLIMIT_NOFILE && nl.rlim_max > (1 << 20))
		return -EPERM;
	pthread_mutex_lock(&t->tg->lock);
	old = t->tg->rlimits[res];
	if (unew) {
		if (nl.rlim_max > old.rlim_max && t->creds.euid != 0) {
			pthread_mutex_unlock(&t->tg->lock);
			return -EPERM;
		}
		t->tg->rlimits[res] = nl;
	}
	pthread_mutex_unlock(&t->tg->lock);
	if (uold && copy_out(t->mm, uold, &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL(prlimit64) { return do_prlimit(t, (pid_t)a[0], (unsigned)a[1], a[2], a[3]); }
SYSCALL(getrlimit) { return do_prlimit(t, 0, (unsigned)a[0], 0, a[1]); }
SYSCALL(setrlimit) { return do_prlimit(t, 0, (unsigned)a[0], a[1], 0); }

SYSCALL(getrandom)
{
	unsigned int flags = (unsigned)a[2];
	size_t len = MIN(a[1], (uint64_t)(INT32_MAX >> 6));	/* Linux's per-call cap */
	uint8_t buf[256];
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | 0x4 /* GRND_INSECURE */))
		return -EINVAL;
	if ((flags & 0x4) && (flags & GRND_RANDOM))
		return -EINVAL;
	while (done < len) {
		size_t n = MIN(len - done, sizeof(buf));
		if (getrandom(buf, n, 0) != (ssize_t)n)
			return done ? (long)done : -EIO;
		if (copy_out(t->mm, a[0] + done, buf, n) < 0)
			return done ? (long)done : -EFAULT;
		done += n;
		if (done < len && sig_pending(t))
			break;	/* long requests stop early for a signal, like Linux */
	}
	return (long)done;
}

SYSCALL(sched_getaffinity)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t mask[16] = { 0 };
	size_t need = (size_t)((ncpu + 63) / 64) * 8;

	if ((pid_t)a[0] != 0 && (pid_t)a[0] != t->tid)
		return -ESRCH;
	if (a[1] < need || (a[1] & 7))
		return -EINVAL;
	for (long i = 0; i < ncpu && i < 1024; i++)
		mask[i / 64] |= 1ULL << (i % 64);
	if (copy_out(t->mm, a[2], mask, need) < 0)
		return -EFAULT;
	return (long)need;
}

/* The same for every task (the vDSO answers it from its data page): the
 * sandbox does not show where the host runs a task. */
SYSCALL(getcpu)
{
	uint32_t cpu, node;

	tk_getcpu(&cpu, &node);
	if (a[0] && copy_out(t->mm, a[0], &cpu, sizeof(cpu)) < 0)
		return -EFAULT;
	if (a[1] && copy_out(t->mm, a[1], &node, sizeof(node)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL(sched_yield)
{
	sched_yield();
	return 0;
}

SYSCALL(arch_prctl)
{
	switch ((int)a[0]) {
	case ARCH_SET_FS:
		if (a[1] >= platform->app_top())
			return -EPERM;
		t->regs.fs_base = a[1];
		return 0;
	case ARCH_SET_GS:
		if (a[1] >= platform->app_top())
			return -EPERM;
		t->regs.gs_base = a[1];
		return 0;
	case ARCH_GET_FS:
		return copy_out(t->mm, a[1], &t->regs.fs_base, 8);
	case ARCH_GET_GS:
		return copy_out(t->mm, a[1], &t->regs.gs_base, 8);
	default:
		return -EINVAL;
	}
}

SYSCALL(set_tid_address)
{
	t->clear_child_tid = a[0];
	return t->tid;
}

SYSCALL(prctl)
{
	char name[TASK_COMM_LEN];

	switch ((int)a[0]) {
	case PR_SET_NAME:
		if (copy_in_string(t->mm, name, a[1], sizeof(name)) < 0) {
			/* Linux takes the first 15 bytes even without a NUL. */
			if (copy_in(t->mm, name, a[1], sizeof(name) - 1) < 0)
				return -EFAULT;
		}
		name[sizeof(name) - 1] = 0;
		memcpy(t->comm, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		return copy_out(t->mm, a[1], t->comm, sizeof(t->comm));
	case PR_SET_NO_NEW_PRIVS:
		if (a[1] != 1 || a[2] || a[3] || a[4])
			return -EINVAL;
		t->no_new_privs = true;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (a[1] || a[2] || a[3] || a[4])
			return -EINVAL;
		return t->no_new_privs;
	case PR_SET_PDEATHSIG:
		if (a[1] > LINUX_NSIG)
			return -EINVAL;
		t->pdeath_signal = (int)a[1];
		return 0;
	case PR_GET_PDEATHSIG:
		return copy_out(t->mm, a[1], &t->pdeath_signal, sizeof(int));
	case PR_SET_CHILD_SUBREAPER:
		pthread_mutex_lock(&tasklist_lock);
		t->tg->child_subreaper = a[1] != 0;
		pthread_mutex_unlock(&tasklist_lock);
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int on;

		pthread_mutex_lock(&tasklist_lock);
		on = t->tg->child_subreaper;
		pthread_mutex_unlock(&tasklist_lock);
		return copy_out(t->mm, a[1], &on, sizeof(on));
	}
	case PR_GET_SECCOMP:
		return t->seccomp_mode;
	case PR_SET_SECCOMP:
		/* SECCOMP_MODE_FILTER here is SECCOMP_SET_MODE_FILTER with no
		 * flags; strict mode takes no argument. */
		if (a[1] == SECCOMP_MODE_STRICT)
			return seccomp_set_mode(t, SECCOMP_SET_MODE_STRICT, 0, 0);
		if (a[1] == SECCOMP_MODE_FILTER)
			return seccomp_set_mode(t, SECCOMP_SET_MODE_FILTER, 0, a[2]);
		return -EINVAL;
	default:
		return -EINVAL;
	}
}
