/* runsc checkpoint and runsc restore.
 *
 * checkpoint: the sentry stops the world and hands over kernel.pb, the
 * page list and the memory file (see checkpoint_sentry.c); this process
 * writes the image beside DIR and renames it into place (state/image.c),
 * so a failure at any point leaves the sandbox running and an earlier image
 * intact. restore: create with the sentry loading the image, then start;
 * or, for a container `runsc create` made, load the image into its
 * sandbox (restore_created). */
#include "runsc/checkpoint.h"
#include "runsc/control.h"
#include "runsc/hooks.h"
#include "runsc/lifecycle.h"
#include "runsc/oci_spec.h"
#include "state/image.h"
#include "kernel/mm/memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* What a checkpoint took, for CRIU's stats-dump (see write_criu_stats). */
struct dump_figures {
	int64_t freeze_ns;		/* the sentry's stopping of its tasks */
	int64_t frozen_ns;		/* until the image was written */
	struct pages_stats pages;
};

/* The progress bar on a terminal: pages stored so far, bytes, MB/s. */
struct progress {
	int64_t t0, last;
	bool shown;
};

static void show_progress(void *arg, uint64_t done, uint64_t total, uint64_t bytes)
{
	struct progress *p = arg;
	int64_t now = mono_ns();
	char bar[31];
	int fill = total ? (int)(done * 30 / total) : 30;
	double secs = (double)(now - p->t0) / 1e9;

	if (done < total && now - p->last < 100 * 1000000LL)
		return;
	p->last = now;
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : ' ';
	bar[30] = 0;
	fprintf(stderr, "\rcheckpoint: [%s] %3d%% %.1f MiB, %.0f MB/s", bar, total ? (int)(done * 100 / total) : 100,
		(double)bytes / (1 << 20), secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
	if (done >= total)
		fprintf(stderr, "\r\033[K");	/* the summary line takes its place */
	p->shown = true;
}

/* Receives the sandbox's state and writes the image; tells the sentry the
 * outcome either way. Fills *fig on success. Returns 0 or -errno (message
 * printed). */
static int write_image(int conn, const char *dir, struct dump_figures *fig)
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
		struct progress bar = { .t0 = mono_ns() };
		struct pages_source src = { .base = base, .fd = memfd, .extents = ext, .extent_count = next,
					    .progress = isatty(2) ? show_progress : NULL, .progress_arg = &bar };
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
		fig->freeze_ns = (int64_t)get_u64(hdr, "freeze_ns");
		fig->frozen_ns = mono_ns() - t0;
		fig->pages = st;
		/* On stderr: clients (podman) hand the runtime their stdout. */
		fprintf(stderr, "checkpoint: %lu pages (%lu zero, %lu stored), %.1f MiB in %lu chunks, kernel.pb %lu bytes, %.0f ms\n",
		       (unsigned long)st.scanned, (unsigned long)st.zero, (unsigned long)st.stored,
		       (double)st.file_size / (1 << 20), (unsigned long)st.chunks, (unsigned long)pb_len,
		       (double)(mono_ns() - t0) / 1e6);
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

/* ---- CRIU's statistics files ----------------------------------------------
 *
 * runc's --work-path is where CRIU leaves its work files. Podman reads two
 * of them there, stats-dump and stats-restore (checkpoint and restore
 * --print-stats fail without them), and puts stats-dump into the archive
 * of checkpoint --export. They are CRIU images (criu/include/magic.h,
 * images/stats.proto): IMG_SERVICE_MAGIC, STATS_MAGIC, a 32-bit length and
 * one stats_entry in protobuf, little-endian. Amber writes them with its
 * own figures; fields that have no counterpart (CRIU's parent images,
 * copy-on-write, forking) are 0. */
#define CRIU_IMG_SERVICE_MAGIC 0x55105940u
#define CRIU_STATS_MAGIC 0x57093306u

struct pb_buf {
	uint8_t b[256];
	size_t len;
};

static void pb_varint(struct pb_buf *p, uint64_t v)
{
	do {
		if (p->len < sizeof(p->b))
			p->b[p->len++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

/* A varint field; proto2 "required" fields are written even when 0. */
static void pb_uint(struct pb_buf *p, unsigned field, uint64_t v)
{
	pb_varint(p, (uint64_t)field << 3);
	pb_varint(p, v);
}

static uint32_t usec(int64_t ns)
{
	return ns <= 0 ? 0 : ns / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ns / 1000);
}

static void put_le32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* Writes <dir>/<name> holding a stats_entry whose field `which` (1: dump,
 * 2: restore) is the message in inner. A failure is only a warning: the
 * image or the restored container is what was asked for. */
static void write_criu_stats(const char *dir, const char *name, unsigned which, const struct pb_buf *inner)
{
	struct pb_buf entry = { .len = 0 };
	uint8_t file[12 + sizeof(entry.b)];
	char path[PATH_MAX];
	size_t size;
	ssize_t n;
	int fd;

	pb_varint(&entry, (uint64_t)which << 3 | 2);
	pb_varint(&entry, inner->len);
	if (entry.len + inner->len > sizeof(entry.b))
		return;
	memcpy(entry.b + entry.len, inner->b, inner->len);
	entry.len += inner->len;
	put_le32(file, CRIU_IMG_SERVICE_MAGIC);
	put_le32(file + 4, CRIU_STATS_MAGIC);
	put_le32(file + 8, (uint32_t)entry.len);
	memcpy(file + 12, entry.b, entry.len);
	size = 12 + entry.len;
	/* runc creates the work directory if it is missing. */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	n = write(fd, file, size);
	if (n != (ssize_t)size) {
		int e = n < 0 ? errno : EIO;
		close(fd);
		errno = e;
		goto fail;
	}
	close(fd);
	return;
fail:
	fprintf(stderr, "runsc: warning: --work-path %s: %s: %s\n", dir, name, cli_strerror(-errno));
}

static void write_dump_stats(const char *dir, const struct dump_figures *fig)
{
	struct pb_buf d = { .len = 0 };

	pb_uint(&d, 1, usec(fig->freeze_ns));			/* freezing_time */
	pb_uint(&d, 2, usec(fig->frozen_ns));			/* frozen_time */
	pb_uint(&d, 3, usec(fig->frozen_ns - (int64_t)fig->pages.elapsed_ns)); /* memdump_time */
	pb_uint(&d, 4, usec((int64_t)fig->pages.elapsed_ns));	/* memwrite_time */
	pb_uint(&d, 5, fig->pages.scanned);			/* pages_scanned */
	pb_uint(&d, 6, 0);					/* pages_skipped_parent */
	pb_uint(&d, 7, fig->pages.stored);			/* pages_written */
	pb_uint(&d, 9, 0);					/* pages_lazy */
	write_criu_stats(dir, "stats-dump", 1, &d);
}

static void write_restore_stats(const char *dir, int64_t restore_ns)
{
	struct pb_buf d = { .len = 0 };

	pb_uint(&d, 1, 0);			/* pages_compared */
	pb_uint(&d, 2, 0);			/* pages_skipped_cow */
	pb_uint(&d, 3, 0);			/* forking_time */
	pb_uint(&d, 4, usec(restore_ns));	/* restore_time: until the container runs */
	write_criu_stats(dir, "stats-restore", 2, &d);
}

/* ---- the command lines clients write --------------------------------------
 *
 * Docker (through containerd's runc shim) and Podman (itself for
 * checkpoint, through conmon for restore) drive these commands with runc's
 * flags, written as runc's parser (Go's flag package under urfave/cli)
 * reads them: one or two dashes (containerd writes "-no-subreaper"),
 * "--name VALUE" or "--name=VALUE", booleans as "--name" or
 * "--name=true|false". Every runc flag of the two commands is listed below
 * with what it means for Amber; one that Amber cannot honour is refused,
 * never ignored. */

enum cr_kind { CR_STRING, CR_BOOL, CR_INT };

struct cr_flag {
	const char *name;		/* without dashes */
	const char *alias;		/* a one-letter alias, or NULL */
	enum cr_kind kind;
	void *out;			/* const char **, bool * or int * */
	/* Checks each value given (a flag may be repeated); prints the
	 * message and returns -1 to refuse it. */
	int (*check)(const char *value);
	const char *help;
};

/* Go's strconv.ParseBool. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Parses argv[1..]: the flags of table, then global flags
 * (parse_common_flag), and one container id into *id. Returns 0, or -1
 * with the message printed. */
static int cr_parse(struct global_flags *g, int argc, char **argv, const struct cr_flag *table, size_t n,
		    const char **id)
{
	bool flags_done = false;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *value;
		const struct cr_flag *f = NULL;
		size_t len;

		if (flags_done || arg[0] != '-' || !arg[1]) {
			if (*id) {
				cli_error("%s: unexpected argument %s", argv[0], arg);
				return -1;
			}
			*id = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			flags_done = true;
			continue;
		}
		name = arg + (arg[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		for (size_t k = 0; k < n && !f; k++)
			if ((strlen(table[k].name) == len && strncmp(table[k].name, name, len) == 0) ||
			    (table[k].alias && strlen(table[k].alias) == len && strncmp(table[k].alias, name, len) == 0))
				f = &table[k];
		if (!f) {
			int r = parse_common_flag(g, argc, argv, &i);
			if (r == 0)
				cli_error("%s: unknown flag %s", argv[0], arg);
			if (r <= 0)
				return -1;
			continue;
		}
		if (f->kind == CR_BOOL) {
			bool b = true;

			if (eq && parse_bool(eq + 1, &b) < 0) {
				cli_error("%s: invalid boolean value \"%s\" for flag --%s", argv[0], eq + 1, f->name);
				return -1;
			}
			*(bool *)f->out = b;
			continue;
		}
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			cli_error("flag needs an argument: %s", arg);
			return -1;
		}
		if (f->check && f->check(value) < 0)
			return -1;
		if (f->kind == CR_INT) {
			char *end;
			long v;

			errno = 0;
			v = strtol(value, &end, 0);
			if (!*value || *end || errno || v < INT_MIN || v > INT_MAX) {
				cli_error("%s: invalid value \"%s\" for flag --%s", argv[0], value, f->name);
				return -1;
			}
			*(int *)f->out = (int)v;
		} else {
			*(const char **)f->out = value;
		}
	}
	return 0;
}

static void cr_usage(const char *synopsis, const char *what, const struct cr_flag *table, size_t n)
{
	printf("Usage: runsc %s\n\n%s\n\nFlags:\n", synopsis, what);
	for (size_t k = 0; k < n; k++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%s%s--%s%s", table[k].alias ? "-" : "    ",
			 table[k].alias ? table[k].alias : "", table[k].alias ? ", " : "", table[k].name,
			 table[k].kind == CR_BOOL ? "" : table[k].kind == CR_INT ? " N" : " VALUE");
		printf("  %-32s %s\n", left, table[k].help);
	}
}

/* runc's --manage-cgroups-mode values. */
static int check_cgroups_mode(const char *v)
{
	if (strcmp(v, "soft") && strcmp(v, "full") && strcmp(v, "strict") && strcmp(v, "ignore")) {
		cli_error("invalid --manage-cgroups-mode %s (soft, full, strict or ignore)", v);
		return -1;
	}
	return 0;
}

/* runc's --empty-ns: the network namespace only. */
static int check_empty_ns(const char *v)
{
	if (strcmp(v, "network") != 0) {
		cli_error("--empty-ns: namespace \"%s\" is not supported", v);
		return -1;
	}
	return 0;
}

static int refuse_page_server(const char *v)
{
	cli_error("--page-server %s: not supported: Amber writes every page into the image directory", v);
	return -1;
}

static int refuse_console_socket(const char *v)
{
	(void)v;
	cli_error("--console-socket: terminals are not supported yet");
	return -1;
}

/* dir/rel with "." and ".." resolved by name, as Go's filepath.Join does
 * (runc looks for a parent image so, whether or not dir exists yet).
 * Returns 0, or -ENAMETOOLONG. */
static int join_clean(const char *dir, const char *rel, char *out, size_t size)
{
	char in[PATH_MAX], *save = NULL;
	bool rooted = dir[0] == '/';
	size_t len = 0, keep;	/* out[0, keep) is never backed out of: "/" or leading ".."s */

	if (snprintf(in, sizeof(in), "%s/%s", dir, rel) >= (int)sizeof(in) || size < 2)
		return -ENAMETOOLONG;
	if (rooted)
		out[len++] = '/';
	keep = len;
	for (char *c = strtok_r(in, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		size_t n = strlen(c);

		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0 && len > keep) {
			while (len > keep && out[len - 1] != '/')
				len--;
			if (len > keep)
				len--;
			continue;
		}
		if (strcmp(c, "..") == 0 && rooted)
			continue;
		if (len + 1 + n + 1 > size)
			return -ENAMETOOLONG;
		if (len > 0 && out[len - 1] != '/')
			out[len++] = '/';
		memcpy(out + len, c, n);
		len += n;
		if (strcmp(c, "..") == 0)
			keep = len;
	}
	if (len == 0)
		out[len++] = '.';
	out[len] = 0;
	return 0;
}

/* Where runc puts an image when no --image-path is given. */
static const char *default_image_path(char *buf, size_t size)
{
	if (!getcwd(buf, size - sizeof("/checkpoint")))
		return NULL;
	strcat(buf, "/checkpoint");
	return buf;
}

/* The flags checkpoint and restore share, as runc has them. What they ask
 * CRIU for needs nothing of Amber, which saves the sandbox as its own data:
 *
 * --work-path: where CRIU writes its logs and statistics. Amber writes
 *   the statistics that clients read there (stats-dump, stats-restore);
 *   its errors go to stderr and --log, not to a dump.log.
 * --tcp-established, --ext-unix-sk: let CRIU save established TCP
 *   connections and unix sockets connected outside the container, which
 *   it might not restore faithfully. A sandbox's sockets are the sentry's
 *   own; one that cannot be saved yet (today: every socket, and any host
 *   fd but stdio) makes the checkpoint fail with its name, with or without
 *   the flag, so nothing is ever dropped silently.
 * --shell-job: let CRIU save a process whose session or terminal is outside
 *   the container. Amber saves the sandbox's stdio as stdio and binds them
 *   to the restoring command's, which is what this flag asks for.
 * --file-locks: let CRIU save file locks. Amber has none yet (fcntl record
 *   locks fail with EINVAL, flock is not implemented).
 * --manage-cgroups-mode: how CRIU restores the cgroups it saved. Amber
 *   saves none: a restored sandbox gets the cgroups of the bundle it is
 *   restored with, as a created one does. Values are checked as runc does.
 * --empty-ns network: make the namespace but leave it empty. Amber saves
 *   no network state (no socket can be saved yet), so the restored
 *   network is the one the bundle describes, which is what is asked.
 * --auto-dedup: CRIU punches the pages it writes again out of a parent
 *   image. Amber's images have no parents.
 * --lazy-pages: restore memory on first touch (userfaultfd). Every Amber
 *   restore is lazy; at checkpoint the image still gets every page, so it
 *   restores without a page server. */
#define CR_COMMON_FLAGS(work, tcp, ext_unix, shell_job, file_locks, cg_mode, empty_ns, auto_dedup, lazy) \
	{ "work-path", NULL, CR_STRING, work, NULL, "where stats-dump or stats-restore is written" }, \
	{ "tcp-established", NULL, CR_BOOL, tcp, NULL, "accepted; sockets that cannot be saved fail the checkpoint" }, \
	{ "ext-unix-sk", NULL, CR_BOOL, ext_unix, NULL, "accepted; as --tcp-established" }, \
	{ "shell-job", NULL, CR_BOOL, shell_job, NULL, "accepted; stdio is always saved and rebound" }, \
	{ "file-locks", NULL, CR_BOOL, file_locks, NULL, "accepted; Amber has no file locks yet" }, \
	{ "manage-cgroups-mode", NULL, CR_STRING, cg_mode, check_cgroups_mode, \
	  "soft|full|strict|ignore: accepted; cgroups come from the bundle" }, \
	{ "empty-ns", NULL, CR_STRING, empty_ns, check_empty_ns, "network: accepted; no network state is saved" }, \
	{ "auto-dedup", NULL, CR_BOOL, auto_dedup, NULL, "accepted; images have no parent to deduplicate" }, \
	{ "lazy-pages", NULL, CR_BOOL, lazy, NULL, "memory is restored on first touch (always so)" }

int cmd_checkpoint(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *image = NULL, *work = NULL, *parent = NULL, *cg_mode = NULL, *empty_ns = NULL,
		   *page_server = NULL;
	bool leave_running = false, pre_dump = false, tcp = false, ext_unix = false, shell_job = false,
	     file_locks = false, auto_dedup = false, lazy = false, help = false;
	int status_fd = -1;
	struct dump_figures fig = { 0 };
	const struct cr_flag flags[] = {
		{ "image-path", NULL, CR_STRING, &image, NULL, "the image directory (default ./checkpoint)" },
		{ "leave-running", NULL, CR_BOOL, &leave_running, NULL, "leave the container running afterwards" },
		/* runc: dump the memory and leave the container running, for a
		 * later dump with --parent-path to write only what changed. A
		 * complete image is a superset of that, so the pre-dump is one
		 * with --leave-running. */
		{ "pre-dump", NULL, CR_BOOL, &pre_dump, NULL, "a complete image, container left running" },
		/* The pre-dump a dump may refer to: Amber's image is complete
		 * without it. Checked as runc checks it (relative to the image
		 * path, a directory). */
		{ "parent-path", NULL, CR_STRING, &parent, NULL, "accepted; the image is complete without it" },
		/* runc hands it to CRIU, which writes "\0" once a lazy-pages
		 * image can be restored: here, once the image is complete. */
		{ "status-fd", NULL, CR_INT, &status_fd, NULL, "with --lazy-pages, \"\\0\" is written there when done" },
		/* Pages sent to a remote page server instead of the image
		 * would leave the image incomplete: refused. */
		{ "page-server", NULL, CR_STRING, &page_server, refuse_page_server, "not supported" },
		CR_COMMON_FLAGS(&work, &tcp, &ext_unix, &shell_job, &file_locks, &cg_mode, &empty_ns, &auto_dedup, &lazy),
		{ "help", "h", CR_BOOL, &help, NULL, "this text" },
	};
	char default_image[PATH_MAX];
	struct container_state st;
	struct json_object *req, *resp = NULL, *e;
	char sock[PATH_MAX];
	const char *status;
	int conn, r;

	if (cr_parse(g, argc, argv, flags, sizeof(flags) / sizeof(flags[0]), &id) < 0)
		return 2;
	if (help) {
		/* Podman runs "checkpoint --help" to learn whether a runtime
		 * can checkpoint: it must succeed. */
		cr_usage("checkpoint [flags] ID",
			 "Saves the state of a running container into an image directory, then\n"
			 "stops the container unless --leave-running (or --pre-dump) is given.",
			 flags, sizeof(flags) / sizeof(flags[0]));
		return 0;
	}
	if (!id) {
		cli_error("checkpoint: a container id is required");
		return 2;
	}
	if (!image && !(image = default_image_path(default_image, sizeof(default_image)))) {
		cli_error("checkpoint: the current directory: %s", cli_strerror(-errno));
		return 1;
	}
	if (parent) {
		char real_parent[PATH_MAX];
		struct stat sb;

		if (parent[0] == '/') {
			cli_error("checkpoint: --parent-path must be relative");
			return 2;
		}
		r = join_clean(image, parent, real_parent, sizeof(real_parent));
		if (r == 0)
			r = stat(real_parent, &sb) < 0 ? -errno : S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
		if (r < 0) {
			cli_error("checkpoint: invalid --parent-path: %s: %s", real_parent, cli_strerror(r));
			return 1;
		}
	}
	if (lazy && status_fd >= 0) {
		int fl = fcntl(status_fd, F_GETFL);

		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
			cli_error("checkpoint: invalid --status-fd %d: %s", status_fd,
				  fl < 0 ? cli_strerror(-errno) : "not writable");
			return 2;
		}
	}
	leave_running = leave_running || pre_dump;
	if (container_lookup(g, id, &st, &status) < 0)
		return 1;
	state_free(&st);
	/* runc checkpoints a paused container too: the sentry decides. */
	if (strcmp(status, "running") != 0 && strcmp(status, "paused") != 0) {
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
		r = write_image(conn, image, &fig);
	else
		cli_error("checkpoint: %s", cli_strerror(r));
	if (r == 0 && control_recv(conn, &resp) == 0 && json_object_object_get_ex(resp, "error", &e)) {
		cli_error("%s", json_object_get_string(e));
		r = -EIO;
	}
	json_object_put(resp);
	close(conn);
	if (r == 0 && work)
		write_dump_stats(work, &fig);
	if (r == 0 && lazy && status_fd >= 0) {
		if (write(status_fd, "", 1) != 1)
			cli_error("checkpoint: --status-fd %d: %s", status_fd, cli_strerror(-errno));
		close(status_fd);
	}
	if (r == 0 && !leave_running) {
		/* Like runc: the checkpointed container is stopped. */
		int ws = wait_container(g, id);
		(void)ws;
	}
	return r < 0 ? 1 : 0;
}

/* Runs the hooks of kind for container st in state status; a failure is
 * fatal (startContainer) or a warning (poststart), as start has them. */
static int restore_hooks(struct container_state *st, enum oci_hook_kind kind, const char *status)
{
	struct oci_spec spec;
	char err[1024], *state;
	int r = 0;

	if (oci_spec_load(st->bundle, &spec, err, sizeof(err)) < 0)
		return 0;
	state = hooks_state_json(st->id, status, st->sentry_pid, st->bundle);
	if (state && hooks_run(&spec, kind, state, err, sizeof(err)) < 0) {
		if (kind == OCI_HOOK_START_CONTAINER) {
			cli_error("%s", err);
			r = -EIO;
		} else {
			fprintf(stderr, "runsc: warning: %s\n", err);
		}
	}
	free(state);
	oci_spec_free(&spec);
	return r;
}

/* Sends the image to the sentry of created container id. Returns 0, or
 * -errno with the message printed. */
static int send_image(struct global_flags *g, const char *id, struct image *img, bool eager)
{
	struct json_object *req, *resp = NULL, *e;
	char sock[PATH_MAX];
	const void *pb;
	size_t len;
	int pages_fd, uffd = -1, conn, r;

	r = image_read(img, IMAGE_KERNEL, &pb, &len);
	if (r < 0 || len > RESTORE_MAX_KERNEL_PB) {
		cli_error("restore: kernel.pb: %s", r < 0 ? cli_strerror(r) : "too large");
		return r < 0 ? r : -EFBIG;
	}
	pages_fd = image_file_fd(img, IMAGE_PAGES);
	if (pages_fd < 0) {
		cli_error("restore: pages: %s", cli_strerror(pages_fd));
		return pages_fd;
	}
	/* As a new sandbox's restore: without userfaultfd, memory loads
	 * before the container runs. */
	if (!eager)
		uffd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	state_socket_path(g->root, id, sock, sizeof(sock));
	conn = control_connect(sock);
	if (conn < 0) {
		cli_error("container %s: sandbox not reachable: %s", id, cli_strerror(conn));
		r = conn;
		goto out;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("restore"));
	json_object_object_add(req, "kernel_pb", json_object_new_uint64(len));
	json_object_object_add(req, "eager", json_object_new_boolean(eager));
	json_object_object_add(req, "same_host", json_object_new_boolean(manifest_same_host(image_manifest(img))));
	json_object_object_add(req, "uffd", json_object_new_boolean(uffd >= 0));
	r = control_send(conn, req);
	json_object_put(req);
	if (r == 0)
		r = control_send_raw(conn, pb, len, pages_fd);
	if (r == 0 && uffd >= 0)
		r = control_send_raw(conn, "", 1, uffd);
	if (r == 0)
		r = control_recv(conn, &resp);
	if (r < 0)
		cli_error("restore: container %s: %s", id, cli_strerror(r));
	else if (json_object_object_get_ex(resp, "error", &e)) {
		cli_error("%s", json_object_get_string(e));
		r = -EIO;
	}
	json_object_put(resp);
	close(conn);
out:
	if (uffd >= 0)
		close(uffd);
	close(pages_fd);
	return r;
}

static bool container_exists(struct global_flags *g, const char *id)
{
	struct container_state st;
	int r = state_load(g->root, id, &st);

	if (r == 0)
		state_free(&st);
	return r != -ENOENT;
}

/* runsc restore of a container that runsc create made, as containerd
 * does: the image is opened and checked here, where the host's files
 * are, and its sentry loads it in place of the created task, so the
 * sandbox's pid stays the one the engine knows. The restored process's
 * stdio are the sandbox's (create's). Returns 0 or -errno (message
 * printed); bad input leaves the created container as it was, a failure
 * once its task was dropped deletes the container. */
static int restore_created(struct global_flags *g, const char *id, const char *bundle, const char *pid_file,
			   const struct restore_opts *ro)
{
	struct container_state st;
	char err[1024] = "", abs_bundle[PATH_MAX];
	struct image *img = NULL;
	const char *status;
	int r;

	if (container_lookup(g, id, &st, &status) < 0)
		return -ENOENT;
	if (strcmp(status, "created") != 0) {
		cli_error("cannot restore into container %s: it is %s (only a created one can be)", id, status);
		r = -EEXIST;
		goto out;
	}
	if (bundle && (!realpath(bundle, abs_bundle) || strcmp(abs_bundle, st.bundle) != 0)) {
		cli_error("cannot restore into container %s: it was created from bundle %s, not %s", id, st.bundle, bundle);
		r = -EINVAL;
		goto out;
	}
	r = image_open(&img, ro->image, err, sizeof(err));
	if (r < 0) {
		cli_error("restore: image %s: %s", ro->image, err);
		goto out;
	}
	r = restore_hooks(&st, OCI_HOOK_START_CONTAINER, "created");
	if (r == 0)
		r = send_image(g, id, img, ro->eager);
	if (r < 0) {
		struct container_state now;

		/* Gone with its created task, the container cannot be run:
		 * nothing of it is left. */
		if (container_lookup(g, id, &now, &status) == 0) {
			if (strcmp(status, "created") != 0)
				delete_with_hooks(g, &now);
			state_free(&now);
		}
		goto out;
	}
	restore_hooks(&st, OCI_HOOK_POSTSTART, "running");
	if (pid_file) {
		FILE *f = fopen(pid_file, "w");

		if (!f || fprintf(f, "%d", st.sentry_pid) < 0 || fclose(f) != 0) {
			r = -errno;
			cli_error("write pid file %s: %s", pid_file, cli_strerror(r));
		}
	}
out:
	image_close(img);
	state_free(&st);
	return r;
}

int cmd_restore(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *bundle = NULL, *pid_file = NULL, *image = NULL, *work = NULL, *background = NULL,
		   *console = NULL, *cg_mode = NULL, *empty_ns = NULL, *lsm_profile = NULL, *lsm_mount = NULL;
	bool detach = false, tcp = false, ext_unix = false, shell_job = false, file_locks = false, auto_dedup = false,
	     lazy = false, no_subreaper = false, no_pivot = false, help = false;
	const struct cr_flag flags[] = {
		{ "image-path", NULL, CR_STRING, &image, NULL, "the image directory (default ./checkpoint)" },
		{ "bundle", "b", CR_STRING, &bundle, NULL, "the bundle to restore into (default .)" },
		{ "detach", "d", CR_BOOL, &detach, NULL, "return once the container runs" },
		{ "pid-file", NULL, CR_STRING, &pid_file, NULL, "write the sandbox's process id there" },
		/* Amber's own: false loads every page before the container runs. */
		{ "background", NULL, CR_STRING, &background, NULL,
		  "true (default): load memory in the background; false: before running" },
		/* As create: no terminals yet. */
		{ "console-socket", NULL, CR_STRING, &console, refuse_console_socket, "not supported yet" },
		/* runc becomes a child subreaper to reap what the container
		 * leaves while it waits. The application's processes live in
		 * the sentry; runsc waits through the control socket. */
		{ "no-subreaper", NULL, CR_BOOL, &no_subreaper, NULL, "accepted; runsc reaps nothing of the container" },
		/* runc's fallback where pivot_root fails (a ramdisk root).
		 * Amber pivots only in its own sandbox and gofer mount
		 * namespaces, with no fallback: where it fails, restore fails
		 * with its error, as create does, never silently. */
		{ "no-pivot", NULL, CR_BOOL, &no_pivot, NULL, "accepted; no other way to enter the root" },
		/* The LSM label of the restored process and its mounts. Amber
		 * applies no host LSM label to the application, at create or
		 * restore: the sentry is the boundary. */
		{ "lsm-profile", NULL, CR_STRING, &lsm_profile, NULL, "accepted; no host LSM labels are applied" },
		{ "lsm-mount-context", NULL, CR_STRING, &lsm_mount, NULL, "accepted; as --lsm-profile" },
		CR_COMMON_FLAGS(&work, &tcp, &ext_unix, &shell_job, &file_locks, &cg_mode, &empty_ns, &auto_dedup, &lazy),
		{ "help", "h", CR_BOOL, &help, NULL, "this text" },
	};
	struct restore_opts ro = { 0 };
	char abs_image[PATH_MAX], default_image[PATH_MAX];
	int64_t t0 = mono_ns();

	if (cr_parse(g, argc, argv, flags, sizeof(flags) / sizeof(flags[0]), &id) < 0)
		return 2;
	if (help) {
		cr_usage("restore [flags] ID",
			 "Creates and starts container ID from an image written by runsc checkpoint,\n"
			 "with the bundle's config.json. A container ID that runsc create made (and\n"
			 "that has not started) is restored in its sandbox, with its stdio.",
			 flags, sizeof(flags) / sizeof(flags[0]));
		return 0;
	}
	if (!id) {
		cli_error("restore: a container id is required");
		return 2;
	}
	if (background && strcmp(background, "true") && strcmp(background, "false")) {
		cli_error("restore: --background takes true or false, not %s", background);
		return 2;
	}
	if (lazy && background && strcmp(background, "false") == 0) {
		cli_error("restore: --lazy-pages and --background=false contradict each other");
		return 2;
	}
	if (!image && !(image = default_image_path(default_image, sizeof(default_image)))) {
		cli_error("restore: the current directory: %s", cli_strerror(-errno));
		return 1;
	}
	if (!realpath(image, abs_image)) {
		cli_error("restore: image %s: %s", image, cli_strerror(-errno));
		return 1;
	}
	ro.image = abs_image;
	ro.eager = background && strcmp(background, "false") == 0;
	if (state_check_id(id) < 0) {
		cli_error("invalid container id %s", id);
		return 1;
	}
	if (container_exists(g, id)) {
		if (restore_created(g, id, bundle, pid_file, &ro) < 0)
			return 1;
	} else if (lifecycle_create(g, bundle ? bundle : ".", id, pid_file, NULL, &ro) < 0 || start_created(g, id) < 0) {
		return 1;
	}
	if (work)
		write_restore_stats(work, mono_ns() - t0);
	return detach ? 0 : wait_and_delete(g, id);
}
