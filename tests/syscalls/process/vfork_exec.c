/* vfork and execve: the parent resumes only once its vfork child has exec'd
 * (or exited), exec failures reported by the child's exit code, programs
 * started with their output seen in ours, argv and environment passed, the
 * exec'd program's parent, fds kept or closed by FD_CLOEXEC, signal
 * dispositions after exec (handled -> default, ignored stays ignored), and
 * posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) with file actions. Its
 * errors, which depend on the memory CLONE_VM shares, are clone_vm's.
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

/* vfork, then (in the child) a short sleep, a mark in shared memory and
 * execve(PATH, ARGV, ENVP); an exec error is written there too, and the
 * child exits 127. Then waits for the child, and prints (after whatever the
 * program wrote) whether the parent was held until then (the mark was there
 * when vfork returned), the exec error, and how the child ended. The shared
 * page is MAP_SHARED, so what the child writes there is defined. */
static void vfork_run(const char *what, const char *path, char *const argv[], char *const envp[])
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	bool held;
	pid_t pid;
	int err;

	post(0, 0);
	post(1, 0);
	pid = vfork();
	if (pid == 0) {
		nanosleep(&ts, NULL);	/* a parent not held back would run now */
		post(0, 1);
		execve(path, argv, envp);
		post(1, errno);
		_exit(127);
	}
	if (pid < 0) {
		printf("%s: vfork: -%s\n", what, errname(errno));
		exit(1);
	}
	held = peek(0) == 1;
	reap(what, pid);
	err = peek(1);
	printf("  parent held until the child's exec or exit: %d", held);
	if (err)
		printf(", exec failed: -%s", errname(err));
	printf("\n");
}

int main(void)
{
	char *true_argv[] = { "true", NULL };
	char *false_argv[] = { "false", NULL };
	char *echo_argv[] = { "echo", "hello", "from", "echo", NULL };
	char *noenv[] = { NULL };
	char ppid_arg[32];
	int st;
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
		char *argv[] = { "sh", "-c", "for fd in 8 9; do if (: <&$fd) 2>/dev/null; "
				 "then echo \"sh: fd $fd open\"; else echo \"sh: fd $fd closed\"; fi; done", NULL };
		int fd = open("/dev/null", O_RDONLY);

		dup2(fd, 8);
		dup3(fd, 9, O_CLOEXEC);
		close(fd);
		vfork_run("fds", "/bin/sh", argv, noenv);
		close(8);
		close(9);
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

	/* posix_spawn: straight to our stdout, then with file actions. */
	{
		char *argv[] = { "echo", "hello from posix_spawn", NULL };
		posix_spawn_file_actions_t fa;
		int r;

		/* Its output comes first: nothing is printed before the wait. */
		r = posix_spawn(&pid, "/bin/echo", NULL, NULL, argv, environ);
		if (r == 0)
			reap("posix_spawn /bin/echo", pid);
		show("posix_spawn /bin/echo", -r);

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		r = posix_spawnp(&pid, "echo", &fa, NULL, argv, environ);
		if (r == 0)
			reap("posix_spawnp echo, stdout opened on /dev/null", pid);
		show("posix_spawnp echo, stdout opened on /dev/null", -r);
		posix_spawn_file_actions_destroy(&fa);
	}

	st = system("echo hello from system; exit 4");
	printf("system: %s\n", st < 0 ? errname(errno) : wstr(st));
	showw("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
