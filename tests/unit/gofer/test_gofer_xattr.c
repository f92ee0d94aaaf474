/* statfs and extended attributes through the gofer, against the tree of
 * gofer_test.h. Attributes are set on the host with l*xattr and must read
 * back the same through the gofer, never through a symlink. Tests that need
 * what the host may not give (user.* support, trusted.* for root, a tmpfs
 * for 64 KiB values, a mount namespace) are skipped without it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tests/unit/gofer/gofer_test.h"
#include "gofer/gofer.h"
#include "gofer/proto.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

TestSuite(gofer_xattr, .init = gt_setup, .fini = gt_teardown);

static void tree_path(char *buf, size_t size, const char *name)
{
	cr_assert_lt((size_t)snprintf(buf, size, "%s/%s", gt_root_path, name), size);
}

/* lsetxattr on name in the tree, or skips the test when the host's
 * filesystem or privileges do not allow the attribute. */
static void set_or_skip(const char *name, const char *attr, const void *val, size_t len)
{
	char path[PATH_MAX];

	tree_path(path, sizeof(path), name);
	if (lsetxattr(path, attr, val, len, 0) == 0)
		return;
	if (errno == ENOTSUP || errno == EPERM)
		cr_skip_test("host cannot set %s on %s: %s", attr, name, strerror(errno));
	cr_assert_fail("lsetxattr %s %s: %s", name, attr, strerror(errno));
}

/* The host's own llistxattr of name in the tree, for comparison. */
static ssize_t host_list(const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];

	tree_path(path, sizeof(path), name);
	ssize_t n = llistxattr(path, buf, size);
	cr_assert_geq(n, 0, "llistxattr %s: %s", name, strerror(errno));
	return n;
}

/* Whether a NUL-separated list of n bytes holds name. */
static bool list_has(const char *list, ssize_t n, const char *name)
{
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		if (strcmp(list + i, name) == 0)
			return true;
	return false;
}

/* The gofer's list of path must be the host's list of name, byte for byte. */
static void expect_same_list(const char *path, const char *name)
{
	static char want[XATTR_LIST_MAX], got[XATTR_LIST_MAX];
	ssize_t n = host_list(name, want, sizeof(want));

	cr_assert_eq(gofer_listxattr(&gt_client, path, NULL, 0), n, "%s", path);
	cr_assert_eq(gofer_listxattr(&gt_client, path, got, sizeof(got)), n, "%s", path);
	cr_assert_eq(memcmp(got, want, (size_t)n), 0, "%s", path);
}

