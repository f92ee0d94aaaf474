/* Files served by the gofer. Metadata comes from gofer_stat and is cached
 * in the dcache; data is read from fds the gofer donates; mapped pages are
 * cached per inode in the memory file and shared by every mapping. */
#include "kernel/fs/gofer/gofer_fs.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct gofer_node {
	struct gofer_client *client;	/* borrowed */
	bool readonly;
	char *path;			/* relative to the served root; "" is the root */
	pthread_mutex_t cache_lock;	/* protects below */
	int cache_fd;			/* read-only fd shared by every read-only open and
					 * the page cache, or -1 until first needed */
	int users;			/* open files using cache_fd */
	bool mapped;			/* mmapped once: keep cache_fd for faults */
	struct gofer_node *idle_prev, *idle_next;	/* on the idle list; under idle_lock */
	bool idle;			/* under idle_lock */
	struct gofer_node *all_prev, *all_next;	/* every node; under nodes_lock */
	struct pgtable cache;		/* page index << PAGE_SHIFT -> memory-file page */
};

struct gofer_file {
	int fd;				/* donated host fd, owned; -1: the node's cache_fd */
};

/* Nodes whose cache_fd no open file uses, most recently used last. The
 * fds stay open so that opening the same file again costs no gofer round
 * trip, up to IDLE_FDS_MAX; beyond that the oldest is closed. */
#define IDLE_FDS_MAX 256
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gofer_node *idle_head, *idle_tail;
static int idle_count;

/* idle_lock held. */
static void idle_unlink(struct gofer_node *n)
{
	if (!n->idle)
		return;
	if (n->idle_prev)
		n->idle_prev->idle_next = n->idle_next;
	else
		idle_head = n->idle_next;
	if (n->idle_next)
		n->idle_next->idle_prev = n->idle_prev;
	else
		idle_tail = n->idle_prev;
	n->idle_prev = n->idle_next = NULL;
	n->idle = false;
	idle_count--;
}

/* Called with n->cache_lock held and n->users just dropped to 0. */
static void idle_add(struct gofer_node *n)
{
	struct gofer_node *victim = NULL;

	pthread_mutex_lock(&idle_lock);
	n->idle_prev = idle_tail;
	n->idle_next = NULL;
	if (idle_tail)
		idle_tail->idle_next = n;
	else
		idle_head = n;
	idle_tail = n;
	n->idle = true;
	if (++idle_count > IDLE_FDS_MAX && idle_head != n) {
		victim = idle_head;
		idle_unlink(victim);
	}
	pthread_mutex_unlock(&idle_lock);
	if (victim) {
		/* Lock order is cache_lock then idle_lock, so the victim's fd
		 * is closed only if it is still unused when we get to it. */
		if (pthread_mutex_trylock(&victim->cache_lock) == 0) {
			if (victim->users == 0 && !victim->mapped && victim->cache_fd >= 0) {
				close(victim->cache_fd);
				victim->cache_fd = -1;
			}
			pthread_mutex_unlock(&victim->cache_lock);
		}
	}
}

/* The node's shared read-only fd, opened through the gofer on first use.
 * Regular files are only ever read with pread at the sentry's own offset,
 * so every read-only open can share it: opening then costs no round trip
 * to the gofer. cache_lock held. */
static int node_fd_locked(struct gofer_node *n)
{
	if (n->cache_fd < 0) {
		int fd = gofer_open(n->client, n->path, O_RDONLY, 0, NULL);
		if (fd < 0)
			return fd;
		n->cache_fd = fd;
	}
	return n->cache_fd;
}

static int file_fd(struct file *f)
{
	struct gofer_file *gf = f->priv;
	struct gofer_node *n = f->inode->priv;

	return gf->fd >= 0 ? gf->fd : n->cache_fd;
}

/* Every node, for gofer_fs_drop_caches. */
static pthread_mutex_t nodes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gofer_node *all_nodes;

static const struct inode_ops gofer_inode_ops;
static const struct file_ops gofer_file_ops;
static const struct file_ops gofer_dir_ops;
static const struct mapping_ops gofer_mapping_ops;

