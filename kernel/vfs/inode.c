#include "kernel/vfs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>


uint64_t vfs_next_ino(void)
{
	static uint64_t next = 1;
	return __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
}

struct inode *inode_new(const struct inode_ops *ops, void *priv)
{
	struct inode *ino = calloc(1, sizeof(*ino));

	if (!ino)
		return NULL;
	ino->refs = 1;
	ino->ops = ops;
	ino->priv = priv;
	pthread_mutex_init(&ino->lock, NULL);
	return ino;
}

void inode_get(struct inode *ino)
{
	__atomic_add_fetch(&ino->refs, 1, __ATOMIC_RELAXED);
}

void inode_put(struct inode *ino)
{
	if (!ino || __atomic_sub_fetch(&ino->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (ino->ops->release)
		ino->ops->release(ino);
	free(ino->mapping.name);
	pthread_mutex_destroy(&ino->lock);
	free(ino);
}

void inode_attr_apply(struct inode *ino, const struct vfs_attr *a)
{
	struct timespec now;

	if (a->mask & VFS_ATTR_MODE)
		ino->stx.stx_mode = (uint16_t)((ino->stx.stx_mode & S_IFMT) | (a->mode & 07777));
	if (a->mask & VFS_ATTR_UID)
		ino->stx.stx_uid = a->uid;
	if (a->mask & VFS_ATTR_GID)
		ino->stx.stx_gid = a->gid;
	if (a->mask & VFS_ATTR_ATIME) {
		ino->stx.stx_atime.tv_sec = a->atime.tv_sec;
		ino->stx.stx_atime.tv_nsec = (uint32_t)a->atime.tv_nsec;
	}
	if (a->mask & VFS_ATTR_MTIME) {
		ino->stx.stx_mtime.tv_sec = a->mtime.tv_sec;
		ino->stx.stx_mtime.tv_nsec = (uint32_t)a->mtime.tv_nsec;
	}
	if (a->mask) {
		clock_gettime(CLOCK_REALTIME, &now);
		ino->stx.stx_ctime.tv_sec = now.tv_sec;
		ino->stx.stx_ctime.tv_nsec = (uint32_t)now.tv_nsec;
	}
}

int inode_stat(struct inode *ino, struct statx *stx)
{
	int err = 0;

	pthread_mutex_lock(&ino->lock);
	if (ino->ops->getattr)
		err = ino->ops->getattr(ino);
	if (err == 0)
		*stx = ino->stx;
	pthread_mutex_unlock(&ino->lock);
	return err;
}
