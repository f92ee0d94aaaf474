/* The gofer's write path: create through open, mkdir, symlink, link,
 * unlink and rmdir, rename, setattr. Each success is checked against the
 * host tree, each error against what Linux gives, and every escape
 * attempt against a directory outside the root that must stay untouched.
 *
 * Besides the tree of gofer_test.h, each test has:
 *   outside: /tmp/amber-gofer-out.XXXXXX/victim   "victim\n", mode 0640
 *   esc_abs  -> <outside>                  (absolute symlink to a directory)
 *   esc_rel  -> ../amber-gofer-out.XXXXXX  (relative, through the root's parent)
 *   esc_file -> <outside>/victim           (absolute symlink to a file)
 *   dangling -> nowhere
 *   empty/                                 (an empty directory)
 * Destructive attempts aim at the outside directory, never at the fixture's
 * links into the host's /etc. The gofer runs with umask 0; so does each
 * test process (criterion runs each test in its own), which the server
 * thread shares. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tests/unit/gofer/gofer_test.h"
#include "gofer/gofer.h"
#include "gofer/proto.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char wt_out[] = "/tmp/amber-gofer-out.XXXXXX";
static char wt_victim_path[PATH_MAX];
static struct stat wt_victim;		/* the victim as made */
static char wt_leaf[64];		/* a name no test tree has */

static int wt_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void wt_setup(void)
{
	char rel[PATH_MAX];
	int fd;

	umask(0);
	gt_setup();
	cr_assert_not_null(mkdtemp(wt_out));
	snprintf(wt_victim_path, sizeof(wt_victim_path), "%s/victim", wt_out);
	fd = open(wt_victim_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "victim\n", 7), 7);
	close(fd);
	cr_assert_eq(stat(wt_victim_path, &wt_victim), 0);
	snprintf(rel, sizeof(rel), "../%s", strrchr(wt_out, '/') + 1);
	cr_assert_eq(symlinkat(wt_out, gt_root_fd, "esc_abs"), 0);
	cr_assert_eq(symlinkat(rel, gt_root_fd, "esc_rel"), 0);
	cr_assert_eq(symlinkat(wt_victim_path, gt_root_fd, "esc_file"), 0);
	cr_assert_eq(symlinkat("nowhere", gt_root_fd, "dangling"), 0);
	cr_assert_eq(mkdirat(gt_root_fd, "empty", 0755), 0);
	snprintf(wt_leaf, sizeof(wt_leaf), "amber-gofer-escape-%d", (int)getpid());
}

