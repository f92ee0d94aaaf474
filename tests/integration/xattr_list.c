/* xattr_list PATH...: prints the extended attributes of each path, not
 * following a final symlink (llistxattr, lgetxattr): one line
 * "PATH NAME=VALUE" per attribute, sorted by name, "PATH -" for none, or
 * "PATH error: ..." when a call fails. gofer_confine.sh runs it natively
 * and in the sandbox (statically linked, so a bare rootfs can hold it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int show(const char *path)
{
	static char list[65536], value[65536];
	char *names[1024];
	ssize_t n = llistxattr(path, list, sizeof(list));
	size_t count = 0;

	if (n < 0) {
		printf("%s error: %s\n", path, strerror(errno));
		return 1;
	}
	for (ssize_t i = 0; i < n && count < 1024; i += (ssize_t)strlen(list + i) + 1)
		names[count++] = list + i;
	if (count == 0)
		printf("%s -\n", path);
	qsort(names, count, sizeof(names[0]), by_name);
	for (size_t i = 0; i < count; i++) {
		ssize_t len = lgetxattr(path, names[i], value, sizeof(value));
		if (len < 0) {
			printf("%s %s error: %s\n", path, names[i], strerror(errno));
			return 1;
		}
		printf("%s %s=%.*s\n", path, names[i], (int)len, value);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc; i++)
		ret |= show(argv[i]);
	return ret;
}
