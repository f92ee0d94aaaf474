#ifndef AMBER_FS_PROCFS_H
#define AMBER_FS_PROCFS_H

#include "kernel/vfs/vfs.h"

/* A new root dentry for the sandbox's /proc. NULL on -ENOMEM. */
struct dentry *procfs_new(void);

#endif
