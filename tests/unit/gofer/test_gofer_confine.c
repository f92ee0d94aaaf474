/* gofer_confine, on the tree of gofer_test.h: a child process confines
 * itself and looks around (it must see the tree as "/" and nothing of the
 * host, even through the tree's symlinks), or confines itself, installs
 * runsc's gofer filter and serves this process, as `runsc gofer` does.
 * Needs the privilege for a mount namespace; skipped without it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tests/unit/gofer/gofer_test.h"
#include "gofer/gofer.h"
#include "runsc/seccomp.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/capability.h>

TestSuite(gofer_confine, .init = gt_setup, .fini = gt_teardown);

/* Exit status of a child that could not make a mount namespace. */
#define SKIP 77

struct confine_case {
	const char *file;	/* gofer_confine's file, or NULL */
	bool readonly;
	struct stat tree;	/* the tree's root, as the host sees it */
	int sock;		/* for serve_child: the server's end */
};

/* Forks a child that confines itself as c says and returns check(c, fd)
 * as its exit status (0: all checks held; else the number of the first
 * that failed); returns that status, skipping the test on SKIP. */
static int run_confined(struct confine_case *c, int (*check)(struct confine_case *c, int root_fd))
{
	int status, fd;
	pid_t pid;

	cr_assert_eq(stat(gt_root_path, &c->tree), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char err[PATH_MAX + 128];

		fd = gofer_confine(gt_root_path, c->file, c->readonly, err, sizeof(err));
		if (fd == -EPERM)
			_exit(SKIP);
		if (fd < 0) {
			fprintf(stderr, "gofer_confine: %s: %s\n", err, strerror(-fd));
			_exit(100);
		}
		_exit(check(c, fd));
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child status %#x", status);
	if (WEXITSTATUS(status) == SKIP)
		cr_skip_test("no privilege for a mount namespace");
	return WEXITSTATUS(status);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether path reads exactly want. */
static bool reads(const char *path, const char *want)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

/* Whether open(path, flags) fails with err. */
static bool open_fails(const char *path, int flags, int err)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == err;
}

/* The capabilities left in the effective set. */
static uint64_t effective_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return ~0ull;
	return data[0].effective | (uint64_t)data[1].effective << 32;
}

static int check_dir(struct confine_case *c, int root_fd)
{
	const uint64_t keep = (1u << CAP_CHOWN) | (1u << CAP_DAC_OVERRIDE) | (1u << CAP_FOWNER) |
			      (1u << CAP_FSETID);
	struct stat st;
	int fd;

	if (fstat(root_fd, &st) < 0 || !same_file(&st, &c->tree))
		return 1;
	if (stat("/", &st) < 0 || !same_file(&st, &c->tree))
		return 2;
	/* ".." of the root is the root: nothing above it. */
	if (stat("/..", &st) < 0 || !same_file(&st, &c->tree))
		return 3;
	/* The tree's host path names nothing here, nor does /proc. */
	if (stat(gt_root_path, &st) == 0 || errno != ENOENT)
		return 4;
	if (!open_fails("/proc/self/mountinfo", O_RDONLY, ENOENT))
		return 5;
	if (!reads("/file.txt", "hello gofer\n") || !reads("/link_in", "hello gofer\n"))
		return 6;
	/* Followed on purpose, the tree's symlinks out lead nowhere. */
	if (!open_fails("/link_abs", O_RDONLY, ENOENT) ||
	    !open_fails("/link_out/passwd", O_RDONLY, ENOENT))
		return 7;
	if ((effective_caps() & ~keep) != 0)
		return 8;
	if (c->readonly) {
		if (!open_fails("/new", O_WRONLY | O_CREAT, EROFS) ||
		    !open_fails("/file.txt", O_WRONLY, EROFS) || !open_fails("/dir/inner.txt", O_RDWR, EROFS))
			return 9;
	} else {
		fd = open("/dir/new", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, "new\n", 4) != 4)
			return 10;
		close(fd);
	}
	return 0;
}

