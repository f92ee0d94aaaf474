/* Changing the file tree: mkdir, rmdir, unlink, rename, symlink, link,
 * chmod, chown, truncate, utimensat, fsync. Differs from Linux: no
 * permission checks beyond the read-only mount (the sandbox's user is
 * root so far), and a renamed directory's cached children keep their old
 * names for files already open in them. */
#include "kernel/syscalls/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

/* Resolves the parent of a path argument for an operation that changes
 * the directory: kind 1 ("." or "..") and 2 (the root) get err_dot. */
static int parent_of(struct task *t, int dirfd, uaddr_t upath, struct path *parent, char *name, int err_dot)
{
	char path[PATH_MAX];
	int kind, err = copy_path(t, upath, path);

	if (err < 0)
		return err;
	err = task_lookup_parent(t, dirfd, path, parent, name, &kind);
	if (err < 0)
		return err;
	if (kind) {
		path_put(parent);
		return err_dot;
	}
	if (parent->mnt->flags & MS_RDONLY) {
		path_put(parent);
		return -EROFS;
	}
	return 0;
}

static unsigned int task_umask(struct task *t)
{
	unsigned int m;

	pthread_mutex_lock(&t->fs->lock);
	m = t->fs->umask;
	pthread_mutex_unlock(&t->fs->lock);
	return m;
}

int vfs_create_at(struct task *t, const struct path *parent, const char *name, unsigned int mode)
{
	struct inode *dir = parent->d->inode;
	int err;

	if (!dir->ops->create)
		return -EROFS;
	err = dir->ops->create(dir, name, (mode & 07777) & ~task_umask(t));
	dentry_invalidate(parent->d, name);
	return err;
}

static long do_mkdirat(struct task *t, int dirfd, uaddr_t upath, unsigned int mode)
{
	char name[NAME_MAX + 1];
	struct path p;
	int err = parent_of(t, dirfd, upath, &p, name, -EEXIST);

	if (err < 0)
		return err;
	err = p.d->inode->ops->mkdir ? p.d->inode->ops->mkdir(p.d->inode, name, (mode & 07777) & ~task_umask(t)) : -EROFS;
	dentry_invalidate(p.d, name);
	path_put(&p);
	return err;
}

SYSCALL(mkdir) { return do_mkdirat(t, AT_FDCWD, a[0], (unsigned)a[1]); }
SYSCALL(mkdirat) { return do_mkdirat(t, (int)a[0], a[1], (unsigned)a[2]); }

static long do_unlinkat(struct task *t, int dirfd, uaddr_t upath, int flags)
{
	char name[NAME_MAX + 1];
	bool is_rmdir = flags & AT_REMOVEDIR;
	struct path p;
	int err;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	err = parent_of(t, dirfd, upath, &p, name, is_rmdir ? -EINVAL : -EISDIR);
	if (err < 0)
		return err;
	err = p.d->inode->ops->unlink ? p.d->inode->ops->unlink(p.d->inode, name, is_rmdir) : -EROFS;
	dentry_invalidate(p.d, name);
	path_put(&p);
	return err;
}

SYSCALL(unlink) { return do_unlinkat(t, AT_FDCWD, a[0], 0); }
SYSCALL(rmdir) { return do_unlinkat(t, AT_FDCWD, a[0], AT_REMOVEDIR); }
SYSCALL(unlinkat) { return do_unlinkat(t, (int)a[0], a[1], (int)a[2]); }

static long do_renameat2(struct task *t, int olddirfd, uaddr_t oldp, int newdirfd, uaddr_t newp, unsigned int flags)
{
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	struct path op, np;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return -EINVAL;
	if (flags & RENAME_WHITEOUT)
		return -EINVAL;	/* overlay whiteouts are not supported */
	err = parent_of(t, olddirfd, oldp, &op, oname, -EBUSY);
	if (err < 0)
		return err;
	err = parent_of(t, newdirfd, newp, &np, nname, -EBUSY);
	if (err < 0) {
		path_put(&op);
		return err;
	}
	if (op.mnt != np.mnt)
		err = -EXDEV;
	else
		err = op.d->inode->ops->rename ? op.d->inode->ops->rename(op.d->inode, oname, np.d->inode, nname, flags)
					       : -EROFS;
	dentry_invalidate(op.d, oname);
	dentry_invalidate(np.d, nname);
	path_put(&op);
	path_put(&np);
	return err;
}

