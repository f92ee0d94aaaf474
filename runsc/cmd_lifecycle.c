/* start, state, kill, wait, delete, run, list, ps: the OCI lifecycle
 * commands, with runc's behaviour and messages. */
#include "runsc/lifecycle.h"
#include "runsc/control.h"
#include "runsc/hooks.h"
#include "runsc/sandbox.h"
#include "runsc/oci_spec.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int parse_args(struct global_flags *g, int argc, char **argv, const struct arg_spec *specs, size_t n,
		      const char **pos, int npos)
{
	int got = 0;

	for (int i = 1; i < argc; i++) {
		bool matched = false;
		for (size_t k = 0; k < n && !matched; k++) {
			size_t len = strlen(specs[k].name);
			if (strcmp(argv[i], specs[k].name) == 0 ||
			    (specs[k].name[1] != '-' && strncmp(argv[i], specs[k].name, len) == 0 && !argv[i][len])) {
				matched = true;
				if (specs[k].takes_value) {
					if (i + 1 >= argc) {
						cli_error("flag needs an argument: %s", argv[i]);
						return -1;
					}
					*specs[k].value = argv[++i];
				} else {
					*specs[k].flag = true;
				}
			} else if (specs[k].takes_value && strncmp(argv[i], specs[k].name, len) == 0 &&
				   argv[i][len] == '=') {
				matched = true;
				*specs[k].value = argv[i] + len + 1;
			}
		}
		if (matched)
			continue;
		if (argv[i][0] == '-' && argv[i][1]) {
			int r = parse_common_flag(g, argc, argv, &i);
			if (r < 0)
				return -1;
			if (r == 0) {
				cli_error("%s: unknown flag %s", argv[0], argv[i]);
				return -1;
			}
			continue;
		}
		if (got < npos)
			pos[got++] = argv[i];
		else {
			cli_error("%s: unexpected argument %s", argv[0], argv[i]);
			return -1;
		}
	}
	return got;
}

/* Starts a created container, running its startContainer hooks before
 * and poststart hooks after. Returns 0 or -errno (message printed). */
int start_with_hooks(struct global_flags *g, const char *id, struct container_state *stp)
{
	struct container_state st = *stp;
	struct json_object *resp = NULL;
	int r;

	{
		struct oci_spec spec;
		char err[1024], *state = NULL;
		bool have_spec = oci_spec_load(st.bundle, &spec, err, sizeof(err)) == 0;

		if (have_spec) {
			state = hooks_state_json(id, "created", st.sentry_pid, st.bundle);
			if (state && hooks_run(&spec, OCI_HOOK_START_CONTAINER, state, err, sizeof(err)) < 0) {
				cli_error("%s", err);
				free(state);
				oci_spec_free(&spec);
				return -EIO;
			}
		}
		r = container_call(g, id, "start", NULL, &resp);
		if (resp)
			json_object_put(resp);
		if (r == 0 && have_spec) {
			free(state);
			state = hooks_state_json(id, "running", st.sentry_pid, st.bundle);
			/* A failing poststart hook is reported, not fatal (runtime spec). */
			if (state && hooks_run(&spec, OCI_HOOK_POSTSTART, state, err, sizeof(err)) < 0)
				fprintf(stderr, "runsc: warning: %s\n", err);
		}
		free(state);
		if (have_spec)
			oci_spec_free(&spec);
	}
	return r;
}

/* Kills and removes a container, then runs its poststop hooks. */
int delete_with_hooks(struct global_flags *g, struct container_state *st)
{
	int r = container_destroy(g, st);

	if (st->bundle[0]) {
		struct oci_spec spec;
		char err[1024], *state;

		if (oci_spec_load(st->bundle, &spec, err, sizeof(err)) == 0) {
			state = hooks_state_json(st->id, "stopped", 0, st->bundle);
			if (state && hooks_run(&spec, OCI_HOOK_POSTSTOP, state, err, sizeof(err)) < 0)
				fprintf(stderr, "runsc: warning: %s\n", err);
			free(state);
			oci_spec_free(&spec);
		}
	}
	return r;
}

int cmd_start(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *status;
	struct container_state st;
	int r;

	if (parse_args(g, argc, argv, NULL, 0, &id, 1) != 1) {
		if (!id)
			cli_error("start: a container id is required");
		return 2;
	}
	if (container_lookup(g, id, &st, &status) < 0)
		return 1;
	if (strcmp(status, "created") != 0) {
		cli_error(strcmp(status, "running") == 0 ? "cannot start an already running container"
							    : "cannot start a container that has stopped");
		state_free(&st);
		return 1;
	}
	r = start_with_hooks(g, id, &st);
	state_free(&st);
	return r < 0 ? 1 : 0;
}

