#include "runsc/state_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int state_check_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > CONTAINER_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '+' || c == '-' || c == '.'))
			return -EINVAL;
	}
	return 0;
}

int state_dir_path(const char *root, const char *id, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s/%s", root, id) >= size ? -ENAMETOOLONG : 0;
}

int state_socket_path(const char *root, const char *id, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s/%s/sandbox.sock", root, id) >= size ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int state_create_dir(const char *root, const char *id)
{
	char dir[PATH_MAX];
	int err = mkdir_p(root, 0711);

	if (err < 0)
		return err;
	err = state_dir_path(root, id, dir, sizeof(dir));
	if (err < 0)
		return err;
	return mkdir(dir, 0711) < 0 ? -errno : 0;
}

int state_remove(const char *root, const char *id)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = state_dir_path(root, id, dir, sizeof(dir));

	if (err < 0)
		return err;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path) &&
		    unlink(path) < 0 && errno == EISDIR)
			rmdir(path);	/* the sentry's (empty) root mount point */
	}
	closedir(d);
	return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

int state_save(const char *root, const struct container_state *st)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct json_object *o = json_object_new_object();
	const char *text;
	int fd, err = 0;
	size_t len;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "sentry_pid", json_object_new_int(st->sentry_pid));
	json_object_object_add(o, "sentry_start", json_object_new_uint64(st->sentry_start));
	json_object_object_add(o, "gofer_pid", json_object_new_int(st->gofer_pid));
	json_object_object_add(o, "gofer_start", json_object_new_uint64(st->gofer_start));
	json_object_object_add(o, "created", json_object_new_int64(st->created));
	if (st->annotations_json) {
		struct json_object *a = json_tokener_parse(st->annotations_json);
		if (a)
			json_object_object_add(o, "annotations", a);
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/state.json", root, st->id) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/%s/.state.json.tmp", root, st->id) >= sizeof(tmp)) {
		json_object_put(o);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
	} else {
		if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
			err = errno ? -errno : -EIO;
		close(fd);
		if (err == 0 && rename(tmp, path) < 0)
			err = -errno;
		if (err < 0)
			unlink(tmp);
	}
	json_object_put(o);
	return err;
}

int state_load(const char *root, const char *id, struct container_state *st)
{
	char path[PATH_MAX], buf[65536];
	struct json_object *o, *v;
	ssize_t n;
	int fd;

	memset(st, 0, sizeof(*st));
	if (state_check_id(id) < 0)
		return -ENOENT;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/state.json", root, id) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	o = json_tokener_parse(buf);
	if (!o)
		return -EINVAL;
	snprintf(st->id, sizeof(st->id), "%s", id);
	if (json_object_object_get_ex(o, "bundle", &v))
		snprintf(st->bundle, sizeof(st->bundle), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "sentry_pid", &v))
		st->sentry_pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "sentry_start", &v))
		st->sentry_start = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "gofer_pid", &v))
		st->gofer_pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "gofer_start", &v))
		st->gofer_start = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "created", &v))
		st->created = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "annotations", &v))
		st->annotations_json = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (st->sentry_pid <= 0) {
		state_free(st);
		return -EINVAL;
	}
	return 0;
}

void state_free(struct container_state *st)
{
	free(st->annotations_json);
	st->annotations_json = NULL;
}

int state_load_exit(const char *root, const char *id, int *wait_status)
{
	char path[PATH_MAX], text[32];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/exit", root, id) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	/* Empty until the sentry has written it; complete with the newline. */
	if (n <= 0 || text[n - 1] != '\n')
		return -ENOENT;
	text[n] = 0;
	*wait_status = atoi(text);
	return 0;
}

uint64_t proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* The command name may hold spaces and parentheses: fields count
	 * from the last ')'. starttime is field 22. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p += 2;
	if (p[0] == 'Z' || p[0] == 'X')
		return 0;	/* a zombie has exited already */
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}

bool proc_alive(pid_t pid, uint64_t start)
{
	return pid > 0 && start && proc_start_time(pid) == start;
}
