/* runsc's commands and the flags they share. */
#ifndef AMBER_RUNSC_CLI_H
#define AMBER_RUNSC_CLI_H

#include <stdbool.h>

struct global_flags {
	const char *root;
	const char *platform;
	const char *network;
	const char *debug_log;
	const char *log;
	const char *log_format;
	bool debug;
	bool strace;
	bool systrap_no_patching;	/* --systrap-disable-syscall-patching */
};

/* Parses a global or per-command flag at argv[*i]. Returns 1 if it was one
 * (advancing *i past its value), 0 if not a flag we know, -1 on a bad
 * value (message printed). */
int parse_common_flag(struct global_flags *g, int argc, char **argv, int *i);

/* Where cli_error also writes (--log, --log-format text|json). */
void cli_set_log(const char *path, const char *format);
/* Prints "runsc: <message>" on stderr, as one line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* strerror(-err) with a lower-case first letter, as Go's errors read. */
const char *cli_strerror(int err);

int cmd_do(struct global_flags *g, int argc, char **argv);
int cmd_boot(struct global_flags *g, int argc, char **argv);
int cmd_gofer(struct global_flags *g, int argc, char **argv);
int cmd_create(struct global_flags *g, int argc, char **argv);
int cmd_start(struct global_flags *g, int argc, char **argv);
int cmd_state(struct global_flags *g, int argc, char **argv);
int cmd_kill(struct global_flags *g, int argc, char **argv);
int cmd_wait(struct global_flags *g, int argc, char **argv);
int cmd_delete(struct global_flags *g, int argc, char **argv);
int cmd_run(struct global_flags *g, int argc, char **argv);
int cmd_list(struct global_flags *g, int argc, char **argv);
int cmd_ps(struct global_flags *g, int argc, char **argv);
int cmd_spec(struct global_flags *g, int argc, char **argv);
int cmd_events(struct global_flags *g, int argc, char **argv);
int cmd_checkpoint(struct global_flags *g, int argc, char **argv);
int cmd_restore(struct global_flags *g, int argc, char **argv);
int cmd_pause(struct global_flags *g, int argc, char **argv);
int cmd_resume(struct global_flags *g, int argc, char **argv);
int cmd_image(struct global_flags *g, int argc, char **argv);

#endif
