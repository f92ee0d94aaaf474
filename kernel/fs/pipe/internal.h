/* What pipe.c, pipe_rw.c and pipe_state.c (checkpoint) share. */
#ifndef AMBER_FS_PIPE_INTERNAL_H
#define AMBER_FS_PIPE_INTERNAL_H

#include "kernel/fs/pipe/pipe.h"

#define PIPE_DEF_BUFFERS	16	/* a new pipe's slots: 64 KiB, as Linux's */

/* pipe_buf.flags, as Linux's PIPE_BUF_FLAG_*. */
#define PIPE_BUF_PACKET		0x1	/* written in packet mode (O_DIRECT): one read takes it, whole or cut */
#define PIPE_BUF_CAN_MERGE	0x2	/* a later write may append to it */

/* One slot of the ring: up to a page of data. Like Linux's, a slot holds
 * one page whatever its length, so capacity is counted in slots (pages),
 * not bytes: what F_GETPIPE_SZ, POLLOUT and F_SETPIPE_SZ's EBUSY show. */
struct pipe_buf {
	uint64_t page;		/* memory-file offset of its page (owned) */
	uint16_t off, len;	/* the data: [off, off + len) of the page */
	uint8_t flags;		/* PIPE_BUF_* */
};

/*
 * A pipe is the private data of its inode, which both ends' files hold a
 * reference to: the pipe lives until the last of them (or of an fstat in
 * flight) is gone. Its pages are memory-file pages, so they count against
 * the sandbox's memory limit (Linux charges them to the memory cgroup)
 * and a checkpoint carries them with the other pages.
 *
 * Tasks block only in task_wait, on host fds (DESIGN.md, "Safe points"),
 * so the pipe's state is mirrored, under its lock, in host eventfds that
 * a wait can poll:
 *
 *   level_fd  POLLIN while a read would not block (a slot in use, or no
 *             writer left: EOF), POLLOUT while a write would not block (a
 *             free slot, or no reader left: EPIPE). An eventfd is always
 *             readable or writable, and so is the pipe: an empty ring has
 *             free slots. The count says which: 0 writable only, 1 both,
 *             LEVEL_READ_ONLY readable only.
 *   closed_fd POLLIN while either end has no open file left; made on the
 *             first wait that asks for POLLHUP or POLLERR alone (a poll
 *             of a read end for no POLLIN), which level_fd cannot wait
 *             for without waking at every byte.
 */
struct pipe {
	pthread_mutex_t lock;		/* protects the rest, but what never changes */
	struct pipe_buf *bufs;		/* ring_size slots */
	uint32_t ring_size;		/* a power of two, up to PIPE_MAX_SIZE / PAGE_SIZE */
	uint32_t head, tail;		/* free-running: head - tail slots are in use,
					 * bufs[tail & (ring_size - 1)] the oldest */
	int64_t spare;			/* a free page kept for the next write, or -1 */
	int readers, writers;		/* open files of each end */
	int level_fd;			/* never changes */
	uint64_t level;			/* level_fd's count */
	int closed_fd;			/* -1 until made; then never changes */
	bool closed;			/* what closed_fd says (kept even before it is made) */
};

static inline uint32_t pipe_occupancy(const struct pipe *p)
{
	return p->head - p->tail;
}

static inline struct pipe_buf *pipe_slot(struct pipe *p, uint32_t n)
{
	return &p->bufs[n & (p->ring_size - 1)];
}

extern const struct file_ops pipe_read_ops, pipe_write_ops, pipe_rdwr_ops;

/* The ends' data path (pipe_rw.c): file_ops.read_iter and write_iter. */
ssize_t pipe_read_iter(struct file *f, struct io_iter *it);
ssize_t pipe_write_iter(struct file *f, struct io_iter *it);
/* For splice, p->lock held (the caller syncs the eventfds after):
 * pipe_write_locked is a write of it (packet: O_DIRECT), whole when it
 * fits in the free slots; pipe_peek_locked copies up to len of the
 * oldest bytes to buf, returning how many; pipe_consume_locked drops the
 * n oldest bytes (n <= what peek gave). */
ssize_t pipe_write_locked(struct pipe *p, struct io_iter *it, bool packet);
size_t pipe_peek_locked(struct pipe *p, void *buf, size_t len);
void pipe_consume_locked(struct pipe *p, size_t n);

/* A new pipe inode (one reference) with no open end, no data and the
 * default capacity, owned by uid and gid; ino 0 takes the next inode
 * number. Returns 0 or -errno. */
int pipe_inode_new(uint32_t uid, uint32_t gid, uint64_t ino, struct inode **out);
/* A new file for one end of the pipe of ino, whose reference it takes
 * over (and keeps on failure: NULL means -ENOMEM). flags' access mode
 * says which end: O_RDONLY, O_WRONLY, or O_RDWR for both. */
struct file *pipe_open_end(struct inode *ino, int flags);
/* Brings the eventfds in line with the pipe after any change to its
 * slots, capacity or ends. p->lock held. */
void pipe_sync(struct pipe *p);
/* Gives back a slot's page: kept as the spare when there is none. p->lock
 * held. */
void pipe_page_put(struct pipe *p, uint64_t page);
/* Sets the ring's size (a power of two holding the slots in use). p->lock
 * held. Returns 0 or -ENOMEM. */
int pipe_resize_ring(struct pipe *p, uint32_t slots);
/* After a restore: later pipes get inode numbers above ino. */
void pipe_ino_seen(uint64_t ino);

#endif
