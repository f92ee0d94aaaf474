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

/* fchmodat2 (Linux 6.6) is the one chmod that takes an O_PATH fd; older
 * C libraries do not name it. Its number is the same on every arch. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* A decoded request, and room for its reply. The paths and name are
 * NUL-terminated; a path "" has become ".". first is the first of two
 * paths: symlink's target (kept as sent), link's and rename's old path. */
struct gofer_req {
	struct gofer_hdr hdr;
	unsigned char payload[GOFER_MAX_REQ_PAYLOAD];
	char path[PATH_MAX];
	char first[PATH_MAX];
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

/* Copies len bytes of a path from src into dst (PATH_MAX bytes) with a
 * NUL; with root_if_empty, "" becomes ".". A path that is too long or holds
 * a NUL is malformed: the client checks both before sending, so only a bug
 * or a corrupt stream produces one. */
static int gofer_copy_path(char *dst, const unsigned char *src, size_t len, bool root_if_empty)
{
	if (len > GOFER_PATH_MAX || memchr(src, '\0', len))
		return -EPROTO;
	if (len == 0 && root_if_empty) {
		strcpy(dst, ".");
		return 0;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* Takes the path from the payload after its fixed part of fixed_len bytes. */
static int gofer_decode_path(struct gofer_req *req, size_t fixed_len)
{
	if (req->hdr.len < fixed_len)
		return -EPROTO;
	return gofer_copy_path(req->path, req->payload + fixed_len, req->hdr.len - fixed_len, true);
}

/* Decodes a struct gofer_path2_req into *p2, the first path into
 * req->first ("" staying "" unless first_is_path) and the second into
 * req->path. */
static int gofer_decode_path2(struct gofer_req *req, struct gofer_path2_req *p2, bool first_is_path)
{
	int ret;

	if (req->hdr.len < sizeof(*p2))
		return -EPROTO;
	memcpy(p2, req->payload, sizeof(*p2));
	if (p2->len1 > GOFER_PATH_MAX)
		return -EPROTO;
	/* Also checks that the first path fits in the payload. */
	ret = gofer_decode_path(req, sizeof(*p2) + p2->len1);
	if (ret < 0)
		return ret;
	return gofer_copy_path(req->first, req->payload + sizeof(*p2), p2->len1, first_is_path);
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
 * refuses a final symlink anyway. They are named instead by their
 * directory and their name, which getxattrat and listxattrat (Linux 6.13)
 * take without following a final symlink; those refuse an O_PATH fd of
 * the file itself (EBADF), like f*xattr. Before 6.13 they go through
 * /proc, which a confined gofer does not have. */
struct gofer_xattr_file {
	int fd;			/* readable, for f*xattr; or -1: use dir_fd or path_fd */
	int path_fd;		/* O_PATH|O_NOFOLLOW, the file asked about */
	int dir_fd;		/* O_PATH, its directory, for a symlink or special file; else -1 */
	const char *name;	/* its last component, within the request's path */
};

static void gofer_xattr_close(struct gofer_xattr_file *x)
{
	if (x->fd >= 0)
		close(x->fd);
	if (x->dir_fd >= 0)
		close(x->dir_fd);
	close(x->path_fd);
}

/* The directory of a symlink or special file that path (modified: cut at
 * its last '/') reached. The last component is an ordinary name: ".", ".."
 * and the root are directories, and a trailing slash failed the lookup of
 * anything but one. Returns 0 with x->dir_fd and x->name set, or -errno. */
static int gofer_xattr_parent(int root_fd, char *path, struct gofer_xattr_file *x)
{
	char *slash = strrchr(path, '/');

	x->name = path;
	if (slash) {
		*slash = '\0';
		x->name = slash + 1;
	}
	x->dir_fd = gofer_openat2(root_fd, slash ? path : ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	return x->dir_fd < 0 ? x->dir_fd : 0;
}

/* Returns 0 with *x filled (close it with gofer_xattr_close) or -errno. */
static int gofer_xattr_open(int root_fd, char *path, struct gofer_xattr_file *x)
{
	struct stat st, rst;
	int fd;

	x->fd = -1;
	x->dir_fd = -1;
	x->name = NULL;
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
		/* As below, only a failure to allocate is an error: if the
		 * directory cannot be opened again (the path changed),
		 * path_fd is left. */
		fd = gofer_xattr_parent(root_fd, path, x);
		if (fd < 0)
			x->dir_fd = -1;
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM) {
			close(x->path_fd);
			return fd;
		}
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

/* Whether "/proc/self/fd/N" reaches our fd N. A confined gofer's /proc is
 * whatever the container's root has there, a directory the container
 * controls, which could hold a symlink "self/fd/5" to another file; so the
 * name alone proves nothing: it must be procfs. (A container cannot mount
 * one there: its mounts are the sentry's, not the host's.) */
static bool gofer_proc_usable(void)
{
	struct statfs st;

	return statfs("/proc/self/fd", &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

/* getxattrat's and listxattrat's numbers (Linux 6.13), the same on every
 * arch, and the argument block getxattrat takes (its first version). */
#ifndef SYS_getxattrat
#define SYS_getxattrat 464
#endif
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif
struct gofer_xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

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
	if (x->dir_fd >= 0) {
		struct gofer_xattr_args args = { .value = (uintptr_t)buf, .size = (uint32_t)size };

		/* One component, not followed if it is a symlink: the worst
		 * a rename since the lookup can do is make this another file
		 * of the same directory, as for lgetxattr(2) itself. */
		n = syscall(SYS_getxattrat, x->dir_fd, x->name, AT_SYMLINK_NOFOLLOW, name,
			    &args, sizeof(args));
		if (n >= 0 || errno != ENOSYS)
			return n < 0 ? -errno : n;
	}
	/* Before 6.13, without /proc, the attributes of a symlink or
	 * special file cannot be reached from an O_PATH fd, so they read as
	 * absent. */
	if (!gofer_proc_usable())
		return -ENODATA;
	/* getxattr, not lgetxattr: the magic link must be followed, and it
	 * leads to the file path_fd names, the symlink itself for a symlink,
	 * which is not followed further. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", x->path_fd);
	n = getxattr(proc, name, buf, size);
	return n < 0 ? -errno : n;
}

/* Like gofer_xattr_get, for the list of names; before Linux 6.13 and
 * without /proc the list of a symlink or special file is empty. */
static ssize_t gofer_xattr_list(const struct gofer_xattr_file *x, char *buf, size_t size)
{
	char proc[32];
	ssize_t n;

	if (x->fd >= 0) {
		n = flistxattr(x->fd, buf, size);
		return n < 0 ? -errno : n;
	}
	if (x->dir_fd >= 0) {
		n = syscall(SYS_listxattrat, x->dir_fd, x->name, AT_SYMLINK_NOFOLLOW, buf, size);
		if (n >= 0 || errno != ENOSYS)
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

/* ---- the write path ---- */

static int gofer_reply_statx(int sock, uint32_t op, int ret, const struct statx *stx)
{
	if (ret < 0)
		return gofer_reply(sock, op, ret, NULL, 0, -1);
	return gofer_reply(sock, op, 0, stx, sizeof(*stx), -1);
}

/* What the last component of a path is, for the errors Linux gives. */
enum gofer_name_kind {
	GOFER_NAME_NORMAL,
	GOFER_NAME_DOT,		/* "dir/." */
	GOFER_NAME_DOTDOT,	/* "dir/.." */
	GOFER_NAME_ROOT,	/* the path is "" or ".": the root, which has no parent here */
};

/* A path split for the *at calls: its parent directory, resolved beneath
 * the root, and its last component. Only a NORMAL name ever reaches a host
 * call: "." and ".." are answered here with the errors Linux gives, not
 * handed to the host relative to a parent fd (".." of the root's fd is
 * outside the root; the *at calls would refuse it as well, but the gofer
 * does not lean on that). */
struct gofer_name {
	int dir_fd;			/* O_PATH directory, owned; -1 if none */
	const char *name;		/* the last component, within the path */
	enum gofer_name_kind kind;
	bool dir_only;			/* the path ended in '/': a directory is meant */
};

static void gofer_name_close(struct gofer_name *n)
{
	if (n->dir_fd >= 0)
		close(n->dir_fd);
	n->dir_fd = -1;
}

/* Splits path (modified in place; *n points into it) and resolves its
 * parent. Linux looks the parent up before it looks at the last component,
 * so "nope/." is -ENOENT and "file/." -ENOTDIR, as here. Returns 0 with *n
 * filled, or -errno; either way, release *n with gofer_name_close. */
static int gofer_name_resolve(int root_fd, char *path, struct gofer_name *n)
{
	const char *parent = ".";
	size_t len = strlen(path);
	char *slash;
	int fd;

	*n = (struct gofer_name){ .dir_fd = -1, .name = path, .kind = GOFER_NAME_NORMAL };
	/* What RESOLVE_BENEATH says of an absolute path. */
	if (path[0] == '/')
		return -EXDEV;
	while (len > 1 && path[len - 1] == '/') {
		path[--len] = '\0';
		n->dir_only = true;
	}
	if (strcmp(path, ".") == 0) {
		n->kind = GOFER_NAME_ROOT;
		return 0;
	}
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		parent = path;
		n->name = slash + 1;
	}
	if (strcmp(n->name, ".") == 0)
		n->kind = GOFER_NAME_DOT;
	else if (strcmp(n->name, "..") == 0)
		n->kind = GOFER_NAME_DOTDOT;
	/* Without O_NOFOLLOW, a symlink as the parent's own last component is
	 * -ELOOP under RESOLVE_NO_SYMLINKS, as in any other component. */
	fd = gofer_openat2(root_fd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	n->dir_fd = fd;
	return 0;
}

/* The file type (S_IFMT bits) of the NORMAL name n, not following a
 * symlink. Returns 0 or -errno (-ENOENT if nothing is there). */
static int gofer_name_type(const struct gofer_name *n, mode_t *type)
{
	struct statx stx;

	/* statx rather than fstatat: the seccomp filter allows newfstatat
	 * only as glibc's fstat. */
	if (statx(n->dir_fd, n->name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &stx) < 0)
		return -errno;
	*type = stx.stx_mode & S_IFMT;
	return 0;
}

/* statx of the NORMAL name n, not following a symlink. After a create,
 * a failure here (the name went again at once) is still reported: the
 * sentry cannot make an inode without its metadata. */
static int gofer_name_statx(const struct gofer_name *n, struct statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	if (statx(n->dir_fd, n->name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
		  STATX_BASIC_STATS | STATX_BTIME, stx) < 0)
		return -errno;
	return 0;
}

/* Linux's answer, before the host call, for a name about to be created:
 * "." and ".." (and the root) exist already, and a trailing slash asks for
 * a directory, which only mkdir makes, so there it is -EEXIST if something
 * is there and -ENOENT if not. Returns 0 if the name may go to the host. */
static int gofer_name_check_new(const struct gofer_name *n, bool makes_dir)
{
	mode_t type = 0;
	int ret;

	if (n->kind != GOFER_NAME_NORMAL)
		return -EEXIST;
	if (!n->dir_only || makes_dir)
		return 0;
	ret = gofer_name_type(n, &type);
	return ret == 0 ? -EEXIST : ret;
}

static int gofer_do_mkdir(int sock, int root_fd, bool readonly, struct gofer_req *req)
{
	struct gofer_mkdir_req mreq;
	struct gofer_name n;
	struct statx stx;
	int ret;

	ret = gofer_decode_path(req, sizeof(mreq));
	if (ret < 0)
		return ret;
	memcpy(&mreq, req->payload, sizeof(mreq));
	if (mreq.reserved != 0)
		return -EPROTO;
	if (readonly)
		return gofer_reply(sock, GOFER_OP_MKDIR, -EROFS, NULL, 0, -1);

	ret = gofer_name_resolve(root_fd, req->path, &n);
	if (ret == 0)
		ret = gofer_name_check_new(&n, true);
	/* The host keeps S_ISVTX and drops S_ISUID, as Linux does; S_ISGID
	 * comes from the parent. */
	if (ret == 0 && mkdirat(n.dir_fd, n.name, mreq.mode & 07777) < 0)
		ret = -errno;
	if (ret == 0)
		ret = gofer_name_statx(&n, &stx);
	gofer_name_close(&n);
	return gofer_reply_statx(sock, GOFER_OP_MKDIR, ret, &stx);
}

static int gofer_do_symlink(int sock, int root_fd, bool readonly, struct gofer_req *req)
{
	struct gofer_path2_req p2;
	struct gofer_name n;
	struct statx stx;
	int ret;

	ret = gofer_decode_path2(req, &p2, false);
	if (ret < 0)
		return ret;
	if (p2.flags != 0)
		return -EPROTO;
	/* symlink(2) refuses an empty target before it looks at anything. */
	if (req->first[0] == '\0')
		return gofer_reply(sock, GOFER_OP_SYMLINK, -ENOENT, NULL, 0, -1);
	if (readonly)
		return gofer_reply(sock, GOFER_OP_SYMLINK, -EROFS, NULL, 0, -1);

	ret = gofer_name_resolve(root_fd, req->path, &n);
	if (ret == 0)
		ret = gofer_name_check_new(&n, false);
	/* The target is only stored, never followed here. */
	if (ret == 0 && symlinkat(req->first, n.dir_fd, n.name) < 0)
		ret = -errno;
	if (ret == 0)
		ret = gofer_name_statx(&n, &stx);
	gofer_name_close(&n);
	return gofer_reply_statx(sock, GOFER_OP_SYMLINK, ret, &stx);
}

static int gofer_do_link(int sock, int root_fd, bool readonly, struct gofer_req *req)
{
	struct gofer_path2_req p2;
	struct gofer_name old, new = { .dir_fd = -1 };
	struct statx stx;
	mode_t type = 0;
	int ret;

	ret = gofer_decode_path2(req, &p2, true);
	if (ret < 0)
		return ret;
	if (p2.flags != 0)
		return -EPROTO;
	if (readonly)
		return gofer_reply(sock, GOFER_OP_LINK, -EROFS, NULL, 0, -1);

	ret = gofer_name_resolve(root_fd, req->first, &old);
	/* Linux looks the old path up whole, and a trailing slash asks for a
	 * directory (following a symlink, which the gofer never does). */
	if (ret == 0 && old.kind == GOFER_NAME_NORMAL && old.dir_only) {
		ret = gofer_name_type(&old, &type);
		if (ret == 0 && type != S_IFDIR)
			ret = -ENOTDIR;
	}
	if (ret == 0)
		ret = gofer_name_resolve(root_fd, req->path, &new);
	if (ret == 0)
		ret = gofer_name_check_new(&new, false);
	/* ".", ".." and the root are directories, which cannot be linked. */
	if (ret == 0 && old.kind != GOFER_NAME_NORMAL)
		ret = -EPERM;
	/* No AT_SYMLINK_FOLLOW: a symlink is linked itself. */
	if (ret == 0 && linkat(old.dir_fd, old.name, new.dir_fd, new.name, 0) < 0)
		ret = -errno;
	if (ret == 0)
		ret = gofer_name_statx(&new, &stx);
	gofer_name_close(&new);
	gofer_name_close(&old);
	return gofer_reply_statx(sock, GOFER_OP_LINK, ret, &stx);
}

static int gofer_do_unlink(int sock, int root_fd, bool readonly, struct gofer_req *req)
{
	struct gofer_unlink_req ureq;
	struct gofer_name n;
	mode_t type = 0;
	bool rmdir;
	int ret;

	ret = gofer_decode_path(req, sizeof(ureq));
	if (ret < 0)
		return ret;
	memcpy(&ureq, req->payload, sizeof(ureq));
	if (ureq.reserved != 0)
		return -EPROTO;
	if (ureq.flags & ~(uint32_t)AT_REMOVEDIR)
		return gofer_reply(sock, GOFER_OP_UNLINK, -EINVAL, NULL, 0, -1);
	if (readonly)
		return gofer_reply(sock, GOFER_OP_UNLINK, -EROFS, NULL, 0, -1);
	rmdir = ureq.flags & AT_REMOVEDIR;

	ret = gofer_name_resolve(root_fd, req->path, &n);
	if (ret == 0 && n.kind != GOFER_NAME_NORMAL) {
		/* Linux's answers for the names it never removes. */
		if (!rmdir)
			ret = -EISDIR;
		else if (n.kind == GOFER_NAME_DOT)
			ret = -EINVAL;
		else if (n.kind == GOFER_NAME_DOTDOT)
			ret = -ENOTEMPTY;
		else
			ret = -EBUSY;
	}
	/* "name/" means a directory, which unlink refuses in any case. */
	if (ret == 0 && !rmdir && n.dir_only) {
		ret = gofer_name_type(&n, &type);
		if (ret == 0)
			ret = type == S_IFDIR ? -EISDIR : -ENOTDIR;
	}
	if (ret == 0 && unlinkat(n.dir_fd, n.name, rmdir ? AT_REMOVEDIR : 0) < 0)
		ret = -errno;
	gofer_name_close(&n);
	return gofer_reply(sock, GOFER_OP_UNLINK, ret, NULL, 0, -1);
}

/* What renameat2 would say of trailing slashes, which the gofer strips
 * before the host call: unless the source is a directory they are
 * -ENOTDIR (on the new name only when not exchanging, since an exchanged
 * new name must itself be a directory then). Follows Linux's order:
 * source missing, NOREPLACE target present, exchange target missing or
 * not a directory, then the source's type. */
static int gofer_rename_slashes(const struct gofer_name *old, const struct gofer_name *new,
				unsigned int flags)
{
	mode_t old_type = 0, new_type = 0;
	int ret;

	ret = gofer_name_type(old, &old_type);
	if (ret < 0)
		return ret;
	ret = gofer_name_type(new, &new_type);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if ((flags & RENAME_NOREPLACE) && ret == 0)
		return -EEXIST;
	if (flags & RENAME_EXCHANGE) {
		if (ret < 0)
			return ret;
		if (new_type != S_IFDIR && new->dir_only)
			return -ENOTDIR;
	}
	if (old_type != S_IFDIR && (old->dir_only || (!(flags & RENAME_EXCHANGE) && new->dir_only)))
		return -ENOTDIR;
	return 0;
}

static int gofer_do_rename(int sock, int root_fd, bool readonly, struct gofer_req *req)
{
	struct gofer_path2_req p2;
	struct gofer_name old, new = { .dir_fd = -1 };
	int ret;

	ret = gofer_decode_path2(req, &p2, true);
	if (ret < 0)
		return ret;
	if ((p2.flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
	    ((p2.flags & RENAME_NOREPLACE) && (p2.flags & RENAME_EXCHANGE)))
		return gofer_reply(sock, GOFER_OP_RENAME, -EINVAL, NULL, 0, -1);
	if (readonly)
		return gofer_reply(sock, GOFER_OP_RENAME, -EROFS, NULL, 0, -1);

	ret = gofer_name_resolve(root_fd, req->first, &old);
	if (ret == 0)
		ret = gofer_name_resolve(root_fd, req->path, &new);
	/* Linux's answers for ".", ".." and the root, either side. */
	if (ret == 0 && old.kind != GOFER_NAME_NORMAL)
		ret = -EBUSY;
	if (ret == 0 && new.kind != GOFER_NAME_NORMAL)
		ret = (p2.flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	if (ret == 0 && (old.dir_only || new.dir_only))
		ret = gofer_rename_slashes(&old, &new, p2.flags);
	if (ret == 0 && renameat2(old.dir_fd, old.name, new.dir_fd, new.name, p2.flags) < 0)
		ret = -errno;
	gofer_name_close(&new);
	gofer_name_close(&old);
	return gofer_reply(sock, GOFER_OP_RENAME, ret, NULL, 0, -1);
}

/* Reopens, by path, the file that st describes (found through path from
 * root_fd), adding O_NONBLOCK|O_NOCTTY so that whatever is there now can
 * neither block the gofer nor become its terminal. Without /proc, a
 * regular file has no other way from an O_PATH fd to one that can be
 * written or fchmod'ed. Returns the fd, or -errno: -ESTALE if the path
 * names another file by now. */
static int gofer_reopen(int root_fd, const char *path, const struct stat *st, int flags)
{
	struct stat now;
	int fd, ret;

	fd = gofer_openat2(root_fd, path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &now) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* chmod of the file fd names (O_PATH or not, never a symlink), which st
 * describes and path reaches. fchmodat2 (Linux 6.6) takes any fd. Before
 * it, fchmod takes a real one; a directory is reopened as "." beneath
 * itself and a regular file by its path; anything else needs /proc, and
 * without it is -EOPNOTSUPP. chmod never goes through the parent and a
 * name, which could by then be a symlink leading out. */
static int gofer_fchmod(int fd, int root_fd, const char *path, const struct stat *st, mode_t mode)
{
	char proc[32];
	int rfd, ret;

	if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	if (fchmod(fd, mode) == 0)
		return 0;
	if (errno != EBADF)	/* EBADF: an O_PATH fd */
		return -errno;
	if (S_ISDIR(st->st_mode)) {
		rfd = gofer_openat2(fd, ".", O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC, 0);
	} else if (S_ISREG(st->st_mode)) {
		rfd = gofer_reopen(root_fd, path, st, O_RDONLY);
	} else {
		if (!gofer_proc_usable())
			return -EOPNOTSUPP;
		/* chmod follows the magic link to this very file, and no
		 * further: it is not a symlink. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		return chmod(proc, mode) < 0 ? -errno : 0;
	}
	if (rfd < 0)
		return rfd;
	ret = fchmod(rfd, mode) < 0 ? -errno : 0;
	close(rfd);
	return ret;
}

/* A tv_nsec that utimensat accepts. */
static bool gofer_nsec_ok(int64_t nsec)
{
	return (nsec >= 0 && nsec < 1000000000) || nsec == UTIME_NOW || nsec == UTIME_OMIT;
}

/* Everything Linux would refuse is refused before anything changes, so a
 * bad request changes nothing. Then the changes go through one fd: the
 * O_PATH fd (fchownat, fchmodat2 and utimensat take it with
 * AT_EMPTY_PATH, and never follow it if it is a symlink), or, once the
 * file is opened for writing to truncate it, that one. */
static int gofer_do_setattr(int sock, int root_fd, bool readonly, struct gofer_req *req)
{
	struct gofer_setattr_req sreq;
	struct timespec times[2];
	struct statx stx;
	struct stat st;
	uint32_t mask;
	int fd, ret;

	ret = gofer_decode_path(req, sizeof(sreq));
	if (ret < 0)
		return ret;
	memcpy(&sreq, req->payload, sizeof(sreq));
	mask = sreq.mask;
	if ((mask & ~GOFER_SETATTR_ALL) ||
	    ((mask & GOFER_SETATTR_ATIME) && !gofer_nsec_ok(sreq.atime_nsec)) ||
	    ((mask & GOFER_SETATTR_MTIME) && !gofer_nsec_ok(sreq.mtime_nsec)) ||
	    ((mask & GOFER_SETATTR_SIZE) && sreq.size < 0))
		return gofer_reply(sock, GOFER_OP_SETATTR, -EINVAL, NULL, 0, -1);
	if (readonly && mask)
		return gofer_reply(sock, GOFER_OP_SETATTR, -EROFS, NULL, 0, -1);

	fd = gofer_openat2(root_fd, req->path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return gofer_reply(sock, GOFER_OP_SETATTR, fd, NULL, 0, -1);
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	/* Linux has no lchmod: fchmodat's AT_SYMLINK_NOFOLLOW says this. */
	if ((mask & GOFER_SETATTR_MODE) && S_ISLNK(st.st_mode))
		ret = -EOPNOTSUPP;
	/* truncate(2)'s answers for what is not a regular file. */
	else if ((mask & GOFER_SETATTR_SIZE) && !S_ISREG(st.st_mode))
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if (ret < 0)
		goto out;

	if (mask & GOFER_SETATTR_SIZE) {
		/* Opening for writing checks the permission truncate(2) needs. */
		int wfd = gofer_reopen(root_fd, req->path, &st, O_WRONLY);
		if (wfd < 0) {
			ret = wfd;
			goto out;
		}
		close(fd);
		fd = wfd;
		if (ftruncate(fd, (off_t)sreq.size) < 0) {
			ret = -errno;
			goto out;
		}
	}
	/* Owner before mode: a chown clears S_ISUID and S_ISGID, and a mode
	 * sent with it is meant to stay. */
	if (mask & (GOFER_SETATTR_UID | GOFER_SETATTR_GID)) {
		uid_t uid = (mask & GOFER_SETATTR_UID) ? (uid_t)sreq.uid : (uid_t)-1;
		gid_t gid = (mask & GOFER_SETATTR_GID) ? (gid_t)sreq.gid : (gid_t)-1;
		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			goto out;
		}
	}
	if (mask & GOFER_SETATTR_MODE) {
		ret = gofer_fchmod(fd, root_fd, req->path, &st, sreq.mode & 07777);
		if (ret < 0)
			goto out;
	}
	/* Times last, so that a truncate does not move mtime past them. */
	if (mask & (GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME)) {
		times[0] = (struct timespec){ .tv_nsec = UTIME_OMIT };
		times[1] = (struct timespec){ .tv_nsec = UTIME_OMIT };
		if (mask & GOFER_SETATTR_ATIME)
			times[0] = (struct timespec){ .tv_sec = (time_t)sreq.atime_sec,
						      .tv_nsec = (long)sreq.atime_nsec };
		if (mask & GOFER_SETATTR_MTIME)
			times[1] = (struct timespec){ .tv_sec = (time_t)sreq.mtime_sec,
						      .tv_nsec = (long)sreq.mtime_nsec };
		if (utimensat(fd, "", times, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			goto out;
		}
	}
	ret = gofer_fd_statx(fd, &stx);
out:
	close(fd);
	return gofer_reply_statx(sock, GOFER_OP_SETATTR, ret, &stx);
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
		case GOFER_OP_MKDIR:
			ret = gofer_do_mkdir(sock, root_fd, readonly, req);
			break;
		case GOFER_OP_SYMLINK:
			ret = gofer_do_symlink(sock, root_fd, readonly, req);
			break;
		case GOFER_OP_LINK:
			ret = gofer_do_link(sock, root_fd, readonly, req);
			break;
		case GOFER_OP_UNLINK:
			ret = gofer_do_unlink(sock, root_fd, readonly, req);
			break;
		case GOFER_OP_RENAME:
			ret = gofer_do_rename(sock, root_fd, readonly, req);
			break;
		case GOFER_OP_SETATTR:
			ret = gofer_do_setattr(sock, root_fd, readonly, req);
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
