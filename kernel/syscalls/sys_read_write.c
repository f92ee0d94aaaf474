/* read, write and their vectored and positional forms; lseek; getdents64.
 * Data moves through a bounce buffer in chunks, or, for files with
 * read_iter/write_iter (pipes), straight between the application and the
 * file in one request across all segments. A stream that would block
 * waits in task_wait, where a signal interrupts it (ERESTARTSYS). */
#include "kernel/syscalls/syscalls.h"
#include "kernel/signal/signal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#define IO_CHUNK (64 * 1024)
#define MAX_RW_COUNT (INT_MAX & PAGE_MASK)	/* Linux caps one transfer */
#define IOV_MAX_SEGS 1024

/* A call's bounce buffer, on its stack rather than in thread-local
 * storage, which glibc zeroes whole for every new host thread (a fork's,
 * a clone's). Aligned: getdents fills it with linux_dirent64 records. */
#define IO_BUF(name) uint8_t name[IO_CHUNK] __attribute__((aligned(8)))

static bool seekable(struct file *f)
{
	return f->ops->llseek && f->ops->llseek != vfs_no_seek;
}

/* Streams (pipes) have no position: like Linux, which serializes on the
 * position only for regular files (FMODE_ATOMIC_POS), their reads and
 * writes do not take pos_lock, so two tasks blocked on one end do not
 * wait for each other outside task_wait. */
static bool is_stream(struct file *f)
{
	return f->ops->llseek == vfs_no_seek;
}

static bool nonblocking(struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK;
}

int file_wait(struct task *t, struct file *f, short events)
{
	int fd = f->ops->wait_fd(f, &events), w;

	if (fd < 0)
		return fd;
	w = task_wait(t, fd, events, -1);
	if (w == -EINTR)
		return -LINUX_ERESTARTSYS;
	return w < 0 ? w : 0;
}

/* Whether f may be read (or written) at all: -EBADF for the wrong access
 * mode or an O_PATH file, -EINVAL for a file without the operation. */
static int check_rw(struct file *f, bool write)
{
	if ((f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY) || f->flags & O_PATH)
		return -EBADF;
	if (write ? !f->ops->write && !f->ops->write_iter : !f->ops->read && !f->ops->read_iter)
		return -EINVAL;
	return 0;
}

ssize_t stream_read(struct task *t, struct file *f, struct io_iter *it, bool nonblock)
{
	for (;;) {
		ssize_t n = f->ops->read_iter(f, it);

		if (n != -EAGAIN || nonblock || !f->ops->wait_fd)
			return n;
		n = file_wait(t, f, POLLIN);
		if (n < 0)
			return n;
	}
}

/* Reads into it from a file with read_iter: waits while there is nothing
 * to read (unless O_NONBLOCK), then takes what there is. */
static ssize_t iter_read(struct task *t, struct file *f, struct io_iter *it)
{
	return stream_read(t, f, it, nonblocking(f));
}

/* Writes all of it to a file with write_iter, waiting for room unless
 * O_NONBLOCK. A write cut short by a signal, a fault, O_NONBLOCK or the
 * last reader leaving returns what went in, as Linux's pipe_write does;
 * EPIPE raises SIGPIPE even then. */
static ssize_t iter_write(struct task *t, struct file *f, struct io_iter *it)
{
	ssize_t done = 0;

	while (it->count) {
		ssize_t n = f->ops->write_iter(f, it);

		if (n > 0) {
			done += n;
			if (it->fault)
				break;
			continue;
		}
		if (n == 0)
			break;
		if (n == -EPIPE)
			sig_send_task(t, SIGPIPE);
		if (n == -EAGAIN && !nonblocking(f) && f->ops->wait_fd)
			n = file_wait(t, f, POLLOUT);
		if (n < 0)
			return done ? done : n;
	}
	return done;
}

/* Reads up to len bytes from f into user memory at buf. pos is NULL to use
 * (and advance) the file position. */
