#ifndef AMBER_FS_TMPFS_H
#define AMBER_FS_TMPFS_H

#include "kernel/vfs/vfs.h"

/* A new tmpfs whose file data lives in the memory file, at most
 * size_bytes of it (0: no limit), its root directory with mode. Returns a
 * new root dentry or NULL on -ENOMEM. */
struct dentry *tmpfs_new(uint64_t size_bytes, unsigned int mode);

/* Parses mount options (size=N[k|m|g|%], mode=OCTAL; others ignored).
 * Returns 0 or -EINVAL. */
int tmpfs_parse_options(const char *const *opts, size_t n, uint64_t *size, unsigned int *mode);

#endif
