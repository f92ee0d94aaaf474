/* Lazy restore of the memory file from a pages image.
 *
 * The sandbox starts before its memory is loaded. The sentry's shared
 * mapping of the memory file is registered with userfaultfd (MISSING
 * mode): a sentry access to a page not loaded yet - a task's copy_in, a
 * host syscall writing into the mapping - blocks in the host kernel, and a
 * handler thread loads the chunk holding that page first. Meanwhile a
 * background thread loads every other chunk; when all are in, the range is
 * unregistered and both threads end. See lazy.c for the design.
 *
 * Contract with the kernel while a restore is lazy (until lazy_done):
 *  - Stub processes map the memory file themselves, and their faults are
 *    not the sentry's: a stub touching a page not loaded yet would get a
 *    fresh zero page, and the image's page could no longer be placed.
 *    Before mapping a range into a stub, call lazy_ensure on it.
 *  - Before punching a hole (memfile_unref freeing pages), call
 *    lazy_discard on it: otherwise a later load would put the image's old
 *    page back into the freed hole, and the next owner of the page would
 *    read stale data instead of zeros.
 *  - Before writing the memfd through anything but the registered mapping
 *    (pwrite on its fd), call lazy_ensure: a load would skip the page
 *    written meanwhile (it never overwrites), losing the rest of it.
 *  - The uffd is created at lazy_start. After the sentry leaves the host's
 *    view, neither /dev/userfaultfd nor (without CAP_SYS_PTRACE in the
 *    initial namespace) userfaultfd(2) is available: the caller opens
 *    /dev/userfaultfd before isolating and passes it in opts.
 *  - Its seccomp filter must allow ioctl on the uffd, poll, read, eventfd
 *    writes and the threads' own calls.
 * A corrupt chunk found while the sandbox runs is reported (opts.on_error,
 * lazy_finish); a task waiting for its pages then stays blocked, since no
 * right content exists for them: the caller stops the sandbox. */
#ifndef AMBER_STATE_LAZY_H
#define AMBER_STATE_LAZY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/pages.h"

enum lazy_mode {
	LAZY_BACKGROUND,	/* faults first, the rest by a background thread (the default) */
	LAZY_EAGER,		/* load everything, on every core, before lazy_start returns
				 * (--background=false); no userfaultfd */
	LAZY_ON_DEMAND,		/* faults and lazy_ensure only, until lazy_finish loads the
				 * rest; for tests and measurements */
};

struct lazy_opts {
	enum lazy_mode mode;
	int uffd_dev_fd;	/* an open /dev/userfaultfd (borrowed), or -1 */
	unsigned threads;	/* LAZY_EAGER: loader threads; 0: one per online CPU */
	/* Called once, from the thread that met it, on the first load failure. */
	void (*on_error)(void *arg, int err, const char *msg);
	void *on_error_arg;
};

/* The memory file to fill: its fd, the sentry's MAP_SHARED mapping of
 * [0, size) at base, empty (all holes) where the image has pages. */
struct lazy_mem {
	int fd;
	uint8_t *base;
	uint64_t size;
};

struct lazy_stats {
	uint64_t first_fault_ns;	/* lazy_start to the first fault served; 0: none */
	uint64_t all_loaded_ns;		/* lazy_start to the last chunk loaded; 0: not yet */
	uint64_t faults;		/* missing-page faults served */
	uint64_t faults_waited;		/* of which had to wait for a chunk to be loaded */
	uint64_t zero_fills;		/* of which were pages the image does not hold */
	uint64_t bytes_loaded;		/* bytes of image pages placed */
	uint64_t chunks_fault, chunks_ensure, chunks_background;	/* who loaded the chunks */
};

struct lazy;

/* Starts restoring mem from pr (both borrowed until lazy_free; pr's
 * chunks must not be loaded by anyone else meanwhile). In LAZY_EAGER
 * mode everything is loaded when this returns. Returns 0 with *lp set, or
 * -errno with one line in errbuf (-ERANGE when the image does not fit the
 * memory file). */
int lazy_start(struct lazy **lp, const struct lazy_mem *mem, struct pages_reader *pr,
	       const struct lazy_opts *opts, char *errbuf, size_t errlen);

/* Makes the memory-file range [off, off + len) hold its image content
 * before it returns, loading what is missing in the calling thread (pages
 * the image does not hold are left alone: any later touch reads zeros).
 * Returns 0 or -errno. */
int lazy_ensure(struct lazy *l, uint64_t off, uint64_t len);

/* Tells the restore that the pages [off, off + len) (page aligned) are
 * being freed: their image content must never be placed, whether or not
 * their chunk is loaded yet. Call it before punching the hole; a page
 * placed before the call is then removed by the punch, and none is placed
 * after it. Nothing is read or loaded. Returns 0 or -EINVAL. */
int lazy_discard(struct lazy *l, uint64_t off, uint64_t len);

/* Returns once every chunk is loaded and the mapping is unregistered
 * (loading the rest in this thread in LAZY_ON_DEMAND mode). Returns 0 or
 * the first load error. */
int lazy_finish(struct lazy *l);

/* True once every chunk is loaded and the mapping unregistered. */
bool lazy_done(struct lazy *l);

void lazy_stats(struct lazy *l, struct lazy_stats *st);

/* One summary line for logs. */
void lazy_stats_line(const struct lazy_stats *st, char *buf, size_t len);

/* Stops the threads and frees l. Before lazy_done, pages not loaded are
 * lost: only for a sandbox that will not run again. NULL is allowed. */
void lazy_free(struct lazy *l);

#endif
