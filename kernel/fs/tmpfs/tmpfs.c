/* tmpfs: a filesystem held entirely by the sentry. Directory entries are
 * sentry objects; file data are pages of the memory file (a shmem object
 * per file, so mmap shares them), counted against the mount's size=. */
#include "kernel/fs/tmpfs/tmpfs.h"
#include "kernel/fs/tmpfs/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

const struct inode_ops tmpfs_inode_ops;
static const struct file_ops tmpfs_file_ops, tmpfs_dir_ops;

static void now_ts(struct statx_timestamp *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	t->tv_sec = ts.tv_sec;
	t->tv_nsec = (uint32_t)ts.tv_nsec;
}

static void touch(struct inode *ino, bool mtime)
{
	now_ts(&ino->stx.stx_ctime);
	if (mtime)
		ino->stx.stx_mtime = ino->stx.stx_ctime;
}

struct inode *tmpfs_inode(struct tmpfs_sb *sb, unsigned int mode)
{
	struct tmpfs_node *n = calloc(1, sizeof(*n));
	struct inode *ino;

	if (!n)
		return NULL;
	ino = inode_new(&tmpfs_inode_ops, n);
	if (!ino) {
		free(n);
		return NULL;
	}
	n->sb = sb;
	if (S_ISREG(mode)) {
		n->data = shmem_new(0);
		if (!n->data) {
			inode_put(ino);
			return NULL;
		}
	}
	ino->stx.stx_mask = STATX_BASIC_STATS | STATX_BTIME;
	ino->stx.stx_mode = (uint16_t)mode;
	ino->stx.stx_nlink = S_ISDIR(mode) ? 2 : 1;
	ino->stx.stx_ino = vfs_next_ino();
	ino->stx.stx_blksize = PAGE_SIZE;
	ino->stx.stx_dev_major = 0;
	ino->stx.stx_dev_minor = (uint32_t)sb->dev_minor;
	now_ts(&ino->stx.stx_btime);
	ino->stx.stx_atime = ino->stx.stx_mtime = ino->stx.stx_ctime = ino->stx.stx_btime;
	ino->cacheable = true;
	return ino;
}

static void tmpfs_release(struct inode *ino)
{
	struct tmpfs_node *n = ino->priv;
	struct tmpfs_entry *e = n->entries;

	while (e) {
		struct tmpfs_entry *next = e->next;
		inode_put(e->inode);
		free(e->name);
		free(e);
		e = next;
	}
	if (n->data) {
		__atomic_sub_fetch(&n->sb->used_pages, shmem_used_pages(n->data), __ATOMIC_RELAXED);
		mapping_obj_put(n->data);
	}
	free(n->target);
	free(n);
}

/* sb->lock held. */
static struct tmpfs_entry *find(struct tmpfs_node *dir, const char *name, struct tmpfs_entry ***link)
{
	struct tmpfs_entry **pp;

	for (pp = &dir->entries; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, name) == 0) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

static int tmpfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
	struct tmpfs_node *d = dir->priv;
	struct tmpfs_entry *e;

	pthread_mutex_lock(&d->sb->lock);
	e = find(d, name, NULL);
	if (e) {
		inode_get(e->inode);
		*out = e->inode;
	}
	pthread_mutex_unlock(&d->sb->lock);
	return e ? 0 : -ENOENT;
}

/* Adds ino (reference taken) under name. sb->lock held. */
int tmpfs_add_entry(struct inode *dir, const char *name, struct inode *ino)
{
	struct tmpfs_node *d = dir->priv;
	struct tmpfs_entry *e;

	if (find(d, name, NULL))
		return -EEXIST;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(name))) {
		free(e);
		return -ENOMEM;
	}
	e->inode = ino;
	e->next = d->entries;
	d->entries = e;
	if (S_ISDIR(ino->stx.stx_mode)) {
		dir->stx.stx_nlink++;
		((struct tmpfs_node *)ino->priv)->parent = dir;
	}
	touch(dir, true);
	return 0;
}

static int make_node(struct inode *dir, const char *name, unsigned int mode, const char *target)
{
	struct tmpfs_node *d = dir->priv;
	struct inode *ino = tmpfs_inode(d->sb, mode);
	int err;

	if (!ino)
		return -ENOMEM;
	if (target) {
		((struct tmpfs_node *)ino->priv)->target = strdup(target);
		ino->stx.stx_size = strlen(target);
	}
	pthread_mutex_lock(&d->sb->lock);
	err = tmpfs_add_entry(dir, name, ino);
	pthread_mutex_unlock(&d->sb->lock);
	if (err < 0)
		inode_put(ino);
	return err;
}

