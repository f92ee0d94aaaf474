/* Gofer server and client over a socketpair, against the temporary tree of
 * gofer_test.h: stat, open, readlink, the wire's framing, and a client
 * facing a misbehaving gofer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tests/unit/gofer/gofer_test.h"
#include "gofer/gofer.h"
#include "gofer/proto.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

TestSuite(gofer, .init = gt_setup, .fini = gt_teardown);

Test(gofer, stat_file_dir_root)
{
	struct statx stx, root;
	struct stat st;

	gt_start_server(false);
	cr_assert_eq(gofer_stat(&gt_client, "file.txt", &stx), 0);
	cr_assert(S_ISREG(stx.stx_mode));
	cr_assert_eq(stx.stx_size, strlen("hello gofer\n"));
	cr_assert(stx.stx_mask & STATX_INO);

	cr_assert_eq(gofer_stat(&gt_client, "dir", &stx), 0);
	cr_assert(S_ISDIR(stx.stx_mode));
	cr_assert_eq(gofer_stat(&gt_client, "dir/inner.txt", &stx), 0);
	cr_assert(S_ISREG(stx.stx_mode));

	cr_assert_eq(stat(gt_root_path, &st), 0);
	cr_assert_eq(gofer_stat(&gt_client, "", &root), 0);
	cr_assert(S_ISDIR(root.stx_mode));
	cr_assert_eq(root.stx_ino, st.st_ino);
	cr_assert_eq(gofer_stat(&gt_client, ".", &stx), 0);
	cr_assert_eq(stx.stx_ino, st.st_ino);
	/* ".." that stays beneath the root is fine. */
	cr_assert_eq(gofer_stat(&gt_client, "dir/..", &stx), 0);
	cr_assert_eq(stx.stx_ino, st.st_ino);

	cr_assert_eq(gofer_stat(&gt_client, "fifo", &stx), 0);
	cr_assert(S_ISFIFO(stx.stx_mode));
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, stat_symlink_not_followed)
{
	struct statx stx;

	gt_start_server(false);
	cr_assert_eq(gofer_stat(&gt_client, "link_in", &stx), 0);
	cr_assert(S_ISLNK(stx.stx_mode));
	cr_assert_eq(stx.stx_size, strlen("file.txt"));
	cr_assert_eq(gofer_stat(&gt_client, "link_out", &stx), 0);
	cr_assert(S_ISLNK(stx.stx_mode));
	cr_assert_eq(gofer_stat(&gt_client, "link_abs", &stx), 0);
	cr_assert(S_ISLNK(stx.stx_mode));
	/* A symlink in a middle component is never followed. */
	cr_assert_eq(gofer_stat(&gt_client, "link_dir/inner.txt", &stx), -ELOOP);
	cr_assert_eq(gofer_stat(&gt_client, "link_out/passwd", &stx), -ELOOP);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, open_reads_contents)
{
	struct statx stx;
	char buf[64];
	int fd;

	gt_start_server(false);
	fd = gofer_open(&gt_client, "file.txt", O_RDONLY, 0, &stx);
	cr_assert(fd >= 0, "open: %d", fd);
	cr_assert(S_ISREG(stx.stx_mode));
	cr_assert_eq(stx.stx_size, strlen("hello gofer\n"));
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ssize_t n = read(fd, buf, sizeof(buf));
	cr_assert_eq(n, (ssize_t)strlen("hello gofer\n"));
	cr_assert_eq(memcmp(buf, "hello gofer\n", (size_t)n), 0);
	close(fd);

	fd = gofer_open(&gt_client, "dir/inner.txt", O_RDONLY | O_NONBLOCK, 0, NULL);
	cr_assert(fd >= 0);
	cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	n = read(fd, buf, sizeof(buf));
	cr_assert_eq(n, 6);
	cr_assert_eq(memcmp(buf, "inner\n", 6), 0);
	close(fd);

	fd = gofer_open(&gt_client, "dir", O_RDONLY | O_DIRECTORY, 0, &stx);
	cr_assert(fd >= 0);
	cr_assert(S_ISDIR(stx.stx_mode));
	close(fd);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_RDONLY | O_DIRECTORY, 0, NULL), -ENOTDIR);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, open_refuses_symlinks)
{
	gt_start_server(false);
	cr_assert_eq(gofer_open(&gt_client, "link_in", O_RDONLY, 0, NULL), -ELOOP);
	cr_assert_eq(gofer_open(&gt_client, "link_dir/inner.txt", O_RDONLY, 0, NULL), -ELOOP);
	cr_assert_eq(gofer_open(&gt_client, "link_out/passwd", O_RDONLY, 0, NULL), -ELOOP);
	cr_assert_eq(gofer_open(&gt_client, "link_abs", O_RDONLY, 0, NULL), -ELOOP);
	/* O_CREAT through a dangling-looking symlink must not create outside. */
	cr_assert_eq(gofer_open(&gt_client, "link_out/newfile", O_WRONLY | O_CREAT, 0644, NULL), -ELOOP);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, dotdot_and_absolute_escape)
{
	struct statx stx;
	int r;

	gt_start_server(false);
	r = gofer_stat(&gt_client, "..", &stx);
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	r = gofer_stat(&gt_client, "dir/../../etc", &stx);
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	r = gofer_open(&gt_client, "../../../../etc/passwd", O_RDONLY, 0, NULL);
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	r = gofer_open(&gt_client, "/etc/passwd", O_RDONLY, 0, NULL);
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	r = gofer_readlink(&gt_client, "../x", (char[8]){ 0 }, 8);
	cr_assert(r == -EXDEV || r == -ELOOP, "got %d", r);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, readlink)
{
	char buf[PATH_MAX];

	gt_start_server(false);
	cr_assert_eq(gofer_readlink(&gt_client, "link_in", buf, sizeof(buf)), 8);
	cr_assert_eq(memcmp(buf, "file.txt", 8), 0);
	cr_assert_eq(gofer_readlink(&gt_client, "link_out", buf, sizeof(buf)), 9);
	cr_assert_eq(memcmp(buf, "../../etc", 9), 0);
	cr_assert_eq(gofer_readlink(&gt_client, "link_abs", buf, sizeof(buf)), 11);
	cr_assert_eq(memcmp(buf, "/etc/passwd", 11), 0);
	/* Truncated like readlink(2), and nothing written past size. */
	memset(buf, 'x', 8);
	cr_assert_eq(gofer_readlink(&gt_client, "link_abs", buf, 4), 4);
	cr_assert_eq(memcmp(buf, "/etcxxxx", 8), 0);
	cr_assert_eq(gofer_readlink(&gt_client, "file.txt", buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(gofer_readlink(&gt_client, "dir", buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(gofer_readlink(&gt_client, "link_dir/x", buf, sizeof(buf)), -ELOOP);
	cr_assert_eq(gofer_readlink(&gt_client, "link_in", buf, 0), -EINVAL);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, missing_is_enoent)
{
	struct statx stx;
	char buf[16];

	gt_start_server(false);
	cr_assert_eq(gofer_stat(&gt_client, "nope", &stx), -ENOENT);
	cr_assert_eq(gofer_stat(&gt_client, "dir/nope", &stx), -ENOENT);
	cr_assert_eq(gofer_open(&gt_client, "nope", O_RDONLY, 0, NULL), -ENOENT);
	cr_assert_eq(gofer_readlink(&gt_client, "nope", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(gofer_stat(&gt_client, "file.txt/x", &stx), -ENOTDIR);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, readonly_refuses_writes)
{
	int fd;

	gt_start_server(true);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_WRONLY, 0, NULL), -EROFS);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_RDWR, 0, NULL), -EROFS);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_RDONLY | O_TRUNC, 0, NULL), -EROFS);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_RDONLY | O_APPEND, 0, NULL), -EROFS);
	cr_assert_eq(gofer_open(&gt_client, "new.txt", O_RDONLY | O_CREAT, 0644, NULL), -EROFS);
	cr_assert_eq(faccessat(gt_root_fd, "new.txt", F_OK, 0), -1);
	fd = gofer_open(&gt_client, "file.txt", O_RDONLY, 0, NULL);
	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(gt_stop_server(), 0);
	struct stat st;
	cr_assert_eq(fstatat(gt_root_fd, "file.txt", &st, 0), 0);
	cr_assert_eq(st.st_size, (off_t)strlen("hello gofer\n"));
}

