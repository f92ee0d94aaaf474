/* Address spaces: VMAs, the software page table, demand faulting into the
 * memory file, and the checked copies between application and sentry. */
#ifndef AMBER_MM_MM_H
#define AMBER_MM_MM_H

#include <pthread.h>
#include <sys/uio.h>
#include "kernel/lib/types.h"
#include "kernel/mm/memfile.h"
#include "kernel/mm/pgtable.h"
#include "kernel/mm/vma.h"

struct platform_as;
struct statx;
struct syscall_patch;

/* What a file mapping maps: an object whose pages live in the memory file
 * (a file's page cache). get_pages returns referenced memory-file pages for
 * page indexes [pgoff, pgoff + count) of the object, filling them from the
 * file on first use; it may return fewer than count (at least one) and
 * returns -EFAULT-like errors as -errno; a page wholly past the end of the
 * file is -EIO (SIGBUS for the application). */
struct mapping_obj;
struct mapping_ops {
	long (*get_pages)(struct mapping_obj *obj, uint64_t pgoff, uint64_t count, uint64_t *offs);
	/* References: a mapping object lives as long as what embeds it. */
	void (*get)(struct mapping_obj *obj);
	void (*put)(struct mapping_obj *obj);
	/* The sandbox path a checkpoint reopens the object by, and the
	 * object's identity (size, mtime, dev, ino) to check on restore.
	 * NULL or -EOPNOTSUPP: it cannot be saved that way. Only an inode's
	 * page cache (&inode->mapping) has one. */
	int (*save_path)(struct mapping_obj *obj, char *buf, size_t size, struct statx *id);
};
struct mapping_obj {
	const struct mapping_ops *ops;
	char *name;				/* path for /proc/self/maps; owned */
	uint64_t dev, ino;			/* for /proc/self/maps */
};

/* A new anonymous shared memory object of size bytes (one reference),
 * or NULL. */
struct mapping_obj *shmem_new(uint64_t size);
/* Reads or writes len bytes at pos of a shmem object's data (writes
 * allocate pages; holes read as zero). Returns bytes done or -errno. */
ssize_t shmem_rw(struct mapping_obj *obj, void *buf, size_t len, uint64_t pos, bool write);
/* Sets the size (faults past it are SIGBUS), dropping pages past it. */
void shmem_resize(struct mapping_obj *obj, uint64_t size);
uint64_t shmem_used_pages(struct mapping_obj *obj);
/* Checkpoint: fn for each present page (index, memory-file offset), in
 * order; stops at fn's first non-zero value and returns it. */
int shmem_for_each_page(struct mapping_obj *obj, int (*fn)(uint64_t idx, uint64_t off, void *arg), void *arg);
/* Restore: puts the memory-file page off at index idx (below the size),
 * the reference counted by the caller. Returns 0, -EINVAL or -ENOMEM. */
int shmem_restore_page(struct mapping_obj *obj, uint64_t idx, uint64_t off);
bool shmem_is(const struct mapping_obj *obj);
uint64_t shmem_size_pages(struct mapping_obj *obj);

void mapping_obj_get(struct mapping_obj *obj);
void mapping_obj_put(struct mapping_obj *obj);

extern struct memfile *sentry_memfile;

struct mm {
	int refs;				/* atomic */
	pthread_mutex_t lock;			/* protects everything below */
	struct vma_set vmas;
	struct pgtable pt;
	struct platform_as *as;			/* owned; NULL until attached */
	int as_users;				/* tasks running in as (their host threads) */
	uint64_t map_gen;			/* atomic: counts changes of the host mapping */
	pthread_cond_t as_cond;			/* as_users dropped */
	uaddr_t brk_start, brk;			/* heap: [brk_start, brk) */
	uaddr_t mmap_base;			/* top-down search starts below this */
	uaddr_t stack_top;
	uaddr_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv[64];			/* as placed on the stack, for /proc/self/auxv */
	size_t auxv_len;			/* bytes */
	char *exe_path;				/* owned; for /proc/self/exe */
	struct syscall_patch *patch;		/* owned; NULL until a call traps (syscall_patch.c) */
};

