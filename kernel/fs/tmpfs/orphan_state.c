/* Files with no name left: open (or mapped) files whose last name was
 * removed. Reopening by path would find nothing, or another file, so the
 * image carries them: their attributes in an OrphanFile, their data as
 * shared memory with the memory file's other pages (a gofer file is read
 * whole into its page cache for that, through the inode's orphan op).
 *
 * They come back as nameless tmpfs files: in the sandbox's memory, where a
 * restored tmpfs file's data are too. A gofer has nowhere to put a file
 * with no name (it creates files by name, and the directory may be gone or
 * read-only), and no name is what the application saw. The content, size,
 * mode, owner, times, offset and flags are the saved ones; the inode
 * number is new, as a restored tmpfs file's is, and the file counts
 * against the tmpfs it was on (a gofer file's against the sandbox's
 * memory, like its page cache). */
#include "kernel/state/state.h"
#include "kernel/fs/tmpfs/internal.h"
#include "kernel/mm/mm.h"
#include "kernel/task/task.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REOPEN_MASK (O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)
#define MAX_ORPHAN_SIZE (1ULL << 46)

/* The saved file's data as shared memory: a tmpfs file's own object, or
 * a page cache read in whole. */
static int64_t save_data(struct save_ctx *c, struct mapping_obj *data, uint64_t size)
{
	return shmem_is(data) ? shmem_save(c, data) : shmem_save_cache(c, data, size);
}

static int orphan_error(struct save_ctx *c, const char *path, int err)
{
	if (err == -EBADF)
		snprintf(c->err, sizeof(c->err), "open file %s was deleted and is open only for writing: its data cannot be read to save them", path);
	else if (err == -ENOMEM)
		snprintf(c->err, sizeof(c->err), "open file %s was deleted: its data do not fit in the sandbox's memory", path);
	else
		snprintf(c->err, sizeof(c->err), "open file %s was deleted: %s", path, strerror(-err));
	return err == -EBADF ? -ENOTSUP : err;
}

/* Where f's tmpfs is mounted, when the orphan is a tmpfs file. */
static int tmpfs_mount_path(struct file *f, char *buf, size_t size)
{
	struct path root;
	int err;

	if (f->inode->ops != &tmpfs_inode_ops || !f->path.mnt || f->path.mnt->root->inode->ops != &tmpfs_inode_ops) {
		buf[0] = 0;
		return 0;
	}
	root.mnt = f->path.mnt;
	root.d = f->path.mnt->root;
	err = vfs_path_name(&sandbox.root, &root, buf, size);
	return err < 0 ? err : 0;
}

int orphan_save(struct save_ctx *c, struct file *f, const char *path, uint64_t *id)
{
	struct inode *ino = f->inode;
	struct mapping_obj *data = NULL;
	Amber__Kernel__OrphanFile *pb;
	char where[PATH_MAX];
	struct statx stx;
	int64_t sid;
	bool added;
	int err;

	*id = 0;
	if (!ino->ops->orphan) {
		/* No way to save its data: refuse a file whose name is gone,
		 * which a restore would find under nobody's name. */
		err = inode_stat(ino, &stx);
		if (err == 0 && stx.stx_nlink == 0 && !S_ISDIR(stx.stx_mode)) {
			snprintf(c->err, sizeof(c->err), "open file %s was deleted: not checkpointable yet", path);
			return -ENOTSUP;
		}
		return err;
	}
	err = ino->ops->orphan(ino, f, &stx, &data);
	if (err < 0)
		return orphan_error(c, path, err);
	if (!data)
		return 0;
	*id = idmap_get(&c->orphans, ino, &added);
	err = *id ? 0 : -ENOMEM;
	if (err == 0 && added) {
		pb = save_alloc(c, sizeof(*pb));
		err = pb ? tmpfs_mount_path(f, where, sizeof(where)) : -ENOMEM;
		sid = err < 0 ? err : save_data(c, data, stx.stx_size);
		if (sid < 0)
			err = (int)sid;
		if (err == 0) {
			amber__kernel__orphan_file__init(pb);
			pb->id = *id;
			pb->mode = stx.stx_mode;
			pb->uid = stx.stx_uid;
			pb->gid = stx.stx_gid;
			pb->size = stx.stx_size;
			pb->atime_sec = stx.stx_atime.tv_sec;
			pb->atime_nsec = stx.stx_atime.tv_nsec;
			pb->mtime_sec = stx.stx_mtime.tv_sec;
			pb->mtime_nsec = stx.stx_mtime.tv_nsec;
			pb->ctime_sec = stx.stx_ctime.tv_sec;
			pb->ctime_nsec = stx.stx_ctime.tv_nsec;
			pb->shmem_id = (uint64_t)sid;
			pb->tmpfs = save_strdup(c, where);
			err = pb->tmpfs ? save_push(c, (void ***)&c->k->orphans, &c->k->n_orphans, pb) : -ENOMEM;
		}
	}
	mapping_obj_put(data);
	return err < 0 ? orphan_error(c, path, err) : 0;
}