static struct inode *gofer_inode_new(struct gofer_client *c, bool ro, const char *path,
				     const struct statx *stx)
{
	struct gofer_node *n = calloc(1, sizeof(*n));
	struct inode *ino;

	if (!n)
		return NULL;
	n->path = strdup(path);
	ino = n->path ? inode_new(&gofer_inode_ops, n) : NULL;
	if (!ino) {
		free(n->path);
		free(n);
		return NULL;
	}
	n->client = c;
	n->readonly = ro;
	n->cache_fd = -1;
	pthread_mutex_init(&n->cache_lock, NULL);
	pgtable_init(&n->cache);
	ino->stx = *stx;
	ino->cacheable = true;
	ino->mapping.ops = &gofer_mapping_ops;
	ino->mapping.dev = linux_encode_dev(stx->stx_dev_major, stx->stx_dev_minor);
	ino->mapping.ino = stx->stx_ino;
	if (asprintf(&ino->mapping.name, "/%s", path) < 0)
		ino->mapping.name = NULL;
	pthread_mutex_lock(&nodes_lock);
	n->all_next = all_nodes;
	if (all_nodes)
		all_nodes->all_prev = n;
	all_nodes = n;
	pthread_mutex_unlock(&nodes_lock);
	return ino;
}

int gofer_fs_mount(struct gofer_client *client, bool readonly, struct dentry **root)
{
	struct statx stx;
	struct inode *ino;
	int err = gofer_stat(client, "", &stx);

	if (err < 0)
		return err;
	ino = gofer_inode_new(client, readonly, "", &stx);
	if (!ino)
		return -ENOMEM;
	*root = dentry_new_root(ino);
	if (!*root) {
		inode_put(ino);
		return -ENOMEM;
	}
	return 0;
}

