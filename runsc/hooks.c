#include "runsc/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

char *hooks_state_json(const char *id, const char *status, int pid, const char *bundle)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "bundle", json_object_new_string(bundle));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int run_one(const struct oci_hook *h, const char *state, char *err, size_t errlen)
{
	int in[2], status, pidfd;
	pid_t pid;
	struct pollfd p;
	size_t len = strlen(state);

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		execve(h->path, h->args.count ? h->args.v : (char *[]){ h->path, NULL }, h->env.v);
		_exit(127);
	}
	close(in[0]);
	/* A hook that does not read its stdin must not block us. */
	signal(SIGPIPE, SIG_IGN);
	if (write(in[1], state, len) < 0) {
		/* the hook's business */
	}
	close(in[1]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	p.fd = pidfd;
	p.events = POLLIN;
	if (pidfd >= 0 && h->timeout && poll(&p, 1, (int)h->timeout * 1000) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(pidfd);
		snprintf(err, errlen, "hook %s: timed out after %u s", h->path, h->timeout);
		return -ETIMEDOUT;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			snprintf(err, errlen, "hook %s: cannot run it", h->path);
		else if (WIFEXITED(status))
			snprintf(err, errlen, "hook %s: exit status %d", h->path, WEXITSTATUS(status));
		else
			snprintf(err, errlen, "hook %s: killed by signal %d", h->path, WTERMSIG(status));
		return -EIO;
	}
	return 0;
}

int hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, const char *state_json, char *err, size_t errlen)
{
	const struct oci_hook_list *l = &spec->hooks[kind];

	for (size_t i = 0; i < l->count; i++) {
		int r = run_one(&l->items[i], state_json, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}