Test(gofer, readwrite_creates)
{
	struct statx stx;
	struct stat st;
	int fd;

	gt_start_server(false);
	fd = gofer_open(&gt_client, "dir/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0600, &stx);
	cr_assert(fd >= 0, "open: %d", fd);
	cr_assert(S_ISREG(stx.stx_mode));
	cr_assert_eq(write(fd, "abc", 3), 3);
	close(fd);
	cr_assert_eq(gofer_open(&gt_client, "dir/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0600, NULL), -EEXIST);
	cr_assert_eq(fstatat(gt_root_fd, "dir/new.txt", &st, 0), 0);
	cr_assert_eq(st.st_size, 3);
	mode_t mask = umask(022);
	umask(mask);
	cr_assert_eq(st.st_mode & 0777, 0600 & ~mask);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, open_bad_flags_and_special_files)
{
	gt_start_server(false);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_RDONLY | O_PATH, 0, NULL), -EINVAL);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_ACCMODE, 0, NULL), -EINVAL);
	cr_assert_eq(gofer_open(&gt_client, "file.txt", O_RDONLY | O_TMPFILE, 0, NULL), -EINVAL);
	/* A FIFO would block a single-threaded gofer; it is refused at once. */
	cr_assert_eq(gofer_open(&gt_client, "fifo", O_RDONLY, 0, NULL), -ENXIO);
	cr_assert_eq(gofer_open(&gt_client, "fifo", O_RDWR, 0, NULL), -ENXIO);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, path_too_long)
{
	static char path[PATH_MAX + 8];
	struct statx stx;

	gt_start_server(false);
	memset(path, 'a', sizeof(path) - 1);
	cr_assert_eq(gofer_stat(&gt_client, path, &stx), -ENAMETOOLONG);
	/* Exactly the longest path goes over the wire and the host says no. */
	path[GOFER_PATH_MAX] = '\0';
	int r = gofer_stat(&gt_client, path, &stx);
	cr_assert(r == -ENAMETOOLONG, "got %d", r);
	cr_assert_eq(gofer_stat(&gt_client, NULL, &stx), -EINVAL);
	cr_assert_eq(gofer_stat(&gt_client, "file.txt", &stx), 0);
	cr_assert_eq(gt_stop_server(), 0);
}

