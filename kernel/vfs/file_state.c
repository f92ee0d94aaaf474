/* Saving and loading open file descriptions. A file is reopened by its
 * path in the restored sandbox (whose mounts come from the same spec), with
 * its status flags and offset; the sandbox's stdio are bound to the
 * restoring command's. A file opened read-only must be the same file
 * (size and mtime); one opened for writing must still exist. A file whose
 * last name is gone is in the image itself (kernel/fs/tmpfs/orphan_state.c). */
#include "kernel/state/state.h"
#include "kernel/vfs/vfs.h"
#include "kernel/task/task.h"
#include "kernel/fs/host/host_file.h"
#include "kernel/fs/pipe/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REOPEN_MASK (O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)

static uint64_t stx_dev(const struct statx *stx)
{
	return linux_encode_dev(stx->stx_dev_major, stx->stx_dev_minor);
}

/* Which tree mount mnt is: its root's device, inode and birth time. */
struct fs_tree {
	uint64_t dev, ino;
	int64_t btime_sec;
	uint32_t btime_nsec;
};

static void fs_root(struct mount *mnt, struct fs_tree *t)
{
	struct statx stx;

	memset(t, 0, sizeof(*t));
	if (inode_stat(mnt->root->inode, &stx) == 0) {
		t->dev = stx_dev(&stx);
		t->ino = stx.stx_ino;
		if (stx.stx_mask & STATX_BTIME) {
			t->btime_sec = stx.stx_btime.tv_sec;
			t->btime_nsec = stx.stx_btime.tv_nsec;
		}
	}
}

/* Whether the tree is the one the image names. With no birth time on
 * either side, device and inode must do, though a tree made again may
 * reuse them. */
static bool fs_same_tree(const Amber__Kernel__FileIdentity *id, const struct fs_tree *t)
{
	if (id->fs_dev != t->dev || id->fs_ino != t->ino)
		return false;
	return id->fs_btime_sec == t->btime_sec && id->fs_btime_nsec == t->btime_nsec;
}

/* Files whose device and inode numbers are the host's: the gofer's,
 * which are reopened by path (their page cache has a save_path). */
static bool host_numbers(struct inode *ino)
{
	return ino->mapping.ops && ino->mapping.ops->save_path;
}

int file_identity_save(struct save_ctx *c, struct inode *ino, struct mount *mnt, const struct statx *stx,
		       Amber__Kernel__FileIdentity **out)
{
	Amber__Kernel__FileIdentity *fi = save_alloc(c, sizeof(*fi));

	if (!fi)
		return -ENOMEM;
	amber__kernel__file_identity__init(fi);
	fi->size = stx->stx_size;
	fi->mtime_sec = stx->stx_mtime.tv_sec;
	fi->mtime_nsec = stx->stx_mtime.tv_nsec;
	fi->mode = stx->stx_mode;
	if (host_numbers(ino)) {
		struct fs_tree t;

		fi->dev = stx_dev(stx);
		fi->ino = stx->stx_ino;
		fs_root(mnt, &t);
		fi->fs_dev = t.dev;
		fi->fs_ino = t.ino;
		fi->fs_btime_sec = t.btime_sec;
		fi->fs_btime_nsec = t.btime_nsec;
	}
	*out = fi;
	return 0;
}

int file_identity_check(struct load_ctx *c, const Amber__Kernel__FileIdentity *id, struct file *f, bool data_kept,
			const char *what, const char *path)
{
	struct statx stx;
	struct fs_tree tree;
	int err = inode_stat(f->inode, &stx);

	if (err < 0)
		return err;
	if ((stx.stx_mode & S_IFMT) != (id->mode & S_IFMT) ||
	    (data_kept && (stx.stx_size != id->size || stx.stx_mtime.tv_sec != id->mtime_sec ||
			   stx.stx_mtime.tv_nsec != id->mtime_nsec))) {
		snprintf(c->err, sizeof(c->err), "%s %s changed since the checkpoint", what, path);
		return -ESTALE;
	}
	/* On the boot of the host that wrote the image, in the same tree,
	 * the file is the one with its device and inode. */
	fs_root(f->path.mnt, &tree);
	if (c->same_host && id->dev && host_numbers(f->inode) && fs_same_tree(id, &tree) &&
	    (stx_dev(&stx) != id->dev || stx.stx_ino != id->ino)) {
		snprintf(c->err, sizeof(c->err), "%s %s is another file than the one checkpointed (inode %lu, was %lu)",
			 what, path, (unsigned long)stx.stx_ino, (unsigned long)id->ino);
		return -ESTALE;
	}
	return 0;
}

