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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/magic.h>
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

/* A decoded request, and room for its reply. The path and name are
 * NUL-terminated; a path "" has become ".". */
struct gofer_req {
	struct gofer_hdr hdr;
	unsigned char payload[GOFER_MAX_REQ_PAYLOAD];
	char path[PATH_MAX];
	char name[XATTR_NAME_MAX + 1];
	unsigned char reply[GOFER_MAX_REPLY_PAYLOAD];
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

static int gofer_do_statfs(int sock, int root_fd, struct gofer_req *req)
{
	struct statfs st;
	int fd, ret;

	ret = gofer_decode_path(req, 0);
	if (ret < 0)
		return ret;
	/* fstatfs is one of the few calls an O_PATH fd allows, so this works
	 * for a symlink or a special file as well, without opening it. */
	fd = gofer_openat2(root_fd, req->path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return gofer_reply(sock, GOFER_OP_STATFS, fd, NULL, 0, -1);
	memset(&st, 0, sizeof(st));
	ret = fstatfs(fd, &st) < 0 ? -errno : 0;
	close(fd);
	if (ret < 0)
		return gofer_reply(sock, GOFER_OP_STATFS, ret, NULL, 0, -1);
	return gofer_reply(sock, GOFER_OP_STATFS, 0, &st, sizeof(st), -1);
}

/* A file opened for reading its extended attributes. fgetxattr and
 * flistxattr refuse O_PATH fds (EBADF), so a regular file or directory is
 * reopened for reading, O_NONBLOCK|O_NOCTTY so that nothing can block or
 * take a terminal. Symlinks and special files are never opened for
 * reading: opening a device has side effects, and RESOLVE_NO_SYMLINKS
 * refuses a final symlink anyway. They are reached through /proc instead. */
struct gofer_xattr_file {
	int fd;			/* readable, for f*xattr; or -1: use path_fd */
	int path_fd;		/* O_PATH|O_NOFOLLOW, the file asked about */
};

static void gofer_xattr_close(struct gofer_xattr_file *x)
{
	if (x->fd >= 0)
		close(x->fd);
	close(x->path_fd);
}

/* Returns 0 with *x filled (close it with gofer_xattr_close) or -errno. */
static int gofer_xattr_open(int root_fd, const char *path, struct gofer_xattr_file *x)
{
	struct stat st, rst;
	int fd;

	x->fd = -1;
	x->path_fd = gofer_openat2(root_fd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (x->path_fd < 0)
		return x->path_fd;
	if (fstat(x->path_fd, &st) < 0) {
		int ret = -errno;
		close(x->path_fd);
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		/* "." beneath the O_PATH fd is that very directory: no race. */
		fd = gofer_openat2(x->path_fd, ".",
				   O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
	} else if (S_ISREG(st.st_mode)) {
		/* Without /proc, a regular file can only be reopened by its
		 * path, which may have changed since; the check below sees
		 * that. (A mount with nodev keeps a device swapped in here
		 * from being opened at all.) */
		fd = gofer_openat2(root_fd, path,
				   O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0);
	} else {
		return 0;
	}
	if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM) {
		close(x->path_fd);
		return fd;
	}
	/* Any other failure (no read permission, which security.* does not
	 * need; the path changed) leaves path_fd, which still names the file
	 * asked about. So does a reopened fd that names another file. */
	if (fd >= 0 && (fstat(fd, &rst) < 0 || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino)) {
		close(fd);
		fd = -1;
	}
	x->fd = fd >= 0 ? fd : -1;
	return 0;
}

/* Whether "/proc/self/fd/N" reaches our fd N. The gofer will run chrooted
 * into the container's root without /proc; there, /proc is a directory the
 * container controls, which could hold a symlink "self/fd/5" to another
 * file, so the name alone proves nothing: it must be procfs. */
static bool gofer_proc_usable(void)
{
	struct statfs st;

	return statfs("/proc/self/fd", &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

/* Reads an attribute's value into buf (size 0: only its size). Returns the
 * length or -errno. */
static ssize_t gofer_xattr_get(const struct gofer_xattr_file *x, const char *name,
			       void *buf, size_t size)
{
	char proc[32];
	ssize_t n;

	if (x->fd >= 0) {
		n = fgetxattr(x->fd, name, buf, size);
		return n < 0 ? -errno : n;
	}
	/* Without /proc, the attributes of a symlink or special file cannot
	 * be reached from an O_PATH fd, so they read as absent. (Linux 6.13's
	 * getxattrat with AT_EMPTY_PATH would reach them.) */
	if (!gofer_proc_usable())
		return -ENODATA;
	/* getxattr, not lgetxattr: the magic link must be followed, and it
	 * leads to the file path_fd names, the symlink itself for a symlink,
	 * which is not followed further. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", x->path_fd);
	n = getxattr(proc, name, buf, size);
	return n < 0 ? -errno : n;
}

/* Like gofer_xattr_get, for the list of names; without /proc the list of a
 * symlink or special file is empty. */
static ssize_t gofer_xattr_list(const struct gofer_xattr_file *x, char *buf, size_t size)
{
	char proc[32];
	ssize_t n;

	if (x->fd >= 0) {
		n = flistxattr(x->fd, buf, size);
		return n < 0 ? -errno : n;
	}
	if (!gofer_proc_usable())
		return 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", x->path_fd);
	n = listxattr(proc, buf, size);
	return n < 0 ? -errno : n;
}

/* Bounds what the host answered for a buffer of size bytes (0: a size
 * query) by max, the most the wire and Linux allow, as Linux's getxattr
 * and listxattr do: a value that no buffer could hold is -E2BIG. Linux
 * answers a size query with any size and fails the read that follows; the
 * gofer fails the query, because the size could not be sent as a result. */
static ssize_t gofer_xattr_bound(ssize_t n, size_t size, size_t max)
{
	if (n == -ERANGE && size >= max)
		return -E2BIG;
	if (n > (ssize_t)max)
		return -E2BIG;
	/* The host never returns more than it was given room for; should it,
	 * the reply would break the client's bounds. */
	if (size && n > (ssize_t)size)
		return -EIO;
	return n;
}

static int gofer_do_getxattr(int sock, int root_fd, struct gofer_req *req)
{
	struct gofer_getxattr_req xreq;
	struct gofer_xattr_file x;
	size_t size;
	ssize_t n;
	int ret;

	if (req->hdr.len < sizeof(xreq))
		return -EPROTO;
	memcpy(&xreq, req->payload, sizeof(xreq));
	if (xreq.name_len == 0 || xreq.name_len > XATTR_NAME_MAX)
		return -EPROTO;
	/* Checks that the name fits in the payload, and decodes the path. */
	ret = gofer_decode_path(req, sizeof(xreq) + xreq.name_len);
	if (ret < 0)
		return ret;
	if (memchr(req->payload + sizeof(xreq), '\0', xreq.name_len))
		return -EPROTO;
	memcpy(req->name, req->payload + sizeof(xreq), xreq.name_len);
	req->name[xreq.name_len] = '\0';
	/* The client clamps already; so does the server, as Linux does. */
	size = xreq.size < XATTR_SIZE_MAX ? xreq.size : XATTR_SIZE_MAX;

	ret = gofer_xattr_open(root_fd, req->path, &x);
	if (ret < 0)
		return gofer_reply(sock, GOFER_OP_GETXATTR, ret, NULL, 0, -1);
	n = gofer_xattr_get(&x, req->name, size ? req->reply : NULL, size);
	gofer_xattr_close(&x);
	n = gofer_xattr_bound(n, size, XATTR_SIZE_MAX);
	if (n < 0)
		return gofer_reply(sock, GOFER_OP_GETXATTR, (int32_t)n, NULL, 0, -1);
	return gofer_reply(sock, GOFER_OP_GETXATTR, (int32_t)n, req->reply, size ? (size_t)n : 0, -1);
}

static int gofer_do_listxattr(int sock, int root_fd, struct gofer_req *req)
{
	struct gofer_listxattr_req lreq;
	struct gofer_xattr_file x;
	size_t size;
	ssize_t n;
	int ret;

	ret = gofer_decode_path(req, sizeof(lreq));
	if (ret < 0)
		return ret;
	memcpy(&lreq, req->payload, sizeof(lreq));
	if (lreq.reserved != 0)
		return -EPROTO;
	size = lreq.size < XATTR_LIST_MAX ? lreq.size : XATTR_LIST_MAX;

	ret = gofer_xattr_open(root_fd, req->path, &x);
	if (ret < 0)
		return gofer_reply(sock, GOFER_OP_LISTXATTR, ret, NULL, 0, -1);
	n = gofer_xattr_list(&x, size ? (char *)req->reply : NULL, size);
	gofer_xattr_close(&x);
	n = gofer_xattr_bound(n, size, XATTR_LIST_MAX);
	/* The client relies on a list ending in a NUL; the host's always does. */
	if (n > 0 && size && req->reply[n - 1] != '\0')
		n = -EIO;
	if (n < 0)
		return gofer_reply(sock, GOFER_OP_LISTXATTR, (int32_t)n, NULL, 0, -1);
	return gofer_reply(sock, GOFER_OP_LISTXATTR, (int32_t)n, req->reply, size ? (size_t)n : 0, -1);
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
	if (req->hdr.len > GOFER_MAX_REQ_PAYLOAD || req->hdr.result != 0 || req->hdr.reserved != 0)
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
	/* Neither static (tests and callers may serve several sockets from
	 * threads of one process) nor on the stack (some 80 KiB, mostly the
	 * largest reply): one fixed allocation per connection. */
	struct gofer_req *req = malloc(sizeof(*req));
	int ret;

	if (!req)
		return -ENOMEM;
	for (;;) {
		ret = gofer_read_req(sock, req);
		if (ret <= 0)
			break;
		switch (req->hdr.op) {
		case GOFER_OP_STAT:
			ret = gofer_do_stat(sock, root_fd, req);
			break;
		case GOFER_OP_OPEN:
			ret = gofer_do_open(sock, root_fd, readonly, req);
			break;
		case GOFER_OP_READLINK:
			ret = gofer_do_readlink(sock, root_fd, req);
			break;
		case GOFER_OP_STATFS:
			ret = gofer_do_statfs(sock, root_fd, req);
			break;
		case GOFER_OP_GETXATTR:
			ret = gofer_do_getxattr(sock, root_fd, req);
			break;
		case GOFER_OP_LISTXATTR:
			ret = gofer_do_listxattr(sock, root_fd, req);
			break;
		default:
			/* The frame is sound, so the stream is still in step:
			 * say so and carry on, as a kernel does for a syscall
			 * it lacks. */
			log_debug("gofer: unknown op %u", req->hdr.op);
			ret = gofer_reply(sock, req->hdr.op, -ENOSYS, NULL, 0, -1);
			break;
		}
		if (ret < 0)
			break;
	}
	if (ret == -EPROTO) {
		log_error("gofer: malformed request (op %u, len %u); stopping", req->hdr.op, req->hdr.len);
		/* Best effort, so the client fails with a reason rather than
		 * at EOF; the stream is out of step, so nothing more is read. */
		gofer_reply(sock, req->hdr.op, -EPROTO, NULL, 0, -1);
	}
	free(req);
	return ret;
}
