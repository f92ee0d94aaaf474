#include "kernel/task/task.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int fdt_grow(struct fdtable *fdt, int need);

struct fdtable *fdtable_new(void)
{
	struct fdtable *fdt = calloc(1, sizeof(*fdt));

	if (!fdt)
		return NULL;
	fdt->refs = 1;
	pthread_mutex_init(&fdt->lock, NULL);
	return fdt;
}

struct fdtable *fdtable_dup(struct fdtable *old)
{
	struct fdtable *fdt = fdtable_new();
	int size;

	if (!fdt)
		return NULL;
	pthread_mutex_lock(&old->lock);
	size = old->size;
	if (size && fdt_grow(fdt, size) < 0) {
		pthread_mutex_unlock(&old->lock);
		fdtable_put(fdt);
		return NULL;
	}
	/* fdt_grow rounds the same way, so the sizes match. An fd another
	 * process sharing old (CLONE_FILES) has reserved but not published
	 * is free in the copy, as Linux's dup_fd copies only open files. */
	for (int fd = 0; fd < size; fd++) {
		fdt->files[fd] = old->files[fd];
		fdt->cloexec[fd] = old->files[fd] ? old->cloexec[fd] & ~FD_RESERVED : 0;
		if (fdt->files[fd])
			file_get(fdt->files[fd]);
	}
	pthread_mutex_unlock(&old->lock);
	return fdt;
}

void fdtable_put(struct fdtable *fdt)
{
	if (!fdt || __atomic_sub_fetch(&fdt->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int i = 0; i < fdt->size; i++)
		if (fdt->files[i])
			file_put(fdt->files[i]);
	free(fdt->files);
	free(fdt->cloexec);
	pthread_mutex_destroy(&fdt->lock);
	free(fdt);
}

int task_nofile_limit(struct task *t)
{
	uint64_t lim = t->tg->rlimits[RLIMIT_NOFILE].rlim_cur;
	return lim > (1 << 20) ? 1 << 20 : (int)lim;
}

/*
 * Linux starts a table at 64 slots and grows it to 128, 256, 512... slots.
 * The size is visible to programs: select() ignores bits at or past it.
 * fdt->lock held.
 */
static int fdt_grow(struct fdtable *fdt, int need)
{
	int size = 64;
	struct file **files;
	uint8_t *ce;

	if (need > 64) {
		size = 128;
		while (size < need)
			size *= 2;
	}
	if (size <= fdt->size)
		return 0;
	files = realloc(fdt->files, sizeof(*files) * (size_t)size);
	if (!files)
		return -ENOMEM;
	fdt->files = files;
	ce = realloc(fdt->cloexec, (size_t)size);
	if (!ce)
		return -ENOMEM;
	fdt->cloexec = ce;
	memset(files + fdt->size, 0, sizeof(*files) * (size_t)(size - fdt->size));
	memset(ce + fdt->size, 0, (size_t)(size - fdt->size));
	fdt->size = size;
	return 0;
}

int fdtable_size(struct task *t)
{
	int size;

	pthread_mutex_lock(&t->fdt->lock);
	size = t->fdt->size < 64 ? 64 : t->fdt->size;
	pthread_mutex_unlock(&t->fdt->lock);
	return size;
}

/* The lowest fd >= min that is neither open nor reserved, the table
 * grown to hold it. fdt->lock held. */
static int fd_find_free(struct fdtable *fdt, int min, int limit)
{
	int fd;

	for (fd = min; fd < fdt->size && (fdt->files[fd] || (fdt->cloexec[fd] & FD_RESERVED)); fd++)
		;
	if (fd >= limit)
		return -EMFILE;
	if (fd >= fdt->size && fdt_grow(fdt, fd + 1) < 0)
		return -ENOMEM;
	return fd;
}

int fd_install(struct task *t, struct file *f, int min, bool cloexec)
{
	struct fdtable *fdt = t->fdt;
	int limit = task_nofile_limit(t), fd;

	if (min >= limit)
		return -EINVAL;
	pthread_mutex_lock(&fdt->lock);
	fd = fd_find_free(fdt, min, limit);
	if (fd >= 0) {
		fdt->files[fd] = f;
		fdt->cloexec[fd] = cloexec;
	}
	pthread_mutex_unlock(&fdt->lock);
	return fd;
}

int fd_reserve(struct task *t, int min)
{
	struct fdtable *fdt = t->fdt;
	int limit = task_nofile_limit(t), fd;

	if (min >= limit)
		return -EMFILE;
	pthread_mutex_lock(&fdt->lock);
	fd = fd_find_free(fdt, min, limit);
	if (fd >= 0)
		fdt->cloexec[fd] = FD_RESERVED;
	pthread_mutex_unlock(&fdt->lock);
	return fd;
}

void fd_publish(struct task *t, int fd, struct file *f, bool cloexec)
{
	struct fdtable *fdt = t->fdt;

	pthread_mutex_lock(&fdt->lock);
	fdt->files[fd] = f;
	fdt->cloexec[fd] = cloexec;
	pthread_mutex_unlock(&fdt->lock);
}

void fd_unreserve(struct task *t, int fd)
{
	struct fdtable *fdt = t->fdt;

	pthread_mutex_lock(&fdt->lock);
	fdt->cloexec[fd] = 0;
	pthread_mutex_unlock(&fdt->lock);
}

struct file *fd_get(struct task *t, int fd)
{
	return fdt_get_file(t->fdt, fd);
}

struct file *fdt_get_file(struct fdtable *fdt, int fd)
{
	struct file *f = NULL;

	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->size && fdt->files[fd]) {
		f = fdt->files[fd];
		file_get(f);
	}
	pthread_mutex_unlock(&fdt->lock);
	return f;
}

