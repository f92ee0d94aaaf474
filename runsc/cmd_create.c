/* runsc create: starts a sandbox's gofer and sentry (runsc gofer and
 * runsc boot, re-executing this binary) and returns once the program is
 * loaded; the container runs on `runsc start`. The container's stdio are
 * create's own. */
#include "runsc/cli.h"
#include "platform/platform.h"
#include "runsc/lifecycle.h"
#include "runsc/oci_spec.h"
#include "runsc/hooks.h"
#include "runsc/state_dir.h"
#include "runsc/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_EXTRA_FDS 64
#define MAX_BINDS (MAX_EXTRA_FDS - 2)

/* A bind mount from config.json, served by a gofer of its own. */
struct bind {
	char src[PATH_MAX];		/* the directory its gofer serves, or holding the file */
	char file[NAME_MAX + 1];	/* a file bind: its name in src; "" for a directory */
	const char *dst;
	bool ro;
	int sock[2];
	pid_t gofer;
};

/* Finds the bind mounts of spec and checks their sources. */
static int collect_binds(const struct oci_spec *spec, struct bind *b, int *n)
{
	struct stat st;

	*n = 0;
	for (size_t i = 0; i < spec->mount_count; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		if (!oci_mount_is_bind(m))
			continue;
		if (*n >= MAX_BINDS) {
			cli_error("config.json: mounts: more than %d bind mounts", MAX_BINDS);
			return -E2BIG;
		}
		if (!m->source || !realpath(m->source, b[*n].src) || stat(b[*n].src, &st) < 0) {
			cli_error("config.json: mounts[%zu].source: %s: %s", i, m->source ? m->source : "(none)",
				  cli_strerror(errno ? errno : ENOENT));
			return -ENOENT;
		}
		b[*n].file[0] = 0;
		if (!S_ISDIR(st.st_mode)) {
			/* A file: its gofer is given the directory holding it
			 * and its name, and serves just that file, under that
			 * name (gofer_confine); the sentry mounts it. */
			char *slash = strrchr(b[*n].src, '/');
			if (!slash || strlen(slash + 1) > NAME_MAX) {
				cli_error("config.json: mounts[%zu].source: %s: bad path", i, m->source);
				return -EINVAL;
			}
			snprintf(b[*n].file, sizeof(b[*n].file), "%s", slash + 1);
			if (slash == b[*n].src)
				slash[1] = 0;
			else
				*slash = 0;
		}
		b[*n].dst = m->destination;
		b[*n].ro = oci_mount_has_option(m, "ro");
		b[*n].sock[0] = b[*n].sock[1] = -1;
		b[*n].gofer = -1;
		(*n)++;
	}
	return 0;
}

/* Re-executes runsc with args, fds 0-2 kept and extra[i] moved to 3 + i;
 * ns_flags (CLONE_NEWPID) are namespaces the child starts in. */
static pid_t spawn_self(char **args, const int *extra, int nextra, unsigned long ns_flags)
{
	pid_t pid = ns_flags ? (pid_t)syscall(SYS_clone, ns_flags | SIGCHLD, NULL, NULL, NULL, NULL) : fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	/* Its own session: a terminal's signals are for the container,
	 * through the sentry, not for the sandbox's processes. */
	setsid();
	int moved[MAX_EXTRA_FDS];

	if (nextra > MAX_EXTRA_FDS)
		_exit(127);
	/* First out of the way (above any target), then into place. */
	for (int i = 0; i < nextra; i++) {
		moved[i] = fcntl(extra[i], F_DUPFD, 100);
		if (moved[i] < 0)
			_exit(127);
	}
	for (int i = 0; i < nextra; i++)
		if (dup2(moved[i], 3 + i) < 0)
			_exit(127);
	syscall(SYS_close_range, 3 + nextra, ~0U, 0);
	execv("/proc/self/exe", args);
	_exit(127);
}

