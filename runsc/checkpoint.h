/* Checkpoint and restore (runsc checkpoint, runsc restore, and the
 * sentry's halves of both). */
#ifndef AMBER_RUNSC_CHECKPOINT_H
#define AMBER_RUNSC_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <json-c/json.h>
#include "state/image.h"
#include "state/lazy.h"

struct task;
struct Amber__Kernel__Kernel;

/* Sentry: answers {"cmd":"checkpoint","leave_running":bool} on conn.
 * *stop says the sandbox was checkpointed and must now end. */
struct json_object *sentry_checkpoint(struct json_object *req, int conn, bool *stop);

/* Sentry, restore: what was read from the image before isolation, then
 * the lazy loader while the sandbox runs. */
struct restore_state {
	struct image *img;
	struct Amber__Kernel__Kernel *k;	/* unpacked kernel.pb */
	struct pages_reader *pr;
	int uffd_dev;				/* /dev/userfaultfd, or -1 */
	bool eager;
	bool same_host;				/* the image was written on this boot of this host */
	struct lazy *lazy;
	struct timespec t0;
};
/* Before isolation: opens and checks the image. Returns 0 or -errno with
 * one line in err. */
int restore_open(struct restore_state *rs, const char *dir, bool eager, char *err, size_t errlen);
/* The bytes of kernel.pb a restore into a created sandbox accepts. */
#define RESTORE_MAX_KERNEL_PB (1u << 30)
/* A restore into a created (isolated) sandbox: what runsc read from an
 * image it checked, kernel.pb (borrowed), the pages file's fd (borrowed)
 * and /dev/userfaultfd's (taken; -1: none). Returns 0 or -errno with one
 * line in err. */
int restore_open_fds(struct restore_state *rs, const void *kernel_pb, size_t len, int pages_fd, int uffd_fd,
		     bool eager, bool same_host, char *err, size_t errlen);
/* What restore_open_fds holds, dropped when the restore cannot go on. */
void restore_drop(struct restore_state *rs);
/* Then, the created task dropped: the kernel as a fresh one for
 * restore_load, with no page of the memory file in use (page caches
 * dropped). Returns 0 or -errno with one line in err. */
int restore_reset(char *err, size_t errlen);
/* After kernel_init and the mounts: rebuilds the kernel and starts
 * loading memory. *task is the task to run (restored, no exec). */
int restore_load(struct restore_state *rs, const int stdio[3], struct task **task, char *err, size_t errlen);
/* Logs the time to the first application instruction (started) and the
 * loader's figures: time to all pages loaded, faults that waited. */
void restore_report(struct restore_state *rs, const struct timespec *started);

#endif