static void wt_teardown(void)
{
	gt_teardown();
	nftw(wt_out, wt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(gofer_write, .init = wt_setup, .fini = wt_teardown);

/* ---- host-side checks ---- */

static struct stat wt_lstat(const char *name)
{
	struct stat st;

	cr_assert_eq(fstatat(gt_root_fd, name, &st, AT_SYMLINK_NOFOLLOW), 0,
		     "%s: %s", name, strerror(errno));
	return st;
}

static bool wt_exists(const char *name)
{
	struct stat st;

	return fstatat(gt_root_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void wt_check_contents(const char *name, const char *want)
{
	char buf[256];
	int fd = openat(gt_root_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	cr_assert(fd >= 0, "%s: %s", name, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	cr_assert_eq(n, (ssize_t)strlen(want), "%s: %zd bytes", name, n);
	cr_assert_eq(memcmp(buf, want, (size_t)n), 0, "%s: contents", name);
}

static void wt_check_readlink(const char *name, const char *want)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(gt_root_fd, name, buf, sizeof(buf));

	cr_assert_eq(n, (ssize_t)strlen(want), "%s: %zd", name, n);
	cr_assert_eq(memcmp(buf, want, (size_t)n), 0);
}

/* The statx the gofer sent names the file the host has at name. */
static void wt_check_statx(const char *name, const struct statx *stx)
{
	struct stat st = wt_lstat(name);

	cr_assert_eq(stx->stx_ino, st.st_ino, "%s: inode", name);
	cr_assert_eq(stx->stx_mode, st.st_mode, "%s: mode", name);
	cr_assert_eq(stx->stx_uid, st.st_uid);
	cr_assert_eq(stx->stx_gid, st.st_gid);
	cr_assert_eq(stx->stx_nlink, st.st_nlink);
	cr_assert_eq(stx->stx_size, (uint64_t)st.st_size);
}

/* Nothing outside the root changed: the outside directory holds only the
 * victim, untouched (its ctime would show a chmod, chown, link or
 * utimensat), and nothing was made beside the root. */
static void wt_check_outside(void)
{
	char buf[16], path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(wt_out);
	int n = 0, fd;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		cr_assert_str_eq(e->d_name, "victim");
		n++;
	}
	closedir(d);
	cr_assert_eq(n, 1);
	cr_assert_eq(lstat(wt_victim_path, &st), 0);
	cr_assert_eq(st.st_ino, wt_victim.st_ino);
	cr_assert_eq(st.st_mode, wt_victim.st_mode);
	cr_assert_eq(st.st_uid, wt_victim.st_uid);
	cr_assert_eq(st.st_gid, wt_victim.st_gid);
	cr_assert_eq(st.st_nlink, 1);
	cr_assert_eq(st.st_size, 7);
	cr_assert_eq(st.st_mtim.tv_sec, wt_victim.st_mtim.tv_sec);
	cr_assert_eq(st.st_mtim.tv_nsec, wt_victim.st_mtim.tv_nsec);
	cr_assert_eq(st.st_ctim.tv_sec, wt_victim.st_ctim.tv_sec);
	cr_assert_eq(st.st_ctim.tv_nsec, wt_victim.st_ctim.tv_nsec);
	fd = open(wt_victim_path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert_eq(read(fd, buf, sizeof(buf)), 7);
	close(fd);
	cr_assert_eq(memcmp(buf, "victim\n", 7), 0);
	snprintf(path, sizeof(path), "/tmp/%s", wt_leaf);
	cr_assert_eq(access(path, F_OK), -1, "%s was made", path);
	/* link_dir leads to dir: following it would have made dir/<leaf>. */
	snprintf(path, sizeof(path), "dir/%s", wt_leaf);
	cr_assert(!wt_exists(path), "%s was made", path);
}

/* Paths ending in leaf whose parent is reached through a symlink or lies
 * outside the root. Each must be refused with -ELOOP (a symlink in the
 * way) or -EXDEV (leaving the root). */
#define WT_NESCAPES 8
static void wt_escapes(char paths[WT_NESCAPES][PATH_MAX], const char *leaf)
{
	const char *base = strrchr(wt_out, '/') + 1;
	int n = 0;

	snprintf(paths[n++], PATH_MAX, "esc_abs/%s", leaf);
	snprintf(paths[n++], PATH_MAX, "esc_rel/%s", leaf);
	snprintf(paths[n++], PATH_MAX, "link_dir/%s", leaf);
	snprintf(paths[n++], PATH_MAX, "../%s", leaf);
	snprintf(paths[n++], PATH_MAX, "../%s/%s", base, leaf);
	snprintf(paths[n++], PATH_MAX, "dir/../../%s/%s", base, leaf);
	snprintf(paths[n++], PATH_MAX, "%s/%s", wt_out, leaf);
	snprintf(paths[n++], PATH_MAX, "/tmp/%s", leaf);
	cr_assert_eq(n, WT_NESCAPES);
}

#define wt_assert_refused(r, path) \
	cr_assert((r) == -ELOOP || (r) == -EXDEV, "%s: got %d", (path), (r))

/* ---- create through open ---- */

Test(gofer_write, create_with_mode_returns_statx)
{
	struct statx stx;
	struct stat st;
	int fd;

	gt_start_server(false);
	fd = gofer_open(&gt_client, "new.txt", O_WRONLY | O_CREAT | O_EXCL, 0640, &stx);
	cr_assert(fd >= 0, "open: %d", fd);
	cr_assert(S_ISREG(stx.stx_mode));
	cr_assert_eq(stx.stx_mode & 07777, 0640);
	cr_assert_eq(stx.stx_size, 0);
	wt_check_statx("new.txt", &stx);
	st = wt_lstat("new.txt");
	cr_assert_eq(st.st_mode, S_IFREG | 0640);
	cr_assert_eq(st.st_uid, geteuid());
	cr_assert_eq(st.st_gid, getegid());
	cr_assert_eq(write(fd, "data", 4), 4);
	close(fd);
	wt_check_contents("new.txt", "data");

	/* The mode arrives whole: no umask of the gofer's own, setuid kept. */
	fd = gofer_open(&gt_client, "dir/suid", O_RDWR | O_CREAT, 04711, &stx);
	cr_assert(fd >= 0, "open: %d", fd);
	close(fd);
	cr_assert_eq(wt_lstat("dir/suid").st_mode, S_IFREG | 04711);
	cr_assert_eq(stx.stx_mode, S_IFREG | 04711);
	fd = gofer_open(&gt_client, "zero", O_WRONLY | O_CREAT | O_EXCL, 0, NULL);
	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(wt_lstat("zero").st_mode, S_IFREG);

	/* O_CREAT without O_EXCL opens what is there, mode and data kept. */
	fd = gofer_open(&gt_client, "new.txt", O_RDONLY | O_CREAT, 0777, &stx);
	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(stx.stx_mode & 07777, 0640);
	wt_check_contents("new.txt", "data");
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, create_errors)
{
	gt_start_server(false);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_WRONLY | O_CREAT | O_EXCL, 0644, NULL), -EEXIST);
	cr_assert_eq(gofer_open(&gt_client, "dir", O_RDONLY | O_CREAT | O_EXCL, 0644, NULL), -EEXIST);
	/* O_EXCL: any existing name, a symlink too, dangling or not. */
	cr_assert_eq(gofer_open(&gt_client, "link_in", O_WRONLY | O_CREAT | O_EXCL, 0644, NULL), -EEXIST);
	cr_assert_eq(gofer_open(&gt_client, "dangling", O_WRONLY | O_CREAT | O_EXCL, 0644, NULL), -EEXIST);
	/* Without it, a final symlink is never followed to create its target. */
	cr_assert_eq(gofer_open(&gt_client, "dangling", O_WRONLY | O_CREAT, 0644, NULL), -ELOOP);
	cr_assert(!wt_exists("nowhere"));
	cr_assert_eq(gofer_open(&gt_client, "link_in", O_WRONLY | O_CREAT, 0644, NULL), -ELOOP);
	cr_assert_eq(gofer_open(&gt_client, "esc_file", O_WRONLY | O_CREAT, 0644, NULL), -ELOOP);
	cr_assert_eq(gofer_open(&gt_client, "esc_file", O_WRONLY | O_TRUNC, 0, NULL), -ELOOP);

	cr_assert_eq(gofer_open(&gt_client, "nope/x", O_WRONLY | O_CREAT, 0644, NULL), -ENOENT);
	cr_assert_eq(gofer_open(&gt_client, "file.txt/x", O_WRONLY | O_CREAT, 0644, NULL), -ENOTDIR);
	cr_assert_eq(gofer_open(&gt_client, "dir/.", O_WRONLY | O_CREAT, 0644, NULL), -EISDIR);
	cr_assert_eq(gofer_open(&gt_client, "", O_WRONLY | O_CREAT, 0644, NULL), -EISDIR);
	cr_assert_eq(gofer_open(&gt_client, "newdir/", O_WRONLY | O_CREAT, 0644, NULL), -EISDIR);
	cr_assert_eq(gofer_open(&gt_client, "dir", O_RDWR, 0, NULL), -EISDIR);
	cr_assert_eq(gofer_open(&gt_client, "dir", O_WRONLY | O_TRUNC, 0, NULL), -EISDIR);
	cr_assert(!wt_exists("newdir"));

	char esc[WT_NESCAPES][PATH_MAX];
	wt_escapes(esc, wt_leaf);
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_open(&gt_client, esc[i], O_WRONLY | O_CREAT, 0644, NULL);
		wt_assert_refused(r, esc[i]);
	}
	wt_escapes(esc, "victim");
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_open(&gt_client, esc[i], O_WRONLY | O_TRUNC, 0, NULL);
		wt_assert_refused(r, esc[i]);
	}
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, open_trunc_and_append)
{
	struct statx stx;
	int fd;

	gt_start_server(false);
	fd = gofer_open(&gt_client, "file.txt", O_WRONLY | O_TRUNC, 0, &stx);
	cr_assert(fd >= 0);
	cr_assert_eq(stx.stx_size, 0);
	cr_assert_eq(wt_lstat("file.txt").st_size, 0);
	cr_assert_eq(write(fd, "abc", 3), 3);
	close(fd);

	fd = gofer_open(&gt_client, "file.txt", O_WRONLY | O_APPEND, 0, &stx);
	cr_assert(fd >= 0);
	cr_assert_eq(stx.stx_size, 3);
	cr_assert(fcntl(fd, F_GETFL) & O_APPEND);
	cr_assert_eq(pwrite(fd, "yz", 2, 0), 2);	/* O_APPEND: at the end anyway */
	close(fd);
	wt_check_contents("file.txt", "abcyz");

	fd = gofer_open(&gt_client, "file.txt", O_RDWR, 0, NULL);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, "A", 1, 0), 1);
	close(fd);
	wt_check_contents("file.txt", "Abcyz");
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- mkdir ---- */

