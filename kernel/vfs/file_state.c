/* Saving and loading open file descriptions. A file is reopened by its
 * path in the restored sandbox (whose mounts come from the same spec), with
 * its status flags and offset; the sandbox's stdio are bound to the
 * restoring command's. A file opened read-only must be the same file
 * (size and mtime); one opened for writing must still exist. */
#include "kernel/state/state.h"
#include "kernel/vfs/vfs.h"
#include "kernel/task/task.h"
#include "kernel/fs/host/host_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REOPEN_MASK (O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)

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
	if (!f->path.d || !f->path.mnt) {
		snprintf(c->err, sizeof(c->err), "an open file with no path (a host file other than stdio) is not checkpointable yet");
		return -ENOTSUP;
	}
	n = vfs_path_name(&sandbox.root, &f->path, path, sizeof(path));
	if (n < 0)
		return n;
	/* A deleted file would come back as whatever bears its name then. */
	{
		struct statx stx;
		int err = inode_stat(f->inode, &stx);

		if (err == 0 && stx.stx_nlink == 0 && !S_ISDIR(stx.stx_mode)) {
			snprintf(c->err, sizeof(c->err), "open file %s was deleted: not checkpointable yet", path);
			return -ENOTSUP;
		}
	}
	pb->path = save_strdup(c, path);
	if (!pb->path)
		return -ENOMEM;
	if (S_ISREG(f->inode->stx.stx_mode)) {
		struct statx stx;
		Amber__Kernel__FileIdentity *fi = save_alloc(c, sizeof(*fi));
		int err = inode_stat(f->inode, &stx);

		if (!fi)
			return -ENOMEM;
		if (err < 0)
			return err;
		amber__kernel__file_identity__init(fi);
		fi->size = stx.stx_size;
		fi->mtime_sec = stx.stx_mtime.tv_sec;
		fi->mtime_nsec = stx.stx_mtime.tv_nsec;
		fi->mode = stx.stx_mode;
		pb->identity = fi;
	}
	return save_push(c, (void ***)&c->k->files, &c->k->n_files, pb);
}

int file_load(struct load_ctx *c, const Amber__Kernel__File *pb, struct file **out)
{
	struct path p;
	struct statx stx;
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
	if (!pb->path || pb->path[0] != '/') {
		snprintf(c->err, sizeof(c->err), "kernel.pb: file %lu: no path", (unsigned long)pb->id);
		return -EINVAL;
	}
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
	if (pb->identity) {
		const Amber__Kernel__FileIdentity *id = pb->identity;
		bool writable = (pb->flags & O_ACCMODE) != O_RDONLY;

		err = inode_stat((*out)->inode, &stx);
		if (err == 0 && ((stx.stx_mode & S_IFMT) != (id->mode & S_IFMT) ||
				 (!writable && (stx.stx_size != id->size || stx.stx_mtime.tv_sec != id->mtime_sec ||
						stx.stx_mtime.tv_nsec != id->mtime_nsec)))) {
			snprintf(c->err, sizeof(c->err), "open file %s changed since the checkpoint", pb->path);
			err = -ESTALE;
		}
		if (err < 0) {
			file_put(*out);
			return err;
		}
	}
	(*out)->flags = pb->flags & ~REOPEN_MASK;
	(*out)->pos = pb->pos;
	return 0;
}
