/* The virtual filesystem: inodes, dentries, mounts, open files, paths.
 *
 * Dentries of filesystems that can cache (gofer, dev) stay in their
 * parent's child list, which holds a reference, for the sandbox's life;
 * filesystems whose names come and go (proc) hand out uncached dentries
 * that die with their last reference. */
#ifndef AMBER_VFS_H
#define AMBER_VFS_H

#include <pthread.h>
#include <linux/stat.h>
#include <time.h>
#include <sys/statfs.h>
#include "kernel/lib/types.h"
#include "kernel/mm/mm.h"
#include "kernel/abi/linux.h"

struct task;
struct file;
struct inode;
struct dentry;
struct mount;

struct path {
	struct mount *mnt;
	struct dentry *d;
};

/* What setattr changes (chmod, chown, truncate, utimensat). */
#define VFS_ATTR_MODE	0x01
#define VFS_ATTR_UID	0x02
#define VFS_ATTR_GID	0x04
#define VFS_ATTR_SIZE	0x08
#define VFS_ATTR_ATIME	0x10
#define VFS_ATTR_MTIME	0x20

struct vfs_attr {
	unsigned int mask;
	unsigned int mode;
	uint32_t uid, gid;
	uint64_t size;
	struct timespec atime, mtime;	/* tv_nsec may be UTIME_NOW; UTIME_OMIT is a clear mask bit */
};

struct inode_ops {
	/* Looks up name in dir. Returns 0 with a new inode reference in
	 * *out, or -ENOENT (cacheable negative) or another -errno. */
	int (*lookup)(struct inode *dir, const char *name, struct inode **out);
	/* Reads a symlink's target; returns its length or -errno. */
	int (*readlink)(struct inode *ino, char *buf, size_t size);
	/* A magic link (/proc/PID/fd/N) to an open file with no path (a
	 * pipe): *out gets a path to open its inode again by (a new
	 * reference; vfs_anon_path). -ENOENT: follow readlink's text. */
	int (*jump)(struct inode *ino, struct path *out);
	/* Fills f->ops and f->priv for a new open file. */
	int (*open)(struct inode *ino, struct file *f);
	/* statfs of the filesystem holding ino; NULL: vfs_generic_statfs. */
	int (*statfs)(struct inode *ino, struct statfs *st);
	/* Extended attributes as lgetxattr/llistxattr; NULL: -EOPNOTSUPP. */
	ssize_t (*getxattr)(struct inode *ino, const char *name, void *buf, size_t size);
	ssize_t (*listxattr)(struct inode *ino, char *buf, size_t size);
	/* Changing a directory (NULL: -EROFS for filesystems without them, the
	 * read-only ones). The caller has checked that name is a single
	 * component other than "." and ".." and drops the dcache entries it
	 * touched afterwards. mode is already masked by the umask. */
	int (*create)(struct inode *dir, const char *name, unsigned int mode);
	int (*mkdir)(struct inode *dir, const char *name, unsigned int mode);
	int (*symlink)(struct inode *dir, const char *name, const char *target);
	int (*link)(struct inode *dir, const char *name, struct inode *old);
	int (*unlink)(struct inode *dir, const char *name, bool is_rmdir);
	int (*rename)(struct inode *olddir, const char *oldname, struct inode *newdir, const char *newname,
		      unsigned int flags);
	int (*setattr)(struct inode *ino, const struct vfs_attr *a);
	/* Refreshes ino->stx when it can change behind the cache (host fds, proc). */
	int (*getattr)(struct inode *ino);
	/* Checkpoint, world stopped: whether regular file ino has lost its
	 * last name (asking the host where the file lives there). If so,
	 * *stx gets its attributes and *data a new reference to the memory
	 * object that holds all of its data, whose get_pages never needs the
	 * name; otherwise *data is NULL. f: an open file of ino (its host fd
	 * may be the only way to the data), or NULL for a mapping. NULL op:
	 * the file's link count is the sentry's and its data cannot be saved
	 * without a name. */
	int (*orphan)(struct inode *ino, struct file *f, struct statx *stx, struct mapping_obj **data);
	void (*release)(struct inode *ino);
	/* The contents are made when the file is read (procfs, sysfs): a
	 * restore reopens it by name with nothing to check it against. */
	bool generated;
};

struct inode {
	int refs;				/* atomic */
	const struct inode_ops *ops;		/* never changes */
	struct statx stx;			/* under lock */
	bool cacheable;				/* dentries naming it may be cached */
	pthread_mutex_t lock;
	struct mapping_obj mapping;		/* page cache, for file mappings */
	void *priv;				/* the filesystem's */
};