Test(gofer_write, mkdir_creates_with_mode)
{
	struct statx stx;

	gt_start_server(false);
	cr_assert_eq(gofer_mkdir(&gt_client, "newdir", 0750, &stx), 0);
	cr_assert(S_ISDIR(stx.stx_mode));
	cr_assert_eq(stx.stx_mode & 07777, 0750);
	wt_check_statx("newdir", &stx);
	cr_assert_eq(wt_lstat("newdir").st_uid, geteuid());

	/* The sticky bit stays; the directory is empty and usable. */
	cr_assert_eq(gofer_mkdir(&gt_client, "dir/sticky", 01777, &stx), 0);
	cr_assert_eq(wt_lstat("dir/sticky").st_mode, S_IFDIR | 01777);
	cr_assert_eq(gofer_mkdir(&gt_client, "dir/sticky/deeper", 0700, NULL), 0);
	cr_assert_eq(wt_lstat("dir/sticky/deeper").st_mode, S_IFDIR | 0700);
	/* A trailing slash is how a directory is named anyway. */
	cr_assert_eq(gofer_mkdir(&gt_client, "slash//", 0755, &stx), 0);
	wt_check_statx("slash", &stx);
	cr_assert_eq(gofer_mkdir(&gt_client, "./dot", 0755, NULL), 0);
	cr_assert(S_ISDIR(wt_lstat("dot").st_mode));
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, mkdir_errors)
{
	char longname[NAME_MAX + 2];

	gt_start_server(false);
	cr_assert_eq(gofer_mkdir(&gt_client, "dir", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, "file.txt", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, "link_in", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, "dangling", 0755, NULL), -EEXIST);
	cr_assert(!wt_exists("nowhere"));
	cr_assert_eq(gofer_mkdir(&gt_client, "dangling/", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, "nope/x", 0755, NULL), -ENOENT);
	cr_assert_eq(gofer_mkdir(&gt_client, "file.txt/x", 0755, NULL), -ENOTDIR);
	/* ".", ".." and the root exist, once their parent is found. */
	cr_assert_eq(gofer_mkdir(&gt_client, "dir/.", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, "dir/..", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, "", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, ".", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, "..", 0755, NULL), -EEXIST);
	cr_assert_eq(gofer_mkdir(&gt_client, "nope/.", 0755, NULL), -ENOENT);
	cr_assert_eq(gofer_mkdir(&gt_client, "file.txt/.", 0755, NULL), -ENOTDIR);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_eq(gofer_mkdir(&gt_client, longname, 0755, NULL), -ENAMETOOLONG);

	char esc[WT_NESCAPES][PATH_MAX];
	wt_escapes(esc, wt_leaf);
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_mkdir(&gt_client, esc[i], 0777, NULL);
		wt_assert_refused(r, esc[i]);
	}
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- symlink ---- */

Test(gofer_write, symlink_stores_target)
{
	static const char *const targets[] = {
		"file.txt", "/etc/shadow", "../../../../x", "dir/", "a b\tc",
	};
	struct statx stx;
	char name[32], buf[64];

	gt_start_server(false);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		snprintf(name, sizeof(name), "dir/s%zu", i);
		cr_assert_eq(gofer_symlink(&gt_client, targets[i], name, &stx), 0, "%s", targets[i]);
		cr_assert(S_ISLNK(stx.stx_mode));
		cr_assert_eq(stx.stx_size, strlen(targets[i]));
		wt_check_statx(name, &stx);
		wt_check_readlink(name, targets[i]);
		cr_assert_eq(gofer_readlink(&gt_client, name, buf, sizeof(buf)), (int)strlen(targets[i]));
	}
	/* Nothing was followed: the relative and absolute targets are absent. */
	cr_assert(!wt_exists("x"));
	cr_assert_eq(gofer_symlink(&gt_client, "t", "top", NULL), 0);
	wt_check_readlink("top", "t");
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, symlink_errors)
{
	gt_start_server(false);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "file.txt", NULL), -EEXIST);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "dir", NULL), -EEXIST);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "dangling", NULL), -EEXIST);
	cr_assert_eq(gofer_symlink(&gt_client, "", "new", NULL), -ENOENT);
	cr_assert(!wt_exists("new"));
	cr_assert_eq(gofer_symlink(&gt_client, "t", "nope/s", NULL), -ENOENT);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "file.txt/s", NULL), -ENOTDIR);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "dir/.", NULL), -EEXIST);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "dir/..", NULL), -EEXIST);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "", NULL), -EEXIST);
	/* A trailing slash asks for a directory, which symlink never makes. */
	cr_assert_eq(gofer_symlink(&gt_client, "t", "new/", NULL), -ENOENT);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "file.txt/", NULL), -EEXIST);
	cr_assert(!wt_exists("new"));

	char esc[WT_NESCAPES][PATH_MAX];
	wt_escapes(esc, wt_leaf);
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_symlink(&gt_client, "/etc/passwd", esc[i], NULL);
		wt_assert_refused(r, esc[i]);
	}
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- link ---- */

Test(gofer_write, link_makes_a_second_name)
{
	struct statx stx;
	struct stat st;

	gt_start_server(false);
	st = wt_lstat("file.txt");
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "hard", &stx), 0);
	cr_assert_eq(stx.stx_ino, st.st_ino);
	cr_assert_eq(stx.stx_nlink, 2);
	wt_check_statx("hard", &stx);
	wt_check_statx("file.txt", &stx);
	wt_check_contents("hard", "hello gofer\n");
	cr_assert_eq(gofer_link(&gt_client, "hard", "dir/hard2", NULL), 0);
	cr_assert_eq(wt_lstat("dir/hard2").st_ino, st.st_ino);
	cr_assert_eq(wt_lstat("file.txt").st_nlink, 3);

	/* A symlink is linked itself, whatever it points at. */
	st = wt_lstat("esc_file");
	cr_assert_eq(gofer_link(&gt_client, "esc_file", "esc_file2", &stx), 0);
	cr_assert(S_ISLNK(stx.stx_mode));
	cr_assert_eq(stx.stx_ino, st.st_ino);
	cr_assert_eq(wt_lstat("esc_file2").st_ino, st.st_ino);
	cr_assert_eq(gofer_link(&gt_client, "dangling", "dangling2", NULL), 0);
	cr_assert(S_ISLNK(wt_lstat("dangling2").st_mode));
	cr_assert(!wt_exists("nowhere"));
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, link_errors)
{
	gt_start_server(false);
	cr_assert_eq(gofer_link(&gt_client, "dir", "dir2", NULL), -EPERM);
	cr_assert_eq(gofer_link(&gt_client, "nope", "new", NULL), -ENOENT);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "link_in", NULL), -EEXIST);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "dir", NULL), -EEXIST);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "nope/x", NULL), -ENOENT);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "file.txt/x", NULL), -ENOTDIR);
	cr_assert_eq(gofer_link(&gt_client, "nope/x", "new", NULL), -ENOENT);
	/* ".", ".." and the root are directories; as new names, they exist. */
	cr_assert_eq(gofer_link(&gt_client, "dir/.", "new", NULL), -EPERM);
	cr_assert_eq(gofer_link(&gt_client, "dir/..", "new", NULL), -EPERM);
	cr_assert_eq(gofer_link(&gt_client, "", "new", NULL), -EPERM);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "dir/.", NULL), -EEXIST);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "", NULL), -EEXIST);
	/* Trailing slashes: the old name must be a directory, the new one
	 * cannot be made. */
	cr_assert_eq(gofer_link(&gt_client, "file.txt/", "new", NULL), -ENOTDIR);
	cr_assert_eq(gofer_link(&gt_client, "dir/", "new", NULL), -EPERM);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "new/", NULL), -ENOENT);
	cr_assert(!wt_exists("new"));
	cr_assert_eq(wt_lstat("file.txt").st_nlink, 1);

	char esc[WT_NESCAPES][PATH_MAX];
	/* The old path outside: its file gets no name inside. */
	wt_escapes(esc, "victim");
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_link(&gt_client, esc[i], "stolen", NULL);
		wt_assert_refused(r, esc[i]);
	}
	cr_assert(!wt_exists("stolen"));
	/* The new path outside: a file of the root gets no name there. */
	wt_escapes(esc, wt_leaf);
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_link(&gt_client, "file.txt", esc[i], NULL);
		wt_assert_refused(r, esc[i]);
	}
	cr_assert_eq(wt_lstat("file.txt").st_nlink, 1);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- unlink and rmdir ---- */