int fd_close(struct task *t, int fd)
{
	struct fdtable *fdt = t->fdt;
	struct file *f = NULL;

	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->size) {
		f = fdt->files[fd];
		fdt->files[fd] = NULL;
	}
	pthread_mutex_unlock(&fdt->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_replace(struct task *t, int newfd, struct file *f, bool cloexec)
{
	struct fdtable *fdt = t->fdt;
	struct file *old;

	if (newfd < 0 || newfd >= task_nofile_limit(t))
		return -EBADF;
	pthread_mutex_lock(&fdt->lock);
	if (newfd >= fdt->size && fdt_grow(fdt, newfd + 1) < 0) {
		pthread_mutex_unlock(&fdt->lock);
		return -ENOMEM;
	}
	/* Linux's answer for an fd another thread is opening (dup2 racing
	 * pipe2): it is neither free nor open. */
	if (!fdt->files[newfd] && (fdt->cloexec[newfd] & FD_RESERVED)) {
		pthread_mutex_unlock(&fdt->lock);
		return -EBUSY;
	}
	old = fdt->files[newfd];
	file_get(f);
	fdt->files[newfd] = f;
	fdt->cloexec[newfd] = cloexec;
	pthread_mutex_unlock(&fdt->lock);
	if (old)
		file_put(old);
	return newfd;
}

int fd_get_cloexec(struct task *t, int fd)
{
	struct fdtable *fdt = t->fdt;
	int r = -EBADF;

	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->size && fdt->files[fd])
		r = fdt->cloexec[fd];
	pthread_mutex_unlock(&fdt->lock);
	return r;
}

int fd_set_cloexec(struct task *t, int fd, bool on)
{
	struct fdtable *fdt = t->fdt;
	int r = -EBADF;

	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->size && fdt->files[fd]) {
		fdt->cloexec[fd] = on;
		r = 0;
	}
	pthread_mutex_unlock(&fdt->lock);
	return r;
}

void fd_close_on_exec(struct task *t)
{
	struct fdtable *fdt = t->fdt;

	for (int fd = 0; fd < fdt->size; fd++) {
		if (fdt->files[fd] && fdt->cloexec[fd])
			fd_close(t, fd);
	}
}
