/* runsc do: run a program in a sandbox whose root is the host's root,
 * read-only, with the caller's stdio, cwd and environment.
 *
 * This process becomes the sentry; it forks the gofer (which serves "/")
 * and, from the task's host thread, the stub processes. Both children die
 * with it (PR_SET_PDEATHSIG, PTRACE_O_EXITKILL), so a SIGKILL here leaves
 * nothing behind. */
#include "runsc/cli.h"
#include "runsc/sandbox.h"
#include "runsc/seccomp.h"
#include "gofer/gofer.h"
#include "kernel/kernel.h"
#include "kernel/lib/log.h"
#include "platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;


static pid_t start_gofer(int *sock_out)
{
	int sv[2];
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		int root;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		prctl(PR_SET_NAME, "runsc-gofer");
		close(sv[0]);
		/* The sandbox's signals are the sentry's business. */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		/* The gofer's own read-only view of "/". A user without the
		 * privilege for a mount namespace gets the plain "/": the
		 * pivot narrows nothing when "/" is what is served, so only
		 * the read-only mount under the gofer's own refusal is lost. */
		root = gofer_confine("/", NULL, true, NULL, 0);
		if (root == -EPERM)
			root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			_exit(1);
		umask(0);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_install_gofer() < 0)
			_exit(1);
		_exit(gofer_serve(sv[1], root, true) < 0 ? 1 : 0);
	}
	close(sv[1]);
	*sock_out = sv[0];
	return pid;
}

int cmd_do(struct global_flags *g, int argc, char **argv)
{
	static struct gofer_client gofer;
	char path[PATH_MAX], cwd[PATH_MAX], host[256];
	struct sandbox_run rc = { 0 };
	int stdio[3], i = 1, log_fd = 2, sfd, err, gofer_sock = -1;
	pid_t gofer_pid;

	while (i < argc && argv[i][0] == '-') {
		int r;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		r = parse_common_flag(g, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r == 0) {
			cli_error("do: unknown flag %s", argv[i]);
			return 2;
		}
		i++;
	}
	if (i >= argc) {
		cli_error("do: missing program to run");
		return 2;
	}
	if (strcmp(g->network, "none") != 0) {
		cli_error("--network=%s is not available yet; use --network=none", g->network);
		return 2;
	}
	if (platform_select(g->platform) < 0) {
		cli_error("unknown platform %s (available: ptrace, systrap)", g->platform);
		return 2;
	}
	platform_syscall_patching = !g->systrap_no_patching;
	if (g->debug_log) {
		log_fd = open(g->debug_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			cli_error("open debug log %s: %s", g->debug_log, cli_strerror(errno));
			return 2;
		}
	}
	/* The caller's stderr is the application's too: without a debug log
	 * only errors go there; warnings (unsupported calls) need --debug-log. */
	log_init(log_fd, g->debug ? LOG_DEBUG : g->strace ? LOG_INFO : g->debug_log ? LOG_WARN : LOG_ERROR);
	sandbox.strace = g->strace;

	/* Block the forwarded signals everywhere; this thread takes them from
	 * a signalfd and hands them to the application. */
	sfd = sandbox_signals_init();

	gofer_pid = start_gofer(&gofer_sock);
	if (gofer_pid < 0) {
		cli_error("start gofer: %s", cli_strerror(gofer_pid));
		return 1;
	}
	gofer_client_init(&gofer, gofer_sock);
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "amber");
	err = kernel_init(&gofer, true, host);
	if (err < 0) {
		cli_error("start sandbox: %s", cli_strerror(err));
		kill(gofer_pid, SIGKILL);
		return 1;
	}
	/* From here on the sentry makes only the host calls it needs. */
	err = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : seccomp_install_sentry();
	if (err < 0) {
		cli_error("install the sentry's seccomp filter: %s", cli_strerror(err));
		kill(gofer_pid, SIGKILL);
		return 1;
	}
	for (int k = 0; k < 3; k++)
		stdio[k] = fcntl(k, F_DUPFD_CLOEXEC, 3);
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	rc.task = kernel_new_init_task(stdio, cwd);
	if (!rc.task) {
		cli_error("start sandbox: out of memory");
		kill(gofer_pid, SIGKILL);
		return 1;
	}
	err = kernel_find_program(rc.task, argv[i], environ, path, sizeof(path));
	if (err < 0) {
		cli_error("exec %s: %s", argv[i], cli_strerror(err));
		kill(gofer_pid, SIGKILL);
		return err == -ENOENT ? 127 : 126;
	}
	rc.path = path;
	rc.argv = argv + i;
	rc.envp = environ;
	err = sandbox_launch(&rc, true);
	if (err < 0) {
		cli_error("exec %s: %s", argv[i], cli_strerror(err));
		kill(gofer_pid, SIGKILL);
		waitpid(gofer_pid, NULL, 0);
		return err == -ENOENT ? 127 : 126;
	}
	sandbox_forward_signals(&rc, sfd);
	gofer_client_destroy(&gofer);
	waitpid(gofer_pid, NULL, 0);
	return sandbox_exit_code(rc.wait_status);
}
