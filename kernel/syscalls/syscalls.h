/* System-call dispatch. Handlers are sys_<linux name>, one file per
 * family, each taking the task and the six raw arguments. */
#ifndef AMBER_SYSCALLS_H
#define AMBER_SYSCALLS_H

#include "kernel/task/task.h"

#define SYSCALL_COUNT 512

typedef long (*syscall_fn)(struct task *t, const uint64_t a[6]);
extern const syscall_fn syscall_table[SYSCALL_COUNT];

/* Handles the system call in t->regs and stores its result there. */
void syscall_dispatch(struct task *t);

/* How many times each unimplemented call was made (for --debug). */
uint64_t syscall_enosys_count(long nr);

#define SYSCALL(name) long sys_##name(struct task *t, const uint64_t a[6])

/* Shared helpers for handlers. */
/* seccomp(2)'s operations, shared with prctl(PR_SET_SECCOMP). */
long seccomp_set_mode(struct task *t, unsigned int op, uint32_t flags, uaddr_t arg);
/* Copies a path argument; returns 0, -EFAULT or -ENAMETOOLONG. */
int copy_path(struct task *t, uaddr_t addr, char *buf);
/* Creates a regular file name in parent (mode masked by the umask). */
int vfs_create_at(struct task *t, const struct path *parent, const char *name, unsigned int mode);

/* Waits in task_wait until f may be ready for events (POLLIN or
 * POLLOUT), on the host fd its wait_fd names. Returns 0 to try again, or
 * a restart code or -errno for the call to return. */
int file_wait(struct task *t, struct file *f, short events);
/* Reads into it from a file with read_iter (a pipe), waiting while there
 * is nothing to read unless nonblock, then taking what there is. */
ssize_t stream_read(struct task *t, struct file *f, struct io_iter *it, bool nonblock);

/* restart_syscall continuations a checkpoint may find in a restart block
 * (kernel/task/task_state.c names them by number). */
long sleep_restart(struct task *t);

#endif
