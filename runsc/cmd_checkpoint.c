/* runsc checkpoint and runsc restore.
 *
 * checkpoint: the sentry stops the world and hands over kernel.pb, the
 * page list and the memory file (see checkpoint_sentry.c); this process
 * writes the image beside DIR and renames it into place (state/image.c),
 * so a failure at any point leaves the sandbox running and an earlier image
 * intact. restore: create with the sentry loading the image, then start. */
#include "runsc/checkpoint.h"
#include "runsc/control.h"
#include "runsc/lifecycle.h"
#include "state/image.h"
#include "kernel/mm/memfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_KERNEL_PB (1u << 30)
#define MAX_EXTENTS (1u << 26)

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

/* Receives the sandbox's state and writes the image; tells the sentry the
 * outcome either way. Returns 0 or -errno (message printed). */
static int write_image(int conn, const char *dir)
{
	char err[1024] = "";
	struct json_object *hdr = NULL, *done;
	struct image_writer *w = NULL;
	struct memfile_extent *ext = NULL;
	struct pages_stats st = { 0 };
	uint8_t *pb = NULL, *base = MAP_FAILED;
	uint64_t pb_len = 0, next = 0, pages = 0;
	int memfd = -1, r;
	int64_t t0 = mono_ns();

	r = image_writer_open(&w, dir, err, sizeof(err));
	if (r < 0) {
		cli_error("checkpoint: %s", err[0] ? err : cli_strerror(r));
		w = NULL;
		goto out;
	}
	r = control_recv(conn, &hdr);
	if (r < 0) {
		cli_error("checkpoint: the sandbox did not answer: %s", cli_strerror(r));
		goto out;
	}
	if (json_object_object_get_ex(hdr, "error", &done)) {
		cli_error("%s", json_object_get_string(done));
		r = -EIO;
		goto out;
	}
	pb_len = get_u64(hdr, "kernel_pb");
	next = get_u64(hdr, "extents");
	pages = get_u64(hdr, "memfile_pages");
	if (pb_len > MAX_KERNEL_PB || next > MAX_EXTENTS || !pages || pages > (1ull << 36)) {
		cli_error("checkpoint: the sandbox sent a malformed header");
		r = -EPROTO;
		goto out;
	}
	pb = malloc(pb_len ? pb_len : 1);
	ext = malloc((next ? next : 1) * sizeof(*ext));
	if (!pb || !ext) {
		r = -ENOMEM;
		cli_error("checkpoint: %s", cli_strerror(r));
		goto out;
	}
	r = control_recv_raw(conn, pb, pb_len, &memfd);
	if (r == 0)
		r = control_recv_raw(conn, ext, next * sizeof(*ext), NULL);
	if (r < 0) {
		cli_error("checkpoint: receiving the sandbox's state: %s", cli_strerror(r));
		goto out;
	}
	for (uint64_t i = 0; i < next; i++)
		if (!ext[i].count || ext[i].start + ext[i].count > pages ||
		    (i && ext[i].start < ext[i - 1].start + ext[i - 1].count)) {
			cli_error("checkpoint: the sandbox sent a bad page list");
			r = -EPROTO;
			goto out;
		}
	base = mmap(NULL, pages << 12, PROT_READ, MAP_SHARED | MAP_NORESERVE, memfd, 0);
	if (base == MAP_FAILED) {
		r = -errno;
		cli_error("checkpoint: map the memory file: %s", cli_strerror(r));
		goto out;
	}
	r = image_writer_add(w, IMAGE_KERNEL, pb, pb_len);
	if (r == 0) {
		struct pages_source src = { .base = base, .fd = memfd, .extents = ext, .extent_count = next };
		r = image_writer_pages(w, &src, &st);
	}
	if (r == 0) {
		r = image_writer_commit(w);
		w = NULL;
	}
	if (r < 0)
		cli_error("checkpoint: %s", err[0] ? err : cli_strerror(r));
out:
	if (w)
		image_writer_abort(w);
	done = json_object_new_object();
	json_object_object_add(done, "ok", json_object_new_boolean(r == 0));
	if (hdr && pb)
		control_send(conn, done);
	json_object_put(done);
	if (r == 0) {
		printf("checkpoint: %lu pages (%lu zero, %lu stored), %.1f MiB in %lu chunks, kernel.pb %lu bytes, %.0f ms\n",
		       (unsigned long)st.scanned, (unsigned long)st.zero, (unsigned long)st.stored,
		       (double)st.file_size / (1 << 20), (unsigned long)st.chunks, (unsigned long)pb_len,
		       (double)(mono_ns() - t0) / 1e6);
		fflush(stdout);
	}
	if (base != MAP_FAILED)
		munmap(base, pages << 12);
	if (memfd >= 0)
		close(memfd);
	json_object_put(hdr);
	free(pb);
	free(ext);
	return r;
}