/* A new, empty address space (one reference). NULL on -ENOMEM. */
struct mm *mm_new(void);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);
/* Takes ownership of as; the calling thread must be its tracer. */
void mm_attach(struct mm *mm, struct platform_as *as);
/* Destroys the platform address space (on the thread that owns it) and
 * leaves the mm without one: what an exit or exec does before the last
 * reference, which another thread (procfs) may hold, goes. */
void mm_detach(struct mm *mm);
/* Another task runs in mm's address space (a new thread). */
void mm_as_enter(struct mm *mm);
/* A task that does not own the address space stops running in it. */
void mm_as_leave(struct mm *mm);
/* The owner's end: waits until every other task has left, then
 * destroys the address space (mm_detach). */
void mm_as_release_owner(struct mm *mm);
/* fork: a copy of parent with private pages shared copy-on-write, with no
 * platform address space yet. NULL with *err set on failure. */
struct mm *mm_fork(struct mm *parent, int *err);

/* mmap: map len bytes at addr (a hint, or exact with MAP_FIXED). obj NULL
 * for anonymous memory; otherwise the mapping takes a new reference to it.
 * Returns the address or -errno. */
long mm_mmap(struct mm *mm, uaddr_t addr, uint64_t len, int prot, int flags, struct mapping_obj *obj,
	     uint64_t off);
long mm_munmap(struct mm *mm, uaddr_t addr, uint64_t len);
long mm_mprotect(struct mm *mm, uaddr_t addr, uint64_t len, int prot);
long mm_mremap(struct mm *mm, uaddr_t old, uint64_t old_len, uint64_t new_len, int flags, uaddr_t new_addr);
long mm_brk(struct mm *mm, uaddr_t brk);
long mm_madvise(struct mm *mm, uaddr_t addr, uint64_t len, int advice);
long mm_msync(struct mm *mm, uaddr_t addr, uint64_t len, int flags);
long mm_mincore(struct mm *mm, uaddr_t addr, uint64_t len, uaddr_t vec);

/* Handles an application page fault at addr; gen is mm->map_gen as the
 * faulting thread saw it when it last entered the application; write: the
 * access was a write (a copy-on-write page is copied at once, not mapped
 * read-only to fault again). Returns 0 when the access can be retried, or
 * the signal the application gets (SIGSEGV, SIGBUS) as a positive number,
 * with *si_code set. */
int mm_fault(struct mm *mm, uaddr_t addr, uint64_t gen, bool write, int *si_code);

/* Checked copies: -EFAULT (never a crash) for any byte the application
 * could not access the same way. copy_out needs PROT_WRITE, copy_in
 * PROT_READ. They return 0 or -EFAULT. */
int copy_in(struct mm *mm, void *dst, uaddr_t src, size_t len);
int copy_out(struct mm *mm, uaddr_t dst, const void *src, size_t len);
/* Like copy_in but stops at the first readable-prefix end: returns the
 * number of bytes copied (may be short), or -EFAULT if none. */
ssize_t copy_in_partial(struct mm *mm, void *dst, uaddr_t src, size_t len);
/* Like copy_out but copies the accessible prefix: returns the number of
 * bytes copied (may be short), or -EFAULT if none. */
ssize_t copy_out_partial(struct mm *mm, uaddr_t dst, const void *src, size_t len);
/* Linux's access_ok: the range lies below the top of user space. */
static inline bool user_range_ok(uaddr_t addr, size_t len)
{
	return addr + len >= addr && addr + len <= 0x7ffffffff000ULL;
}
/* Copies a NUL-terminated string of at most max bytes (NUL included).
 * Returns its length (without NUL), -EFAULT, or -ENAMETOOLONG. */
ssize_t copy_in_string(struct mm *mm, char *dst, uaddr_t src, size_t max);
/* Zeroes len bytes of application memory. */
int clear_user(struct mm *mm, uaddr_t dst, size_t len);
/* Replaces the aligned word at addr by update(its value, arg) in one
 * atomic step, as futexes need (FUTEX_WAKE_OP, robust lists); *old is the
 * value it replaced. Needs PROT_WRITE. 0, -EINVAL (unaligned) or -EFAULT. */
int user_atomic_update_u32(struct mm *mm, uaddr_t addr, uint32_t (*update)(uint32_t old, void *arg), void *arg,
			   uint32_t *old);

/* Formats /proc/self/maps into a new malloc'd buffer; returns its length
 * or -ENOMEM. */
ssize_t mm_format_maps(struct mm *mm, char **out);

#endif
