/* The gofer: the only process that opens host files. It serves one
 * container root over a unix stream socket; the sentry side (the client)
 * asks for metadata and for open file descriptors, which the gofer donates
 * with SCM_RIGHTS.
 *
 * Paths on the wire are relative to the served root, "" or "." naming the
 * root itself, components separated by '/'. The sentry resolves symlinks
 * and ".." itself, so the gofer never follows a symlink in any component
 * (RESOLVE_NO_SYMLINKS) and never leaves the root (RESOLVE_BENEATH,
 * RESOLVE_NO_MAGICLINKS): a path that would is refused with -ELOOP or
 * -EXDEV. */
#ifndef AMBER_GOFER_H
#define AMBER_GOFER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <linux/stat.h>		/* struct statx */

/* ---- server (host side, runs in the gofer process) ---- */

/* Serves requests on sock until the peer closes it. root_fd is a directory
 * fd for the root (borrowed). With readonly, every open for writing and
 * every modifying request fails with -EROFS. Returns 0 on orderly EOF or
 * -errno on a fatal error (a malformed message is fatal: the sentry is
 * trusted, so a bad message is a bug, and the gofer exits). */
int gofer_serve(int sock, int root_fd, bool readonly);

/* ---- client (sentry side) ---- */

struct gofer_client {
	int sock;		/* owned */
	pthread_mutex_t lock;	/* one request in flight at a time */
};

/* Takes ownership of sock. */
void gofer_client_init(struct gofer_client *c, int sock);
void gofer_client_destroy(struct gofer_client *c);

/* lstat: metadata of path without following a final symlink.
 * Fills *stx with STATX_BASIC_STATS | STATX_BTIME (what the host gives). */
int gofer_stat(struct gofer_client *c, const char *path, struct statx *stx);

/* Opens path (final component must not be a symlink: -ELOOP) with host
 * open flags (O_RDONLY, O_WRONLY, O_RDWR, O_DIRECTORY, O_TRUNC, O_APPEND,
 * O_NONBLOCK; O_CREAT/O_EXCL with mode; O_NOFOLLOW, O_CLOEXEC are implied).
 * On success returns the donated host fd (>= 0, owned by the caller, O_CLOEXEC)
 * and fills *stx if stx is not NULL. */
int gofer_open(struct gofer_client *c, const char *path, int flags, int mode, struct statx *stx);

/* Reads the target of the symlink at path into buf (not NUL-terminated).
 * Returns the length (<= size) or -errno (-EINVAL if not a symlink). */
int gofer_readlink(struct gofer_client *c, const char *path, char *buf, size_t size);

/* statfs of the filesystem holding path (a final symlink is not followed:
 * the answer is for the filesystem the symlink itself is on). */
int gofer_statfs(struct gofer_client *c, const char *path, struct statfs *st);

/* The extended attributes of path, like lgetxattr(2) and llistxattr(2): a
 * final symlink is not followed. With size 0, nothing is written to buf
 * and the size a buffer needs is returned; otherwise the value's length
 * (<= size), or -ERANGE if it does not fit. A size above XATTR_SIZE_MAX
 * (XATTR_LIST_MAX for the list) is taken as that maximum; a value or list
 * longer than it is -E2BIG.
 *
 * getxattr: name is 1 to XATTR_NAME_MAX bytes (else -ERANGE); a missing
 * attribute is -ENODATA. A NULL buf with a size is -EFAULT.
 * listxattr: fills buf with the names, each ending in a NUL.
 *
 * Symlinks and special files can be reached only through /proc; where the
 * gofer has none (chrooted), get says -ENODATA and list returns 0 for them. */
ssize_t gofer_getxattr(struct gofer_client *c, const char *path, const char *name,
		       void *buf, size_t size);
ssize_t gofer_listxattr(struct gofer_client *c, const char *path, char *buf, size_t size);

#endif
