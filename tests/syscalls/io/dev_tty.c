/* /dev/tty: a character device 5:0 that names the opener's controlling
 * terminal. The harness runs each program in a session of its own, so
 * natively as in the sandbox there is none, and opening it fails with
 * ENXIO. */
#include "sctest.h"
#include "amber_cr.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void describe(const char *what, int r, const struct stat *st)
{
	if (r < 0) {
		printf("%s: -%s\n", what, errname(errno));
		return;
	}
	printf("%s: %s %u:%u mode %04o\n", what, S_ISCHR(st->st_mode) ? "chr" : "not-chr", major(st->st_rdev),
	       minor(st->st_rdev), st->st_mode & 07777);
}

int main(void)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd;

	describe("stat /dev/tty", stat("/dev/tty", &st), &st);
	describe("lstat /dev/tty", lstat("/dev/tty", &st), &st);
	show("access rw", access("/dev/tty", R_OK | W_OK) < 0 ? -errno : 0);
	d = opendir("/dev");
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, "tty") == 0)
			yesno("/dev lists tty as a character device", e->d_type == DT_CHR);
	if (d)
		closedir(d);

	amber_cr_point();

	show("open O_RDWR", sc(SYS_openat, AT_FDCWD, "/dev/tty", O_RDWR));
	show("open O_RDONLY", sc(SYS_openat, AT_FDCWD, "/dev/tty", O_RDONLY));
	show("open O_WRONLY|O_NOCTTY", sc(SYS_openat, AT_FDCWD, "/dev/tty", O_WRONLY | O_NOCTTY));
	show("open O_RDWR|O_NONBLOCK", sc(SYS_openat, AT_FDCWD, "/dev/tty", O_RDWR | O_NONBLOCK));
	/* O_PATH does not open the device: it only names the node. */
	fd = (int)sc(SYS_openat, AT_FDCWD, "/dev/tty", O_PATH);
	show("open O_PATH", fd < 0 ? fd : 0);
	if (fd >= 0)
		describe("fstat of the O_PATH fd", fstat(fd, &st), &st);
	return 0;
}
