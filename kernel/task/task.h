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
/* Linux's pid_max default: pids count up to it and wrap. */
#define PID_MAX 32768

struct fdtable {
	int refs;			/* atomic */
	pthread_mutex_t lock;		/* protects below */
	struct file **files;
	uint8_t *cloexec;		/* 1: close on exec; FD_RESERVED (files[fd] NULL):
					 * taken by fd_reserve, not yet published. A copy
					 * of the table (fork) must not copy that bit. */
	int size;
};

#define FD_RESERVED 0x2

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
	pid_t pid;			/* never changes */
	/* The process tree, under tasklist_lock (kernel/task/task.c). */
	pid_t pgid, sid;
	struct thread_group *parent;	/* not counted (a child is reaped or
					 * re-parented before its parent goes); NULL for init */
	struct thread_group *children;	/* not counted: live ones and zombies */
	struct thread_group *sibling;
	pid_t parent_thread;		/* the parent's thread that forked it (Linux's real_parent
					 * task), for __WNOTHREAD and the parent-death signal */
	pthread_cond_t ended;		/* with lock: nr_live reached 0 */
	int exit_signal;		/* sent to the parent at exit (0: none) */
	bool zombie;			/* exited; the parent has not reaped it yet */
	bool execed;			/* setpgid by the parent: EACCES after execve */
	bool child_subreaper;		/* PR_SET_CHILD_SUBREAPER: orphans below come here */
	pthread_mutex_t lock;		/* protects below */
	struct linux_sigaction actions[LINUX_NSIG];
	uint64_t shared_pending;	/* signals sent to the group (bit sig-1) */
	/* Who sent each pending group signal (its siginfo): SI_USER and the
	 * sender, or CLD_* with the child and its status for SIGCHLD. Like
	 * Linux's, a signal already pending keeps its first sender. */
	struct sig_source {
		int code;
		pid_t pid;
		uint32_t uid;
		int status;
	} shared_src[LINUX_NSIG];
	struct linux_rlimit rlimits[RLIM_COUNT];
	bool exiting;
	int exit_status;		/* wait(2) status: code << 8, or the signal */
	/* Job control: stopped by a stop signal until SIGCONT (or SIGKILL);
	 * what wait(WUNTRACED), wait(WCONTINUED) and the parent's SIGCHLD
	 * have yet to hear. */
	bool stopped;
	int stop_report;		/* the stop signal wait has not reported (0: none) */
	bool cont_report;		/* continued, not reported to wait */
	bool cont_notify;		/* continued, the parent's SIGCHLD not sent yet */
	/* ITIMER_REAL, under kernel/time/itimer.c's lock: the host-monotonic
	 * expiry (0: disarmed), the interval, the list of armed timers. */
	int64_t itimer_deadline, itimer_interval;
	struct thread_group *itimer_next;
	struct task *leader;		/* not counted */
	/* The group's live tasks (threads), under lock: a list through
	 * task->thread_next, not counted (an exiting thread leaves it in
	 * task_exit, before its host thread drops its reference), and
	 * their number. */
	struct task *threads;
	int nr_live;
	/* execve from a thread: every other thread ends (exec_task's wait). */
	struct task *exec_task;		/* not counted */
};

/* Guards the task table and the process tree (parent, children, zombie,
 * pgid, sid): Linux's tasklist_lock. Taken before any tg->lock. */
extern pthread_mutex_t tasklist_lock;

struct task {
	int refs;			/* atomic */
	pid_t tid;
	struct thread_group *tg;	/* counted */
	/* Changed only by the task's own thread (exec, exit), under
	 * alloc_lock; other threads read them through task_get_mm/fdt/fs. */
	pthread_mutex_t alloc_lock;
	struct mm *mm;			/* counted; NULL once exited */
	struct fdtable *fdt;		/* counted; NULL once exited */
	struct fs_ctx *fs;		/* counted */
	struct creds creds;		/* only this task's thread changes it */
	char comm[TASK_COMM_LEN];

	/* Owned by the task's host thread. */
	struct platform_ctx *ctx;
	struct arch_regs regs;
	uint64_t sigmask;		/* blocked signals (bit sig-1) */
	uint64_t real_blocked;		/* atomic: the mask sigtimedwait lifted for its wait,
					 * still blocked for the "ignored" check of senders */
	uint64_t saved_sigmask;
	bool has_saved_sigmask;
	struct linux_stack altstack;
	uaddr_t clear_child_tid, robust_list;
	uint64_t robust_len;
	struct restart_block restart;
	bool syscall_return;		/* regs.rax holds a system call's result */
	bool no_new_privs;		/* PR_SET_NO_NEW_PRIVS; kept across exec */
	int pdeath_signal;		/* PR_SET_PDEATHSIG: sent when the parent goes */
	int seccomp_mode;		/* SECCOMP_MODE_*; kept across exec */
	struct seccomp_filter *seccomp;	/* counted; the newest filter (kernel/seccomp) */