static int gofer_lookup(struct inode *dir, const char *name, struct inode **out)
{
	struct gofer_node *dn = dir->priv;
	char path[PATH_MAX];
	struct statx stx;
	int err;

	if (snprintf(path, sizeof(path), "%s%s%s", dn->path, *dn->path ? "/" : "", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = gofer_stat(dn->client, path, &stx);
	if (err < 0)
		return err;
	*out = gofer_inode_new(dn->client, dn->readonly, path, &stx);
	return *out ? 0 : -ENOMEM;
}

static int gofer_readlink_op(struct inode *ino, char *buf, size_t size)
{
	struct gofer_node *n = ino->priv;
	return gofer_readlink(n->client, n->path, buf, size);
}

static int gofer_open_op(struct inode *ino, struct file *f)
{
	struct gofer_node *n = ino->priv;
	struct gofer_file *gf;
	int acc = f->flags & O_ACCMODE, fd;
	bool dir = S_ISDIR(ino->stx.stx_mode);

	if (n->readonly && acc != O_RDONLY)
		return -EROFS;
	if (dir && acc != O_RDONLY)
		return -EISDIR;
	if ((f->flags & O_DIRECTORY) && !dir)
		return -ENOTDIR;
	gf = calloc(1, sizeof(*gf));
	if (!gf)
		return -ENOMEM;
	if (!dir && acc == O_RDONLY) {
		pthread_mutex_lock(&n->cache_lock);
		fd = node_fd_locked(n);
		if (fd >= 0 && n->users++ == 0) {
			pthread_mutex_lock(&idle_lock);
			idle_unlink(n);
			pthread_mutex_unlock(&idle_lock);
		}
		pthread_mutex_unlock(&n->cache_lock);
		if (fd < 0) {
			free(gf);
			return fd;
		}
		gf->fd = -1;
		f->priv = gf;
		f->ops = &gofer_file_ops;
		return 0;
	}
	fd = gofer_open(n->client, n->path, (dir ? O_DIRECTORY : 0) | (acc == O_RDONLY ? O_RDONLY : acc), 0, NULL);
	if (fd < 0) {
		free(gf);
		return fd;
	}
	gf->fd = fd;
	f->priv = gf;
	f->ops = dir ? &gofer_dir_ops : &gofer_file_ops;
	return 0;
}

static void drop_cache_page(uaddr_t addr, uint64_t pte, void *arg)
{
	memfile_unref(sentry_memfile, PTE_OFF(pte), 1);
}

static void gofer_inode_release(struct inode *ino)
{
	struct gofer_node *n = ino->priv;

	pthread_mutex_lock(&nodes_lock);
	if (n->all_prev)
		n->all_prev->all_next = n->all_next;
	else
		all_nodes = n->all_next;
	if (n->all_next)
		n->all_next->all_prev = n->all_prev;
	pthread_mutex_unlock(&nodes_lock);

	pthread_mutex_lock(&idle_lock);
	idle_unlink(n);
	pthread_mutex_unlock(&idle_lock);
	pgtable_destroy(&n->cache, drop_cache_page, NULL);
	if (n->cache_fd >= 0)
		close(n->cache_fd);
	pthread_mutex_destroy(&n->cache_lock);
	free(n->path);
	free(n);
}

static int gofer_statfs_op(struct inode *ino, struct statfs *st)
{
	struct gofer_node *n = ino->priv;
	return gofer_statfs(n->client, n->path, st);
}

static ssize_t gofer_getxattr_op(struct inode *ino, const char *name, void *buf, size_t size)
{
	struct gofer_node *n = ino->priv;
	return gofer_getxattr(n->client, n->path, name, buf, size);
}

static ssize_t gofer_listxattr_op(struct inode *ino, char *buf, size_t size)
{
	struct gofer_node *n = ino->priv;
	return gofer_listxattr(n->client, n->path, buf, size);
}

static int child_path(struct gofer_node *dn, const char *name, char *buf)
{
	if (snprintf(buf, PATH_MAX, "%s%s%s", dn->path, *dn->path ? "/" : "", name) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int gofer_create_op(struct inode *dir, const char *name, unsigned int mode)
{
	struct gofer_node *dn = dir->priv;
	char path[PATH_MAX];
	int fd, err = child_path(dn, name, path);

	if (err < 0)
		return err;
	if (dn->readonly)
		return -EROFS;
	fd = gofer_open(dn->client, path, O_CREAT | O_EXCL | O_WRONLY, (int)(mode & 07777), NULL);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int gofer_mkdir_op(struct inode *dir, const char *name, unsigned int mode)
{
	struct gofer_node *dn = dir->priv;
	char path[PATH_MAX];
	int err = child_path(dn, name, path);

	if (err < 0)
		return err;
	return dn->readonly ? -EROFS : gofer_mkdir(dn->client, path, mode & 07777, NULL);
}

static int gofer_symlink_op(struct inode *dir, const char *name, const char *target)
{
	struct gofer_node *dn = dir->priv;
	char path[PATH_MAX];
	int err = child_path(dn, name, path);

	if (err < 0)
		return err;
	return dn->readonly ? -EROFS : gofer_symlink(dn->client, target, path, NULL);
}

static int gofer_link_op(struct inode *dir, const char *name, struct inode *old)
{
	struct gofer_node *dn = dir->priv, *on = old->priv;
	char path[PATH_MAX];
	int err = child_path(dn, name, path);

	if (err < 0)
		return err;
	if (old->ops != dir->ops || on->client != dn->client)
		return -EXDEV;
	return dn->readonly ? -EROFS : gofer_link(dn->client, on->path, path, NULL);
}

static int gofer_unlink_op(struct inode *dir, const char *name, bool is_rmdir)
{
	struct gofer_node *dn = dir->priv;
	char path[PATH_MAX];
	int err = child_path(dn, name, path);

	if (err < 0)
		return err;
	return dn->readonly ? -EROFS : gofer_unlink(dn->client, path, is_rmdir ? AT_REMOVEDIR : 0);
}

static int gofer_rename_op(struct inode *olddir, const char *oldname, struct inode *newdir, const char *newname,
			   unsigned int flags)
{
	struct gofer_node *od = olddir->priv, *nd = newdir->priv;
	char op[PATH_MAX], np[PATH_MAX];
	int err;

	if (newdir->ops != olddir->ops || od->client != nd->client)
		return -EXDEV;
	err = child_path(od, oldname, op);
	if (err == 0)
		err = child_path(nd, newname, np);
	if (err < 0)
		return err;
	return od->readonly ? -EROFS : gofer_rename(od->client, op, np, flags);
}

/* Truncation drops cached pages past the new end and zeroes the tail of
 * the last one, so faults see what the file now holds. */
static int drop_past(uaddr_t addr, uint64_t *pte, void *arg)
{
	memfile_unref(sentry_memfile, PTE_OFF(*pte), 1);
	*pte = 0;
	return 0;
}

static void cache_truncate(struct gofer_node *n, uint64_t size)
{
	uint64_t pte;

	pthread_mutex_lock(&n->cache_lock);
	pgtable_walk(&n->cache, PAGE_ALIGN_UP(size), 1ULL << PGTABLE_VA_BITS, drop_past, NULL);
	pte = (size & ~PAGE_MASK) ? pgtable_get(&n->cache, size & PAGE_MASK) : 0;
	if (pte)
		memset((uint8_t *)memfile_ptr(sentry_memfile, PTE_OFF(pte)) + (size & ~PAGE_MASK), 0,
		       PAGE_SIZE - (size & ~PAGE_MASK));
	pthread_mutex_unlock(&n->cache_lock);
}

static int gofer_setattr_op(struct inode *ino, const struct vfs_attr *a)
{
	struct gofer_node *n = ino->priv;
	struct gofer_setattr ga = { 0 };
	struct statx stx;
	int err;

	if (n->readonly)
		return -EROFS;
	ga.mask = ((a->mask & VFS_ATTR_MODE) ? GOFER_SETATTR_MODE : 0) | ((a->mask & VFS_ATTR_UID) ? GOFER_SETATTR_UID : 0) |
		  ((a->mask & VFS_ATTR_GID) ? GOFER_SETATTR_GID : 0) | ((a->mask & VFS_ATTR_SIZE) ? GOFER_SETATTR_SIZE : 0) |
		  ((a->mask & VFS_ATTR_ATIME) ? GOFER_SETATTR_ATIME : 0) |
		  ((a->mask & VFS_ATTR_MTIME) ? GOFER_SETATTR_MTIME : 0);
	ga.mode = a->mode & 07777;
	ga.uid = (a->mask & VFS_ATTR_UID) ? a->uid : (uid_t)-1;
	ga.gid = (a->mask & VFS_ATTR_GID) ? a->gid : (gid_t)-1;
	ga.size = (off_t)a->size;
	ga.atime = a->atime;
	ga.mtime = a->mtime;
	err = gofer_setattr(n->client, n->path, &ga, &stx);
	if (err < 0)
		return err;
	if (a->mask & VFS_ATTR_SIZE)
		cache_truncate(n, a->size);
	pthread_mutex_lock(&ino->lock);
	ino->stx = stx;
	pthread_mutex_unlock(&ino->lock);
	return 0;
}

static bool same_file(int fd, const struct statx *stx)
{
	struct statx other;

	return statx(fd, "", AT_EMPTY_PATH, STATX_INO, &other) == 0 && other.stx_ino == stx->stx_ino &&
	       other.stx_dev_major == stx->stx_dev_major && other.stx_dev_minor == stx->stx_dev_minor;
}

/* Checkpoint: the host says whether the file still has a name. One that
 * has none is read whole into its page cache by the saver (get_pages),
 * through cache_fd, which is made from the open file's own fd if need
 * be: never opened by the name the file no longer has. A file open only
 * for writing, with no readable fd of it in the sandbox, cannot be read:
 * -EBADF. */
static int gofer_orphan(struct inode *ino, struct file *f, struct statx *stx, struct mapping_obj **data)
{
	struct gofer_node *n = ino->priv;
	int fd, err = 0;

	*data = NULL;
	if (!S_ISREG(ino->stx.stx_mode))
		return 0;
	pthread_mutex_lock(&n->cache_lock);
	fd = f ? file_fd(f) : n->cache_fd;
	if (fd < 0)
		goto out;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, stx) < 0) {
		err = -errno;
		goto out;
	}
	if (stx->stx_nlink > 0)
		goto out;
	if (n->cache_fd < 0) {
		if ((f->flags & O_ACCMODE) == O_WRONLY) {
			err = -EBADF;
			goto out;
		}
		n->cache_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (n->cache_fd < 0) {
			err = -errno;
			goto out;
		}
		/* Kept like a mapped file's: the idle list would close it,
		 * and nothing could open it again. */
		n->mapped = true;
	} else if (n->cache_fd != fd && !same_file(n->cache_fd, stx)) {
		err = -ESTALE;
		goto out;
	}
	mapping_obj_get(&ino->mapping);
	*data = &ino->mapping;
out:
	pthread_mutex_unlock(&n->cache_lock);
	if (*data) {
		/* get_pages reads up to the size it knows. */
		pthread_mutex_lock(&ino->lock);
		ino->stx = *stx;
		pthread_mutex_unlock(&ino->lock);
	}
	return err;
}

static const struct inode_ops gofer_inode_ops = {
	.create = gofer_create_op,
	.mkdir = gofer_mkdir_op,
	.symlink = gofer_symlink_op,
	.link = gofer_link_op,
	.unlink = gofer_unlink_op,
	.rename = gofer_rename_op,
	.setattr = gofer_setattr_op,
	.statfs = gofer_statfs_op,
	.getxattr = gofer_getxattr_op,
	.listxattr = gofer_listxattr_op,
	.lookup = gofer_lookup,
	.readlink = gofer_readlink_op,
	.open = gofer_open_op,
	.orphan = gofer_orphan,
	.release = gofer_inode_release,
};

/* ---- open files ---- */

static ssize_t gofer_read(struct file *f, void *buf, size_t len, int64_t *pos)
{
	int fd = file_fd(f);
	ssize_t n;

	do
		n = pread(fd, buf, len, *pos);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*pos += n;
	return n;
}

/* Refreshes the cached attributes from a host fd (after a write). */
static void refresh_stx(struct inode *ino, int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &stx) == 0) {
		pthread_mutex_lock(&ino->lock);
		ino->stx = stx;
		pthread_mutex_unlock(&ino->lock);
	}
}

/* Keeps cached pages (what MAP_SHARED mappings and later faults see) in
 * step with data written through a file. */
static void cache_write(struct gofer_node *n, const void *buf, size_t len, int64_t pos)
{
	size_t done = 0;

	pthread_mutex_lock(&n->cache_lock);
	while (done < len) {
		uint64_t off = (uint64_t)pos + done, pte = pgtable_get(&n->cache, off & PAGE_MASK);
		size_t chunk = MIN(len - done, PAGE_SIZE - (off & ~PAGE_MASK));

		if (pte)
			memcpy((uint8_t *)memfile_ptr(sentry_memfile, PTE_OFF(pte)) + (off & ~PAGE_MASK),
			       (const uint8_t *)buf + done, chunk);
		done += chunk;
	}
	pthread_mutex_unlock(&n->cache_lock);
}

static ssize_t gofer_write(struct file *f, const void *buf, size_t len, int64_t *pos)
{
	struct gofer_node *n = f->inode->priv;
	int fd = file_fd(f);
	ssize_t r;

	if (f->flags & O_APPEND) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			return -errno;
		*pos = st.st_size;
	}
	do
		r = pwrite(fd, buf, len, *pos);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	cache_write(n, buf, (size_t)r, *pos);
	*pos += r;
	refresh_stx(f->inode, fd);
	return r;
}