int cmd_checkpoint(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *image = NULL, *work = NULL;
	bool leave_running = false, help = false;
	struct arg_spec specs[] = {
		{ "--image-path", true, &image, NULL }, { "--work-path", true, &work, NULL },
		{ "--leave-running", false, NULL, &leave_running }, { "--help", false, NULL, &help },
		{ "-h", false, NULL, &help },
	};
	struct container_state st;
	struct json_object *req, *resp = NULL, *e;
	char sock[PATH_MAX];
	const char *status;
	int conn, r;

	if (parse_args(g, argc, argv, specs, sizeof(specs) / sizeof(specs[0]), &id, 1) < 0)
		return 2;
	if (help) {
		printf("Usage: runsc checkpoint --image-path DIR [--leave-running] [--work-path DIR] ID\n\n"
		       "Saves the state of a running container into the image directory DIR,\n"
		       "then stops it unless --leave-running is given.\n");
		return 0;
	}
	if (!id || !image) {
		cli_error("checkpoint: %s is required", id ? "--image-path" : "a container id");
		return 2;
	}
	if (container_lookup(g, id, &st, &status) < 0)
		return 1;
	state_free(&st);
	if (strcmp(status, "running") != 0) {
		cli_error("cannot checkpoint container %s: it is %s", id, status);
		return 1;
	}
	state_socket_path(g->root, id, sock, sizeof(sock));
	conn = control_connect(sock);
	if (conn < 0) {
		cli_error("container %s: sandbox not reachable: %s", id, cli_strerror(conn));
		return 1;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("checkpoint"));
	json_object_object_add(req, "leave_running", json_object_new_boolean(leave_running));
	r = control_send(conn, req);
	json_object_put(req);
	if (r == 0)
		r = write_image(conn, image);
	else
		cli_error("checkpoint: %s", cli_strerror(r));
	if (r == 0 && control_recv(conn, &resp) == 0 && json_object_object_get_ex(resp, "error", &e)) {
		cli_error("%s", json_object_get_string(e));
		r = -EIO;
	}
	json_object_put(resp);
	close(conn);
	if (r == 0 && !leave_running) {
		/* Like runc: the checkpointed container is stopped. */
		int ws = wait_container(g, id);
		(void)ws;
	}
	return r < 0 ? 1 : 0;
}

int cmd_restore(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *bundle = ".", *pid_file = NULL, *image = NULL, *work = NULL, *background = NULL;
	bool detach = false;
	struct arg_spec specs[] = {
		{ "--bundle", true, &bundle, NULL }, { "-b", true, &bundle, NULL },
		{ "--pid-file", true, &pid_file, NULL }, { "--detach", false, NULL, &detach },
		{ "-d", false, NULL, &detach }, { "--image-path", true, &image, NULL },
		{ "--work-path", true, &work, NULL }, { "--background", true, &background, NULL },
	};
	struct restore_opts ro = { 0 };
	char abs_image[PATH_MAX];
	struct container_state st;
	const char *status;
	int ws;

	if (parse_args(g, argc, argv, specs, sizeof(specs) / sizeof(specs[0]), &id, 1) != 1 || !image) {
		cli_error("restore: %s is required", id ? "--image-path" : "a container id");
		return 2;
	}
	if (background && strcmp(background, "true") && strcmp(background, "false")) {
		cli_error("restore: --background takes true or false, not %s", background);
		return 2;
	}
	if (!realpath(image, abs_image)) {
		cli_error("restore: image %s: %s", image, cli_strerror(-errno));
		return 1;
	}
	ro.image = abs_image;
	ro.eager = background && strcmp(background, "false") == 0;
	if (lifecycle_create(g, bundle, id, pid_file, NULL, &ro) < 0)
		return 1;
	if (container_lookup(g, id, &st, &status) < 0)
		return 1;
	if (start_with_hooks(g, id, &st) < 0) {
		delete_with_hooks(g, &st);
		state_free(&st);
		return 1;
	}
	state_free(&st);
	if (detach)
		return 0;
	ws = wait_container(g, id);
	if (container_lookup(g, id, &st, &status) == 0) {
		delete_with_hooks(g, &st);
		state_free(&st);
	}
	if (ws < 0)
		return 1;
	return (ws & 0x7f) ? 128 + (ws & 0x7f) : (ws >> 8) & 0xff;
}
