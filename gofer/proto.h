/* The gofer wire format, private to gofer/.
 *
 * Every message, request or reply, is a fixed struct gofer_hdr followed by
 * hdr.len payload bytes. Both ends run from the same binary on the same
 * host, so integers are in host byte order and struct statx and struct
 * statfs travel as the host lays them out. There is one request in flight
 * per socket (the client's mutex), so a reply needs no tag: it is the
 * answer to the last request, and carries the request's op as a
 * consistency check.
 *
 * Requests (hdr.result = 0):
 *   GOFER_OP_STAT       payload: path
 *   GOFER_OP_OPEN       payload: struct gofer_open_req, then path
 *   GOFER_OP_READLINK   payload: struct gofer_readlink_req, then path
 *   GOFER_OP_STATFS     payload: path
 *   GOFER_OP_GETXATTR   payload: struct gofer_getxattr_req, then name_len
 *                       bytes of attribute name, then path
 *   GOFER_OP_LISTXATTR  payload: struct gofer_listxattr_req, then path
 *   GOFER_OP_MKDIR      payload: struct gofer_mkdir_req, then path
 *   GOFER_OP_SYMLINK    payload: struct gofer_path2_req, then len1 bytes of
 *                       target, then the new link's path
 *   GOFER_OP_LINK       payload: struct gofer_path2_req, then len1 bytes of
 *                       the existing path, then the new path
 *   GOFER_OP_UNLINK     payload: struct gofer_unlink_req, then path
 *   GOFER_OP_RENAME     payload: struct gofer_path2_req (flags: RENAME_*),
 *                       then len1 bytes of the old path, then the new path
 *   GOFER_OP_SETATTR    payload: struct gofer_setattr_req, then path
 * A path is sent without its NUL, must not contain one, and is shorter than
 * PATH_MAX; length 0 names the root. An attribute name likewise, with
 * 1 to XATTR_NAME_MAX bytes; a symlink target likewise, with 0 (which the
 * gofer answers with -ENOENT, as symlink(2) does) to GOFER_PATH_MAX bytes.
 *
 * Replies:
 *   failure             result = -errno, len = 0, no fd
 *   GOFER_OP_STAT       result = 0, payload: struct statx
 *   GOFER_OP_OPEN       result = 0, payload: struct statx, and exactly one fd
 *                       passed with SCM_RIGHTS in the same sendmsg
 *   GOFER_OP_READLINK   result = target length = len, payload: the target
 *   GOFER_OP_STATFS     result = 0, payload: struct statfs
 *   GOFER_OP_GETXATTR,  with size 0: result = the size a buffer needs
 *   GOFER_OP_LISTXATTR  (<= XATTR_SIZE_MAX or XATTR_LIST_MAX), len = 0;
 *                       otherwise result = len <= size, payload: the value,
 *                       or the names, each ending in a NUL
 *   GOFER_OP_MKDIR,     result = 0, payload: struct statx of the new (or,
 *   GOFER_OP_SYMLINK,   for setattr, the changed) file
 *   GOFER_OP_LINK,
 *   GOFER_OP_SETATTR
 *   GOFER_OP_UNLINK,    result = 0, len = 0
 *   GOFER_OP_RENAME
 *
 * Every length is checked before anything is read: a request's against
 * GOFER_MAX_REQ_PAYLOAD, a reply's against GOFER_MAX_REPLY_PAYLOAD and what
 * the request asked for. Payloads land in fixed buffers: a bad length is a
 * protocol error (-EPROTO), never an allocation. */
#ifndef AMBER_GOFER_PROTO_H
#define AMBER_GOFER_PROTO_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/limits.h>	/* XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_LIST_MAX */
#include <linux/stat.h>
#include <sys/statfs.h>

