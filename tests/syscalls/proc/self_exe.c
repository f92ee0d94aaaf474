/* readlink and readlinkat: /proc/self/exe is the program's path,
 * /proc/self/cwd the working directory, /bin the merged-/usr symlink; and
 * readlink's errors. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char buf[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX];
	long n;

	(void)argc;
	if (!realpath(argv[0], real)) {
		printf("realpath %s failed\n", argv[0]);
		return 1;
	}
	n = sc(SYS_readlink, "/proc/self/exe", buf, sizeof(buf) - 1);
	if (n >= 0)
		buf[n] = 0;
	yesno("/proc/self/exe is the program's real path", n > 0 && strcmp(buf, real) == 0);
	n = sc(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, sizeof(buf) - 1);
	yesno("readlinkat agrees", n > 0 && (size_t)n == strlen(real));
	memset(buf, 'x', 4);
	show("readlink into 1 byte", sc(SYS_readlink, "/proc/self/exe", buf, 1));
	yesno("one byte, no terminator", buf[0] == '/' && buf[1] == 'x');

	getcwd(cwd, sizeof(cwd));
	n = sc(SYS_readlink, "/proc/self/cwd", buf, sizeof(buf) - 1);
	if (n >= 0)
		buf[n] = 0;
	yesno("/proc/self/cwd is getcwd()", n > 0 && strcmp(buf, cwd) == 0);

	amber_cr_point();

	n = sc(SYS_readlink, "/bin", buf, sizeof(buf) - 1);
	if (n >= 0) {
		buf[n] = 0;
		printf("readlink /bin: %s\n", buf);
	} else {
		show("readlink /bin", n);
	}
	int root = open("/", O_RDONLY | O_DIRECTORY);
	n = sc(SYS_readlinkat, root, "bin", buf, sizeof(buf) - 1);
	show("readlinkat / bin", n);
	show("readlink of a regular file", sc(SYS_readlink, "/etc/passwd", buf, sizeof(buf)));
	show("readlink of a directory", sc(SYS_readlink, "/etc", buf, sizeof(buf)));
	show("readlink of a missing file", sc(SYS_readlink, "/amber-nonexistent", buf, sizeof(buf)));
	show("readlink bufsiz 0", sc(SYS_readlink, "/bin", buf, 0));
	show("readlink bufsiz -1", sc(SYS_readlink, "/bin", buf, -1));
	show("readlink into a low pointer", sc(SYS_readlink, "/bin", LOW_PTR, 100));
	show("readlinkat empty path on a symlink-free fd", sc(SYS_readlinkat, root, "", buf, sizeof(buf)));
	show("readlinkat dirfd -1", sc(SYS_readlinkat, -1, "bin", buf, sizeof(buf)));
	return 0;
}
