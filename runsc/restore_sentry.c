/* The sentry's half of `runsc restore`: the image is opened and checked
 * before the sentry leaves the host filesystem (restore_open), and loaded
 * into the fresh kernel once its mounts exist (restore_load). Memory comes
 * in lazily (state/lazy.c): the task runs at once, a touched page that is
 * not loaded yet is loaded first, and a background thread loads the rest. */
#include "runsc/checkpoint.h"
#include "kernel/state/state.h"
#include "kernel/task/task.h"
#include "kernel/mm/mm.h"
#include "kernel/lib/log.h"
#include "kernel/fs/gofer/gofer_fs.h"
#include "kernel/mm/vdso.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct lazy *active_lazy;

static int ensure(uint64_t off, uint64_t len)
{
	return lazy_ensure(active_lazy, off, len);
}

static void discard(uint64_t off, uint64_t len)
{
	lazy_discard(active_lazy, off, len);
}

static int settle(void)
{
	return lazy_finish(active_lazy);
}

static void lazy_failed(void *arg, int err, const char *msg)
{
	log_error("restore: loading memory: %s", msg);
}

int restore_open(struct restore_state *rs, const char *dir, bool eager, char *err, size_t errlen)
{
	const void *buf;
	size_t len;
	int r;

	memset(rs, 0, sizeof(*rs));
	rs->uffd_dev = -1;
	rs->eager = eager;
	clock_gettime(CLOCK_MONOTONIC, &rs->t0);
	r = image_open(&rs->img, dir, err, errlen);
	if (r < 0)
		return r;
	rs->same_host = manifest_same_host(image_manifest(rs->img));
	r = image_read(rs->img, IMAGE_KERNEL, &buf, &len);
	if (r < 0) {
		snprintf(err, errlen, "image %s: kernel.pb: %s", dir, strerror(-r));
		return r;
	}
	rs->k = amber__kernel__kernel__unpack(NULL, len, buf);
	if (!rs->k) {
		snprintf(err, errlen, "image %s: kernel.pb: not a valid kernel state", dir);
		return -EBADMSG;
	}
	r = image_open_pages(rs->img, &rs->pr);
	if (r < 0) {
		snprintf(err, errlen, "image %s: pages: %s", dir, strerror(-r));
		return r;
	}
	if (!eager) {
		rs->uffd_dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		if (rs->uffd_dev < 0)
			log_warn("restore: /dev/userfaultfd: %s; memory loads before the sandbox runs", strerror(errno));
	}
	return 0;
}

int restore_open_fds(struct restore_state *rs, const void *kernel_pb, size_t len, int pages_fd, int uffd_fd,
		     bool eager, bool same_host, char *err, size_t errlen)
{
	int r;

	memset(rs, 0, sizeof(*rs));
	rs->uffd_dev = -1;
	rs->eager = eager;
	rs->same_host = same_host;
	clock_gettime(CLOCK_MONOTONIC, &rs->t0);
	if (len > RESTORE_MAX_KERNEL_PB)
		r = -EFBIG;
	else
		r = (rs->k = amber__kernel__kernel__unpack(NULL, len, kernel_pb)) ? 0 : -EBADMSG;
	if (r < 0) {
		snprintf(err, errlen, "restore: kernel.pb: not a valid kernel state");
		goto fail;
	}
	r = pages_open(&rs->pr, pages_fd, err, errlen);
	if (r < 0)
		goto fail;
	if (!eager)
		rs->uffd_dev = uffd_fd;
	else if (uffd_fd >= 0)
		close(uffd_fd);
	return 0;
fail:
	if (rs->k)
		amber__kernel__kernel__free_unpacked(rs->k, NULL);
	rs->k = NULL;
	if (uffd_fd >= 0)
		close(uffd_fd);
	return r;
}

void restore_drop(struct restore_state *rs)
{
	if (rs->k)
		amber__kernel__kernel__free_unpacked(rs->k, NULL);
	pages_close(rs->pr);
	if (rs->uffd_dev >= 0)
		close(rs->uffd_dev);
	rs->k = NULL;
	rs->pr = NULL;
	rs->uffd_dev = -1;
}

int restore_reset(char *err, size_t errlen)
{
	uint64_t used;

	/* What the created task's exec read stays in the page caches of the
	 * files it touched; the image's pages go where they were. */
	gofer_fs_drop_caches();
	if (vdso_release() < 0) {
		snprintf(err, errlen, "restore: the created sandbox's vDSO data page is in use");
		return -EBUSY;
	}
	used = __atomic_load_n(&sentry_memfile->used_pages, __ATOMIC_RELAXED);
	if (used) {
		snprintf(err, errlen, "restore: the created sandbox still holds %lu pages of memory",
			 (unsigned long)used);
		return -EBUSY;
	}
	return 0;
}

int restore_load(struct restore_state *rs, const int stdio[3], struct task **task, char *err, size_t errlen)
{
	struct load_ctx c = { .k = rs->k, .stdio = stdio, .same_host = rs->same_host };
	struct lazy_opts opts = { .mode = rs->eager || rs->uffd_dev < 0 ? LAZY_EAGER : LAZY_BACKGROUND,
				  .uffd_dev_fd = rs->uffd_dev, .on_error = lazy_failed };
	struct lazy_mem mem = { .fd = sentry_memfile->fd, .base = sentry_memfile->base,
				.size = sentry_memfile->max_pages << PAGE_SHIFT };
	struct task **tasks;
	size_t n;
	int r = kernel_load(&c, &tasks, &n);

	if (r < 0) {
		snprintf(err, errlen, "restore: %s", c.err[0] ? c.err : strerror(-r));
		return r;
	}
	r = lazy_start(&rs->lazy, &mem, rs->pr, &opts, err, errlen);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			task_put(tasks[i]);
		free(tasks);
		return r;
	}
	if (!rs->eager && rs->uffd_dev >= 0) {
		active_lazy = rs->lazy;
		memfile_ensure = ensure;
		memfile_discard = discard;
		memfile_settle = settle;
	}
	/* Init's stub is made by the sandbox's thread; every other live
	 * task gets its host thread now, which waits for task_start_all.
	 * A thread whose address space another thread's stub serves is
	 * started by that one (task_restore_platform). */
	for (size_t i = 1; i < n && r == 0; i++) {
		if (!tasks[i]->exited && !tasks[i]->restore_by && (r = task_spawn_restored(tasks[i])) < 0)
			snprintf(err, errlen, "restore: task %d: %s", tasks[i]->tid, strerror(-r));
	}
	if (r < 0) {
		/* The sentry ends: what started runs only to be killed. */
		task_start_all();
		task_kill_others_and_wait(tasks[0]);
	}
	for (size_t i = 1; i < n; i++)
		task_put(tasks[i]);
	*task = tasks[0];
	free(tasks);
	return r;
}

void restore_report(struct restore_state *rs, const struct timespec *started)
{
	struct lazy_stats st;
	char line[512];
	double first = (double)(started->tv_sec - rs->t0.tv_sec) * 1e3 + (double)(started->tv_nsec - rs->t0.tv_nsec) / 1e6;

	if (!rs->lazy)
		return;
	lazy_stats(rs->lazy, &st);
	lazy_stats_line(&st, line, sizeof(line));
	/* From the sentry opening the image to the task's first instruction;
	 * the loader's figures count from its own start. */
	log_info("restore: first application instruction %.1f ms after the image was opened; %s", first,
		 strncmp(line, "restore: ", 9) == 0 ? line + 9 : line);
}