struct dentry {
	int refs;				/* atomic */
	char *name;				/* never changes; "/" for a root */
	struct dentry *parent;			/* counted; NULL for a root */
	struct inode *inode;			/* counted; NULL when negative; never changes */
	struct dentry *children, *sibling;	/* cached children; under dcache_lock */
	struct mount *mounted;			/* a mount on top of this dentry, or NULL */
	bool cached;
};

struct mount {
	int id;
	struct dentry *root;			/* counted */
	struct mount *parent;			/* NULL for the root mount */
	struct dentry *mountpoint;		/* in parent */
	const char *fstype, *source;
	int flags;				/* MS_RDONLY, ... */
};

/* The application's buffers of one read or write: readv's and writev's
 * segments, or read's and write's one, used from the front. */
struct io_iter {
	struct mm *mm;
	uint8_t *kbuf;			/* or a sentry buffer (splice): no mm, no segments */
	const struct linux_iovec *iov;	/* borrowed: nseg segments, each checked by user_range_ok */
	size_t nseg, seg;		/* seg: the segment in use */
	size_t seg_off;			/* bytes of iov[seg] used */
	size_t total;			/* bytes the call asked for (never changes) */
	size_t count;			/* bytes left */
	bool fault;			/* a copy stopped at an inaccessible byte */
};

/* An iterator over iov[0..nseg), at most max bytes of it (Linux caps one
 * transfer at MAX_RW_COUNT). */
void io_iter_init(struct io_iter *it, struct mm *mm, const struct linux_iovec *iov, size_t nseg, size_t max);
/* An iterator over len bytes of the sentry's memory at buf. */
void io_iter_init_kernel(struct io_iter *it, void *buf, size_t len);
/* Copies len bytes (len <= it->count) from the application to dst, or
 * into the application from src, and moves past them. Returns how many
 * were copied: fewer than len when one was inaccessible (it->fault set;
 * the bytes before it are copied and passed). */
size_t io_iter_copy_in(struct io_iter *it, void *dst, size_t len);
size_t io_iter_copy_out(struct io_iter *it, const void *src, size_t len);

struct file_ops {
	/* Reads at *pos (updating it) or, for streams, ignores pos. May return
	 * -EAGAIN when it would block: the caller then waits on wait_fd(). */
	ssize_t (*read)(struct file *f, void *buf, size_t len, int64_t *pos);
	ssize_t (*write)(struct file *f, const void *buf, size_t len, int64_t *pos);
	/* Streams that must see a whole request at once (pipes: a writev of
	 * up to PIPE_BUF bytes is one atomic write, a read takes what there
	 * is across readv's segments) have these instead of read and write.
	 * They copy straight between the application and the file, never
	 * block, and return the bytes moved (> 0; it->fault says whether a
	 * fault stopped them), 0 at end of file, -EAGAIN when nothing could
	 * move now (the caller waits on wait_fd), or -errno. A write that
	 * moved less than it->count bytes is called again with the rest. */
	ssize_t (*read_iter)(struct file *f, struct io_iter *it);
	ssize_t (*write_iter)(struct file *f, struct io_iter *it);
	/* NULL: the generic seek on the inode's size; for streams set
	 * vfs_no_seek (-ESPIPE). */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* Writes linux_dirent64 records into buf; returns bytes or -errno. */
	ssize_t (*getdents)(struct file *f, void *buf, size_t len);
	long (*ioctl)(struct task *t, struct file *f, unsigned int cmd, uint64_t arg);
	/* A new reference to what mmap maps, or NULL (-ENODEV). */
	struct mapping_obj *(*mmap)(struct file *f);
	/* fsync/fdatasync; NULL: nothing to write back. */
	int (*fsync)(struct file *f, bool datasync);
	/* What to wait on when read/write returned -EAGAIN or poll found
	 * nothing: called with the application's poll events the caller
	 * waits for (POLLIN for a read, POLLOUT for a write), it returns a
	 * host fd (borrowed: valid while f is open) and rewrites *events to
	 * the host poll events to wait for on it, or returns -errno. The
	 * host fd must be ready whenever f may have become ready for
	 * *events (or for POLLHUP/POLLERR), never hold back a wake-up. */
	int (*wait_fd)(struct file *f, short *events);
	/* Readiness now (POLLIN | POLLOUT | ...); NULL: always readable and
	 * writable, as for regular files. */
	short (*poll)(struct file *f, short events);
	void (*release)(struct file *f);
};