static int tmpfs_create(struct inode *dir, const char *name, unsigned int mode)
{
	return make_node(dir, name, S_IFREG | (mode & 07777), NULL);
}

static int tmpfs_mkdir(struct inode *dir, const char *name, unsigned int mode)
{
	return make_node(dir, name, S_IFDIR | (mode & 07777), NULL);
}

static int tmpfs_symlink(struct inode *dir, const char *name, const char *target)
{
	return make_node(dir, name, S_IFLNK | 0777, target);
}

static int tmpfs_link(struct inode *dir, const char *name, struct inode *old)
{
	struct tmpfs_node *d = dir->priv;
	int err;

	if (old->ops != &tmpfs_inode_ops || ((struct tmpfs_node *)old->priv)->sb != d->sb)
		return -EXDEV;
	pthread_mutex_lock(&d->sb->lock);
	inode_get(old);
	err = tmpfs_add_entry(dir, name, old);
	if (err < 0) {
		inode_put(old);
	} else {
		old->stx.stx_nlink++;
		touch(old, false);
	}
	pthread_mutex_unlock(&d->sb->lock);
	return err;
}

static int tmpfs_unlink(struct inode *dir, const char *name, bool is_rmdir)
{
	struct tmpfs_node *d = dir->priv;
	struct tmpfs_entry **link, *e;
	struct inode *ino;

	pthread_mutex_lock(&d->sb->lock);
	e = find(d, name, &link);
	if (!e) {
		pthread_mutex_unlock(&d->sb->lock);
		return -ENOENT;
	}
	ino = e->inode;
	if (is_rmdir && !S_ISDIR(ino->stx.stx_mode)) {
		pthread_mutex_unlock(&d->sb->lock);
		return -ENOTDIR;
	}
	if (!is_rmdir && S_ISDIR(ino->stx.stx_mode)) {
		pthread_mutex_unlock(&d->sb->lock);
		return -EISDIR;
	}
	if (is_rmdir && ((struct tmpfs_node *)ino->priv)->entries) {
		pthread_mutex_unlock(&d->sb->lock);
		return -ENOTEMPTY;
	}
	*link = e->next;
	if (S_ISDIR(ino->stx.stx_mode)) {
		dir->stx.stx_nlink--;
		ino->stx.stx_nlink = 0;
	} else {
		ino->stx.stx_nlink--;
	}
	touch(dir, true);
	touch(ino, false);
	pthread_mutex_unlock(&d->sb->lock);
	/* An open file keeps the inode (and its data) until it is closed. */
	inode_put(ino);
	free(e->name);
	free(e);
	return 0;
}

static bool is_ancestor(struct inode *a, struct inode *b)
{
	for (struct inode *p = b; p; p = ((struct tmpfs_node *)p->priv)->parent)
		if (p == a)
			return true;
	return false;
}