Test(gofer_write, unlink_and_rmdir)
{
	gt_start_server(false);
	cr_assert_eq(gofer_unlink(&gt_client, "dir/inner.txt", 0), 0);
	cr_assert(!wt_exists("dir/inner.txt"));
	/* A symlink goes, not what it points at. */
	cr_assert_eq(gofer_unlink(&gt_client, "link_in", 0), 0);
	cr_assert(!wt_exists("link_in"));
	wt_check_contents("file.txt", "hello gofer\n");
	cr_assert_eq(gofer_unlink(&gt_client, "esc_abs", 0), 0);
	cr_assert(!wt_exists("esc_abs"));
	cr_assert_eq(gofer_unlink(&gt_client, "link_dir", 0), 0);
	cr_assert(S_ISDIR(wt_lstat("dir").st_mode));
	cr_assert_eq(gofer_unlink(&gt_client, "fifo", 0), 0);
	cr_assert(!wt_exists("fifo"));

	cr_assert_eq(gofer_unlink(&gt_client, "empty", AT_REMOVEDIR), 0);
	cr_assert(!wt_exists("empty"));
	cr_assert_eq(gofer_unlink(&gt_client, "dir/", AT_REMOVEDIR), 0);
	cr_assert(!wt_exists("dir"));
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, unlink_errors)
{
	gt_start_server(false);
	cr_assert_eq(gofer_unlink(&gt_client, "dir", 0), -EISDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "empty", 0), -EISDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "dir", AT_REMOVEDIR), -ENOTEMPTY);
	cr_assert_eq(gofer_unlink(&gt_client, "file.txt", AT_REMOVEDIR), -ENOTDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "link_dir", AT_REMOVEDIR), -ENOTDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "nope", 0), -ENOENT);
	cr_assert_eq(gofer_unlink(&gt_client, "nope", AT_REMOVEDIR), -ENOENT);
	cr_assert_eq(gofer_unlink(&gt_client, "nope/x", 0), -ENOENT);
	cr_assert_eq(gofer_unlink(&gt_client, "file.txt/x", 0), -ENOTDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "file.txt", 1), -EINVAL);
	cr_assert_eq(gofer_unlink(&gt_client, "file.txt", AT_REMOVEDIR | AT_SYMLINK_NOFOLLOW), -EINVAL);
	/* Linux's answers for ".", ".." and the root. */
	cr_assert_eq(gofer_unlink(&gt_client, "dir/.", 0), -EISDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "dir/..", 0), -EISDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "", 0), -EISDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "empty/.", AT_REMOVEDIR), -EINVAL);
	cr_assert_eq(gofer_unlink(&gt_client, "empty/..", AT_REMOVEDIR), -ENOTEMPTY);
	cr_assert_eq(gofer_unlink(&gt_client, "", AT_REMOVEDIR), -EBUSY);
	cr_assert_eq(gofer_unlink(&gt_client, ".", AT_REMOVEDIR), -EBUSY);
	cr_assert_eq(gofer_unlink(&gt_client, "nope/.", AT_REMOVEDIR), -ENOENT);
	/* A trailing slash names a directory, which unlink refuses. */
	cr_assert_eq(gofer_unlink(&gt_client, "file.txt/", 0), -ENOTDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "link_in/", 0), -ENOTDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "empty/", 0), -EISDIR);
	cr_assert_eq(gofer_unlink(&gt_client, "nope/", 0), -ENOENT);
	cr_assert_eq(gofer_unlink(&gt_client, "file.txt/", AT_REMOVEDIR), -ENOTDIR);
	cr_assert(wt_exists("file.txt") && wt_exists("link_in") && wt_exists("empty"));
	cr_assert(wt_exists("dir/inner.txt"));

	char esc[WT_NESCAPES][PATH_MAX];
	wt_escapes(esc, "victim");
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_unlink(&gt_client, esc[i], 0);
		wt_assert_refused(r, esc[i]);
	}
	/* The outside directory itself, by its name beside the root. */
	char out_rel[PATH_MAX];
	snprintf(out_rel, sizeof(out_rel), "../%s", strrchr(wt_out, '/') + 1);
	wt_assert_refused(gofer_unlink(&gt_client, out_rel, AT_REMOVEDIR), out_rel);
	wt_assert_refused(gofer_unlink(&gt_client, wt_out, AT_REMOVEDIR), wt_out);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- rename ---- */

