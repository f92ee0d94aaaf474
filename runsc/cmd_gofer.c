/* runsc gofer (internal): serves a container's root, or one of its bind
 * mounts, over the socket it was given. Started by create; lives until the
 * sentry closes the socket.
 *
 *   runsc gofer --root-path DIR --sock-fd N [--file NAME] [--readonly]
 *
 * With --file, only the file NAME in DIR is served (a file bind mount),
 * under that name. The gofer confines itself to what it serves
 * (gofer_confine) before it reads a request, then installs its seccomp
 * filter: a request that got past openat2's checks would still find
 * nothing of the host's beyond it. */
#include "runsc/cli.h"
#include "gofer/gofer.h"
#include "runsc/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int cmd_gofer(struct global_flags *g, int argc, char **argv)
{
	const char *root = NULL, *file = NULL;
	char err[PATH_MAX + 128];
	int sock = -1, root_fd;
	bool readonly = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root-path") == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strcmp(argv[i], "--sock-fd") == 0 && i + 1 < argc)
			sock = atoi(argv[++i]);
		else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--readonly") == 0)
			readonly = true;
		else {
			cli_error("gofer: unknown argument %s", argv[i]);
			return 2;
		}
	}
	if (!root || sock < 0) {
		cli_error("gofer: --root-path and --sock-fd are required");
		return 2;
	}
	prctl(PR_SET_NAME, "runsc-gofer");
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* No fallback: a gofer that cannot confine itself does not serve. */
	root_fd = gofer_confine(root, file, readonly, err, sizeof(err));
	if (root_fd < 0) {
		cli_error("gofer: %s: %s", err, cli_strerror(root_fd));
		return 1;
	}
	umask(0);
	{
		int r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : seccomp_install_gofer();
		if (r < 0) {
			cli_error("gofer: install the seccomp filter: %s", cli_strerror(r));
			return 1;
		}
	}
	return gofer_serve(sock, root_fd, readonly) < 0 ? 1 : 0;
}
