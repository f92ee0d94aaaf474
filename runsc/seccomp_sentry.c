/* The sentry's seccomp allowlist: every host system call the sentry makes
 * once it is set up, one rule per line with the reason, and nothing else.
 * The sentry never opens a host path (files come from the gofer as donated
 * fds), never creates a socket (the control socket of runsc boot exists
 * before the filter), mounts nothing and starts no program, so none of
 * those calls is here.
 *
 * Stub processes are forked from task threads after the filter is in
 * place, so they inherit it. On the ptrace platform that costs the
 * application nothing: a stub runs its code under PTRACE_SYSEMU, whose
 * syscall-stop comes before seccomp and skips the call. On systrap the
 * stub adds a filter of its own that traps every application call
 * (SECCOMP_RET_TRAP, platform/systrap/systrap.c); of two stacked filters
 * the stricter action wins, which is why a call outside this list traps
 * rather than kills: for the sentry, with no SIGSYS handler, a trap is as
 * fatal as a kill, while for an application call it is the systrap
 * platform's way in. What does meet this list as the stub's own calls is
 * the stub's start (stub_child() in either platform) and the mmap,
 * munmap, mprotect, arch_prctl and futex the stub makes for the sentry.
 * Those calls are in the list below, marked "stub"; all of them the
 * sentry could make in its own right without gaining anything, except
 * dup2, setsid, seccomp and PTRACE_TRACEME, which are argument-checked or
 * harmless.
 *
 * A call outside the list kills the sentry with SIGSYS (runsc do exits
 * with 159); a stub killed so shows up as a dead address space. To find
 * what a change needs, build with -DAMBER_SECCOMP_LOG (below) and run
 * tools/seccomp-audit over the test suite: it lists every call the lists
 * refuse, with its arguments, and the rules never used. */
#define AMBER_SECCOMP_RULES
#include "runsc/seccomp.h"
#include "platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <linux/userfaultfd.h>
#include <linux/seccomp.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <time.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

/* pthread_create's clone flags (glibc's create_thread, after clone3 has
 * said ENOSYS), and fork's. Anything else -- a new namespace, CLONE_UNTRACED,
 * a vfork -- is refused. */
#define CLONE_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_SIGHAND | \
			    CLONE_THREAD | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)
#define CLONE_FORK_FLAGS (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)
/* A new stub thread, for a new application thread: the ptrace platform
 * injects this clone; the systrap stub makes it with its tls argument
 * holding the stub's key, and its exit clearing the context's tid word. */
#define CLONE_STUB_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)


