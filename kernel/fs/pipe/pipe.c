/* Anonymous pipes, after Linux's fs/pipe.c: the pipe object, its ends,
 * readiness, ioctl and fcntl. The data path is pipe_rw.c. Reads and
 * writes never block here: they return -EAGAIN and the caller waits in
 * task_wait on the host fd wait_fd names (internal.h says how the
 * eventfds mirror the pipe).
 *
 * Differs from Linux, one line each:
 * - F_SETPIPE_SZ past pipe-max-size (fixed at 1 MiB) is EPERM for every
 *   user: capabilities are not modelled, and a container's root lacks
 *   CAP_SYS_RESOURCE by default (Docker's, Podman's); no per-user page
 *   limits (pipe-user-pages-soft/hard);
 * - no notification pipes (O_NOTIFICATION_PIPE: ENOPKG, as a kernel
 *   without CONFIG_WATCH_QUEUE), no splice, tee or vmsplice;
 * - atime and mtime are kept exactly (no relatime). */
#include "kernel/fs/pipe/internal.h"
#include "kernel/task/task.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PIPEFS_MAGIC 0x50495045
#define PIPEFS_DEV_MINOR 12		/* an anonymous device, as Linux's pipefs has */
/* eventfd's largest count: readable, not writable. */
#define LEVEL_READ_ONLY 0xfffffffffffffffeULL

static uint64_t next_ino = 1;		/* atomic */

void pipe_ino_seen(uint64_t ino)
{
	uint64_t cur = __atomic_load_n(&next_ino, __ATOMIC_RELAXED);

	while (cur <= ino && !__atomic_compare_exchange_n(&next_ino, &cur, ino + 1, false, __ATOMIC_RELAXED,
							  __ATOMIC_RELAXED))
		;
}

/* What an end does: read, write, or both (O_RDWR, opened through
 * /proc/PID/fd/N). */
static bool reads(const struct file *f)
{
	return f->ops != &pipe_write_ops;
}

static bool writes(const struct file *f)
{
	return f->ops != &pipe_read_ops;
}

/* An end opens (+1) or goes (-1). p->lock held. */
static void count_end(struct pipe *p, const struct file *f, int d)
{
	if (reads(f))
		p->readers += d;
	if (writes(f))
		p->writers += d;
	pipe_sync(p);
}

/* Sets an eventfd's count from what it was to what it should be: a read
 * takes it to 0, a write adds. An error here would leave waiters asleep
 * for good or awake for nothing; it cannot happen with the counts kept
 * right, so it is only logged. */
static void efd_set(int fd, uint64_t from, uint64_t to)
{
	uint64_t v;

	if (from && read(fd, &v, sizeof(v)) != sizeof(v))
		log_warn_once("pipe: reading a level eventfd: %s", strerror(errno));
	if (to && write(fd, &to, sizeof(to)) != sizeof(to))
		log_warn_once("pipe: writing a level eventfd: %s", strerror(errno));
}

void pipe_sync(struct pipe *p)
{
	bool readable = pipe_occupancy(p) > 0 || p->writers == 0;
	bool writable = pipe_occupancy(p) < p->ring_size || p->readers == 0;
	bool closed = p->readers == 0 || p->writers == 0;
	/* Not readable means empty, and an empty ring has room: one of the
	 * two holds, as one of an eventfd's POLLIN and POLLOUT does. */
	uint64_t level = !readable ? 0 : writable ? 1 : LEVEL_READ_ONLY;

	if (level != p->level) {
		efd_set(p->level_fd, p->level, level);
		p->level = level;
	}
	if (closed != p->closed) {
		if (p->closed_fd >= 0)
			efd_set(p->closed_fd, p->closed, closed);
		p->closed = closed;
	}
}

void pipe_page_put(struct pipe *p, uint64_t page)
{
	/* One page kept, as Linux's tmp_page: a reader that keeps up with
	 * its writer then never frees and allocates. */
	if (p->spare < 0)
		p->spare = (int64_t)page;
	else
		memfile_unref(sentry_memfile, page, 1);
}