Test(gofer_confine, dir_is_the_whole_world)
{
	struct confine_case c = { 0 };
	char path[PATH_MAX];

	cr_assert_eq(run_confined(&c, check_dir), 0);
	snprintf(path, sizeof(path), "%s/dir/new", gt_root_path);
	cr_assert(reads(path, "new\n"), "a write in the confined view reaches the tree");
}

Test(gofer_confine, dir_readonly)
{
	struct confine_case c = { .readonly = true };

	cr_assert_eq(run_confined(&c, check_dir), 0);
}

static int check_file(struct confine_case *c, int root_fd)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int n = 0, fd;

	/* The root is a tmpfs of one entry, not the tree. */
	if (fstat(root_fd, &st) < 0 || same_file(&st, &c->tree))
		return 1;
	d = opendir("/");
	if (!d)
		return 2;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    (strcmp(e->d_name, "file.txt") != 0 || n++))
			return 3;
	closedir(d);
	if (n != 1 || !reads("/file.txt", "hello gofer\n"))
		return 4;
	/* Nothing beside it, nothing new beside it. */
	if (stat("/dir", &st) == 0 || stat("/link_in", &st) == 0 || stat(gt_root_path, &st) == 0)
		return 5;
	if (!open_fails("/new", O_WRONLY | O_CREAT, EROFS))
		return 6;
	if (c->readonly)
		return open_fails("/file.txt", O_WRONLY | O_APPEND, EROFS) ? 0 : 7;
	fd = open("/file.txt", O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || write(fd, "more\n", 5) != 5)
		return 8;
	close(fd);
	return 0;
}

Test(gofer_confine, file_alone)
{
	struct confine_case c = { .file = "file.txt" };
	char path[PATH_MAX];

	cr_assert_eq(run_confined(&c, check_file), 0);
	snprintf(path, sizeof(path), "%s/file.txt", gt_root_path);
	cr_assert(reads(path, "hello gofer\nmore\n"), "a write to the file reaches the host's");
}

Test(gofer_confine, file_readonly)
{
	struct confine_case c = { .file = "file.txt", .readonly = true };

	cr_assert_eq(run_confined(&c, check_file), 0);
}

/* The child's status is -gofer_confine's result. */
static int confine_error(const char *file)
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = gofer_confine(gt_root_path, file, false, NULL, 0);
		_exit(fd == -EPERM ? SKIP : fd >= 0 ? 0 : -fd);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP)
		cr_skip_test("no privilege for a mount namespace");
	return -WEXITSTATUS(status);
}

Test(gofer_confine, file_names_refused)
{
	cr_assert_eq(confine_error("dir/inner.txt"), -EINVAL);
	cr_assert_eq(confine_error("."), -EINVAL);
	cr_assert_eq(confine_error(".."), -EINVAL);
	cr_assert_eq(confine_error(""), -EINVAL);
	cr_assert_eq(confine_error("nope"), -ENOENT);
	cr_assert_eq(confine_error("dir"), -EISDIR);
	/* A symlink is never followed to its target, nor served. */
	int r = confine_error("link_abs");
	cr_assert(r == -ELOOP || r == -EINVAL, "got %d", r);
}

/* ---- serving, as runsc gofer does: confined, then filtered ---- */

static int serve_child(struct confine_case *c, int root_fd)
{
	umask(0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_install_gofer() < 0)
		return 1;
	return gofer_serve(c->sock, root_fd, c->readonly) < 0 ? 2 : 0;
}

/* Sets attr on name in the tree (not following a symlink); false if the
 * host does not allow it there. */
static bool set_attr(const char *name, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", gt_root_path, name);
	return lsetxattr(path, attr, val, strlen(val), 0) == 0;
}