static int tmpfs_rename(struct inode *olddir, const char *oldname, struct inode *newdir, const char *newname,
			unsigned int flags)
{
	struct tmpfs_node *od = olddir->priv, *nd = newdir->priv;
	struct tmpfs_entry **ol, **nl, *oe, *ne;
	struct inode *victim = NULL;
	int err = 0;

	if (newdir->ops != &tmpfs_inode_ops || nd->sb != od->sb)
		return -EXDEV;
	pthread_mutex_lock(&od->sb->lock);
	oe = find(od, oldname, &ol);
	ne = find(nd, newname, &nl);
	if (!oe) {
		err = -ENOENT;
		goto out;
	}
	if (oe == ne || (ne && oe->inode == ne->inode))
		goto out;	/* same file: nothing to do, as POSIX says */
	if (S_ISDIR(oe->inode->stx.stx_mode) && is_ancestor(oe->inode, newdir)) {
		err = -EINVAL;
		goto out;
	}
	if (flags & RENAME_EXCHANGE) {
		struct inode *tmp;
		if (!ne) {
			err = -ENOENT;
			goto out;
		}
		tmp = oe->inode;
		oe->inode = ne->inode;
		ne->inode = tmp;
		if (S_ISDIR(oe->inode->stx.stx_mode))
			((struct tmpfs_node *)oe->inode->priv)->parent = olddir;
		if (S_ISDIR(ne->inode->stx.stx_mode))
			((struct tmpfs_node *)ne->inode->priv)->parent = newdir;
		goto done;
	}
	if (ne) {
		bool odir = S_ISDIR(oe->inode->stx.stx_mode), ndir = S_ISDIR(ne->inode->stx.stx_mode);
		if (flags & RENAME_NOREPLACE) {
			err = -EEXIST;
			goto out;
		}
		if (odir && !ndir) {
			err = -ENOTDIR;
			goto out;
		}
		if (!odir && ndir) {
			err = -EISDIR;
			goto out;
		}
		if (ndir && ((struct tmpfs_node *)ne->inode->priv)->entries) {
			err = -ENOTEMPTY;
			goto out;
		}
		victim = ne->inode;
		if (ndir) {
			newdir->stx.stx_nlink--;
			victim->stx.stx_nlink = 0;
		} else {
			victim->stx.stx_nlink--;
		}
		ne->inode = oe->inode;
	} else {
		ne = calloc(1, sizeof(*ne));
		if (!ne || !(ne->name = strdup(newname))) {
			free(ne);
			err = -ENOMEM;
			goto out;
		}
		ne->inode = oe->inode;
		ne->next = nd->entries;
		nd->entries = ne;
		if (S_ISDIR(ne->inode->stx.stx_mode))
			newdir->stx.stx_nlink++;
		find(od, oldname, &ol);	/* the list may have a new head */
	}
	*ol = oe->next;
	if (S_ISDIR(oe->inode->stx.stx_mode)) {
		olddir->stx.stx_nlink--;
		((struct tmpfs_node *)oe->inode->priv)->parent = newdir;
	}
	free(oe->name);
	free(oe);
done:
	touch(olddir, true);
	touch(newdir, true);
out:
	pthread_mutex_unlock(&od->sb->lock);
	if (victim)
		inode_put(victim);
	return err;
}

static int tmpfs_setattr(struct inode *ino, const struct vfs_attr *a)
{
	struct tmpfs_node *n = ino->priv;

	if ((a->mask & VFS_ATTR_SIZE) && !n->data)
		return S_ISDIR(ino->stx.stx_mode) ? -EISDIR : -EINVAL;
	if ((a->mask & VFS_ATTR_MODE) && S_ISLNK(ino->stx.stx_mode))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&n->sb->lock);
	if (a->mask & VFS_ATTR_SIZE) {
		if (n->sb->max_pages && (a->size >> PAGE_SHIFT) > n->sb->max_pages) {
			pthread_mutex_unlock(&n->sb->lock);
			return -EFBIG;
		}
		uint64_t before = shmem_used_pages(n->data);
		shmem_resize(n->data, a->size);
		__atomic_sub_fetch(&n->sb->used_pages, before - shmem_used_pages(n->data), __ATOMIC_RELAXED);
		ino->stx.stx_size = a->size;
		ino->stx.stx_blocks = shmem_used_pages(n->data) * (PAGE_SIZE / 512);
		touch(ino, true);
	}
	inode_attr_apply(ino, a);
	pthread_mutex_unlock(&n->sb->lock);
	return 0;
}

static int tmpfs_readlink(struct inode *ino, char *buf, size_t size)
{
	struct tmpfs_node *n = ino->priv;
	size_t len;

	if (!n->target)
		return -EINVAL;
	len = MIN(strlen(n->target), size);
	memcpy(buf, n->target, len);
	return (int)len;
}

static int tmpfs_open(struct inode *ino, struct file *f)
{
	if (S_ISDIR(ino->stx.stx_mode)) {
		if ((f->flags & O_ACCMODE) != O_RDONLY)
			return -EISDIR;
		f->ops = &tmpfs_dir_ops;
		return 0;
	}
	if ((f->flags & O_DIRECTORY))
		return -ENOTDIR;
	f->ops = &tmpfs_file_ops;
	return 0;
}