SYSCALL(rename) { return do_renameat2(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0); }
SYSCALL(renameat) { return do_renameat2(t, (int)a[0], a[1], (int)a[2], a[3], 0); }
SYSCALL(renameat2) { return do_renameat2(t, (int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]); }

static long do_symlinkat(struct task *t, uaddr_t utarget, int dirfd, uaddr_t upath)
{
	char target[PATH_MAX], name[NAME_MAX + 1];
	struct path p;
	int err = copy_path(t, utarget, target);

	if (err < 0)
		return err;
	if (!*target)
		return -ENOENT;
	err = parent_of(t, dirfd, upath, &p, name, -EEXIST);
	if (err < 0)
		return err;
	err = p.d->inode->ops->symlink ? p.d->inode->ops->symlink(p.d->inode, name, target) : -EROFS;
	dentry_invalidate(p.d, name);
	path_put(&p);
	return err;
}

SYSCALL(symlink) { return do_symlinkat(t, a[0], AT_FDCWD, a[1]); }
SYSCALL(symlinkat) { return do_symlinkat(t, a[0], (int)a[1], a[2]); }

static long do_linkat(struct task *t, int olddirfd, uaddr_t oldp, int newdirfd, uaddr_t newp, int flags)
{
	char path[PATH_MAX], name[NAME_MAX + 1];
	struct path old, np;
	int err;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = copy_path(t, oldp, path);
	if (err < 0)
		return err;
	err = task_lookup(t, olddirfd, path,
			  ((flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0) | ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
			  &old);
	if (err < 0)
		return err;
	if (S_ISDIR(old.d->inode->stx.stx_mode)) {
		path_put(&old);
		return -EPERM;
	}
	err = parent_of(t, newdirfd, newp, &np, name, -EEXIST);
	if (err == 0) {
		if (np.mnt != old.mnt)
			err = -EXDEV;
		else
			err = np.d->inode->ops->link ? np.d->inode->ops->link(np.d->inode, name, old.d->inode) : -EROFS;
		dentry_invalidate(np.d, name);
		path_put(&np);
	}
	path_put(&old);
	return err;
}

SYSCALL(link) { return do_linkat(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0); }
SYSCALL(linkat) { return do_linkat(t, (int)a[0], a[1], (int)a[2], a[3], (int)a[4]); }

/* setattr on what a path (or, with upath 0, an fd) names. */
static long setattr_at(struct task *t, int dirfd, uaddr_t upath, int lflags, const struct vfs_attr *va)
{
	char path[PATH_MAX];
	struct inode *ino;
	struct path p;
	bool ro;
	int err;

	if (!upath) {
		struct file *f = fd_get(t, dirfd);
		if (!f)
			return -EBADF;
		ino = f->inode;
		inode_get(ino);
		ro = f->path.mnt && (f->path.mnt->flags & MS_RDONLY);
		file_put(f);
	} else {
		err = copy_path(t, upath, path);
		if (err < 0)
			return err;
		err = task_lookup(t, dirfd, path, lflags, &p);
		if (err < 0)
			return err;
		ino = p.d->inode;
		inode_get(ino);
		ro = p.mnt->flags & MS_RDONLY;
		path_put(&p);
	}
	err = ro ? -EROFS : ino->ops->setattr ? ino->ops->setattr(ino, va) : -EPERM;
	inode_put(ino);
	return err;
}

static long chmod_at(struct task *t, int dirfd, uaddr_t upath, unsigned int mode, int lflags)
{
	struct vfs_attr va = { .mask = VFS_ATTR_MODE, .mode = mode & 07777 };
	return setattr_at(t, dirfd, upath, lflags, &va);
}

SYSCALL(chmod) { return chmod_at(t, AT_FDCWD, a[0], (unsigned)a[1], LOOKUP_FOLLOW); }
SYSCALL(fchmod) { return chmod_at(t, (int)a[0], 0, (unsigned)a[1], 0); }
SYSCALL(fchmodat) { return chmod_at(t, (int)a[0], a[1], (unsigned)a[2], LOOKUP_FOLLOW); }

static long chown_at(struct task *t, int dirfd, uaddr_t upath, uint32_t uid, uint32_t gid, int lflags)
{
	struct vfs_attr va = { 0 };

	if (uid != (uint32_t)-1) {
		va.mask |= VFS_ATTR_UID;
		va.uid = uid;
	}
	if (gid != (uint32_t)-1) {
		va.mask |= VFS_ATTR_GID;
		va.gid = gid;
	}
	return setattr_at(t, dirfd, upath, lflags, &va);
}

SYSCALL(chown) { return chown_at(t, AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2], LOOKUP_FOLLOW); }
SYSCALL(lchown) { return chown_at(t, AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2], 0); }
SYSCALL(fchown) { return chown_at(t, (int)a[0], 0, (uint32_t)a[1], (uint32_t)a[2], 0); }

