/* The fixture shared by the gofer unit tests: a temporary tree served by a
 * gofer_serve thread over a socketpair, and a client on the other end.
 *
 *   file.txt          "hello gofer\n"
 *   dir/inner.txt     "inner\n"
 *   link_in  -> file.txt
 *   link_dir -> dir
 *   link_out -> ../../etc
 *   link_abs -> /etc/passwd
 *   fifo              (a FIFO)
 *
 * The server runs in a thread of the test process, so its return value can
 * be checked and sanitizers see both sides. Names carry a gt_ prefix
 * because every unit test links into one runner. */
#ifndef AMBER_TEST_GOFER_TEST_H
#define AMBER_TEST_GOFER_TEST_H

#include "gofer/gofer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

extern char gt_root_path[];
extern int gt_root_fd;			/* O_PATH directory fd of the tree */
extern struct gofer_client gt_client;
extern bool gt_client_up;

struct gt_server_args {
	int sock;			/* owned by the server thread */
	int root_fd;			/* borrowed */
	bool readonly;
	int ret;			/* gofer_serve's result, 1 while running */
};
extern struct gt_server_args gt_sargs;
extern pthread_t gt_server_thread;
extern bool gt_server_up;

/* The suite's .init and .fini: build the tree, and stop the server and
 * remove the tree. */
void gt_setup(void);
void gt_teardown(void);

/* Creates name beneath the tree holding data. */
void gt_write_file(const char *name, const char *data);

/* Starts a server for root on one end of a socketpair; returns the other. */
int gt_start_server_raw_at(int root, bool readonly);
int gt_start_server_raw(bool readonly);
/* The same, with gt_client on the other end. */
void gt_start_server(bool readonly);
/* Closes the client (EOF for the server) and returns gofer_serve's result. */
int gt_stop_server(void);

/* Descriptors open in this process. */
int gt_count_fds(void);

/* For hand-made requests: sends all of buf, and reads the server's
 * farewell reply (if any) to a malformed one and waits for it to stop,
 * returning gofer_serve's result. */
void gt_send_raw(int sock, const void *buf, size_t len);
int gt_expect_server_error(int sock);

#endif
