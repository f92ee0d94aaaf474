/* The gofer server: answers one client's requests on a unix stream socket,
 * opening host files only beneath the served root. Each request is decoded
 * into fixed buffers after its lengths are checked, so nothing the socket
 * says can make the server allocate or overrun. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gofer/gofer.h"
#include "gofer/proto.h"

#include "kernel/lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

/* The sentry resolves symlinks and ".." itself; the gofer must never do it
 * for it, or a symlink inside the container could lead outside. */
#define GOFER_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)

/* Flags a client may ask for (gofer.h); anything else is -EINVAL rather than
 * passed on, so a new flag is a decision, not an accident. */
#define GOFER_OPEN_ALLOWED (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | \
			    O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_LARGEFILE)
#define GOFER_OPEN_WRITES (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)

/* openat2 may fail with EAGAIN when it cannot rule out a racing rename that
 * would let ".." escape; the man page says to retry, but a bounded number of
 * times so that a rename storm cannot stall the gofer. */
#define GOFER_OPENAT2_TRIES 8

/* A decoded request. The path is NUL-terminated; "" has become ".". */
struct gofer_req {
	struct gofer_hdr hdr;
	unsigned char payload[GOFER_MAX_PAYLOAD];
	char path[PATH_MAX];
};

static int gofer_openat2(int root_fd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(unsigned int)flags,
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = GOFER_RESOLVE,
	};
	int tries = 0;

	for (;;) {
		long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno == EINTR || (errno == EAGAIN && ++tries < GOFER_OPENAT2_TRIES))
			continue;
		return -errno;
	}
}

static int gofer_fd_statx(int fd, struct statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
		  STATX_BASIC_STATS | STATX_BTIME, stx) < 0)
		return -errno;
	return 0;
}

static int gofer_reply(int sock, uint32_t op, int32_t result, const void *payload,
		       size_t len, int fd)
{
	struct gofer_hdr hdr = { .op = op, .len = (uint32_t)len, .result = result };

	return gofer_wire_send(sock, &hdr, payload, len, fd);
}

/* Takes the path from the payload after its fixed part of fixed_len bytes.
 * A path that is too long or holds a NUL is malformed: the client checks
 * both before sending, so only a bug or a corrupt stream produces one. */
static int gofer_decode_path(struct gofer_req *req, size_t fixed_len)
{
	size_t len;

	if (req->hdr.len < fixed_len)
		return -EPROTO;
	len = req->hdr.len - fixed_len;
	if (len > GOFER_PATH_MAX || memchr(req->payload + fixed_len, '\0', len))
		return -EPROTO;
	if (len == 0) {
		strcpy(req->path, ".");
		return 0;
	}
	memcpy(req->path, req->payload + fixed_len, len);
	req->path[len] = '\0';
	return 0;
}

/* stat returns the symlink itself: O_PATH|O_NOFOLLOW is the one way
 * RESOLVE_NO_SYMLINKS lets a final symlink through. */
static int gofer_do_stat(int sock, int root_fd, struct gofer_req *req)
{
	struct statx stx;
	int fd, ret;

	ret = gofer_decode_path(req, 0);
	if (ret < 0)
		return ret;
	fd = gofer_openat2(root_fd, req->path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return gofer_reply(sock, GOFER_OP_STAT, fd, NULL, 0, -1);
	ret = gofer_fd_statx(fd, &stx);
	close(fd);
	if (ret < 0)
		return gofer_reply(sock, GOFER_OP_STAT, ret, NULL, 0, -1);
	return gofer_reply(sock, GOFER_OP_STAT, 0, &stx, sizeof(stx), -1);
}

static int gofer_open_check(uint32_t flags, bool readonly)
{
	if (flags & ~(uint32_t)GOFER_OPEN_ALLOWED)
		return -EINVAL;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	/* Stricter than a read-only mount, where O_CREAT of an existing file
	 * succeeds: the sentry's overlay decides that, not the gofer. */
	if (readonly && (flags & GOFER_OPEN_WRITES))
		return -EROFS;
	return 0;
}

/* Opens with O_NONBLOCK|O_NOCTTY whatever was asked, so that a FIFO or a
 * terminal in the root can neither block the gofer (which serves one
 * request at a time) nor become its controlling terminal; anything but a
 * regular file or a directory is then refused, because the sentry
 * implements FIFOs, sockets and devices itself. */
static int gofer_do_open(int sock, int root_fd, bool readonly, struct gofer_req *req)
{
	struct gofer_open_req oreq;
	struct statx stx;
	int fd, ret;

	ret = gofer_decode_path(req, sizeof(oreq));
	if (ret < 0)
		return ret;
	memcpy(&oreq, req->payload, sizeof(oreq));

	ret = gofer_open_check(oreq.flags, readonly);
	if (ret < 0)
		return gofer_reply(sock, GOFER_OP_OPEN, ret, NULL, 0, -1);
	fd = gofer_openat2(root_fd, req->path,
			   (int)oreq.flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
			   oreq.mode & 07777);
	if (fd < 0)
		return gofer_reply(sock, GOFER_OP_OPEN, fd, NULL, 0, -1);

	ret = gofer_fd_statx(fd, &stx);
	if (ret < 0)
		goto err_close;
	if (!S_ISREG(stx.stx_mode) && !S_ISDIR(stx.stx_mode)) {
		ret = -ENXIO;
		goto err_close;
	}
	if (!(oreq.flags & O_NONBLOCK)) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			ret = -errno;
			goto err_close;
		}
	}
	ret = gofer_reply(sock, GOFER_OP_OPEN, 0, &stx, sizeof(stx), fd);
	/* The peer holds its own reference now, or never will. */
	close(fd);
	return ret;

