/* Hostile arguments: bad and huge fds, pointers into unmapped memory and the
 * kernel half, huge lengths. Each call must fail (or partly succeed) exactly
 * as on Linux; the sentry must not crash. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>

#define PAGE 4096UL

int main(void)
{
	char buf[64];
	struct stat st;
	struct iovec iov[2];

	show("read fd -1", sc(SYS_read, -1, buf, 1));
	show("read fd 1<<30", sc(SYS_read, 1 << 30, buf, 1));
	show("read fd INT_MAX", sc(SYS_read, INT_MAX, buf, 1));
	show("write fd -1", sc(SYS_write, -1, "x", 1));
	show("close fd -1", sc(SYS_close, -1));
	show("close fd 1<<30", sc(SYS_close, 1 << 30));
	show("fstat fd -1", sc(SYS_fstat, -1, &st));
	show("fstat fd 1<<30", sc(SYS_fstat, 1 << 30, &st));
	show("lseek fd -1", sc(SYS_lseek, -1, 0, SEEK_SET));

	int zero = open("/dev/zero", O_RDONLY);
	show("read into a low pointer", sc(SYS_read, zero, LOW_PTR, 4096));
	show("read into a kernel pointer", sc(SYS_read, zero, KERNEL_PTR, 16));
	show("read SIZE_MAX bytes into a low pointer", sc(SYS_read, zero, (void *)0x1000, SIZE_MAX));
	show("read SIZE_MAX bytes into a valid buffer", sc(SYS_read, zero, buf, SIZE_MAX));
	show("pread64 negative offset", sc(SYS_pread64, zero, buf, 1, -1));
	iov[0] = (struct iovec){ .iov_base = buf, .iov_len = 1 };
	iov[1] = (struct iovec){ .iov_base = buf, .iov_len = (size_t)-1 };
	show("readv with a negative length", sc(SYS_readv, zero, iov, 2));
	show("readv from a bad iovec array", sc(SYS_readv, zero, KERNEL_PTR, 1));

	/* A buffer whose end runs into an unmapped page: Linux fills what it can. */
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p + PAGE, PAGE);
	memset(p, 0xff, PAGE);
	show("read 1 GiB into one page", sc(SYS_read, zero, p, 1UL << 30));
	memset(p, 0xff, PAGE);
	show("read 200 bytes 96 before an unmapped page", sc(SYS_read, zero, p + PAGE - 96, 200));
	yesno("those 96 bytes were zeroed", p[PAGE - 96] == 0 && p[PAGE - 1] == 0 && p[PAGE - 97] == 0xff);

	amber_cr_point();

	show("fstat into a low pointer", sc(SYS_fstat, 0, LOW_PTR));
	show("fstat into a kernel pointer", sc(SYS_fstat, 0, KERNEL_PTR));
	show("openat a low path pointer", sc(SYS_openat, AT_FDCWD, LOW_PTR, O_RDONLY));
	show("openat a kernel path pointer", sc(SYS_openat, AT_FDCWD, KERNEL_PTR, O_RDONLY));
	show("openat dirfd -5, relative path", sc(SYS_openat, -5, "etc", O_RDONLY));
	show("openat dirfd 1<<30, relative path", sc(SYS_openat, 1 << 30, "etc", O_RDONLY));
	show("openat a regular file as dirfd", sc(SYS_openat, zero, "x", O_RDONLY));
	show("openat empty path", sc(SYS_openat, AT_FDCWD, "", O_RDONLY));
	char longpath[5000];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	show("openat a path longer than PATH_MAX", sc(SYS_openat, AT_FDCWD, longpath, O_RDONLY));
	memset(longpath + 1, 'b', 300);
	longpath[301] = 0;
	show("openat a name longer than NAME_MAX", sc(SYS_openat, AT_FDCWD, longpath, O_RDONLY));
	show("open a file as a directory", sc(SYS_openat, AT_FDCWD, "/etc/passwd/", O_RDONLY));
	show("open O_DIRECTORY on a file", sc(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY | O_DIRECTORY));
	show("stat a low path pointer", sc(SYS_stat, LOW_PTR, &st));
	show("getcwd into a low pointer", sc(SYS_getcwd, LOW_PTR, 100));
	show("uname into a low pointer", sc(SYS_uname, LOW_PTR));
	show("clock_gettime into a low pointer", sc(SYS_clock_gettime, CLOCK_MONOTONIC, LOW_PTR));
	show("nanosleep from a low pointer", sc(SYS_nanosleep, LOW_PTR, NULL));
	show("ioctl fd 1<<30", sc(SYS_ioctl, 1 << 30, TCGETS, buf));
	show("ioctl TCGETS on /dev/zero", sc(SYS_ioctl, zero, TCGETS, buf));

	int fd = open("/etc/passwd", O_RDONLY);
	fstat(fd, &st);
	read(fd, buf, 10);
	int avail = -1;
	show("ioctl FIONREAD on a file", sc(SYS_ioctl, fd, FIONREAD, &avail));
	yesno("FIONREAD is size - 10", avail == st.st_size - 10);
	show("ioctl FIONREAD into a low pointer", sc(SYS_ioctl, fd, FIONREAD, LOW_PTR));
	show("ioctl TCGETS on a file", sc(SYS_ioctl, fd, TCGETS, buf));
	show("ioctl TIOCGWINSZ on a file", sc(SYS_ioctl, fd, TIOCGWINSZ, buf));
	show("write to a read-only fd", sc(SYS_write, fd, "x", 1));
	show("read from a directory", sc(SYS_read, open("/etc", O_RDONLY | O_DIRECTORY), buf, 1));
	return 0;
}
