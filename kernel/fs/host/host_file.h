/* Files backed by a host fd that the sandbox was given (stdio of
 * `runsc do`): data and tty ioctls go to that fd. */
#ifndef AMBER_FS_HOST_FILE_H
#define AMBER_FS_HOST_FILE_H

#include "kernel/vfs/vfs.h"

/* Wraps host_fd (ownership taken). Returns a new file or NULL. */
struct file *host_file_new(int host_fd, int flags);

/* The sandbox's stdio (fd 0-2 at its start) are saved in an image as
 * their index and bound to the restoring command's stdio. */
void host_file_set_stdio(struct file *f, int index);
/* The stdio index of a host file, or -1 (not stdio, or not a host file). */
int host_file_stdio(struct file *f);

#endif
