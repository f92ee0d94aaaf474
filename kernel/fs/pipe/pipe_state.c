/* Pipes in a checkpoint image. A pipe is saved once, with the first of
 * its ends met (Kernel.pipes); each end is a File naming it. Its slots'
 * pages are memory-file pages, which the image's pages file carries like
 * any other: the pipe record holds their offsets and what of each page is
 * data, so a restored pipe has the same slots, with the same room left in
 * each, and the same capacity, inode number, mode, owner and times. Its
 * readers and writers are the restored ends, so an end closed before the
 * checkpoint stays closed (EOF, EPIPE). The spare page is not saved. */
#include "kernel/state/state.h"
#include "kernel/fs/pipe/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#define END_READ	1
#define END_WRITE	2
#define END_BOTH	3	/* O_RDWR, opened through /proc/PID/fd/N */
#define BUF_FLAGS	(PIPE_BUF_PACKET | PIPE_BUF_CAN_MERGE)

static int save_pipe(struct save_ctx *c, struct inode *ino, uint64_t id)
{
	struct pipe *p = ino->priv;
	Amber__Kernel__Pipe *pb = save_alloc(c, sizeof(*pb));
	struct statx stx;
	int err;

	if (!pb)
		return -ENOMEM;
	amber__kernel__pipe__init(pb);
	err = inode_stat(ino, &stx);
	if (err < 0)
		return err;
	pb->id = id;
	pb->ino = stx.stx_ino;
	pb->mode = stx.stx_mode;
	pb->uid = stx.stx_uid;
	pb->gid = stx.stx_gid;
	pb->atime_sec = stx.stx_atime.tv_sec;
	pb->atime_nsec = stx.stx_atime.tv_nsec;
	pb->mtime_sec = stx.stx_mtime.tv_sec;
	pb->mtime_nsec = stx.stx_mtime.tv_nsec;
	pb->ctime_sec = stx.stx_ctime.tv_sec;
	pb->ctime_nsec = stx.stx_ctime.tv_nsec;
	pthread_mutex_lock(&p->lock);
	pb->slots = p->ring_size;
	for (uint32_t i = p->tail; i != p->head && err == 0; i++) {
		const struct pipe_buf *b = pipe_slot(p, i);
		Amber__Kernel__PipeBuffer *bb = save_alloc(c, sizeof(*bb));

		if (!bb) {
			err = -ENOMEM;
			break;
		}
		amber__kernel__pipe_buffer__init(bb);
		bb->page = b->page;
		bb->offset = b->off;
		bb->len = b->len;
		bb->flags = b->flags;
		err = save_add_page(c, b->page >> PAGE_SHIFT);
		if (err == 0)
			err = save_push(c, (void ***)&pb->buffers, &pb->n_buffers, bb);
	}
	pthread_mutex_unlock(&p->lock);
	return err < 0 ? err : save_push(c, (void ***)&c->k->pipes, &c->k->n_pipes, pb);
}

int pipe_file_save(struct save_ctx *c, struct file *f, Amber__Kernel__File *pb)
{
	bool added;
	uint64_t id = idmap_get(&c->pipes, f->inode, &added);
	int err;

	if (!id)
		return -ENOMEM;
	if (added) {
		err = save_pipe(c, f->inode, id);
		if (err < 0)
			return err;
	}
	pb->pipe_id = id;
	pb->pipe_end = f->ops == &pipe_write_ops ? END_WRITE : f->ops == &pipe_rdwr_ops ? END_BOTH : END_READ;
	return 0;
}

static int bad(struct load_ctx *c, uint64_t id, const char *what)
{
	snprintf(c->err, sizeof(c->err), "kernel.pb: pipe %lu: %s", (unsigned long)id, what);
	return -EINVAL;
}

