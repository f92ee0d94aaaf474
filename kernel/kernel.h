/* Bringing up the sentry: memory file, platform, mounts, the first task. */
#ifndef AMBER_KERNEL_H
#define AMBER_KERNEL_H

#include "gofer/gofer.h"
#include "kernel/task/task.h"

/* Initialises the kernel with root served by gofer (borrowed for the
 * sandbox's life). Returns 0 or -errno. */
int kernel_init(struct gofer_client *gofer, bool root_readonly, const char *hostname);

/* Mounts the tree gofer serves (client borrowed for the sandbox's life)
 * on the directory dest of the sandbox. Returns 0 or -errno. */
int kernel_mount_gofer(struct gofer_client *gofer, const char *dest, bool readonly);

/* Mounts the file name of the directory gofer serves on the file dest. */
int kernel_mount_gofer_file(struct gofer_client *gofer, const char *dest, const char *name, bool readonly);

/* Mounts a new tmpfs (size bytes at most, 0: unlimited) on dest. */
int kernel_mount_tmpfs(const char *dest, uint64_t size, unsigned int mode);

/* Mounts a sysfs on dest, read-only if readonly. The one kernel_init
 * puts on /sys (where the root has that directory) is not covered by a
 * second: it takes the read-only flag given here. Returns 0 or -errno. */
int kernel_mount_sysfs(const char *dest, bool readonly);

/* maskedPaths: an empty read-only tmpfs over a directory, /dev/null over
 * anything else; readonlyPaths: a read-only view of the path. A path that
 * does not exist is skipped, as runc does. Returns 0 or -errno. */
int kernel_mask_path(const char *path);
int kernel_readonly_path(const char *path);

/* The first task: stdio from host fds (ownership taken; -1 for none), cwd
 * resolved in the sandbox (falls back to "/"). NULL on failure. */
struct task *kernel_new_init_task(const int stdio[3], const char *cwd);

/* Finds name as execvp would, using the PATH in envp, inside the sandbox.
 * On success writes the path to run into out. */
int kernel_find_program(struct task *t, const char *name, char *const envp[], char *out, size_t size);

#endif
