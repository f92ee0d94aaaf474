/* What the lifecycle commands share. */
#ifndef AMBER_RUNSC_LIFECYCLE_H
#define AMBER_RUNSC_LIFECYCLE_H

#include <json-c/json.h>
#include <sys/types.h>
#include "runsc/cli.h"
#include "runsc/state_dir.h"

/* Starts the sandbox for bundle as id (see cmd_create.c). Prints its own
 * error line; returns 0 or -errno. */
int lifecycle_create(struct global_flags *g, const char *bundle, const char *id, const char *pid_file,
		     pid_t *sentry_out);

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