Test(gofer_write, rename_moves_and_replaces)
{
	struct stat st;

	gt_start_server(false);
	st = wt_lstat("file.txt");
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "moved.txt", 0), 0);
	cr_assert(!wt_exists("file.txt"));
	cr_assert_eq(wt_lstat("moved.txt").st_ino, st.st_ino);
	cr_assert_eq(gofer_rename(&gt_client, "moved.txt", "dir/moved.txt", 0), 0);
	wt_check_contents("dir/moved.txt", "hello gofer\n");

	/* Onto an existing file: replaced. */
	gt_write_file("other", "other\n");
	cr_assert_eq(gofer_rename(&gt_client, "dir/moved.txt", "other", 0), 0);
	wt_check_contents("other", "hello gofer\n");
	cr_assert_eq(wt_lstat("other").st_ino, st.st_ino);
	cr_assert(!wt_exists("dir/moved.txt"));

	/* Directories, with trailing slashes; onto an empty directory. */
	st = wt_lstat("dir");
	cr_assert_eq(gofer_rename(&gt_client, "dir/", "dir2/", 0), 0);
	cr_assert_eq(wt_lstat("dir2").st_ino, st.st_ino);
	cr_assert_eq(gofer_rename(&gt_client, "dir2", "empty", 0), 0);
	cr_assert_eq(wt_lstat("empty").st_ino, st.st_ino);
	wt_check_contents("empty/inner.txt", "inner\n");
	/* A symlink moves itself. */
	cr_assert_eq(gofer_rename(&gt_client, "esc_file", "empty/esc", 0), 0);
	wt_check_readlink("empty/esc", wt_victim_path);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, rename_noreplace_and_exchange)
{
	struct stat a, b;

	gt_start_server(false);
	gt_write_file("a", "A\n");
	gt_write_file("b", "B\n");
	cr_assert_eq(gofer_rename(&gt_client, "a", "b", RENAME_NOREPLACE), -EEXIST);
	cr_assert_eq(gofer_rename(&gt_client, "a", "dangling", RENAME_NOREPLACE), -EEXIST);
	wt_check_contents("a", "A\n");
	wt_check_contents("b", "B\n");
	cr_assert_eq(gofer_rename(&gt_client, "a", "c", RENAME_NOREPLACE), 0);
	cr_assert(!wt_exists("a"));
	wt_check_contents("c", "A\n");

	a = wt_lstat("c");
	b = wt_lstat("b");
	cr_assert_eq(gofer_rename(&gt_client, "c", "b", RENAME_EXCHANGE), 0);
	wt_check_contents("c", "B\n");
	wt_check_contents("b", "A\n");
	cr_assert_eq(wt_lstat("c").st_ino, b.st_ino);
	cr_assert_eq(wt_lstat("b").st_ino, a.st_ino);
	/* A file and a directory trade places; a trailing slash on the
	 * directory is fine. */
	cr_assert_eq(gofer_rename(&gt_client, "b", "empty/", RENAME_EXCHANGE), 0);
	cr_assert(S_ISDIR(wt_lstat("b").st_mode));
	wt_check_contents("empty", "A\n");
	cr_assert_eq(gofer_rename(&gt_client, "c", "nope", RENAME_EXCHANGE), -ENOENT);
	cr_assert_eq(gofer_rename(&gt_client, "nope", "c", RENAME_EXCHANGE), -ENOENT);
	cr_assert_eq(gofer_rename(&gt_client, "c", "empty/", RENAME_EXCHANGE), -ENOTDIR);
	cr_assert_eq(gofer_rename(&gt_client, "c", "b", RENAME_EXCHANGE | RENAME_NOREPLACE), -EINVAL);
	cr_assert_eq(gofer_rename(&gt_client, "c", "b", RENAME_WHITEOUT), -EINVAL);
	cr_assert_eq(gofer_rename(&gt_client, "c", "b", 1u << 8), -EINVAL);
	wt_check_contents("c", "B\n");
	cr_assert(S_ISDIR(wt_lstat("b").st_mode));
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, rename_errors)
{
	gt_start_server(false);
	cr_assert_eq(gofer_rename(&gt_client, "nope", "x", 0), -ENOENT);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "nope/x", 0), -ENOENT);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "file.txt/x", 0), -ENOTDIR);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "empty", 0), -EISDIR);
	cr_assert_eq(gofer_rename(&gt_client, "empty", "file.txt", 0), -ENOTDIR);
	cr_assert_eq(gofer_rename(&gt_client, "empty", "dir", 0), -ENOTEMPTY);
	cr_assert_eq(gofer_rename(&gt_client, "dir", "dir/sub", 0), -EINVAL);
	/* ".", ".." and the root. */
	cr_assert_eq(gofer_rename(&gt_client, "dir/.", "x", 0), -EBUSY);
	cr_assert_eq(gofer_rename(&gt_client, "dir/..", "x", 0), -EBUSY);
	cr_assert_eq(gofer_rename(&gt_client, "", "x", 0), -EBUSY);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "dir/.", 0), -EBUSY);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "", 0), -EBUSY);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "dir/..", RENAME_NOREPLACE), -EEXIST);
	cr_assert_eq(gofer_rename(&gt_client, "nope/.", "x", 0), -ENOENT);
	/* Trailing slashes on a source that is not a directory. */
	cr_assert_eq(gofer_rename(&gt_client, "file.txt/", "x", 0), -ENOTDIR);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "x/", 0), -ENOTDIR);
	cr_assert_eq(gofer_rename(&gt_client, "link_dir/", "x", 0), -ENOTDIR);
	cr_assert_eq(gofer_rename(&gt_client, "nope/", "x", 0), -ENOENT);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "dir/", RENAME_NOREPLACE), -EEXIST);
	cr_assert(!wt_exists("x"));
	wt_check_contents("file.txt", "hello gofer\n");
	cr_assert(S_ISLNK(wt_lstat("link_dir").st_mode));

	char esc[WT_NESCAPES][PATH_MAX];
	wt_escapes(esc, "victim");
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_rename(&gt_client, esc[i], "stolen", 0);
		wt_assert_refused(r, esc[i]);
		r = gofer_rename(&gt_client, "file.txt", esc[i], 0);
		wt_assert_refused(r, esc[i]);
		r = gofer_rename(&gt_client, "file.txt", esc[i], RENAME_EXCHANGE);
		wt_assert_refused(r, esc[i]);
	}
	wt_escapes(esc, wt_leaf);
	for (int i = 0; i < WT_NESCAPES; i++) {
		int r = gofer_rename(&gt_client, "dir", esc[i], 0);
		wt_assert_refused(r, esc[i]);
	}
	cr_assert(!wt_exists("stolen"));
	wt_check_contents("file.txt", "hello gofer\n");
	wt_check_contents("dir/inner.txt", "inner\n");
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- setattr ---- */

static struct gofer_setattr wt_attr(unsigned int mask)
{
	return (struct gofer_setattr){ .mask = mask, .uid = (uid_t)-1, .gid = (gid_t)-1 };
}

Test(gofer_write, setattr_mode)
{
	struct gofer_setattr a = wt_attr(GOFER_SETATTR_MODE);
	struct statx stx;

	gt_start_server(false);
	a.mode = 0600;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	cr_assert_eq(wt_lstat("file.txt").st_mode, S_IFREG | 0600);
	wt_check_statx("file.txt", &stx);
	a.mode = 04755;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	cr_assert_eq(wt_lstat("file.txt").st_mode, S_IFREG | 04755);
	/* Only the permission bits count; the type stays. */
	a.mode = S_IFDIR | 0640;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	cr_assert_eq(stx.stx_mode, S_IFREG | 0640);
	a.mode = 01700;
	cr_assert_eq(gofer_setattr(&gt_client, "dir", &a, NULL), 0);
	cr_assert_eq(wt_lstat("dir").st_mode, S_IFDIR | 01700);
	a.mode = 0600;
	cr_assert_eq(gofer_setattr(&gt_client, "fifo", &a, NULL), 0);
	cr_assert_eq(wt_lstat("fifo").st_mode, S_IFIFO | 0600);
	a.mode = 0711;
	cr_assert_eq(gofer_setattr(&gt_client, "", &a, NULL), 0);
	cr_assert_eq(wt_lstat(".").st_mode, S_IFDIR | 0711);

	/* No lchmod in Linux: a symlink's mode is not changed, and neither
	 * is its target's. */
	a.mode = 0600;
	cr_assert_eq(gofer_setattr(&gt_client, "link_in", &a, NULL), -EOPNOTSUPP);
	cr_assert_eq(wt_lstat("file.txt").st_mode, S_IFREG | 0640);
	cr_assert_eq(gofer_setattr(&gt_client, "esc_file", &a, NULL), -EOPNOTSUPP);
	cr_assert_eq(gofer_setattr(&gt_client, "nope", &a, NULL), -ENOENT);
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt/x", &a, NULL), -ENOTDIR);
	cr_assert_eq(gofer_setattr(&gt_client, "link_dir/inner.txt", &a, NULL), -ELOOP);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, setattr_owner)
{
	struct gofer_setattr a = wt_attr(GOFER_SETATTR_UID | GOFER_SETATTR_GID);
	struct statx stx;
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("chown to another owner needs root");
	gt_start_server(false);
	a.uid = 1234;
	a.gid = 5678;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(st.st_gid, 5678);
	wt_check_statx("file.txt", &stx);

	/* One of the two, or -1: the other stays. */
	a = wt_attr(GOFER_SETATTR_UID);
	a.uid = 42;
	a.gid = 1;		/* ignored: not in the mask */
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), 0);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_uid, 42);
	cr_assert_eq(st.st_gid, 5678);
	a = wt_attr(GOFER_SETATTR_UID | GOFER_SETATTR_GID);
	a.gid = 77;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), 0);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_uid, 42);
	cr_assert_eq(st.st_gid, 77);

	/* lchown: a symlink's own owner changes, not its target's. */
	a.uid = 99;
	a.gid = 98;
	cr_assert_eq(gofer_setattr(&gt_client, "link_in", &a, &stx), 0);
	cr_assert(S_ISLNK(stx.stx_mode));
	cr_assert_eq(wt_lstat("link_in").st_uid, 99);
	cr_assert_eq(wt_lstat("link_in").st_gid, 98);
	cr_assert_eq(wt_lstat("file.txt").st_uid, 42);
	cr_assert_eq(gofer_setattr(&gt_client, "esc_file", &a, NULL), 0);
	cr_assert_eq(wt_lstat("esc_file").st_uid, 99);
	cr_assert_eq(gofer_setattr(&gt_client, "dir", &a, NULL), 0);
	cr_assert_eq(wt_lstat("dir").st_uid, 99);

	/* With a mode, the owner goes first, so the set-id bits sent stay. */
	a = wt_attr(GOFER_SETATTR_UID | GOFER_SETATTR_MODE);
	a.uid = 7;
	a.mode = 06755;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_uid, 7);
	cr_assert_eq(st.st_mode, S_IFREG | 06755);
	wt_check_statx("file.txt", &stx);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, setattr_size)
{
	struct gofer_setattr a = wt_attr(GOFER_SETATTR_SIZE);
	struct statx stx;
	char buf[128];

	gt_start_server(false);
	a.size = 5;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	cr_assert_eq(stx.stx_size, 5);
	wt_check_contents("file.txt", "hello");
	a.size = 100;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	cr_assert_eq(stx.stx_size, 100);
	wt_check_statx("file.txt", &stx);
	int fd = openat(gt_root_fd, "file.txt", O_RDONLY | O_CLOEXEC);
	cr_assert_eq(read(fd, buf, sizeof(buf)), 100);
	close(fd);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	for (int i = 5; i < 100; i++)
		cr_assert_eq(buf[i], 0);

	/* Size and mode together, on a file nobody may write (root may). */
	a = wt_attr(GOFER_SETATTR_SIZE | GOFER_SETATTR_MODE);
	a.size = 0;
	a.mode = 0444;
	cr_assert_eq(gofer_setattr(&gt_client, "dir/inner.txt", &a, &stx), 0);
	cr_assert_eq(wt_lstat("dir/inner.txt").st_size, 0);
	cr_assert_eq(wt_lstat("dir/inner.txt").st_mode, S_IFREG | 0444);

	a = wt_attr(GOFER_SETATTR_SIZE);
	cr_assert_eq(gofer_setattr(&gt_client, "dir", &a, NULL), -EISDIR);
	cr_assert_eq(gofer_setattr(&gt_client, "fifo", &a, NULL), -EINVAL);
	cr_assert_eq(gofer_setattr(&gt_client, "link_in", &a, NULL), -EINVAL);
	cr_assert_eq(gofer_setattr(&gt_client, "esc_file", &a, NULL), -EINVAL);
	cr_assert_eq(gofer_setattr(&gt_client, "nope", &a, NULL), -ENOENT);
	a.size = -1;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), -EINVAL);
	cr_assert_eq(wt_lstat("file.txt").st_size, 100);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

