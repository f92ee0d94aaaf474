#include "runsc/control.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Messages are a 4-byte length then JSON text. */
static int send_msg(int fd, const char *text)
{
	uint32_t len = (uint32_t)strlen(text);
	size_t off = 0;

	if (len > CONTROL_MSG_MAX)
		return -EMSGSIZE;
	if (send(fd, &len, sizeof(len), MSG_NOSIGNAL) != sizeof(len))
		return -EIO;
	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		off += (size_t)n;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = recv(fd, (char *)buf + off, len - off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		off += (size_t)n;
	}
	return 0;
}

static int recv_msg(int fd, struct json_object **out)
{
	uint32_t len;
	char *buf;
	int err = recv_all(fd, &len, sizeof(len));

	if (err < 0)
		return err;
	if (len == 0 || len > CONTROL_MSG_MAX)
		return -EPROTO;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	err = recv_all(fd, buf, len);
	if (err == 0) {
		buf[len] = 0;
		*out = json_tokener_parse(buf);
		if (!*out)
			err = -EPROTO;
	}
	free(buf);
	return err;
}

/* Fills sa for path. A path longer than sun_path (Docker's state roots
 * are deep) goes through /proc/self/fd/N of its directory, opened into
 * *dirfd, which the caller closes after bind or connect. */
static int socket_addr(const char *path, struct sockaddr_un *sa, int *dirfd)
{
	const char *slash;
	char dir[PATH_MAX];

	*dirfd = -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) < sizeof(sa->sun_path)) {
		strcpy(sa->sun_path, path);
		return 0;
	}
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return -errno;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d%s", *dirfd, slash) >=
	    sizeof(sa->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		return -ENAMETOOLONG;
	}
	return 0;
}

int control_call(const char *sock_path, struct json_object *req, struct json_object **resp, char *err,
		 size_t errlen)
{
	struct sockaddr_un sa;
	struct json_object *e;
	int fd, dirfd, r = socket_addr(sock_path, &sa, &dirfd);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		if (dirfd >= 0)
			close(dirfd);
		return r;
	}
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	if (dirfd >= 0)
		close(dirfd);
	if (r < 0) {
		close(fd);
		return r;
	}
	r = send_msg(fd, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	if (r == 0)
		r = recv_msg(fd, resp);
	close(fd);
	if (r == 0 && json_object_object_get_ex(*resp, "error", &e)) {
		snprintf(err, errlen, "%s", json_object_get_string(e));
		json_object_put(*resp);
		*resp = NULL;
		r = -EIO;
	}
	return r;
}

struct conn {
	int fd;
	control_handler handler;
	void *arg;
};

static void *serve_conn(void *p)
{
	struct conn *c = p;
	struct json_object *req = NULL, *resp;

	if (recv_msg(c->fd, &req) == 0) {
		resp = c->handler(req, c->arg, c->fd);
		if (resp) {
			send_msg(c->fd, json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
			json_object_put(resp);
		}
		json_object_put(req);
	}
	close(c->fd);
	free(c);
	return NULL;
}

struct listener {
	int fd;
	control_handler handler;
	void *arg;
};

static void *accept_loop(void *p)
{
	struct listener *l = p;

	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		struct conn *c;
		pthread_t th;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->handler = l->handler;
		c->arg = l->arg;
		if (pthread_create(&th, NULL, serve_conn, c) != 0) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(th);
	}
	return NULL;
}

int control_serve(const char *sock_path, control_handler handler, void *arg)
{
	struct sockaddr_un sa;
	struct listener *l;
	pthread_t th;
	int dirfd, err = socket_addr(sock_path, &sa, &dirfd);

	if (err < 0)
		return err;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->handler = handler;
	l->arg = arg;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		err = -errno;
		goto err_free;
	}
	unlink(sock_path);
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(sock_path, 0600) < 0 || listen(l->fd, 16) < 0) {
		err = -errno;
		goto err_close;
	}
	if (dirfd >= 0)
		close(dirfd);
	dirfd = -1;
	if (pthread_create(&th, NULL, accept_loop, l) != 0) {
		err = -EAGAIN;
		goto err_close;
	}
	pthread_detach(th);
	return 0;
err_close:
	close(l->fd);
err_free:
	if (dirfd >= 0)
		close(dirfd);
	free(l);
	return err;
}

/* ---- long conversations (checkpoint): the same framing, plus raw bytes
 * and one fd passed with SCM_RIGHTS ---- */

int control_connect(const char *sock_path)
{
	struct sockaddr_un sa;
	int fd, dirfd, r = socket_addr(sock_path, &sa, &dirfd);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		r = -errno;
	else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
	} else
		r = fd;
	if (dirfd >= 0)
		close(dirfd);
	return r;
}

int control_send(int fd, struct json_object *msg)
{
	return send_msg(fd, json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
}

int control_recv(int fd, struct json_object **msg)
{
	return recv_msg(fd, msg);
}

int control_send_raw(int fd, const void *buf, size_t len, int passfd)
{
	size_t off = 0;

	if (passfd >= 0) {
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { (void *)buf, len ? len : 1 };
		char zero = 0;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		ssize_t n;

		if (!len)
			iov.iov_base = &zero;
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n <= 0)
			return -EIO;
		off = len ? (size_t)n : len;
	}
	while (off < len) {
		ssize_t n = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		off += (size_t)n;
	}
	return 0;
}

int control_recv_raw(int fd, void *buf, size_t len, int *passfd)
{
	size_t off = 0;

	if (passfd) {
		char cbuf[CMSG_SPACE(sizeof(int))];
		char zero;
		struct iovec iov = { len ? buf : &zero, len ? len : 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		cm = CMSG_FIRSTHDR(&mh);
		if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
			return -EPROTO;
		memcpy(passfd, CMSG_DATA(cm), sizeof(int));
		off = len ? (size_t)n : 0;
	}
	return off < len ? recv_all(fd, (char *)buf + off, len - off) : 0;
}
