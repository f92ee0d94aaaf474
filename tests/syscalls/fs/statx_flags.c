/* statx: every AT_ flag, masks, and errors. Prints only the fields that do
 * not change between runs: type, mode, nlink, uid, gid, size, device
 * numbers of device files, and whether inode numbers agree with fstat. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#ifndef AT_STATX_SYNC_TYPE
#define AT_STATX_SYNC_TYPE 0x6000
#endif

static const char *type(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "reg";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "lnk";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "sock";
	default: return "?";
	}
}

static long do_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	memset(stx, 0xee, sizeof(*stx));
	return sc(SYS_statx, dirfd, path, flags, mask, stx);
}

/* One line: the call's result and, on success, its stable fields. Device
 * files in /dev are the sentry's own, so their owner is not compared (the
 * host's may differ); which fields a request with a mask of 0 gets back
 * changed between kernel versions, so it is not printed either. */
static void report(const char *what, int dirfd, const char *path, int flags, unsigned mask)
{
	struct statx stx;
	long r = do_statx(dirfd, path, flags, mask, &stx);

	if (r < 0) {
		show(what, r);
		return;
	}
	printf("%s: %s mode %04o nlink %u", what, type(stx.stx_mode), stx.stx_mode & 07777, stx.stx_nlink);
	if (!S_ISCHR(stx.stx_mode))
		printf(" uid %u gid %u", stx.stx_uid, stx.stx_gid);
	if (S_ISREG(stx.stx_mode) || S_ISLNK(stx.stx_mode))
		printf(" size %llu", (unsigned long long)stx.stx_size);
	if (S_ISCHR(stx.stx_mode) || S_ISBLK(stx.stx_mode))
		printf(" rdev %u:%u", stx.stx_rdev_major, stx.stx_rdev_minor);
	if ((mask & STATX_BASIC_STATS) == STATX_BASIC_STATS)
		printf(" basic %s", (stx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no");
	printf("\n");
}

int main(void)
{
	struct statx stx;
	struct stat st;

	report("/etc/passwd", AT_FDCWD, "/etc/passwd", 0, STATX_BASIC_STATS);
	report("/etc/passwd with STATX_BTIME", AT_FDCWD, "/etc/passwd", 0, STATX_BASIC_STATS | STATX_BTIME);
	report("/etc/passwd with STATX_ALL", AT_FDCWD, "/etc/passwd", 0, STATX_ALL);
	report("/etc/passwd with mask 0", AT_FDCWD, "/etc/passwd", 0, 0);
	report("/bin", AT_FDCWD, "/bin", 0, STATX_BASIC_STATS);
	report("/bin AT_SYMLINK_NOFOLLOW", AT_FDCWD, "/bin", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS);
	report("/bin/ AT_SYMLINK_NOFOLLOW", AT_FDCWD, "/bin/", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS);
	report("/etc AT_NO_AUTOMOUNT", AT_FDCWD, "/etc", AT_NO_AUTOMOUNT, STATX_BASIC_STATS);
	report("/etc/passwd AT_STATX_SYNC_AS_STAT", AT_FDCWD, "/etc/passwd", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS);
	report("/etc/passwd AT_STATX_FORCE_SYNC", AT_FDCWD, "/etc/passwd", AT_STATX_FORCE_SYNC, STATX_BASIC_STATS);
	report("/etc/passwd AT_STATX_DONT_SYNC", AT_FDCWD, "/etc/passwd", AT_STATX_DONT_SYNC, STATX_BASIC_STATS);
	report("/etc/passwd FORCE_SYNC|DONT_SYNC", AT_FDCWD, "/etc/passwd", AT_STATX_SYNC_TYPE, STATX_BASIC_STATS);
	report("/dev/null", AT_FDCWD, "/dev/null", 0, STATX_BASIC_STATS);
	report("/dev/zero", AT_FDCWD, "/dev/zero", 0, STATX_BASIC_STATS);

	int fd = open("/etc/passwd", O_RDONLY);
	int etc = open("/etc", O_RDONLY | O_DIRECTORY);
	fstat(fd, &st);
	report("fd AT_EMPTY_PATH", fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS);
	do_statx(fd, "", AT_EMPTY_PATH, STATX_INO, &stx);
	yesno("AT_EMPTY_PATH inode equals fstat's", stx.stx_ino == st.st_ino);
	do_statx(etc, "passwd", 0, STATX_INO, &stx);
	yesno("dirfd-relative inode equals fstat's", stx.stx_ino == st.st_ino);
	do_statx(AT_FDCWD, "/etc/passwd", 0, STATX_INO, &stx);
	yesno("path inode equals fstat's", stx.stx_ino == st.st_ino);
	yesno("stx_dev equals st_dev", (dev_t)makedev(stx.stx_dev_major, stx.stx_dev_minor) == st.st_dev);
	yesno("size equals fstat's", stx.stx_size == (uint64_t)st.st_size || !(stx.stx_mask & STATX_SIZE));

	amber_cr_point();

	report("fd empty path without AT_EMPTY_PATH", fd, "", 0, STATX_BASIC_STATS);
	report("AT_FDCWD AT_EMPTY_PATH", AT_FDCWD, "", AT_EMPTY_PATH, STATX_BASIC_STATS);
	report("relative path, dirfd is a file", fd, "x", 0, STATX_BASIC_STATS);
	report("relative path, dirfd -1", -1, "passwd", 0, STATX_BASIC_STATS);
	report("absolute path, dirfd -1", -1, "/etc/passwd", 0, STATX_BASIC_STATS);
	report("unknown flag 0x80000000", AT_FDCWD, "/etc/passwd", 0x80000000, STATX_BASIC_STATS);
	report("unknown flag 0x1", AT_FDCWD, "/etc/passwd", 0x1, STATX_BASIC_STATS);
	report("reserved mask bit", AT_FDCWD, "/etc/passwd", 0, 0x80000000U);
	report("missing file", AT_FDCWD, "/etc/amber-nonexistent", 0, STATX_BASIC_STATS);
	report("file used as a directory", AT_FDCWD, "/etc/passwd/x", 0, STATX_BASIC_STATS);
	show("bad buffer", sc(SYS_statx, AT_FDCWD, "/etc/passwd", 0, STATX_BASIC_STATS, LOW_PTR));
	show("bad path", sc(SYS_statx, AT_FDCWD, LOW_PTR, 0, STATX_BASIC_STATS, &stx));
	return 0;
}