Test(gofer, no_fd_leak)
{
	struct statx stx;
	char buf[16];

	gt_start_server(false);
	/* Warm up lazily opened descriptors (sanitizers, criterion). The
	 * server thread closes its copy of a donated fd after replying, so
	 * counting waits for a later round trip. */
	close(gofer_open(&gt_client, "file.txt", O_RDONLY, 0, NULL));
	cr_assert_eq(gofer_stat(&gt_client, "dir", &stx), 0);
	int before = gt_count_fds();
	for (int i = 0; i < 50; i++) {
		int fd = gofer_open(&gt_client, "file.txt", O_RDONLY, 0, &stx);
		cr_assert(fd >= 0);
		close(fd);
		cr_assert_eq(gofer_open(&gt_client, "link_in", O_RDONLY, 0, NULL), -ELOOP);
		cr_assert_eq(gofer_stat(&gt_client, "dir", &stx), 0);
		cr_assert_eq(gofer_readlink(&gt_client, "link_in", buf, sizeof(buf)), 8);
	}
	cr_assert_eq(gt_count_fds(), before);
	cr_assert_eq(gt_stop_server(), 0);
}

struct worker {
	int id;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct statx stx;
	char buf[32];

	for (int i = 0; i < 200; i++) {
		if ((i + w->id) % 3 == 0) {
			if (gofer_stat(&gt_client, "dir/inner.txt", &stx) != 0 || stx.stx_size != 6)
				w->failures++;
		} else if ((i + w->id) % 3 == 1) {
			int fd = gofer_open(&gt_client, "file.txt", O_RDONLY, 0, &stx);
			if (fd < 0 || stx.stx_size != 12 || pread(fd, buf, sizeof(buf), 0) != 12) {
				w->failures++;
			}
			if (fd >= 0)
				close(fd);
		} else {
			if (gofer_readlink(&gt_client, "link_out", buf, sizeof(buf)) != 9 ||
			    memcmp(buf, "../../etc", 9) != 0)
				w->failures++;
		}
	}
	return NULL;
}

Test(gofer, concurrent_clients_share_one_socket)
{
	pthread_t t[8];
	struct worker w[8];

	gt_start_server(false);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .id = i };
		cr_assert_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].failures, 0, "worker %d: %d failures", i, w[i].failures);
	}
	cr_assert_eq(gt_stop_server(), 0);
}

/* ---- malformed requests: the server stops with an error, never crashes ---- */

