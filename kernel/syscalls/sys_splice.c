/* splice, tee, vmsplice: the pipe's side is kernel/fs/pipe/pipe_splice.c,
 * the other file is read or written through its read and write ops. A
 * side that would block waits in task_wait (ERESTARTSYS on a signal),
 * unless it is a pipe and SPLICE_F_NONBLOCK or its O_NONBLOCK is set, or
 * it is another file with O_NONBLOCK, as in Linux.
 * Differs from Linux, one line each:
 * - data are copied through the sentry, not moved by page: SPLICE_F_MOVE
 *   and SPLICE_F_GIFT change nothing (they are hints in Linux too);
 * - any file with read and write ops splices (Linux refuses a few kinds
 *   with EINVAL). */
#include "kernel/syscalls/syscalls.h"
#include "kernel/fs/pipe/pipe.h"
#include "kernel/signal/signal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>

#define SPLICE_F_ALL (SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)
#define MAX_RW_COUNT (INT_MAX & PAGE_MASK)
#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024
#endif

/* The other file of a splice and where in it: *pos is off_in or off_out,
 * or the file's position (pos_lock taken around each transfer). */
struct other {
	struct file *f;
	int64_t *pos;
};

static bool seekable(struct file *f)
{
	return f->ops->llseek && f->ops->llseek != vfs_no_seek;
}

static bool nonblocking(struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK;
}

static bool can_read(struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY && !(f->flags & O_PATH);
}

static bool can_write(struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY && !(f->flags & O_PATH);
}

/* One read or write of the other file at its position. */
static ssize_t other_rw(struct other *o, void *buf, size_t len, bool write)
{
	struct file *f = o->f;
	bool fpos = !o->pos && seekable(f);
	int64_t local = 0, *pos = o->pos ? o->pos : &local;
	ssize_t r;

	if (fpos) {
		pthread_mutex_lock(&f->pos_lock);
		local = f->pos;
	}
	r = write ? f->ops->write(f, buf, len, pos) : f->ops->read(f, buf, len, pos);
	if (fpos) {
		if (r > 0)
			f->pos = local;
		pthread_mutex_unlock(&f->pos_lock);
	}
	return r;
}

static ssize_t sink(void *arg, const void *buf, size_t len)
{
	return other_rw(arg, (void *)buf, len, true);
}

static ssize_t source(void *arg, void *buf, size_t len)
{
	return other_rw(arg, buf, len, false);
}

/* Repeats one transfer until it moves something or fails, waiting on the
 * side that would block unless that side may not block. */
static long splice_loop(struct task *t, struct file *in, struct file *out, struct other *o, size_t len,
			bool pipe_nonblock, bool consume)
{
	for (;;) {
		enum splice_side side = SPLICE_IN;
		struct file *w;
		long r;

		if (pipe_file(in) && pipe_file(out))
			r = pipe_splice_pipe(in, out, len, consume, &side);
		else if (pipe_file(in))
			r = pipe_splice_out(in, len, sink, o, &side);
		else
			r = pipe_splice_in(out, len, source, o, &side);
		if (r == -EPIPE)
			sig_send_task(t, SIGPIPE);
		if (r != -EAGAIN)
			return r;
		w = side == SPLICE_IN ? in : out;
		if (pipe_file(w) ? pipe_nonblock : nonblocking(w) || !w->ops->wait_fd)
			return r;
		r = file_wait(t, w, side == SPLICE_IN ? POLLIN : POLLOUT);
		if (r < 0)
			return r;
	}
}

/* splice once the files are known: Linux's do_splice, in its order. */
static long do_splice(struct task *t, struct file *in, uaddr_t uoff_in, struct file *out, uaddr_t uoff_out,
		      size_t len, unsigned int flags)
{
	bool ipipe = pipe_file(in), opipe = pipe_file(out), nonblock = flags & SPLICE_F_NONBLOCK;
	uaddr_t uoff = ipipe ? uoff_out : uoff_in;
	struct other o = { .f = ipipe ? out : in };
	int64_t off;
	long r;

	if ((ipipe && uoff_in) || (opipe && uoff_out))
		return -ESPIPE;
	if (uoff && copy_in(t->mm, &off, uoff, sizeof(off)) < 0)
		return -EFAULT;
	if (!can_read(in) || !can_write(out))
		return -EBADF;
	if (ipipe && opipe) {
		if (in->inode == out->inode)
			return -EINVAL;
		nonblock |= nonblocking(in) || nonblocking(out);
	} else if (ipipe || opipe) {
		if (uoff && !seekable(o.f))
			return -EINVAL;
		if (ipipe && (out->flags & O_APPEND))
			return -EINVAL;
		if (uoff && off < 0)
			return -EINVAL;
		if (ipipe ? !out->ops->write : !in->ops->read)
			return -EINVAL;
		nonblock |= nonblocking(ipipe ? in : out);
		if (uoff)
			o.pos = &off;
	} else {
		return -EINVAL;
	}
	r = splice_loop(t, in, out, &o, MIN(len, (size_t)MAX_RW_COUNT), nonblock, true);
	if (r >= 0 && uoff && copy_out(t->mm, uoff, &off, sizeof(off)) < 0)
		return -EFAULT;
	return r;
}

