/* The tree sysfs is made of: directories that list their entries in the
 * order they were added, and files whose text is fixed when the tree is
 * built, as the Linux attributes describing the machine's CPUs are. The
 * tree is complete before it is mounted and never changes afterwards. */
#include "kernel/fs/sys/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SYSFS_MAGIC 0x62656572
/* Linux gives every attribute file the size of a page, whatever it holds;
 * stat and SEEK_END show it. */
#define SYS_FILE_SIZE 4096
/* The anonymous device sysfs inodes are on (proc uses 0:4, dev 0:5). */
#define SYS_DEV_MINOR 6

struct sys_entry {
	char *name;
	struct inode *ino;		/* counted */
};

struct sys_dir {
	struct sys_entry *entries;
	size_t count;
	uint64_t parent_ino;		/* what ".." lists; the directory's own at the root */
};

struct sys_file {
	char *text;
	size_t len;
};

static const struct inode_ops sys_dir_inode_ops, sys_file_inode_ops;

static void init_stx(struct inode *ino, unsigned int mode, uint64_t size)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	ino->stx.stx_mask = STATX_BASIC_STATS;
	ino->stx.stx_mode = (uint16_t)mode;
	ino->stx.stx_nlink = S_ISDIR(mode) ? 2 : 1;
	ino->stx.stx_ino = vfs_next_ino();
	ino->stx.stx_size = size;
	ino->stx.stx_blksize = 4096;
	ino->stx.stx_dev_minor = SYS_DEV_MINOR;
	ino->stx.stx_atime.tv_sec = ino->stx.stx_mtime.tv_sec = ino->stx.stx_ctime.tv_sec = now.tv_sec;
	ino->stx.stx_atime.tv_nsec = ino->stx.stx_mtime.tv_nsec = ino->stx.stx_ctime.tv_nsec = (uint32_t)now.tv_nsec;
	ino->cacheable = true;
}

struct inode *sys_dir_new(unsigned int mode)
{
	struct sys_dir *d = calloc(1, sizeof(*d));
	struct inode *ino;

	if (!d)
		return NULL;
	ino = inode_new(&sys_dir_inode_ops, d);
	if (!ino) {
		free(d);
		return NULL;
	}
	init_stx(ino, S_IFDIR | (mode & 07777), 0);
	d->parent_ino = ino->stx.stx_ino;
	return ino;
}

static struct inode *find(struct inode *dir, const char *name, size_t len)
{
	struct sys_dir *d = dir->priv;

	for (size_t i = 0; i < d->count; i++)
		if (strncmp(d->entries[i].name, name, len) == 0 && d->entries[i].name[len] == 0)
			return d->entries[i].ino;
	return NULL;
}

/* Adds ino (reference taken on success) to dir as name[0..len). */
static int add_entry(struct inode *dir, const char *name, size_t len, struct inode *ino)
{
	struct sys_dir *d = dir->priv;
	struct sys_entry *e = realloc(d->entries, (d->count + 1) * sizeof(*e));
	char *copy;

	if (!e)
		return -ENOMEM;
	d->entries = e;
	copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	e[d->count].name = copy;
	e[d->count].ino = ino;
	d->count++;
	if (S_ISDIR(ino->stx.stx_mode)) {
		((struct sys_dir *)ino->priv)->parent_ino = dir->stx.stx_ino;
		dir->stx.stx_nlink++;	/* the subdirectory's ".." */
	}
	return 0;
}

struct inode *sys_mkdirs(struct inode *dir, const char *path)
{
	while (*path) {
		size_t len = strcspn(path, "/");
		struct inode *next = find(dir, path, len);

		if (!next) {
			next = sys_dir_new(0755);
			if (!next)
				return NULL;
			if (add_entry(dir, path, len, next) < 0) {
				inode_put(next);
				return NULL;
			}
		} else if (next->ops != &sys_dir_inode_ops) {
			return NULL;	/* a file in the way: the layout is wrong */
		}
		dir = next;
		path += len;
		path += *path == '/';
	}
	return dir;
}

int sys_add_file(struct inode *dir, const char *path, const char *text)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	struct sys_file *f;
	struct inode *ino;
	int err;

	if (slash) {
		char parent[256];
		size_t plen = (size_t)(slash - path);

		if (plen >= sizeof(parent))
			return -ENAMETOOLONG;
		memcpy(parent, path, plen);
		parent[plen] = 0;
		dir = sys_mkdirs(dir, parent);
		if (!dir)
			return -ENOMEM;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->text = strdup(text);
	f->len = strlen(text);
	ino = f->text ? inode_new(&sys_file_inode_ops, f) : NULL;
	if (!ino) {
		free(f->text);
		free(f);
		return -ENOMEM;
	}
	init_stx(ino, S_IFREG | 0444, SYS_FILE_SIZE);
	err = add_entry(dir, name, strlen(name), ino);
	if (err < 0)
		inode_put(ino);
	return err;
}

