/* config.json, the OCI runtime specification's container configuration,
 * read into one struct. oci_spec.c is the only code that reads it.
 *
 * What is kept is what Amber acts on; every other field is ignored, as
 * the specification says unknown fields must be. A known field of the
 * wrong type, a value out of range or a list longer than the bounds below
 * is an error whose message names the field by its JSON path. JSON null
 * reads as absent, as it does for runc's Go decoder. */
#ifndef AMBER_RUNSC_OCI_SPEC_H
#define AMBER_RUNSC_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on config.json; anything larger is rejected. */
#define OCI_SPEC_MAX_SIZE	(1u << 20)	/* bytes of config.json */
#define OCI_SPEC_MAX_ARGS	4096		/* process.args, a hook's args */
#define OCI_SPEC_MAX_ENV	4096		/* process.env, a hook's env */
#define OCI_SPEC_MAX_GIDS	65536		/* additionalGids: NGROUPS_MAX */
#define OCI_SPEC_MAX_RLIMITS	16		/* one per RLIMIT_*, no repeats */
#define OCI_SPEC_MAX_MOUNTS	1024
#define OCI_SPEC_MAX_OPTIONS	256		/* options of one mount */
#define OCI_SPEC_MAX_ID_MAPS	340		/* the kernel's limit per map */
#define OCI_SPEC_MAX_PATHS	1024		/* maskedPaths, readonlyPaths */
#define OCI_SPEC_MAX_ANNOTATIONS 4096
#define OCI_SPEC_MAX_HOOKS	256		/* hooks of one kind */
#define OCI_SPEC_MAX_HOSTNAME	64		/* HOST_NAME_MAX */
#define OCI_SPEC_MAX_DEPTH	32		/* JSON nesting */
/* Every path is shorter than PATH_MAX (4096) bytes. */

/* A JSON array of strings. v is NULL-terminated (v[count] == NULL); it is
 * NULL only where the field was absent, and never for process.args and
 * process.env. */
struct oci_strv {
	char **v;
	size_t count;
};

struct oci_rlimit {
	int resource;			/* RLIMIT_*, as setrlimit(2) numbers it */
	uint64_t soft;
	uint64_t hard;			/* soft <= hard */
};

/* Capability sets as masks: bit n is capability n (CAP_KILL is 1 << 5). */
struct oci_caps {
	uint64_t bounding;
	uint64_t effective;
	uint64_t inheritable;
	uint64_t permitted;
	uint64_t ambient;
};

struct oci_process {
	bool terminal;
	uint32_t uid;
	uint32_t gid;
	uint32_t *additional_gids;	/* NULL when none */
	size_t additional_gid_count;
	bool has_umask;
	uint32_t umask;			/* user.umask, at most 0777 */
	struct oci_strv args;		/* count >= 1 */
	struct oci_strv env;
	char *cwd;			/* absolute */
	struct oci_rlimit rlimits[OCI_SPEC_MAX_RLIMITS];
	size_t rlimit_count;
	bool no_new_privileges;
	bool has_capabilities;		/* process.capabilities was present */
	struct oci_caps caps;
};

struct oci_root {
	/* As written in config.json after oci_spec_parse; after
	 * oci_spec_load, the absolute path with symlinks resolved (a relative
	 * root is taken from the bundle directory), known to be a directory. */
	char *path;
	bool readonly;
};

struct oci_mount {
	char *destination;		/* absolute */
	char *type;			/* NULL when absent */
	char *source;			/* NULL when absent */
	struct oci_strv options;
};

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT
};

struct oci_namespace {
	bool present;			/* listed in linux.namespaces */
	char *path;			/* join this one; NULL: create a new one */
};

struct oci_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;			/* >= 1; neither range wraps past 2^32 */
};

struct oci_annotation {
	char *key;			/* not empty */
	char *value;
};

struct oci_hook {
	char *path;			/* absolute */
	struct oci_strv args;
	struct oci_strv env;
	unsigned int timeout;		/* seconds; 0 when absent */
};

/* The points at which hooks run, in the order the runtime spec lists them. */
enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_COUNT
};

struct oci_hook_list {
	struct oci_hook *items;		/* NULL when none */
	size_t count;
};

struct oci_spec {
	char *oci_version;		/* 1.0.x, 1.1.x or 1.2.x */
	char *bundle;			/* absolute; set by oci_spec_load only */
	struct oci_process process;
	struct oci_root root;
	char *hostname;			/* NULL when absent */
	struct oci_mount *mounts;	/* in config.json's order */
	size_t mount_count;

	/* linux.* */
	struct oci_namespace namespaces[OCI_NS_COUNT];	/* indexed by type */
	struct oci_id_mapping *uid_mappings;
	size_t uid_mapping_count;
	struct oci_id_mapping *gid_mappings;
	size_t gid_mapping_count;
	/* linux.resources: 0 means no limit (absent, or <= 0 in config.json,
	 * as runc reads -1 for memory and 0 or -1 for pids). */
	uint64_t memory_limit;		/* bytes */
	uint64_t pids_limit;
	struct oci_strv masked_paths;		/* each absolute */
	struct oci_strv readonly_paths;		/* each absolute */

	struct oci_annotation *annotations;	/* in config.json's order */
	size_t annotation_count;
	struct oci_hook_list hooks[OCI_HOOK_COUNT];
};

/* Reads and checks bundle_dir/config.json into *out (which the caller
 * owns afterwards and releases with oci_spec_free), and checks what needs
 * the filesystem: root.path must be a directory. Borrows bundle_dir.
 * Returns 0, -EINVAL for a bad config.json, or -errno when it cannot be
 * read; on error *out holds nothing and err one line naming the problem. */
int oci_spec_load(const char *bundle_dir, struct oci_spec *out, char *err, size_t errlen);

/* Parses len bytes of config.json text (no NUL needed) into *out, as
 * oci_spec_load does but without looking at the filesystem. Borrows
 * json_text. Returns 0, -EINVAL or -ENOMEM; on error *out holds nothing
 * and err one line. */
int oci_spec_parse(const char *json_text, size_t len, struct oci_spec *out, char *err, size_t errlen);

/* Releases everything *s owns and zeroes it; safe on a zeroed struct and
 * twice. */
void oci_spec_free(struct oci_spec *s);

/* Creates path holding the default config.json that `runsc spec` writes:
 * "sh" on a terminal, a read-only root "rootfs", the usual mounts, masked
 * and read-only paths and new pid, network, ipc, uts and mount namespaces.
 * Never replaces a file: returns -EEXIST if path exists. Returns 0 or
 * -errno, with one line in err on error. */
int oci_spec_write_default(const char *path, char *err, size_t errlen);

/* The names config.json uses: "pid", "RLIMIT_NOFILE", "CAP_KILL",
 * "prestart". Static strings; NULL for a value out of range. */
const char *oci_ns_name(enum oci_ns_type type);
const char *oci_rlimit_name(int resource);
const char *oci_cap_name(int cap);
const char *oci_hook_name(enum oci_hook_kind kind);

/* The value of annotation key, or NULL. Borrows both; the result lives as
 * long as *s. */
/* True when m lists option opt. */
bool oci_mount_has_option(const struct oci_mount *m, const char *opt);
/* True for a bind mount: type "bind", or a "bind"/"rbind" option. */
bool oci_mount_is_bind(const struct oci_mount *m);
const char *oci_spec_annotation(const struct oci_spec *s, const char *key);

#endif
