/* stat and friends, statx, readlink, access, getcwd, chdir, fchdir, umask. */
#include "kernel/syscalls/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AT_STATX_SYNC_TYPE
#define AT_STATX_SYNC_TYPE 0x6000
#endif
#ifndef STATX__RESERVED
#define STATX__RESERVED 0x80000000U
#endif

static void statx_to_stat(const struct statx *x, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = linux_encode_dev(x->stx_dev_major, x->stx_dev_minor);
	st->st_ino = x->stx_ino;
	st->st_nlink = x->stx_nlink;
	st->st_mode = x->stx_mode;
	st->st_uid = x->stx_uid;
	st->st_gid = x->stx_gid;
	st->st_rdev = linux_encode_dev(x->stx_rdev_major, x->stx_rdev_minor);
	st->st_size = (int64_t)x->stx_size;
	st->st_blksize = x->stx_blksize;
	st->st_blocks = (int64_t)x->stx_blocks;
	st->st_atime_sec = x->stx_atime.tv_sec;
	st->st_atime_nsec = x->stx_atime.tv_nsec;
	st->st_mtime_sec = x->stx_mtime.tv_sec;
	st->st_mtime_nsec = x->stx_mtime.tv_nsec;
	st->st_ctime_sec = x->stx_ctime.tv_sec;
	st->st_ctime_nsec = x->stx_ctime.tv_nsec;
}

/* Finds the inode a stat-like call names: path relative to dirfd, or the
 * fd itself with AT_EMPTY_PATH and "". Returns a new inode reference. */
static int stat_target(struct task *t, int dirfd, uaddr_t upath, int flags, struct inode **out)
{
	char path[PATH_MAX];
	struct path p;
	int err = copy_path(t, upath, path);

	if (err < 0)
		return err;
	if (!*path && (flags & AT_EMPTY_PATH)) {
		struct file *f;
		if (dirfd == AT_FDCWD) {
			pthread_mutex_lock(&t->fs->lock);
			*out = t->fs->cwd.d->inode;
			inode_get(*out);
			pthread_mutex_unlock(&t->fs->lock);
			return 0;
		}
		f = fd_get(t, dirfd);
		if (!f)
			return -EBADF;
		*out = f->inode;
		inode_get(*out);
		file_put(f);
		return 0;
	}
	err = task_lookup(t, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &p);
	if (err < 0)
		return err;
	*out = p.d->inode;
	inode_get(*out);
	path_put(&p);
	return 0;
}

static long do_stat(struct task *t, int dirfd, uaddr_t upath, uaddr_t ubuf, int flags)
{
	struct inode *ino;
	struct statx x;
	struct linux_stat st;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	err = stat_target(t, dirfd, upath, flags, &ino);
	if (err < 0)
		return err;
	err = inode_stat(ino, &x);
	inode_put(ino);
	if (err < 0)
		return err;
	statx_to_stat(&x, &st);
	return copy_out(t->mm, ubuf, &st, sizeof(st));
}

SYSCALL(stat) { return do_stat(t, AT_FDCWD, a[0], a[1], 0); }
SYSCALL(lstat) { return do_stat(t, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW); }
SYSCALL(newfstatat) { return do_stat(t, (int)a[0], a[1], a[2], (int)a[3]); }

SYSCALL(fstat)
{
	struct file *f = fd_get(t, (int)a[0]);
	struct statx x;
	struct linux_stat st;
	int err;

	if (!f)
		return -EBADF;
	err = inode_stat(f->inode, &x);
	file_put(f);
	if (err < 0)
		return err;
	statx_to_stat(&x, &st);
	return copy_out(t->mm, a[1], &st, sizeof(st));
}

SYSCALL(statx)
{
	int dirfd = (int)a[0], flags = (int)a[2];
	unsigned int mask = (unsigned)a[3];
	struct inode *ino;
	struct statx x;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	err = stat_target(t, dirfd, a[1], flags, &ino);
	if (err < 0)
		return err;
	err = inode_stat(ino, &x);
	inode_put(ino);
	if (err < 0)
		return err;
	/* Report what we have: the basic fields always (as Linux does,
	 * whatever the mask asked), btime when the filesystem gave it. */
	x.stx_mask &= STATX_BASIC_STATS | STATX_BTIME;
	x.stx_mask |= STATX_BASIC_STATS & ~STATX_BLOCKS;
	if (x.stx_blocks || S_ISREG(x.stx_mode) || S_ISDIR(x.stx_mode))
		x.stx_mask |= STATX_BLOCKS;
	x.stx_mnt_id = 0;
	return copy_out(t->mm, a[4], &x, sizeof(x));
}

