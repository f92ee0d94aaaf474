#include "kernel/vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct file *file_alloc(struct inode *ino, int flags)
{
	struct file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->inode = ino;
	f->flags = flags;
	pthread_mutex_init(&f->pos_lock, NULL);
	return f;
}

int vfs_open(const struct path *p, int flags, struct file **out)
{
	struct inode *ino = p->d->inode;
	struct file *f;
	int err;

	if (!ino->ops->open)
		return -ENXIO;
	f = file_alloc(ino, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC));
	if (!f)
		return -ENOMEM;
	inode_get(ino);
	f->path = *p;
	path_get(p);
	err = ino->ops->open(ino, f);
	if (err < 0) {
		f->ops = NULL;
		file_put(f);
		return err;
	}
	*out = f;
	return 0;
}

struct file *file_new_anon(struct inode *ino, int flags, const struct file_ops *ops, void *priv)
{
	struct file *f = file_alloc(ino, flags);

	if (!f)
		return NULL;
	f->ops = ops;
	f->priv = priv;
	return f;
}

void file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->ops && f->ops->release)
		f->ops->release(f);
	path_put(&f->path);
	inode_put(f->inode);
	pthread_mutex_destroy(&f->pos_lock);
	free(f);
}

int64_t vfs_no_seek(struct file *f, int64_t off, int whence)
{
	return -ESPIPE;
}

int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence)
{
	struct statx stx;
	int64_t base;
	int err;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		err = inode_stat(f->inode, &stx);
		if (err < 0)
			return err;
		base = (int64_t)stx.stx_size;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		err = inode_stat(f->inode, &stx);
		if (err < 0)
			return err;
		if (off < 0 || (uint64_t)off >= stx.stx_size)
			return -ENXIO;
		/* No holes are tracked: all of the file is data. */
		return whence == SEEK_DATA ? off : (int64_t)stx.stx_size;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	return base + off;
}

size_t vfs_emit_dirent(void *buf, size_t len, uint64_t ino, int64_t off, unsigned type, const char *name)
{
	size_t nlen = strlen(name);
	size_t hdr = offsetof(struct linux_dirent64, d_name);
	size_t reclen = (hdr + nlen + 1 + 7) & ~(size_t)7;
	struct linux_dirent64 de;

	if (reclen > len)
		return 0;
	/* The header is built apart and copied: buf has no alignment the
	 * callers promise (a record may start anywhere in it). */
	memset(&de, 0, sizeof(de));
	de.d_ino = ino;
	de.d_off = off;
	de.d_reclen = (uint16_t)reclen;
	de.d_type = (uint8_t)type;
	memset(buf, 0, reclen);
	memcpy(buf, &de, hdr);
	memcpy((char *)buf + hdr, name, nlen);
	return reclen;
}