static int gofer_fsync(struct file *f, bool datasync)
{
	int fd = file_fd(f);

	if ((datasync ? fdatasync(fd) : fsync(fd)) < 0)
		return -errno;
	return 0;
}

static struct mapping_obj *gofer_mmap(struct file *f)
{
	struct gofer_node *n = f->inode->priv;
	struct gofer_file *gf = f->priv;

	pthread_mutex_lock(&n->cache_lock);
	n->mapped = true;
	/* Faults read through cache_fd: a readable fd of this very file
	 * serves, where opening one by name would find whatever bears the
	 * name now (nothing, once the file was unlinked). */
	if (n->cache_fd < 0 && gf->fd >= 0 && (f->flags & O_ACCMODE) != O_WRONLY)
		n->cache_fd = fcntl(gf->fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&n->cache_lock);
	mapping_obj_get(&f->inode->mapping);
	return &f->inode->mapping;
}

static void gofer_file_release(struct file *f)
{
	struct gofer_file *gf = f->priv;

	if (!gf)
		return;
	if (gf->fd >= 0) {
		close(gf->fd);
	} else {
		struct gofer_node *n = f->inode->priv;

		/* Mapped files keep their fd (pages fault in long after the
		 * close); others join the bounded idle list. */
		pthread_mutex_lock(&n->cache_lock);
		if (--n->users == 0 && !n->mapped && n->cache_fd >= 0)
			idle_add(n);
		pthread_mutex_unlock(&n->cache_lock);
	}
	free(gf);
}

