/* pipe, pipe2. Reserve, copy out, then publish, as Linux's do_pipe2: a
 * bad pointer loses nothing, and no other thread can use or close the new
 * fds before the call has succeeded.
 * Differs from Linux: O_NOTIFICATION_PIPE is ENOPKG, as on a kernel
 * without CONFIG_WATCH_QUEUE. */
#include "kernel/syscalls/syscalls.h"
#include "kernel/fs/pipe/pipe.h"

#include <errno.h>
#include <fcntl.h>

#define O_NOTIFICATION_PIPE O_EXCL	/* Linux's uapi/linux/watch_queue.h */

static long do_pipe2(struct task *t, uaddr_t ufds, int flags)
{
	struct file *rd, *wr;
	int fds[2], err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))
		return -EINVAL;
	if (flags & O_NOTIFICATION_PIPE)
		return -ENOPKG;
	err = pipe_create(flags & (O_NONBLOCK | O_DIRECT), t->creds.fsuid, t->creds.fsgid, &rd, &wr);
	if (err < 0)
		return err;
	fds[0] = err = fd_reserve(t, 0);
	if (err < 0)
		goto err_files;
	fds[1] = err = fd_reserve(t, 0);
	if (err < 0)
		goto err_fd0;
	err = copy_out(t->mm, ufds, fds, sizeof(fds));
	if (err < 0)
		goto err_fd1;
	fd_publish(t, fds[0], rd, flags & O_CLOEXEC);
	fd_publish(t, fds[1], wr, flags & O_CLOEXEC);
	return 0;
err_fd1:
	fd_unreserve(t, fds[1]);
err_fd0:
	fd_unreserve(t, fds[0]);
err_files:
	file_put(rd);
	file_put(wr);
	return err;
}

SYSCALL(pipe) { return do_pipe2(t, a[0], 0); }
SYSCALL(pipe2) { return do_pipe2(t, a[0], (int)a[1]); }
