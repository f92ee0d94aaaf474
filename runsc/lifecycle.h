/* What the lifecycle commands share. */
#ifndef AMBER_RUNSC_LIFECYCLE_H
#define AMBER_RUNSC_LIFECYCLE_H

#include <json-c/json.h>
#include <sys/types.h>
#include "runsc/cli.h"
#include "runsc/state_dir.h"

/* Starts the sandbox for bundle as id (see cmd_create.c). Prints its own
 * error line; returns 0 or -errno. */
struct restore_opts {
	const char *image;		/* the image directory */
	bool eager;			/* --background=false: load all pages before running */
};
/* restore: the sentry loads the image instead of starting process.args. */
int lifecycle_create(struct global_flags *g, const char *bundle, const char *id, const char *pid_file,
		     pid_t *sentry_out, const struct restore_opts *restore);

/* Parses "[flags] ID": known flags from specs, the rest common flags.
 * Returns the number of positional arguments, or -1 (message printed). */
struct arg_spec {
	const char *name;	/* "--all" */
	bool takes_value;
	const char **value;
	bool *flag;
};
int parse_args(struct global_flags *g, int argc, char **argv, const struct arg_spec *specs, size_t n,
	       const char **pos, int npos);
/* Starts a created container with its startContainer and poststart
 * hooks; deletes with poststop hooks; waits for the exit (wait status). */
int start_with_hooks(struct global_flags *g, const char *id, struct container_state *stp);
int delete_with_hooks(struct global_flags *g, struct container_state *st);
int wait_container(struct global_flags *g, const char *id);
/* The rest of run and restore: start the created container with its hooks
 * (deleting it if that fails; 0 or -errno, message printed), then wait for
 * it, delete it and return its exit code (128+N for signal N). */
int start_created(struct global_flags *g, const char *id);
int wait_and_delete(struct global_flags *g, const char *id);

/* Loads id's state and finds its status: "created", "running" or
 * "stopped". Prints an error and returns -ENOENT for an unknown id. */
int container_lookup(struct global_flags *g, const char *id, struct container_state *st, const char **status);

/* Sends a request to id's sentry; prints the error line on failure. */
int container_call(struct global_flags *g, const char *id, const char *cmd, struct json_object *extra,
		   struct json_object **resp);

/* Kills the sandbox's processes and removes its state directory. */
int container_destroy(struct global_flags *g, struct container_state *st);

/* Parses "KILL", "SIGKILL" or "9". Returns the number or -EINVAL. */
int parse_signal(const char *s);

#endif
