/* sysfs internals: a tree of directories and fixed text files, built once
 * when the filesystem is made and never changed afterwards, so nothing in
 * it needs a lock. */
#ifndef AMBER_FS_SYS_INTERNAL_H
#define AMBER_FS_SYS_INTERNAL_H

#include "kernel/vfs/vfs.h"

/* A new directory inode with no entries (one reference); mode holds the
 * permission bits. NULL on -ENOMEM. */
struct inode *sys_dir_new(unsigned int mode);

/* Returns the directory at path (slash-separated, relative to dir),
 * making the missing ones with mode 0755; the result is borrowed from
 * the tree. NULL on -ENOMEM. */
struct inode *sys_mkdirs(struct inode *dir, const char *path);

/* Adds a read-only file at path (relative to dir, directories made as
 * needed) whose contents are text, copied. Returns 0 or -ENOMEM. */
int sys_add_file(struct inode *dir, const char *path, const char *text);

/* Fills /sys/devices/system/cpu (dir, borrowed). Returns 0 or -ENOMEM. */
int sys_cpu_populate(struct inode *dir);

#endif
