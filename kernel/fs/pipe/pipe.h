/* Anonymous pipes (pipe(2), pipe2(2)): a ring of page-sized buffers in
 * the memory file between a read end and a write end, each an open file
 * description. Safe for concurrent use by several tasks' host threads. */
#ifndef AMBER_FS_PIPE_H
#define AMBER_FS_PIPE_H

#include "kernel/vfs/vfs.h"

#define PIPE_ATOMIC_SIZE	4096		/* PIPE_BUF: writes up to this size are atomic */
#define PIPE_MAX_SIZE		(1U << 20)	/* /proc/sys/fs/pipe-max-size's default */

/* A new pipe: *rd and *wr get new files for its read and write ends, with
 * the extra status flags flags (O_NONBLOCK, O_DIRECT); its inode belongs
 * to uid and gid. Returns 0 or -errno (-ENOMEM, or -EMFILE/-ENFILE when
 * the sentry has no host fd left for the pipe's wait indicator). */
int pipe_create(int flags, uint32_t uid, uint32_t gid, struct file **rd, struct file **wr);

/* Whether f (borrowed) is an end of a pipe. */
bool pipe_file(struct file *f);

/* fcntl F_GETPIPE_SZ (arg unused) and F_SETPIPE_SZ on f (borrowed).
 * Returns the capacity in bytes, or -EBADF when f is not a pipe, -EINVAL,
 * -EPERM, -EBUSY, -ENOMEM. */
long pipe_fcntl(struct file *f, int cmd, unsigned int arg);

#endif
