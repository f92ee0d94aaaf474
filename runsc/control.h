/* The control channel between runsc commands and a sandbox's sentry: a
 * unix stream socket in the state directory, one JSON request and one
 * JSON reply per connection. Requests: {"cmd":"state"}, {"cmd":"start"},
 * {"cmd":"signal","signal":N,"all":bool}, {"cmd":"wait"}, {"cmd":"ps"}.
 * Replies carry "error" (a one-line message) or the answer's fields. */
#ifndef AMBER_RUNSC_CONTROL_H
#define AMBER_RUNSC_CONTROL_H

#include <json-c/json.h>
#include <stddef.h>

#define CONTROL_MSG_MAX (1 << 20)

/* Sends req (borrowed) to the sandbox listening at sock_path and returns
 * its reply (new reference) in *resp. Returns 0 or -errno; a reply with
 * "error" is returned as -EIO with the message copied to err. */
int control_call(const char *sock_path, struct json_object *req, struct json_object **resp, char *err,
		 size_t errlen);

/* Sentry side: answers one request. Returns a new reply object. */
typedef struct json_object *(*control_handler)(struct json_object *req, void *arg);

/* Listens on sock_path (created, mode 0600) and serves each connection on
 * a thread of its own, so that a "wait" does not hold up other requests.
 * Returns 0 or -errno. */
int control_serve(const char *sock_path, control_handler handler, void *arg);

#endif