	/* Shared with senders: under tg->lock, except the atomics. */
	uint64_t pending;		/* signals sent to this thread */
	struct {
		int code;
		uint64_t addr;		/* SIGSYS: the call's address (si_call_addr) */
		int sys_nr, sys_errno;	/* SIGSYS from seccomp: si_syscall, si_errno */
	} fault_info[LINUX_NSIG];	/* siginfo of forced synchronous signals */
	struct sig_source deliver_src;	/* the group signal being delivered */
	int wake_fd;			/* host eventfd: written to kick a blocked wait */
	bool in_app;			/* atomic: running application code */
	bool parked;			/* under the freeze lock: stopped for a checkpoint */
	void *fpstate;			/* the XSAVE area read at the freeze point */
	uint32_t fpstate_size;
	bool fpstate_ok;
	bool woken;			/* atomic: a futex wake is for this task */
	bool exited;
	bool exit_alone;		/* exit(2): this thread ends, not its group */
	bool exit_settled;		/* atomic: exited, and task_exit's changes to the
					 * kernel's state are made (a checkpoint may go on) */
	bool as_owner;			/* its host thread made mm's platform address space */
	struct task *thread_next;	/* tg->threads */
	/* Restore: the thread that makes this one's stub thread (not
	 * counted), and the threads it makes (counted, through restore_next). */
	struct task *restore_by;
	struct task *restore_threads, *restore_next;
	/* vfork: the parent does not return to the application while
	 * vfork_child (a tid) has neither exec'd nor exited; the child holds
	 * a counted reference to the parent until then. */
	pid_t vfork_child;		/* atomic */
	struct task *vfork_parent;
};

/* ---- thread groups and tasks ---- */
/* The sandbox's first task: pid 1, in the task table. */
struct task *task_new_initial(void);
/* A task with a thread group of its own, not in the table yet, with tid
 * (and pid) tid; or NULL. kernel/task/fork.c and the loader fill it. */
struct task *task_alloc(pid_t tid);
/* A new thread of tg (a reference taken on it), not in the table yet. */
struct task *task_alloc_thread(struct thread_group *tg, pid_t tid);
/* Puts a new thread in the table (tasklist_lock held): 0 or -EAGAIN. */
int task_register_thread_locked(struct task *t);
/* Puts t in the task table (which holds a reference until it is
 * reaped) and under parent in the tree (NULL: none, for init).
 * tasklist_lock held. Returns 0 or -EAGAIN (the table is full). */
int task_register_locked(struct task *t, struct thread_group *parent);
/* May a task of uid make one more? The container's pids limit counts
 * every task until it is reaped, as the pids cgroup does; RLIMIT_NPROC
 * (limit) counts uid's, except for root, as Linux's capable() check
 * lets it. Returns 0 or -EAGAIN. tasklist_lock held. */
int task_may_fork_locked(uint32_t uid, uint64_t limit);
/* A free pid, or -EAGAIN. tasklist_lock held. */
pid_t pid_alloc_locked(void);
void task_get(struct task *t);
void task_put(struct task *t);
/* The task with this tid (live, or a zombie with zombies true), a new
 * reference; or NULL. */
struct task *task_find(pid_t tid, bool zombies);
/* For kernel/task and the process syscalls, tasklist_lock held: takes t
 * out of the table and its parent's children (the caller then drops the
 * table's reference); the table itself, to walk. */
void task_unregister_locked(struct task *t);
/* Takes a thread (not its group) out of the table; false if it was not
 * there. The caller then drops the table's reference. */
bool task_unregister_thread_locked(struct task *t);
struct task **task_table_locked(size_t *n);
/* The parent's pid as getppid(2) sees it (0 for init). */
pid_t task_ppid(struct task *t);
/* What other threads see of a task (procfs): new references, or NULL
 * once it has exited. */
struct mm *task_get_mm(struct task *t);
struct fdtable *task_get_fdt(struct task *t);
struct fs_ctx *task_get_fs(struct task *t);
/* The task running on the calling host thread. */
struct task *task_current(void);
void task_set_current(struct task *t);

/* Runs t until its thread group exits. Returns the wait status. */
int task_run(struct task *t);

/* Ends the thread group: status is a wait(2) status. Every thread is
 * kicked to end. */
void task_exit_group(struct task *t, int status);
/* exit(2): t ends alone, with code (0-255), unless it is the last
 * thread (then the group ends). */
void task_exit_thread(struct task *t, int code);
/* t must end: its group exits, it called exit(2), or another thread
 * of its group execs. Blocking waits end on it. */
bool task_dying(struct task *t);
/* Kicks every thread of tg (tg->lock not held). */
void task_interrupt_group(struct thread_group *tg);
/* Wakes every thread of tg blocked in wait4 or a vfork wait. */
void task_wake_group(struct thread_group *tg);
/* execve in a thread group of several: every other thread ends first.
 * Returns 0 once t is alone, or -EINTR when a group exit or a freeze
 * came first (the call is redone). */
int task_exec_alone(struct task *t);

