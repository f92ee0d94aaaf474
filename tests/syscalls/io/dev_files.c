/* /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void describe(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		printf("%s: stat -%s\n", path, errname(errno));
		return;
	}
	printf("%s: %s %u:%u mode %04o\n", path, S_ISCHR(st.st_mode) ? "chr" : "not-chr",
	       major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
}

static bool all_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int main(void)
{
	unsigned char buf[8192];
	const char *devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		describe(devs[i]);

	int null = open("/dev/null", O_RDWR);
	show("read /dev/null", sc(SYS_read, null, buf, sizeof(buf)));
	show("write 8192 to /dev/null", sc(SYS_write, null, buf, sizeof(buf)));
	show("lseek /dev/null", sc(SYS_lseek, null, 100, SEEK_SET));

	int zero = open("/dev/zero", O_RDWR);
	memset(buf, 0xff, sizeof(buf));
	show("read 8192 from /dev/zero", sc(SYS_read, zero, buf, sizeof(buf)));
	yesno("zeros", all_zero(buf, sizeof(buf)));
	show("write 100 to /dev/zero", sc(SYS_write, zero, buf, 100));
	unsigned char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0);
	yesno("private mapping of /dev/zero", m != MAP_FAILED && all_zero(m, 8192));
	if (m != MAP_FAILED) {
		m[5000] = 1;
		yesno("it is writable", m[5000] == 1);
	}

	amber_cr_point();

	int full = open("/dev/full", O_RDWR);
	show("write to /dev/full", sc(SYS_write, full, "x", 1));
	memset(buf, 0xff, sizeof(buf));
	show("read 100 from /dev/full", sc(SYS_read, full, buf, 100));
	yesno("zeros", all_zero(buf, 100));

	int urandom = open("/dev/urandom", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	show("read 4096 from /dev/urandom", sc(SYS_read, urandom, buf, 4096));
	yesno("not all zero", !all_zero(buf, 4096));
	int random = open("/dev/random", O_RDONLY);
	show("read 16 from /dev/random", sc(SYS_read, random, buf, 16));
	show("open /dev/nonexistent", sc(SYS_openat, AT_FDCWD, "/dev/amber-nonexistent", O_RDONLY));
	return 0;
}