static int sys_statfs(struct inode *ino, struct statfs *st)
{
	st->f_type = SYSFS_MAGIC;
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_namelen = NAME_MAX;
	return 0;
}

/* ---- directories ---- */

static int sys_lookup(struct inode *dir, const char *name, struct inode **out)
{
	struct inode *ino = find(dir, name, strlen(name));

	if (!ino)
		return -ENOENT;
	inode_get(ino);
	*out = ino;
	return 0;
}

static unsigned int dirent_type(const struct inode *ino)
{
	return S_ISDIR(ino->stx.stx_mode) ? DT_DIR : DT_REG;
}

static ssize_t sys_getdents(struct file *f, void *buf, size_t len)
{
	struct sys_dir *d = f->inode->priv;
	size_t used = 0;

	for (;;) {
		int64_t i = f->pos;
		size_t n;

		if (i == 0)
			n = vfs_emit_dirent((char *)buf + used, len - used, f->inode->stx.stx_ino, 1, DT_DIR, ".");
		else if (i == 1)
			n = vfs_emit_dirent((char *)buf + used, len - used, d->parent_ino, 2, DT_DIR, "..");
		else if ((uint64_t)(i - 2) < d->count) {
			const struct sys_entry *e = &d->entries[i - 2];
			n = vfs_emit_dirent((char *)buf + used, len - used, e->ino->stx.stx_ino, i + 1,
					    dirent_type(e->ino), e->name);
		} else
			break;
		if (n == 0)
			return used ? (ssize_t)used : -EINVAL;
		used += n;
		f->pos = i + 1;
	}
	return (ssize_t)used;
}

/* Positions are entry indexes: any one may be returned to. */
static int64_t sys_dir_llseek(struct file *f, int64_t off, int whence)
{
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : -1;

	if (base < 0 || off < -base)
		return -EINVAL;
	return base + off;
}

static const struct file_ops sys_dir_file_ops = {
	.getdents = sys_getdents,
	.llseek = sys_dir_llseek,
};

static int sys_dir_open(struct inode *ino, struct file *f)
{
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	f->ops = &sys_dir_file_ops;
	return 0;
}

static void sys_dir_release(struct inode *ino)
{
	struct sys_dir *d = ino->priv;

	for (size_t i = 0; i < d->count; i++) {
		free(d->entries[i].name);
		inode_put(d->entries[i].ino);
	}
	free(d->entries);
	free(d);
}

/* What Linux answers on a sysfs mounted read-write (a read-only mount
 * gets EROFS before these are asked): the VFS's errors for a directory
 * without the operation, EACCES for a new file and EPERM for the rest. */
static int sys_create(struct inode *dir, const char *name, unsigned int mode)
{
	return -EACCES;
}

static int sys_mkdir(struct inode *dir, const char *name, unsigned int mode)
{
	return -EPERM;
}

static int sys_symlink(struct inode *dir, const char *name, const char *target)
{
	return -EPERM;
}

static int sys_link(struct inode *dir, const char *name, struct inode *old)
{
	return -EPERM;
}

static int sys_unlink(struct inode *dir, const char *name, bool is_rmdir)
{
	return -EPERM;
}

static int sys_rename(struct inode *olddir, const char *oldname, struct inode *newdir, const char *newname,
		      unsigned int flags)
{
	return -EPERM;
}

static const struct inode_ops sys_dir_inode_ops = {
	.lookup = sys_lookup,
	.open = sys_dir_open,
	.statfs = sys_statfs,
	.create = sys_create,
	.mkdir = sys_mkdir,
	.symlink = sys_symlink,
	.link = sys_link,
	.unlink = sys_unlink,
	.rename = sys_rename,
	.release = sys_dir_release,
};

/* ---- files ---- */

static ssize_t sys_read(struct file *f, void *buf, size_t len, int64_t *pos)
{
	const struct sys_file *sf = f->inode->priv;
	size_t n;

	if (*pos < 0 || (uint64_t)*pos >= sf->len)
		return 0;
	n = MIN(len, sf->len - (size_t)*pos);
	memcpy(buf, sf->text + *pos, n);
	*pos += (int64_t)n;
	return (ssize_t)n;
}

static const struct file_ops sys_file_ops = {
	.read = sys_read,
	.llseek = vfs_generic_llseek,
};

static int sys_file_open(struct inode *ino, struct file *f)
{
	/* No attribute here has a store method: Linux refuses to open it
	 * for writing with EACCES, even for root (kernfs_fop_open). */
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	f->ops = &sys_file_ops;
	return 0;
}

static void sys_file_release(struct inode *ino)
{
	struct sys_file *sf = ino->priv;

	free(sf->text);
	free(sf);
}

static const struct inode_ops sys_file_inode_ops = {
	.open = sys_file_open,
	.statfs = sys_statfs,
	.release = sys_file_release,
	.generated = true,
};
