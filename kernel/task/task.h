/* Tasks (Linux threads), thread groups, fd tables and fs contexts. */
#ifndef AMBER_TASK_H
#define AMBER_TASK_H

#include <poll.h>
#include <pthread.h>
#include "kernel/lib/types.h"
#include "kernel/abi/linux.h"
#include "kernel/vfs/vfs.h"
#include "platform/platform.h"

#define TASK_COMM_LEN 16
#define RLIM_COUNT 16

struct fdtable {
	int refs;			/* atomic */
	pthread_mutex_t lock;		/* protects below */
	struct file **files;
	uint8_t *cloexec;
	int size;
};

struct fs_ctx {
	int refs;			/* atomic */
	pthread_mutex_t lock;		/* protects below */
	struct path root, cwd;		/* counted */
	unsigned int umask;
};

struct creds {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	int ngroups;
	uint32_t groups[32];
};

/* How a restart_syscall(2) continues an interrupted call. */
struct restart_block {
	long (*fn)(struct task *t);
	int clockid;
	int64_t deadline_ns;		/* absolute, on clockid */
	uaddr_t rem;			/* where nanosleep reports what is left */
	uaddr_t uaddr;			/* futex word */
	uint32_t val, bitset;		/* futex expected value and mask */
};

struct thread_group {
	int refs;			/* atomic */
	pid_t pid, ppid, pgid, sid;	/* never change (no setsid yet) */
	pthread_mutex_t lock;		/* protects below */
	struct linux_sigaction actions[LINUX_NSIG];
	uint64_t shared_pending;	/* signals sent to the group (bit sig-1) */
	struct linux_rlimit rlimits[RLIM_COUNT];
	bool exiting;
	int exit_status;		/* wait(2) status: code << 8, or the signal */
	struct task *leader;		/* not counted */
};

struct task {
	int refs;			/* atomic */
	pid_t tid;
	struct thread_group *tg;	/* counted */
	struct mm *mm;			/* counted */
	struct fdtable *fdt;		/* counted */
	struct fs_ctx *fs;		/* counted */
	struct creds creds;		/* only this task's thread changes it */
	char comm[TASK_COMM_LEN];

	/* Owned by the task's host thread. */
	struct platform_ctx *ctx;
	struct arch_regs regs;
	uint64_t sigmask;		/* blocked signals (bit sig-1) */
	uint64_t saved_sigmask;
	bool has_saved_sigmask;
	struct linux_stack altstack;
	uaddr_t clear_child_tid, robust_list;
	uint64_t robust_len;
	struct restart_block restart;
	bool syscall_return;		/* regs.rax holds a system call's result */
	bool no_new_privs;		/* PR_SET_NO_NEW_PRIVS; kept across exec */
	int seccomp_mode;		/* SECCOMP_MODE_*; kept across exec */
	struct seccomp_filter *seccomp;	/* counted; the newest filter (kernel/seccomp) */

	/* Shared with senders: under tg->lock, except the atomics. */
	uint64_t pending;		/* signals sent to this thread */
	struct {
		int code;
		uint64_t addr;		/* SIGSYS: the call's address (si_call_addr) */
		int sys_nr, sys_errno;	/* SIGSYS from seccomp: si_syscall, si_errno */
	} fault_info[LINUX_NSIG];	/* siginfo of forced synchronous signals */
	int wake_fd;			/* host eventfd: written to kick a blocked wait */
	bool in_app;			/* atomic: running application code */
	bool parked;			/* under the freeze lock: stopped for a checkpoint */
	void *fpstate;			/* the XSAVE area read at the freeze point */
	uint32_t fpstate_size;
	bool fpstate_ok;
	bool woken;			/* atomic: a futex wake is for this task */
	bool exited;
};

/* ---- thread groups and tasks ---- */
struct task *task_new_initial(void);
void task_put(struct task *t);
/* The task running on the calling host thread. */
struct task *task_current(void);
void task_set_current(struct task *t);

/* Runs t until its thread group exits. Returns the wait status. */
int task_run(struct task *t);

/* Ends the thread group: status is a wait(2) status. */
void task_exit_group(struct task *t, int status);