static ssize_t do_read(struct task *t, struct file *f, uaddr_t buf, size_t len, int64_t *pos)
{
	IO_BUF(io_buf);
	int64_t local = 0;
	size_t done = 0;
	bool use_fpos = pos == NULL && !is_stream(f);
	int err = check_rw(f, false);

	if (err < 0)
		return err;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	if (f->ops->read_iter) {
		struct linux_iovec v = { buf, len };
		struct io_iter it;

		io_iter_init(&it, t->mm, &v, 1, MAX_RW_COUNT);
		return iter_read(t, f, &it);
	}
	len = MIN(len, MAX_RW_COUNT);
	if (use_fpos) {
		pthread_mutex_lock(&f->pos_lock);
		local = f->pos;
	}
	if (!pos)
		pos = &local;	/* a stream's is scratch, never written back */
	while (done < len) {
		size_t chunk = MIN(len - done, IO_CHUNK);
		ssize_t n = f->ops->read(f, io_buf, chunk, pos);

		if (n == -EAGAIN && !nonblocking(f) && f->ops->wait_fd && done == 0) {
			n = file_wait(t, f, POLLIN);
			if (n == 0)
				continue;
		}
		if (n < 0) {
			if (done == 0)
				done = (size_t)n;
			break;
		}
		if (n > 0) {
			/* Like Linux, a fault part-way returns what was copied;
			 * the rest of the data read is lost. */
			ssize_t c = copy_out_partial(t->mm, buf + done, io_buf, (size_t)n);
			if (c < 0) {
				if (done == 0)
					done = (size_t)-EFAULT;
				break;
			}
			if (c < n) {
				done += (size_t)c;
				break;
			}
		}
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;
	}
	if (use_fpos) {
		if ((ssize_t)done >= 0)
			f->pos = local;
		pthread_mutex_unlock(&f->pos_lock);
	}
	return (ssize_t)done;
}

static ssize_t do_write(struct task *t, struct file *f, uaddr_t buf, size_t len, int64_t *pos)
{
	IO_BUF(io_buf);
	int64_t local = 0;
	size_t done = 0;
	bool use_fpos = pos == NULL && !is_stream(f);
	int err = check_rw(f, true);

	if (err < 0)
		return err;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	if (f->ops->write_iter) {
		struct linux_iovec v = { buf, len };
		struct io_iter it;

		io_iter_init(&it, t->mm, &v, 1, MAX_RW_COUNT);
		return iter_write(t, f, &it);
	}
	len = MIN(len, MAX_RW_COUNT);
	if (use_fpos) {
		pthread_mutex_lock(&f->pos_lock);
		local = f->pos;
	}
	if (!pos)
		pos = &local;
	while (done < len) {
		size_t chunk = MIN(len - done, IO_CHUNK), off = 0;

		if (copy_in(t->mm, io_buf, buf + done, chunk) < 0) {
			if (done == 0)
				done = (size_t)-EFAULT;
			goto out;
		}
		while (off < chunk) {
			ssize_t n = f->ops->write(f, io_buf + off, chunk - off, pos);

			if (n == -EAGAIN && !nonblocking(f) && f->ops->wait_fd) {
				int w = file_wait(t, f, POLLOUT);
				if (w == 0)
					continue;
				/* Interrupted after some of it was written: the
				 * call returns that much, as Linux's does. */
				if (done + off) {
					done += off;
					goto out;
				}
				n = w;
			}
			if (n == -EPIPE)
				sig_send_task(t, SIGPIPE);
			if (n < 0) {
				if (done + off == 0)
					done = (size_t)n;
				else
					done += off;
				goto out;
			}
			off += (size_t)n;
		}
		done += chunk;
	}
out:
	if (use_fpos) {
		if ((ssize_t)done >= 0)
			f->pos = local;
		pthread_mutex_unlock(&f->pos_lock);
	}
	return (ssize_t)done;
}

SYSCALL(read)
{
	struct file *f = fd_get(t, (int)a[0]);
	ssize_t r;

	if (!f)
		return -EBADF;
	r = do_read(t, f, a[1], a[2], NULL);
	file_put(f);
	return r;
}

SYSCALL(write)
{
	struct file *f = fd_get(t, (int)a[0]);
	ssize_t r;

	if (!f)
		return -EBADF;
	r = do_write(t, f, a[1], a[2], NULL);
	file_put(f);
	return r;
}

static long positional(struct task *t, const uint64_t a[6], bool write)
{
	struct file *f = fd_get(t, (int)a[0]);
	int64_t pos = (int64_t)a[3];
	ssize_t r;

	if (!f)
		return -EBADF;
	if (pos < 0)
		r = -EINVAL;
	else if (!seekable(f))
		r = -ESPIPE;
	else
		r = write ? do_write(t, f, a[1], a[2], &pos) : do_read(t, f, a[1], a[2], &pos);
	file_put(f);
	return r;
}

SYSCALL(pread64) { return positional(t, a, false); }
SYSCALL(pwrite64) { return positional(t, a, true); }

/* Vectored I/O on a file with read_iter/write_iter: one request over all
 * segments, so that a pipe sees a writev of PIPE_BUF bytes as one write
 * and a readv takes what there is without waiting between segments. */