struct file {
	int refs;				/* atomic */
	struct path path;			/* counted dentry; mount never freed */
	struct inode *inode;			/* counted */
	const struct file_ops *ops;
	int flags;				/* O_* status flags; written under pos_lock, which
					 * stream I/O does not take: it loads them atomically */
	int64_t pos;				/* under pos_lock */
	pthread_mutex_t pos_lock;
	void *priv;				/* the filesystem's; freed by release */
};

/* ---- inodes ---- */
/* A new inode with one reference. NULL on -ENOMEM. */
struct inode *inode_new(const struct inode_ops *ops, void *priv);
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);
/* Fresh attributes (calls getattr if the filesystem has one). */
int inode_stat(struct inode *ino, struct statx *stx);
/* For filesystems that keep attributes in ino->stx alone (tmpfs,
 * pipes): applies a's mode bits (the file type kept), owner and times,
 * and sets ctime to now if a changes anything. The caller holds what
 * guards ino->stx; a size is the caller's to apply. */
void inode_attr_apply(struct inode *ino, const struct vfs_attr *a);
/* Next inode number for synthetic filesystems. */
uint64_t vfs_next_ino(void);

/* ---- dentries and mounts ---- */
struct dentry *dentry_new_root(struct inode *ino);	/* takes the inode reference */
void dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
/* Mounts root (reference taken) on mountpoint of parent; returns the mount. */
struct mount *vfs_mount(struct mount *parent, struct dentry *mountpoint, struct dentry *root,
			const char *fstype, const char *source, int flags);
extern struct mount *vfs_root_mount;
/* The mount of paths that exist only to reopen an inode with no name
 * (vfs_anon_path); never in the mount tree. */
extern struct mount vfs_anon_mount;
/* A path of ino (a reference taken) on vfs_anon_mount, which no lookup
 * reaches: what a magic link to a file with no path jumps to, and
 * vfs_open opens. Returns 0 or -ENOMEM. */
int vfs_anon_path(struct inode *ino, struct path *out);
/* Copies up to max mounts, in mount order; returns how many. */
int vfs_mounts(struct mount **out, int max);
/* A dentry named name under parent (reference taken) for ino (reference
 * taken over) that no lookup finds: what a restored file with no name
 * left is opened through, so that it keeps the name it had. NULL on
 * -ENOMEM. */
struct dentry *dentry_new_unlinked(struct dentry *parent, const char *name, struct inode *ino);
/* Forgets the cached child name of dir, so the next lookup asks the
 * filesystem again (after create, unlink, rename, ...). */
void dentry_invalidate(struct dentry *dir, const char *name);

/* ---- paths ---- */
#define LOOKUP_FOLLOW		0x1	/* follow a final symlink */
#define LOOKUP_DIRECTORY	0x2	/* the result must be a directory */
#define LOOKUP_EMPTY		0x4	/* "" names the start itself (AT_EMPTY_PATH) */

struct fs_ctx;	/* a task's root, cwd and umask (kernel/task) */

/* Resolves path from start (used for relative paths) under root. On
 * success *out holds counted references. */
int vfs_lookup(const struct path *root, const struct path *start, const char *path, int flags,
	       struct path *out);
/* Resolves all of path but its last component (following symlinks) into
 * *parent and copies the last component to name (NAME_MAX + 1 bytes).
 * A path ending in "/", "." or ".." gives -EEXIST-style errors through
 * *last_kind: 0 normal, 1 "." or "..", 2 empty (the root). */
int vfs_lookup_parent(const struct path *root, const struct path *start, const char *path, struct path *parent,
		      char *name, int *last_kind);
void path_get(const struct path *p);
void path_put(struct path *p);
/* Writes the absolute name of p as seen from root into buf. Returns the
 * length or -ENAMETOOLONG. */
int vfs_path_name(const struct path *root, const struct path *p, char *buf, size_t size);

/* ---- files ---- */
/* Opens the file at path p with O_* flags. Returns 0 and a new file. */
int vfs_open(const struct path *p, int flags, struct file **out);
/* A file with no path (stdio host files, pipes): takes the inode reference. */
struct file *file_new_anon(struct inode *ino, int flags, const struct file_ops *ops, void *priv);
void file_get(struct file *f);
void file_put(struct file *f);
int64_t vfs_no_seek(struct file *f, int64_t off, int whence);
int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence);

/* Helpers for synthetic directories: emit one record; returns bytes used or
 * 0 when it does not fit. */
size_t vfs_emit_dirent(void *buf, size_t len, uint64_t ino, int64_t off, unsigned type, const char *name);

#endif
