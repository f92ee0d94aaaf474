/* runsc gofer (internal): serves a container's root over the socket it
 * was given. Started by create; lives until the sentry closes the socket. */
#include "runsc/cli.h"
#include "gofer/gofer.h"
#include "runsc/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int cmd_gofer(struct global_flags *g, int argc, char **argv)
{
	const char *root = NULL;
	int sock = -1, root_fd;
	bool readonly = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root-path") == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strcmp(argv[i], "--sock-fd") == 0 && i + 1 < argc)
			sock = atoi(argv[++i]);
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
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		cli_error("gofer: open %s: %s", root, cli_strerror(errno));
		return 1;
	}
	umask(0);
	{
		int err = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : seccomp_install_gofer();
		if (err < 0) {
			cli_error("gofer: install the seccomp filter: %s", cli_strerror(err));
			return 1;
		}
	}
	return gofer_serve(sock, root_fd, readonly) < 0 ? 1 : 0;
}
