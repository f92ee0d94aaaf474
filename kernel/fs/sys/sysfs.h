#ifndef AMBER_FS_SYSFS_H
#define AMBER_FS_SYSFS_H

#include "kernel/vfs/vfs.h"

/* The filesystem type name, as mountinfo shows it. */
#define SYSFS_TYPE "sysfs"

/* A new root dentry for a sysfs mount: a read-only tree describing the
 * sandbox's CPUs, and the empty directories programs expect to find.
 * NULL on -ENOMEM. */
struct dentry *sysfs_new(void);

#endif
