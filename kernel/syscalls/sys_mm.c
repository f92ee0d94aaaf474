/* mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore. */
#include "kernel/syscalls/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

SYSCALL(mmap)
{
	uaddr_t addr = a[0];
	uint64_t len = a[1];
	int prot = (int)a[2], flags = (int)a[3], fd = (int)a[4];
	uint64_t off = a[5];
	struct mapping_obj *obj = NULL;
	struct file *f = NULL;
	long r;

	if (off & ~PAGE_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(t, fd);
		if (!f)
			return -EBADF;
		if (f->flags & O_PATH) {
			r = -EBADF;
			goto out;
		}
		if ((f->flags & O_ACCMODE) == O_WRONLY) {
			r = -EACCES;
			goto out;
		}
		if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) && (f->flags & O_ACCMODE) != O_RDWR) {
			r = -EACCES;
			goto out;
		}
		if (S_ISCHR(f->inode->stx.stx_mode) && f->inode->stx.stx_rdev_major == 1 &&
		    f->inode->stx.stx_rdev_minor == 5) {
			/* /dev/zero maps as anonymous memory, as on Linux. */
			flags |= MAP_ANONYMOUS;
		} else {
			obj = f->ops->mmap ? f->ops->mmap(f) : NULL;
			if (!obj) {
				r = -ENODEV;
				goto out;
			}
		}
	}
	if (flags & MAP_ANONYMOUS)
		off = 0;
	r = mm_mmap(t->mm, addr, len, prot, flags, obj, off);
out:
	if (obj)
		mapping_obj_put(obj);
	if (f)
		file_put(f);
	return r;
}

SYSCALL(munmap) { return mm_munmap(t->mm, a[0], a[1]); }
SYSCALL(mprotect) { return mm_mprotect(t->mm, a[0], a[1], (int)a[2]); }
SYSCALL(mremap) { return mm_mremap(t->mm, a[0], a[1], a[2], (int)a[3], a[4]); }
SYSCALL(brk) { return mm_brk(t->mm, a[0]); }
SYSCALL(madvise) { return mm_madvise(t->mm, a[0], a[1], (int)a[2]); }
SYSCALL(msync) { return mm_msync(t->mm, a[0], a[1], (int)a[2]); }
SYSCALL(mincore) { return mm_mincore(t->mm, a[0], a[1], a[2]); }