static const struct file_ops gofer_file_ops = {
	.read = gofer_read,
	.write = gofer_write,
	.fsync = gofer_fsync,
	.llseek = vfs_generic_llseek,
	.mmap = gofer_mmap,
	.release = gofer_file_release,
};

static ssize_t gofer_getdents(struct file *f, void *buf, size_t len)
{
	struct gofer_file *gf = f->priv;
	long n;

	/* The host's records are already in Linux's format. */
	if (lseek(gf->fd, f->pos, SEEK_SET) < 0)
		return -errno;
	n = syscall(SYS_getdents64, gf->fd, buf, len);
	if (n < 0)
		return -errno;
	f->pos = lseek(gf->fd, 0, SEEK_CUR);
	return n;
}

static int64_t gofer_dir_llseek(struct file *f, int64_t off, int whence)
{
	struct gofer_file *gf = f->priv;
	off_t r;

	if (whence == SEEK_CUR)
		off += f->pos, whence = SEEK_SET;
	r = lseek(gf->fd, off, whence);
	return r < 0 ? -errno : r;
}

static ssize_t gofer_dir_read(struct file *f, void *buf, size_t len, int64_t *pos)
{
	return -EISDIR;
}

static const struct file_ops gofer_dir_ops = {
	.read = gofer_dir_read,
	.llseek = gofer_dir_llseek,
	.getdents = gofer_getdents,
	.release = gofer_file_release,
};

