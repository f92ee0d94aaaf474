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
/* Sentry side: answers one request; conn is the connection, for the
 * requests that hold a longer conversation (checkpoint). */
typedef struct json_object *(*control_handler)(struct json_object *req, void *arg, int conn);

/* Listens on sock_path (created, mode 0600) and serves each connection on
 * a thread of its own, so that a "wait" does not hold up other requests.
 * Returns 0 or -errno. */
int control_serve(const char *sock_path, control_handler handler, void *arg);

/* A longer conversation on one connection: JSON messages, raw bytes, and
 * one fd passed with the first bytes. All return 0 (or an fd) or -errno. */
int control_connect(const char *sock_path);
int control_send(int fd, struct json_object *msg);
int control_recv(int fd, struct json_object **msg);
int control_send_raw(int fd, const void *buf, size_t len, int passfd);
int control_recv_raw(int fd, void *buf, size_t len, int *passfd);

#endif
