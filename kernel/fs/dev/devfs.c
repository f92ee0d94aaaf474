/* The sentry's /dev. Devices are served by the sentry itself, never by
 * host device nodes. */
#include "kernel/fs/dev/devfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <fcntl.h>

enum dev_kind { DEV_DIR, DEV_NULL, DEV_ZERO, DEV_FULL, DEV_RANDOM, DEV_URANDOM, DEV_TTY, DEV_LINK };

struct dev_entry {
	const char *name;
	enum dev_kind kind;
	unsigned major, minor;	/* char devices */
	const char *target;	/* links */
};

static const struct dev_entry dev_entries[] = {
	{ "null", DEV_NULL, 1, 3, NULL },
	{ "zero", DEV_ZERO, 1, 5, NULL },
	{ "full", DEV_FULL, 1, 7, NULL },
	{ "random", DEV_RANDOM, 1, 8, NULL },
	{ "urandom", DEV_URANDOM, 1, 9, NULL },
	{ "tty", DEV_TTY, 5, 0, NULL },
	{ "fd", DEV_LINK, 0, 0, "/proc/self/fd" },
	{ "stdin", DEV_LINK, 0, 0, "/proc/self/fd/0" },
	{ "stdout", DEV_LINK, 0, 0, "/proc/self/fd/1" },
	{ "stderr", DEV_LINK, 0, 0, "/proc/self/fd/2" },
	/* Mount points for the usual mounts of a container spec. */
	{ "shm", DEV_DIR, 0, 0, NULL },
	{ "pts", DEV_DIR, 0, 0, NULL },
	{ "mqueue", DEV_DIR, 0, 0, NULL },
};

static struct inode *dev_inodes[ARRAY_SIZE(dev_entries)];
static uint64_t devfs_root_ino;
static const struct inode_ops dev_inode_ops, devdir_inode_ops;

static void fill_stx(struct inode *ino, unsigned mode, unsigned major, unsigned minor)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	ino->stx.stx_mask = STATX_BASIC_STATS;
	ino->stx.stx_mode = (uint16_t)mode;
	ino->stx.stx_nlink = S_ISDIR(mode) ? 2 : 1;
	ino->stx.stx_ino = vfs_next_ino();
	ino->stx.stx_blksize = 4096;
	ino->stx.stx_dev_major = 0;
	ino->stx.stx_dev_minor = 5;	/* a tmpfs-like anonymous device */
	if (S_ISCHR(mode)) {
		ino->stx.stx_rdev_major = major;
		ino->stx.stx_rdev_minor = minor;
	}
	ino->stx.stx_atime.tv_sec = ino->stx.stx_mtime.tv_sec = ino->stx.stx_ctime.tv_sec = now.tv_sec;
	ino->cacheable = true;
}

static int devdir_lookup(struct inode *dir, const char *name, struct inode **out)
{
	if (dir->priv)
		return -ENOENT;	/* an empty subdirectory */
	for (size_t i = 0; i < ARRAY_SIZE(dev_entries); i++) {
		if (strcmp(dev_entries[i].name, name) == 0) {
			inode_get(dev_inodes[i]);
			*out = dev_inodes[i];
			return 0;
		}
	}
	return -ENOENT;
}

static ssize_t devdir_getdents(struct file *f, void *buf, size_t len)
{
	size_t used = 0;
	bool sub = f->inode->priv != NULL;

	for (;;) {
		int64_t i = f->pos;
		size_t n;

		if (sub && i >= 2)
			break;
		if (i == 0)
			n = vfs_emit_dirent((char *)buf + used, len - used, devfs_root_ino, 1, DT_DIR, ".");
		else if (i == 1)
			n = vfs_emit_dirent((char *)buf + used, len - used, devfs_root_ino, 2, DT_DIR, "..");
		else if ((size_t)(i - 2) < ARRAY_SIZE(dev_entries)) {
			const struct dev_entry *e = &dev_entries[i - 2];
			n = vfs_emit_dirent((char *)buf + used, len - used, dev_inodes[i - 2]->stx.stx_ino, i + 1,
					    e->kind == DEV_LINK ? DT_LNK : e->kind == DEV_DIR ? DT_DIR : DT_CHR, e->name);
		} else
			break;
		if (n == 0)
			return used ? (ssize_t)used : -EINVAL;
		used += n;
		f->pos++;
	}
	return (ssize_t)used;
}

