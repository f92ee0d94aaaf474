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
 * -EXDEV.
 *
 * Requests that create, remove or rename a name resolve its parent
 * directory that way and act on (parent, last component) with the *at
 * calls, which never follow a symlink in the last component either. A last
 * component of "." or ".." (or the root itself) gets the error Linux gives
 * for it; trailing slashes mean what they mean to Linux (the name must be
 * a directory). Every call returns 0 (or a length, or an fd) or -errno,
 * with Linux's errors; with readonly, every modifying request is -EROFS.
 *
 * Created files belong to the gofer's fsuid and fsgid and get exactly the
 * mode sent, less the gofer's umask, which should be 0: the sentry applies
 * the application's umask before sending. fsync and fdatasync are done by
 * the sentry on donated fds. */
#ifndef AMBER_GOFER_H
#define AMBER_GOFER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>
#include <linux/stat.h>		/* struct statx */

/* ---- server (host side, runs in the gofer process) ---- */

/* Serves requests on sock until the peer closes it. root_fd is a directory
 * fd for the root (borrowed). With readonly, every open for writing and
 * every modifying request fails with -EROFS. Returns 0 on orderly EOF or
 * -errno on a fatal error (a malformed message is fatal: the sentry is
 * trusted, so a bad message is a bug, and the gofer exits). */
int gofer_serve(int sock, int root_fd, bool readonly);

/* Confines the calling process, which must be single-threaded and hold
 * CAP_SYS_ADMIN, to what it is about to serve, before gofer_serve and
 * before its seccomp filter (gofer/confine.c): it unshares its mount
 * namespace (a slave of the host's: mounts come in, none go out) and
 * pivot_roots into a recursive bind of the directory path, read-only with
 * readonly, so the host's root and every mount outside path are gone. With
 * file (a name in path, no '/'), the root is instead an empty read-only
 * tmpfs holding one bind mount, of that file, under the same name: the
 * file's siblings are not served. It then drops every capability but
 * CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER and CAP_FSETID.
 *
 * Returns an O_PATH fd for the new root, to pass to gofer_serve, or
 * -errno with err (if not NULL) naming the step that failed. -EPERM from
 * the first step (no privilege for a mount namespace) has changed nothing;
 * a failure after it leaves the process half-confined, fit only to exit,
 * unless, as for `runsc do`, path was "/" anyway. */
int gofer_confine(const char *path, const char *file, bool readonly, char *err, size_t errlen);

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
 * O_CREAT creates a regular file with mode (see above); on a final symlink,
 * dangling or not, it is -ELOOP, and with O_EXCL any existing name is
 * -EEXIST. Only regular files and directories open (others: -ENXIO).
 * On success returns the donated host fd (>= 0, owned by the caller, O_CLOEXEC)
 * and fills *stx if stx is not NULL: for a created file, the new file's. */
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
 * Symlinks and special files are never opened: their attributes are read
 * by directory and name (getxattrat, Linux 6.13), or before that through
 * /proc, and where the gofer has no /proc (confined), get says -ENODATA
 * and list returns 0 for them. */
ssize_t gofer_getxattr(struct gofer_client *c, const char *path, const char *name,
		       void *buf, size_t size);
ssize_t gofer_listxattr(struct gofer_client *c, const char *path, char *buf, size_t size);

/* mkdir: creates the directory path with mode (permission bits and
 * S_ISVTX). Fills *out (if not NULL) with its statx. */
int gofer_mkdir(struct gofer_client *c, const char *path, mode_t mode, struct statx *out);

/* symlink: creates linkpath as a symlink holding target, which the gofer
 * never follows (it may be absolute or lead anywhere; the sentry resolves
 * it). An empty target is -ENOENT. Fills *out (if not NULL). */
int gofer_symlink(struct gofer_client *c, const char *target, const char *linkpath,
		  struct statx *out);

/* link: makes newpath a new name for oldpath; a final symlink in oldpath
 * is linked itself, not followed (link(2) without AT_SYMLINK_FOLLOW).
 * A directory is -EPERM. Fills *out (if not NULL) with the file's statx. */
int gofer_link(struct gofer_client *c, const char *oldpath, const char *newpath,
	       struct statx *out);

/* unlink (flags 0; a directory is -EISDIR) or rmdir (AT_REMOVEDIR; a
 * non-empty directory is -ENOTEMPTY). Other flags are -EINVAL. */
int gofer_unlink(struct gofer_client *c, const char *path, int flags);

/* renameat2: flags 0, RENAME_NOREPLACE (-EEXIST if newpath exists) or
 * RENAME_EXCHANGE (both must exist); anything else is -EINVAL. */
int gofer_rename(struct gofer_client *c, const char *oldpath, const char *newpath,
		 unsigned int flags);

/* What gofer_setattr changes: the bits of mask say which fields count. */
#define GOFER_SETATTR_MODE	(1u << 0)	/* chmod; -EOPNOTSUPP for a symlink */
#define GOFER_SETATTR_UID	(1u << 1)	/* lchown */
#define GOFER_SETATTR_GID	(1u << 2)
#define GOFER_SETATTR_SIZE	(1u << 3)	/* truncate; regular files only */
#define GOFER_SETATTR_ATIME	(1u << 4)	/* utimensat, AT_SYMLINK_NOFOLLOW */
#define GOFER_SETATTR_MTIME	(1u << 5)
#define GOFER_SETATTR_ALL	((1u << 6) - 1)

struct gofer_setattr {
	unsigned int mask;	/* GOFER_SETATTR_*; other bits are -EINVAL */
	mode_t mode;		/* permission bits, S_ISUID, S_ISGID, S_ISVTX */
	uid_t uid;		/* (uid_t)-1 leaves it, as chown(2) does */
	gid_t gid;		/* (gid_t)-1 likewise */
	off_t size;		/* a directory is -EISDIR, other non-regular files -EINVAL */
	struct timespec atime;	/* tv_nsec may be UTIME_NOW or UTIME_OMIT */
	struct timespec mtime;
};

/* setattr: changes what a->mask says of the file at path, without
 * following a final symlink (the sentry resolves symlinks). Everything is
 * checked before anything is changed; the changes are then made in the
 * order size, owner, mode, times, and a host failure part way (-EPERM for
 * a chown, say) leaves the earlier ones made. A mask of 0 changes nothing
 * and is allowed even with readonly. Fills *out (if not NULL) with the
 * statx after the change. */
int gofer_setattr(struct gofer_client *c, const char *path, const struct gofer_setattr *a,
		  struct statx *out);

#endif