static const struct seccomp_rule sentry_rules[] = {
	/* -- the task loop: ptrace of the stubs -- */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_SYSEMU)),		/* run the application until its next system call */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_GETREGS)),		/* read registers at every stop */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_SETREGS)),		/* write them back, and around injected calls */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_CONT)),		/* run an injected mmap/munmap/mprotect */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_GETSIGINFO)),	/* what a fault or signal stop was */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_SETOPTIONS)),	/* EXITKILL|TRACESYSGOOD on a new stub */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_GETREGSET)),	/* FPU/XSAVE state, for signal frames */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_SETREGSET)),	/* FPU/XSAVE state, at sigreturn and exec */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_TRACEME)),		/* stub: become traced by the forking thread */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_ATTACH)),		/* a new stub thread: traced by its task's host thread */
	SC_ALLOW(wait4),					/* ptrace stops of a stub (__WALL); the gofer's exit */
	SC_ALLOW1(kill, SC_EQ32(1, SIGKILL)),			/* end a stub (address space gone) or the gofer */
	SC_ALLOW1(kill, SC_EQ32(1, SIGSTOP)),			/* stub: stop itself for the tracer (stub page) */
	SC_ALLOW1(tgkill, SC_EQ32(2, SIGSTOP)),		/* platform_interrupt: kick a running stub (ptrace) */
	SC_ALLOW1(tgkill, SC_EQ32(2, SIGURG)),			/* platform_interrupt: kick a running stub (systrap) */
	SC_ALLOW1(tgkill, SC_EQ32(2, 0)),			/* systrap: does a stub thread still live? */
	SC_ALLOW(pidfd_open),					/* systrap: the guard's listener, from its stub */
	SC_ALLOW(pidfd_getfd),					/* systrap: the same */
	SC_ALLOW1(ioctl, SC_EQ32(1, SECCOMP_IOCTL_NOTIF_RECV)),	/* systrap: a stub's keyed call to approve */
	SC_ALLOW1(ioctl, SC_EQ32(1, SECCOMP_IOCTL_NOTIF_SEND)),	/* systrap: the answer */
	SC_ALLOW(getcpu),					/* systrap: the task thread's CPU, when neither rseq nor the vDSO says */
	SC_ALLOW(sched_setaffinity),				/* systrap: a stub and its task thread share a CPU under load (pid ns: only our own) */

	/* -- a new stub, between fork and its first stop (stub_child) -- */
	SC_ALLOW1(clone, SC_EQ(0, CLONE_FORK_FLAGS)),		/* fork a stub (glibc fork) */
	SC_ALLOW1(clone, SC_EQ(0, SIGCHLD)),			/* a systrap stub (the raw clone call) */
	SC_ALLOW1(prctl, SC_EQ32(0, PR_SET_PDEATHSIG)),	/* stub: die with the sentry */
	SC_ALLOW1(prctl, SC_EQ32(0, PR_SET_NAME)),		/* stub: "runsc-stub" in ps */
	SC_ALLOW(getppid),					/* stub: check the sentry is still its parent */
	SC_ALLOW(setsid),					/* stub: leave the caller's session */
	SC_ALLOW1(dup2, SC_EQ32(1, PLATFORM_STUB_MEMFD)),		/* stub: memory file at its fixed fd */
	SC_ALLOW1(dup2, SC_EQ32(1, PLATFORM_STUB_MEMFD + 1)),	/* stub (systrap): the thread-area file at the next */
	SC_ALLOW1(fcntl, SC_EQ32(1, F_DUPFD)),			/* stub: both out of the way first */
	SC_ALLOW1(fcntl, SC_EQ32(1, F_SETFD)),			/* stub: memory file already at fd 3: clear CLOEXEC */
	SC_ALLOW(close_range),					/* stub: close every other fd */
	SC_ALLOW(rt_sigprocmask),				/* stub: unblock all; pthread_create blocks around clone */
	SC_ALLOW(rseq),						/* stub: unregister glibc's rseq; new threads register */
	SC_ALLOW(getpid),					/* stub: kill(getpid(), SIGSTOP); the stub's parent check */
	SC_ALLOW(sigaltstack),					/* stub (systrap): its handlers' stack */
	SC_ALLOW1(seccomp, SC_EQ32(0, SECCOMP_SET_MODE_FILTER)),	/* stub (systrap): trap the application's calls */
	SC_ALLOW1(arch_prctl, SC_EQ32(0, ARCH_GET_FS)),		/* stub (systrap): the fs base it starts with */
	SC_ALLOW1(arch_prctl, SC_EQ32(0, ARCH_SET_FS)),		/* stub (systrap): the application's fs base */
	SC_ALLOW1(arch_prctl, SC_EQ32(0, ARCH_SET_GS)),		/* stub (systrap): a stub thread's own area */
	SC_ALLOW1(clone, SC_EQ(0, CLONE_STUB_THREAD_FLAGS)),	/* stub (ptrace): a new stub thread (injected) */
	SC_ALLOW1(clone, SC_EQ(0, CLONE_STUB_THREAD_FLAGS | CLONE_CHILD_CLEARTID)), /* stub (systrap): a new stub thread */

	/* -- memory -- */
	SC_ALLOW(mmap),						/* malloc, thread stacks; stub: map the memory file (injected) */
	SC_ALLOW(munmap),					/* free, thread exit; stub: drop inherited mappings, unmap (injected) */
	SC_ALLOW(mprotect),					/* thread stack guards; stub: application mprotect (injected) */
	SC_ALLOW1(mremap, SC_EQ32(3, MREMAP_MAYMOVE)),		/* realloc of a large (mmapped) block */
	SC_ALLOW(brk),						/* malloc's main arena */
	SC_ALLOW1(madvise, SC_EQ32(2, MADV_DONTNEED)),		/* glibc: freed thread stacks, trimmed arenas */
	SC_ALLOW1(fallocate, SC_EQ32(1, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)), /* free memory-file pages */

	/* -- threads -- */
	SC_ALLOW1(clone, SC_EQ(0, CLONE_THREAD_FLAGS)),	/* one host thread per task (pthread_create) */
	SC_ERRNO(clone3, ENOSYS),				/* its flags are in memory, out of a filter's reach: glibc then uses clone */
	SC_ALLOW(futex),					/* mutexes, condition variables, thread join */
	SC_ALLOW(set_robust_list),				/* every new thread and forked stub (glibc) */
	SC_ALLOW(rt_sigaction),				/* glibc's SIGSETXID handler, set at the first pthread_create */
	SC_ALLOW(rt_sigreturn),				/* return from any signal handler */
	SC_ALLOW(restart_syscall),				/* resume a wait interrupted by a stop */
	SC_ALLOW(sched_yield),					/* sched_yield(2) of the application */
	SC_ALLOW(gettid),					/* the tracer's tid; log lines */
	SC_ALLOW(exit),						/* a task thread ends */
	SC_ALLOW(exit_group),					/* the sentry ends; stub: _exit on a failed start */

	/* -- files: only fds the sentry holds (stdio, gofer-donated, memory file, eventfds) -- */
	SC_ALLOW(read),						/* stdin; eventfds; gofer files */
	SC_ALLOW(write),					/* stdout, stderr, the debug log; eventfds */
	SC_ALLOW(pread64),					/* gofer files, into the page cache */
	SC_ALLOW(pwrite64),					/* gofer files opened for writing */
	SC_ALLOW(fsync),					/* fsync(2) of a gofer file */
	SC_ALLOW(fdatasync),					/* fdatasync(2) of a gofer file */
	SC_ALLOW(lseek),					/* gofer files and directories */
	SC_ALLOW(getdents64),					/* gofer directories */
	SC_ALLOW1(newfstatat, SC_EQ32(3, AT_EMPTY_PATH)),	/* glibc's fstat: host stdio, O_APPEND gofer files */
	SC_ALLOW1(statx, SC_EQ32(2, AT_EMPTY_PATH)),		/* a gofer file's attributes after a write */
	SC_ALLOW1(fcntl, SC_EQ32(1, F_GETFL)),			/* the flags of host stdio files */
	SC_ALLOW1(fcntl, SC_EQ32(1, F_DUPFD_CLOEXEC)),		/* keep stdio above fd 2 (runsc do) */
	SC_ALLOW1(ioctl, SC_EQ32(1, TCGETS)),			/* isatty of host stdio */
	SC_ALLOW1(ioctl, SC_EQ32(1, TIOCGWINSZ)),		/* the terminal's size */
	SC_ALLOW1(ioctl, SC_EQ32(1, FIONREAD)),			/* bytes readable on host stdio */
	SC_ALLOW(close),					/* any fd it holds */
	SC_ALLOW(poll),						/* the main loop; readiness of host stdio */
	SC_ALLOW(ppoll),					/* blocking waits: task wake eventfd beside a host fd */
	SC_ALLOW(eventfd2),					/* a task's wake fd; pipes' wait fds; runsc do's done fd */
	SC_ALLOW(sendmsg),					/* gofer requests */
	SC_ALLOW(recvmsg),					/* gofer replies, with donated fds */
	SC_ALLOW1(accept4, SC_EQ32(3, SOCK_CLOEXEC)),		/* runsc boot: a connection to the control socket */
	SC_ALLOW(recvfrom),					/* runsc boot: a control request (recv) */
	SC_ALLOW1(sendto, SC_EQ(4, 0)),				/* runsc boot: its reply (send); no address: connected sockets only */

	/* -- checkpoint and restore -- */
	SC_ALLOW1(ioctl, SC_EQ32(1, USERFAULTFD_IOC_NEW)),	/* restore: a userfaultfd from /dev/userfaultfd, opened before isolation */
	SC_ALLOW1(ioctl, SC_EQ32(1, UFFDIO_API)),		/* restore: the userfaultfd's features */
	SC_ALLOW1(ioctl, SC_EQ32(1, UFFDIO_REGISTER)),		/* restore: watch the memory file's holes */
	SC_ALLOW1(ioctl, SC_EQ32(1, UFFDIO_UNREGISTER)),	/* restore: every page is loaded */
	SC_ALLOW1(ioctl, SC_EQ32(1, UFFDIO_COPY)),		/* restore: place a loaded page, waking the faulting thread */
	SC_ALLOW1(ioctl, SC_EQ32(1, UFFDIO_ZEROPAGE)),		/* restore: a page the image does not hold */
	SC_ALLOW1(ioctl, SC_EQ32(1, UFFDIO_WAKE)),		/* restore: a fault another thread resolved */
	SC_ERRNO(userfaultfd, EPERM),				/* the loader's fallback: refused, it then loads eagerly */

	/* -- information the application asks for, or the sentry's own -- */
	SC_ALLOW(clock_gettime),				/* clocks: CPU-time ones, and any when the vDSO cannot */
	SC_ALLOW(clock_getres),					/* clock_getres(2): CPU-time clocks, or no vDSO */
	SC_ALLOW(time),						/* the application's time(2), when the vDSO cannot */
	SC_ALLOW(getrandom),					/* AT_RANDOM, /dev/urandom, getrandom(2); malloc */
	SC_ALLOW(sysinfo),					/* sysinfo(2): memory totals */
	SC_ALLOW1(sched_getaffinity, SC_EQ32(0, 0)),		/* sched_getaffinity(2): the CPUs this sandbox may use */
	SC_ALLOW(getuid),					/* the first task's credentials */
	SC_ALLOW(getgid),					/* the first task's credentials */
	SC_ALLOW(getcwd),					/* runsc do: the program's working directory */

	/* -- files glibc opens behind the sentry's back -- */
	/* Refused without opening anything, and glibc copes: malloc reads
	 * /proc/sys/vm/overcommit_memory the first time a thread's arena
	 * shrinks, sysconf(_SC_NPROCESSORS_ONLN) reads /sys (and falls back
	 * to sched_getaffinity). Any other open -- for writing, creating, by
	 * path with open(2) -- kills, as the sentry itself never opens a
	 * host path. */
	SC_ERRNO1(openat, EACCES, SC_EQ32(2, O_RDONLY | O_CLOEXEC)),
};

