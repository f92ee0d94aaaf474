/* exit, exit_group, execve. exit ends the calling thread only (the group
 * with it when it is the last). */
#include "kernel/syscalls/syscalls.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 65536

SYSCALL(exit)
{
	task_exit_thread(t, (int)a[0]);
	return 0;
}

SYSCALL(exit_group)
{
	task_exit_group(t, ((int)a[0] & 0xff) << 8);
	return 0;
}

static void free_vec(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Copies a NULL-terminated array of user strings. */
static int copy_vec(struct task *t, uaddr_t addr, char ***out)
{
	size_t n = 0, cap = 16;
	char **v = calloc(cap, sizeof(char *));

	if (!v)
		return -ENOMEM;
	for (; addr; n++) {
		uint64_t p;
		char *s;
		ssize_t len;

		if (n >= MAX_ARGS) {
			free_vec(v);
			return -E2BIG;
		}
		if (copy_in(t->mm, &p, addr + n * 8, 8) < 0) {
			free_vec(v);
			return -EFAULT;
		}
		if (!p)
			break;
		if (n + 2 > cap) {
			char **nv = realloc(v, cap * 2 * sizeof(char *));
			if (!nv) {
				free_vec(v);
				return -ENOMEM;
			}
			v = nv;
			memset(v + cap, 0, cap * sizeof(char *));
			cap *= 2;
		}
		s = malloc(32 * 4096);
		if (!s) {
			free_vec(v);
			return -ENOMEM;
		}
		len = copy_in_string(t->mm, s, p, 32 * 4096);
		if (len < 0) {
			free(s);
			free_vec(v);
			return len == -ENAMETOOLONG ? -E2BIG : (int)len;
		}
		v[n] = realloc(s, (size_t)len + 1) ?: s;
	}
	v[n] = NULL;
	*out = v;
	return 0;
}

SYSCALL(execve)
{
	char path[PATH_MAX];
	char **argv = NULL, **envp = NULL;
	int err = copy_path(t, a[0], path);

	if (err < 0)
		return err;
	err = copy_vec(t, a[1], &argv);
	if (err == 0)
		err = copy_vec(t, a[2], &envp);
	if (err == 0)
		err = task_exec(t, path, argv, envp);
	free_vec(argv);
	free_vec(envp);
	return err;
}