static void rfc3339(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cmd_state(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *status;
	struct container_state st;
	struct json_object *o;
	char created[64];

	if (parse_args(g, argc, argv, NULL, 0, &id, 1) != 1) {
		if (!id)
			cli_error("state: a container id is required");
		return 2;
	}
	if (container_lookup(g, id, &st, &status) < 0)
		return 1;
	rfc3339(st.created, created, sizeof(created));
	o = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "id", json_object_new_string(st.id));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid", json_object_new_int(strcmp(status, "stopped") ? st.sentry_pid : 0));
	json_object_object_add(o, "bundle", json_object_new_string(st.bundle));
	json_object_object_add(o, "created", json_object_new_string(created));
	json_object_object_add(o, "owner", json_object_new_string(""));
	if (st.annotations_json) {
		struct json_object *a = json_tokener_parse(st.annotations_json);
		if (a)
			json_object_object_add(o, "annotations", a);
	}
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	json_object_put(o);
	state_free(&st);
	return 0;
}

int cmd_kill(struct global_flags *g, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *status;
	bool all = false;
	struct arg_spec specs[] = { { "--all", false, NULL, &all }, { "-a", false, NULL, &all } };
	struct container_state st;
	struct json_object *req, *resp = NULL;
	int n = parse_args(g, argc, argv, specs, 2, pos, 2), sig = SIGTERM, r;

	if (n < 1) {
		if (n == 0)
			cli_error("kill: a container id is required");
		return 2;
	}
	if (n == 2) {
		sig = parse_signal(pos[1]);
		if (sig < 0) {
			cli_error("invalid signal \"%s\"", pos[1]);
			return 1;
		}
	}
	if (container_lookup(g, pos[0], &st, &status) < 0)
		return 1;
	state_free(&st);
	if (strcmp(status, "stopped") == 0) {
		cli_error("container not running");
		return 1;
	}
	req = json_object_new_object();
	json_object_object_add(req, "signal", json_object_new_int(sig));
	json_object_object_add(req, "all", json_object_new_boolean(all));
	r = container_call(g, pos[0], "signal", req, &resp);
	if (resp)
		json_object_put(resp);
	return r < 0 ? 1 : 0;
}

/* Waits for id to stop and returns its wait status, or -errno. */
int wait_container(struct global_flags *g, const char *id)
{
	struct container_state st;
	struct json_object *resp = NULL, *v;
	const char *status;
	int ws, r;

	if (container_lookup(g, id, &st, &status) < 0)
		return -ENOENT;
	if (strcmp(status, "stopped") != 0) {
		/* Quietly: a sentry that ends as it answers is no error, its
		 * status file says how it ended. */
		char sock[PATH_MAX], err[256];
		struct json_object *req = json_object_new_object();

		json_object_object_add(req, "cmd", json_object_new_string("wait"));
		state_socket_path(g->root, id, sock, sizeof(sock));
		r = control_call(sock, req, &resp, err, sizeof(err));
		json_object_put(req);
		if (r == 0 && json_object_object_get_ex(resp, "status", &v)) {
			ws = json_object_get_int(v);
			json_object_put(resp);
			state_free(&st);
			return ws;
		}
		if (resp)
			json_object_put(resp);
		/* The sentry went away under us: its status file says how. */
		for (int i = 0; i < 100 && proc_alive(st.sentry_pid, st.sentry_start); i++)
			usleep(10000);
	}
	r = state_load_exit(g->root, id, &ws);
	state_free(&st);
	if (r < 0)
		return SIGKILL;	/* killed without leaving a status */
	return ws;
}

int cmd_wait(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL;
	int ws;

	if (parse_args(g, argc, argv, NULL, 0, &id, 1) != 1) {
		if (!id)
			cli_error("wait: a container id is required");
		return 2;
	}
	ws = wait_container(g, id);
	if (ws < 0)
		return 1;
	printf("{\"id\":\"%s\",\"exitStatus\":%d}\n", id, sandbox_exit_code(ws));
	return 0;
}

int cmd_delete(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *status;
	bool force = false;
	struct arg_spec specs[] = { { "--force", false, NULL, &force }, { "-f", false, NULL, &force } };
	struct container_state st;
	int r;

	if (parse_args(g, argc, argv, specs, 2, &id, 1) != 1) {
		if (!id)
			cli_error("delete: a container id is required");
		return 2;
	}
	r = state_load(g->root, id, &st);
	if (r == -ENOENT) {
		/* As runc: --force makes deleting what is gone a success. */
		if (force)
			return 0;
		cli_error("container %s does not exist", id);
		return 1;
	}
	if (r == 0) {
		state_free(&st);	/* container_lookup loads it again */
		if (container_lookup(g, id, &st, &status) == 0 && strcmp(status, "running") == 0 && !force) {
			cli_error("cannot delete container %s that is not stopped: running", id);
			state_free(&st);
			return 1;
		}
	}
	if (r < 0)
		snprintf(st.id, sizeof(st.id), "%s", id);	/* corrupt state: remove what is there */
	r = delete_with_hooks(g, &st);
	state_free(&st);
	return r < 0 ? 1 : 0;
}