int pipe_resize_ring(struct pipe *p, uint32_t slots)
{
	uint32_t n = pipe_occupancy(p);
	struct pipe_buf *nb;

	if (slots == p->ring_size)
		return 0;
	nb = calloc(slots, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		nb[i] = *pipe_slot(p, p->tail + i);
	free(p->bufs);
	p->bufs = nb;
	p->ring_size = slots;
	p->tail = 0;
	p->head = n;
	pipe_sync(p);
	return 0;
}

/* ---- file operations ---- */

static short pipe_poll(struct file *f, short events)
{
	struct pipe *p = f->inode->priv;
	short mask = 0;

	/* As Linux's pipe_poll: POLLHUP on a read end with no writer left,
	 * POLLERR on a write end with no reader left. */
	pthread_mutex_lock(&p->lock);
	if (reads(f)) {
		if (pipe_occupancy(p))
			mask |= POLLIN | POLLRDNORM;
		if (!p->writers)
			mask |= POLLHUP;
	}
	if (writes(f)) {
		if (pipe_occupancy(p) < p->ring_size)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	pthread_mutex_unlock(&p->lock);
	return mask;
}

static int pipe_wait_fd(struct file *f, short *events)
{
	struct pipe *p = f->inode->priv;
	short ev = 0;
	int fd;

	if (reads(f) && (*events & (POLLIN | POLLRDNORM)))
		ev |= POLLIN;
	if (writes(f) && (*events & (POLLOUT | POLLWRNORM)))
		ev |= POLLOUT;
	if (ev) {
		*events = ev;
		return p->level_fd;
	}
	/* Only POLLHUP or POLLERR can come: the other end closing. */
	pthread_mutex_lock(&p->lock);
	if (p->closed_fd < 0) {
		p->closed_fd = eventfd(p->closed, EFD_CLOEXEC | EFD_NONBLOCK);
		if (p->closed_fd < 0)
			log_warn_once("pipe: no eventfd to wait for the other end: %s", strerror(errno));
	}
	/* The sentry is out of host fds: poll(2) may fail with ENOMEM. */
	fd = p->closed_fd >= 0 ? p->closed_fd : -ENOMEM;
	pthread_mutex_unlock(&p->lock);
	*events = POLLIN;
	return fd;
}

static long pipe_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	struct pipe *p = f->inode->priv;
	int n = 0;

	if (cmd != FIONREAD)
		return -ENOTTY;
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = p->tail; i != p->head; i++)
		n += pipe_slot(p, i)->len;
	pthread_mutex_unlock(&p->lock);
	return copy_out(t->mm, arg, &n, sizeof(n));
}

/* The last reference to an end: when it was the last of its kind, the
 * other side sees EOF (POLLHUP) or EPIPE (POLLERR), and its waiters wake
 * through the eventfds. */
static void pipe_release(struct file *f)
{
	struct pipe *p = f->inode->priv;

	pthread_mutex_lock(&p->lock);
	count_end(p, f, -1);
	pthread_mutex_unlock(&p->lock);
}

const struct file_ops pipe_read_ops = {
	.read_iter = pipe_read_iter,
	.llseek = vfs_no_seek,
	.ioctl = pipe_ioctl,
	.wait_fd = pipe_wait_fd,
	.poll = pipe_poll,
	.release = pipe_release,
};

const struct file_ops pipe_write_ops = {
	.write_iter = pipe_write_iter,
	.llseek = vfs_no_seek,
	.ioctl = pipe_ioctl,
	.wait_fd = pipe_wait_fd,
	.poll = pipe_poll,
	.release = pipe_release,
};

const struct file_ops pipe_rdwr_ops = {
	.read_iter = pipe_read_iter,
	.write_iter = pipe_write_iter,
	.llseek = vfs_no_seek,
	.ioctl = pipe_ioctl,
	.wait_fd = pipe_wait_fd,
	.poll = pipe_poll,
	.release = pipe_release,
};

bool pipe_file(struct file *f)
{
	return f->ops == &pipe_read_ops || f->ops == &pipe_write_ops || f->ops == &pipe_rdwr_ops;
}

/* The operations of an end opened with access mode acc, or NULL. */
static const struct file_ops *end_ops(int acc)
{
	return acc == O_RDONLY ? &pipe_read_ops : acc == O_WRONLY ? &pipe_write_ops : acc == O_RDWR ? &pipe_rdwr_ops : NULL;
}

/* ---- the inode ---- */

static int pipe_statfs(struct inode *ino, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_type = PIPEFS_MAGIC;
	st->f_bsize = PAGE_SIZE;
	st->f_frsize = PAGE_SIZE;
	st->f_namelen = NAME_MAX;
	return 0;
}

/* fchmod, fchown, futimens; a pipe has no size to truncate. */
static int pipe_setattr(struct inode *ino, const struct vfs_attr *a)
{
	if (a->mask & VFS_ATTR_SIZE)
		return -EINVAL;
	pthread_mutex_lock(&ino->lock);
	inode_attr_apply(ino, a);
	pthread_mutex_unlock(&ino->lock);
	return 0;
}