/* Whether the running kernel has getxattrat (Linux 6.13). */
static bool have_getxattrat(void)
{
	struct { uint64_t value; uint32_t size, flags; } args = { 0 };

	return syscall(464, AT_FDCWD, "/", 0, "user.none", &args, sizeof(args)) >= 0 || errno != ENOSYS;
}

static bool list_has(const char *list, ssize_t n, const char *name)
{
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		if (strcmp(list + i, name) == 0)
			return true;
	return false;
}

/* Attributes through a confined, filtered gofer, which has no /proc:
 * a regular file's and a directory's through a reopened fd, a symlink's
 * and a FIFO's by directory and name. trusted.* needs CAP_SYS_ADMIN,
 * which the gofer dropped. */
Test(gofer_confine, serves_xattrs_without_proc)
{
	struct confine_case c = { .readonly = true };
	struct gofer_client client;
	char buf[256];
	int sv[2], status;
	ssize_t n;
	pid_t pid;

	if (!set_attr("file.txt", "user.greeting", "hi there") || !set_attr("dir", "user.d", "dirval"))
		cr_skip_test("no user.* attributes on this filesystem");
	/* security.* is the namespace a symlink or FIFO may carry without
	 * CAP_SYS_ADMIN to read it. */
	if (!set_attr("link_in", "security.amber", "L") || !set_attr("fifo", "security.amber", "F"))
		cr_skip_test("no security.* attributes for root here");
	set_attr("file.txt", "trusted.hidden", "T");

	cr_assert_eq(stat(gt_root_path, &c.tree), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	c.sock = sv[1];
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = gofer_confine(gt_root_path, NULL, true, NULL, 0);
		close(sv[0]);
		_exit(fd == -EPERM ? SKIP : fd < 0 ? 100 : serve_child(&c, fd));
	}
	close(sv[1]);
	gofer_client_init(&client, sv[0]);

	n = gofer_getxattr(&client, "file.txt", "user.greeting", buf, sizeof(buf));
	if (n == -EIO) {
		/* The child went before answering: skipped, or failed. */
		gofer_client_destroy(&client);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP)
			cr_skip_test("no privilege for a mount namespace");
		cr_assert_fail("gofer child status %#x", status);
	}
	cr_assert_eq(n, 8);
	cr_assert_eq(memcmp(buf, "hi there", 8), 0);
	cr_assert_eq(gofer_getxattr(&client, "dir", "user.d", buf, sizeof(buf)), 6);
	cr_assert_eq(gofer_getxattr(&client, "file.txt", "trusted.hidden", buf, sizeof(buf)), -ENODATA);
	n = gofer_listxattr(&client, "file.txt", buf, sizeof(buf));
	cr_assert(n > 0 && list_has(buf, n, "user.greeting") && !list_has(buf, n, "trusted.hidden"));
	/* The symlink's own attribute, never its target's. */
	cr_assert_eq(gofer_getxattr(&client, "link_in", "user.greeting", buf, sizeof(buf)), -ENODATA);
	if (have_getxattrat()) {
		cr_assert_eq(gofer_getxattr(&client, "link_in", "security.amber", buf, sizeof(buf)), 1);
		cr_assert_eq(buf[0], 'L');
		cr_assert_eq(gofer_getxattr(&client, "dir/../fifo", "security.amber", buf, sizeof(buf)), 1);
		cr_assert_eq(buf[0], 'F');
		n = gofer_listxattr(&client, "link_in", buf, sizeof(buf));
		cr_assert(n > 0 && list_has(buf, n, "security.amber"));
	} else {
		cr_assert_eq(gofer_getxattr(&client, "link_in", "security.amber", buf, sizeof(buf)), -ENODATA);
		cr_assert_eq(gofer_listxattr(&client, "link_in", buf, sizeof(buf)), 0);
	}
	cr_assert_eq(gofer_open(&client, "link_abs", O_RDONLY, 0, NULL), -ELOOP);

	gofer_client_destroy(&client);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "gofer child status %#x", status);
}
