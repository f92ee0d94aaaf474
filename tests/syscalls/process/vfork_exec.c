/* vfork and execve: the parent resumes only once its vfork child has exec'd
 * (or exited), exec failures reported by the child's exit code, programs
 * started with their output seen in ours, argv and environment passed, the
 * exec'd program's parent, fds kept or closed by FD_CLOEXEC, signal
 * dispositions after exec (handled -> default, ignored stays ignored), and
 * posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) with file actions.
 *
 * What a vfork child wrote to memory before exec is not printed: it is
 * unspecified. */
#include "proctest.h"
#include "amber_cr.h"

#include <fcntl.h>
#include <spawn.h>
#include <time.h>

extern char **environ;

static void nothing(int sig)
{
	(void)sig;
}

/* vfork, then (in the child) a short sleep, a byte into a close-on-exec
 * pipe and execve(PATH, ARGV, ENVP); an exec error follows the byte, and the
 * child exits 127. Then waits for the child, and prints (after whatever the
 * program wrote) whether the parent was held until then (the byte was there
 * when vfork returned), the exec error, and how the child ended. Linux
 * releases the parent before it closes the close-on-exec fds, so the pipe's
 * end of file is not looked for. */
static void vfork_run(const char *what, const char *path, char *const argv[], char *const envp[])
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int p[2], err = 0;
	char c = 0;
	bool held;
	pid_t pid;
	long n;

	pipe2(p, O_CLOEXEC);
	pid = vfork();
	if (pid == 0) {
		int e;

		nanosleep(&ts, NULL);	/* a parent not held back would run now */
		write(p[1], "x", 1);
		execve(path, argv, envp);
		e = errno;
		write(p[1], &e, sizeof(e));
		_exit(127);
	}
	if (pid < 0) {
		printf("%s: vfork: -%s\n", what, errname(errno));
		exit(1);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	n = read(p[0], &c, 1);
	held = n == 1 && c == 'x';
	n = read(p[0], &err, sizeof(err));
	close(p[0]);
	reap(what, pid);
	printf("  parent held until the child's exec or exit: %d", held);
	if (n == sizeof(err))
		printf(", exec failed: -%s", errname(err));
	printf("\n");
}

int main(void)
{
	char *true_argv[] = { "true", NULL };
	char *false_argv[] = { "false", NULL };
	char *echo_argv[] = { "echo", "hello", "from", "echo", NULL };
	char *noenv[] = { NULL };
	char ppid_arg[32], buf[128];
	int st, p[2];
	pid_t pid;

	proc_start();

	vfork_run("/bin/true", "/bin/true", true_argv, noenv);
	vfork_run("/bin/false", "/bin/false", false_argv, noenv);
	vfork_run("/nonexistent/true", "/nonexistent/true", true_argv, noenv);
	vfork_run("/etc/passwd", "/etc/passwd", true_argv, noenv);
	vfork_run("/etc", "/etc", true_argv, noenv);
	vfork_run("/bin/echo", "/bin/echo", echo_argv, noenv);

	/* A vfork child that exits without exec releases its parent too. */
	pid = vfork();
	if (pid == 0)
		_exit(12);
	reap("vfork then _exit(12)", pid);

	/* argv, environment and the parent as the new program sees them. */
	snprintf(ppid_arg, sizeof(ppid_arg), "%d", (int)getpid());
	{
		char *argv[] = { "sh", "-c", "echo \"argv: $0 [$1] [$2], env FOO=$FOO\"; "
				 "[ \"$PPID\" = \"$3\" ] && echo 'sh: getppid is the parent: 1'; exit 3",
				 "name", "one two", "", ppid_arg, NULL };
		char *envp[] = { "FOO=bar baz", "PATH=/bin:/usr/bin", NULL };

		vfork_run("sh -c", "/bin/sh", argv, envp);
	}

	amber_cr_point();

	/* fds across exec: 8 is kept, 9 (FD_CLOEXEC) closed. */
	{
		int keep[2], drop[2];
		char *argv[] = { "sh", "-c", "exec 2>/dev/null; echo kept >&8; echo leaked >&9; exit 0", NULL };

		pipe(keep);
		pipe2(drop, O_CLOEXEC);
		dup2(keep[1], 8);
		dup3(drop[1], 9, O_CLOEXEC);
		close(keep[1]);
		close(drop[1]);
		vfork_run("fds", "/bin/sh", argv, noenv);
		close(8);
		close(9);
		memset(buf, 0, sizeof(buf));
		show("read from fd 8's pipe", sc(SYS_read, keep[0], buf, sizeof(buf) - 1));
		printf("  '%.*s'\n", (int)strcspn(buf, "\n"), buf);
		show("read from fd 9's pipe (closed on exec)", sc(SYS_read, drop[0], buf, sizeof(buf) - 1));
		close(keep[0]);
		close(drop[0]);
	}

	/* Dispositions: a handled signal is default after exec, an ignored one
	 * stays ignored. */
	{
		char *usr2[] = { "sh", "-c", "kill -USR2 $$; echo 'sh: survived SIGUSR2'; exit 0", NULL };
		char *usr1[] = { "sh", "-c", "kill -USR1 $$; echo 'sh: survived SIGUSR1'; exit 0", NULL };

		signal(SIGUSR1, nothing);
		signal(SIGUSR2, SIG_IGN);
		vfork_run("SIGUSR2 ignored", "/bin/sh", usr2, noenv);
		vfork_run("SIGUSR1 handled", "/bin/sh", usr1, noenv);
		signal(SIGUSR1, SIG_DFL);
		signal(SIGUSR2, SIG_DFL);
	}

	/* posix_spawn: straight to our stdout, then into a pipe. */
	{
		char *argv[] = { "echo", "hello from posix_spawn", NULL };
		posix_spawn_file_actions_t fa;
		int r;

		/* Its output comes first: nothing is printed before the wait. */
		r = posix_spawn(&pid, "/bin/echo", NULL, NULL, argv, environ);
		if (r == 0)
			reap("posix_spawn /bin/echo", pid);
		show("posix_spawn /bin/echo", -r);

		pipe(p);
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addclose(&fa, p[0]);
		r = posix_spawnp(&pid, "echo", &fa, NULL, argv, environ);
		show("posix_spawnp echo into a pipe", -r);
		close(p[1]);
		if (r == 0) {
			reap("posix_spawnp echo into a pipe", pid);
			memset(buf, 0, sizeof(buf));
			show("read the pipe", sc(SYS_read, p[0], buf, sizeof(buf) - 1));
			printf("  '%.*s'\n", (int)strcspn(buf, "\n"), buf);
		}
		close(p[0]);
		posix_spawn_file_actions_destroy(&fa);

		r = posix_spawn(&pid, "/nonexistent/echo", NULL, NULL, argv, environ);
		show("posix_spawn /nonexistent/echo", -r);
		if (r == 0)
			reap("posix_spawn /nonexistent/echo", pid);
	}

	st = system("echo hello from system; exit 4");
	printf("system: %s\n", st < 0 ? errname(errno) : wstr(st));
	show("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