static void pipe_free(struct pipe *p)
{
	for (uint32_t i = p->tail; p->bufs && i != p->head; i++)
		memfile_unref(sentry_memfile, pipe_slot(p, i)->page, 1);
	if (p->spare >= 0)
		memfile_unref(sentry_memfile, (uint64_t)p->spare, 1);
	if (p->level_fd >= 0)
		close(p->level_fd);
	if (p->closed_fd >= 0)
		close(p->closed_fd);
	free(p->bufs);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void pipe_inode_release(struct inode *ino)
{
	pipe_free(ino->priv);
}

/* An end opened by name, which an anonymous pipe has only as the magic
 * link /proc/PID/fd/N: as Linux's fifo_open gives for a pipe, a new
 * reader, writer or both (O_RDWR), never waiting for the other end. Like
 * pipe(2)'s ends it keeps no path (/proc/PID/fd shows pipe:[ino]). */
static int pipe_fifo_open(struct inode *ino, struct file *f)
{
	struct pipe *p = ino->priv;

	f->ops = end_ops(f->flags & O_ACCMODE);
	if (!f->ops)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	count_end(p, f, 1);
	pthread_mutex_unlock(&p->lock);
	path_put(&f->path);
	f->path = (struct path){ 0 };
	return 0;
}

static const struct inode_ops pipe_inode_ops = {
	.open = pipe_fifo_open,
	.statfs = pipe_statfs,
	.setattr = pipe_setattr,
	.release = pipe_inode_release,
};

int pipe_inode_new(uint32_t uid, uint32_t gid, uint64_t ino_nr, struct inode **out)
{
	struct pipe *p = calloc(1, sizeof(*p));
	struct inode *ino;
	struct timespec now;
	int err;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	p->spare = -1;
	p->closed_fd = -1;
	p->ring_size = PIPE_DEF_BUFFERS;
	p->bufs = calloc(p->ring_size, sizeof(*p->bufs));
	p->level_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!p->bufs || p->level_fd < 0) {
		/* Out of the sentry's host fds is, to the application, the
		 * system's limit (ENFILE), not its own (EMFILE). */
		err = !p->bufs ? -ENOMEM : errno == EMFILE ? -ENFILE : -errno;
		pipe_free(p);
		return err;
	}
	/* No end yet: an EOF and an EPIPE in waiting, until they open. */
	pipe_sync(p);
	ino = inode_new(&pipe_inode_ops, p);
	if (!ino) {
		pipe_free(p);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	ino->stx.stx_mask = STATX_BASIC_STATS;
	ino->stx.stx_mode = S_IFIFO | 0600;
	ino->stx.stx_nlink = 1;
	ino->stx.stx_uid = uid;
	ino->stx.stx_gid = gid;
	ino->stx.stx_ino = ino_nr ? ino_nr : __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	ino->stx.stx_blksize = PAGE_SIZE;
	ino->stx.stx_dev_major = 0;
	ino->stx.stx_dev_minor = PIPEFS_DEV_MINOR;
	ino->stx.stx_atime.tv_sec = ino->stx.stx_mtime.tv_sec = ino->stx.stx_ctime.tv_sec = now.tv_sec;
	ino->stx.stx_atime.tv_nsec = ino->stx.stx_mtime.tv_nsec = ino->stx.stx_ctime.tv_nsec = (uint32_t)now.tv_nsec;
	*out = ino;
	return 0;
}

struct file *pipe_open_end(struct inode *ino, int flags)
{
	struct pipe *p = ino->priv;
	struct file *f = file_new_anon(ino, flags, end_ops(flags & O_ACCMODE), NULL);

	if (!f)
		return NULL;
	pthread_mutex_lock(&p->lock);
	count_end(p, f, 1);
	pthread_mutex_unlock(&p->lock);
	return f;
}

int pipe_create(int flags, uint32_t uid, uint32_t gid, struct file **rd, struct file **wr)
{
	struct inode *ino;
	int err = pipe_inode_new(uid, gid, 0, &ino);

	if (err < 0)
		return err;
	inode_get(ino);		/* one reference for each end */
	/* As Linux's create_pipe_files: packet mode is the writer's. */
	*rd = pipe_open_end(ino, O_RDONLY | (flags & ~O_DIRECT));
	if (!*rd)
		goto err_rd;
	*wr = pipe_open_end(ino, O_WRONLY | flags);
	if (!*wr)
		goto err_wr;
	return 0;
err_wr:
	file_put(*rd);		/* and the inode reference it held */
	inode_put(ino);
	return -ENOMEM;
err_rd:
	inode_put(ino);
	inode_put(ino);
	return -ENOMEM;
}

/* F_SETPIPE_SZ's size: at least a page, a power of two; 0 when too large
 * to round (Linux's round_pipe_size). */
static uint32_t round_pipe_size(unsigned int size)
{
	if (size > (1U << 31))
		return 0;
	if (size < PAGE_SIZE)
		return PAGE_SIZE;
	return 1U << (32 - __builtin_clz(size - 1));
}

long pipe_fcntl(struct file *f, int cmd, unsigned int arg)
{
	struct pipe *p;
	uint32_t slots;
	long r;

	if (!pipe_file(f))
		return -EBADF;
	p = f->inode->priv;
	pthread_mutex_lock(&p->lock);
	if (cmd == F_GETPIPE_SZ) {
		r = (long)p->ring_size * PAGE_SIZE;
		goto out;
	}
	slots = round_pipe_size(arg) / PAGE_SIZE;
	/* As Linux's pipe_set_size without CAP_SYS_RESOURCE: no growing
	 * past pipe-max-size; shrinking below the slots in use is EBUSY. */
	if (!slots)
		r = -EINVAL;
	else if (slots > p->ring_size && slots * PAGE_SIZE > PIPE_MAX_SIZE)
		r = -EPERM;
	else if (slots < pipe_occupancy(p))
		r = -EBUSY;
	else
		r = pipe_resize_ring(p, slots);
	if (r == 0)
		r = (long)p->ring_size * PAGE_SIZE;
out:
	pthread_mutex_unlock(&p->lock);
	return r;
}
