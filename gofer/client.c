/* The gofer client: the sentry's side of the gofer socket. Several sentry
 * threads share one client; the mutex makes each request and its reply one
 * exchange. The gofer is a separate, less trusted process, so every reply
 * is checked (op, lengths, errno range, fd count) before the caller sees
 * it: a bad reply is -EPROTO, never a crash or a leaked descriptor. After
 * one, the stream is out of step for good, so the socket is shut down and
 * every later call fails at once instead of reading someone else's reply. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gofer/gofer.h"
#include "gofer/proto.h"

#include "kernel/lib/log.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a successful reply's result must be. */
enum gofer_result {
	GOFER_RESULT_ZERO,		/* stat, open, statfs, and the write path */
	GOFER_RESULT_LEN,		/* readlink, xattrs read: result = len */
	GOFER_RESULT_SIZE,		/* xattr size query: 0..result_max */
};

/* What a successful reply to one request must look like. */
struct gofer_expect {
	size_t len_min, len_max;	/* payload bytes */
	enum gofer_result result;
	size_t result_max;		/* GOFER_RESULT_SIZE */
	bool names;			/* a payload of NUL-terminated names */
	unsigned int nfds;		/* descriptors with the reply */
};

/* Takes ownership of sock. */
void gofer_client_init(struct gofer_client *c, int sock)
{
	c->sock = sock;
	pthread_mutex_init(&c->lock, NULL);
}

/* Closes the socket; no call may be in flight or follow. */
void gofer_client_destroy(struct gofer_client *c)
{
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	pthread_mutex_destroy(&c->lock);
}

static void gofer_close_fds(int *fds, unsigned int nfds)
{
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
}

static bool gofer_result_ok(const struct gofer_expect *exp, const struct gofer_hdr *hdr)
{
	switch (exp->result) {
	case GOFER_RESULT_ZERO:
		return hdr->result == 0;
	case GOFER_RESULT_LEN:
		return (uint32_t)hdr->result == hdr->len;
	case GOFER_RESULT_SIZE:
		return (size_t)hdr->result <= exp->result_max;
	}
	return false;
}

/* Sends one request (fixed_len <= GOFER_FIXED_MAX bytes of fixed part,
 * then the path) and reads its reply into out (at most exp->len_max
 * bytes), under the lock. Returns the reply's result (>= 0) with *fd_out
 * set if exp->nfds is 1, or -errno: the gofer's answer, or a local error
 * that has broken the stream. */
static int gofer_call(struct gofer_client *c, uint32_t op, const void *fixed, size_t fixed_len,
		      const char *path, const struct gofer_expect *exp, void *out, int *fd_out)
{
	unsigned char req[GOFER_MAX_REQ_PAYLOAD];
	struct gofer_hdr hdr;
	int fds[GOFER_MAX_FDS];
	unsigned int nfds = 0;
	size_t path_len;
	ssize_t n;
	int ret;

	if (!path || fixed_len > GOFER_FIXED_MAX)
		return -EINVAL;
	path_len = strnlen(path, GOFER_PATH_MAX + 1);
	if (path_len > GOFER_PATH_MAX)
		return -ENAMETOOLONG;
	if (fixed_len)
		memcpy(req, fixed, fixed_len);
	memcpy(req + fixed_len, path, path_len);
	hdr = (struct gofer_hdr){ .op = op, .len = (uint32_t)(fixed_len + path_len) };

	pthread_mutex_lock(&c->lock);
	ret = gofer_wire_send(c->sock, &hdr, req, hdr.len, -1);
	if (ret < 0)
		goto err_broken;

	n = gofer_wire_recv(c->sock, &hdr, sizeof(hdr), fds, &nfds);
	if (n >= 0 && (size_t)n < sizeof(hdr))
		n = -ECONNRESET;
	if (n < 0) {
		ret = (int)n;
		goto err_broken;
	}
	ret = -EPROTO;
	if (hdr.op != op || hdr.reserved != 0 || hdr.len > GOFER_MAX_REPLY_PAYLOAD)
		goto err_broken;
	if (hdr.result < 0) {
		if (hdr.result < -GOFER_MAX_ERRNO || hdr.len != 0 || nfds != 0)
			goto err_broken;
		ret = hdr.result;
		goto out_unlock;
	}
	if (hdr.len < exp->len_min || hdr.len > exp->len_max)
		goto err_broken;
	if (!gofer_result_ok(exp, &hdr))
		goto err_broken;
	/* Only now does len go anywhere: it is within what out can hold. */
	n = gofer_wire_recv(c->sock, out, hdr.len, fds, &nfds);
	if (n >= 0 && (size_t)n < hdr.len)
		n = -ECONNRESET;
	if (n < 0) {
		ret = (int)n;
		goto err_broken;
	}
	if (nfds != exp->nfds) {
		ret = -EPROTO;
		goto err_broken;
	}
	/* Whoever parses a name list may run to its last NUL. */
	if (exp->names && hdr.len > 0 && ((const char *)out)[hdr.len - 1] != '\0') {
		ret = -EPROTO;
		goto err_broken;
	}
	if (exp->nfds == 1)
		*fd_out = fds[0];
	ret = hdr.result;
out_unlock:
	pthread_mutex_unlock(&c->lock);
	return ret;

err_broken:
	gofer_close_fds(fds, nfds);
	shutdown(c->sock, SHUT_RDWR);
	pthread_mutex_unlock(&c->lock);
	/* A bad reply is a bug worth a line; a lost connection shows up on
	 * every later call and is reported where the gofer's exit is seen. */
	if (ret == -EPROTO)
		log_error("gofer: malformed reply to op %u; connection closed", op);
	else
		log_debug("gofer: exchange for op %u failed (%d); connection closed", op, ret);
	return ret;
}

