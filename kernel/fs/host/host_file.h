/* Files backed by a host fd that the sandbox was given (stdio of
 * `runsc do`): data and tty ioctls go to that fd. */
#ifndef AMBER_FS_HOST_FILE_H
#define AMBER_FS_HOST_FILE_H

#include "kernel/vfs/vfs.h"

/* Wraps host_fd (ownership taken). Returns a new file or NULL. */
struct file *host_file_new(int host_fd, int flags);

#endif