enum gofer_op {
	GOFER_OP_STAT = 1,
	GOFER_OP_OPEN = 2,
	GOFER_OP_READLINK = 3,
	GOFER_OP_STATFS = 4,
	GOFER_OP_GETXATTR = 5,
	GOFER_OP_LISTXATTR = 6,
	GOFER_OP_MKDIR = 7,
	GOFER_OP_SYMLINK = 8,
	GOFER_OP_LINK = 9,
	GOFER_OP_UNLINK = 10,
	GOFER_OP_RENAME = 11,
	GOFER_OP_SETATTR = 12,
};

struct gofer_hdr {
	uint32_t op;		/* enum gofer_op */
	uint32_t len;		/* payload bytes after the header */
	int32_t result;		/* replies: >= 0 or -errno; requests: 0 */
	uint32_t reserved;	/* 0; room to grow without changing the size */
};

struct gofer_open_req {
	uint32_t flags;		/* host O_* flags, see gofer_open() */
	uint32_t mode;		/* only with O_CREAT */
};

struct gofer_readlink_req {
	uint32_t size;		/* the caller's buffer; the reply is no longer */
	uint32_t reserved;	/* 0 */
};

struct gofer_getxattr_req {
	uint32_t size;		/* the caller's buffer, <= XATTR_SIZE_MAX; 0 asks for the size */
	uint32_t name_len;	/* bytes of name after this struct, 1..XATTR_NAME_MAX */
};

struct gofer_listxattr_req {
	uint32_t size;		/* the caller's buffer, <= XATTR_LIST_MAX; 0 asks for the size */
	uint32_t reserved;	/* 0 */
};

struct gofer_mkdir_req {
	uint32_t mode;		/* permission bits and S_ISVTX, the app's umask applied */
	uint32_t reserved;	/* 0 */
};

/* The fixed part of a request naming two paths: symlink, link, rename. */
struct gofer_path2_req {
	uint32_t len1;		/* bytes of the first path (or target), <= GOFER_PATH_MAX */
	uint32_t flags;		/* rename: RENAME_NOREPLACE, RENAME_EXCHANGE; others: 0 */
};

struct gofer_unlink_req {
	uint32_t flags;		/* 0 or AT_REMOVEDIR */
	uint32_t reserved;	/* 0 */
};

/* struct gofer_setattr in fixed-size fields; see gofer_setattr(). */
struct gofer_setattr_req {
	uint32_t mask;		/* GOFER_SETATTR_* */
	uint32_t mode;
	uint32_t uid;		/* (uint32_t)-1: unchanged */
	uint32_t gid;
	int64_t size;
	int64_t atime_sec;
	int64_t atime_nsec;	/* or UTIME_NOW, UTIME_OMIT */
	int64_t mtime_sec;
	int64_t mtime_nsec;
};

/* The longest part of a request before its (last) path: a fixed struct,
 * and for getxattr the attribute name, for symlink, link and rename the
 * first path. */
#define GOFER_PATH_MAX		(PATH_MAX - 1)	/* bytes, without the NUL */
#define GOFER_FIXED_MAX		(16 + GOFER_PATH_MAX)

/* The largest payload each side accepts. A request is a fixed part (up to
 * a path itself) and a path; a reply is a statx, a statfs, a symlink target, or an attribute
 * value or name list, the last two being the largest. */
#define GOFER_MAX_REQ_PAYLOAD	(GOFER_FIXED_MAX + GOFER_PATH_MAX)
#define GOFER_MAX_REPLY_PAYLOAD	XATTR_SIZE_MAX

_Static_assert(sizeof(struct gofer_hdr) == 16, "wire header size");
_Static_assert(sizeof(struct gofer_open_req) <= GOFER_FIXED_MAX, "open request fits");
_Static_assert(sizeof(struct gofer_readlink_req) <= GOFER_FIXED_MAX, "readlink request fits");
_Static_assert(sizeof(struct gofer_listxattr_req) <= GOFER_FIXED_MAX, "listxattr request fits");
_Static_assert(sizeof(struct gofer_getxattr_req) + XATTR_NAME_MAX <= GOFER_FIXED_MAX,
	       "getxattr request and name fit");