Test(gofer_xattr, statfs_matches_host)
{
	const char *paths[] = { "", ".", "file.txt", "dir", "dir/inner.txt", "link_out", "fifo" };
	struct statfs host, st;

	cr_assert_eq(fstatfs(gt_root_fd, &host), 0);
	gt_start_server(false);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		memset(&st, 0xa5, sizeof(st));
		cr_assert_eq(gofer_statfs(&gt_client, paths[i], &st), 0, "%s", paths[i]);
		cr_assert_eq(st.f_type, host.f_type, "%s", paths[i]);
		cr_assert_eq(st.f_bsize, host.f_bsize);
		cr_assert_eq(st.f_namelen, host.f_namelen);
		cr_assert_eq(memcmp(&st.f_fsid, &host.f_fsid, sizeof(st.f_fsid)), 0);
	}
	cr_assert_eq(gofer_statfs(&gt_client, "nope", &st), -ENOENT);
	cr_assert_eq(gofer_statfs(&gt_client, "link_dir/inner.txt", &st), -ELOOP);
	cr_assert_eq(gofer_statfs(&gt_client, "file.txt/x", &st), -ENOTDIR);
	int r = gofer_statfs(&gt_client, "..", &st);
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	cr_assert_eq(gofer_statfs(&gt_client, NULL, &st), -EINVAL);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_xattr, getxattr_file_and_dir)
{
	char buf[64];

	set_or_skip("file.txt", "user.greeting", "hi there", 8);
	set_or_skip("file.txt", "user.empty", "", 0);
	set_or_skip("dir", "user.d", "dirval", 6);
	gt_start_server(false);

	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.greeting", NULL, 0), 8);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.greeting", buf, sizeof(buf)), 8);
	cr_assert_eq(memcmp(buf, "hi there", 8), 0);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.greeting", buf, 8), 8);
	/* Too small: -ERANGE, and nothing written. */
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.greeting", buf, 7), -ERANGE);
	cr_assert_eq(buf[0], 'x');
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.empty", NULL, 0), 0);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.empty", buf, sizeof(buf)), 0);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.nope", buf, sizeof(buf)), -ENODATA);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.nope", NULL, 0), -ENODATA);

	cr_assert_eq(gofer_getxattr(&gt_client, "dir", "user.d", buf, sizeof(buf)), 6);
	cr_assert_eq(memcmp(buf, "dirval", 6), 0);
	cr_assert_eq(gofer_getxattr(&gt_client, "dir/inner.txt", "user.d", buf, sizeof(buf)), -ENODATA);

	cr_assert_eq(gofer_getxattr(&gt_client, "nope", "user.d", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(gofer_getxattr(&gt_client, "link_dir/inner.txt", "user.d", buf, sizeof(buf)), -ELOOP);
	int r = gofer_getxattr(&gt_client, "../x", "user.d", buf, sizeof(buf));
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	r = gofer_getxattr(&gt_client, "/etc/passwd", "user.d", buf, sizeof(buf));
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_xattr, getxattr_bounds)
{
	static char name[XATTR_NAME_MAX + 2], path[PATH_MAX + 1];
	char *huge;
	char buf[16];

	set_or_skip("file.txt", "user.greeting", "hi there", 8);
	gt_start_server(false);

	/* Names: empty or longer than XATTR_NAME_MAX is -ERANGE, like Linux. */
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "", buf, sizeof(buf)), -ERANGE);
	memcpy(name, "user.", 5);
	memset(name + 5, 'n', sizeof(name) - 6);
	cr_assert_eq(strlen(name), XATTR_NAME_MAX + 1);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", name, buf, sizeof(buf)), -ERANGE);
	/* The longest name goes over the wire; the host has no such one. */
	name[XATTR_NAME_MAX] = '\0';
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", name, buf, sizeof(buf)), -ENODATA);
	/* With the longest path too, the request is the largest there is. */
	memset(path, 'p', GOFER_PATH_MAX);
	cr_assert_eq(gofer_getxattr(&gt_client, path, name, buf, sizeof(buf)), -ENAMETOOLONG);
	path[GOFER_PATH_MAX] = 'p';
	path[GOFER_PATH_MAX + 1] = '\0';
	cr_assert_eq(gofer_getxattr(&gt_client, path, name, buf, sizeof(buf)), -ENAMETOOLONG);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", NULL, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(gofer_getxattr(&gt_client, NULL, "user.greeting", buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.greeting", NULL, 8), -EFAULT);
	cr_assert_eq(gofer_listxattr(&gt_client, "file.txt", NULL, 8), -EFAULT);
	/* A name outside any namespace: the host's answer. */
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "greeting", buf, sizeof(buf)), -EOPNOTSUPP);

	/* A buffer above XATTR_SIZE_MAX is clamped, not refused. */
	huge = malloc(2 * XATTR_SIZE_MAX);
	cr_assert_not_null(huge);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.greeting", huge, 2 * XATTR_SIZE_MAX), 8);
	cr_assert_eq(memcmp(huge, "hi there", 8), 0);
	cr_assert_gt(gofer_listxattr(&gt_client, "file.txt", huge, 2 * XATTR_SIZE_MAX), 0);
	cr_assert_eq(gofer_listxattr(&gt_client, "file.txt", huge, SIZE_MAX),
		     gofer_listxattr(&gt_client, "file.txt", NULL, 0));
	free(huge);
	/* The connection is still in step after all the refusals. */
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.greeting", buf, sizeof(buf)), 8);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer_xattr, listxattr_file_and_dir)
{
	char buf[256];
	ssize_t n;

	set_or_skip("file.txt", "user.a", "1", 1);
	set_or_skip("file.txt", "user.bb", "2", 1);
	set_or_skip("dir", "user.d", "dirval", 6);
	gt_start_server(false);

	n = gofer_listxattr(&gt_client, "file.txt", NULL, 0);
	cr_assert_geq(n, (ssize_t)(sizeof("user.a") + sizeof("user.bb")));
	cr_assert_eq(gofer_listxattr(&gt_client, "file.txt", buf, sizeof(buf)), n);
	cr_assert(list_has(buf, n, "user.a"));
	cr_assert(list_has(buf, n, "user.bb"));
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(gofer_listxattr(&gt_client, "file.txt", buf, (size_t)n - 1), -ERANGE);
	cr_assert_eq(buf[0], 'x');
	expect_same_list("file.txt", "file.txt");
	expect_same_list("dir", "dir");
	expect_same_list("dir/inner.txt", "dir/inner.txt");
	expect_same_list("", ".");

	cr_assert_eq(gofer_listxattr(&gt_client, "nope", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(gofer_listxattr(&gt_client, "link_dir/inner.txt", buf, sizeof(buf)), -ELOOP);
	int r = gofer_listxattr(&gt_client, "dir/../..", buf, sizeof(buf));
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	cr_assert_eq(gt_stop_server(), 0);
}

/* A symlink's own attributes, never its target's: trusted.* is the one
 * namespace a symlink may carry, so this needs root. */
Test(gofer_xattr, symlink_not_followed)
{
	char buf[64];

	set_or_skip("file.txt", "user.greeting", "hi there", 8);
	set_or_skip("link_in", "trusted.lnk", "L", 1);
	set_or_skip("link_out", "trusted.out", "O", 1);
	gt_start_server(false);

	cr_assert_eq(gofer_getxattr(&gt_client, "link_in", "user.greeting", buf, sizeof(buf)), -ENODATA);
	cr_assert_eq(gofer_getxattr(&gt_client, "link_in", "trusted.lnk", buf, sizeof(buf)), 1);
	cr_assert_eq(buf[0], 'L');
	cr_assert_eq(gofer_getxattr(&gt_client, "link_in", "trusted.lnk", NULL, 0), 1);
	cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "trusted.lnk", buf, sizeof(buf)), -ENODATA);
	cr_assert_eq(gofer_getxattr(&gt_client, "link_out", "trusted.out", buf, sizeof(buf)), 1);
	cr_assert_eq(buf[0], 'O');
	cr_assert_eq(gofer_getxattr(&gt_client, "link_abs", "trusted.out", buf, sizeof(buf)), -ENODATA);

	ssize_t n = gofer_listxattr(&gt_client, "link_in", buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert(list_has(buf, n, "trusted.lnk"));
	cr_assert(!list_has(buf, n, "user.greeting"));
	expect_same_list("link_in", "link_in");
	expect_same_list("link_out", "link_out");
	expect_same_list("link_abs", "link_abs");
	cr_assert_eq(gt_stop_server(), 0);
}

/* A FIFO is never opened (an O_RDONLY open could block a gofer that
 * forgot O_NONBLOCK, and a device's open has side effects): its
 * attributes come by directory and name (or before Linux 6.13 through
 * /proc) like a symlink's. */
Test(gofer_xattr, fifo_through_proc)
{
	char buf[64];

	set_or_skip("fifo", "trusted.f", "F", 1);
	gt_start_server(false);
	cr_assert_eq(gofer_getxattr(&gt_client, "fifo", "trusted.f", buf, sizeof(buf)), 1);
	cr_assert_eq(buf[0], 'F');
	/* Linux keeps user.* to regular files and directories. */
	cr_assert_eq(gofer_getxattr(&gt_client, "fifo", "user.f", buf, sizeof(buf)), -ENODATA);
	expect_same_list("fifo", "fifo");
	cr_assert_eq(gt_stop_server(), 0);
}

/* A value of XATTR_SIZE_MAX bytes fills the largest reply. ext4 keeps a
 * value within a block, so this serves a root on tmpfs. */
Test(gofer_xattr, largest_value)
{
	static char root[] = "/dev/shm/amber-gofer-xattr.XXXXXX";
	static char val[XATTR_SIZE_MAX], got[XATTR_SIZE_MAX];
	char path[PATH_MAX], list[64];
	int fd, rfd;

	if (!mkdtemp(root))
		cr_skip_test("no /dev/shm: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/big", root);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (char)(i * 7 + i / 251);
	if (setxattr(path, "user.big", val, sizeof(val), 0) < 0) {
		int err = errno;
		unlink(path);
		rmdir(root);
		cr_skip_test("host refuses a %d-byte value: %s", XATTR_SIZE_MAX, strerror(err));
	}
	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(rfd, 0);
	gofer_client_init(&gt_client, gt_start_server_raw_at(rfd, true));
	gt_client_up = true;

	cr_assert_eq(gofer_getxattr(&gt_client, "big", "user.big", NULL, 0), XATTR_SIZE_MAX);
	cr_assert_eq(gofer_getxattr(&gt_client, "big", "user.big", got, sizeof(got)), XATTR_SIZE_MAX);
	cr_assert_eq(memcmp(got, val, sizeof(val)), 0);
	cr_assert_eq(gofer_getxattr(&gt_client, "big", "user.big", got, sizeof(got) - 1), -ERANGE);
	ssize_t n = gofer_listxattr(&gt_client, "big", list, sizeof(list));
	cr_assert(list_has(list, n, "user.big"));

	cr_assert_eq(gt_stop_server(), 0);
	close(rfd);
	unlink(path);
	rmdir(root);
}

/* ---- without /proc (as when confined): symlinks and special files have
 * their attributes through getxattrat (Linux 6.13) and none before it,
 * and a look-alike /proc is never believed ---- */

/* The host's llistxattr of name in the tree, or -errno, for a child. */
static ssize_t host_list_quiet(const char *name)
{
	static char list[XATTR_LIST_MAX];
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", gt_root_path, name);
	n = llistxattr(path, list, sizeof(list));
	return n < 0 ? -errno : n;
}

/* Whether the running kernel has getxattrat. */
static bool have_getxattrat(void)
{
	struct { uint64_t value; uint32_t size, flags; } args = { 0 };

	return syscall(464, AT_FDCWD, "/", 0, "user.none", &args, sizeof(args)) >= 0 || errno != ENOSYS;
}

static void *child_server(void *arg)
{
	int *sock = arg;

	gofer_serve(*sock, gt_root_fd, true);
	close(*sock);
	return NULL;
}

/* Runs in a forked child, which may not use criterion's asserts: returns a
 * bit mask of the failed checks, or 77 if the host allows no mount
 * namespace. */
static int no_proc_child(void)
{
	static char list[XATTR_LIST_MAX];
	struct gofer_client c;
	pthread_t t;
	int sv[2], fail = 0;
	char buf[64], path[64];

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/proc", "tmpfs", 0, "mode=0755") < 0)
		return 77;
	/* A /proc that is not procfs, whose fd links all lead to file.txt:
	 * a gofer that trusted the name would read file.txt's attributes. */
	if (mkdir("/proc/self", 0755) < 0 || mkdir("/proc/self/fd", 0755) < 0)
		return 1 << 0;
	for (int i = 0; i < 256; i++) {
		char target[PATH_MAX];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		snprintf(target, sizeof(target), "%s/file.txt", gt_root_path);
		if (symlink(target, path) < 0)
			return 1 << 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pthread_create(&t, NULL, child_server, &sv[1]) != 0)
		return 1 << 2;
	gofer_client_init(&c, sv[0]);

	if (have_getxattrat()) {
		ssize_t len = gofer_listxattr(&c, "link_in", list, sizeof(list));
		if (gofer_getxattr(&c, "link_in", "trusted.lnk", buf, sizeof(buf)) != 1 || buf[0] != 'L')
			fail |= 1 << 3;
		if (len <= 0 || !list_has(list, len, "trusted.lnk") ||
		    gofer_listxattr(&c, "link_in", NULL, 0) != len)
			fail |= 1 << 6;
		if (gofer_listxattr(&c, "fifo", list, sizeof(list)) != host_list_quiet("fifo"))
			fail |= 1 << 7;
	} else {
		if (gofer_getxattr(&c, "link_in", "trusted.lnk", buf, sizeof(buf)) != -ENODATA)
			fail |= 1 << 3;
		if (gofer_listxattr(&c, "link_in", list, sizeof(list)) != 0 ||
		    gofer_listxattr(&c, "link_in", NULL, 0) != 0)
			fail |= 1 << 6;
		if (gofer_listxattr(&c, "fifo", list, sizeof(list)) != 0)
			fail |= 1 << 7;
	}
	/* The symlink's target has user.greeting, and so has every file the
	 * look-alike /proc leads to: neither may be what the gofer reads. */
	if (gofer_getxattr(&c, "link_in", "user.greeting", buf, sizeof(buf)) != -ENODATA)
		fail |= 1 << 4;
	if (gofer_getxattr(&c, "link_in", "user.greeting", NULL, 0) != -ENODATA)
		fail |= 1 << 5;
	/* Regular files and directories need no /proc. */
	if (gofer_getxattr(&c, "file.txt", "user.greeting", buf, sizeof(buf)) != 8 ||
	    memcmp(buf, "hi there", 8) != 0)
		fail |= 1 << 8;
	ssize_t n = gofer_listxattr(&c, "file.txt", list, sizeof(list));
	if (n <= 0 || !list_has(list, n, "user.greeting"))
		fail |= 1 << 9;
	if (gofer_getxattr(&c, "dir", "user.d", buf, sizeof(buf)) != 6)
		fail |= 1 << 10;
	struct statfs st;
	if (gofer_statfs(&c, "link_in", &st) != 0)
		fail |= 1 << 11;

	gofer_client_destroy(&c);
	pthread_join(t, NULL);
	return fail;
}

Test(gofer_xattr, without_proc)
{
	int status;
	pid_t pid;

	set_or_skip("file.txt", "user.greeting", "hi there", 8);
	set_or_skip("dir", "user.d", "dirval", 6);
	set_or_skip("link_in", "trusted.lnk", "L", 1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(no_proc_child());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child status %#x", status);
	if (WEXITSTATUS(status) == 77)
		cr_skip_test("no mount namespace for hiding /proc");
	cr_assert_eq(WEXITSTATUS(status), 0, "failed checks %#x", WEXITSTATUS(status));
}

Test(gofer_xattr, no_fd_leak)
{
	char buf[256];
	struct statfs st;

	set_or_skip("file.txt", "user.greeting", "hi there", 8);
	gt_start_server(false);
	/* Warm up lazily opened descriptors (sanitizers, criterion). */
	cr_assert_eq(gofer_statfs(&gt_client, "dir", &st), 0);
	int before = gt_count_fds();
	for (int i = 0; i < 50; i++) {
		cr_assert_eq(gofer_statfs(&gt_client, "file.txt", &st), 0);
		cr_assert_eq(gofer_getxattr(&gt_client, "file.txt", "user.greeting", buf, sizeof(buf)), 8);
		cr_assert_eq(gofer_getxattr(&gt_client, "dir", "user.none", buf, sizeof(buf)), -ENODATA);
		cr_assert_eq(gofer_getxattr(&gt_client, "link_in", "user.none", buf, sizeof(buf)), -ENODATA);
		cr_assert_eq(gofer_getxattr(&gt_client, "fifo", "user.none", NULL, 0), -ENODATA);
		cr_assert_geq(gofer_listxattr(&gt_client, "file.txt", buf, sizeof(buf)), 0);
		cr_assert_geq(gofer_listxattr(&gt_client, "link_in", buf, sizeof(buf)), 0);
		cr_assert_eq(gofer_listxattr(&gt_client, "nope", buf, sizeof(buf)), -ENOENT);
	}
	cr_assert_eq(gt_count_fds(), before);
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- malformed requests: the server stops with an error, never crashes ---- */

struct raw_getxattr {
	struct gofer_hdr hdr;
	struct gofer_getxattr_req req;
	char rest[32];
} __attribute__((packed));

/* Sends a getxattr whose name_len claims name_len, with the bytes of rest
 * (a name, then a path) after the fixed part. */
static int send_getxattr(uint32_t size, uint32_t name_len, const char *rest, size_t rest_len)
{
	int sock = gt_start_server_raw(true);
	struct raw_getxattr msg = {
		.hdr = { .op = GOFER_OP_GETXATTR,
			 .len = (uint32_t)(sizeof(struct gofer_getxattr_req) + rest_len) },
		.req = { .size = size, .name_len = name_len },
	};

	cr_assert_leq(rest_len, sizeof(msg.rest));
	memcpy(msg.rest, rest, rest_len);
	gt_send_raw(sock, &msg, sizeof(msg.hdr) + msg.hdr.len);
	return sock;
}

Test(gofer_xattr, malformed_name_len_zero)
{
	int sock = send_getxattr(8, 0, "file.txt", 8);
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer_xattr, malformed_name_len_too_long)
{
	int sock = send_getxattr(8, XATTR_NAME_MAX + 1, "user.xfile.txt", 14);
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer_xattr, malformed_name_beyond_payload)
{
	int sock = send_getxattr(8, 20, "user.xfile.txt", 14);
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer_xattr, malformed_nul_in_name)
{
	int sock = send_getxattr(8, 6, "user\0xfile.txt", 14);
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer_xattr, malformed_getxattr_too_short)
{
	int sock = gt_start_server_raw(true);
	struct {
		struct gofer_hdr hdr;
		uint32_t size;
	} msg = { .hdr = { .op = GOFER_OP_GETXATTR, .len = 4 }, .size = 8 };

	gt_send_raw(sock, &msg, sizeof(msg));
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer_xattr, malformed_listxattr_reserved)
{
	int sock = gt_start_server_raw(true);
	struct {
		struct gofer_hdr hdr;
		struct gofer_listxattr_req req;
	} msg = { .hdr = { .op = GOFER_OP_LISTXATTR, .len = sizeof(struct gofer_listxattr_req) },
		  .req = { .size = 8, .reserved = 1 } };

	gt_send_raw(sock, &msg, sizeof(msg));
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

/* A size above XATTR_SIZE_MAX is clamped by the server too, as Linux does,
 * and the stream carries on. */
Test(gofer_xattr, oversized_request_clamped)
{
	struct gofer_hdr rep;
	char val[8];
	int sock;

	set_or_skip("file.txt", "user.greeting", "hi there", 8);
	sock = send_getxattr(0xffffffffu, 13, "user.greetingfile.txt", 21);
	cr_assert_eq(recv(sock, &rep, sizeof(rep), MSG_WAITALL), (ssize_t)sizeof(rep));
	cr_assert_eq(rep.op, GOFER_OP_GETXATTR);
	cr_assert_eq(rep.result, 8);
	cr_assert_eq(rep.len, 8);
	cr_assert_eq(recv(sock, val, sizeof(val), MSG_WAITALL), (ssize_t)sizeof(val));
	cr_assert_eq(memcmp(val, "hi there", 8), 0);
	shutdown(sock, SHUT_WR);
	pthread_join(gt_server_thread, NULL);
	gt_server_up = false;
	close(sock);
	cr_assert_eq(gt_sargs.ret, 0);
}