int cmd_run(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *bundle = ".", *pid_file = NULL;
	bool detach = false;
	struct arg_spec specs[] = {
		{ "--bundle", true, &bundle, NULL }, { "-b", true, &bundle, NULL },
		{ "--pid-file", true, &pid_file, NULL }, { "--detach", false, NULL, &detach },
		{ "-d", false, NULL, &detach },
	};

	if (parse_args(g, argc, argv, specs, 5, &id, 1) != 1) {
		if (!id)
			cli_error("run: a container id is required");
		return 2;
	}
	if (lifecycle_create(g, bundle, id, pid_file, NULL, NULL) < 0 || start_created(g, id) < 0)
		return 1;
	return detach ? 0 : wait_and_delete(g, id);
}

int start_created(struct global_flags *g, const char *id)
{
	struct container_state st;
	const char *status;

	if (container_lookup(g, id, &st, &status) < 0)
		return -ENOENT;
	if (start_with_hooks(g, id, &st) < 0) {
		delete_with_hooks(g, &st);
		state_free(&st);
		return -EIO;
	}
	state_free(&st);
	return 0;
}

int wait_and_delete(struct global_flags *g, const char *id)
{
	struct container_state st;
	const char *status;
	int ws = wait_container(g, id);

	if (container_lookup(g, id, &st, &status) == 0) {
		delete_with_hooks(g, &st);
		state_free(&st);
	}
	return ws < 0 ? 1 : sandbox_exit_code(ws);
}

int cmd_list(struct global_flags *g, int argc, char **argv)
{
	const char *format = "table";
	bool quiet = false;
	/* runc's -q: the ids alone, one a line (scripts delete what is left). */
	struct arg_spec specs[] = { { "--format", true, &format, NULL }, { "-f", true, &format, NULL },
				    { "--quiet", false, NULL, &quiet }, { "-q", false, NULL, &quiet } };
	struct json_object *arr = json_object_new_array();
	struct dirent *de;
	DIR *d;

	if (parse_args(g, argc, argv, specs, 4, NULL, 0) < 0) {
		json_object_put(arr);
		return 2;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
		cli_error("invalid format option \"%s\"", format);
		json_object_put(arr);
		return 1;
	}
	d = opendir(g->root);
	if (quiet) {
		while (d && (de = readdir(d))) {
			struct container_state st;

			if (de->d_name[0] != '.' && state_load(g->root, de->d_name, &st) == 0) {
				printf("%s\n", st.id);
				state_free(&st);
			}
		}
		if (d)
			closedir(d);
		json_object_put(arr);
		return 0;
	}
	if (strcmp(format, "table") == 0)
		printf("%-12s %-8s %-10s %-40s %-20s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	while (d && (de = readdir(d))) {
		struct container_state st;
		const char *status;
		char created[64];

		if (de->d_name[0] == '.' || state_load(g->root, de->d_name, &st) < 0)
			continue;
		state_free(&st);
		if (container_lookup(g, de->d_name, &st, &status) < 0)
			continue;
		rfc3339(st.created, created, sizeof(created));
		if (strcmp(format, "table") == 0) {
			printf("%-12s %-8d %-10s %-40s %-20s %s\n", st.id, strcmp(status, "stopped") ? st.sentry_pid : 0,
			       status, st.bundle, created, "root");
		} else {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
			json_object_object_add(o, "id", json_object_new_string(st.id));
			json_object_object_add(o, "pid", json_object_new_int(strcmp(status, "stopped") ? st.sentry_pid : 0));
			json_object_object_add(o, "status", json_object_new_string(status));
			json_object_object_add(o, "bundle", json_object_new_string(st.bundle));
			json_object_object_add(o, "created", json_object_new_string(created));
			json_object_object_add(o, "owner", json_object_new_string("root"));
			json_object_array_add(arr, o);
		}
		state_free(&st);
	}
	if (d)
		closedir(d);
	if (strcmp(format, "json") == 0)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	return 0;
}