SYSCALL(fchownat)
{
	int flags = (int)a[4];

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return chown_at(t, (int)a[0], a[1], (uint32_t)a[2], (uint32_t)a[3],
			((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) | ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0));
}

static long truncate_at(struct task *t, int fd, uaddr_t upath, int64_t len)
{
	struct vfs_attr va = { .mask = VFS_ATTR_SIZE, .size = (uint64_t)len };

	if (len < 0)
		return -EINVAL;
	if (!upath) {
		struct file *f = fd_get(t, fd);
		int acc;
		if (!f)
			return -EBADF;
		acc = f->flags & O_ACCMODE;
		if (S_ISDIR(f->inode->stx.stx_mode)) {
			file_put(f);
			return -EINVAL;
		}
		file_put(f);
		if (acc == O_RDONLY)
			return -EINVAL;	/* Linux: EINVAL for an fd not open for writing */
	}
	return setattr_at(t, fd, upath, LOOKUP_FOLLOW, &va);
}

SYSCALL(truncate) { return truncate_at(t, AT_FDCWD, a[0], (int64_t)a[1]); }
SYSCALL(ftruncate) { return truncate_at(t, (int)a[0], 0, (int64_t)a[1]); }

SYSCALL(utimensat)
{
	struct linux_timespec ts[2];
	struct vfs_attr va = { 0 };
	int flags = (int)a[3];
	struct timespec now;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &now);
	if (a[2]) {
		if (copy_in(t->mm, ts, a[2], sizeof(ts)) < 0)
			return -EFAULT;
	} else {
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
	}
	for (int i = 0; i < 2; i++) {
		struct timespec v;

		if (ts[i].tv_nsec == UTIME_OMIT)
			continue;
		if (ts[i].tv_nsec == UTIME_NOW)
			v = now;
		else if (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000)
			return -EINVAL;
		else
			v = (struct timespec){ (time_t)ts[i].tv_sec, (long)ts[i].tv_nsec };
		va.mask |= i == 0 ? VFS_ATTR_ATIME : VFS_ATTR_MTIME;
		if (i == 0)
			va.atime = v;
		else
			va.mtime = v;
	}
	if (!a[1])
		return setattr_at(t, (int)a[0], 0, 0, &va);
	return setattr_at(t, (int)a[0], a[1], ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
					      ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0), &va);
}

static long do_fsync(struct task *t, int fd, bool datasync)
{
	struct file *f = fd_get(t, fd);
	int err;

	if (!f)
		return -EBADF;
	err = f->ops->fsync ? f->ops->fsync(f, datasync) : 0;
	file_put(f);
	return err;
}

SYSCALL(fsync) { return do_fsync(t, (int)a[0], false); }
SYSCALL(fdatasync) { return do_fsync(t, (int)a[0], true); }
