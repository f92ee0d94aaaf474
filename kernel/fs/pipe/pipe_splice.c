/* The pipe's side of splice(2) and tee(2). Data are copied through a
 * sentry buffer, not moved by page as Linux's are, but what a program
 * sees is the same: a splice out of a pipe consumes only what the other
 * file took, one into a pipe reads only what fits, and one between pipes
 * moves (tee: copies) what is there into what room there is. Like
 * Linux's, each holds the pipe's lock while it reads or writes the other
 * file; between two pipes both locks, taken in address order. Nothing
 * here blocks. */
#include "kernel/fs/pipe/internal.h"

#include <errno.h>
#include <fcntl.h>

#define SPLICE_CHUNK (64 * 1024)

/* Each call's bounce buffer is on its own stack (aligned for the files'
 * read and write ops), not in thread-local storage, which glibc zeroes
 * whole for every new host thread: a fork's and a clone's cost. */
#define SPLICE_BUF(name) uint8_t name[SPLICE_CHUNK] __attribute__((aligned(8)))

/* Room for a splice: whole free slots, as Linux's splice into a pipe
 * fills new buffers only. */
static size_t room(const struct pipe *p)
{
	return (size_t)(p->ring_size - pipe_occupancy(p)) * PAGE_SIZE;
}

/* Appends len bytes of buf (len <= room(p)): they all fit. */
static void append(struct pipe *p, const uint8_t *buf, size_t len)
{
	struct io_iter it;

	io_iter_init_kernel(&it, (void *)buf, len);
	while (it.count && pipe_write_locked(p, &it, false) > 0)
		;
}

ssize_t pipe_splice_out(struct file *in, size_t len, ssize_t (*sink)(void *arg, const void *buf, size_t len), void *arg,
			enum splice_side *blocked)
{
	struct pipe *p = in->inode->priv;
	SPLICE_BUF(splice_buf);
	ssize_t r;
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = pipe_peek_locked(p, splice_buf, MIN(len, (size_t)SPLICE_CHUNK));
	if (!pipe_occupancy(p)) {
		r = p->writers ? -EAGAIN : 0;
		*blocked = SPLICE_IN;
	} else if (!n) {
		/* Only the empty slots a fault left: a read drops them. */
		pipe_consume_locked(p, 0);
		r = p->writers ? -EAGAIN : 0;
		*blocked = SPLICE_IN;
	} else {
		r = sink(arg, splice_buf, n);
		*blocked = SPLICE_OUT;
		if (r > 0)
			pipe_consume_locked(p, (size_t)r);
	}
	pipe_sync(p);
	pthread_mutex_unlock(&p->lock);
	return r;
}

ssize_t pipe_splice_in(struct file *out, size_t len, ssize_t (*source)(void *arg, void *buf, size_t len), void *arg,
		       enum splice_side *blocked)
{
	struct pipe *p = out->inode->priv;
	SPLICE_BUF(splice_buf);
	ssize_t r;
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = MIN(MIN(len, (size_t)SPLICE_CHUNK), room(p));
	*blocked = SPLICE_OUT;
	if (!p->readers) {
		r = -EPIPE;
	} else if (!n) {
		r = -EAGAIN;
	} else {
		r = source(arg, splice_buf, n);
		*blocked = SPLICE_IN;
		if (r > 0)
			append(p, splice_buf, (size_t)r);
	}
	pipe_sync(p);
	pthread_mutex_unlock(&p->lock);
	return r;
}

ssize_t pipe_splice_pipe(struct file *in, struct file *out, size_t len, bool consume, enum splice_side *blocked)
{
	struct pipe *a = in->inode->priv, *b = out->inode->priv;
	SPLICE_BUF(splice_buf);
	ssize_t r;
	size_t n;

	bool a_first = (uintptr_t)a < (uintptr_t)b;

	if (a == b)
		return -EINVAL;
	pthread_mutex_lock(a_first ? &a->lock : &b->lock);
	pthread_mutex_lock(a_first ? &b->lock : &a->lock);
	n = pipe_peek_locked(a, splice_buf, MIN(MIN(len, (size_t)SPLICE_CHUNK), room(b)));
	if (!b->readers) {
		r = -EPIPE;
		*blocked = SPLICE_OUT;
	} else if (!pipe_occupancy(a) || (!n && room(b))) {
		/* Empty slots a fault left go, for tee too: waiting on a
		 * ring that only holds them would never sleep. */
		pipe_consume_locked(a, 0);
		r = a->writers ? -EAGAIN : 0;
		*blocked = SPLICE_IN;
	} else if (!n) {
		r = -EAGAIN;
		*blocked = SPLICE_OUT;
	} else {
		append(b, splice_buf, n);
		if (consume)
			pipe_consume_locked(a, n);
		r = (ssize_t)n;
	}
	pipe_sync(a);
	pipe_sync(b);
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_unlock(&b->lock);
	return r;
}

ssize_t pipe_vmsplice(struct file *f, struct io_iter *it)
{
	struct pipe *p = f->inode->priv;
	ssize_t r = 0;

	pthread_mutex_lock(&p->lock);
	if (!p->readers)
		r = -EPIPE;
	while (r >= 0 && it->count && pipe_occupancy(p) < p->ring_size) {
		const struct linux_iovec *v = &it->iov[it->seg];
		uaddr_t at = v->iov_base + it->seg_off;
		size_t n = MIN(MIN(v->iov_len - it->seg_off, it->count), PAGE_SIZE - (at & ~PAGE_MASK));
		struct pipe_buf *b;
		int64_t page;

		if (!n) {
			it->seg++;
			it->seg_off = 0;
			continue;
		}
		page = p->spare >= 0 ? p->spare : memfile_alloc(sentry_memfile, 1);
		if (page < 0) {
			r = r ? r : page;
			break;
		}
		p->spare = -1;
		if (io_iter_copy_in(it, memfile_ptr(sentry_memfile, (uint64_t)page), n) < n) {
			pipe_page_put(p, (uint64_t)page);
			r = r ? r : -EFAULT;
			break;
		}
		b = pipe_slot(p, p->head++);
		*b = (struct pipe_buf){ .page = (uint64_t)page, .len = (uint16_t)n };
		r += (ssize_t)n;
	}
	if (r == 0 && it->count)
		r = -EAGAIN;
	pipe_sync(p);
	pthread_mutex_unlock(&p->lock);
	return r;
}
