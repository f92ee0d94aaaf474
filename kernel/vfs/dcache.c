/* Dentries and mounts. One lock guards every child list: lookups that miss
 * call into the filesystem without it, then insert under it, keeping the
 * first of two racing inserts. */
#include "kernel/vfs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t dcache_lock = PTHREAD_MUTEX_INITIALIZER;
struct mount *vfs_root_mount;

/* Every mount, in mount order, for /proc/self/mountinfo. */
static pthread_mutex_t mounts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mount *all_mounts[256];
static int mount_count;

int vfs_mounts(struct mount **out, int max)
{
	int n;

	pthread_mutex_lock(&mounts_lock);
	n = MIN(mount_count, max);
	memcpy(out, all_mounts, (size_t)n * sizeof(*out));
	pthread_mutex_unlock(&mounts_lock);
	return n;
}

static struct dentry *dentry_alloc(const char *name, struct dentry *parent, struct inode *ino)
{
	struct dentry *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->name = strdup(name);
	if (!d->name) {
		free(d);
		return NULL;
	}
	d->refs = 1;
	d->parent = parent;
	if (parent)
		dentry_get(parent);
	d->inode = ino;
	return d;
}

struct dentry *dentry_new_root(struct inode *ino)
{
	return dentry_alloc("/", NULL, ino);
}

struct mount vfs_anon_mount = { .fstype = "anon_inodefs", .source = "none" };

int vfs_anon_path(struct inode *ino, struct path *out)
{
	inode_get(ino);
	out->d = dentry_new_root(ino);
	if (!out->d) {
		inode_put(ino);
		return -ENOMEM;
	}
	out->mnt = &vfs_anon_mount;
	return 0;
}

struct dentry *dentry_new_unlinked(struct dentry *parent, const char *name, struct inode *ino)
{
	return dentry_alloc(name, parent, ino);
}

void dentry_get(struct dentry *d)
{
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
}

void dentry_put(struct dentry *d)
{
	while (d && __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct dentry *parent = d->parent;

		if (d->inode)
			inode_put(d->inode);
		free(d->name);
		free(d);
		d = parent;
	}
}

/* Returns a new reference to the child of dir named name (possibly
 * negative), looking it up in the filesystem on a cache miss. */
int dentry_lookup_child(struct dentry *dir, const char *name, struct dentry **out)
{
	struct inode *ino = NULL;
	struct dentry *d, *c;
	int err;

	pthread_mutex_lock(&dcache_lock);
	for (c = dir->children; c; c = c->sibling) {
		if (strcmp(c->name, name) == 0) {
			dentry_get(c);
			pthread_mutex_unlock(&dcache_lock);
			*out = c;
			return 0;
		}
	}
	pthread_mutex_unlock(&dcache_lock);

	if (!dir->inode->ops->lookup)
		return -ENOTDIR;
	err = dir->inode->ops->lookup(dir->inode, name, &ino);
	if (err < 0 && err != -ENOENT)
		return err;
	d = dentry_alloc(name, dir, ino);
	if (!d) {
		if (ino)
			inode_put(ino);
		return -ENOMEM;
	}
	if (!dir->inode->cacheable || (ino && !ino->cacheable)) {
		*out = d;
		return 0;
	}
	pthread_mutex_lock(&dcache_lock);
	for (c = dir->children; c; c = c->sibling) {
		if (strcmp(c->name, name) == 0)
			break;
	}
	if (c) {
		dentry_get(c);
		pthread_mutex_unlock(&dcache_lock);
		dentry_put(d);
		*out = c;
		return 0;
	}
	d->cached = true;
	d->sibling = dir->children;
	dir->children = d;
	dentry_get(d);	/* the child list's reference */
	pthread_mutex_unlock(&dcache_lock);
	*out = d;
	return 0;
}

struct mount *vfs_mount(struct mount *parent, struct dentry *mountpoint, struct dentry *root,
			const char *fstype, const char *source, int flags)
{
	static int next_id = 1;
	struct mount *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	m->root = root;
	dentry_get(root);
	m->parent = parent;
	m->mountpoint = mountpoint;
	m->fstype = fstype;
	m->source = source;
	m->flags = flags;
	if (mountpoint) {
		dentry_get(mountpoint);
		mountpoint->mounted = m;
	}
	pthread_mutex_lock(&mounts_lock);
	if (mount_count < (int)ARRAY_SIZE(all_mounts))
		all_mounts[mount_count++] = m;
	pthread_mutex_unlock(&mounts_lock);
	return m;
}

void dentry_invalidate(struct dentry *dir, const char *name)
{
	struct dentry **pp, *victim = NULL;

	pthread_mutex_lock(&dcache_lock);
	for (pp = &dir->children; *pp; pp = &(*pp)->sibling) {
		if (strcmp((*pp)->name, name) == 0) {
			victim = *pp;
			*pp = victim->sibling;
			victim->sibling = NULL;
			victim->cached = false;
			break;
		}
	}
	pthread_mutex_unlock(&dcache_lock);
	if (victim)
		dentry_put(victim);	/* the child list's reference */
}