/* Borrows c, path and stx. See gofer.h. */
int gofer_stat(struct gofer_client *c, const char *path, struct statx *stx)
{
	static const struct gofer_expect exp = {
		.len_min = sizeof(struct statx), .len_max = sizeof(struct statx),
	};

	return gofer_call(c, GOFER_OP_STAT, NULL, 0, path, &exp, stx, NULL);
}

/* Borrows c, path and stx; returns an fd owned by the caller. See gofer.h. */
int gofer_open(struct gofer_client *c, const char *path, int flags, int mode, struct statx *stx)
{
	static const struct gofer_expect exp = {
		.len_min = sizeof(struct statx), .len_max = sizeof(struct statx), .nfds = 1,
	};
	struct gofer_open_req oreq = { .flags = (uint32_t)flags, .mode = (uint32_t)mode };
	struct statx local;
	int fd = -1, ret;

	ret = gofer_call(c, GOFER_OP_OPEN, &oreq, sizeof(oreq), path, &exp, stx ? stx : &local, &fd);
	return ret < 0 ? ret : fd;
}

/* Borrows c, path and buf. See gofer.h. */
int gofer_readlink(struct gofer_client *c, const char *path, char *buf, size_t size)
{
	struct gofer_readlink_req rreq;
	struct gofer_expect exp = { .result = GOFER_RESULT_LEN };

	if (size == 0)
		return -EINVAL;
	/* No target is longer, and the reply must fit an int result. */
	if (size > GOFER_PATH_MAX)
		size = GOFER_PATH_MAX;
	rreq = (struct gofer_readlink_req){ .size = (uint32_t)size };
	exp.len_max = size;
	return gofer_call(c, GOFER_OP_READLINK, &rreq, sizeof(rreq), path, &exp, buf, NULL);
}

/* Borrows c, path and st. See gofer.h. */
int gofer_statfs(struct gofer_client *c, const char *path, struct statfs *st)
{
	static const struct gofer_expect exp = {
		.len_min = sizeof(struct statfs), .len_max = sizeof(struct statfs),
	};

	return gofer_call(c, GOFER_OP_STATFS, NULL, 0, path, &exp, st, NULL);
}

/* The reply a getxattr or listxattr of size bytes (clamped to max) must
 * give: with size 0 only a size, otherwise at most size bytes. */
static struct gofer_expect gofer_xattr_expect(size_t size, size_t max)
{
	if (size == 0)
		return (struct gofer_expect){ .result = GOFER_RESULT_SIZE, .result_max = max };
	return (struct gofer_expect){ .len_max = size, .result = GOFER_RESULT_LEN };
}

/* Borrows c, path, name and buf. See gofer.h. */
ssize_t gofer_getxattr(struct gofer_client *c, const char *path, const char *name,
		       void *buf, size_t size)
{
	unsigned char fixed[sizeof(struct gofer_getxattr_req) + XATTR_NAME_MAX];
	struct gofer_getxattr_req xreq;
	struct gofer_expect exp;
	size_t name_len;

	if (!name)
		return -EINVAL;
	/* Linux's bound and errno for a name: 1 to XATTR_NAME_MAX bytes. */
	name_len = strnlen(name, XATTR_NAME_MAX + 1);
	if (name_len == 0 || name_len > XATTR_NAME_MAX)
		return -ERANGE;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	if (size && !buf)
		return -EFAULT;
	xreq = (struct gofer_getxattr_req){ .size = (uint32_t)size, .name_len = (uint32_t)name_len };
	memcpy(fixed, &xreq, sizeof(xreq));
	memcpy(fixed + sizeof(xreq), name, name_len);
	exp = gofer_xattr_expect(size, XATTR_SIZE_MAX);
	return gofer_call(c, GOFER_OP_GETXATTR, fixed, sizeof(xreq) + name_len, path, &exp, buf, NULL);
}