static bool wt_ts_eq(struct timespec t, struct statx_timestamp s)
{
	return t.tv_sec == s.tv_sec && (uint32_t)t.tv_nsec == s.tv_nsec;
}

Test(gofer_write, setattr_times)
{
	struct gofer_setattr a = wt_attr(GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME);
	struct timespec before, after;
	struct statx stx;
	struct stat st, target;

	gt_start_server(false);
	a.atime = (struct timespec){ 1000, 123 };
	a.mtime = (struct timespec){ 2000, 456 };
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_atim.tv_sec, 1000);
	cr_assert_eq(st.st_atim.tv_nsec, 123);
	cr_assert_eq(st.st_mtim.tv_sec, 2000);
	cr_assert_eq(st.st_mtim.tv_nsec, 456);
	cr_assert(wt_ts_eq(st.st_atim, stx.stx_atime));
	cr_assert(wt_ts_eq(st.st_mtim, stx.stx_mtime));

	/* What is not in the mask, or is UTIME_OMIT, stays. */
	a = wt_attr(GOFER_SETATTR_MTIME);
	a.atime = (struct timespec){ 1, 1 };
	a.mtime = (struct timespec){ 3000, 0 };
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), 0);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_atim.tv_sec, 1000);
	cr_assert_eq(st.st_mtim.tv_sec, 3000);
	a = wt_attr(GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME);
	a.atime = (struct timespec){ 4000, 0 };
	a.mtime = (struct timespec){ 0, UTIME_OMIT };
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), 0);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_atim.tv_sec, 4000);
	cr_assert_eq(st.st_mtim.tv_sec, 3000);

	/* UTIME_NOW: the host's clock (coarse, hence the slack). */
	a.atime = (struct timespec){ 0, UTIME_OMIT };
	a.mtime = (struct timespec){ 0, UTIME_NOW };
	clock_gettime(CLOCK_REALTIME, &before);
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &after);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_atim.tv_sec, 4000);
	cr_assert_geq(st.st_mtim.tv_sec, before.tv_sec - 1);
	cr_assert_leq(st.st_mtim.tv_sec, after.tv_sec + 1);

	/* A symlink's own times (utimensat with AT_SYMLINK_NOFOLLOW). */
	target = wt_lstat("file.txt");
	a.atime = (struct timespec){ 5000, 0 };
	a.mtime = (struct timespec){ 6000, 0 };
	cr_assert_eq(gofer_setattr(&gt_client, "link_in", &a, NULL), 0);
	cr_assert_eq(wt_lstat("link_in").st_mtim.tv_sec, 6000);
	cr_assert_eq(wt_lstat("file.txt").st_mtim.tv_sec, target.st_mtim.tv_sec);
	cr_assert_eq(gofer_setattr(&gt_client, "esc_file", &a, NULL), 0);
	cr_assert_eq(wt_lstat("esc_file").st_mtim.tv_sec, 6000);
	cr_assert_eq(gofer_setattr(&gt_client, "dir", &a, NULL), 0);
	cr_assert_eq(wt_lstat("dir").st_mtim.tv_sec, 6000);

	/* A truncate goes first, so it does not overwrite the mtime sent. */
	a = wt_attr(GOFER_SETATTR_SIZE | GOFER_SETATTR_MTIME);
	a.size = 1;
	a.mtime = (struct timespec){ 7000, 0 };
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), 0);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_size, 1);
	cr_assert_eq(st.st_mtim.tv_sec, 7000);

	/* Bad nanoseconds are -EINVAL, and nothing else in the request is
	 * done either. */
	a = wt_attr(GOFER_SETATTR_MODE | GOFER_SETATTR_MTIME);
	a.mode = 0600;
	a.mtime = (struct timespec){ 8000, 1000000000 };
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), -EINVAL);
	a.mtime = (struct timespec){ 8000, -5 };
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), -EINVAL);
	st = wt_lstat("file.txt");
	cr_assert_eq(st.st_mtim.tv_sec, 7000);
	cr_assert_eq(st.st_mode, S_IFREG | 0644);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, setattr_mask)
{
	struct gofer_setattr a = wt_attr(0);
	struct statx stx;

	gt_start_server(false);
	/* Nothing asked: nothing changes, and the statx comes back. */
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	wt_check_statx("file.txt", &stx);
	a.mask = GOFER_SETATTR_MODE | (1u << 20);
	a.mode = 0600;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), -EINVAL);
	cr_assert_eq(wt_lstat("file.txt").st_mode, S_IFREG | 0644);
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", NULL, NULL), -EINVAL);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, setattr_escapes)
{
	struct gofer_setattr all = wt_attr(GOFER_SETATTR_ALL);
	char esc[WT_NESCAPES][PATH_MAX];

	gt_start_server(false);
	all.mode = 0777;
	all.uid = 4321;
	all.gid = 4321;
	all.size = 0;
	all.atime = (struct timespec){ 1, 0 };
	all.mtime = (struct timespec){ 1, 0 };
	wt_escapes(esc, "victim");
	for (int i = 0; i < WT_NESCAPES; i++) {
		for (unsigned int bit = 1; bit <= GOFER_SETATTR_MTIME; bit <<= 1) {
			struct gofer_setattr a = all;
			a.mask = bit;
			int r = gofer_setattr(&gt_client, esc[i], &a, NULL);
			wt_assert_refused(r, esc[i]);
		}
	}
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

/* Before Linux 6.6 there is no fchmodat2; a seccomp filter makes it look
 * so (the server thread, started after, inherits the filter). */
static void wt_hide_fchmodat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 452 /* fchmodat2 */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
}