/* Checkpoint: an unlinked file's data are its shared-memory object. */
static int tmpfs_orphan(struct inode *ino, struct file *f, struct statx *stx, struct mapping_obj **data)
{
	struct tmpfs_node *n = ino->priv;

	*data = NULL;
	pthread_mutex_lock(&n->sb->lock);
	if (n->data && ino->stx.stx_nlink == 0) {
		*stx = ino->stx;
		mapping_obj_get(n->data);
		*data = n->data;
	}
	pthread_mutex_unlock(&n->sb->lock);
	return 0;
}

struct inode *tmpfs_orphan_new(struct tmpfs_sb *sb, unsigned int mode, struct mapping_obj *data, uint64_t size)
{
	struct inode *ino = tmpfs_inode(sb, S_IFREG | (mode & 07777));
	struct tmpfs_node *n;
	uint64_t used = shmem_used_pages(data);

	if (!ino)
		return NULL;
	n = ino->priv;
	mapping_obj_put(n->data);
	mapping_obj_get(data);
	n->data = data;
	ino->stx.stx_nlink = 0;
	ino->stx.stx_size = size;
	ino->stx.stx_blocks = used * (PAGE_SIZE / 512);
	__atomic_add_fetch(&sb->used_pages, used, __ATOMIC_RELAXED);
	return ino;
}

struct tmpfs_sb *tmpfs_anon_sb(void)
{
	static struct tmpfs_sb *anon;
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	struct dentry *root;

	pthread_mutex_lock(&once);
	if (!anon && (root = tmpfs_new(0, 0700)) != NULL) {
		anon = ((struct tmpfs_node *)root->inode->priv)->sb;
		/* The root dentry is kept: the sb lives as long as the sandbox. */
	}
	pthread_mutex_unlock(&once);
	return anon;
}

static int tmpfs_statfs(struct inode *ino, struct statfs *st)
{
	struct tmpfs_node *n = ino->priv;

	st->f_type = 0x01021994;	/* TMPFS_MAGIC */
	st->f_bsize = PAGE_SIZE;
	st->f_frsize = PAGE_SIZE;
	st->f_namelen = NAME_MAX;
	st->f_blocks = n->sb->max_pages;
	st->f_bfree = st->f_bavail = n->sb->max_pages ?
		n->sb->max_pages - MIN(n->sb->max_pages, __atomic_load_n(&n->sb->used_pages, __ATOMIC_RELAXED)) : 0;
	return 0;
}

const struct inode_ops tmpfs_inode_ops = {
	.lookup = tmpfs_lookup,
	.readlink = tmpfs_readlink,
	.open = tmpfs_open,
	.statfs = tmpfs_statfs,
	.create = tmpfs_create,
	.mkdir = tmpfs_mkdir,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rename = tmpfs_rename,
	.setattr = tmpfs_setattr,
	.orphan = tmpfs_orphan,
	.release = tmpfs_release,
};

/* ---- files ---- */

static ssize_t tmpfs_read(struct file *f, void *buf, size_t len, int64_t *pos)
{
	struct tmpfs_node *n = f->inode->priv;
	uint64_t size = f->inode->stx.stx_size;
	ssize_t r;

	if (*pos < 0 || (uint64_t)*pos >= size)
		return 0;
	r = shmem_rw(n->data, buf, MIN(len, size - (uint64_t)*pos), (uint64_t)*pos, false);
	if (r > 0)
		*pos += r;
	return r;
}

static ssize_t tmpfs_write(struct file *f, const void *buf, size_t len, int64_t *pos)
{
	struct inode *ino = f->inode;
	struct tmpfs_node *n = ino->priv;
	uint64_t end, before;
	ssize_t r;

	pthread_mutex_lock(&n->sb->lock);
	if (f->flags & O_APPEND)
		*pos = (int64_t)ino->stx.stx_size;
	end = (uint64_t)*pos + len;
	if (end < (uint64_t)*pos) {
		pthread_mutex_unlock(&n->sb->lock);
		return -EFBIG;
	}
	if (n->sb->max_pages) {
		/* At most every page the write touches is new. */
		uint64_t touched = (PAGE_ALIGN_UP(end) - PAGE_ALIGN_DOWN(*pos)) >> PAGE_SHIFT;
		if (__atomic_load_n(&n->sb->used_pages, __ATOMIC_RELAXED) + touched > n->sb->max_pages) {
			pthread_mutex_unlock(&n->sb->lock);
			return -ENOSPC;
		}
	}
	before = shmem_used_pages(n->data);
	if (end > ino->stx.stx_size) {
		shmem_resize(n->data, end);
		ino->stx.stx_size = end;
	}
	pthread_mutex_unlock(&n->sb->lock);
	r = shmem_rw(n->data, (void *)buf, len, (uint64_t)*pos, true);
	__atomic_add_fetch(&n->sb->used_pages, shmem_used_pages(n->data) - before, __ATOMIC_RELAXED);
	if (r > 0) {
		*pos += r;
		pthread_mutex_lock(&n->sb->lock);
		ino->stx.stx_blocks = shmem_used_pages(n->data) * (PAGE_SIZE / 512);
		touch(ino, true);
		pthread_mutex_unlock(&n->sb->lock);
	}
	return r;
}