int64_t orphan_save_mapping(struct save_ctx *c, struct mapping_obj *obj)
{
	/* Objects with a save_path are inodes' page caches (mm.h). */
	struct inode *ino = container_of(obj, struct inode, mapping);
	struct mapping_obj *data = NULL;
	struct statx stx;
	int64_t sid;
	int err;

	if (!obj->ops->save_path || !ino->ops->orphan)
		return 0;
	err = ino->ops->orphan(ino, NULL, &stx, &data);
	if (err < 0 || !data)
		return err;
	sid = save_data(c, data, stx.stx_size);
	mapping_obj_put(data);
	if (sid < 0)
		snprintf(c->err, sizeof(c->err), "mapped file %s was deleted: %s", obj->name ? obj->name : "?",
			 sid == -ENOMEM ? "its data do not fit in the sandbox's memory" : strerror((int)-sid));
	return sid;
}

static int bad(struct load_ctx *c, uint64_t id, const char *what)
{
	snprintf(c->err, sizeof(c->err), "kernel.pb: orphan file %lu: %s", (unsigned long)id, what);
	return -EINVAL;
}

/* The superblock an orphan's pages count against: its tmpfs mount's, or
 * the sandbox's own. */
static int orphan_sb(struct load_ctx *c, const Amber__Kernel__OrphanFile *pb, struct tmpfs_sb **sb)
{
	struct path p;
	int err;

	if (!pb->tmpfs || !pb->tmpfs[0]) {
		*sb = tmpfs_anon_sb();
		return *sb ? 0 : -ENOMEM;
	}
	if (pb->tmpfs[0] != '/' || strnlen(pb->tmpfs, PATH_MAX) >= PATH_MAX)
		return bad(c, pb->id, "a bad tmpfs path");
	err = vfs_lookup(&sandbox.root, &sandbox.root, pb->tmpfs, LOOKUP_DIRECTORY, &p);
	if (err == 0 && (p.d != p.mnt->root || p.d->inode->ops != &tmpfs_inode_ops)) {
		path_put(&p);
		err = -ENOTDIR;
	}
	if (err < 0) {
		snprintf(c->err, sizeof(c->err), "tmpfs on %s: %s (the bundle's mounts must be the checkpointed ones)",
			 pb->tmpfs, err == -ENOTDIR ? "no tmpfs mounted there" : strerror(-err));
		return err;
	}
	*sb = ((struct tmpfs_node *)p.d->inode->priv)->sb;
	path_put(&p);
	return 0;
}

/* The restored inode of orphan id, made once. */
static int orphan_inode(struct load_ctx *c, uint64_t id, struct inode **out)
{
	const Amber__Kernel__OrphanFile *pb;
	struct mapping_obj *data;
	struct tmpfs_sb *sb;
	struct inode *ino;
	int err;

	if (!id || id > c->k->n_orphans)
		return bad(c, id, "no such orphan");
	if (c->orphans[id - 1]) {
		*out = c->orphans[id - 1];
		return 0;
	}
	pb = c->k->orphans[id - 1];
	if (!S_ISREG(pb->mode))
		return bad(c, id, "not a regular file");
	if (!pb->shmem_id || pb->shmem_id > c->nshmems || !(data = c->shmems[pb->shmem_id - 1]) || !shmem_is(data))
		return bad(c, id, "no data");
	if (pb->size > MAX_ORPHAN_SIZE || pb->size > shmem_size_pages(data) << PAGE_SHIFT)
		return bad(c, id, "a size past its data");
	for (size_t i = 0; i < c->k->n_orphans; i++)
		if (c->orphans[i] && ((struct tmpfs_node *)c->orphans[i]->priv)->data == data)
			return bad(c, id, "data another orphan has");
	err = orphan_sb(c, pb, &sb);
	if (err < 0)
		return err;
	ino = tmpfs_orphan_new(sb, pb->mode, data, pb->size);
	if (!ino)
		return -ENOMEM;
	TMPFS_LOAD_ATTRS(ino, pb);
	c->orphans[id - 1] = ino;
	*out = ino;
	return 0;
}

int orphan_load(struct load_ctx *c, const Amber__Kernel__File *pb, struct file **out)
{
	char name[NAME_MAX + 1];
	struct path parent, p;
	struct inode *ino;
	const char *dname = name;
	int kind, err;

	if (!pb->path || pb->path[0] != '/' || strnlen(pb->path, PATH_MAX) >= PATH_MAX)
		return bad(c, pb->orphan_id, "no path");
	err = orphan_inode(c, pb->orphan_id, &ino);
	if (err < 0)
		return err;
	/* Named as before under its directory, or, when that is gone too,
	 * by its whole path under the root: the name only shows in
	 * /proc/self/fd. */
	err = vfs_lookup_parent(&sandbox.root, &sandbox.root, pb->path, &parent, name, &kind);
	if (err < 0 || kind) {
		if (err == 0)
			path_put(&parent);
		parent = sandbox.root;
		path_get(&parent);
		dname = pb->path + 1;
	}
	inode_get(ino);
	p.mnt = parent.mnt;
	p.d = dentry_new_unlinked(parent.d, dname, ino);
	path_put(&parent);
	if (!p.d) {
		inode_put(ino);
		return -ENOMEM;
	}
	err = vfs_open(&p, pb->flags & ~REOPEN_MASK, out);
	dentry_put(p.d);
	if (err < 0)
		snprintf(c->err, sizeof(c->err), "open file %s (deleted): %s", pb->path, strerror(-err));
	return err;
}