Test(gofer_write, setattr_mode_without_fchmodat2)
{
	struct gofer_setattr a = wt_attr(GOFER_SETATTR_MODE);
	struct statx stx;

	wt_hide_fchmodat2();
	gt_start_server(false);
	a.mode = 0604;
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	cr_assert_eq(wt_lstat("file.txt").st_mode, S_IFREG | 0604);
	cr_assert_eq(stx.stx_mode, S_IFREG | 0604);
	a.mode = 0711;
	cr_assert_eq(gofer_setattr(&gt_client, "dir", &a, NULL), 0);
	cr_assert_eq(wt_lstat("dir").st_mode, S_IFDIR | 0711);
	a.mode = 0606;
	cr_assert_eq(gofer_setattr(&gt_client, "fifo", &a, NULL), 0);
	cr_assert_eq(wt_lstat("fifo").st_mode, S_IFIFO | 0606);
	a.mode = 0600;
	cr_assert_eq(gofer_setattr(&gt_client, "link_in", &a, NULL), -EOPNOTSUPP);
	cr_assert_eq(gofer_setattr(&gt_client, "esc_file", &a, NULL), -EOPNOTSUPP);
	/* With a truncate, the fd opened for it is fchmod'ed. */
	a.mask |= GOFER_SETATTR_SIZE;
	a.size = 2;
	cr_assert_eq(gofer_setattr(&gt_client, "dir/inner.txt", &a, NULL), 0);
	cr_assert_eq(wt_lstat("dir/inner.txt").st_mode, S_IFREG | 0600);
	cr_assert_eq(wt_lstat("dir/inner.txt").st_size, 2);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- read-only ---- */

Test(gofer_write, readonly_refuses_every_write)
{
	struct gofer_setattr a;
	struct stat before = wt_lstat("file.txt"), dir_before = wt_lstat("dir"), after;
	struct statx stx;

	gt_start_server(true);
	cr_assert_eq(gofer_mkdir(&gt_client, "new", 0755, NULL), -EROFS);
	cr_assert_eq(gofer_symlink(&gt_client, "t", "new", NULL), -EROFS);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", "new", NULL), -EROFS);
	cr_assert_eq(gofer_unlink(&gt_client, "file.txt", 0), -EROFS);
	cr_assert_eq(gofer_unlink(&gt_client, "empty", AT_REMOVEDIR), -EROFS);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "new", 0), -EROFS);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "new", RENAME_NOREPLACE), -EROFS);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", "dir", RENAME_EXCHANGE), -EROFS);
	cr_assert_eq(gofer_open(&gt_client, "new", O_WRONLY | O_CREAT | O_EXCL, 0644, NULL), -EROFS);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_RDONLY | O_TRUNC, 0, NULL), -EROFS);
	for (unsigned int bit = 1; bit <= GOFER_SETATTR_MTIME; bit <<= 1) {
		a = wt_attr(bit);
		a.mode = 0600;
		a.uid = 1;
		a.gid = 1;
		a.atime = (struct timespec){ 1, 0 };
		a.mtime = (struct timespec){ 1, 0 };
		cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, NULL), -EROFS, "mask %#x", bit);
	}
	/* Asking to change nothing is a stat, which a read-only root allows. */
	a = wt_attr(0);
	cr_assert_eq(gofer_setattr(&gt_client, "file.txt", &a, &stx), 0);
	wt_check_statx("file.txt", &stx);
	cr_assert_eq(gt_stop_server(), 0);

	cr_assert(!wt_exists("new"));
	cr_assert(wt_exists("empty"));
	after = wt_lstat("file.txt");
	cr_assert_eq(after.st_mode, before.st_mode);
	cr_assert_eq(after.st_uid, before.st_uid);
	cr_assert_eq(after.st_size, before.st_size);
	cr_assert_eq(after.st_nlink, 1);
	cr_assert_eq(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
	cr_assert_eq(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	cr_assert_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	after = wt_lstat("dir");
	cr_assert_eq(after.st_ino, dir_before.st_ino);
	cr_assert_eq(after.st_ctim.tv_nsec, dir_before.st_ctim.tv_nsec);
	wt_check_contents("file.txt", "hello gofer\n");
}

/* ---- the client's own checks ---- */

Test(gofer_write, client_checks_arguments)
{
	static char longpath[PATH_MAX + 8];
	struct gofer_setattr a = wt_attr(0);
	struct statx stx;

	gt_start_server(false);
	memset(longpath, 'a', sizeof(longpath) - 1);
	cr_assert_eq(gofer_mkdir(&gt_client, NULL, 0755, NULL), -EINVAL);
	cr_assert_eq(gofer_symlink(&gt_client, NULL, "new", NULL), -EINVAL);
	cr_assert_eq(gofer_symlink(&gt_client, "t", NULL, NULL), -EINVAL);
	cr_assert_eq(gofer_link(&gt_client, NULL, "new", NULL), -EINVAL);
	cr_assert_eq(gofer_link(&gt_client, "file.txt", NULL, NULL), -EINVAL);
	cr_assert_eq(gofer_unlink(&gt_client, NULL, 0), -EINVAL);
	cr_assert_eq(gofer_rename(&gt_client, NULL, "new", 0), -EINVAL);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", NULL, 0), -EINVAL);
	cr_assert_eq(gofer_setattr(&gt_client, NULL, &a, NULL), -EINVAL);
	cr_assert_eq(gofer_mkdir(&gt_client, longpath, 0755, NULL), -ENAMETOOLONG);
	cr_assert_eq(gofer_symlink(&gt_client, longpath, "new", NULL), -ENAMETOOLONG);
	cr_assert_eq(gofer_symlink(&gt_client, "t", longpath, NULL), -ENAMETOOLONG);
	cr_assert_eq(gofer_link(&gt_client, longpath, "new", NULL), -ENAMETOOLONG);
	cr_assert_eq(gofer_rename(&gt_client, "file.txt", longpath, 0), -ENAMETOOLONG);
	cr_assert_eq(gofer_unlink(&gt_client, longpath, 0), -ENAMETOOLONG);
	cr_assert_eq(gofer_setattr(&gt_client, longpath, &a, NULL), -ENAMETOOLONG);

	/* The longest paths both go over the wire in one request: the host
	 * refuses them, and the connection is still fine. */
	longpath[GOFER_PATH_MAX] = '\0';
	int r = gofer_rename(&gt_client, longpath, longpath, 0);
	cr_assert_eq(r, -ENAMETOOLONG, "got %d", r);
	r = gofer_symlink(&gt_client, longpath, longpath, NULL);
	cr_assert_eq(r, -ENAMETOOLONG, "got %d", r);
	cr_assert(!wt_exists("new"));
	cr_assert_eq(gofer_stat(&gt_client, "file.txt", &stx), 0);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_write, no_fd_leak)
{
	struct gofer_setattr a = wt_attr(GOFER_SETATTR_MODE | GOFER_SETATTR_SIZE |
					 GOFER_SETATTR_MTIME);
	struct statx stx;

	gt_start_server(false);
	/* Warm up lazily opened descriptors, as test_gofer.c does. */
	cr_assert_eq(gofer_mkdir(&gt_client, "warm", 0755, NULL), 0);
	cr_assert_eq(gofer_stat(&gt_client, "dir", &stx), 0);
	int before = gt_count_fds();
	a.mode = 0600;
	a.mtime = (struct timespec){ 0, UTIME_NOW };
	for (int i = 0; i < 30; i++) {
		a.size = i;
		cr_assert_eq(gofer_mkdir(&gt_client, "d", 0755, NULL), 0);
		cr_assert_eq(gofer_mkdir(&gt_client, "d", 0755, NULL), -EEXIST);
		cr_assert_eq(gofer_symlink(&gt_client, "t", "d/s", NULL), 0);
		cr_assert_eq(gofer_link(&gt_client, "file.txt", "d/h", NULL), 0);
		cr_assert_eq(gofer_rename(&gt_client, "d/h", "d/h2", 0), 0);
		cr_assert_eq(gofer_rename(&gt_client, "d/h2", "d/s", RENAME_EXCHANGE), 0);
		cr_assert_eq(gofer_setattr(&gt_client, "d/s", &a, NULL), 0);
		cr_assert_eq(gofer_setattr(&gt_client, "d/h2", &a, NULL), -EOPNOTSUPP);
		cr_assert_eq(gofer_unlink(&gt_client, "d", AT_REMOVEDIR), -ENOTEMPTY);
		cr_assert_eq(gofer_unlink(&gt_client, "d/s", 0), 0);
		cr_assert_eq(gofer_unlink(&gt_client, "d/h2", 0), 0);
		cr_assert_eq(gofer_unlink(&gt_client, "d", AT_REMOVEDIR), 0);
		cr_assert_eq(gofer_mkdir(&gt_client, "esc_abs/x", 0755, NULL), -ELOOP);
		cr_assert_eq(gofer_rename(&gt_client, "nope", "x", 0), -ENOENT);
	}
	cr_assert_eq(gt_count_fds(), before);
	wt_check_outside();
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- malformed requests: the server stops with -EPROTO ---- */

/* Sends a request of op whose payload is fixed (fixed_len bytes) and then
 * tail, and expects the server to stop with -EPROTO. */
static void wt_expect_malformed(uint32_t op, const void *fixed, size_t fixed_len,
				const char *tail, size_t tail_len)
{
	int sock = gt_start_server_raw(false);
	struct gofer_hdr hdr = { .op = op, .len = (uint32_t)(fixed_len + tail_len) };

	gt_send_raw(sock, &hdr, sizeof(hdr));
	if (fixed_len)
		gt_send_raw(sock, fixed, fixed_len);
	if (tail_len)
		gt_send_raw(sock, tail, tail_len);
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO, "op %u", op);
}

Test(gofer_write, malformed_short_payloads)
{
	static const uint32_t ops[] = {
		GOFER_OP_MKDIR, GOFER_OP_SYMLINK, GOFER_OP_LINK,
		GOFER_OP_UNLINK, GOFER_OP_RENAME, GOFER_OP_SETATTR,
	};
	unsigned char zeros[64] = { 0 };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		wt_expect_malformed(ops[i], NULL, 0, NULL, 0);
		wt_expect_malformed(ops[i], zeros, 7, NULL, 0);
	}
	/* setattr's fixed part is longer than the others'. */
	wt_expect_malformed(GOFER_OP_SETATTR, zeros, sizeof(struct gofer_setattr_req) - 1, NULL, 0);
	cr_assert(!wt_exists("new"));
}