/* ---- fork, exit, wait (kernel/task/fork.c, exit.c) ---- */
struct clone_req {
	uint64_t flags;			/* CLONE_*, without the exit signal */
	int exit_signal;
	uaddr_t stack, parent_tid, child_tid, tls;
};
/* clone(2): a new process, a copy of t, or with CLONE_THREAD a new
 * thread of t's group in t's address space, running on a host thread of
 * its own. Returns the child's tid or -errno. */
long task_clone(struct task *t, const struct clone_req *req);
/* Starts a restored task's host thread (the loader made t): it makes
 * the task's stub, then waits for task_start_all. Returns 0 or -errno. */
int task_spawn_restored(struct task *t);
/* The same for a restored thread of owner's address space, on owner's
 * host thread, once its stub exists (task_restore_platform). */
int task_spawn_restored_thread(struct task *owner, struct task *t);
/* Lets every spawned restored task run. */
void task_start_all(void);
/* The end of a task on its own host thread, once task_run returned:
 * drops its address space (the stub, on the thread that owns it) and
 * files, re-parents its children and leaves a zombie for the parent,
 * which is told with its exit signal. The last reference is the table's. */
void task_exit(struct task *t);
/* Job control (kernel/task/jobctl.c). A stop signal's default action:
 * the group stops and the parent hears of it. */
void task_stop(struct task *t, int sig);
/* While the group is stopped: blocks (a safe point) until SIGCONT, a
 * kill, or a freeze. Then tells the parent it continued. */
void task_stop_wait(struct task *t);
/* No process of tg's process group has a live parent in another group
 * of the same session (POSIX's orphaned process group). */
bool task_pgrp_orphaned(struct thread_group *tg);
/* Sends the parent of tg its SIGCHLD for a stop or continue (code
 * CLD_STOPPED or CLD_CONTINUED, status the signal) unless it asked not
 * to (SA_NOCLDSTOP), and wakes its wait. tasklist_lock held. */
void task_notify_parent_locked(struct thread_group *tg, int code, int status);
/* Wakes a task blocked in wait4 or in a vfork wait (task_wait sees
 * woken). */
void task_wake(struct task *t);
/* A vfork child exec'd or exited: its parent may go on. */
void task_vfork_done(struct task *child);
/* The parent's side: blocks (a safe point) until t->vfork_child is done.
 * Returns when done, or to act on a signal or a freeze (again later). */
void task_vfork_wait(struct task *t);
/* Init (pid 1) has exited: every other process is killed, as Linux does
 * when a pid namespace's init dies, and this waits for their host
 * threads to end. */
void task_kill_others_and_wait(struct task *init);
/* The host threads of tasks other than the first still running, and
 * their count's upkeep (fork.c's spawn and its threads). */
int task_threads_running(void);
void task_thread_started(void);
void task_thread_ended(void);

/* ---- signals (kernel/signal) ---- */
/* Queues sig for the whole group and wakes a task to take it. */
void sig_send_group(struct thread_group *tg, int sig);
/* The same with the siginfo the handler sees (NULL: SI_USER from
 * outside the sandbox). */
void sig_send_group_from(struct thread_group *tg, int sig, const struct sig_source *src);
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
/* The tasks that have not exited. */
int task_count_live(void);
/* Every task in the table (zombies too), each with a reference, in a
 * new array (free it); the count, or -ENOMEM. */
int task_list_all(struct task ***out);

/* A new stub process for t (on the host thread that will run t, which
 * the platform ties it to): an address space for t->mm, the segment
 * selectors the host dictates, and t's XSAVE area if it has one. */
int task_make_stub(struct task *t);
/* A restored task's new stub process (on the task's host thread, which
 * becomes its tracer): address space, registers the host dictates, and
 * the saved XSAVE area. */
int task_restore_platform(struct task *t);

/* ---- fd tables ---- */
struct fdtable *fdtable_new(void);
/* A copy of fdt (fork without CLONE_FILES): the same open files. */
struct fdtable *fdtable_dup(struct fdtable *fdt);
void fdtable_put(struct fdtable *fdt);
/* The file at fd in fdt (a new reference), or NULL. */
struct file *fdt_get_file(struct fdtable *fdt, int fd);
int fdtable_size(struct task *t);
/* Installs f (reference taken over) at the lowest free fd >= min.
 * Returns the fd or -EMFILE. */
int fd_install(struct task *t, struct file *f, int min, bool cloexec);
/* Reserve, copy out, then publish (pipe2): fd_reserve takes the lowest
 * free fd >= min, which no other call uses or sees until fd_publish puts
 * f there (reference taken over) or fd_unreserve gives it back. Returns
 * the fd, -EMFILE or -ENOMEM. */
int fd_reserve(struct task *t, int min);
void fd_publish(struct task *t, int fd, struct file *f, bool cloexec);
void fd_unreserve(struct task *t, int fd);
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
/* A copy of fs (fork without CLONE_FS), or NULL. */
struct fs_ctx *fs_ctx_copy(struct fs_ctx *fs);
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
	uint64_t pids_max;		/* linux.resources.pids.limit: tasks, zombies too (0: none) */
};
extern struct sandbox sandbox;

#endif
