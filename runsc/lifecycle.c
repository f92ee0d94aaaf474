#include "runsc/lifecycle.h"
#include "runsc/control.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/syscall.h>

int container_lookup(struct global_flags *g, const char *id, struct container_state *st, const char **status)
{
	struct json_object *resp = NULL, *v;
	int r = state_load(g->root, id, st);

	if (r == -ENOENT) {
		cli_error("container %s does not exist", id);
		return r;
	}
	if (r < 0) {
		cli_error("container %s: corrupt state: %s", id, cli_strerror(r));
		return r;
	}
	*status = "stopped";
	if (proc_alive(st->sentry_pid, st->sentry_start)) {
		char sock[PATH_MAX], err[256];
		struct json_object *req = json_object_new_object();

		json_object_object_add(req, "cmd", json_object_new_string("state"));
		state_socket_path(g->root, id, sock, sizeof(sock));
		if (control_call(sock, req, &resp, err, sizeof(err)) == 0 &&
		    json_object_object_get_ex(resp, "status", &v)) {
			const char *s = json_object_get_string(v);
			*status = strcmp(s, "created") == 0 ? "created" : strcmp(s, "running") == 0 ? "running" :
				  strcmp(s, "paused") == 0 ? "paused" : "stopped";
		}
		json_object_put(req);
		if (resp)
			json_object_put(resp);
	}
	return 0;
}

int container_call(struct global_flags *g, const char *id, const char *cmd, struct json_object *extra,
		   struct json_object **resp)
{
	char sock[PATH_MAX], err[1024];
	struct json_object *req = extra ? extra : json_object_new_object();
	int r;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	state_socket_path(g->root, id, sock, sizeof(sock));
	r = control_call(sock, req, resp, err, sizeof(err));
	json_object_put(req);
	if (r == -EIO)
		cli_error("%s", err);
	else if (r < 0)
		cli_error("container %s: sandbox not reachable: %s", id, cli_strerror(r));
	return r;
}

/* Kills pid if it still is the process recorded with start, and waits
 * (at most 2 s) until it is gone. A pidfd taken before the start-time
 * check pins the process, so a recycled pid is never signalled. */
static void kill_and_wait(pid_t pid, uint64_t start)
{
	struct pollfd p;
	int fd;

	if (pid <= 0)
		return;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return;
	if (proc_alive(pid, start)) {
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		p.fd = fd;
		p.events = POLLIN;
		poll(&p, 1, 2000);
	}
	close(fd);
}

int container_destroy(struct global_flags *g, struct container_state *st)
{
	/* The stubs die with the sentry (PTRACE_O_EXITKILL), the gofer when
	 * its socket closes; both are killed here anyway. */
	kill_and_wait(st->sentry_pid, st->sentry_start);
	kill_and_wait(st->gofer_pid, st->gofer_start);
	return state_remove(g->root, st->id);
}

int parse_signal(const char *s)
{
	static const struct { const char *name; int sig; } names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL }, { "TRAP", SIGTRAP },
		{ "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
		{ "SEGV", SIGSEGV }, { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
		{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
		{ "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
		{ "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
	};
	char *end;
	long v;

	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].sig;
	v = strtol(s, &end, 10);
	if (*s && !*end && v >= 1 && v <= 64)
		return (int)v;
	return -EINVAL;
}
