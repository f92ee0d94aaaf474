/* getcwd, chdir, fchdir, access and faccessat (read-only cases only: a write
 * check would succeed natively as root but not on the read-only root). */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <limits.h>

#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

static void cwd(const char *what)
{
	char buf[PATH_MAX];
	long r = sc(SYS_getcwd, buf, sizeof(buf));

	if (r < 0)
		show(what, r);
	else
		printf("%s: %s (length %ld)\n", what, buf, r);
}

int main(void)
{
	char small[4];

	show("chdir /usr/share", sc(SYS_chdir, "/usr/share"));
	cwd("getcwd");
	show("chdir ..", sc(SYS_chdir, ".."));
	cwd("getcwd");
	show("chdir /bin (a symlink)", sc(SYS_chdir, "/bin"));
	cwd("getcwd");
	show("chdir ../../../..", sc(SYS_chdir, "../../../.."));
	cwd("getcwd");
	show("chdir /etc/passwd", sc(SYS_chdir, "/etc/passwd"));
	show("chdir missing", sc(SYS_chdir, "/amber-nonexistent"));
	show("chdir empty", sc(SYS_chdir, ""));
	int etc = open("/etc", O_RDONLY | O_DIRECTORY);
	show("fchdir /etc", sc(SYS_fchdir, etc));
	cwd("getcwd");
	show("relative open after fchdir", sc(SYS_openat, AT_FDCWD, "passwd", O_RDONLY) >= 0 ? 0 : -1);
	int file = open("/etc/passwd", O_RDONLY);
	show("fchdir to a file", sc(SYS_fchdir, file));
	show("fchdir -1", sc(SYS_fchdir, -1));
	show("getcwd into 4 bytes", sc(SYS_getcwd, small, sizeof(small)));
	show("getcwd into 0 bytes", sc(SYS_getcwd, small, 0));

	amber_cr_point();

	show("access /etc/passwd F_OK", sc(SYS_access, "/etc/passwd", F_OK));
	show("access /etc/passwd R_OK", sc(SYS_access, "/etc/passwd", R_OK));
	show("access /etc/passwd X_OK", sc(SYS_access, "/etc/passwd", X_OK));
	show("access /bin/busybox X_OK", sc(SYS_access, "/bin/busybox", X_OK));
	show("access missing", sc(SYS_access, "/amber-nonexistent", F_OK));
	show("access bad mode", sc(SYS_access, "/etc/passwd", 8));
	show("faccessat relative", sc(SYS_faccessat, etc, "passwd", R_OK));
	show("faccessat2 AT_EACCESS", sc(SYS_faccessat2, AT_FDCWD, "/etc/passwd", R_OK, AT_EACCESS));
	show("faccessat2 AT_SYMLINK_NOFOLLOW", sc(SYS_faccessat2, AT_FDCWD, "/bin", F_OK, AT_SYMLINK_NOFOLLOW));
	show("faccessat2 AT_EMPTY_PATH", sc(SYS_faccessat2, file, "", R_OK, AT_EMPTY_PATH));
	show("faccessat2 bad flags", sc(SYS_faccessat2, AT_FDCWD, "/etc/passwd", R_OK, 0x1));
	return 0;
}
