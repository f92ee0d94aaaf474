#include "runsc/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int find_host(const struct oci_id_mapping *m, size_t n, uint32_t *ns_id, uint32_t *host_id)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].container_id == 0) {
			*ns_id = 0;
			*host_id = m[i].host_id;
			return 0;
		}
	*ns_id = m[0].container_id;
	*host_id = m[0].host_id;
	return 0;
}

int userns_wanted(const struct oci_spec *s, struct userns_ids *ids, char *err, size_t errlen)
{
	if (!s->namespaces[OCI_NS_USER].present)
		return 0;
	if (s->namespaces[OCI_NS_USER].path) {
		snprintf(err, errlen, "config.json: linux.namespaces: joining a user namespace by path is not supported");
		return -EINVAL;
	}
	if (!s->uid_mapping_count || !s->gid_mapping_count) {
		snprintf(err, errlen, "config.json: linux.%s: a user namespace needs uid and gid mappings",
			 s->uid_mapping_count ? "gidMappings" : "uidMappings");
		return -EINVAL;
	}
	find_host(s->uid_mappings, s->uid_mapping_count, &ids->ns_uid, &ids->host_uid);
	find_host(s->gid_mappings, s->gid_mapping_count, &ids->ns_gid, &ids->host_gid);
	return 1;
}

static int write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n)
{
	char path[64], text[4096];
	size_t len = 0;
	int fd, err = 0;

	for (size_t i = 0; i < n; i++) {
		int k = snprintf(text + len, sizeof(text) - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
				 m[i].size);
		if (k < 0 || (size_t)k >= sizeof(text) - len)
			return -E2BIG;
		len += (size_t)k;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The kernel takes the whole map in one write or refuses it. */
	if (write(fd, text, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	return err;
}

int userns_write_maps(pid_t pid, const struct oci_spec *s, char *err, size_t errlen)
{
	int r = write_map(pid, "uid_map", s->uid_mappings, s->uid_mapping_count);

	if (r < 0) {
		snprintf(err, errlen, "config.json: linux.uidMappings: cannot be applied: %s", strerror(-r));
		return r;
	}
	r = write_map(pid, "gid_map", s->gid_mappings, s->gid_mapping_count);
	if (r < 0) {
		snprintf(err, errlen, "config.json: linux.gidMappings: cannot be applied: %s", strerror(-r));
		return r;
	}
	return 0;
}

int userns_enter(int ready_fd, int sync_fd, uint32_t uid, uint32_t gid)
{
	static const char line[] = "userns\n";
	char reply[3];

	if (unshare(CLONE_NEWUSER) < 0)
		return -errno;
	if (write(ready_fd, line, sizeof(line) - 1) != (ssize_t)(sizeof(line) - 1))
		return -EPIPE;
	if (read(sync_fd, reply, sizeof(reply)) != 2 || memcmp(reply, "ok", 2) != 0)
		return -ECANCELED;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	return 0;
}
