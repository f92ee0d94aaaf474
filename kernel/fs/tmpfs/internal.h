/* What tmpfs.c and tmpfs_state.c (checkpoint) share. */
#ifndef AMBER_FS_TMPFS_INTERNAL_H
#define AMBER_FS_TMPFS_INTERNAL_H

#include "kernel/vfs/vfs.h"

struct tmpfs_sb {
	pthread_mutex_t lock;		/* the whole tree's: entries, sizes */
	uint64_t max_pages;		/* 0: unlimited */
	uint64_t used_pages;		/* file data held, atomic */
	uint64_t dev_minor;
};

struct tmpfs_entry {
	char *name;
	struct inode *inode;		/* counted */
	struct tmpfs_entry *next;
};

struct tmpfs_node {
	struct tmpfs_sb *sb;		/* shared; never freed while the sandbox lives */
	struct tmpfs_entry *entries;	/* directories; under sb->lock */
	struct inode *parent;		/* directories: not counted ("..") */
	struct mapping_obj *data;	/* regular files: counted */
	char *target;			/* symlinks */
};

extern const struct inode_ops tmpfs_inode_ops;
/* A new inode of this tmpfs (one reference). NULL on -ENOMEM. */
struct inode *tmpfs_inode(struct tmpfs_sb *sb, unsigned int mode);
/* Enters ino (its reference taken over) in dir as name. */
int tmpfs_add_entry(struct inode *dir, const char *name, struct inode *ino);
/* Restore: a regular file of sb with no name (nlink 0) of size bytes,
 * whose data are data (reference taken). NULL on -ENOMEM. */
struct inode *tmpfs_orphan_new(struct tmpfs_sb *sb, unsigned int mode, struct mapping_obj *data, uint64_t size);
/* The sandbox's own tmpfs with no mount, no size limit, for files that
 * belong to no mount of the sandbox (restored orphans of other
 * filesystems). NULL on -ENOMEM. */
struct tmpfs_sb *tmpfs_anon_sb(void);

/* Restore: owner and times of a loaded inode from its record, a TmpfsNode
 * or an OrphanFile (kernel.proto gives both the same field names). */
#define TMPFS_LOAD_ATTRS(ino, pb) do {					\
		(ino)->stx.stx_uid = (pb)->uid;				\
		(ino)->stx.stx_gid = (pb)->gid;				\
		(ino)->stx.stx_atime.tv_sec = (pb)->atime_sec;		\
		(ino)->stx.stx_atime.tv_nsec = (pb)->atime_nsec;	\
		(ino)->stx.stx_mtime.tv_sec = (pb)->mtime_sec;		\
		(ino)->stx.stx_mtime.tv_nsec = (pb)->mtime_nsec;	\
		(ino)->stx.stx_ctime.tv_sec = (pb)->ctime_sec;		\
		(ino)->stx.stx_ctime.tv_nsec = (pb)->ctime_nsec;	\
	} while (0)

#endif