int lifecycle_create(struct global_flags *g, const char *bundle, const char *id, const char *pid_file,
		     pid_t *sentry_out, const struct restore_opts *restore)
{
	char err[1024], line[1024], statedir[PATH_MAX], rootfs[PATH_MAX], abs_bundle[PATH_MAX];
	struct container_state st = { 0 };
	struct oci_spec spec;
	static struct bind binds[MAX_BINDS];
	int nbinds = 0;
	int gsock[2] = { -1, -1 }, ready[2] = { -1, -1 }, usync[2] = { -1, -1 }, r, status, userns;
	struct userns_ids uids = { 0 };
	pid_t gofer = -1, sentry = -1;
	ssize_t n;

	if (state_check_id(id) < 0) {
		cli_error("invalid container id %s", id);
		return -EINVAL;
	}
	if (platform_select(g->platform) < 0) {
		cli_error("unknown platform %s (available: ptrace, systrap)", g->platform);
		return -EINVAL;
	}
	if (!realpath(bundle, abs_bundle)) {
		cli_error("bundle %s: %s", bundle, cli_strerror(errno));
		return -errno;
	}
	if (oci_spec_load(abs_bundle, &spec, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return -EINVAL;
	}
	if (spec.process.terminal) {
		cli_error("config.json: process.terminal: a terminal (--console-socket) is not supported yet");
		oci_spec_free(&spec);
		return -EINVAL;
	}
	userns = userns_wanted(&spec, &uids, err, sizeof(err));
	if (userns < 0) {
		cli_error("%s", err);
		oci_spec_free(&spec);
		return -EINVAL;
	}
	snprintf(rootfs, sizeof(rootfs), "%s", spec.root.path);
	if (collect_binds(&spec, binds, &nbinds) < 0) {
		oci_spec_free(&spec);
		return -EINVAL;
	}
	r = state_create_dir(g->root, id);
	if (r == -EEXIST) {
		cli_error("container with id %s already exists", id);
		oci_spec_free(&spec);
		return r;
	}
	if (r < 0) {
		cli_error("create state directory in %s: %s", g->root, cli_strerror(r));
		oci_spec_free(&spec);
		return r;
	}
	state_dir_path(g->root, id, statedir, sizeof(statedir));
	/* Mapped root must make its socket and exit file in the directory. */
	if (userns && chown(statedir, uids.host_uid, uids.host_gid) < 0) {
		r = -errno;
		cli_error("create: chown %s: %s", statedir, cli_strerror(r));
		goto fail;
	}
	if (userns && pipe2(usync, O_CLOEXEC) < 0) {
		r = -errno;
		cli_error("create: %s", cli_strerror(r));
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gsock) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		r = -errno;
		cli_error("create: %s", cli_strerror(r));
		goto fail;
	}
	{
		char fdarg[16];
		/* Writable even for root.readonly: the sentry makes missing
		 * mount points, then holds the root read-only (mount flag). */
		char *args[] = { "runsc", "gofer", "--root-path", rootfs, "--sock-fd", fdarg, NULL };
		int extra[1] = { gsock[1] };
		snprintf(fdarg, sizeof(fdarg), "%d", 3);
		gofer = spawn_self(args, extra, 1, 0);
	}
	if (gofer < 0) {
		r = gofer;
		cli_error("start gofer: %s", cli_strerror(r));
		goto fail;
	}
	for (int k = 0; k < nbinds; k++) {
		char fdarg[16] = "3";
		char *args[10] = { "runsc", "gofer", "--root-path", binds[k].src, "--sock-fd", fdarg };
		int na = 6;
		/* A file bind's gofer serves that one file, not its directory. */
		if (binds[k].file[0]) {
			args[na++] = "--file";
			args[na++] = binds[k].file;
		}
		if (binds[k].ro)
			args[na++] = "--readonly";
		args[na] = NULL;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, binds[k].sock) < 0) {
			r = -errno;
			cli_error("create: %s", cli_strerror(r));
			goto fail;
		}
		binds[k].gofer = spawn_self(args, &binds[k].sock[1], 1, 0);
		if (binds[k].gofer < 0) {
			r = binds[k].gofer;
			cli_error("start gofer for %s: %s", binds[k].src, cli_strerror(r));
			goto fail;
		}
	}
	{
		char *args[40 + 3 * MAX_BINDS];
		char nbuf[16], ubuf[3][16];
		int na = 0;
		int extra[MAX_EXTRA_FDS] = { gsock[0], ready[1] };

		for (int k = 0; k < nbinds; k++)
			extra[2 + k] = binds[k].sock[0];

		args[na++] = "runsc";
		args[na++] = "--root";
		args[na++] = (char *)g->root;
		if (g->debug_log) {
			args[na++] = "--debug-log";
			args[na++] = (char *)g->debug_log;
		}
		if (g->debug)
			args[na++] = "--debug";
		if (g->strace)
			args[na++] = "--strace";
		if (g->systrap_no_patching)
			args[na++] = "--systrap-disable-syscall-patching";
		args[na++] = "--platform";
		args[na++] = (char *)g->platform;
		args[na++] = "boot";
		args[na++] = "--bundle";
		args[na++] = abs_bundle;
		snprintf(nbuf, sizeof(nbuf), "%d", nbinds);
		args[na++] = "--bind-fds";
		args[na++] = nbuf;
		for (int k = 0; k < nbinds && na < (int)(sizeof(args) / sizeof(args[0])) - 6; k++) {
			static char kbuf[MAX_BINDS][16];
			if (!binds[k].file[0])
				continue;
			snprintf(kbuf[k], sizeof(kbuf[k]), "%d", k);
			args[na++] = "--bind-file";
			args[na++] = kbuf[k];
			args[na++] = binds[k].file;
		}
		if (restore) {
			args[na++] = "--restore";
			args[na++] = (char *)restore->image;
			if (restore->eager)
				args[na++] = "--restore-eager";
		}
		if (userns) {
			snprintf(ubuf[0], sizeof(ubuf[0]), "%d", 3 + 2 + nbinds);
			snprintf(ubuf[1], sizeof(ubuf[1]), "%u", uids.ns_uid);
			snprintf(ubuf[2], sizeof(ubuf[2]), "%u", uids.ns_gid);
			args[na++] = "--userns-fd";
			args[na++] = ubuf[0];
			args[na++] = ubuf[1];
			args[na++] = ubuf[2];
			extra[2 + nbinds] = usync[0];
		}
		args[na++] = (char *)id;
		args[na] = NULL;
		/* The sentry is the init of its own pid namespace: the stubs it
		 * forks die with it, whatever kills it. */
		sentry = spawn_self(args, extra, 2 + nbinds + (userns ? 1 : 0), CLONE_NEWPID);
	}
	if (sentry < 0) {
		r = sentry;
		cli_error("start sandbox: %s", cli_strerror(r));
		goto fail;
	}
	close(gsock[0]);
	close(gsock[1]);
	gsock[0] = gsock[1] = -1;
	/* The bind gofers live as long as the sentry holds their sockets. */
	for (int k = 0; k < nbinds; k++) {
		close(binds[k].sock[0]);
		close(binds[k].sock[1]);
		binds[k].sock[0] = binds[k].sock[1] = -1;
	}
	close(ready[1]);
	ready[1] = -1;
	n = read(ready[0], line, sizeof(line) - 1);
	if (userns && n == 7 && memcmp(line, "userns\n", 7) == 0) {
		/* The sentry has unshared its user namespace and waits. */
		close(usync[0]);
		usync[0] = -1;
		r = userns_write_maps(sentry, &spec, err, sizeof(err));
		if (r < 0) {
			cli_error("%s", err);
			goto fail;
		}
		if (write(usync[1], "ok", 2) != 2) {
			r = -errno;
			cli_error("start sandbox: %s", cli_strerror(r));
			goto fail;
		}
		n = read(ready[0], line, sizeof(line) - 1);
	}
	if (n <= 0) {
		waitpid(sentry, &status, 0);
		cli_error("start sandbox: the sentry exited during start-up");
		r = -ECHILD;
		goto fail;
	}
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	if (strcmp(line, "ok") != 0) {
		cli_error("%s", line);
		waitpid(sentry, &status, 0);
		r = WIFEXITED(status) && WEXITSTATUS(status) >= 126 ? -(WEXITSTATUS(status)) : -EINVAL;
		goto fail;
	}
	snprintf(st.id, sizeof(st.id), "%s", id);
	snprintf(st.bundle, sizeof(st.bundle), "%s", abs_bundle);
	st.sentry_pid = sentry;
	st.sentry_start = proc_start_time(sentry);
	st.gofer_pid = gofer;
	st.gofer_start = proc_start_time(gofer);
	st.created = time(NULL);
	if (spec.annotation_count) {
		struct json_object *a = json_object_new_object();
		for (size_t k = 0; k < spec.annotation_count; k++)
			json_object_object_add(a, spec.annotations[k].key,
					       json_object_new_string(spec.annotations[k].value));
		st.annotations_json = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
		json_object_put(a);
	}
	r = state_save(g->root, &st);
	state_free(&st);
	if (r < 0) {
		cli_error("save state: %s", cli_strerror(r));
		goto fail;
	}
	{
		static const enum oci_hook_kind at_create[] = { OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME,
								OCI_HOOK_CREATE_CONTAINER };
		char *state = hooks_state_json(id, "created", sentry, abs_bundle);

		for (size_t k = 0; k < 3 && r == 0 && state; k++)
			r = hooks_run(&spec, at_create[k], state, err, sizeof(err));
		free(state);
		if (r < 0) {
			cli_error("%s", err);
			goto fail;
		}
	}
	if (pid_file) {
		FILE *f = fopen(pid_file, "w");
		if (!f || fprintf(f, "%d", sentry) < 0 || fclose(f) != 0) {
			r = -errno;
			cli_error("write pid file %s: %s", pid_file, cli_strerror(r));
			goto fail;
		}
	}
	close(ready[0]);
	for (int i = 0; i < 2; i++)
		if (usync[i] >= 0)
			close(usync[i]);
	oci_spec_free(&spec);
	if (sentry_out)
		*sentry_out = sentry;
	return 0;
