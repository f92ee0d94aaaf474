#ifndef AMBER_FS_DEVFS_H
#define AMBER_FS_DEVFS_H

#include "kernel/vfs/vfs.h"

/* A new root dentry for the sandbox's /dev: null, zero, full, random,
 * urandom and the fd links. NULL on -ENOMEM. */
struct dentry *devfs_new(void);

/* A new reference to /dev/null's inode (for masking paths). */
struct inode *devfs_null_inode(void);

#endif
