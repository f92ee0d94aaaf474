#include "kernel/task/task.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

struct fs_ctx *fs_ctx_new(const struct path *root, const struct path *cwd)
{
	struct fs_ctx *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->refs = 1;
	pthread_mutex_init(&fs->lock, NULL);
	fs->root = *root;
	path_get(root);
	fs->cwd = *cwd;
	path_get(cwd);
	fs->umask = 022;
	return fs;
}

struct fs_ctx *fs_ctx_copy(struct fs_ctx *old)
{
	struct fs_ctx *fs;

	pthread_mutex_lock(&old->lock);
	fs = fs_ctx_new(&old->root, &old->cwd);
	if (fs)
		fs->umask = old->umask;
	pthread_mutex_unlock(&old->lock);
	return fs;
}

void fs_ctx_put(struct fs_ctx *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	path_put(&fs->root);
	path_put(&fs->cwd);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

/* The root and the start of a lookup of path relative to dirfd. */
static int lookup_base(struct task *t, int dirfd, const char *path, struct path *root, struct path *start)
{
	struct file *f;

	pthread_mutex_lock(&t->fs->lock);
	*root = t->fs->root;
	path_get(root);
	*start = t->fs->cwd;
	path_get(start);
	pthread_mutex_unlock(&t->fs->lock);
	if (path[0] == '/' || dirfd == AT_FDCWD)
		return 0;
	f = fd_get(t, dirfd);
	if (!f || !f->path.d) {
		if (f)
			file_put(f);
		path_put(root);
		path_put(start);
		return f ? -ENOTDIR : -EBADF;
	}
	path_put(start);
	*start = f->path;
	path_get(start);
	file_put(f);
	return 0;
}

int task_lookup_parent(struct task *t, int dirfd, const char *path, struct path *parent, char *name, int *kind)
{
	struct path root, start;
	int err = lookup_base(t, dirfd, path, &root, &start);

	if (err < 0)
		return err;
	err = vfs_lookup_parent(&root, &start, path, parent, name, kind);
	path_put(&root);
	path_put(&start);
	return err;
}

int task_lookup(struct task *t, int dirfd, const char *path, int flags, struct path *out)
{
	struct path root, start;
	struct file *f = NULL;
	int err;

	pthread_mutex_lock(&t->fs->lock);
	root = t->fs->root;
	path_get(&root);
	start = t->fs->cwd;
	path_get(&start);
	pthread_mutex_unlock(&t->fs->lock);
	if (path[0] != '/' && dirfd != AT_FDCWD) {
		f = fd_get(t, dirfd);
		if (!f) {
			err = -EBADF;
			goto out;
		}
		if (!f->path.d) {
			err = (flags & LOOKUP_EMPTY) && !*path ? -ENOTDIR : -ENOTDIR;
			goto out;
		}
		path_put(&start);
		start = f->path;
		path_get(&start);
	}
	err = vfs_lookup(&root, &start, path, flags, out);
out:
	if (f)
		file_put(f);
	path_put(&root);
	path_put(&start);
	return err;
}