/* Borrows c, path and buf. See gofer.h. */
ssize_t gofer_listxattr(struct gofer_client *c, const char *path, char *buf, size_t size)
{
	struct gofer_listxattr_req lreq;
	struct gofer_expect exp;

	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	if (size && !buf)
		return -EFAULT;
	lreq = (struct gofer_listxattr_req){ .size = (uint32_t)size };
	exp = gofer_xattr_expect(size, XATTR_LIST_MAX);
	exp.names = true;
	return gofer_call(c, GOFER_OP_LISTXATTR, &lreq, sizeof(lreq), path, &exp, buf, NULL);
}

/* The reply of a request that makes or changes one file: its statx. */
static const struct gofer_expect gofer_statx_expect = {
	.len_min = sizeof(struct statx), .len_max = sizeof(struct statx),
};

/* The reply of a request that only succeeds or fails. */
static const struct gofer_expect gofer_empty_expect = { .len_max = 0 };

/* Sends a request naming two paths: a struct gofer_path2_req with flags,
 * first, then path. */
static int gofer_call_path2(struct gofer_client *c, uint32_t op, const char *first, uint32_t flags,
			    const char *path, const struct gofer_expect *exp, void *out)
{
	unsigned char fixed[sizeof(struct gofer_path2_req) + GOFER_PATH_MAX];
	struct gofer_path2_req p2;
	size_t len;

	if (!first)
		return -EINVAL;
	len = strnlen(first, GOFER_PATH_MAX + 1);
	if (len > GOFER_PATH_MAX)
		return -ENAMETOOLONG;
	p2 = (struct gofer_path2_req){ .len1 = (uint32_t)len, .flags = flags };
	memcpy(fixed, &p2, sizeof(p2));
	memcpy(fixed + sizeof(p2), first, len);
	return gofer_call(c, op, fixed, sizeof(p2) + len, path, exp, out, NULL);
}

/* Borrows c, path and out. See gofer.h. */
int gofer_mkdir(struct gofer_client *c, const char *path, mode_t mode, struct statx *out)
{
	struct gofer_mkdir_req mreq = { .mode = (uint32_t)mode };
	struct statx local;

	return gofer_call(c, GOFER_OP_MKDIR, &mreq, sizeof(mreq), path, &gofer_statx_expect,
			  out ? out : &local, NULL);
}

/* Borrows c, target, linkpath and out. See gofer.h. */
int gofer_symlink(struct gofer_client *c, const char *target, const char *linkpath,
		  struct statx *out)
{
	struct statx local;

	return gofer_call_path2(c, GOFER_OP_SYMLINK, target, 0, linkpath, &gofer_statx_expect,
				out ? out : &local);
}

/* Borrows c, oldpath, newpath and out. See gofer.h. */
int gofer_link(struct gofer_client *c, const char *oldpath, const char *newpath,
	       struct statx *out)
{
	struct statx local;

	return gofer_call_path2(c, GOFER_OP_LINK, oldpath, 0, newpath, &gofer_statx_expect,
				out ? out : &local);
}

/* Borrows c and path. See gofer.h. The gofer judges the flags. */
int gofer_unlink(struct gofer_client *c, const char *path, int flags)
{
	struct gofer_unlink_req ureq = { .flags = (uint32_t)flags };

	return gofer_call(c, GOFER_OP_UNLINK, &ureq, sizeof(ureq), path, &gofer_empty_expect,
			  NULL, NULL);
}

/* Borrows c, oldpath and newpath. See gofer.h. The gofer judges the flags. */
int gofer_rename(struct gofer_client *c, const char *oldpath, const char *newpath,
		 unsigned int flags)
{
	return gofer_call_path2(c, GOFER_OP_RENAME, oldpath, flags, newpath, &gofer_empty_expect,
				NULL);
}

/* Borrows c, path, a and out. See gofer.h. The gofer judges the fields. */
int gofer_setattr(struct gofer_client *c, const char *path, const struct gofer_setattr *a,
		  struct statx *out)
{
	struct gofer_setattr_req sreq;
	struct statx local;

	if (!a)
		return -EINVAL;
	sreq = (struct gofer_setattr_req){
		.mask = a->mask,
		.mode = (uint32_t)a->mode,
		.uid = (uint32_t)a->uid,
		.gid = (uint32_t)a->gid,
		.size = (int64_t)a->size,
		.atime_sec = (int64_t)a->atime.tv_sec,
		.atime_nsec = (int64_t)a->atime.tv_nsec,
		.mtime_sec = (int64_t)a->mtime.tv_sec,
		.mtime_nsec = (int64_t)a->mtime.tv_nsec,
	};
	return gofer_call(c, GOFER_OP_SETATTR, &sreq, sizeof(sreq), path, &gofer_statx_expect,
			  out ? out : &local, NULL);
}