Test(gofer, malformed_huge_len)
{
	int sock = gt_start_server_raw(false);
	struct gofer_hdr hdr = { .op = GOFER_OP_STAT, .len = 0xffffffffu };

	gt_send_raw(sock, &hdr, sizeof(hdr));
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer, malformed_len_just_over)
{
	int sock = gt_start_server_raw(false);
	struct gofer_hdr hdr = { .op = GOFER_OP_OPEN, .len = GOFER_MAX_REQ_PAYLOAD + 1 };

	gt_send_raw(sock, &hdr, sizeof(hdr));
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer, malformed_garbage_header)
{
	int sock = gt_start_server_raw(false);
	unsigned char junk[sizeof(struct gofer_hdr)];

	memset(junk, 0xa5, sizeof(junk));
	gt_send_raw(sock, junk, sizeof(junk));
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer, malformed_truncated_header)
{
	int sock = gt_start_server_raw(false);
	uint32_t op = GOFER_OP_STAT;

	gt_send_raw(sock, &op, sizeof(op));
	shutdown(sock, SHUT_WR);
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer, malformed_truncated_payload)
{
	int sock = gt_start_server_raw(false);
	struct gofer_hdr hdr = { .op = GOFER_OP_STAT, .len = 100 };

	gt_send_raw(sock, &hdr, sizeof(hdr));
	gt_send_raw(sock, "file", 4);
	shutdown(sock, SHUT_WR);
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer, malformed_nul_in_path)
{
	int sock = gt_start_server_raw(false);
	struct {
		struct gofer_hdr hdr;
		char path[9];
	} msg = { .hdr = { .op = GOFER_OP_STAT, .len = 9 }, .path = "file\0.txt" };

	gt_send_raw(sock, &msg, sizeof(msg));
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer, malformed_open_payload_too_short)
{
	int sock = gt_start_server_raw(false);
	struct {
		struct gofer_hdr hdr;
		uint32_t flags;
	} msg = { .hdr = { .op = GOFER_OP_OPEN, .len = 4 } };

	gt_send_raw(sock, &msg, sizeof(msg));
	cr_assert_eq(gt_expect_server_error(sock), -EPROTO);
}

Test(gofer, unknown_op_is_enosys_and_continues)
{
	int sock = gt_start_server_raw(false);
	struct gofer_hdr hdr = { .op = 999, .len = 3 };
	struct {
		struct gofer_hdr hdr;
		char path[8];
	} stat_req = { .hdr = { .op = GOFER_OP_STAT, .len = 8 }, .path = "file.txt" };
	struct gofer_hdr rep;
	struct statx stx;

	gt_send_raw(sock, &hdr, sizeof(hdr));
	gt_send_raw(sock, "abc", 3);
	cr_assert_eq(recv(sock, &rep, sizeof(rep), MSG_WAITALL), (ssize_t)sizeof(rep));
	cr_assert_eq(rep.result, -ENOSYS);
	cr_assert_eq(rep.len, 0);

	gt_send_raw(sock, &stat_req, sizeof(stat_req));
	cr_assert_eq(recv(sock, &rep, sizeof(rep), MSG_WAITALL), (ssize_t)sizeof(rep));
	cr_assert_eq(rep.result, 0);
	cr_assert_eq(rep.len, sizeof(stx));
	cr_assert_eq(recv(sock, &stx, sizeof(stx), MSG_WAITALL), (ssize_t)sizeof(stx));
	cr_assert(S_ISREG(stx.stx_mode));
	shutdown(sock, SHUT_WR);
	pthread_join(gt_server_thread, NULL);
	gt_server_up = false;
	close(sock);
	cr_assert_eq(gt_sargs.ret, 0);
}

/* ---- a misbehaving gofer: the client refuses bad replies and leaks nothing ---- */

enum fake_mode {
	FAKE_TWO_FDS,		/* open reply with two descriptors */
	FAKE_NO_FD,		/* open reply without one */
	FAKE_FD_ON_ERROR,	/* error reply that carries a descriptor */
	FAKE_HUGE_LEN,		/* reply claiming 4 GiB of payload */
	FAKE_WRONG_OP,		/* reply for another op */
	FAKE_BAD_ERRNO,		/* result below -4095 */
	FAKE_TOO_LONG,		/* more bytes than the caller's buffer */
	FAKE_EOF,		/* hangs up mid-reply */
	FAKE_SHORT_STATFS,	/* statfs reply shorter than struct statfs */
	FAKE_SIZE_TOO_BIG,	/* xattr size query answered above the maximum */
	FAKE_SIZE_WITH_DATA,	/* xattr size query answered with a payload */
	FAKE_LIST_NO_NUL,	/* name list whose last name has no NUL */
};

struct fake_args {
	int sock;
	enum fake_mode mode;
};

