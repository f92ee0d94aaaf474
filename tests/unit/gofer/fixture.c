/* The gofer tests' shared fixture; see gofer_test.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tests/unit/gofer/gofer_test.h"
#include "gofer/proto.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

char gt_root_path[] = "/tmp/amber-gofer-test.XXXXXX";
int gt_root_fd = -1;
struct gofer_client gt_client;
bool gt_client_up;

struct gt_server_args gt_sargs;
pthread_t gt_server_thread;
bool gt_server_up;

void gt_write_file(const char *name, const char *data)
{
	int fd = openat(gt_root_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert(fd >= 0, "create %s: %s", name, strerror(errno));
	cr_assert_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void make_tree(void)
{
	cr_assert_not_null(mkdtemp(gt_root_path));
	gt_root_fd = open(gt_root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert(gt_root_fd >= 0);
	gt_write_file("file.txt", "hello gofer\n");
	cr_assert_eq(mkdirat(gt_root_fd, "dir", 0755), 0);
	gt_write_file("dir/inner.txt", "inner\n");
	cr_assert_eq(symlinkat("file.txt", gt_root_fd, "link_in"), 0);
	cr_assert_eq(symlinkat("dir", gt_root_fd, "link_dir"), 0);
	cr_assert_eq(symlinkat("../../etc", gt_root_fd, "link_out"), 0);
	cr_assert_eq(symlinkat("/etc/passwd", gt_root_fd, "link_abs"), 0);
	cr_assert_eq(mkfifoat(gt_root_fd, "fifo", 0644), 0);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void *server_main(void *arg)
{
	struct gt_server_args *a = arg;

	a->ret = gofer_serve(a->sock, a->root_fd, a->readonly);
	close(a->sock);
	return NULL;
}

int gt_start_server_raw_at(int root, bool readonly)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	gt_sargs = (struct gt_server_args){ .sock = sv[1], .root_fd = root,
					    .readonly = readonly, .ret = 1 };
	cr_assert_eq(pthread_create(&gt_server_thread, NULL, server_main, &gt_sargs), 0);
	gt_server_up = true;
	return sv[0];
}

int gt_start_server_raw(bool readonly)
{
	return gt_start_server_raw_at(gt_root_fd, readonly);
}

void gt_start_server(bool readonly)
{
	gofer_client_init(&gt_client, gt_start_server_raw(readonly));
	gt_client_up = true;
}

int gt_stop_server(void)
{
	if (gt_client_up) {
		gofer_client_destroy(&gt_client);
		gt_client_up = false;
	}
	if (gt_server_up) {
		pthread_join(gt_server_thread, NULL);
		gt_server_up = false;
	}
	return gt_sargs.ret;
}

void gt_setup(void)
{
	make_tree();
}

void gt_teardown(void)
{
	gt_stop_server();
	if (gt_root_fd >= 0)
		close(gt_root_fd);
	nftw(gt_root_path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int gt_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

void gt_send_raw(int sock, const void *buf, size_t len)
{
	cr_assert_eq(send(sock, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

int gt_expect_server_error(int sock)
{
	struct gofer_hdr hdr;
	ssize_t n = recv(sock, &hdr, sizeof(hdr), MSG_WAITALL);

	if (n == (ssize_t)sizeof(hdr)) {
		cr_assert_eq(hdr.result, -EPROTO);
		cr_assert_eq(hdr.len, 0);
	}
	pthread_join(gt_server_thread, NULL);
	gt_server_up = false;
	close(sock);
	return gt_sargs.ret;
}
