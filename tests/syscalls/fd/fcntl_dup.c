/* fcntl (F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC), dup,
 * dup2, dup3 and close_range. The program starts with fds 0, 1 and 2 only, so
 * new fd numbers are deterministic. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <linux/close_range.h>

static void flags(const char *what, int fd)
{
	long fl = sc(SYS_fcntl, fd, F_GETFL);

	if (fl < 0)
		show(what, fl);
	else
		printf("%s: %#lo\n", what, fl);
}

int main(void)
{
	int fd = open("/etc/passwd", O_RDONLY);

	show("open", fd);
	show("F_GETFD", sc(SYS_fcntl, fd, F_GETFD));
	show("F_SETFD FD_CLOEXEC", sc(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
	show("F_GETFD", sc(SYS_fcntl, fd, F_GETFD));
	show("F_SETFD 0", sc(SYS_fcntl, fd, F_SETFD, 0));
	flags("F_GETFL", fd);
	show("F_SETFL O_NONBLOCK|O_APPEND", sc(SYS_fcntl, fd, F_SETFL, O_NONBLOCK | O_APPEND));
	flags("F_GETFL", fd);
	show("F_SETFL O_RDWR (access mode is ignored)", sc(SYS_fcntl, fd, F_SETFL, O_RDWR));
	flags("F_GETFL", fd);
	int cl = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	show("open O_CLOEXEC", cl);
	show("F_GETFD", sc(SYS_fcntl, cl, F_GETFD));
	flags("F_GETFL of O_CLOEXEC", cl);
	int dir = open("/etc", O_RDONLY | O_DIRECTORY);
	flags("F_GETFL of O_DIRECTORY", dir);
	int null = open("/dev/null", O_WRONLY);
	flags("F_GETFL of /dev/null O_WRONLY", null);

	show("F_DUPFD 100", sc(SYS_fcntl, fd, F_DUPFD, 100));
	show("F_DUPFD 100 again", sc(SYS_fcntl, fd, F_DUPFD, 100));
	show("F_GETFD of the dup", sc(SYS_fcntl, 100, F_GETFD));
	show("F_DUPFD_CLOEXEC 0", sc(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0));
	show("F_GETFD of the dup", sc(SYS_fcntl, 7, F_GETFD));
	show("F_DUPFD 1<<30", sc(SYS_fcntl, fd, F_DUPFD, 1 << 30));
	show("F_DUPFD -1", sc(SYS_fcntl, fd, F_DUPFD, -1));
	show("fcntl unknown command", sc(SYS_fcntl, fd, 9999));
	show("fcntl fd -1", sc(SYS_fcntl, -1, F_GETFD));

	amber_cr_point();

	show("dup", sc(SYS_dup, fd));
	show("dup fd -1", sc(SYS_dup, -1));
	show("dup2 to itself", sc(SYS_dup2, fd, fd));
	show("dup2 a closed fd to itself", sc(SYS_dup2, 50, 50));
	show("dup2 to 20", sc(SYS_dup2, fd, 20));
	show("dup2 over an open fd", sc(SYS_dup2, cl, 20));
	show("F_GETFD after dup2 over it", sc(SYS_fcntl, 20, F_GETFD));
	show("dup2 from -1", sc(SYS_dup2, -1, 21));
	show("dup2 to -1", sc(SYS_dup2, fd, -1));
	show("dup2 to 1<<30", sc(SYS_dup2, fd, 1 << 30));
	show("dup3 to itself", sc(SYS_dup3, fd, fd, 0));
	show("dup3 bad flags", sc(SYS_dup3, fd, 22, O_NONBLOCK));
	show("dup3 O_CLOEXEC", sc(SYS_dup3, fd, 22, O_CLOEXEC));
	show("F_GETFD of the dup3", sc(SYS_fcntl, 22, F_GETFD));
	show("read through a dup shares the offset", sc(SYS_read, 22, (char[10]){0}, 10));
	show("offset seen through the original", sc(SYS_lseek, fd, 0, SEEK_CUR));

	show("close_range 20..22", sc(SYS_close_range, 20, 22, 0));
	show("F_GETFD of 21 after close_range", sc(SYS_fcntl, 21, F_GETFD));
	show("close_range CLOEXEC 100..~0", sc(SYS_close_range, 100, ~0U, CLOSE_RANGE_CLOEXEC));
	show("F_GETFD of 100", sc(SYS_fcntl, 100, F_GETFD));
	show("close_range first > last", sc(SYS_close_range, 10, 9, 0));
	show("close_range bad flags", sc(SYS_close_range, 3, 9, 0x1000));
	show("close_range 3..~0", sc(SYS_close_range, 3, ~0U, 0));
	show("F_GETFD of 3 after close_range", sc(SYS_fcntl, 3, F_GETFD));
	show("open reuses the lowest fd", open("/etc/passwd", O_RDONLY));
	show("close", sc(SYS_close, 3));
	show("close again", sc(SYS_close, 3));
	return 0;
}
