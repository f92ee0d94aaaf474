/* ioctl: the generic commands here; the rest go to the file's own ioctl,
 * and files without one answer ENOTTY, as Linux does. */
#include "kernel/syscalls/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

SYSCALL(ioctl)
{
	struct file *f = fd_get(t, (int)a[0]);
	unsigned int cmd = (unsigned)a[1];
	long r;
	int v;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		r = fd_set_cloexec(t, (int)a[0], cmd == FIOCLEX);
		break;
	case FIONBIO:
		r = copy_in(t->mm, &v, a[2], sizeof(v));
		if (r == 0) {
			pthread_mutex_lock(&f->pos_lock);
			__atomic_store_n(&f->flags, v ? (f->flags | O_NONBLOCK) : (f->flags & ~O_NONBLOCK),
					 __ATOMIC_RELAXED);
			pthread_mutex_unlock(&f->pos_lock);
		}
		break;
	case FIONREAD:
		if (S_ISREG(f->inode->stx.stx_mode)) {
			/* Linux answers this for any regular file. */
			int64_t left = (int64_t)f->inode->stx.stx_size - f->pos;
			v = left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
			r = copy_out(t->mm, a[2], &v, sizeof(v));
			break;
		}
		/* fall through */
	default:
		r = f->ops->ioctl ? f->ops->ioctl(t, f, cmd, a[2]) : -ENOTTY;
		break;
	}
	file_put(f);
	return r;
}
