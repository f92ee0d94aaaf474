/* Saving and loading the sentry's object graph (kernel.pb). Each subsystem
 * has its save and load functions beside its code (kernel/mm/mm_state.c,
 * kernel/task/task_state.c, kernel/vfs/file_state.c); this header holds
 * what they share: the id tables, an arena for the protobuf structures,
 * and the set of memory-file pages the image must carry. */
#ifndef AMBER_KERNEL_STATE_H
#define AMBER_KERNEL_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "state/proto/kernel.pb-c.h"

#define KERNEL_STATE_VERSION 1

struct mm;
struct file;
struct task;
struct fdtable;
struct fs_ctx;
struct thread_group;

typedef Amber__Kernel__Kernel KernelPb;

/* Pointer -> id (1, 2, ...) for objects saved once and referenced. */
struct idmap {
	const void **ptrs;
	size_t count, cap;
};
/* The id of p, 0 if new (then *added is set and the id is assigned). */
uint64_t idmap_get(struct idmap *m, const void *p, bool *added);
void idmap_free(struct idmap *m);

struct save_ctx {
	KernelPb *k;
	struct idmap mms, files, fdtables, fs, tgs, shmems, orphans, pipes;
	uint64_t *pages;		/* memory-file page indexes the image carries (unsorted, repeats) */
	size_t npages, pages_cap;
	void **allocs;			/* everything allocated for k */
	size_t nallocs, allocs_cap;
	char err[PATH_MAX + 256];	/* what could not be saved */
};

/* Zeroed memory owned by ctx (freed by save_ctx_free). NULL on -ENOMEM. */
void *save_alloc(struct save_ctx *c, size_t size);
char *save_strdup(struct save_ctx *c, const char *s);
/* Appends a pointer to a repeated field, growing it in the arena. */
int save_push(struct save_ctx *c, void ***arr, size_t *n, void *item);
int save_add_page(struct save_ctx *c, uint64_t page);
/* Appends (a, b) to a packed repeated uint64 field in the arena; *cap is
 * its capacity, kept by the caller across calls. */
int save_push_pair(struct save_ctx *c, uint64_t **arr, size_t *n, size_t *cap, uint64_t a, uint64_t b);
struct mapping_obj;
/* A shared-memory object's pages as (index, memory-file offset) pairs,
 * each page added to the image. */
int save_shmem_pages(struct save_ctx *c, struct mapping_obj *obj, uint64_t **pages, size_t *n);
struct memfile_extent;
/* The image's pages (kernel_save's) as sorted, merged extents; out holds
 * c->npages entries at most. Returns their number. */
size_t save_page_extents(struct save_ctx *c, struct memfile_extent *out);
void save_ctx_free(struct save_ctx *c);

struct load_ctx {
	const KernelPb *k;
	int64_t mono_shift;		/* add to saved host-monotonic deadlines */
	struct file **files;		/* by id - 1 */
	struct mm **mms;
	struct fdtable **fdtables;
	struct fs_ctx **fs;
	struct thread_group **tgs;
	struct mapping_obj **shmems;	/* by id - 1; tmpfs files' data, then anonymous */
	size_t nshmems;
	struct inode **orphans;		/* by id - 1, made by the first file that refers to one */
	struct inode **pipes;		/* by id - 1, made by the first end that refers to one */
	const int *stdio;		/* the restoring sandbox's stdio host fds */
	bool same_host;			/* restoring on the boot of the host that wrote the image */
	uint64_t *page_idx;		/* references to memory-file pages, collected while loading */
	size_t npage_idx, page_idx_cap;
	char err[PATH_MAX + 256];
};

int load_add_page(struct load_ctx *c, uint64_t page);

/* The whole graph. kernel_save: every task parked (kernel_freeze). On
 * error c->err says what. */
int kernel_save(struct save_ctx *c);
/* Rebuilds the kernel from k (after kernel_init and the mounts). On
 * success the tasks are in *tasks (n of them), ready to run. */
int kernel_load(struct load_ctx *c, struct task ***tasks, size_t *ntasks);

/* Per subsystem. */
int mm_save(struct save_ctx *c, struct mm *mm, uint64_t id);
int mm_load(struct load_ctx *c, const Amber__Kernel__Mm *pb, struct mm **out);
int file_save(struct save_ctx *c, struct file *f, uint64_t id);
int file_load(struct load_ctx *c, const Amber__Kernel__File *pb, struct file **out);
struct inode;
struct mount;
struct statx;
/* What a file reopened by path on restore must still be: stx are ino's
 * attributes, mnt the mount it is reached through. */
int file_identity_save(struct save_ctx *c, struct inode *ino, struct mount *mnt, const struct statx *stx,
		       Amber__Kernel__FileIdentity **out);
/* Checks reopened file f against id: its type, and when data_kept its
 * size and mtime; on the boot of the host that wrote the image, in the
 * same tree (the root of f's mount is the same directory), its device
 * and inode. Returns 0, or -ESTALE with c->err naming what (the
 * words "what path"). */
int file_identity_check(struct load_ctx *c, const Amber__Kernel__FileIdentity *id, struct file *f, bool data_kept,
			const char *what, const char *path);
int task_save(struct save_ctx *c, struct task *t);
struct dentry;
int tmpfs_save(struct save_ctx *c, struct dentry *root, const char *mount_path);
int tmpfs_load(struct load_ctx *c, const Amber__Kernel__TmpfsMount *pb, struct dentry *root);
/* The id of a shared-memory object, saving it (pages and all) when it is
 * new; tmpfs files' data have theirs from tmpfs_save. 0 on -ENOMEM. */
int64_t shmem_save(struct save_ctx *c, struct mapping_obj *obj);
/* The id of a file's page cache (obj) saved as shared memory of size
 * bytes, every page of it read in through get_pages: the data of a file
 * with no name left. Saved once per obj. */
int64_t shmem_save_cache(struct save_ctx *c, struct mapping_obj *obj, uint64_t size);
/* Files with no name left (kernel/fs/tmpfs/orphan_state.c). orphan_save:
 * when f's inode has lost its last name, saves it once (its data as
 * shared memory) and sets *id to its Kernel.orphans id; else *id = 0.
 * orphan_save_mapping: the same for a mapped page cache, returning the
 * shared-memory id of its data, or 0 when the file still has a name.
 * orphan_load: the restored file for File pb, which refers to one. */
int orphan_save(struct save_ctx *c, struct file *f, const char *path, uint64_t *id);
int64_t orphan_save_mapping(struct save_ctx *c, struct mapping_obj *obj);
int orphan_load(struct load_ctx *c, const Amber__Kernel__File *pb, struct file **out);
/* Pipe ends (kernel/fs/pipe/pipe_state.c). pipe_file_save: fills pb for
 * f, an end of a pipe, saving the pipe (its slots' pages added to the
 * image) the first time. pipe_file_load: the restored end for File pb,
 * which names a pipe. */
int pipe_file_save(struct save_ctx *c, struct file *f, Amber__Kernel__File *pb);
int pipe_file_load(struct load_ctx *c, const Amber__Kernel__File *pb, struct file **out);
/* Records obj (a reference taken) as shared-memory id. */
int shmem_register(struct load_ctx *c, uint64_t id, struct mapping_obj *obj);
int task_load_all(struct load_ctx *c, struct task ***tasks, size_t *ntasks);

#endif