/* ---- signals (kernel/signal) ---- */
/* Queues sig for the whole group and wakes a task to take it. */
void sig_send_group(struct thread_group *tg, int sig);
/* A synchronous signal caused by the task itself (fault, trap). */
void sig_force(struct task *t, int sig, int code, uint64_t addr);
/* SIGSYS for a call a seccomp filter trapped (SYS_SECCOMP): si_syscall
 * nr, si_errno the filter's data, si_call_addr ip. */
void sig_force_seccomp(struct task *t, int nr, int data, uint64_t ip);
/* True when t has a signal it must act on. */
bool sig_pending(struct task *t);
/* Acts on pending signals before returning to the application. */
void sig_deliver(struct task *t);
/* Handles a system call's restart codes when no signal needs a handler. */
void sig_fix_restart(struct task *t, long ret);

/* ---- blocking (safe points) ---- */
/* Waits until host_fd (or -1: nothing) is ready for events, the deadline
 * (absolute CLOCK_MONOTONIC ns, or -1: none) passes, or the task is
 * interrupted. Returns 1 (ready), 0 (timed out) or -EINTR. No kernel state
 * is kept on the stack across the wait: callers redo their work after it. */
int task_wait(struct task *t, int host_fd, short events, int64_t deadline_ns);
/* Like task_wait for several host fds at once (fds[i].revents filled).
 * Returns the number ready, 0 on timeout, or -EINTR. */
int task_wait_many(struct task *t, struct pollfd *fds, int n, int64_t deadline_ns);
/* Kicks t out of task_wait or out of application code. */
void task_interrupt(struct task *t);

/* ---- stopping the world (kernel/task/freeze.c) ---- */
/* Interrupts every task and waits until each has parked at a safe point
 * (or exited). Returns 0, -EBUSY (a freeze is on) or -ETIMEDOUT (then
 * nothing stays frozen). */
int kernel_freeze(int timeout_ms);
void kernel_thaw(void);
bool kernel_freezing(void);
/* Where a task parks while the world is stopped: the top of its loop. */
void task_freeze_point(struct task *t);
/* Up to max live tasks, each with a reference taken. */
int task_list(struct task **out, int max);

/* A restored task's new stub process (on the task's host thread, which
 * becomes its tracer): address space, registers the host dictates, and
 * the saved XSAVE area. */
int task_restore_platform(struct task *t);

/* ---- fd tables ---- */
struct fdtable *fdtable_new(void);
void fdtable_put(struct fdtable *fdt);
int fdtable_size(struct task *t);
/* Installs f (reference taken over) at the lowest free fd >= min.
 * Returns the fd or -EMFILE. */
int fd_install(struct task *t, struct file *f, int min, bool cloexec);
/* Returns a new reference to the file at fd, or NULL. */
struct file *fd_get(struct task *t, int fd);
int fd_close(struct task *t, int fd);
/* dup2/dup3: replaces newfd. */
int fd_replace(struct task *t, int newfd, struct file *f, bool cloexec);
int fd_get_cloexec(struct task *t, int fd);
int fd_set_cloexec(struct task *t, int fd, bool on);
/* Closes every close-on-exec fd (execve). */
void fd_close_on_exec(struct task *t);
int task_nofile_limit(struct task *t);

/* ---- fs contexts ---- */
struct fs_ctx *fs_ctx_new(const struct path *root, const struct path *cwd);
void fs_ctx_put(struct fs_ctx *fs);
/* Resolves a path argument relative to dirfd (AT_FDCWD or an fd). */
int task_lookup(struct task *t, int dirfd, const char *path, int flags, struct path *out);
/* Resolves all but the last component (see vfs_lookup_parent). */
int task_lookup_parent(struct task *t, int dirfd, const char *path, struct path *parent, char *name, int *kind);

/* ---- exec (kernel/task/exec.c) ---- */
/* Replaces t's program. argv and envp are NULL-terminated sentry arrays.
 * On failure t is unchanged. */
int task_exec(struct task *t, const char *path, char *const argv[], char *const envp[]);

/* The sandbox-wide state the task code reaches. */
struct sandbox {
	struct path root;		/* counted */
	const char *hostname;
	int64_t boot_ns;		/* CLOCK_MONOTONIC at boot */
	int64_t mono_offset_ns;		/* the application's monotonic clocks minus the host's
					 * (0 until a restore: they go on from the checkpoint) */
	bool strace;
};
extern struct sandbox sandbox;

#endif