/* Fills the new pipe p from pb, every length and page checked. */
static int load_ring(struct load_ctx *c, const Amber__Kernel__Pipe *pb, struct pipe *p)
{
	int err;

	if (pb->slots == 0 || pb->slots > PIPE_MAX_SIZE / PAGE_SIZE || (pb->slots & (pb->slots - 1)))
		return bad(c, pb->id, "a bad capacity");
	if (pb->n_buffers > pb->slots)
		return bad(c, pb->id, "more buffers than slots");
	for (size_t i = 0; i < pb->n_buffers; i++) {
		const Amber__Kernel__PipeBuffer *b = pb->buffers[i];

		if (b->page % PAGE_SIZE || (b->page >> PAGE_SHIFT) >= c->k->memfile_pages)
			return bad(c, pb->id, "a buffer outside the memory file");
		if (b->offset > PAGE_SIZE || b->len > PAGE_SIZE - b->offset || (b->flags & ~BUF_FLAGS))
			return bad(c, pb->id, "a bad buffer");
	}
	pthread_mutex_lock(&p->lock);
	err = pipe_resize_ring(p, pb->slots);
	for (size_t i = 0; i < pb->n_buffers && err == 0; i++) {
		const Amber__Kernel__PipeBuffer *b = pb->buffers[i];

		*pipe_slot(p, p->head++) = (struct pipe_buf){ .page = b->page, .off = (uint16_t)b->offset,
							      .len = (uint16_t)b->len, .flags = (uint8_t)b->flags };
		err = load_add_page(c, b->page >> PAGE_SHIFT);
	}
	pipe_sync(p);
	pthread_mutex_unlock(&p->lock);
	return err;
}

/* The restored inode of pipe id, made once. */
static int pipe_inode(struct load_ctx *c, uint64_t id, struct inode **out)
{
	const Amber__Kernel__Pipe *pb;
	struct inode *ino;
	int err;

	if (!id || id > c->k->n_pipes)
		return bad(c, id, "no such pipe");
	if (c->pipes[id - 1]) {
		*out = c->pipes[id - 1];
		return 0;
	}
	pb = c->k->pipes[id - 1];
	if (!S_ISFIFO(pb->mode))
		return bad(c, id, "not a FIFO");
	err = pipe_inode_new(pb->uid, pb->gid, pb->ino, &ino);
	if (err < 0)
		return err;
	/* Kept by the table even on failure: its ring may hold pages whose
	 * references are not counted yet (kernel_load). */
	c->pipes[id - 1] = ino;
	err = load_ring(c, pb, ino->priv);
	if (err < 0)
		return err;
	pipe_ino_seen(pb->ino);
	ino->stx.stx_mode = (uint16_t)(S_IFIFO | (pb->mode & 07777));
	ino->stx.stx_atime.tv_sec = pb->atime_sec;
	ino->stx.stx_atime.tv_nsec = pb->atime_nsec;
	ino->stx.stx_mtime.tv_sec = pb->mtime_sec;
	ino->stx.stx_mtime.tv_nsec = pb->mtime_nsec;
	ino->stx.stx_ctime.tv_sec = pb->ctime_sec;
	ino->stx.stx_ctime.tv_nsec = pb->ctime_nsec;
	*out = ino;
	return 0;
}

int pipe_file_load(struct load_ctx *c, const Amber__Kernel__File *pb, struct file **out)
{
	static const int acc[] = { [END_READ] = O_RDONLY, [END_WRITE] = O_WRONLY, [END_BOTH] = O_RDWR };
	struct inode *ino;
	int err;

	if (pb->pipe_end < END_READ || pb->pipe_end > END_BOTH || (pb->flags & O_ACCMODE) != acc[pb->pipe_end])
		return bad(c, pb->pipe_id, "an end that is not what its access mode says");
	/* What pipe2, open through /proc and F_SETFL can set. */
	if (pb->flags & ~(O_ACCMODE | O_NONBLOCK | O_DIRECT | O_APPEND | O_ASYNC | O_NOATIME | LINUX_O_LARGEFILE))
		return bad(c, pb->pipe_id, "an end with bad flags");
	err = pipe_inode(c, pb->pipe_id, &ino);
	if (err < 0)
		return err;
	inode_get(ino);
	*out = pipe_open_end(ino, pb->flags);
	if (!*out) {
		inode_put(ino);
		return -ENOMEM;
	}
	return 0;
}
