/* lseek on a regular file and on /dev/null, all whence values. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <sys/stat.h>

#ifndef SEEK_DATA
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif

int main(void)
{
	struct stat st;
	char buf[16];
	int fd = open("/etc/passwd", O_RDONLY);

	fstat(fd, &st);
	yesno("SEEK_END is the size", sc(SYS_lseek, fd, 0, SEEK_END) == st.st_size);
	yesno("SEEK_END -5", sc(SYS_lseek, fd, -5, SEEK_END) == st.st_size - 5);
	show("read at end - 5", sc(SYS_read, fd, buf, sizeof(buf)));
	show("SEEK_SET 0", sc(SYS_lseek, fd, 0, SEEK_SET));
	show("read 10", sc(SYS_read, fd, buf, 10));
	show("SEEK_CUR 0", sc(SYS_lseek, fd, 0, SEEK_CUR));
	show("SEEK_CUR -4", sc(SYS_lseek, fd, -4, SEEK_CUR));
	show("SEEK_SET -1", sc(SYS_lseek, fd, -1, SEEK_SET));
	show("SEEK_CUR -1000000", sc(SYS_lseek, fd, -1000000, SEEK_CUR));
	show("whence 99", sc(SYS_lseek, fd, 0, 99));

	amber_cr_point();

	show("SEEK_SET past the end (1<<40)", sc(SYS_lseek, fd, 1L << 40, SEEK_SET));
	show("read past the end", sc(SYS_read, fd, buf, sizeof(buf)));
	show("SEEK_DATA 0", sc(SYS_lseek, fd, 0, SEEK_DATA));
	yesno("SEEK_HOLE 0 is the size", sc(SYS_lseek, fd, 0, SEEK_HOLE) == st.st_size);
	show("SEEK_DATA past the end", sc(SYS_lseek, fd, st.st_size + 1, SEEK_DATA));
	sc(SYS_lseek, fd, 7, SEEK_SET);
	show("pread64 4 at 0", sc(SYS_pread64, fd, buf, 4, 0));
	show("offset after pread64", sc(SYS_lseek, fd, 0, SEEK_CUR));
	show("pread64 at -1", sc(SYS_pread64, fd, buf, 4, -1));

	int dfd = open("/etc", O_RDONLY | O_DIRECTORY);
	show("directory SEEK_SET 0", sc(SYS_lseek, dfd, 0, SEEK_SET));
	int null = open("/dev/null", O_RDONLY);
	show("/dev/null SEEK_SET 100", sc(SYS_lseek, null, 100, SEEK_SET));
	show("/dev/null SEEK_END", sc(SYS_lseek, null, 0, SEEK_END));
	int zero = open("/dev/zero", O_RDONLY);
	show("/dev/zero SEEK_SET 100", sc(SYS_lseek, zero, 100, SEEK_SET));
	return 0;
}
