/* runsc/oci_spec.c: the default spec round-trips; what runc, gVisor and
 * podman write loads; each kind of bad config.json gives its one-line
 * message. Fixtures are in data/ beside this file: data/bad/<name>.json is
 * data/minimal.json with one thing wrong, and bad_cases below says what
 * each must report (every file there must be listed). */
#include "runsc/oci_spec.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define OT_CAP(c) (1ull << (c))

/* CMake compiles this file by its absolute path, so data/ is found from
 * any working directory. */
static void data_path(char *buf, size_t len, const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;

	snprintf(buf, len, "%.*s/data/%s", dir, slash ? __FILE__ : ".", name);
}

static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size, "read %s", path);
	buf[st.st_size] = 0;
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static char *read_fixture(const char *name, size_t *len)
{
	char path[PATH_MAX];

	data_path(path, sizeof(path), name);
	return read_file(path, len);
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert(fd >= 0, "create %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* A new bundle directory under /tmp (with an empty rootfs/ if asked);
 * text, when not NULL, becomes its config.json. */
static void make_bundle(char dir[64], const char *text, size_t len, bool rootfs)
{
	char path[PATH_MAX];

	strcpy(dir, "/tmp/amber-oci-test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	if (rootfs) {
		snprintf(path, sizeof(path), "%s/rootfs", dir);
		cr_assert_eq(mkdir(path, 0755), 0);
	}
	if (text) {
		snprintf(path, sizeof(path), "%s/config.json", dir);
		write_file(path, text, len);
	}
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Parses text, which must be valid. */
static void parse_ok(const char *text, struct oci_spec *s)
{
	char err[512] = "";
	int r = oci_spec_parse(text, strlen(text), s, err, sizeof(err));

	cr_assert_eq(r, 0, "parse: %d %s", r, err);
}

/* Parses text, which must fail with -EINVAL and exactly msg. */
static void parse_bad(const char *text, const char *msg)
{
	struct oci_spec s;
	char err[512] = "";
	int r = oci_spec_parse(text, strlen(text), &s, err, sizeof(err));

	cr_expect_eq(r, -EINVAL, "parse of %s: %d", text, r);
	cr_expect_str_eq(err, msg);
	oci_spec_free(&s);
}

/* A small valid document with `extra` spliced in at the top level. */
#define MINIMAL(extra)                                                                     \
	"{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, " \
	"\"root\": {\"path\": \"rootfs\"}" extra "}"

static size_t strv_index(const struct oci_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->count; i++)
		if (strcmp(sv->v[i], s) == 0)
			return i;
	return (size_t)-1;
}

/* ---- the default spec ---- */

Test(oci_spec, default_round_trips)
{
	static const char *const dests[] = { "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys" };
	static const char *const types[] = { "proc", "tmpfs", "devpts", "tmpfs", "mqueue", "sysfs" };
	char dir[64], path[PATH_MAX], rootfs[PATH_MAX], err[512] = "";
	struct oci_spec s;
	int r;

	make_bundle(dir, NULL, 0, true);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	r = oci_spec_write_default(path, err, sizeof(err));
	cr_assert_eq(r, 0, "write: %d %s", r, err);
	r = oci_spec_load(dir, &s, err, sizeof(err));
	cr_assert_eq(r, 0, "load: %d %s", r, err);

	cr_expect_str_eq(s.oci_version, "1.0.2");
	cr_expect_str_eq(s.bundle, dir);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	cr_expect_str_eq(s.root.path, rootfs);
	cr_expect(s.root.readonly);
	cr_expect(s.process.terminal);
	cr_expect_eq(s.process.args.count, 1);
	cr_expect_str_eq(s.process.args.v[0], "sh");
	cr_expect_null(s.process.args.v[1]);
	cr_expect_eq(s.process.env.count, 2);
	cr_expect_str_eq(s.process.env.v[1], "TERM=xterm");
	cr_expect_str_eq(s.process.cwd, "/");
	cr_expect_eq(s.process.uid, 0);
	cr_expect_eq(s.process.gid, 0);
	cr_expect(s.process.no_new_privileges);
	cr_expect(s.process.has_capabilities);
	cr_expect_eq(s.process.caps.bounding, OT_CAP(CAP_AUDIT_WRITE) | OT_CAP(CAP_KILL) | OT_CAP(CAP_NET_BIND_SERVICE));
	cr_expect_eq(s.process.caps.effective, s.process.caps.bounding);
	cr_expect_eq(s.process.caps.permitted, s.process.caps.bounding);
	cr_expect_eq(s.process.caps.inheritable, 0);
	cr_expect_eq(s.process.caps.ambient, 0);
	cr_expect_eq(s.process.rlimit_count, 1);
	cr_expect_eq(s.process.rlimits[0].resource, RLIMIT_NOFILE);
	cr_expect_eq(s.process.rlimits[0].soft, 1024);
	cr_expect_eq(s.process.rlimits[0].hard, 1024);
	cr_expect_str_eq(s.hostname, "runsc");

	cr_assert_eq(s.mount_count, 6);
	for (size_t i = 0; i < 6; i++) {
		cr_expect_str_eq(s.mounts[i].destination, dests[i]);
		cr_expect_str_eq(s.mounts[i].type, types[i]);
	}
	cr_expect_neq(strv_index(&s.mounts[3].options, "nodev"), (size_t)-1);
	cr_expect_neq(strv_index(&s.mounts[5].options, "ro"), (size_t)-1);

	for (int t = 0; t < OCI_NS_COUNT; t++) {
		bool want = t == OCI_NS_PID || t == OCI_NS_NETWORK || t == OCI_NS_IPC || t == OCI_NS_UTS ||
			    t == OCI_NS_MOUNT;
		cr_expect_eq(s.namespaces[t].present, want, "namespace %s", oci_ns_name(t));
		cr_expect_null(s.namespaces[t].path);
	}
	cr_expect_eq(s.uid_mapping_count, 0);
	cr_expect_eq(s.memory_limit, 0);
	cr_expect_eq(s.pids_limit, 0);
	cr_expect_eq(s.masked_paths.count, 10);
	cr_expect_neq(strv_index(&s.masked_paths, "/proc/kcore"), (size_t)-1);
	cr_expect_eq(s.readonly_paths.count, 5);
	cr_expect_neq(strv_index(&s.readonly_paths, "/proc/sys"), (size_t)-1);
	cr_expect_eq(s.annotation_count, 0);
	for (int k = 0; k < OCI_HOOK_COUNT; k++)
		cr_expect_eq(s.hooks[k].count, 0);

	oci_spec_free(&s);
	remove_tree(dir);
}

Test(oci_spec, default_never_overwrites)
{
	char dir[64], path[PATH_MAX], err[512] = "";
	size_t len;
	char *text;

	make_bundle(dir, "{}", 2, false);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	cr_expect_eq(oci_spec_write_default(path, err, sizeof(err)), -EEXIST);
	text = read_file(path, &len);
	cr_expect_str_eq(text, "{}");
	free(text);

	/* Not through a dangling symlink either. */
	snprintf(path, sizeof(path), "%s/link.json", dir);
	cr_assert_eq(symlink("nowhere.json", path), 0);
	cr_expect_eq(oci_spec_write_default(path, err, sizeof(err)), -EEXIST);
	snprintf(path, sizeof(path), "%s/nowhere.json", dir);
	cr_expect_eq(access(path, F_OK), -1);
	remove_tree(dir);
}

Test(oci_spec, default_in_missing_dir)
{
	char err[512] = "";

	cr_expect_eq(oci_spec_write_default("/nonexistent-amber-dir/config.json", err, sizeof(err)), -ENOENT);
	cr_expect_str_eq(err, "cannot create /nonexistent-amber-dir/config.json: no such file or directory");
}

/* ---- what other tools write ---- */

Test(oci_spec, runc_spec_loads)
{
	char dir[64], err[512] = "";
	struct oci_spec s;
	size_t len;
	char *text = read_fixture("runc_spec.json", &len);
	int r;

	/* Through oci_spec_load, as `runsc create` reads a runc bundle. */
	make_bundle(dir, text, len, true);
	r = oci_spec_load(dir, &s, err, sizeof(err));
	cr_assert_eq(r, 0, "load: %d %s", r, err);
	cr_expect_str_eq(s.oci_version, "1.0.2-dev");
	cr_expect_str_eq(s.hostname, "runc");
	cr_expect(s.process.terminal);
	cr_expect_eq(s.process.caps.ambient, OT_CAP(CAP_AUDIT_WRITE) | OT_CAP(CAP_KILL) | OT_CAP(CAP_NET_BIND_SERVICE));
	cr_expect_eq(s.mount_count, 7);
	cr_expect_str_eq(s.mounts[6].type, "cgroup");
	cr_expect_eq(s.mounts[6].options.count, 5);
	cr_expect(s.namespaces[OCI_NS_UTS].present);
	cr_expect_not(s.namespaces[OCI_NS_USER].present);
	cr_expect_eq(s.masked_paths.count, 10);
	cr_expect_eq(s.readonly_paths.count, 5);
	oci_spec_free(&s);
	remove_tree(dir);
	free(text);
}

Test(oci_spec, gvisor_spec_loads)
{
	struct oci_spec s;
	size_t len;
	char err[512] = "", *text = read_fixture("gvisor_spec.json", &len);
	int r = oci_spec_parse(text, len, &s, err, sizeof(err));

	cr_assert_eq(r, 0, "parse: %d %s", r, err);
	cr_expect_str_eq(s.oci_version, "1.0.0");
	cr_expect_not(s.process.terminal);
	cr_expect_eq(s.process.caps.inheritable, OT_CAP(CAP_AUDIT_WRITE) | OT_CAP(CAP_KILL) | OT_CAP(CAP_NET_BIND_SERVICE));
	cr_expect_eq(s.mount_count, 3);
	cr_expect_null(s.mounts[1].options.v);
	cr_expect_eq(s.masked_paths.count, 0);
	oci_spec_free(&s);
	free(text);
}

Test(oci_spec, podman_spec_loads)
{
	static const int caps[] = { CAP_CHOWN,	     CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID,
				    CAP_KILL,	     CAP_NET_BIND_SERVICE, CAP_SETFCAP, CAP_SETGID,
				    CAP_SETPCAP,     CAP_SETUID,	   CAP_SYS_CHROOT };
	struct oci_spec s;
	uint64_t mask = 0;
	size_t len;
	char err[512] = "", *text = read_fixture("podman_spec.json", &len);
	int r = oci_spec_parse(text, len, &s, err, sizeof(err));

	/* Its seccomp, sysctl, cgroupsPath, devices and cpu are ignored. */
	cr_assert_eq(r, 0, "parse: %d %s", r, err);
	cr_expect_str_eq(s.oci_version, "1.0.2-dev");
	cr_expect_eq(s.process.args.count, 2);
	cr_expect_str_eq(s.process.args.v[0], "/bin/echo");
	cr_expect_str_eq(s.process.args.v[1], "hello");
	cr_expect_eq(s.process.env.count, 5);
	cr_expect(s.process.has_umask);
	cr_expect_eq(s.process.umask, 022);
	cr_assert_eq(s.process.additional_gid_count, 11);
	cr_expect_eq(s.process.additional_gids[10], 27);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		mask |= OT_CAP(caps[i]);
	cr_expect_eq(s.process.caps.bounding, mask);
	cr_expect_eq(s.process.caps.effective, mask);
	cr_expect_eq(s.process.caps.permitted, mask);
	cr_expect_eq(s.process.caps.ambient, 0);
	cr_assert_eq(s.process.rlimit_count, 2);
	cr_expect_eq(s.process.rlimits[0].resource, RLIMIT_NOFILE);
	cr_expect_eq(s.process.rlimits[0].hard, 1048576);
	cr_expect_eq(s.process.rlimits[1].resource, RLIMIT_NPROC);
	cr_expect_eq(s.process.rlimits[1].soft, 4194304);
	cr_expect_not(s.process.no_new_privileges);
	cr_expect_not(s.root.readonly);
	cr_expect_eq(s.root.path[0], '/');
	cr_expect_str_eq(s.hostname, "4f2b9c0d6e1a");

	cr_assert_eq(s.mount_count, 11);
	cr_expect_str_eq(s.mounts[0].destination, "/proc");
	cr_expect_eq(s.mounts[0].options.count, 3);
	cr_expect_str_eq(s.mounts[5].destination, "/etc/hostname");
	cr_expect_str_eq(s.mounts[5].type, "bind");
	cr_expect_str_eq(s.mounts[8].destination, "/dev/shm");
	cr_expect_str_eq(s.mounts[8].options.v[4], "nodev");

	cr_expect(s.namespaces[OCI_NS_CGROUP].present);
	cr_expect(s.namespaces[OCI_NS_NETWORK].present);
	cr_expect_null(s.namespaces[OCI_NS_NETWORK].path);
	cr_expect_not(s.namespaces[OCI_NS_USER].present);
	cr_expect_eq(s.memory_limit, 268435456);
	cr_expect_eq(s.pids_limit, 2048);
	cr_expect_eq(s.masked_paths.count, 11);
	cr_expect_eq(s.readonly_paths.count, 6);

	cr_assert_eq(s.annotation_count, 8);
	cr_expect_str_eq(s.annotations[0].key, "io.container.manager");
	cr_expect_str_eq(oci_spec_annotation(&s, "io.podman.annotations.autoremove"), "TRUE");
	cr_expect_str_eq(oci_spec_annotation(&s, "org.opencontainers.image.stopSignal"), "15");
	cr_expect_null(oci_spec_annotation(&s, "io.podman.annotations.missing"));
	for (int k = 0; k < OCI_HOOK_COUNT; k++)
		cr_expect_eq(s.hooks[k].count, 0);
	oci_spec_free(&s);
	free(text);
}

Test(oci_spec, minimal_fixture_loads)
{
	char dir[64], err[512] = "";
	struct oci_spec s;
	size_t len;
	char *text = read_fixture("minimal.json", &len);
	const struct oci_hook *h;
	int r;

	make_bundle(dir, text, len, true);
	r = oci_spec_load(dir, &s, err, sizeof(err));
	cr_assert_eq(r, 0, "load: %d %s", r, err);
	cr_assert_eq(s.uid_mapping_count, 1);
	cr_expect_eq(s.uid_mappings[0].container_id, 0);
	cr_expect_eq(s.uid_mappings[0].host_id, 100000);
	cr_expect_eq(s.uid_mappings[0].size, 65536);
	cr_expect_eq(s.gid_mapping_count, 1);
	cr_expect_eq(s.memory_limit, 1048576);
	cr_expect_eq(s.pids_limit, 64);
	cr_expect_eq(s.process.additional_gid_count, 2);
	cr_expect_not(s.process.has_umask);
	cr_assert_eq(s.hooks[OCI_HOOK_PRESTART].count, 1);
	h = &s.hooks[OCI_HOOK_PRESTART].items[0];
	cr_expect_str_eq(h->path, "/bin/true");
	cr_expect_str_eq(h->args.v[0], "true");
	cr_expect_null(h->env.v);
	cr_expect_eq(h->timeout, 5);
	oci_spec_free(&s);
	remove_tree(dir);
	free(text);
}

/* ---- bad input, from data/bad/ ---- */

static const struct {
	const char *name;
	const char *msg;
} bad_cases[] = {
	{ "json_missing_comma", "config.json: not valid JSON: object value separator ',' expected at line 16" },
	{ "json_truncated", "config.json: not valid JSON: unexpected end of data at line 17" },
	{ "json_trailing_garbage", "config.json: not valid JSON: unexpected character at line 114" },
	{ "json_comment", "config.json: not valid JSON: unexpected character at line 1" },
	{ "json_trailing_comma", "config.json: not valid JSON: quoted object property name expected at line 41" },
	{ "json_empty", "config.json: not valid JSON: unexpected end of data at line 1" },
	{ "json_too_deep", "config.json: not valid JSON: nesting too deep at line 2" },
	{ "top_level_array", "config.json: expected a JSON object" },
	{ "top_level_null", "config.json: expected a JSON object" },
	{ "version_missing", "config.json: ociVersion: required field is missing" },
	{ "version_2", "config.json: ociVersion: unsupported version \"2.0.0\" (supported: 1.0.x to 1.2.x)" },
	{ "version_1_3", "config.json: ociVersion: unsupported version \"1.3.0\" (supported: 1.0.x to 1.2.x)" },
	{ "version_0_9", "config.json: ociVersion: unsupported version \"0.9.0\" (supported: 1.0.x to 1.2.x)" },
	{ "version_short", "config.json: ociVersion: unsupported version \"1.0\" (supported: 1.0.x to 1.2.x)" },
	{ "version_number", "config.json: ociVersion: expected a string" },
	{ "process_missing", "config.json: process: required field is missing" },
	{ "process_not_object", "config.json: process: expected an object" },
	{ "args_missing", "config.json: process.args: expected a non-empty array of strings" },
	{ "args_empty", "config.json: process.args: expected a non-empty array of strings" },
	{ "args_string", "config.json: process.args: expected a non-empty array of strings" },
	{ "args_number", "config.json: process.args[1]: expected a string" },
	{ "args_nul", "config.json: process.args[0]: contains a NUL byte" },
	{ "env_not_array", "config.json: process.env: expected an array" },
	{ "cwd_missing", "config.json: process.cwd: required field is missing" },
	{ "cwd_relative", "config.json: process.cwd: must be an absolute path" },
	{ "cwd_too_long", "config.json: process.cwd: longer than 4095 bytes" },
	{ "terminal_string", "config.json: process.terminal: expected a boolean" },
	{ "uid_negative", "config.json: process.user.uid: expected a non-negative integer" },
	{ "uid_too_large", "config.json: process.user.uid: 4294967296 is out of range (at most 4294967295)" },
	{ "gid_fraction", "config.json: process.user.gid: expected a non-negative integer" },
	{ "gid_string", "config.json: process.user.gid: expected a non-negative integer" },
	{ "additional_gids_string", "config.json: process.user.additionalGids[1]: expected a non-negative integer" },
	{ "umask_too_large", "config.json: process.user.umask: 512 is out of range (at most 511)" },
	{ "user_not_object", "config.json: process.user: expected an object" },
	{ "rlimits_not_array", "config.json: process.rlimits: expected an array" },
	{ "rlimit_unknown", "config.json: process.rlimits[0].type: unknown resource \"RLIMIT_FOO\"" },
	{ "rlimit_twice", "config.json: process.rlimits[2].type: RLIMIT_NOFILE listed twice" },
	{ "rlimit_soft_above_hard", "config.json: process.rlimits[0]: soft limit 2048 exceeds hard limit 1024" },
	{ "rlimit_hard_missing", "config.json: process.rlimits[0].hard: required field is missing" },
	{ "rlimit_negative", "config.json: process.rlimits[0].soft: expected a non-negative integer" },
	{ "nnp_string", "config.json: process.noNewPrivileges: expected a boolean" },
	{ "caps_not_object", "config.json: process.capabilities: expected an object" },
	{ "caps_unknown", "config.json: process.capabilities.effective[1]: unknown capability \"CAP_FLY\"" },
	{ "caps_lower_case", "config.json: process.capabilities.ambient[0]: unknown capability \"cap_kill\"" },
	{ "caps_not_array", "config.json: process.capabilities.bounding: expected an array" },
	{ "root_missing", "config.json: root: required field is missing" },
	{ "root_path_missing", "config.json: root.path: required field is missing" },
	{ "root_path_empty", "config.json: root.path: must not be empty" },
	{ "root_readonly_string", "config.json: root.readonly: expected a boolean" },
	{ "hostname_too_long", "config.json: hostname: longer than 64 bytes" },
	{ "hostname_number", "config.json: hostname: expected a string" },
	{ "mounts_not_array", "config.json: mounts: expected an array" },
	{ "mount_not_object", "config.json: mounts[0]: expected an object" },
	{ "mount_destination_relative", "config.json: mounts[1].destination: must be an absolute path" },
	{ "mount_destination_missing", "config.json: mounts[1].destination: required field is missing" },
	{ "mount_type_number", "config.json: mounts[0].type: expected a string" },
	{ "mount_options_number", "config.json: mounts[1].options[1]: expected a string" },
	{ "linux_not_object", "config.json: linux: expected an object" },
	{ "namespace_unknown", "config.json: linux.namespaces[2].type: unknown namespace \"foo\"" },
	{ "namespace_twice", "config.json: linux.namespaces[2].type: namespace \"pid\" listed twice" },
	{ "namespace_type_missing", "config.json: linux.namespaces[1].type: required field is missing" },
	{ "namespace_path_relative", "config.json: linux.namespaces[0].path: must be an absolute path" },
	{ "namespaces_not_array", "config.json: linux.namespaces: expected an array" },
	{ "uid_mapping_size_zero", "config.json: linux.uidMappings[0].size: must be at least 1" },
	{ "uid_mapping_wraps", "config.json: linux.uidMappings[0].size: the range goes past id 4294967295" },
	{ "gid_mapping_host_missing", "config.json: linux.gidMappings[0].hostID: required field is missing" },
	{ "memory_limit_string", "config.json: linux.resources.memory.limit: expected an integer" },
	{ "pids_not_object", "config.json: linux.resources.pids: expected an object" },
	{ "masked_path_relative", "config.json: linux.maskedPaths[1]: must be an absolute path" },
	{ "readonly_paths_not_array", "config.json: linux.readonlyPaths: expected an array" },
	{ "annotations_not_object", "config.json: annotations: expected an object" },
	{ "annotation_number", "config.json: annotations[\"org.example.n\"]: expected a string" },
	{ "annotation_empty_key", "config.json: annotations: keys must not be empty" },
	{ "hooks_not_object", "config.json: hooks: expected an object" },
	{ "hook_path_relative", "config.json: hooks.prestart[0].path: must be an absolute path" },
	{ "hook_path_missing", "config.json: hooks.createRuntime[0].path: required field is missing" },
	{ "hook_timeout_zero", "config.json: hooks.poststop[0].timeout: must be greater than zero" },
	{ "hook_args_string", "config.json: hooks.startContainer[0].args: expected an array" },
	{ "hook_not_object", "config.json: hooks.poststart[0]: expected an object" },
};

/* Each fixture through oci_spec_load, in a bundle that has a rootfs, so
 * the message is the one `runsc create` would print. */
Test(oci_spec, bad_inputs)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char name[128], dir[64], err[512] = "";
		struct oci_spec s;
		size_t len;
		char *text;
		int r;

		snprintf(name, sizeof(name), "bad/%s.json", bad_cases[i].name);
		text = read_fixture(name, &len);
		make_bundle(dir, text, len, true);
		r = oci_spec_load(dir, &s, err, sizeof(err));
		cr_expect_eq(r, -EINVAL, "%s: returned %d", name, r);
		cr_expect_str_eq(err, bad_cases[i].msg, "%s", name);
		cr_expect_null(strchr(err, '\n'), "%s", name);
		/* A failed load leaves nothing to free. */
		cr_expect_null(s.process.args.v, "%s", name);
		cr_expect_null(s.oci_version, "%s", name);
		oci_spec_free(&s);
		remove_tree(dir);
		free(text);
	}
}