static ssize_t iter_vectored(struct task *t, struct file *f, const struct linux_iovec *iov, uint64_t cnt, bool write)
{
	struct io_iter it;
	int err = check_rw(f, write);

	if (err < 0)
		return err;
	for (uint64_t i = 0; i < cnt; i++)
		if (!user_range_ok(iov[i].iov_base, iov[i].iov_len))
			return -EFAULT;
	io_iter_init(&it, t->mm, iov, cnt, MAX_RW_COUNT);
	return write ? iter_write(t, f, &it) : iter_read(t, f, &it);
}

/* Vectored I/O: each segment in turn, stopping at the first short one. */
static long vectored(struct task *t, int fd, uaddr_t iov_addr, uint64_t cnt, int64_t pos, bool write)
{
	struct linux_iovec iov[IOV_MAX_SEGS];
	struct file *f;
	uint64_t total = 0;
	ssize_t done = 0;
	int64_t *pp = pos >= 0 ? &pos : NULL;

	if (cnt > IOV_MAX_SEGS)
		return -EINVAL;
	if (cnt && copy_in(t->mm, iov, iov_addr, cnt * sizeof(iov[0])) < 0)
		return -EFAULT;
	for (uint64_t i = 0; i < cnt; i++) {
		if ((int64_t)iov[i].iov_len < 0 || total + iov[i].iov_len > (uint64_t)SSIZE_MAX)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	f = fd_get(t, fd);
	if (!f)
		return -EBADF;
	if (pp && !seekable(f)) {
		file_put(f);
		return -ESPIPE;
	}
	if (write ? f->ops->write_iter != NULL : f->ops->read_iter != NULL) {
		done = iter_vectored(t, f, iov, cnt, write);
		file_put(f);
		return done;
	}
	for (uint64_t i = 0; i < cnt; i++) {
		ssize_t n;
		if (!iov[i].iov_len)
			continue;
		n = write ? do_write(t, f, iov[i].iov_base, iov[i].iov_len, pp) :
			    do_read(t, f, iov[i].iov_base, iov[i].iov_len, pp);
		if (n < 0) {
			if (done == 0)
				done = n;
			break;
		}
		done += n;
		if ((uint64_t)n < iov[i].iov_len)
			break;
	}
	if (cnt == 0 || total == 0) {
		/* Zero-length transfers still check the fd's mode. */
		if (write ? (f->flags & O_ACCMODE) == O_RDONLY : (f->flags & O_ACCMODE) == O_WRONLY)
			done = -EBADF;
	}
	file_put(f);
	return done;
}

SYSCALL(readv) { return vectored(t, (int)a[0], a[1], a[2], -1, false); }
SYSCALL(writev) { return vectored(t, (int)a[0], a[1], a[2], -1, true); }

static long pvectored(struct task *t, const uint64_t a[6], bool write, bool v2)
{
	int64_t pos = (int64_t)a[3];

	if (v2 && a[5] != 0)
		return -EOPNOTSUPP;	/* RWF_* flags are not supported */
	if (v2 && pos == -1)
		return vectored(t, (int)a[0], a[1], a[2], -1, write);
	if (pos < 0)
		return -EINVAL;
	return vectored(t, (int)a[0], a[1], a[2], pos, write);
}

SYSCALL(preadv) { return pvectored(t, a, false, false); }
SYSCALL(pwritev) { return pvectored(t, a, true, false); }
SYSCALL(preadv2) { return pvectored(t, a, false, true); }
SYSCALL(pwritev2) { return pvectored(t, a, true, true); }

SYSCALL(lseek)
{
	struct file *f = fd_get(t, (int)a[0]);
	int whence = (int)a[2];
	int64_t r;

	if (!f)
		return -EBADF;
	if (whence < SEEK_SET || whence > SEEK_HOLE)
		r = -EINVAL;
	else if (!f->ops->llseek)
		r = -ESPIPE;
	else {
		pthread_mutex_lock(&f->pos_lock);
		r = f->ops->llseek(f, (int64_t)a[1], whence);
		if (r >= 0)
			f->pos = r;
		pthread_mutex_unlock(&f->pos_lock);
	}
	file_put(f);
	return r;
}

SYSCALL(getdents64)
{
	IO_BUF(io_buf);
	struct file *f = fd_get(t, (int)a[0]);
	size_t len = MIN(a[2], (uint64_t)IO_CHUNK);
	ssize_t n;

	if (!f)
		return -EBADF;
	if (!f->ops->getdents) {
		file_put(f);
		return -ENOTDIR;
	}
	pthread_mutex_lock(&f->pos_lock);
	n = f->ops->getdents(f, io_buf, len);
	pthread_mutex_unlock(&f->pos_lock);
	if (n > 0 && copy_out(t->mm, a[1], io_buf, (size_t)n) < 0)
		n = -EFAULT;
	file_put(f);
	return n;
}