_Static_assert(sizeof(struct gofer_mkdir_req) <= GOFER_FIXED_MAX, "mkdir request fits");
_Static_assert(sizeof(struct gofer_unlink_req) <= GOFER_FIXED_MAX, "unlink request fits");
_Static_assert(sizeof(struct gofer_setattr_req) == 56, "setattr request has no padding");
_Static_assert(sizeof(struct gofer_path2_req) + GOFER_PATH_MAX <= GOFER_FIXED_MAX,
	       "a request's first path fits");
_Static_assert(sizeof(struct statx) <= GOFER_MAX_REPLY_PAYLOAD, "statx fits a reply");
_Static_assert(sizeof(struct statfs) <= GOFER_MAX_REPLY_PAYLOAD, "statfs fits a reply");
_Static_assert(GOFER_PATH_MAX <= GOFER_MAX_REPLY_PAYLOAD, "a symlink target fits a reply");
_Static_assert(XATTR_LIST_MAX <= GOFER_MAX_REPLY_PAYLOAD, "a name list fits a reply");
_Static_assert(GOFER_MAX_REPLY_PAYLOAD <= INT32_MAX, "a reply length fits the result");

/* An errno a reply may carry: anything else is a protocol error. */
#define GOFER_MAX_ERRNO		4095

/* Sends hdr and len bytes of payload as one message, with fd (if >= 0,
 * borrowed) attached by SCM_RIGHTS to the first byte. Retries EINTR and
 * short sends; on a short send the fd has already gone with the first
 * part, so only the rest of the bytes follow. MSG_NOSIGNAL turns a closed
 * peer into -EPIPE instead of killing the process.
 * Returns 0 or -errno. */
static inline int gofer_wire_send(int sock, const struct gofer_hdr *hdr,
				  const void *payload, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = sizeof(*hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}

	while (msg.msg_iovlen > 0) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		while (n > 0 && msg.msg_iovlen > 0) {
			size_t take = (size_t)n < msg.msg_iov->iov_len ? (size_t)n : msg.msg_iov->iov_len;
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + take;
			msg.msg_iov->iov_len -= take;
			n -= (ssize_t)take;
			if (msg.msg_iov->iov_len == 0) {
				msg.msg_iov++;
				msg.msg_iovlen--;
			}
		}
	}
	return 0;
}

/* Most fds one reply may carry before it is refused; room for more than the
 * protocol ever sends, so a peer sending extras is seen and they are closed
 * here rather than silently truncated. */
#define GOFER_MAX_FDS 4

/* Reads exactly len bytes into buf, retrying EINTR and short reads.
 * If fds is not NULL, descriptors that arrive with the bytes are received
 * with MSG_CMSG_CLOEXEC and stored in fds[*nfds] (owned by the caller, who
 * must close them); descriptors beyond GOFER_MAX_FDS, or a truncated control
 * message, are closed and reported as -EPROTO. If fds is NULL, no control
 * buffer is given, and the kernel discards any descriptors sent.
 * Returns the bytes read, less than len only at EOF, or -errno. */
static inline ssize_t gofer_wire_recv(int sock, void *buf, size_t len,
				      int *fds, unsigned int *nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * GOFER_MAX_FDS)];
	} ctl;
	size_t got = 0;
	int err = 0;

	while (got < len) {
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (fds) {
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
		}
		ssize_t n = recvmsg(sock, &msg, fds ? MSG_CMSG_CLOEXEC : 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err ? err : -errno;
		}
		if (fds && msg.msg_controllen > 0) {
			for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
				if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
					continue;
				size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < count; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
					if (*nfds < GOFER_MAX_FDS) {
						fds[(*nfds)++] = fd;
					} else {
						close(fd);
						err = -EPROTO;
					}
				}
			}
		}
		if (fds && (msg.msg_flags & MSG_CTRUNC))
			err = -EPROTO;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return err ? err : (ssize_t)got;
}

#endif