/* AMBER_SANITIZE builds: the AddressSanitizer runtime makes host calls of
 * its own, in the sentry and the gofer alike. They are added to both
 * filters there, and only there: a release build has none of them.
 * (AMBER_SECCOMP_SANITIZER: for tools/seccomp-audit --sanitize, which
 * judges calls by these lists without being sanitized itself.) */
#if defined(__SANITIZE_ADDRESS__) || defined(AMBER_SECCOMP_SANITIZER)
#define SECCOMP_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECCOMP_SANITIZER 1
#endif
#endif

#ifdef SECCOMP_SANITIZER
static const struct seccomp_rule sanitizer_rules[] = {
	/* -- the runtime, all the time -- */
	SC_ALLOW(sigaltstack),					/* every thread gets an alternate signal stack */
	SC_ALLOW1(madvise, SC_EQ32(2, MADV_NOHUGEPAGE)),	/* shadow and allocator memory of new threads */
	SC_ALLOW1(madvise, SC_EQ32(2, MADV_DONTDUMP)),		/* ditto, kept out of core dumps */
	SC_ALLOW1(open, SC_EQ32(1, O_RDONLY)),			/* /proc/self/maps, /proc/<pid>/task/<tid>/status */

	/* -- LeakSanitizer at exit: a tracer thread stops every thread to scan its stack -- */
	SC_ALLOW1(open, SC_EQ32(1, O_RDONLY | O_DIRECTORY)),	/* /proc/<pid>/task: the threads */
	SC_ALLOW(getdents),					/* ditto */
	SC_ALLOW1(clone, SC_EQ(0, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED)), /* the tracer thread */
	SC_ALLOW1(prctl, SC_EQ32(0, PR_GET_DUMPABLE)),		/* may the threads be traced? */
	SC_ALLOW1(prctl, SC_EQ32(0, PR_SET_DUMPABLE)),		/* make them traceable if not */
	SC_ALLOW1(prctl, SC_EQ32(0, PR_SET_PTRACER)),		/* let the tracer thread in (Yama) */
	SC_ALLOW1(prctl, SC_EQ32(0, PR_SET_PDEATHSIG)),		/* the tracer thread dies with its parent */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_ATTACH)),		/* stop a thread */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_GETREGSET)),		/* its registers may hold pointers */
	SC_ALLOW1(ptrace, SC_EQ(0, PTRACE_DETACH)),		/* let it go on */
	SC_ALLOW(wait4),					/* the stopped threads */
	SC_ALLOW(sched_getaffinity),				/* the tracer thread's CPUs */
	SC_ALLOW(sched_yield),					/* waiting for the tracer */
	SC_ALLOW(futex),					/* ditto */
	SC_ALLOW(getpid),					/* the threads of this process */
	SC_ALLOW(getppid),					/* the tracer's parent check */
	SC_ALLOW(rt_sigaction),					/* the tracer's fatal-signal handlers */
	SC_ALLOW(rt_sigprocmask),				/* the tracer thread's mask */
	SC_ALLOW(mprotect),					/* the tracer thread's stack guard */
	SC_ALLOW(read),						/* /proc files */
	SC_ALLOW(lseek),					/* ditto */
	SC_ALLOW(exit),						/* the tracer thread ends */

	/* -- an error or leak report: symbols (module and offset if unreadable) -- */
	SC_ALLOW1(fcntl, SC_EQ32(1, F_SETFD)),			/* close-on-exec of the files it reads */
	SC_ALLOW1(ioctl, SC_EQ32(1, TCGETS)),			/* colour if stderr is a terminal */
	SC_ALLOW1(newfstatat, SC_EQ32(3, AT_SYMLINK_NOFOLLOW)),	/* the modules' files */
	SC_ALLOW(readlink),					/* ditto */
	SC_ERRNO1(openat, EACCES, SC_EQ32(2, O_RDONLY | O_CLOEXEC)), /* as in the sentry: refused, not fatal */
};
#endif

