/* statfs, fstatfs and reading extended attributes. Filesystems served by
 * the sentry (proc, dev, host fds) have no attributes: -EOPNOTSUPP, as
 * Linux's procfs answers. Setting attributes is not supported yet. */
#include "kernel/syscalls/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536
#define XATTR_LIST_MAX 65536
#define PROC_SUPER_MAGIC 0x9fa0
#define TMPFS_MAGIC 0x01021994

static int inode_statfs(struct inode *ino, const struct path *p, struct statfs *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	if (ino->ops->statfs) {
		err = ino->ops->statfs(ino, st);
		if (err < 0)
			return err;
	} else {
		/* A memory-backed filesystem: no blocks to report. */
		st->f_type = p && p->mnt && p->mnt->fstype && strcmp(p->mnt->fstype, "proc") == 0 ?
				     PROC_SUPER_MAGIC : TMPFS_MAGIC;
		st->f_bsize = PAGE_SIZE;
		st->f_namelen = NAME_MAX;
		st->f_frsize = PAGE_SIZE;
	}
	if (p && p->mnt && (p->mnt->flags & MS_RDONLY))
		st->f_flags |= ST_RDONLY;
	return 0;
}

SYSCALL(statfs)
{
	char path[PATH_MAX];
	struct statfs st;
	struct path p;
	int err = copy_path(t, a[0], path);

	if (err < 0)
		return err;
	err = task_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
	if (err < 0)
		return err;
	err = inode_statfs(p.d->inode, &p, &st);
	path_put(&p);
	if (err < 0)
		return err;
	return copy_out(t->mm, a[1], &st, sizeof(st));
}

SYSCALL(fstatfs)
{
	struct file *f = fd_get(t, (int)a[0]);
	struct statfs st;
	int err;

	if (!f)
		return -EBADF;
	err = inode_statfs(f->inode, f->path.d ? &f->path : NULL, &st);
	file_put(f);
	if (err < 0)
		return err;
	return copy_out(t->mm, a[1], &st, sizeof(st));
}

/* The inode an xattr call names, by path (following or not) or by fd. */
static int xattr_target(struct task *t, uaddr_t upath, int fd, bool follow, struct inode **out)
{
	char path[PATH_MAX];
	struct path p;
	int err;

	if (!upath) {
		struct file *f = fd_get(t, fd);
		if (!f)
			return -EBADF;
		*out = f->inode;
		inode_get(*out);
		file_put(f);
		return 0;
	}
	err = copy_path(t, upath, path);
	if (err < 0)
		return err;
	err = task_lookup(t, AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0, &p);
	if (err < 0)
		return err;
	*out = p.d->inode;
	inode_get(*out);
	path_put(&p);
	return 0;
}

static long do_getxattr(struct task *t, uaddr_t upath, int fd, bool follow, uaddr_t uname, uaddr_t ubuf,
			size_t size)
{
	char name[XATTR_NAME_MAX + 1];
	struct inode *ino;
	ssize_t n = copy_in_string(t->mm, name, uname, sizeof(name));
	void *buf = NULL;

	if (n == -ENAMETOOLONG || n == 0)
		return -ERANGE;
	if (n < 0)
		return n;
	n = xattr_target(t, upath, fd, follow, &ino);
	if (n < 0)
		return n;
	size = MIN(size, (size_t)XATTR_SIZE_MAX);
	if (!ino->ops->getxattr) {
		n = -EOPNOTSUPP;
	} else if (size && !(buf = malloc(size))) {
		n = -ENOMEM;
	} else {
		n = ino->ops->getxattr(ino, name, buf, size);
		if (n > 0 && size && copy_out(t->mm, ubuf, buf, (size_t)n) < 0)
			n = -EFAULT;
	}
	free(buf);
	inode_put(ino);
	return n;
}

static long do_listxattr(struct task *t, uaddr_t upath, int fd, bool follow, uaddr_t ubuf, size_t size)
{
	struct inode *ino;
	char *buf = NULL;
	ssize_t n = xattr_target(t, upath, fd, follow, &ino);

	if (n < 0)
		return n;
	size = MIN(size, (size_t)XATTR_LIST_MAX);
	if (!ino->ops->listxattr) {
		n = 0;	/* no attributes at all */
	} else if (size && !(buf = malloc(size))) {
		n = -ENOMEM;
	} else {
		n = ino->ops->listxattr(ino, buf, size);
		if (n > 0 && size && copy_out(t->mm, ubuf, buf, (size_t)n) < 0)
			n = -EFAULT;
	}
	free(buf);
	inode_put(ino);
	return n;
}

SYSCALL(getxattr) { return do_getxattr(t, a[0], -1, true, a[1], a[2], a[3]); }
SYSCALL(lgetxattr) { return do_getxattr(t, a[0], -1, false, a[1], a[2], a[3]); }
SYSCALL(fgetxattr) { return do_getxattr(t, 0, (int)a[0], false, a[1], a[2], a[3]); }
SYSCALL(listxattr) { return do_listxattr(t, a[0], -1, true, a[1], a[2]); }
SYSCALL(llistxattr) { return do_listxattr(t, a[0], -1, false, a[1], a[2]); }
SYSCALL(flistxattr) { return do_listxattr(t, 0, (int)a[0], false, a[1], a[2]); }
