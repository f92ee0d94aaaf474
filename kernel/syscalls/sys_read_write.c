/* read, write and their vectored and positional forms; lseek; getdents64.
 * Data moves through a bounce buffer in chunks; a stream that would block
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

/* Aligned: getdents fills it with struct linux_dirent64 records. */
static __thread uint8_t io_buf[IO_CHUNK] __attribute__((aligned(8)));

static bool seekable(struct file *f)
{
	return f->ops->llseek && f->ops->llseek != vfs_no_seek;
}

/* Reads up to len bytes from f into user memory at buf. pos is NULL to use
 * (and advance) the file position. */
static ssize_t do_read(struct task *t, struct file *f, uaddr_t buf, size_t len, int64_t *pos)
{
	int64_t local;
	size_t done = 0;
	bool use_fpos = pos == NULL;

	if ((f->flags & O_ACCMODE) == O_WRONLY || f->flags & O_PATH)
		return -EBADF;
	if (!f->ops->read)
		return -EINVAL;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	len = MIN(len, MAX_RW_COUNT);
	if (use_fpos) {
		pthread_mutex_lock(&f->pos_lock);
		local = f->pos;
		pos = &local;
	}
	while (done < len) {
		size_t chunk = MIN(len - done, IO_CHUNK);
		ssize_t n = f->ops->read(f, io_buf, chunk, pos);

		if (n == -EAGAIN && !(f->flags & O_NONBLOCK) && f->ops->wait_fd && done == 0) {
			int w = task_wait(t, f->ops->wait_fd(f), POLLIN, -1);
			if (w < 0) {
				n = w == -EINTR ? -LINUX_ERESTARTSYS : w;
			} else {
				continue;
			}
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
	int64_t local;
	size_t done = 0;
	bool use_fpos = pos == NULL;

	if ((f->flags & O_ACCMODE) == O_RDONLY || f->flags & O_PATH)
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	len = MIN(len, MAX_RW_COUNT);
	if (use_fpos) {
		pthread_mutex_lock(&f->pos_lock);
		local = f->pos;
		pos = &local;
	}
	while (done < len) {
		size_t chunk = MIN(len - done, IO_CHUNK), off = 0;

		if (copy_in(t->mm, io_buf, buf + done, chunk) < 0) {
			if (done == 0)
				done = (size_t)-EFAULT;
			goto out;
		}
		while (off < chunk) {
			ssize_t n = f->ops->write(f, io_buf + off, chunk - off, pos);

			if (n == -EAGAIN && !(f->flags & O_NONBLOCK) && f->ops->wait_fd) {
				int w = task_wait(t, f->ops->wait_fd(f), POLLOUT, -1);
				if (w >= 0)
					continue;
				n = (done + off) ? 0 : (w == -EINTR ? -LINUX_ERESTARTSYS : w);
				if (n == 0) {
					done += off;
					goto out;
				}
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