static void *fake_gofer(void *arg)
{
	struct fake_args *a = arg;
	unsigned char req[sizeof(struct gofer_hdr) + GOFER_MAX_REQ_PAYLOAD];
	struct gofer_hdr hdr;
	struct statx stx = { .stx_mode = S_IFREG | 0644 };
	char big[64];
	int fd1 = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int fd2 = open("/dev/null", O_RDONLY | O_CLOEXEC);

	memset(big, 'z', sizeof(big));
	if (recv(a->sock, &hdr, sizeof(hdr), MSG_WAITALL) != (ssize_t)sizeof(hdr))
		goto out;
	if (hdr.len && recv(a->sock, req, hdr.len, MSG_WAITALL) != (ssize_t)hdr.len)
		goto out;

	switch (a->mode) {
	case FAKE_TWO_FDS: {
		/* gofer_wire_send carries one fd; two need a hand-made cmsg. */
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(2 * sizeof(int))];
		} ctl = { 0 };
		struct gofer_hdr rep = { .op = hdr.op, .len = sizeof(stx) };
		struct iovec iov[2] = { { &rep, sizeof(rep) }, { &stx, sizeof(stx) } };
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2,
				      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		int fds[2] = { fd1, fd2 };
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(cm), fds, sizeof(fds));
		sendmsg(a->sock, &msg, MSG_NOSIGNAL);
		break;
	}
	case FAKE_NO_FD:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .len = sizeof(stx) },
				&stx, sizeof(stx), -1);
		break;
	case FAKE_FD_ON_ERROR:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .result = -ENOENT },
				NULL, 0, fd1);
		break;
	case FAKE_HUGE_LEN:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .len = 0xffffffffu },
				big, sizeof(big), -1);
		break;
	case FAKE_WRONG_OP:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op + 1, .len = sizeof(stx) },
				&stx, sizeof(stx), -1);
		break;
	case FAKE_BAD_ERRNO:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .result = -100000 },
				NULL, 0, -1);
		break;
	case FAKE_TOO_LONG:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .len = 64, .result = 64 },
				big, 64, -1);
		break;
	case FAKE_SHORT_STATFS:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .len = 10 },
				big, 10, -1);
		break;
	case FAKE_SIZE_TOO_BIG:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .result = XATTR_SIZE_MAX + 1 },
				NULL, 0, -1);
		break;
	case FAKE_SIZE_WITH_DATA:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .len = 8, .result = 8 },
				big, 8, -1);
		break;
	case FAKE_LIST_NO_NUL:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .len = 8, .result = 8 },
				"user.a\0b", 8, -1);
		break;
	case FAKE_EOF:
		gofer_wire_send(a->sock, &(struct gofer_hdr){ .op = hdr.op, .len = sizeof(stx) },
				&stx, 10, -1);
		shutdown(a->sock, SHUT_WR);
		break;
	}
out:
	close(fd1);
	close(fd2);
	/* Keeps the socket open until the client is done, so failures come
	 * from checking, not from EOF. */
	char c;
	while (recv(a->sock, &c, 1, 0) > 0)
		;
	close(a->sock);
	return NULL;
}

static void check_fake(enum fake_mode mode, int (*call)(void))
{
	struct fake_args a = { .mode = mode };
	pthread_t t;
	int sv[2];
	struct statx stx;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	a.sock = sv[1];
	int before = gt_count_fds() - 1;	/* sv[1] goes with the fake */
	gofer_client_init(&gt_client, sv[0]);
	gt_client_up = true;
	cr_assert_eq(pthread_create(&t, NULL, fake_gofer, &a), 0);
	int r = call();
	cr_assert(r == -EPROTO || (mode == FAKE_EOF && r == -ECONNRESET), "mode %d: got %d", mode, r);
	/* The stream is out of step: later calls fail fast, they do not hang. */
	cr_assert_lt(gofer_stat(&gt_client, "file.txt", &stx), 0);
	pthread_join(t, NULL);
	cr_assert_eq(gt_count_fds(), before);
	gofer_client_destroy(&gt_client);
	gt_client_up = false;
}

static int call_open(void)
{
	return gofer_open(&gt_client, "file.txt", O_RDONLY, 0, NULL);
}

static int call_stat(void)
{
	struct statx stx;
	return gofer_stat(&gt_client, "file.txt", &stx);
}

static int call_readlink(void)
{
	char buf[16];
	return gofer_readlink(&gt_client, "link_in", buf, sizeof(buf));
}

static int call_statfs(void)
{
	struct statfs st;
	return gofer_statfs(&gt_client, "file.txt", &st);
}