Test(oci_spec, every_bad_fixture_is_checked)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t files = 0;
	DIR *d;

	data_path(path, sizeof(path), "bad");
	d = opendir(path);
	cr_assert_not_null(d, "%s", path);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name), i;

		if (de->d_name[0] == '.')
			continue;
		files++;
		for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
			if (n == strlen(bad_cases[i].name) + 5 && strncmp(de->d_name, bad_cases[i].name, n - 5) == 0 &&
			    strcmp(de->d_name + n - 5, ".json") == 0)
				break;
		cr_expect_lt(i, sizeof(bad_cases) / sizeof(bad_cases[0]), "%s has no entry in bad_cases", de->d_name);
	}
	closedir(d);
	cr_expect_eq(files, sizeof(bad_cases) / sizeof(bad_cases[0]));
}

/* ---- bounds ---- */

Test(oci_spec, too_many_args)
{
	size_t n = OCI_SPEC_MAX_ARGS + 1, cap = 256 + n * 5;
	char *text = malloc(cap), *p = text;
	struct oci_spec s;
	char err[512] = "";

	cr_assert_not_null(text);
	p += sprintf(p, "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"cwd\": \"/\", \"args\": [");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s\"a\"", i ? "," : "");
	p += sprintf(p, "]}}");
	cr_expect_eq(oci_spec_parse(text, (size_t)(p - text), &s, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "config.json: process.args: more than 4096 entries");

	/* Exactly the bound is fine. */
	p = text;
	p += sprintf(p, "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"cwd\": \"/\", \"args\": [");
	for (size_t i = 0; i < n - 1; i++)
		p += sprintf(p, "%s\"a\"", i ? "," : "");
	p += sprintf(p, "]}}");
	cr_expect_eq(oci_spec_parse(text, (size_t)(p - text), &s, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(s.process.args.count, OCI_SPEC_MAX_ARGS);
	oci_spec_free(&s);
	free(text);
}

Test(oci_spec, too_many_mounts)
{
	size_t n = OCI_SPEC_MAX_MOUNTS + 1, cap = 256 + n * 24;
	char *text = malloc(cap), *p = text;
	struct oci_spec s;
	char err[512] = "";

	cr_assert_not_null(text);
	p += sprintf(p, MINIMAL(", \"mounts\": ["));
	p -= 1;		/* back over MINIMAL's closing brace */
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s{\"destination\": \"/m\"}", i ? "," : "");
	p += sprintf(p, "]}");
	cr_expect_eq(oci_spec_parse(text, (size_t)(p - text), &s, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "config.json: mounts: more than 1024 entries");
	free(text);
}

/* 1 MiB of valid JSON (an unknown field's padding) plus one byte. */
static char *big_config(size_t size)
{
	static const char head[] = MINIMAL(", \"padding\": \"");
	char *text = malloc(size);

	cr_assert_not_null(text);
	memcpy(text, head, sizeof(head) - 2);	/* without the closing brace */
	memset(text + sizeof(head) - 2, 'x', size - (sizeof(head) - 2) - 2);
	memcpy(text + size - 2, "\"}", 2);
	return text;
}

Test(oci_spec, too_large)
{
	char dir[64], err[512] = "";
	struct oci_spec s;
	char *text = big_config(OCI_SPEC_MAX_SIZE + 1);

	cr_expect_eq(oci_spec_parse(text, OCI_SPEC_MAX_SIZE + 1, &s, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "config.json: file is larger than 1 MiB");
	make_bundle(dir, text, OCI_SPEC_MAX_SIZE + 1, true);
	cr_expect_eq(oci_spec_load(dir, &s, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "config.json: file is larger than 1 MiB");
	remove_tree(dir);
	free(text);

	/* 1 MiB exactly is allowed. */
	text = big_config(OCI_SPEC_MAX_SIZE);
	make_bundle(dir, text, OCI_SPEC_MAX_SIZE, true);
	cr_expect_eq(oci_spec_load(dir, &s, err, sizeof(err)), 0, "%s", err);
	oci_spec_free(&s);
	remove_tree(dir);
	free(text);
}

/* ---- what needs the filesystem ---- */

Test(oci_spec, relative_root_resolves_against_bundle)
{
	static const char text[] = MINIMAL("");
	char dir[64], err[512] = "", want[PATH_MAX];
	struct oci_spec s;

	make_bundle(dir, text, sizeof(text) - 1, true);
	/* The bundle named relative to the working directory (criterion runs
	 * each test in its own process, so chdir is private to this one). */
	cr_assert_eq(chdir("/tmp"), 0);
	cr_assert_eq(oci_spec_load(dir + 5, &s, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(s.bundle, dir);
	snprintf(want, sizeof(want), "%s/rootfs", dir);
	cr_expect_str_eq(s.root.path, want);
	oci_spec_free(&s);
	remove_tree(dir);
}

Test(oci_spec, absolute_root)
{
	char dir[64], other[64], text[512], err[512] = "";
	struct oci_spec s;

	make_bundle(other, NULL, 0, false);
	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.1.0\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, "
		 "\"root\": {\"path\": \"%s/\"}}", other);
	make_bundle(dir, text, strlen(text), false);
	cr_assert_eq(oci_spec_load(dir, &s, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(s.root.path, other);
	oci_spec_free(&s);
	remove_tree(dir);
	remove_tree(other);
}

Test(oci_spec, root_missing)
{
	static const char text[] = MINIMAL("");
	char dir[64], err[512] = "", want[512];
	struct oci_spec s;

	make_bundle(dir, text, sizeof(text) - 1, false);
	cr_expect_eq(oci_spec_load(dir, &s, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "config.json: root.path: %s/rootfs does not exist", dir);
	cr_expect_str_eq(err, want);
	cr_expect_null(s.bundle);
	remove_tree(dir);
}

Test(oci_spec, root_not_a_directory)
{
	static const char text[] = MINIMAL("");
	char dir[64], path[PATH_MAX], err[512] = "", want[512];
	struct oci_spec s;

	make_bundle(dir, text, sizeof(text) - 1, false);
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	write_file(path, "", 0);
	cr_expect_eq(oci_spec_load(dir, &s, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "config.json: root.path: %s/rootfs is not a directory", dir);
	cr_expect_str_eq(err, want);
	remove_tree(dir);
}

Test(oci_spec, config_missing)
{
	char dir[64], err[512] = "", want[512];
	struct oci_spec s;

	make_bundle(dir, NULL, 0, true);
	cr_expect_eq(oci_spec_load(dir, &s, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "cannot read %s/config.json: no such file or directory", dir);
	cr_expect_str_eq(err, want);
	remove_tree(dir);
}

Test(oci_spec, config_is_a_directory)
{
	char dir[64], path[PATH_MAX], err[512] = "", want[512];
	struct oci_spec s;

	make_bundle(dir, NULL, 0, true);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	cr_expect_eq(oci_spec_load(dir, &s, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "config.json: %s/config.json is not a regular file", dir);
	cr_expect_str_eq(err, want);
	remove_tree(dir);
}

Test(oci_spec, bundle_missing)
{
	char err[512] = "";
	struct oci_spec s;

	cr_expect_eq(oci_spec_load("/nonexistent-amber-bundle", &s, err, sizeof(err)), -ENOENT);
	cr_expect_str_eq(err, "bundle /nonexistent-amber-bundle: no such file or directory");
}

/* ---- reading rules ---- */

Test(oci_spec, versions)
{
	static const char *const good[] = { "1.0.0", "1.0.2-dev", "1.1.0", "1.1.0+dev", "1.2.0", "1.2.1-rc.1" };
	static const char *const bad[] = { "1.3.0", "2.0.0", "0.1.0", "1.0", "1", "", "v1.0.0", "1.0.0rc1", "1.x.0" };
	char text[512], msg[512];
	struct oci_spec s;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text),
			 "{\"ociVersion\": \"%s\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, \"root\": {\"path\": \"r\"}}",
			 good[i]);
		parse_ok(text, &s);
		cr_expect_str_eq(s.oci_version, good[i]);
		oci_spec_free(&s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "{\"ociVersion\": \"%s\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, \"root\": {\"path\": \"r\"}}",
			 bad[i]);
		snprintf(msg, sizeof(msg),
			 "config.json: ociVersion: unsupported version \"%s\" (supported: 1.0.x to 1.2.x)", bad[i]);
		parse_bad(text, msg);
	}
}

Test(oci_spec, unknown_fields_ignored)
{
	struct oci_spec s;

	parse_ok("{\"ociVersion\": \"1.0.2\", \"future\": {\"a\": [1, 2.5, null]},"
		 " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"consoleSize\": {\"height\": 25, \"width\": 80},"
		 "  \"user\": {\"uid\": 1, \"username\": \"x\"}, \"ioPriority\": {\"class\": \"IOPRIO_CLASS_IDLE\"}},"
		 " \"root\": {\"path\": \"r\", \"x\": 1},"
		 " \"mounts\": [{\"destination\": \"/a\", \"uidMappings\": [], \"x\": true}],"
		 " \"linux\": {\"sysctl\": {\"a\": \"b\"}, \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"},"
		 "  \"namespaces\": [{\"type\": \"pid\", \"x\": 1}], \"intelRdt\": {}, \"personality\": {\"domain\": \"LINUX\"}},"
		 " \"hooks\": {\"createRuntime\": [], \"later\": [{\"path\": \"relative\"}]},"
		 " \"solaris\": {}, \"windows\": {}, \"vm\": {}}",
		 &s);
	cr_expect_eq(s.process.uid, 1);
	cr_expect_eq(s.mount_count, 1);
	cr_expect_null(s.mounts[0].type);
	cr_expect_null(s.mounts[0].source);
	cr_expect_null(s.mounts[0].options.v);
	cr_expect(s.namespaces[OCI_NS_PID].present);
	oci_spec_free(&s);
}

Test(oci_spec, null_means_absent)
{
	struct oci_spec s;

	parse_ok("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"env\": null,"
		 "  \"user\": {\"uid\": null, \"additionalGids\": null}, \"capabilities\": null, \"rlimits\": null},"
		 " \"root\": {\"path\": \"r\", \"readonly\": null}, \"hostname\": null, \"mounts\": null,"
		 " \"linux\": {\"namespaces\": null, \"resources\": {\"memory\": null, \"pids\": {\"limit\": null}}},"
		 " \"annotations\": null, \"hooks\": {\"prestart\": null}}",
		 &s);
	cr_expect_not_null(s.process.env.v);
	cr_expect_eq(s.process.env.count, 0);
	cr_expect_not(s.process.has_capabilities);
	cr_expect_null(s.hostname);
	cr_expect_eq(s.mount_count, 0);
	oci_spec_free(&s);

	parse_bad("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": null}, \"root\": {\"path\": \"r\"}}",
		  "config.json: process.cwd: required field is missing");
	parse_bad("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\", null], \"cwd\": \"/\"}, \"root\": {\"path\": \"r\"}}",
		  "config.json: process.args[1]: expected a string");
	parse_bad(MINIMAL(", \"annotations\": {\"a\": null}"), "config.json: annotations[\"a\"]: expected a string");
}

Test(oci_spec, limits)
{
	struct oci_spec s;

	/* RLIM_INFINITY as Go writes it; -1 and 0 resource limits mean none. */
	parse_ok("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": ["
		 "{\"type\": \"RLIMIT_CORE\", \"soft\": 18446744073709551615, \"hard\": 18446744073709551615},"
		 "{\"type\": \"RLIMIT_RTTIME\", \"soft\": 0, \"hard\": 1}]},"
		 " \"root\": {\"path\": \"r\"}, \"linux\": {\"resources\": {\"memory\": {\"limit\": -1}, \"pids\": {\"limit\": 0}}}}",
		 &s);
	cr_assert_eq(s.process.rlimit_count, 2);
	cr_expect_eq(s.process.rlimits[0].resource, RLIMIT_CORE);
	cr_expect_eq(s.process.rlimits[0].soft, UINT64_MAX);
	cr_expect_eq(s.process.rlimits[0].hard, UINT64_MAX);
	cr_expect_eq(s.process.rlimits[1].resource, RLIMIT_RTTIME);
	cr_expect_eq(s.memory_limit, 0);
	cr_expect_eq(s.pids_limit, 0);
	oci_spec_free(&s);

	parse_ok(MINIMAL(", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 4294967295, \"gid\": 65534, \"umask\": 511}}"),
		 &s);
	cr_expect_eq(s.process.uid, UINT32_MAX);
	cr_expect_eq(s.process.gid, 65534);
	cr_expect_eq(s.process.umask, 0777);
	oci_spec_free(&s);
}

Test(oci_spec, namespaces_and_mappings)
{
	struct oci_spec s;

	parse_ok(MINIMAL(", \"linux\": {\"namespaces\": [{\"type\": \"user\"}, {\"type\": \"network\", \"path\": \"/proc/42/ns/net\"},"
			 " {\"type\": \"cgroup\"}, {\"type\": \"time\"}],"
			 " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}, {\"containerID\": 1, \"hostID\": 1, \"size\": 4294967295}],"
			 " \"gidMappings\": [{\"containerID\": 4294967295, \"hostID\": 0, \"size\": 1}]}"),
		 &s);
	cr_expect(s.namespaces[OCI_NS_USER].present);
	cr_expect(s.namespaces[OCI_NS_TIME].present);
	cr_expect_not(s.namespaces[OCI_NS_PID].present);
	cr_expect_str_eq(s.namespaces[OCI_NS_NETWORK].path, "/proc/42/ns/net");
	cr_assert_eq(s.uid_mapping_count, 2);
	cr_expect_eq(s.uid_mappings[1].size, UINT32_MAX);
	cr_expect_eq(s.gid_mappings[0].container_id, UINT32_MAX);
	oci_spec_free(&s);
}

Test(oci_spec, hooks_of_every_kind)
{
	struct oci_spec s;

	parse_ok(MINIMAL(", \"hooks\": {"
			 "\"prestart\": [{\"path\": \"/a\"}, {\"path\": \"/b\", \"args\": [\"b\", \"1\"], \"env\": [\"X=1\"], \"timeout\": 30}],"
			 "\"createRuntime\": [{\"path\": \"/c\"}], \"createContainer\": [{\"path\": \"/d\"}],"
			 "\"startContainer\": [{\"path\": \"/e\"}], \"poststart\": [{\"path\": \"/f\"}], \"poststop\": [{\"path\": \"/g\"}]}"),
		 &s);
	cr_assert_eq(s.hooks[OCI_HOOK_PRESTART].count, 2);
	cr_expect_eq(s.hooks[OCI_HOOK_PRESTART].items[0].timeout, 0);
	cr_expect_null(s.hooks[OCI_HOOK_PRESTART].items[0].args.v);
	cr_expect_eq(s.hooks[OCI_HOOK_PRESTART].items[1].args.count, 2);
	cr_expect_str_eq(s.hooks[OCI_HOOK_PRESTART].items[1].env.v[0], "X=1");
	cr_expect_eq(s.hooks[OCI_HOOK_PRESTART].items[1].timeout, 30);
	for (int k = OCI_HOOK_CREATE_RUNTIME; k < OCI_HOOK_COUNT; k++) {
		char want[3] = { '/', (char)('c' + k - 1), 0 };
		cr_assert_eq(s.hooks[k].count, 1, "%s", oci_hook_name(k));
		cr_expect_str_eq(s.hooks[k].items[0].path, want, "%s", oci_hook_name(k));
	}
	oci_spec_free(&s);
	cr_expect_str_eq(oci_hook_name(OCI_HOOK_CREATE_CONTAINER), "createContainer");
	cr_expect_null(oci_hook_name(OCI_HOOK_COUNT));
}

/* The names match the host's headers, which match the kernel. */
Test(oci_spec, capability_and_rlimit_names)
{
#define CHECK_CAP(c) cr_expect_str_eq(oci_cap_name(c), #c)
	CHECK_CAP(CAP_CHOWN); CHECK_CAP(CAP_DAC_OVERRIDE); CHECK_CAP(CAP_DAC_READ_SEARCH);
	CHECK_CAP(CAP_FOWNER); CHECK_CAP(CAP_FSETID); CHECK_CAP(CAP_KILL); CHECK_CAP(CAP_SETGID);
	CHECK_CAP(CAP_SETUID); CHECK_CAP(CAP_SETPCAP); CHECK_CAP(CAP_LINUX_IMMUTABLE);
	CHECK_CAP(CAP_NET_BIND_SERVICE); CHECK_CAP(CAP_NET_BROADCAST); CHECK_CAP(CAP_NET_ADMIN);
	CHECK_CAP(CAP_NET_RAW); CHECK_CAP(CAP_IPC_LOCK); CHECK_CAP(CAP_IPC_OWNER); CHECK_CAP(CAP_SYS_MODULE);
	CHECK_CAP(CAP_SYS_RAWIO); CHECK_CAP(CAP_SYS_CHROOT); CHECK_CAP(CAP_SYS_PTRACE); CHECK_CAP(CAP_SYS_PACCT);
	CHECK_CAP(CAP_SYS_ADMIN); CHECK_CAP(CAP_SYS_BOOT); CHECK_CAP(CAP_SYS_NICE); CHECK_CAP(CAP_SYS_RESOURCE);
	CHECK_CAP(CAP_SYS_TIME); CHECK_CAP(CAP_SYS_TTY_CONFIG); CHECK_CAP(CAP_MKNOD); CHECK_CAP(CAP_LEASE);
	CHECK_CAP(CAP_AUDIT_WRITE); CHECK_CAP(CAP_AUDIT_CONTROL); CHECK_CAP(CAP_SETFCAP);
	CHECK_CAP(CAP_MAC_OVERRIDE); CHECK_CAP(CAP_MAC_ADMIN); CHECK_CAP(CAP_SYSLOG); CHECK_CAP(CAP_WAKE_ALARM);
	CHECK_CAP(CAP_BLOCK_SUSPEND); CHECK_CAP(CAP_AUDIT_READ); CHECK_CAP(CAP_PERFMON); CHECK_CAP(CAP_BPF);
	CHECK_CAP(CAP_CHECKPOINT_RESTORE);
#undef CHECK_CAP
	cr_expect_null(oci_cap_name(CAP_LAST_CAP + 1));
	cr_expect_null(oci_cap_name(-1));

#define CHECK_RLIMIT(r) cr_expect_str_eq(oci_rlimit_name(r), #r)
	CHECK_RLIMIT(RLIMIT_CPU); CHECK_RLIMIT(RLIMIT_FSIZE); CHECK_RLIMIT(RLIMIT_DATA);
	CHECK_RLIMIT(RLIMIT_STACK); CHECK_RLIMIT(RLIMIT_CORE); CHECK_RLIMIT(RLIMIT_RSS);
	CHECK_RLIMIT(RLIMIT_NPROC); CHECK_RLIMIT(RLIMIT_NOFILE); CHECK_RLIMIT(RLIMIT_MEMLOCK);
	CHECK_RLIMIT(RLIMIT_AS); CHECK_RLIMIT(RLIMIT_LOCKS); CHECK_RLIMIT(RLIMIT_SIGPENDING);
	CHECK_RLIMIT(RLIMIT_MSGQUEUE); CHECK_RLIMIT(RLIMIT_NICE); CHECK_RLIMIT(RLIMIT_RTPRIO);
	CHECK_RLIMIT(RLIMIT_RTTIME);
#undef CHECK_RLIMIT
	cr_expect_null(oci_rlimit_name(RLIM_NLIMITS));

	for (int t = 0; t < OCI_NS_COUNT; t++)
		cr_expect_not_null(oci_ns_name(t));
	cr_expect_str_eq(oci_ns_name(OCI_NS_NETWORK), "network");
	cr_expect_null(oci_ns_name(OCI_NS_COUNT));
}

Test(oci_spec, messages_stay_on_one_line)
{
	/* A value with a newline and a very long one, quoted in messages. */
	parse_bad(MINIMAL(", \"linux\": {\"namespaces\": [{\"type\": \"a\\nb\"}]}"),
		  "config.json: linux.namespaces[0].type: unknown namespace \"a?b\"");
	parse_bad(MINIMAL(", \"linux\": {\"namespaces\": [{\"type\": "
			  "\"0123456789012345678901234567890123456789012345678901234567890123456789\"}]}"),
		  "config.json: linux.namespaces[0].type: unknown namespace "
		  "\"0123456789012345678901234567890123456789012345678901234567890123\"...");
	parse_bad(MINIMAL(", \"annotations\": {\"a\\nb\": 1}"), "config.json: annotations[\"a?b\"]: expected a string");
}

Test(oci_spec, input_needs_no_nul)
{
	static const char text[] = MINIMAL("") "garbage that is not part of the document";
	char err[512] = "";
	struct oci_spec s;

	cr_expect_eq(oci_spec_parse(text, sizeof(MINIMAL("")) - 1, &s, err, sizeof(err)), 0, "%s", err);
	oci_spec_free(&s);
	cr_expect_eq(oci_spec_parse(text, sizeof(text) - 1, &s, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "config.json: not valid JSON: unexpected character at line 1");

	/* An embedded NUL is not the end of the document. */
	cr_expect_eq(oci_spec_parse("{}\0{}", 5, &s, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "config.json: not valid JSON: NUL byte at line 1");
}

Test(oci_spec, error_sink_sizes)
{
	static const char text[] = "{\"ociVersion\": 1}";
	char small[16];
	struct oci_spec s;

	memset(small, 'x', sizeof(small));
	cr_expect_eq(oci_spec_parse(text, sizeof(text) - 1, &s, small, sizeof(small)), -EINVAL);
	cr_expect_str_eq(small, "config.json: oc");
	cr_expect_eq(oci_spec_parse(text, sizeof(text) - 1, &s, NULL, 0), -EINVAL);
}

Test(oci_spec, free_is_idempotent)
{
	struct oci_spec s;

	parse_ok(MINIMAL(", \"mounts\": [{\"destination\": \"/a\", \"options\": [\"ro\"]}], \"annotations\": {\"k\": \"v\"}"), &s);
	oci_spec_free(&s);
	oci_spec_free(&s);
	memset(&s, 0, sizeof(s));
	oci_spec_free(&s);
}