static int64_t devdir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence != SEEK_SET || off < 0)
		return -EINVAL;
	return off;
}

static const struct file_ops devdir_file_ops = {
	.getdents = devdir_getdents,
	.llseek = devdir_llseek,
};

static int devdir_open(struct inode *ino, struct file *f)
{
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	f->ops = &devdir_file_ops;
	return 0;
}

static const struct inode_ops devdir_inode_ops = {
	.lookup = devdir_lookup,
	.open = devdir_open,
};

/* ---- devices ---- */

static ssize_t dev_read(struct file *f, void *buf, size_t len, int64_t *pos)
{
	const struct dev_entry *e = f->inode->priv;

	switch (e->kind) {
	case DEV_NULL:
		return 0;
	case DEV_ZERO:
	case DEV_FULL:
		memset(buf, 0, len);
		return (ssize_t)len;
	default: {
		/* The host's CSPRNG: random and urandom do not block once
		 * the host pool is initialised, as on Linux >= 5.6. */
		ssize_t n = getrandom(buf, len, 0);
		return n < 0 ? -errno : n;
	}
	}
}

static ssize_t dev_write(struct file *f, const void *buf, size_t len, int64_t *pos)
{
	const struct dev_entry *e = f->inode->priv;

	return e->kind == DEV_FULL ? -ENOSPC : (ssize_t)len;
}

static int64_t dev_llseek(struct file *f, int64_t off, int whence)
{
	return 0;	/* Linux's null and zero ignore seeks and report 0 */
}

static struct mapping_obj *dev_mmap(struct file *f)
{
	return NULL;	/* mmap of /dev/zero is handled as anonymous memory by sys_mmap */
}

static const struct file_ops dev_file_ops = {
	.read = dev_read,
	.write = dev_write,
	.llseek = dev_llseek,
	.mmap = dev_mmap,
};

static int dev_open(struct inode *ino, struct file *f)
{
	const struct dev_entry *e = ino->priv;

	/* /dev/tty is the opener's controlling terminal; no sandbox process
	 * has one (there are no ptys yet), and Linux then says ENXIO. */
	if (e->kind == DEV_TTY)
		return -ENXIO;
	f->ops = &dev_file_ops;
	return 0;
}

static int dev_readlink(struct inode *ino, char *buf, size_t size)
{
	const struct dev_entry *e = ino->priv;
	size_t n = MIN(strlen(e->target), size);

	memcpy(buf, e->target, n);
	return (int)n;
}

static const struct inode_ops dev_inode_ops = {
	.open = dev_open,
	.readlink = dev_readlink,
};

struct dentry *devfs_new(void)
{
	struct inode *root = inode_new(&devdir_inode_ops, NULL);
	struct dentry *d;

	if (!root)
		return NULL;
	fill_stx(root, S_IFDIR | 0755, 0, 0);
	devfs_root_ino = root->stx.stx_ino;
	for (size_t i = 0; i < ARRAY_SIZE(dev_entries); i++) {
		const struct dev_entry *e = &dev_entries[i];
		struct inode *ino = inode_new(e->kind == DEV_DIR ? &devdir_inode_ops : &dev_inode_ops, (void *)e);

		if (!ino)
			return NULL;
		fill_stx(ino, e->kind == DEV_LINK ? (S_IFLNK | 0777) : e->kind == DEV_DIR ? (S_IFDIR | 0755) :
			 (S_IFCHR | 0666), e->major, e->minor);
		if (e->kind == DEV_LINK)
			ino->stx.stx_size = strlen(e->target);
		dev_inodes[i] = ino;
	}
	d = dentry_new_root(root);
	if (!d)
		inode_put(root);
	return d;
}

struct inode *devfs_null_inode(void)
{
	inode_get(dev_inodes[0]);	/* "null" is the first entry */
	return dev_inodes[0];
}