SYSCALL(splice)
{
	size_t len = a[4];
	unsigned int flags = (unsigned int)a[5];
	struct file *in, *out;
	long r = -EBADF;

	if (!len)
		return 0;
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	in = fd_get(t, (int)a[0]);
	out = in ? fd_get(t, (int)a[2]) : NULL;
	if (in && out)
		r = do_splice(t, in, a[1], out, a[3], len, flags);
	file_put(in);
	file_put(out);
	return r;
}

SYSCALL(tee)
{
	size_t len = a[2];
	unsigned int flags = (unsigned int)a[3];
	struct file *in, *out;
	long r = -EBADF;

	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	if (!len)
		return 0;
	in = fd_get(t, (int)a[0]);
	out = in ? fd_get(t, (int)a[1]) : NULL;
	if (in && out) {
		if (!can_read(in) || !can_write(out))
			r = -EBADF;
		else if (!pipe_file(in) || !pipe_file(out) || in->inode == out->inode)
			r = -EINVAL;
		else
			r = splice_loop(t, in, out, NULL, MIN(len, (size_t)MAX_RW_COUNT),
					(flags & SPLICE_F_NONBLOCK) || nonblocking(in) || nonblocking(out), false);
	}
	file_put(in);
	file_put(out);
	return r;
}

/* vmsplice into a pipe: waits for a free slot (or EPIPE), then writes
 * what fits, once. */
static long vmsplice_to_pipe(struct task *t, struct file *f, struct io_iter *it, bool nonblock)
{
	for (;;) {
		long r = pipe_vmsplice(f, it);

		if (r == -EPIPE)
			sig_send_task(t, SIGPIPE);
		if (r != -EAGAIN || nonblock)
			return r;
		r = file_wait(t, f, POLLOUT);
		if (r < 0)
			return r;
	}
}

SYSCALL(vmsplice)
{
	struct linux_iovec iov[UIO_MAXIOV];
	unsigned long nseg = a[2];
	unsigned int flags = (unsigned int)a[3];
	struct io_iter it;
	struct file *f;
	bool to_pipe;
	uint64_t total = 0;
	long r;

	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	f = fd_get(t, (int)a[0]);
	if (!f)
		return -EBADF;
	/* As Linux's vmsplice_type: a file open for writing is written. */
	to_pipe = can_write(f);
	r = to_pipe || can_read(f) ? 0 : -EBADF;
	if (r == 0 && nseg > UIO_MAXIOV)
		r = -EINVAL;
	if (r == 0 && nseg && copy_in(t->mm, iov, a[1], nseg * sizeof(iov[0])) < 0)
		r = -EFAULT;
	for (unsigned long i = 0; r == 0 && i < nseg; i++) {
		if (iov[i].iov_len > (uint64_t)SSIZE_MAX)
			r = -EINVAL;
		else if (!user_range_ok(iov[i].iov_base, iov[i].iov_len))
			r = -EFAULT;
		total += iov[i].iov_len;
	}
	/* Nothing to move is 0 before the file is looked at, as in Linux. */
	if (r == 0 && total && !pipe_file(f))
		r = -EBADF;
	if (r == 0 && total) {
		io_iter_init(&it, t->mm, iov, nseg, MAX_RW_COUNT);
		/* Linux's vmsplice_to_user heeds SPLICE_F_NONBLOCK only. */
		r = to_pipe ? vmsplice_to_pipe(t, f, &it, (flags & SPLICE_F_NONBLOCK) || nonblocking(f))
			    : stream_read(t, f, &it, flags & SPLICE_F_NONBLOCK);
	}
	file_put(f);
	return r;
}