static long do_readlinkat(struct task *t, int dirfd, uaddr_t upath, uaddr_t ubuf, int64_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct path p;
	int err, n;

	if (size <= 0)
		return -EINVAL;
	err = copy_path(t, upath, path);
	if (err < 0)
		return err;
	if (!*path)
		return -ENOENT;
	err = task_lookup(t, dirfd, path, 0, &p);
	if (err < 0)
		return err;
	if (!S_ISLNK(p.d->inode->stx.stx_mode) || !p.d->inode->ops->readlink) {
		path_put(&p);
		return -EINVAL;
	}
	n = p.d->inode->ops->readlink(p.d->inode, target, sizeof(target));
	path_put(&p);
	if (n < 0)
		return n;
	n = (int)MIN((int64_t)n, size);
	return copy_out(t->mm, ubuf, target, (size_t)n) < 0 ? -EFAULT : n;
}

SYSCALL(readlink) { return do_readlinkat(t, AT_FDCWD, a[0], a[1], (int64_t)(int)a[2]); }
SYSCALL(readlinkat) { return do_readlinkat(t, (int)a[0], a[1], a[2], (int64_t)(int)a[3]); }

/* Permission check as Linux's generic_permission, with root's override. */
static int check_access(struct task *t, const struct path *p, int mode, bool effective)
{
	const struct statx *x = &p->d->inode->stx;
	uint32_t uid = effective ? t->creds.euid : t->creds.uid;
	uint32_t gid = effective ? t->creds.egid : t->creds.gid;
	unsigned bits;

	if ((mode & W_OK) && (p->mnt->flags & MS_RDONLY) &&
	    (S_ISREG(x->stx_mode) || S_ISDIR(x->stx_mode) || S_ISLNK(x->stx_mode)))
		return -EROFS;
	if (uid == 0) {
		if ((mode & X_OK) && !S_ISDIR(x->stx_mode) && !(x->stx_mode & 0111))
			return -EACCES;
		return 0;
	}
	if (x->stx_uid == uid)
		bits = (x->stx_mode >> 6) & 7;
	else if (x->stx_gid == gid)
		bits = (x->stx_mode >> 3) & 7;
	else
		bits = x->stx_mode & 7;
	return (bits & (unsigned)mode) == (unsigned)mode ? 0 : -EACCES;
}

static long do_faccessat(struct task *t, int dirfd, uaddr_t upath, int mode, int flags)
{
	char path[PATH_MAX];
	struct path p;
	int err;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = copy_path(t, upath, path);
	if (err < 0)
		return err;
	err = task_lookup(t, dirfd, path,
			  ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) | ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
			  &p);
	if (err < 0)
		return err;
	err = check_access(t, &p, mode, flags & AT_EACCESS);
	path_put(&p);
	return err;
}

SYSCALL(access) { return do_faccessat(t, AT_FDCWD, a[0], (int)a[1], 0); }
SYSCALL(faccessat) { return do_faccessat(t, (int)a[0], a[1], (int)a[2], 0); }
SYSCALL(faccessat2) { return do_faccessat(t, (int)a[0], a[1], (int)a[2], (int)a[3]); }

SYSCALL(getcwd)
{
	char buf[PATH_MAX];
	int n;

	pthread_mutex_lock(&t->fs->lock);
	n = vfs_path_name(&t->fs->root, &t->fs->cwd, buf, sizeof(buf));
	pthread_mutex_unlock(&t->fs->lock);
	if (n < 0)
		return n;
	if ((uint64_t)n + 1 > a[1])
		return -ERANGE;
	return copy_out(t->mm, a[0], buf, (size_t)n + 1) < 0 ? -EFAULT : n + 1;
}

static long set_cwd(struct task *t, struct path *p)
{
	int err;

	if (!S_ISDIR(p->d->inode->stx.stx_mode)) {
		path_put(p);
		return -ENOTDIR;
	}
	err = check_access(t, p, X_OK, false);
	if (err < 0) {
		path_put(p);
		return err;
	}
	pthread_mutex_lock(&t->fs->lock);
	path_put(&t->fs->cwd);
	t->fs->cwd = *p;
	pthread_mutex_unlock(&t->fs->lock);
	return 0;
}

SYSCALL(chdir)
{
	char path[PATH_MAX];
	struct path p;
	int err = copy_path(t, a[0], path);

	if (err < 0)
		return err;
	err = task_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (err < 0)
		return err;
	return set_cwd(t, &p);
}

SYSCALL(fchdir)
{
	struct file *f = fd_get(t, (int)a[0]);
	struct path p;

	if (!f)
		return -EBADF;
	if (!f->path.d) {
		file_put(f);
		return -ENOTDIR;
	}
	p = f->path;
	path_get(&p);
	file_put(f);
	return set_cwd(t, &p);
}

SYSCALL(umask)
{
	unsigned old;

	pthread_mutex_lock(&t->fs->lock);
	old = t->fs->umask;
	t->fs->umask = (unsigned)a[0] & 0777;
	pthread_mutex_unlock(&t->fs->lock);
	return old;
}