static int call_getxattr(void)
{
	char buf[16];
	return (int)gofer_getxattr(&gt_client, "file.txt", "user.x", buf, sizeof(buf));
}

static int call_getxattr_size(void)
{
	return (int)gofer_getxattr(&gt_client, "file.txt", "user.x", NULL, 0);
}

static int call_listxattr(void)
{
	char buf[16];
	return (int)gofer_listxattr(&gt_client, "file.txt", buf, sizeof(buf));
}

static int call_listxattr_size(void)
{
	return (int)gofer_listxattr(&gt_client, "file.txt", NULL, 0);
}

static int call_mkdir(void)
{
	struct statx stx;
	return gofer_mkdir(&gt_client, "newdir", 0755, &stx);
}

static int call_symlink(void)
{
	return gofer_symlink(&gt_client, "target", "newlink", NULL);
}

static int call_link(void)
{
	return gofer_link(&gt_client, "file.txt", "newlink", NULL);
}

static int call_unlink(void)
{
	return gofer_unlink(&gt_client, "file.txt", 0);
}

static int call_rename(void)
{
	return gofer_rename(&gt_client, "file.txt", "moved", RENAME_NOREPLACE);
}

static int call_setattr(void)
{
	struct gofer_setattr a = { .mask = GOFER_SETATTR_MODE, .mode = 0600 };
	return gofer_setattr(&gt_client, "file.txt", &a, NULL);
}

Test(gofer, client_refuses_bad_replies)
{
	/* Warm up lazily opened descriptors before counting. */
	gt_count_fds();
	check_fake(FAKE_TWO_FDS, call_open);
	check_fake(FAKE_NO_FD, call_open);
	check_fake(FAKE_FD_ON_ERROR, call_open);
	check_fake(FAKE_FD_ON_ERROR, call_stat);
	check_fake(FAKE_HUGE_LEN, call_stat);
	check_fake(FAKE_WRONG_OP, call_stat);
	check_fake(FAKE_BAD_ERRNO, call_stat);
	check_fake(FAKE_TOO_LONG, call_readlink);
	check_fake(FAKE_EOF, call_stat);
	check_fake(FAKE_SHORT_STATFS, call_statfs);
	check_fake(FAKE_HUGE_LEN, call_getxattr);
	check_fake(FAKE_TOO_LONG, call_getxattr);
	check_fake(FAKE_TOO_LONG, call_listxattr);
	check_fake(FAKE_SIZE_TOO_BIG, call_getxattr_size);
	check_fake(FAKE_SIZE_TOO_BIG, call_listxattr_size);
	check_fake(FAKE_SIZE_WITH_DATA, call_getxattr_size);
	check_fake(FAKE_SIZE_WITH_DATA, call_listxattr_size);
	check_fake(FAKE_LIST_NO_NUL, call_listxattr);
	check_fake(FAKE_FD_ON_ERROR, call_getxattr);
	check_fake(FAKE_WRONG_OP, call_listxattr);
	/* The write path: a statx and no fd, or nothing at all. */
	check_fake(FAKE_TWO_FDS, call_mkdir);
	check_fake(FAKE_SHORT_STATFS, call_mkdir);
	check_fake(FAKE_FD_ON_ERROR, call_symlink);
	check_fake(FAKE_HUGE_LEN, call_link);
	check_fake(FAKE_TOO_LONG, call_unlink);
	check_fake(FAKE_NO_FD, call_unlink);
	check_fake(FAKE_TWO_FDS, call_rename);
	check_fake(FAKE_BAD_ERRNO, call_rename);
	check_fake(FAKE_SHORT_STATFS, call_setattr);
	check_fake(FAKE_WRONG_OP, call_setattr);
	check_fake(FAKE_EOF, call_setattr);
}

Test(gofer, server_gone)
{
	struct statx stx;
	int sock = gt_start_server_raw(false);

	gofer_client_init(&gt_client, sock);
	gt_client_up = true;
	cr_assert_eq(gofer_stat(&gt_client, "file.txt", &stx), 0);
	/* Make the server stop: it owns its end and closes it on return. */
	shutdown(sock, SHUT_WR);
	pthread_join(gt_server_thread, NULL);
	gt_server_up = false;
	cr_assert_eq(gt_sargs.ret, 0);
	cr_assert_lt(gofer_stat(&gt_client, "file.txt", &stx), 0);
	cr_assert_lt(gofer_open(&gt_client, "file.txt", O_RDONLY, 0, NULL), 0);
}