fail:
	if (sentry > 0) {
		kill(sentry, SIGKILL);
		waitpid(sentry, NULL, 0);
	}
	if (gofer > 0) {
		kill(gofer, SIGKILL);
		waitpid(gofer, NULL, 0);
	}
	for (int k = 0; k < nbinds; k++) {
		if (binds[k].gofer > 0) {
			kill(binds[k].gofer, SIGKILL);
			waitpid(binds[k].gofer, NULL, 0);
		}
		for (int j = 0; j < 2; j++)
			if (binds[k].sock[j] >= 0)
				close(binds[k].sock[j]);
	}
	for (int i = 0; i < 2; i++) {
		if (gsock[i] >= 0)
			close(gsock[i]);
		if (ready[i] >= 0)
			close(ready[i]);
		if (usync[i] >= 0)
			close(usync[i]);
	}
	state_remove(g->root, id);
	oci_spec_free(&spec);
	return r;
}

int cmd_create(struct global_flags *g, int argc, char **argv)
{
	const char *bundle = ".", *pid_file = NULL, *id = NULL;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0) && i + 1 < argc)
			bundle = argv[++i];
		else if (strncmp(argv[i], "--bundle=", 9) == 0)
			bundle = argv[i] + 9;
		else if (strcmp(argv[i], "--pid-file") == 0 && i + 1 < argc)
			pid_file = argv[++i];
		else if (strncmp(argv[i], "--pid-file=", 11) == 0)
			pid_file = argv[i] + 11;
		else if (strcmp(argv[i], "--console-socket") == 0 && i + 1 < argc) {
			cli_error("--console-socket: terminals are not supported yet");
			return 1;
		} else if (argv[i][0] != '-' && !id)
			id = argv[i];
		else {
			int r = parse_common_flag(g, argc, argv, &i);
			if (r <= 0) {
				if (r == 0)
					cli_error("create: unknown flag %s", argv[i]);
				return 2;
			}
		}
	}
	if (!id) {
		cli_error("create: a container id is required");
		return 2;
	}
	return lifecycle_create(g, bundle, id, pid_file, NULL, NULL) < 0 ? 1 : 0;
}
