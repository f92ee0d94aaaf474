#include "kernel/fs/host/host_file.h"
#include "kernel/task/task.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

struct host_node {
	int fd;			/* owned */
	bool stream;		/* pipe, tty, socket: reads may block */
	int stdio;		/* 1 + the sandbox's stdio index; 0: not stdio */
};

static int host_getattr(struct inode *ino)
{
	struct host_node *n = ino->priv;
	struct stat st;

	if (fstat(n->fd, &st) < 0)
		return -errno;
	memset(&ino->stx, 0, sizeof(ino->stx));
	ino->stx.stx_mask = STATX_BASIC_STATS;
	ino->stx.stx_mode = (uint16_t)st.st_mode;
	ino->stx.stx_nlink = (uint32_t)st.st_nlink;
	ino->stx.stx_uid = st.st_uid;
	ino->stx.stx_gid = st.st_gid;
	ino->stx.stx_ino = st.st_ino;
	ino->stx.stx_size = (uint64_t)st.st_size;
	ino->stx.stx_blocks = (uint64_t)st.st_blocks;
	ino->stx.stx_blksize = (uint32_t)st.st_blksize;
	ino->stx.stx_dev_major = major(st.st_dev);
	ino->stx.stx_dev_minor = minor(st.st_dev);
	ino->stx.stx_rdev_major = major(st.st_rdev);
	ino->stx.stx_rdev_minor = minor(st.st_rdev);
	ino->stx.stx_atime.tv_sec = st.st_atim.tv_sec;
	ino->stx.stx_atime.tv_nsec = (uint32_t)st.st_atim.tv_nsec;
	ino->stx.stx_mtime.tv_sec = st.st_mtim.tv_sec;
	ino->stx.stx_mtime.tv_nsec = (uint32_t)st.st_mtim.tv_nsec;
	ino->stx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
	ino->stx.stx_ctime.tv_nsec = (uint32_t)st.st_ctim.tv_nsec;
	return 0;
}

static void host_release_inode(struct inode *ino)
{
	struct host_node *n = ino->priv;

	close(n->fd);
	free(n);
}

static const struct inode_ops host_inode_ops = {
	.getattr = host_getattr,
	.release = host_release_inode,
};

static bool ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	return poll(&p, 1, 0) != 0;
}

static ssize_t host_read(struct file *f, void *buf, size_t len, int64_t *pos)
{
	struct host_node *n = f->inode->priv;
	ssize_t r;

	/* Never block in read(2) itself: the task waits in task_wait,
	 * where it can be interrupted. */
	if (n->stream && !ready(n->fd, POLLIN))
		return -EAGAIN;
	do
		r = read(n->fd, buf, len);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static ssize_t host_write(struct file *f, const void *buf, size_t len, int64_t *pos)
{
	struct host_node *n = f->inode->priv;
	ssize_t r;

	if (n->stream && !ready(n->fd, POLLOUT))
		return -EAGAIN;
	do
		r = write(n->fd, buf, len);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static int64_t host_llseek(struct file *f, int64_t off, int whence)
{
	struct host_node *n = f->inode->priv;
	off_t r;

	if (n->stream)
		return -ESPIPE;
	r = lseek(n->fd, off, whence);
	return r < 0 ? -errno : r;
}

static long host_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	struct host_node *n = f->inode->priv;

	switch (cmd) {
	case TCGETS: {
		struct termios tio;
		if (ioctl(n->fd, TCGETS, &tio) < 0)
			return -errno;
		return copy_out(t->mm, arg, &tio, sizeof(tio));
	}
	case TIOCGWINSZ: {
		struct winsize ws;
		if (ioctl(n->fd, TIOCGWINSZ, &ws) < 0)
			return -errno;
		return copy_out(t->mm, arg, &ws, sizeof(ws));
	}
	case FIONREAD: {
		int v;
		if (ioctl(n->fd, FIONREAD, &v) < 0)
			return -errno;
		return copy_out(t->mm, arg, &v, sizeof(v));
	}
	default:
		return -ENOTTY;
	}
}

/* The host fd itself, for the same events: its readiness is the file's. */
static int host_wait_fd(struct file *f, short *events)
{
	struct host_node *n = f->inode->priv;
	return n->fd;
}

static short host_poll(struct file *f, short events)
{
	struct host_node *n = f->inode->priv;
	struct pollfd p = { .fd = n->fd, .events = events };

	if (!n->stream)
		return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
	if (poll(&p, 1, 0) < 0)
		return POLLERR;
	return p.revents;
}

static const struct file_ops host_file_ops = {
	.poll = host_poll,
	.read = host_read,
	.write = host_write,
	.llseek = host_llseek,
	.ioctl = host_ioctl,
	.wait_fd = host_wait_fd,
};

struct file *host_file_new(int host_fd, int flags)
{
	struct host_node *n = calloc(1, sizeof(*n));
	struct inode *ino;
	struct file *f;
	struct stat st;

	if (!n || fstat(host_fd, &st) < 0) {
		free(n);
		return NULL;
	}
	n->fd = host_fd;
	n->stream = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	ino = inode_new(&host_inode_ops, n);
	if (!ino) {
		free(n);
		return NULL;
	}
	host_getattr(ino);
	f = file_new_anon(ino, flags, &host_file_ops, NULL);
	if (!f)
		inode_put(ino);
	return f;
}

void host_file_set_stdio(struct file *f, int index)
{
	if (f->ops == &host_file_ops)
		((struct host_node *)f->inode->priv)->stdio = index + 1;
}

int host_file_stdio(struct file *f)
{
	if (f->ops != &host_file_ops)
		return -1;
	return ((struct host_node *)f->inode->priv)->stdio - 1;
}