int file_save(struct save_ctx *c, struct file *f, uint64_t id)
{
	Amber__Kernel__File *pb = save_alloc(c, sizeof(*pb));
	char path[PATH_MAX];
	int stdio = host_file_stdio(f), n;

	if (!pb)
		return -ENOMEM;
	amber__kernel__file__init(pb);
	pb->id = id;
	pthread_mutex_lock(&f->pos_lock);
	pb->flags = f->flags;
	pb->pos = f->pos;
	pthread_mutex_unlock(&f->pos_lock);
	if (stdio >= 0) {
		pb->stdio = stdio + 1;
		return save_push(c, (void ***)&c->k->files, &c->k->n_files, pb);
	}
	if (pipe_file(f)) {
		n = pipe_file_save(c, f, pb);
		return n < 0 ? n : save_push(c, (void ***)&c->k->files, &c->k->n_files, pb);
	}
	if (!f->path.d || !f->path.mnt) {
		snprintf(c->err, sizeof(c->err), "an open file with no path (a host file other than stdio) is not checkpointable yet");
		return -ENOTSUP;
	}
	n = vfs_path_name(&sandbox.root, &f->path, path, sizeof(path));
	if (n < 0)
		return n;
	pb->path = save_strdup(c, path);
	if (!pb->path)
		return -ENOMEM;
	/* A deleted file would come back as whatever bears its name then:
	 * the image carries it instead. */
	n = orphan_save(c, f, path, &pb->orphan_id);
	if (n < 0)
		return n;
	if (pb->orphan_id)
		return save_push(c, (void ***)&c->k->files, &c->k->n_files, pb);
	if (S_ISREG(f->inode->stx.stx_mode) && !f->inode->ops->generated) {
		struct statx stx;
		int err = inode_stat(f->inode, &stx);

		if (err == 0)
			err = file_identity_save(c, f->inode, f->path.mnt, &stx, &pb->identity);
		if (err < 0)
			return err;
	}
	return save_push(c, (void ***)&c->k->files, &c->k->n_files, pb);
}

/* A file that still has its name: opened again by it, and checked to be
 * the file that was saved. */
static int reopen(struct load_ctx *c, const Amber__Kernel__File *pb, struct file **out)
{
	struct path p;
	int err;

	err = vfs_lookup(&sandbox.root, &sandbox.root, pb->path, 0, &p);
	if (err < 0) {
		snprintf(c->err, sizeof(c->err), "open file %s: %s", pb->path, strerror(-err));
		return err;
	}
	err = vfs_open(&p, pb->flags & ~REOPEN_MASK, out);
	path_put(&p);
	if (err < 0) {
		snprintf(c->err, sizeof(c->err), "open file %s: %s", pb->path, strerror(-err));
		return err;
	}
	/* A file open for writing may have been written since; one open
	 * read-only must hold what it held. */
	if (pb->identity) {
		err = file_identity_check(c, pb->identity, *out, (pb->flags & O_ACCMODE) == O_RDONLY, "open file",
					  pb->path);
		if (err < 0) {
			file_put(*out);
			*out = NULL;	/* kernel_load puts what the table holds */
			return err;
		}
	}
	return 0;
}

int file_load(struct load_ctx *c, const Amber__Kernel__File *pb, struct file **out)
{
	int err;

	if (pb->stdio) {
		int k = pb->stdio - 1, fd;

		if (k < 0 || k > 2 || !c->stdio || c->stdio[k] < 0) {
			snprintf(c->err, sizeof(c->err), "kernel.pb: file %lu: bad stdio index", (unsigned long)pb->id);
			return -EINVAL;
		}
		fd = fcntl(c->stdio[k], F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return -errno;
		*out = host_file_new(fd, fcntl(fd, F_GETFL));
		if (!*out) {
			close(fd);
			return -ENOMEM;
		}
		host_file_set_stdio(*out, k);
		return 0;
	}
	if (pb->pipe_id)
		return pipe_file_load(c, pb, out);
	if (!pb->path || pb->path[0] != '/') {
		snprintf(c->err, sizeof(c->err), "kernel.pb: file %lu: no path", (unsigned long)pb->id);
		return -EINVAL;
	}
	if (pb->orphan_id)
		err = orphan_load(c, pb, out);
	else
		err = reopen(c, pb, out);
	if (err < 0)
		return err;
	(*out)->flags = pb->flags & ~REOPEN_MASK;
	(*out)->pos = pb->pos;
	return 0;
}
