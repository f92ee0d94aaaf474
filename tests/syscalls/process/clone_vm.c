/* CLONE_VM without CLONE_THREAD: a new process in the same address space.
 * With CLONE_VFORK (what glibc's posix_spawn does) and without it; the
 * child's writes and its new mappings are the parent's; CLONE_CHILD_SETTID
 * and CLONE_CHILD_CLEARTID in the shared memory (cleared at exit, since the
 * memory is shared); and posix_spawn's exec errors, which glibc's child
 * reports through that shared memory.
 *
 * The child runs a function on a stack of its own (glibc's clone()); it
 * uses no glibc state, as it shares the parent's thread pointer. */
#include "proctest.h"
#include "amber_cr.h"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>

extern char **environ;

static char stack[64 * 1024] __attribute__((aligned(16)));
static volatile int word;
static volatile pid_t tid_word;
static int *volatile new_map;

static int writer(void *arg)
{
	word = (int)(long)arg;
	return 0;	/* glibc's clone() then calls exit(2) */
}

static int mapper(void *arg)
{
	int *p = (int *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	if (p != MAP_FAILED) {
		p[0] = 55;
		new_map = p;
	}
	return 0;
}

static int settid_child(void *arg)
{
	(void)arg;
	word = tid_word == (pid_t)syscall(SYS_gettid);
	return 0;
}

static pid_t run(const char *what, int (*fn)(void *), int flags, long arg)
{
	pid_t pid = clone(fn, stack + sizeof(stack), flags, (void *)arg, NULL, NULL, (pid_t *)&tid_word);

	if (pid < 0)
		printf("%s: clone: -%s\n", what, errname(errno));
	return pid;
}

int main(void)
{
	char *argv[] = { "echo", "not printed", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	proc_start();

	word = 0;
	pid = run("CLONE_VM|CLONE_VFORK", writer, CLONE_VM | CLONE_VFORK | SIGCHLD, 33);
	printf("CLONE_VM|CLONE_VFORK: the child's write is seen once clone returns: %d\n", word == 33);
	if (pid > 0)
		reap("  CLONE_VM|CLONE_VFORK", pid);

	word = 0;
	pid = run("CLONE_VM", writer, CLONE_VM | SIGCHLD, 44);
	if (pid > 0)
		reap("CLONE_VM", pid);
	printf("  the child's write is seen: %d\n", word == 44);

	amber_cr_point();

	new_map = NULL;
	pid = run("CLONE_VM mmap", mapper, CLONE_VM | CLONE_VFORK | SIGCHLD, 0);
	if (pid > 0)
		reap("CLONE_VM, the child maps a page", pid);
	printf("  the parent sees the child's mapping and its contents: %d\n", new_map && new_map[0] == 55);
	if (new_map)
		munmap(new_map, 4096);

	/* SETTID writes the child's tid where both see it; CLEARTID clears
	 * it when the child exits, as the memory is still in use. */
	word = -1;
	tid_word = -1;
	pid = run("SETTID|CLEARTID", settid_child,
		  CLONE_VM | CLONE_VFORK | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, 0);
	if (pid > 0)
		reap("CLONE_VM with CHILD_SETTID|CHILD_CLEARTID", pid);
	printf("  the child saw its tid: %d, cleared at its exit: %d\n", word == 1, tid_word == 0);

	/* Exit signal 0: waitable with __WCLONE only. */
	word = 0;
	pid = run("exit signal 0", writer, CLONE_VM | CLONE_VFORK, 66);
	if (pid > 0) {
		int st = 0;

		showw("exit signal 0: wait4(child, 0)", sc(SYS_wait4, pid, &st, 0, NULL));
		long w = sc(SYS_wait4, pid, &st, __WCLONE, NULL);
		printf("  wait4(child, __WCLONE): is the child %d, %s, write seen %d\n", w == pid, wstr(st), word == 66);
	}

	/* glibc's posix_spawn: the child writes an exec or file action
	 * error where the parent reads it, then exits 127 and is reaped by
	 * posix_spawn itself. */
	r = posix_spawn(&pid, "/nonexistent/echo", NULL, NULL, argv, environ);
	if (r == 0)
		reap("posix_spawn /nonexistent/echo", pid);
	show("posix_spawn /nonexistent/echo", -r);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/nonexistent/out", O_RDONLY, 0);
	r = posix_spawn(&pid, "/bin/echo", &fa, NULL, argv, environ);
	if (r == 0)
		reap("posix_spawn, opening a missing file", pid);
	show("posix_spawn, opening a missing file", -r);
	posix_spawn_file_actions_destroy(&fa);

	showw("no children left", sc(SYS_wait4, -1, NULL, __WALL | WNOHANG, NULL));
	return 0;
}
