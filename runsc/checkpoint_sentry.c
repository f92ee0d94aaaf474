/* The sentry's half of `runsc checkpoint`. The world is stopped at safe
 * points, the object graph is serialized, and the runsc process that asked
 * gets kernel.pb, the list of memory-file pages the image must carry, and
 * the memory file itself (SCM_RIGHTS): it writes the image with its own
 * threads and files, since the sentry has no host filesystem. The sandbox
 * stays frozen until runsc says how the write went; a failed write, or a
 * runsc that vanished, lets the sandbox run on as if nothing happened. */
#include "runsc/checkpoint.h"
#include "runsc/control.h"
#include "kernel/state/state.h"
#include "kernel/task/task.h"
#include "kernel/mm/mm.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct json_object *reply_error(const char *fmt, const char *detail)
{
	struct json_object *r = json_object_new_object();
	char msg[PATH_MAX + 512];

	snprintf(msg, sizeof(msg), fmt, detail);
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

struct json_object *sentry_checkpoint(struct json_object *req, int conn, bool *stop)
{
	static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;
	struct save_ctx c = { 0 };
	struct json_object *v, *hdr, *result = NULL;
	struct memfile_extent *ext = NULL;
	uint8_t *pb = NULL;
	size_t pb_len, next = 0;
	bool leave_running = json_object_object_get_ex(req, "leave_running", &v) && json_object_get_boolean(v);
	/* A paused sandbox is frozen already, and stays so unless it ends. */
	bool paused = json_object_object_get_ex(req, "paused", &v) && json_object_get_boolean(v);
	bool ok = false;
	struct timespec t0, t1;
	int err;

	*stop = false;
	if (pthread_mutex_trylock(&one_at_a_time) != 0)
		return reply_error("a checkpoint of this sandbox is already in progress%s", "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = paused ? 0 : kernel_freeze(5000);
	if (err < 0) {
		pthread_mutex_unlock(&one_at_a_time);
		return reply_error("stop the sandbox's tasks: %s", strerror(-err));
	}
	/* A restored sandbox whose memory is still loading: finish first. */
	err = memfile_settle ? memfile_settle() : 0;
	if (err < 0) {
		result = reply_error("checkpoint: loading the restored memory: %s", strerror(-err));
		goto out;
	}
	err = kernel_save(&c);
	if (err < 0) {
		result = reply_error("checkpoint: %s", c.err[0] ? c.err : strerror(-err));
		goto out;
	}
	pb_len = amber__kernel__kernel__get_packed_size(c.k);
	pb = malloc(pb_len ? pb_len : 1);
	ext = malloc((c.npages + 1) * sizeof(*ext));
	if (!pb || !ext) {
		result = reply_error("checkpoint: %s", strerror(ENOMEM));
		goto out;
	}
	amber__kernel__kernel__pack(c.k, pb);
	next = save_page_extents(&c, ext);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	hdr = json_object_new_object();
	json_object_object_add(hdr, "kernel_pb", json_object_new_uint64(pb_len));
	json_object_object_add(hdr, "extents", json_object_new_uint64(next));
	json_object_object_add(hdr, "memfile_pages", json_object_new_uint64(sentry_memfile->max_pages));
	json_object_object_add(hdr, "freeze_ns",
			       json_object_new_int64((t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec));
	err = control_send(conn, hdr);
	json_object_put(hdr);
	if (err == 0)
		err = control_send_raw(conn, pb, pb_len, sentry_memfile->fd);
	if (err == 0)
		err = control_send_raw(conn, ext, next * sizeof(*ext), -1);
	if (err == 0) {
		struct json_object *done = NULL;
		/* runsc writes the image now; the sandbox waits frozen. */
		err = control_recv(conn, &done);
		ok = err == 0 && json_object_object_get_ex(done, "ok", &v) && json_object_get_boolean(v);
		json_object_put(done);
	}
	if (!ok) {
		log_warn("checkpoint: the image was not written; the sandbox goes on");
		result = reply_error("checkpoint: the image was not written%s", "");
		goto out;
	}
	result = json_object_new_object();
	*stop = !leave_running;
out:
	if (*stop) {
		struct task **all = NULL;
		int n = task_list_all(&all);
		/* Checkpointed and stopped: the tasks end when they thaw. */
		for (int i = 0; i < n; i++) {
			task_exit_group(all[i], 0);
			task_put(all[i]);
		}
		free(all);
	}
	if (!paused || *stop)
		kernel_thaw();
	pthread_mutex_unlock(&one_at_a_time);
	free(pb);
	free(ext);
	save_ctx_free(&c);
	return result;
}
