/* Iterators over the application's buffers of one read or write, for
 * files that copy straight to and from them (file_ops.read_iter and
 * write_iter). Every byte goes through the checked copy_in/copy_out path. */
#include "kernel/vfs/vfs.h"

#include <string.h>

void io_iter_init(struct io_iter *it, struct mm *mm, const struct linux_iovec *iov, size_t nseg, size_t max)
{
	size_t total = 0;

	for (size_t i = 0; i < nseg && total < max; i++)
		total += MIN(iov[i].iov_len, max - total);
	*it = (struct io_iter){ .mm = mm, .iov = iov, .nseg = nseg, .total = total, .count = total };
}

void io_iter_init_kernel(struct io_iter *it, void *buf, size_t len)
{
	*it = (struct io_iter){ .kbuf = buf, .total = len, .count = len };
}

/* Copies up to len bytes at the iterator in either direction; stops at
 * the first inaccessible byte. */
static size_t iter_copy(struct io_iter *it, void *kbuf, size_t len, bool out)
{
	size_t done = 0;

	len = MIN(len, it->count);
	if (it->kbuf) {
		uint8_t *at = it->kbuf + (it->total - it->count);

		if (out)
			memcpy(at, kbuf, len);
		else
			memcpy(kbuf, at, len);
		it->count -= len;
		return len;
	}
	while (done < len) {
		const struct linux_iovec *v = &it->iov[it->seg];
		size_t n = MIN(len - done, v->iov_len - it->seg_off);
		uaddr_t u = v->iov_base + it->seg_off;
		ssize_t c = 0;

		if (n)
			c = out ? copy_out_partial(it->mm, u, (const uint8_t *)kbuf + done, n) :
				  copy_in_partial(it->mm, (uint8_t *)kbuf + done, u, n);
		if (c < 0)
			c = 0;
		done += (size_t)c;
		it->seg_off += (size_t)c;
		it->count -= (size_t)c;
		if ((size_t)c < n) {
			it->fault = true;
			break;
		}
		if (it->seg_off == v->iov_len) {
			it->seg++;
			it->seg_off = 0;
		}
	}
	return done;
}

size_t io_iter_copy_in(struct io_iter *it, void *dst, size_t len)
{
	return iter_copy(it, dst, len, false);
}

size_t io_iter_copy_out(struct io_iter *it, const void *src, size_t len)
{
	return iter_copy(it, (void *)src, len, true);
}
