/* A container's state directory, <root>/<id>/: state.json (written to a
 * temporary name and renamed) and the sentry's control socket. Processes
 * are recorded with their start time, so a recycled pid is not mistaken
 * for the sandbox. */
#ifndef AMBER_RUNSC_STATE_DIR_H
#define AMBER_RUNSC_STATE_DIR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CONTAINER_ID_MAX 1024

struct container_state {
	char id[CONTAINER_ID_MAX + 1];
	char bundle[4096];
	pid_t sentry_pid;
	uint64_t sentry_start;		/* /proc/<pid>/stat starttime */
	pid_t gofer_pid;
	uint64_t gofer_start;
	int64_t created;		/* unix time, seconds */
	char *annotations_json;		/* the spec's annotations object, or NULL; owned */
};

/* Checks an id as runc does: non-empty, at most 1024 of [A-Za-z0-9_+.-],
 * not "." or "..". Returns 0 or -EINVAL. */
int state_check_id(const char *id);

/* <root>/<id> into buf. */
int state_dir_path(const char *root, const char *id, char *buf, size_t size);
int state_socket_path(const char *root, const char *id, char *buf, size_t size);

/* Creates <root>/<id> (and root), failing with -EEXIST if it exists. */
int state_create_dir(const char *root, const char *id);
/* Removes the directory and everything in it. */
int state_remove(const char *root, const char *id);

int state_save(const char *root, const struct container_state *st);
/* Returns 0, -ENOENT (no such container) or -EINVAL (corrupt state). */
int state_load(const char *root, const char *id, struct container_state *st);
void state_free(struct container_state *st);

/* The container's wait status, written by the sentry (runsc boot) as it
 * exits; -ENOENT until then. */
int state_load_exit(const char *root, const char *id, int *wait_status);

/* The start time of pid, or 0 if it does not exist. */
uint64_t proc_start_time(pid_t pid);
/* True when pid still is the process that had start time start. */
bool proc_alive(pid_t pid, uint64_t start);

#endif
