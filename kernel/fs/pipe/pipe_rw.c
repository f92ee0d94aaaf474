/* A pipe's data path, step for step Linux's pipe_read and pipe_write
 * (fs/pipe.c), so that what a program can observe (which writes are
 * atomic, how much fits, when POLLOUT comes back, what a fault leaves
 * behind) is the same. Data are copied straight between the application
 * and the pipe's pages under the pipe's lock; nothing here blocks. */
#include "kernel/fs/pipe/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

static uint8_t *page_ptr(uint64_t page)
{
	return memfile_ptr(sentry_memfile, page);
}

/* A page for a new slot: the spare, or a new one from the memory file,
 * which fails past the sandbox's memory limit. */
static int64_t page_get(struct pipe *p)
{
	int64_t page = p->spare;

	if (page >= 0) {
		p->spare = -1;
		return page;
	}
	return memfile_alloc(sentry_memfile, 1);
}

/* As Linux's file_accessed and file_update_time after a transfer. */
static void pipe_touch(struct inode *ino, bool wrote)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&ino->lock);
	if (wrote) {
		ino->stx.stx_mtime.tv_sec = ino->stx.stx_ctime.tv_sec = now.tv_sec;
		ino->stx.stx_mtime.tv_nsec = ino->stx.stx_ctime.tv_nsec = (uint32_t)now.tv_nsec;
	} else {
		ino->stx.stx_atime.tv_sec = now.tv_sec;
		ino->stx.stx_atime.tv_nsec = (uint32_t)now.tv_nsec;
	}
	pthread_mutex_unlock(&ino->lock);
}

/* Takes what there is, oldest slot first, up to it->count bytes; a packet
 * (O_DIRECT) is read alone, and what does not fit of it is dropped. A
 * fault leaves the slot it hit untouched. */
ssize_t pipe_read_iter(struct file *f, struct io_iter *it)
{
	struct pipe *p = f->inode->priv;
	ssize_t ret = 0;

	if (!it->count)
		return 0;
	pthread_mutex_lock(&p->lock);
	while (pipe_occupancy(p)) {
		struct pipe_buf *b = pipe_slot(p, p->tail);
		size_t chars = MIN((size_t)b->len, it->count);
		bool packet = b->flags & PIPE_BUF_PACKET;

		if (io_iter_copy_out(it, page_ptr(b->page) + b->off, chars) < chars) {
			if (!ret)
				ret = -EFAULT;
			goto out;
		}
		ret += (ssize_t)chars;
		b->off += (uint16_t)chars;
		b->len -= (uint16_t)chars;
		if (packet)
			b->len = 0;
		if (!b->len) {
			pipe_page_put(p, b->page);
			p->tail++;
		}
		if (packet || !it->count)
			goto out;
	}
	/* Empty: end of file once no writer is left; otherwise the caller
	 * waits, unless it has something already. */
	if (!ret && p->writers)
		ret = -EAGAIN;
out:
	pipe_sync(p);
	pthread_mutex_unlock(&p->lock);
	if (ret > 0)
		pipe_touch(f->inode, false);
	return ret;
}

/*
 * pipe_write_iter's work, p->lock held (splice writes with it held too).
 * At the start of a write, its part past the last whole page goes on the
 * end of the newest slot when it fits there; then every free slot takes
 * up to a page. So a write of up to PIPE_BUF bytes is atomic: it fits in
 * the newest slot, or in a free one, or it waits. Like Linux, a fault in
 * a new slot leaves that slot in the ring, empty (the next write may fill
 * it; a read drops it).
 */
ssize_t pipe_write_locked(struct pipe *p, struct io_iter *it, bool packet)
{
	size_t chars = it->count & (PAGE_SIZE - 1);
	ssize_t ret = 0;

	if (!p->readers)
		return -EPIPE;	/* the caller raises SIGPIPE */
	if (it->count == it->total && chars && pipe_occupancy(p)) {
		struct pipe_buf *b = pipe_slot(p, p->head - 1);
		size_t end = (size_t)b->off + b->len;

		if ((b->flags & PIPE_BUF_CAN_MERGE) && end + chars <= PAGE_SIZE) {
			if (io_iter_copy_in(it, page_ptr(b->page) + end, chars) < chars)
				return -EFAULT;
			b->len += (uint16_t)chars;
			ret = (ssize_t)chars;
			if (!it->count)
				return ret;
		}
	}
	while (pipe_occupancy(p) < p->ring_size) {
		int64_t page = page_get(p);
		struct pipe_buf *b;
		size_t n = MIN(PAGE_SIZE, it->count);

		if (page < 0)
			return ret ? ret : page;
		b = pipe_slot(p, p->head++);
		*b = (struct pipe_buf){ .page = (uint64_t)page, .flags = packet ? PIPE_BUF_PACKET : PIPE_BUF_CAN_MERGE };
		if (io_iter_copy_in(it, page_ptr(b->page), n) < n)
			return ret ? ret : -EFAULT;
		b->len = (uint16_t)n;
		ret += (ssize_t)n;
		if (!it->count)
			return ret;
	}
	return ret ? ret : -EAGAIN;
}

ssize_t pipe_write_iter(struct file *f, struct io_iter *it)
{
	struct pipe *p = f->inode->priv;
	ssize_t ret;

	if (!it->count)
		return 0;
	pthread_mutex_lock(&p->lock);
	ret = pipe_write_locked(p, it, __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_DIRECT);
	pipe_sync(p);
	pthread_mutex_unlock(&p->lock);
	if (ret > 0)
		pipe_touch(f->inode, true);
	return ret;
}

size_t pipe_peek_locked(struct pipe *p, void *buf, size_t len)
{
	size_t done = 0;

	for (uint32_t i = p->tail; i != p->head && done < len; i++) {
		const struct pipe_buf *b = pipe_slot(p, i);
		size_t n = MIN((size_t)b->len, len - done);

		memcpy((uint8_t *)buf + done, page_ptr(b->page) + b->off, n);
		done += n;
	}
	return done;
}

void pipe_consume_locked(struct pipe *p, size_t n)
{
	while (pipe_occupancy(p)) {
		struct pipe_buf *b = pipe_slot(p, p->tail);
		size_t k = MIN((size_t)b->len, n);

		b->off += (uint16_t)k;
		b->len -= (uint16_t)k;
		n -= k;
		if (b->len)
			break;
		pipe_page_put(p, b->page);
		p->tail++;
	}
}