/* Built with -DAMBER_SECCOMP_LOG, a call outside the list is let through
 * and logged by the kernel instead of killing the process: for
 * tools/seccomp-audit, which then names each such call. Never ship it. */
#ifdef AMBER_SECCOMP_LOG
#define SECCOMP_DEFAULT_ACTION SCMP_ACT_LOG
#else
/* A trap, not a kill: see the top of this file. */
#define SECCOMP_DEFAULT_ACTION SCMP_ACT_TRAP
#endif

int seccomp_install_rules(const struct seccomp_rule *rules, size_t count)
{
	scmp_filter_ctx ctx;
	int err;

	/* The filter is a promise about the process from here on: without
	 * no_new_privs, an exec could shed it through a set-uid binary. */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -EACCES;
	/* glibc reads the time zone (TZ, /usr/share/zoneinfo) at the first
	 * gmtime_r, which every log line calls: read it now, while a file
	 * can still be opened. */
	tzset();
	ctx = seccomp_init(SECCOMP_DEFAULT_ACTION);
	if (!ctx)
		return -ENOMEM;
	/* A call from another ABI (int 0x80, x32) is as foreign as any. */
	err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SECCOMP_DEFAULT_ACTION);
	if (err == 0)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (err == 0)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* A binary search on the call number rather than a linear scan: the
	 * sentry makes several host calls per application call. */
	if (err == 0)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; err == 0 && i < count; i++)
		err = seccomp_rule_add_array(ctx, rules[i].action, rules[i].nr, rules[i].arg_count,
					     rules[i].arg);
#ifdef SECCOMP_SANITIZER
	for (size_t i = 0; err == 0 && i < sizeof(sanitizer_rules) / sizeof(sanitizer_rules[0]); i++)
		err = seccomp_rule_add_array(ctx, sanitizer_rules[i].action, sanitizer_rules[i].nr,
					     sanitizer_rules[i].arg_count, sanitizer_rules[i].arg);
#endif
	if (err == 0)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	/* libseccomp returns -errno; a positive value would be a bug in it. */
	return err > 0 ? -EINVAL : err;
}

int seccomp_install_sentry(void)
{
	return seccomp_install_rules(sentry_rules, sizeof(sentry_rules) / sizeof(sentry_rules[0]));
}