err_close:
	close(fd);
	return gofer_reply(sock, GOFER_OP_OPEN, ret, NULL, 0, -1);
}

static int gofer_do_readlink(int sock, int root_fd, struct gofer_req *req)
{
	struct gofer_readlink_req rreq;
	char target[PATH_MAX];
	ssize_t n;
	int fd, ret;

	ret = gofer_decode_path(req, sizeof(rreq));
	if (ret < 0)
		return ret;
	memcpy(&rreq, req->payload, sizeof(rreq));
	if (rreq.reserved != 0)
		return -EPROTO;
	if (rreq.size == 0)
		return gofer_reply(sock, GOFER_OP_READLINK, -EINVAL, NULL, 0, -1);

	fd = gofer_openat2(root_fd, req->path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return gofer_reply(sock, GOFER_OP_READLINK, fd, NULL, 0, -1);
	n = readlinkat(fd, "", target, sizeof(target));
	ret = n < 0 ? -errno : 0;
	close(fd);
	/* With an empty path, the kernel reports a non-symlink as ENOENT; the
	 * fd proves the file exists, so it means what readlink calls EINVAL. */
	if (ret == -ENOENT)
		ret = -EINVAL;
	if (ret < 0)
		return gofer_reply(sock, GOFER_OP_READLINK, ret, NULL, 0, -1);
	/* Truncates like readlink(2); a full buffer cannot tell a target of
	 * PATH_MAX bytes from a longer one, but Linux caps targets below that. */
	if ((size_t)n > rreq.size)
		n = rreq.size;
	if ((size_t)n > GOFER_PATH_MAX)
		n = GOFER_PATH_MAX;
	return gofer_reply(sock, GOFER_OP_READLINK, (int32_t)n, target, (size_t)n, -1);
}

/* Reads one request. Returns 1 with *req filled, 0 on EOF before a request,
 * or -errno (-EPROTO for a malformed or truncated one). A bad header is
 * refused before its payload is read, so a huge len costs nothing. */
static int gofer_read_req(int sock, struct gofer_req *req)
{
	ssize_t n;

	/* Zeroed so that a truncated header logs as zeros, not as the last one. */
	memset(&req->hdr, 0, sizeof(req->hdr));
	n = gofer_wire_recv(sock, &req->hdr, sizeof(req->hdr), NULL, NULL);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0;
	if ((size_t)n < sizeof(req->hdr))
		return -EPROTO;
	if (req->hdr.len > GOFER_MAX_PAYLOAD || req->hdr.result != 0 || req->hdr.reserved != 0)
		return -EPROTO;
	n = gofer_wire_recv(sock, req->payload, req->hdr.len, NULL, NULL);
	if (n < 0)
		return (int)n;
	if ((size_t)n < req->hdr.len)
		return -EPROTO;
	return 1;
}

/* Borrows sock and root_fd. See gofer.h. The mode of a created file is
 * masked by this process's umask, so the gofer should run with umask 0 and
 * leave the application's umask to the sentry. */
int gofer_serve(int sock, int root_fd, bool readonly)
{
	/* Static would not do: tests and callers may serve several sockets
	 * from threads of one process. A 12 KiB stack frame is fine for a
	 * gofer thread or process. */
	struct gofer_req req;
	int ret;

	for (;;) {
		ret = gofer_read_req(sock, &req);
		if (ret <= 0)
			break;
		switch (req.hdr.op) {
		case GOFER_OP_STAT:
			ret = gofer_do_stat(sock, root_fd, &req);
			break;
		case GOFER_OP_OPEN:
			ret = gofer_do_open(sock, root_fd, readonly, &req);
			break;
		case GOFER_OP_READLINK:
			ret = gofer_do_readlink(sock, root_fd, &req);
			break;
		default:
			/* The frame is sound, so the stream is still in step:
			 * say so and carry on, as a kernel does for a syscall
			 * it lacks. */
			log_debug("gofer: unknown op %u", req.hdr.op);
			ret = gofer_reply(sock, req.hdr.op, -ENOSYS, NULL, 0, -1);
			break;
		}
		if (ret < 0)
			break;
	}
	if (ret == -EPROTO) {
		log_error("gofer: malformed request (op %u, len %u); stopping", req.hdr.op, req.hdr.len);
		/* Best effort, so the client fails with a reason rather than
		 * at EOF; the stream is out of step, so nothing more is read. */
		gofer_reply(sock, req.hdr.op, -EPROTO, NULL, 0, -1);
	}
	return ret;
}