/* ---- the page cache ---- */

static long gofer_get_pages(struct mapping_obj *obj, uint64_t pgoff, uint64_t count, uint64_t *offs)
{
	struct inode *ino = container_of(obj, struct inode, mapping);
	struct gofer_node *n = ino->priv;
	uint64_t size = ino->stx.stx_size, i = 0;
	long ret = 0;

	if (pgoff << PAGE_SHIFT >= size)
		return -EIO;
	count = MIN(count, ((size + PAGE_SIZE - 1) >> PAGE_SHIFT) - pgoff);
	pthread_mutex_lock(&n->cache_lock);
	ret = node_fd_locked(n);
	if (ret < 0)
		goto out;
	ret = 0;
	while (i < count) {
		uint64_t pte = pgtable_get(&n->cache, (pgoff + i) << PAGE_SHIFT);
		uint64_t run = 1, j;
		int64_t off;
		size_t want, got = 0;

		if (pte) {
			memfile_ref(sentry_memfile, PTE_OFF(pte), 1);
			offs[i++] = PTE_OFF(pte);
			continue;
		}
		while (i + run < count && !pgtable_get(&n->cache, (pgoff + i + run) << PAGE_SHIFT))
			run++;
		off = memfile_alloc(sentry_memfile, run);
		if (off < 0) {
			ret = off;
			break;
		}
		want = run * PAGE_SIZE;
		while (got < want) {
			ssize_t r = pread(n->cache_fd, memfile_ptr(sentry_memfile, (uint64_t)off) + got, want - got,
					  (off_t)(((pgoff + i) << PAGE_SHIFT) + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;	/* past EOF the pages stay zero, as Linux fills them */
			got += (size_t)r;
		}
		for (j = 0; j < run; j++) {
			uint64_t po = (uint64_t)off + j * PAGE_SIZE;
			if (pgtable_set(&n->cache, (pgoff + i + j) << PAGE_SHIFT, po | PTE_PRESENT) < 0) {
				memfile_unref(sentry_memfile, po, run - j);
				ret = -ENOMEM;
				goto out;
			}
			/* One reference for the cache, one for the caller. */
			memfile_ref(sentry_memfile, po, 1);
			offs[i + j] = po;
		}
		i += run;
	}
out:
	pthread_mutex_unlock(&n->cache_lock);
	if (i > 0)
		return (long)i;
	return ret < 0 ? ret : -EIO;
}

static void gofer_mapping_get(struct mapping_obj *obj)
{
	inode_get(container_of(obj, struct inode, mapping));
}

static void gofer_mapping_put(struct mapping_obj *obj)
{
	inode_put(container_of(obj, struct inode, mapping));
}

struct gofer_client *gofer_fs_root_client;

void gofer_fs_drop_caches(void)
{
	pthread_mutex_lock(&nodes_lock);
	for (struct gofer_node *n = all_nodes; n; n = n->all_next) {
		pthread_mutex_lock(&n->cache_lock);
		pgtable_destroy(&n->cache, drop_cache_page, NULL);
		pgtable_init(&n->cache);
		pthread_mutex_unlock(&n->cache_lock);
	}
	pthread_mutex_unlock(&nodes_lock);
}

/* Only the root mount's files for now: a bind mount's inode knows its path
 * inside the bind source, not where the source is mounted. */
static int gofer_mapping_save_path(struct mapping_obj *obj, char *buf, size_t size, struct statx *id)
{
	struct inode *ino = container_of(obj, struct inode, mapping);
	struct gofer_node *n = ino->priv;

	if (n->client != gofer_fs_root_client || !obj->name)
		return -EOPNOTSUPP;
	if ((size_t)snprintf(buf, size, "%s", obj->name) >= size)
		return -ENAMETOOLONG;
	return inode_stat(ino, id);
}

static const struct mapping_ops gofer_mapping_ops = {
	.save_path = gofer_mapping_save_path,
	.get_pages = gofer_get_pages,
	.get = gofer_mapping_get,
	.put = gofer_mapping_put,
};