static struct mapping_obj *tmpfs_mmap(struct file *f)
{
	struct tmpfs_node *n = f->inode->priv;

	mapping_obj_get(n->data);
	return n->data;
}

static const struct file_ops tmpfs_file_ops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.llseek = vfs_generic_llseek,
	.mmap = tmpfs_mmap,
};

static ssize_t tmpfs_getdents(struct file *f, void *buf, size_t len)
{
	struct tmpfs_node *d = f->inode->priv;
	size_t used = 0;
	int64_t i = 0;

	pthread_mutex_lock(&d->sb->lock);
	for (struct tmpfs_entry *e = NULL;; i++) {
		const char *name;
		uint64_t ino;
		unsigned type;
		size_t w;

		if (i == 0) {
			name = ".", ino = f->inode->stx.stx_ino, type = DT_DIR;
		} else if (i == 1) {
			name = "..", ino = d->parent ? d->parent->stx.stx_ino : f->inode->stx.stx_ino, type = DT_DIR;
		} else {
			e = i == 2 ? d->entries : e ? e->next : NULL;
			if (!e)
				break;
			name = e->name;
			ino = e->inode->stx.stx_ino;
			type = IFTODT(e->inode->stx.stx_mode);
		}
		if (i < f->pos)
			continue;
		w = vfs_emit_dirent((char *)buf + used, len - used, ino, i + 1, type, name);
		if (w == 0)
			break;
		used += w;
		f->pos = i + 1;
	}
	pthread_mutex_unlock(&d->sb->lock);
	if (used == 0 && len < 24)
		return -EINVAL;
	return (ssize_t)used;
}

static int64_t tmpfs_dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	return off < 0 ? -EINVAL : off;
}

static const struct file_ops tmpfs_dir_ops = {
	.getdents = tmpfs_getdents,
	.llseek = tmpfs_dir_llseek,
};

struct dentry *tmpfs_new(uint64_t size_bytes, unsigned int mode)
{
	static uint64_t next_minor = 40;
	struct tmpfs_sb *sb = calloc(1, sizeof(*sb));
	struct inode *root;
	struct dentry *d;

	if (!sb)
		return NULL;
	pthread_mutex_init(&sb->lock, NULL);
	sb->max_pages = PAGE_ALIGN_UP(size_bytes) >> PAGE_SHIFT;
	sb->dev_minor = __atomic_fetch_add(&next_minor, 1, __ATOMIC_RELAXED);
	root = tmpfs_inode(sb, S_IFDIR | (mode & 07777));
	if (!root)
		return NULL;	/* sb is small and kept: mounts live as long as the sandbox */
	d = dentry_new_root(root);
	if (!d)
		inode_put(root);
	return d;
}

int tmpfs_parse_options(const char *const *opts, size_t n, uint64_t *size, unsigned int *mode)
{
	for (size_t i = 0; i < n; i++) {
		const char *o = opts[i];
		char *end;

		if (strncmp(o, "size=", 5) == 0) {
			unsigned long long v = strtoull(o + 5, &end, 10);
			switch (*end) {
			case 'k': case 'K': v <<= 10; end++; break;
			case 'm': case 'M': v <<= 20; end++; break;
			case 'g': case 'G': v <<= 30; end++; break;
			case '%': return -EINVAL;	/* a share of RAM: not supported */
			default: break;
			}
			if (*end || end == o + 5)
				return -EINVAL;
			*size = v;
		} else if (strncmp(o, "mode=", 5) == 0) {
			unsigned long v = strtoul(o + 5, &end, 8);
			if (*end || end == o + 5 || v > 07777)
				return -EINVAL;
			*mode = (unsigned int)v;
		}
	}
	return 0;
}
