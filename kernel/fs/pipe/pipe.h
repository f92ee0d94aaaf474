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

/* splice(2) and tee(2) (pipe_splice.c). None blocks: -EAGAIN says that
 * the side *blocked names (the input or the output) would, and the caller
 * waits on that file. Each returns the bytes moved, 0 at the input's end,
 * or -errno (-EPIPE: a pipe output has no reader; the caller raises
 * SIGPIPE). */
enum splice_side { SPLICE_IN, SPLICE_OUT };
/* Up to len of the oldest bytes of the pipe of in to sink, which writes
 * them to the other file and returns how many it took (or -errno): only
 * those leave the pipe. Called with the pipe's lock held. */
ssize_t pipe_splice_out(struct file *in, size_t len, ssize_t (*sink)(void *arg, const void *buf, size_t len), void *arg,
			enum splice_side *blocked);
/* Up to len bytes from source, which reads the other file into buf (no
 * more than it is given: what fits in the pipe's free slots), into the
 * pipe of out. Called with the pipe's lock held. */
ssize_t pipe_splice_in(struct file *out, size_t len, ssize_t (*source)(void *arg, void *buf, size_t len), void *arg,
		       enum splice_side *blocked);
/* Between two pipes: up to len bytes from in to out, left in in when
 * consume is false (tee). -EINVAL when they are the same pipe. */
ssize_t pipe_splice_pipe(struct file *in, struct file *out, size_t len, bool consume, enum splice_side *blocked);
/* vmsplice into the pipe of f: as Linux's, a slot for each piece of the
 * application's buffers up to the end of a page, never merged with later
 * writes, into the free slots there are. Returns the bytes moved,
 * -EAGAIN when no slot is free, -EPIPE, -EFAULT, -ENOMEM. */
ssize_t pipe_vmsplice(struct file *f, struct io_iter *it);

#endif
