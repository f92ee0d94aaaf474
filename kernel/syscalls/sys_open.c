/* open, openat, creat, close, close_range, dup, dup2, dup3, fcntl.
 * Differs from Linux: no file creation yet (every filesystem that can hold
 * new files is read-only), and no record locks (F_SETLK & co. fail with
 * EINVAL, logged). */
#include "kernel/syscalls/syscalls.h"
#include "kernel/lib/log.h"
#include "kernel/fs/pipe/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mount.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define VALID_OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | \
			  O_DSYNC | O_ASYNC | O_DIRECT | LINUX_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | \
			  O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE)

static const struct file_ops opath_ops = { 0 };

/* O_CREAT of a missing file: creates it in its parent directory. */
static int create_file(struct task *t, int dirfd, const char *path, unsigned mode)
{
	char name[NAME_MAX + 1];
	struct path parent;
	int kind, err = task_lookup_parent(t, dirfd, path, &parent, name, &kind);

	if (err < 0)
		return err;
	if (kind)
		err = -EISDIR;
	else if (path[strlen(path) - 1] == '/')
		err = -EISDIR;
	else if (parent.mnt->flags & MS_RDONLY)
		err = -EROFS;
	else
		err = vfs_create_at(t, &parent, name, mode);
	path_put(&parent);
	return err;
}

static long do_openat(struct task *t, int dirfd, uaddr_t upath, int flags, unsigned mode)
{
	char path[PATH_MAX];
	struct path p;
	struct file *f;
	int err, lflags = 0, fd;

	err = copy_path(t, upath, path);
	if (err < 0)
		return err;
	if (flags & ~VALID_OPEN_FLAGS)
		flags &= VALID_OPEN_FLAGS;	/* Linux ignores unknown open flags */
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (!(flags & O_NOFOLLOW))
		lflags |= LOOKUP_FOLLOW;
	if (flags & O_DIRECTORY)
		lflags |= LOOKUP_DIRECTORY;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		lflags &= ~LOOKUP_FOLLOW;
	err = task_lookup(t, dirfd, path, lflags, &p);
	if (err == -ENOENT && (flags & O_CREAT)) {
		err = create_file(t, dirfd, path, mode);
		if (err == -EEXIST && !(flags & O_EXCL))
			err = 0;	/* created meanwhile by someone else: open it */
		else if (err == 0)
			flags &= ~O_EXCL;	/* ours: open what we made */
		if (err < 0)
			return err;
		err = task_lookup(t, dirfd, path, lflags, &p);
	}
	if (err < 0)
		return err;
	if ((flags & O_CREAT) && (flags & O_EXCL)) {
		err = -EEXIST;
		goto out;
	}
	if (S_ISLNK(p.d->inode->stx.stx_mode) && !(flags & O_PATH)) {
		err = -ELOOP;
		goto out;
	}
	if ((flags & O_CREAT) && S_ISDIR(p.d->inode->stx.stx_mode)) {
		err = -EISDIR;
		goto out;
	}
	if (flags & O_PATH) {
		f = file_new_anon(p.d->inode, flags, &opath_ops, NULL);
		if (!f) {
			err = -ENOMEM;
			goto out;
		}
		inode_get(p.d->inode);
		f->path = p;
		path_get(&p);
	} else {
		if (((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) && (p.mnt->flags & MS_RDONLY) &&
		    (S_ISREG(p.d->inode->stx.stx_mode) || S_ISDIR(p.d->inode->stx.stx_mode))) {
			err = -EROFS;
			goto out;
		}
		err = vfs_open(&p, flags | LINUX_O_LARGEFILE, &f);
		if (err < 0)
			goto out;
		if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && S_ISREG(p.d->inode->stx.stx_mode) &&
		    p.d->inode->stx.stx_size > 0 && p.d->inode->ops->setattr) {
			struct vfs_attr va = { .mask = VFS_ATTR_SIZE, .size = 0 };
			err = p.d->inode->ops->setattr(p.d->inode, &va);
			if (err < 0) {
				file_put(f);
				goto out;
			}
		}
	}
	fd = fd_install(t, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	err = fd;
out:
	path_put(&p);
	return err;
}

SYSCALL(open) { return do_openat(t, AT_FDCWD, a[0], (int)a[1], (unsigned)a[2]); }
SYSCALL(openat) { return do_openat(t, (int)a[0], a[1], (int)a[2], (unsigned)a[3]); }
SYSCALL(creat) { return do_openat(t, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (unsigned)a[1]); }

SYSCALL(close)
{
	return fd_close(t, (int)a[0]);
}

SYSCALL(close_range)
{
	unsigned int first = (unsigned)a[0], last = (unsigned)a[1], flags = (unsigned)a[2];

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last)
		return -EINVAL;
	/* The fd table is never shared yet, so UNSHARE has nothing to do. */
	for (unsigned int fd = first; fd <= last && fd < (unsigned)t->fdt->size; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC)
			fd_set_cloexec(t, (int)fd, true);
		else
			fd_close(t, (int)fd);
	}
	return 0;
}

SYSCALL(dup)
{
	struct file *f = fd_get(t, (int)a[0]);
	int fd;

	if (!f)
		return -EBADF;
	fd = fd_install(t, f, 0, false);
	if (fd < 0)
		file_put(f);
	return fd;
}

static long do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
	struct file *f;
	int r;

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	f = fd_get(t, oldfd);
	if (!f)
		return -EBADF;
	r = fd_replace(t, newfd, f, flags & O_CLOEXEC);
	file_put(f);
	return r;
}

SYSCALL(dup2)
{
	if (a[0] == a[1]) {
		struct file *f = fd_get(t, (int)a[0]);
		if (!f)
			return -EBADF;
		file_put(f);
		return (long)a[1];
	}
	return do_dup3(t, (int)a[0], (int)a[1], 0);
}

SYSCALL(dup3)
{
	if (a[0] == a[1])
		return -EINVAL;
	return do_dup3(t, (int)a[0], (int)a[1], (int)a[2]);
}

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

SYSCALL(fcntl)
{
	int fd = (int)a[0], cmd = (int)a[1];
	struct file *f = fd_get(t, fd);
	long r;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((int64_t)a[2] < 0 || a[2] >= (uint64_t)task_nofile_limit(t)) {
			r = -EINVAL;
			break;
		}
		file_get(f);
		r = fd_install(t, f, (int)a[2], cmd == F_DUPFD_CLOEXEC);
		if (r < 0)
			file_put(f);
		break;
	case F_GETFD:
		r = fd_get_cloexec(t, fd) > 0 ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		r = fd_set_cloexec(t, fd, a[2] & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL:
		if (f->flags & O_PATH) {
			r = -EBADF;
			break;
		}
		/* Stored atomically: stream I/O loads the flags without
		 * pos_lock. */
		pthread_mutex_lock(&f->pos_lock);
		__atomic_store_n(&f->flags, (f->flags & ~SETFL_MASK) | ((int)a[2] & SETFL_MASK), __ATOMIC_RELAXED);
		pthread_mutex_unlock(&f->pos_lock);
		r = 0;
		break;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		r = pipe_fcntl(f, cmd, (unsigned int)a[2]);
		break;
	default:
		log_warn("fcntl: unsupported command %d", cmd);
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}