Test(gofer_write, malformed_reserved_fields)
{
	struct gofer_mkdir_req m = { .mode = 0755, .reserved = 1 };
	struct gofer_unlink_req u = { .flags = 0, .reserved = 1 };
	struct gofer_path2_req p = { .len1 = 1, .flags = 1 };

	wt_expect_malformed(GOFER_OP_MKDIR, &m, sizeof(m), "new", 3);
	wt_expect_malformed(GOFER_OP_UNLINK, &u, sizeof(u), "file.txt", 8);
	/* Only rename takes flags with two paths. */
	wt_expect_malformed(GOFER_OP_SYMLINK, &p, sizeof(p), "tnew", 4);
	wt_expect_malformed(GOFER_OP_LINK, &p, sizeof(p), "tnew", 4);
	cr_assert(!wt_exists("new") && !wt_exists("t"));
	cr_assert(wt_exists("file.txt"));
}

Test(gofer_write, malformed_first_path)
{
	struct gofer_path2_req p;
	static const uint32_t ops[] = { GOFER_OP_SYMLINK, GOFER_OP_LINK, GOFER_OP_RENAME };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		/* Longer than the payload. */
		p = (struct gofer_path2_req){ .len1 = 100 };
		wt_expect_malformed(ops[i], &p, sizeof(p), "file.txt", 8);
		p = (struct gofer_path2_req){ .len1 = 9 };
		wt_expect_malformed(ops[i], &p, sizeof(p), "file.txt", 8);
		/* Longer than any path, or than the length could ever say. */
		p = (struct gofer_path2_req){ .len1 = GOFER_PATH_MAX + 1 };
		wt_expect_malformed(ops[i], &p, sizeof(p), "file.txt", 8);
		p = (struct gofer_path2_req){ .len1 = 0xffffffffu };
		wt_expect_malformed(ops[i], &p, sizeof(p), "file.txt", 8);
		/* A NUL inside the first path, or the second. */
		p = (struct gofer_path2_req){ .len1 = 8 };
		wt_expect_malformed(ops[i], &p, sizeof(p), "file\0txtnew", 11);
		wt_expect_malformed(ops[i], &p, sizeof(p), "file.txtn\0w", 11);
	}
	cr_assert(wt_exists("file.txt"));
	cr_assert(!wt_exists("new") && !wt_exists("n"));
}

Test(gofer_write, well_formed_first_path_at_the_edge)
{
	/* len1 equal to the whole payload: the second path is "", the root. */
	int sock = gt_start_server_raw(false);
	struct {
		struct gofer_hdr hdr;
		struct gofer_path2_req p;
		char path[8];
	} msg = {
		.hdr = { .op = GOFER_OP_RENAME, .len = sizeof(struct gofer_path2_req) + 8 },
		.p = { .len1 = 8 },
		.path = "file.txt",
	};
	struct gofer_hdr rep;

	gt_send_raw(sock, &msg, sizeof(msg));
	cr_assert_eq(recv(sock, &rep, sizeof(rep), MSG_WAITALL), (ssize_t)sizeof(rep));
	cr_assert_eq(rep.op, GOFER_OP_RENAME);
	cr_assert_eq(rep.result, -EBUSY);
	cr_assert_eq(rep.len, 0);
	shutdown(sock, SHUT_WR);
	pthread_join(gt_server_thread, NULL);
	gt_server_up = false;
	close(sock);
	cr_assert_eq(gt_sargs.ret, 0);
	cr_assert(wt_exists("file.txt"));
}
