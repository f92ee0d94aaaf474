/* Path resolution, done entirely by the sentry: the gofer is only ever
 * asked about single, already resolved names, so a symlink can never lead
 * a lookup out of the sandbox's root. */
#include "kernel/vfs/vfs.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SYMLINKS 40

int dentry_lookup_child(struct dentry *dir, const char *name, struct dentry **out);

void path_get(const struct path *p)
{
	dentry_get(p->d);
}

void path_put(struct path *p)
{
	if (p->d)
		dentry_put(p->d);
	p->d = NULL;
}

static bool is_dir(const struct dentry *d)
{
	return d->inode && S_ISDIR(d->inode->stx.stx_mode);
}

static bool same_path(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->d == b->d;
}

/* Moves cur to its parent, staying at root and crossing mounts upwards. */
static void step_up(const struct path *root, struct path *cur)
{
	while (!same_path(cur, root) && cur->d == cur->mnt->root && cur->mnt->parent) {
		struct dentry *mp = cur->mnt->mountpoint;
		dentry_get(mp);
		dentry_put(cur->d);
		cur->mnt = cur->mnt->parent;
		cur->d = mp;
	}
	if (same_path(cur, root) || !cur->d->parent)
		return;
	struct dentry *p = cur->d->parent;
	dentry_get(p);
	dentry_put(cur->d);
	cur->d = p;
}

int vfs_lookup(const struct path *root, const struct path *start, const char *path, int flags,
	       struct path *out)
{
	size_t cap = 2 * PATH_MAX;
	char *work = malloc(cap), *p;
	char name[NAME_MAX + 1];
	struct path cur;
	int links = 0, err = 0;

	if (!work)
		return -ENOMEM;
	if (strlen(path) >= PATH_MAX) {
		free(work);
		return -ENAMETOOLONG;
	}
	if (!*path && !(flags & LOOKUP_EMPTY)) {
		free(work);
		return -ENOENT;
	}
	strcpy(work, path);
	cur = *path == '/' ? *root : *start;
	path_get(&cur);
	p = work;
	for (;;) {
		size_t len;
		bool last, slash;
		struct dentry *child;
		struct path next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		for (len = 0; p[len] && p[len] != '/'; len++)
			;
		if (len > NAME_MAX) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, p, len);
		name[len] = 0;
		p += len;
		slash = *p == '/';
		{
			const char *q = p;
			while (*q == '/')
				q++;
			last = !*q;
		}
		if (!is_dir(cur.d)) {
			err = -ENOTDIR;
			goto fail;
		}
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			step_up(root, &cur);
			continue;
		}
		err = dentry_lookup_child(cur.d, name, &child);
		if (err < 0)
			goto fail;
		if (!child->inode) {
			dentry_put(child);
			err = -ENOENT;
			goto fail;
		}
		next.mnt = cur.mnt;
		next.d = child;
		/* A mount of a directory on itself (a read-only view) is
		 * crossed once. */
		while (next.d->mounted && next.d->mounted != next.mnt) {
			struct mount *m = next.d->mounted;
			dentry_get(m->root);
			dentry_put(next.d);
			next.mnt = m;
			next.d = m->root;
		}
		if (S_ISLNK(next.d->inode->stx.stx_mode) && (!last || slash || (flags & LOOKUP_FOLLOW))) {
			char target[PATH_MAX];
			int n;

			if (++links > MAX_SYMLINKS) {
				path_put(&next);
				err = -ELOOP;
				goto fail;
			}
			/* A magic link to a file with no name is followed to
			 * the file itself, as Linux's nd_jump_link does. */
			if (next.d->inode->ops->jump) {
				struct path to;

				n = next.d->inode->ops->jump(next.d->inode, &to);
				if (n == 0) {
					path_put(&next);
					path_put(&cur);
					cur = to;
					if (last && slash && !is_dir(cur.d)) {
						err = -ENOTDIR;
						goto fail;
					}
					continue;
				}
				if (n != -ENOENT) {
					path_put(&next);
					err = n;
					goto fail;
				}
			}
			n = next.d->inode->ops->readlink ?
				    next.d->inode->ops->readlink(next.d->inode, target, sizeof(target) - 1) : -EINVAL;
			path_put(&next);
			if (n < 0) {
				err = n;
				goto fail;
			}
			if (n == 0) {
				err = -ENOENT;
				goto fail;
			}
			target[n] = 0;
			if ((size_t)n + strlen(p) + 2 > cap) {
				err = -ENAMETOOLONG;
				goto fail;
			}
			/* The rest of the path goes after the link's target. */
			memmove(work + n, p, strlen(p) + 1);
			memcpy(work, target, (size_t)n);
			p = work;
			if (target[0] == '/') {
				path_put(&cur);
				cur = *root;
				path_get(&cur);
			}
			continue;
		}
		path_put(&cur);
		cur = next;
		if (last && slash && !is_dir(cur.d)) {
			err = -ENOTDIR;
			goto fail;
		}
	}
	if ((flags & LOOKUP_DIRECTORY) && !is_dir(cur.d)) {
		err = -ENOTDIR;
		goto fail;
	}
	free(work);
	*out = cur;
	return 0;
fail:
	path_put(&cur);
	free(work);
	return err;
}

int vfs_path_name(const struct path *root, const struct path *p, char *buf, size_t size)
{
	struct path cur = *p;
	size_t pos = size;

	if (size < 2)
		return -ENAMETOOLONG;
	buf[--pos] = 0;
	for (;;) {
		size_t n;

		if (same_path(&cur, root))
			break;
		if (cur.d == cur.mnt->root) {
			if (!cur.mnt->parent)
				break;
			cur.d = cur.mnt->mountpoint;
			cur.mnt = cur.mnt->parent;
			continue;
		}
		if (!cur.d->parent)
			break;
		n = strlen(cur.d->name);
		if (n + 1 > pos)
			return -ENAMETOOLONG;
		pos -= n;
		memcpy(buf + pos, cur.d->name, n);
		buf[--pos] = '/';
		cur.d = cur.d->parent;
	}
	if (pos == size - 1)
		buf[--pos] = '/';
	memmove(buf, buf + pos, size - pos);
	return (int)(size - pos - 1);
}

int vfs_lookup_parent(const struct path *root, const struct path *start, const char *path, struct path *parent,
		      char *name, int *last_kind)
{
	char dir[PATH_MAX];
	const char *end, *last;
	size_t len = strlen(path), dlen;

	if (len == 0)
		return -ENOENT;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	end = path + len;
	while (end > path + 1 && end[-1] == '/')
		end--;
	last = end;
	while (last > path && last[-1] != '/')
		last--;
	if ((size_t)(end - last) > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, last, (size_t)(end - last));
	name[end - last] = 0;
	*last_kind = !*name || (end - last == 1 && *last == '/') ? 2 :
		     (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) ? 1 : 0;
	if (*last_kind == 2)
		name[0] = 0;
	dlen = (size_t)(last - path);
	if (dlen == 0) {
		dir[0] = '.';
		dir[1] = 0;
	} else {
		memcpy(dir, path, dlen);
		dir[dlen] = 0;
	}
	return vfs_lookup(root, start, dir, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, parent);
}