int cmd_ps(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *format = "table", *status;
	struct arg_spec specs[] = { { "--format", true, &format, NULL }, { "-f", true, &format, NULL } };
	struct json_object *resp = NULL, *procs;
	struct container_state st;

	if (parse_args(g, argc, argv, specs, 2, &id, 1) != 1) {
		if (!id)
			cli_error("ps: a container id is required");
		return 2;
	}
	if (container_lookup(g, id, &st, &status) < 0)
		return 1;
	state_free(&st);
	if (strcmp(status, "stopped") == 0) {
		printf(strcmp(format, "json") == 0 ? "[]\n" : "UID       PID       PPID      C         STIME     TTY       TIME      CMD\n");
		return 0;
	}
	if (container_call(g, id, "ps", NULL, &resp) < 0)
		return 1;
	json_object_object_get_ex(resp, "processes", &procs);
	if (strcmp(format, "json") == 0) {
		struct json_object *pids = json_object_new_array();
		for (size_t i = 0; procs && i < json_object_array_length(procs); i++) {
			struct json_object *p = json_object_array_get_idx(procs, i), *v;
			json_object_object_get_ex(p, "pid", &v);
			json_object_array_add(pids, json_object_new_int(json_object_get_int(v)));
		}
		printf("%s\n", json_object_to_json_string_ext(pids, JSON_C_TO_STRING_PLAIN));
		json_object_put(pids);
	} else {
		printf("UID       PID       PPID      C         STIME     TTY       TIME      CMD\n");
		for (size_t i = 0; procs && i < json_object_array_length(procs); i++) {
			struct json_object *p = json_object_array_get_idx(procs, i), *pid, *ppid, *uid, *cmd;
			json_object_object_get_ex(p, "pid", &pid);
			json_object_object_get_ex(p, "ppid", &ppid);
			json_object_object_get_ex(p, "uid", &uid);
			json_object_object_get_ex(p, "cmd", &cmd);
			printf("%-9d %-9d %-9d %-9d %-9s %-9s %-9s %s\n", json_object_get_int(uid), json_object_get_int(pid),
			       json_object_get_int(ppid), 0, "00:00", "?", "0s", json_object_get_string(cmd));
		}
	}
	json_object_put(resp);
	return 0;
}

/* events --stats ID: one stats event, in runc's format. Without --stats
 * there is no event stream yet. */
int cmd_events(struct global_flags *g, int argc, char **argv)
{
	const char *id = NULL, *status;
	bool stats = false;
	struct arg_spec specs[] = { { "--stats", false, NULL, &stats } };
	struct json_object *resp = NULL, *v, *o, *data, *mem, *usage, *pids;
	struct container_state st;

	if (parse_args(g, argc, argv, specs, 1, &id, 1) != 1) {
		if (!id)
			cli_error("events: a container id is required");
		return 2;
	}
	if (!stats) {
		cli_error("events: only --stats is supported yet");
		return 1;
	}
	if (container_lookup(g, id, &st, &status) < 0)
		return 1;
	state_free(&st);
	if (strcmp(status, "stopped") == 0) {
		cli_error("container not running");
		return 1;
	}
	if (container_call(g, id, "stats", NULL, &resp) < 0)
		return 1;
	o = json_object_new_object();
	data = json_object_new_object();
	mem = json_object_new_object();
	usage = json_object_new_object();
	pids = json_object_new_object();
	json_object_object_get_ex(resp, "memory_bytes", &v);
	json_object_object_add(usage, "usage", json_object_new_uint64(json_object_get_uint64(v)));
	json_object_object_get_ex(resp, "memory_limit", &v);
	json_object_object_add(usage, "limit", json_object_new_uint64(json_object_get_uint64(v)));
	json_object_object_add(mem, "usage", usage);
	json_object_object_get_ex(resp, "pids", &v);
	json_object_object_add(pids, "current", json_object_new_int(json_object_get_int(v)));
	json_object_object_add(data, "memory", mem);
	json_object_object_add(data, "pids", pids);
	json_object_object_add(o, "type", json_object_new_string("stats"));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "data", data);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	json_object_put(resp);
	return 0;
}

/* pause and resume: the sentry stops its tasks at safe points (as for a
 * checkpoint) and keeps them stopped until resume. */
static int pause_resume(struct global_flags *g, int argc, char **argv, const char *want, const char *cmd)
{
	const char *id = NULL, *status;
	struct container_state st;
	struct json_object *resp = NULL;
	int r;

	if (parse_args(g, argc, argv, NULL, 0, &id, 1) != 1) {
		if (!id)
			cli_error("%s: a container id is required", cmd);
		return 2;
	}
	if (container_lookup(g, id, &st, &status) < 0)
		return 1;
	state_free(&st);
	if (strcmp(status, want) != 0) {
		cli_error("container %s is not %s", id, want);
		return 1;
	}
	r = container_call(g, id, cmd, NULL, &resp);
	if (resp)
		json_object_put(resp);
	return r < 0 ? 1 : 0;
}

int cmd_pause(struct global_flags *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, "running", "pause");
}

int cmd_resume(struct global_flags *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, "paused", "resume");
}
