#include "kernel/vfs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


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
