/* The running sandbox inside the sentry process: the first task's host
 * thread, its status as the OCI runtime spec names it, and its exit. Used
 * by `runsc do` (start at once) and `runsc boot` (start on request). */
#ifndef AMBER_RUNSC_SANDBOX_H
#define AMBER_RUNSC_SANDBOX_H

#include <pthread.h>
#include <time.h>
#include <stdbool.h>
#include "kernel/task/task.h"

enum sandbox_status { SANDBOX_CREATED, SANDBOX_RUNNING, SANDBOX_STOPPED };

struct sandbox_run {
	struct task *task;		/* the container's first task */
	const char *path;		/* program to run, resolved */
	char **argv, **envp;		/* borrowed until the task thread has exec'd */
	bool restored;			/* the task comes from an image: no exec */
	struct timespec started;	/* CLOCK_MONOTONIC when the task first ran */
	pthread_mutex_t lock;		/* protects below */
	pthread_cond_t cond;
	enum sandbox_status status;
	bool prepared;			/* exec done (or failed: exec_err) */
	bool start;			/* start requested */
	bool discard;			/* a restore replaces the created task */
	bool discarded;			/* and the task thread has dropped it */
	int exec_err;
	int wait_status;		/* valid once STOPPED */
	int done_fd;			/* eventfd, written when the task thread ends */
	pthread_t thread;
	bool joinable;			/* thread is to be joined (a discarded one was) */
};

/* Starts the task thread, which execs the program, then waits for
 * sandbox_start (or starts at once with start_now). Returns after the exec:
 * 0, or the exec's -errno (the thread has ended then). */
int sandbox_launch(struct sandbox_run *sb, bool start_now);
/* Lets a prepared sandbox run. Returns 0, or -EALREADY / -ESRCH when
 * running or stopped, -EBUSY while a restore replaces its task. */
int sandbox_start(struct sandbox_run *sb);
/* A restore into a created sandbox, first step: its task thread drops
 * the created task unrun (its address space, stub and files) and ends
 * without an exit; sb->task is NULL afterwards. Returns 0, or -EALREADY
 * when the sandbox was started (or is stopped) first. */
int sandbox_discard(struct sandbox_run *sb);
/* Then: runs sb->task, restored, on a new task thread at once. Returns 0
 * or -errno, the sandbox stopped then. */
int sandbox_relaunch(struct sandbox_run *sb);
/* Reports the sandbox stopped with this wait status: its task ended, or
 * was discarded and nothing replaced it. */
void sandbox_stopped(struct sandbox_run *sb, int status);
/* The sandbox's task (a new reference), or NULL while a restore replaces
 * it. */
struct task *sandbox_get_task(struct sandbox_run *sb);
/* Blocks until the sandbox stopped; returns its wait status. */
int sandbox_wait(struct sandbox_run *sb);
enum sandbox_status sandbox_get_status(struct sandbox_run *sb);
/* Blocks the signals runsc forwards to the application (and ignores
 * SIGPIPE) in the calling thread, before any other thread exists, and
 * returns a signalfd that receives them, or -errno. */
int sandbox_signals_init(void);
/* Hands every signal arriving on sfd to the sandbox until its task thread
 * ends, then joins it. INT or TERM before start end the sandbox unrun. */
void sandbox_forward_signals(struct sandbox_run *sb, int sfd);
/* Turns a wait status into an exit code: 128+N for a signal. */
int sandbox_exit_code(int wait_status);

#endif
