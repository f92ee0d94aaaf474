/* config.json: read with json-c, checked, and copied into struct oci_spec;
 * and the default config.json that `runsc spec` writes. See oci_spec.h.
 *
 * The checks are the ones runc and the runtime spec make (a repeated
 * namespace or rlimit type, an unknown capability, a hook timeout of zero
 * are errors), except where noted. Each parse_* function reads one object
 * of the spec; it is given the JSON path of that object so every error
 * can name the field it is about. */
#include "runsc/oci_spec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define JPATH_LEN 256		/* a JSON path in a message; longer ones are cut */
#define QUOTE_MAX 64		/* bytes of a value quoted in a message */

static const char *const ns_names[OCI_NS_COUNT] = {
	[OCI_NS_PID] = "pid",
	[OCI_NS_NETWORK] = "network",
	[OCI_NS_MOUNT] = "mount",
	[OCI_NS_IPC] = "ipc",
	[OCI_NS_UTS] = "uts",
	[OCI_NS_USER] = "user",
	[OCI_NS_CGROUP] = "cgroup",
	[OCI_NS_TIME] = "time",
};

static const char *const hook_names[OCI_HOOK_COUNT] = {
	[OCI_HOOK_PRESTART] = "prestart",
	[OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[OCI_HOOK_START_CONTAINER] = "startContainer",
	[OCI_HOOK_POSTSTART] = "poststart",
	[OCI_HOOK_POSTSTOP] = "poststop",
};

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_DATA", RLIMIT_DATA },		{ "RLIMIT_STACK", RLIMIT_STACK },
	{ "RLIMIT_CORE", RLIMIT_CORE },		{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
};
_Static_assert(sizeof(rlimit_names) / sizeof(rlimit_names[0]) == OCI_SPEC_MAX_RLIMITS,
	       "one rlimits entry per resource");

/* Indexed by the Linux capability number (the ABI, not the host's headers). */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
	"CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
#define CAP_COUNT ((int)(sizeof(cap_names) / sizeof(cap_names[0])))
_Static_assert(sizeof(cap_names) / sizeof(cap_names[0]) <= 64, "capability sets are 64-bit masks");

const char *oci_ns_name(enum oci_ns_type type)
{
	return (unsigned int)type < OCI_NS_COUNT ? ns_names[type] : NULL;
}

const char *oci_hook_name(enum oci_hook_kind kind)
{
	return (unsigned int)kind < OCI_HOOK_COUNT ? hook_names[kind] : NULL;
}

const char *oci_rlimit_name(int resource)
{
	for (size_t i = 0; i < OCI_SPEC_MAX_RLIMITS; i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return NULL;
}

const char *oci_cap_name(int cap)
{
	return cap >= 0 && cap < CAP_COUNT ? cap_names[cap] : NULL;
}

const char *oci_spec_annotation(const struct oci_spec *s, const char *key)
{
	for (size_t i = 0; i < s->annotation_count; i++)
		if (strcmp(s->annotations[i].key, key) == 0)
			return s->annotations[i].value;
	return NULL;
}

/* ---- freeing ---- */

static void strv_free(struct oci_strv *sv)
{
	for (size_t i = 0; sv->v && sv->v[i]; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->count = 0;
}

void oci_spec_free(struct oci_spec *s)
{
	free(s->oci_version);
	free(s->bundle);

	free(s->process.additional_gids);
	strv_free(&s->process.args);
	strv_free(&s->process.env);
	free(s->process.cwd);

	free(s->root.path);
	free(s->hostname);
	for (size_t i = 0; i < s->mount_count; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		strv_free(&s->mounts[i].options);
	}
	free(s->mounts);

	for (int t = 0; t < OCI_NS_COUNT; t++)
		free(s->namespaces[t].path);
	free(s->uid_mappings);
	free(s->gid_mappings);
	strv_free(&s->masked_paths);
	strv_free(&s->readonly_paths);

	for (size_t i = 0; i < s->annotation_count; i++) {
		free(s->annotations[i].key);
		free(s->annotations[i].value);
	}
	free(s->annotations);
	for (int k = 0; k < OCI_HOOK_COUNT; k++) {
		for (size_t i = 0; i < s->hooks[k].count; i++) {
			free(s->hooks[k].items[i].path);
			strv_free(&s->hooks[k].items[i].args);
			strv_free(&s->hooks[k].items[i].env);
		}
		free(s->hooks[k].items);
	}
	memset(s, 0, sizeof(*s));
}

/* ---- errors ---- */

struct parser {
	char *err;
	size_t errlen;
};

/* strerror(err) starting in lower case, as runc's messages read. */
static const char *errstr(int err, char *buf, size_t len)
{
	/* GNU strerror_r: returns buf or a static string. */
	const char *s = strerror_r(err < 0 ? -err : err, buf, len);

	if (s != buf)
		snprintf(buf, len, "%s", s);
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* Writes msg into the error sink, after "config.json: <path>: " when
 * config is set (path may be NULL), keeping the promise of one line
 * whatever the message was built from. */
static void put_error(struct parser *p, bool config, const char *path, const char *msg)
{
	if (!p->err || !p->errlen)
		return;
	if (config && path)
		snprintf(p->err, p->errlen, "config.json: %s: %s", path, msg);
	else if (config)
		snprintf(p->err, p->errlen, "config.json: %s", msg);
	else
		snprintf(p->err, p->errlen, "%s", msg);
	for (char *c = p->err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* A problem with config.json's contents, at JSON path path (or with the
 * whole document when NULL). Returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	put_error(p, true, path, msg);
	return -EINVAL;
}

/* A host error (err is -errno) on a file: "<what> <file>: <strerror>".
 * Returns err. */
static int fail_io(struct parser *p, const char *what, const char *file, int err)
{
	char msg[PATH_MAX + 256], eb[128];

	snprintf(msg, sizeof(msg), "%s %s: %s", what, file, errstr(err, eb, sizeof(eb)));
	put_error(p, false, NULL, msg);
	return err;
}

static int nomem(struct parser *p)
{
	fail(p, NULL, "out of memory");
	return -ENOMEM;
}

/* s in double quotes for a message: control characters shown as '?', cut
 * to QUOTE_MAX bytes with "..." after. */
static const char *quoted(char buf[QUOTE_MAX + 8], const char *s)
{
	size_t n = 0;

	buf[n++] = '"';
	for (; *s && n < QUOTE_MAX + 1; s++)
		buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[n++] = '"';
	if (*s) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = 0;
	return buf;
}

/* ---- JSON paths and typed getters ---- */

static const char *jkey(char buf[JPATH_LEN], const char *parent, const char *key)
{
	if (snprintf(buf, JPATH_LEN, "%s.%s", parent, key) >= JPATH_LEN)
		strcpy(buf + JPATH_LEN - 4, "...");
	return buf;
}

static const char *jidx(char buf[JPATH_LEN], const char *parent, size_t i)
{
	if (snprintf(buf, JPATH_LEN, "%s[%zu]", parent, i) >= JPATH_LEN)
		strcpy(buf + JPATH_LEN - 4, "...");
	return buf;
}

/* The value of key in obj, or NULL when it is absent or null. */
static struct json_object *field(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

static int missing(struct parser *p, const char *path)
{
	return fail(p, path, "required field is missing");
}

static int want(struct parser *p, const char *path, struct json_object *v, enum json_type type)
{
	static const char *const what[] = {
		[json_type_boolean] = "a boolean", [json_type_double] = "a number",
		[json_type_int] = "an integer",	   [json_type_object] = "an object",
		[json_type_array] = "an array",	   [json_type_string] = "a string",
	};

	if (json_object_is_type(v, type))
		return 0;
	return fail(p, path, "expected %s", what[type]);
}

static int get_bool(struct parser *p, const char *path, struct json_object *v, bool *out)
{
	if (want(p, path, v, json_type_boolean))
		return -EINVAL;
	*out = json_object_get_boolean(v);
	return 0;
}

static int get_uint(struct parser *p, const char *path, struct json_object *v, uint64_t max, uint64_t *out)
{
	uint64_t u;

	/* json-c keeps integers beyond INT64_MAX as unsigned, and reports
	 * them through get_int64 as INT64_MAX, so the sign test is exact. */
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return fail(p, path, "expected a non-negative integer");
	u = json_object_get_uint64(v);
	if (u > max)
		return fail(p, path, "%" PRIu64 " is out of range (at most %" PRIu64 ")", u, max);
	*out = u;
	return 0;
}

static int get_u32(struct parser *p, const char *path, struct json_object *v, uint32_t *out)
{
	uint64_t u;
	int err = get_uint(p, path, v, UINT32_MAX, &u);

	if (!err)
		*out = (uint32_t)u;
	return err;
}

static int get_int(struct parser *p, const char *path, struct json_object *v, int64_t *out)
{
	if (want(p, path, v, json_type_int))
		return -EINVAL;
	*out = json_object_get_int64(v);
	return 0;
}

static int get_array(struct parser *p, const char *path, struct json_object *v, size_t max, size_t *count)
{
	size_t n;

	if (want(p, path, v, json_type_array))
		return -EINVAL;
	n = json_object_array_length(v);
	if (n > max)
		return fail(p, path, "more than %zu entries", max);
	*count = n;
	return 0;
}

/* Flags for get_string. */
enum {
	STR_PATH = 1,		/* shorter than PATH_MAX */
	STR_NONEMPTY = 2,
	STR_ABSOLUTE = 4,	/* starts with '/' (implies non-empty) */
};

/* Checks a JSON string as flags ask and copies it into *out, a field of
 * the struct being filled, which oci_spec_free releases. */
static int get_string(struct parser *p, const char *path, struct json_object *v, int flags, char **out)
{
	const char *s;
	size_t len;

	if (want(p, path, v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len)
		return fail(p, path, "contains a NUL byte");
	if ((flags & STR_PATH) && len >= PATH_MAX)
		return fail(p, path, "longer than %d bytes", PATH_MAX - 1);
	if ((flags & (STR_NONEMPTY | STR_ABSOLUTE)) && len == 0)
		return fail(p, path, "must not be empty");
	if ((flags & STR_ABSOLUTE) && s[0] != '/')
		return fail(p, path, "must be an absolute path");
	*out = strdup(s);
	return *out ? 0 : nomem(p);
}

static int get_strv(struct parser *p, const char *path, struct json_object *v, size_t max, int flags,
		    struct oci_strv *out)
{
	char ip[JPATH_LEN];
	size_t n;
	int err = get_array(p, path, v, max, &n);

	if (err)
		return err;
	out->v = calloc(n + 1, sizeof(char *));
	if (!out->v)
		return nomem(p);
	for (size_t i = 0; i < n; i++) {
		err = get_string(p, jidx(ip, path, i), json_object_array_get_idx(v, i), flags, &out->v[i]);
		if (err)
			return err;
		out->count = i + 1;
	}
	return 0;
}

/* The object at index i of array a, checked to be one. */
static struct json_object *array_object(struct parser *p, const char *path, struct json_object *a, size_t i,
					int *err)
{
	struct json_object *v = json_object_array_get_idx(a, i);

	*err = want(p, path, v, json_type_object);
	return *err ? NULL : v;
}

/* ---- ociVersion ---- */

/* "1.2.0", "1.0.2-dev", "1.1.0+dev": major 1, minor 0 to 2. */
static bool version_supported(const char *v)
{
	unsigned long n[3];
	char *end;

	for (int i = 0; i < 3; i++) {
		if (*v < '0' || *v > '9')
			return false;
		n[i] = strtoul(v, &end, 10);
		if (i < 2 && *end != '.')
			return false;
		v = end + 1;
	}
	if (*end && *end != '-' && *end != '+')
		return false;
	return n[0] == 1 && n[1] <= 2;
}

/* ---- process ---- */

static int parse_user(struct parser *p, struct json_object *obj, struct oci_process *proc)
{
	const char *path = "process.user";
	char kp[JPATH_LEN], ip[JPATH_LEN];
	struct json_object *v;
	uint64_t u;
	size_t n;
	int err;

	if (want(p, path, obj, json_type_object))
		return -EINVAL;
	/* uid and gid are required by the spec; like runc, absent means 0. */
	if ((v = field(obj, "uid")) && (err = get_u32(p, jkey(kp, path, "uid"), v, &proc->uid)))
		return err;
	if ((v = field(obj, "gid")) && (err = get_u32(p, jkey(kp, path, "gid"), v, &proc->gid)))
		return err;
	if ((v = field(obj, "umask"))) {
		if ((err = get_uint(p, jkey(kp, path, "umask"), v, 0777, &u)))
			return err;
		proc->has_umask = true;
		proc->umask = (uint32_t)u;
	}
	if ((v = field(obj, "additionalGids"))) {
		jkey(kp, path, "additionalGids");
		if ((err = get_array(p, kp, v, OCI_SPEC_MAX_GIDS, &n)))
			return err;
		if (n) {
			proc->additional_gids = calloc(n, sizeof(uint32_t));
			if (!proc->additional_gids)
				return nomem(p);
		}
		for (size_t i = 0; i < n; i++) {
			err = get_u32(p, jidx(ip, kp, i), json_object_array_get_idx(v, i),
				      &proc->additional_gids[i]);
			if (err)
				return err;
		}
		proc->additional_gid_count = n;
	}
	return 0;
}

static int parse_rlimits(struct parser *p, struct json_object *arr, struct oci_process *proc)
{
	const char *path = "process.rlimits";
	char ip[JPATH_LEN], kp[JPATH_LEN], q[QUOTE_MAX + 8];
	size_t n;
	int err;

	if ((err = get_array(p, path, arr, OCI_SPEC_MAX_RLIMITS, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		struct oci_rlimit *rl = &proc->rlimits[i];
		struct json_object *o, *v;
		const char *name = NULL;

		jidx(ip, path, i);
		if (!(o = array_object(p, ip, arr, i, &err)))
			return err;
		jkey(kp, ip, "type");
		if (!(v = field(o, "type")))
			return missing(p, kp);
		if (want(p, kp, v, json_type_string))
			return -EINVAL;
		for (size_t k = 0; k < OCI_SPEC_MAX_RLIMITS && !name; k++)
			if (strcmp(rlimit_names[k].name, json_object_get_string(v)) == 0) {
				name = rlimit_names[k].name;
				rl->resource = rlimit_names[k].resource;
			}
		if (!name)
			return fail(p, kp, "unknown resource %s", quoted(q, json_object_get_string(v)));
		for (size_t k = 0; k < i; k++)
			if (proc->rlimits[k].resource == rl->resource)
				return fail(p, kp, "%s listed twice", name);
		if (!(v = field(o, "soft")))
			return missing(p, jkey(kp, ip, "soft"));
		if ((err = get_uint(p, jkey(kp, ip, "soft"), v, UINT64_MAX, &rl->soft)))
			return err;
		if (!(v = field(o, "hard")))
			return missing(p, jkey(kp, ip, "hard"));
		if ((err = get_uint(p, jkey(kp, ip, "hard"), v, UINT64_MAX, &rl->hard)))
			return err;
		/* setrlimit would refuse it later, with less of a clue. */
		if (rl->soft > rl->hard)
			return fail(p, ip, "soft limit %" PRIu64 " exceeds hard limit %" PRIu64, rl->soft,
				    rl->hard);
		proc->rlimit_count = i + 1;
	}
	return 0;
}

static int parse_cap_set(struct parser *p, const char *path, struct json_object *arr, uint64_t *mask)
{
	char ip[JPATH_LEN], q[QUOTE_MAX + 8];
	size_t n;
	int err;

	/* Repeats are harmless, so allow a few per capability. */
	if ((err = get_array(p, path, arr, 4 * 64, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		int cap;

		jidx(ip, path, i);
		if (want(p, ip, v, json_type_string))
			return -EINVAL;
		for (cap = 0; cap < CAP_COUNT; cap++)
			if (strcmp(cap_names[cap], json_object_get_string(v)) == 0)
				break;
		/* runc warns and drops unknown names; a typo that silently
		 * changes privileges is worse than an error. */
		if (cap == CAP_COUNT)
			return fail(p, ip, "unknown capability %s", quoted(q, json_object_get_string(v)));
		*mask |= 1ull << cap;
	}
	return 0;
}

static int parse_capabilities(struct parser *p, struct json_object *obj, struct oci_caps *caps)
{
	static const struct {
		const char *name;
		size_t off;
	} sets[] = {
		{ "bounding", offsetof(struct oci_caps, bounding) },
		{ "effective", offsetof(struct oci_caps, effective) },
		{ "inheritable", offsetof(struct oci_caps, inheritable) },
		{ "permitted", offsetof(struct oci_caps, permitted) },
		{ "ambient", offsetof(struct oci_caps, ambient) },
	};
	const char *path = "process.capabilities";
	char kp[JPATH_LEN];
	int err;

	if (want(p, path, obj, json_type_object))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct json_object *v = field(obj, sets[i].name);

		if (v && (err = parse_cap_set(p, jkey(kp, path, sets[i].name), v,
					      (uint64_t *)((char *)caps + sets[i].off))))
			return err;
	}
	return 0;
}

static int parse_process(struct parser *p, struct json_object *obj, struct oci_process *proc)
{
	struct json_object *v;
	int err;

	if (want(p, "process", obj, json_type_object))
		return -EINVAL;
	if ((v = field(obj, "terminal")) && (err = get_bool(p, "process.terminal", v, &proc->terminal)))
		return err;
	if ((v = field(obj, "user")) && (err = parse_user(p, v, proc)))
		return err;

	v = field(obj, "args");
	if (!v || !json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return fail(p, "process.args", "expected a non-empty array of strings");
	if ((err = get_strv(p, "process.args", v, OCI_SPEC_MAX_ARGS, 0, &proc->args)))
		return err;

	if ((v = field(obj, "env"))) {
		if ((err = get_strv(p, "process.env", v, OCI_SPEC_MAX_ENV, 0, &proc->env)))
			return err;
	} else {
		proc->env.v = calloc(1, sizeof(char *));
		if (!proc->env.v)
			return nomem(p);
	}

	if (!(v = field(obj, "cwd")))
		return missing(p, "process.cwd");
	if ((err = get_string(p, "process.cwd", v, STR_PATH | STR_ABSOLUTE, &proc->cwd)))
		return err;

	if ((v = field(obj, "rlimits")) && (err = parse_rlimits(p, v, proc)))
		return err;
	if ((v = field(obj, "noNewPrivileges")) &&
	    (err = get_bool(p, "process.noNewPrivileges", v, &proc->no_new_privileges)))
		return err;
	if ((v = field(obj, "capabilities"))) {
		if ((err = parse_capabilities(p, v, &proc->caps)))
			return err;
		proc->has_capabilities = true;
	}
	return 0;
}

/* ---- root, hostname, mounts ---- */

static int parse_root(struct parser *p, struct json_object *obj, struct oci_root *root)
{
	struct json_object *v;
	int err;

	if (want(p, "root", obj, json_type_object))
		return -EINVAL;
	if (!(v = field(obj, "path")))
		return missing(p, "root.path");
	if ((err = get_string(p, "root.path", v, STR_PATH | STR_NONEMPTY, &root->path)))
		return err;
	if ((v = field(obj, "readonly")) && (err = get_bool(p, "root.readonly", v, &root->readonly)))
		return err;
	return 0;
}

static int parse_mounts(struct parser *p, struct json_object *arr, struct oci_spec *s)
{
	const char *path = "mounts";
	char ip[JPATH_LEN], kp[JPATH_LEN];
	size_t n;
	int err;

	if ((err = get_array(p, path, arr, OCI_SPEC_MAX_MOUNTS, &n)))
		return err;
	if (n && !(s->mounts = calloc(n, sizeof(*s->mounts))))
		return nomem(p);
	for (size_t i = 0; i < n; i++) {
		struct oci_mount *m = &s->mounts[i];
		struct json_object *o, *v;

		s->mount_count = i + 1;
		jidx(ip, path, i);
		if (!(o = array_object(p, ip, arr, i, &err)))
			return err;
		/* Runtime spec 1.1 lets runtimes take a relative destination
		 * as relative to "/"; runc 1.2 warns about it. Amber asks for
		 * what 1.0 required. */
		if (!(v = field(o, "destination")))
			return missing(p, jkey(kp, ip, "destination"));
		if ((err = get_string(p, jkey(kp, ip, "destination"), v, STR_PATH | STR_ABSOLUTE, &m->destination)))
			return err;
		if ((v = field(o, "type")) && (err = get_string(p, jkey(kp, ip, "type"), v, 0, &m->type)))
			return err;
		if ((v = field(o, "source")) && (err = get_string(p, jkey(kp, ip, "source"), v, STR_PATH, &m->source)))
			return err;
		if ((v = field(o, "options")) &&
		    (err = get_strv(p, jkey(kp, ip, "options"), v, OCI_SPEC_MAX_OPTIONS, 0, &m->options)))
			return err;
	}
	return 0;
}

/* ---- linux ---- */

static int parse_namespaces(struct parser *p, struct json_object *arr, struct oci_spec *s)
{
	const char *path = "linux.namespaces";
	char ip[JPATH_LEN], kp[JPATH_LEN], q[QUOTE_MAX + 8];
	size_t n;
	int err;

	/* A repeat is an error, so more than one per type is caught there. */
	if ((err = get_array(p, path, arr, 8 * OCI_NS_COUNT, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o, *v;
		const char *name;
		int t;

		jidx(ip, path, i);
		if (!(o = array_object(p, ip, arr, i, &err)))
			return err;
		jkey(kp, ip, "type");
		if (!(v = field(o, "type")))
			return missing(p, kp);
		if (want(p, kp, v, json_type_string))
			return -EINVAL;
		name = json_object_get_string(v);
		for (t = 0; t < OCI_NS_COUNT; t++)
			if (strcmp(ns_names[t], name) == 0)
				break;
		if (t == OCI_NS_COUNT)
			return fail(p, kp, "unknown namespace %s", quoted(q, name));
		if (s->namespaces[t].present)
			return fail(p, kp, "namespace \"%s\" listed twice", ns_names[t]);
		s->namespaces[t].present = true;
		if ((v = field(o, "path")) &&
		    (err = get_string(p, jkey(kp, ip, "path"), v, STR_PATH | STR_ABSOLUTE, &s->namespaces[t].path)))
			return err;
	}
	return 0;
}

static int parse_id_mappings(struct parser *p, const char *path, struct json_object *arr,
			     struct oci_id_mapping **out, size_t *count)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "containerID", offsetof(struct oci_id_mapping, container_id) },
		{ "hostID", offsetof(struct oci_id_mapping, host_id) },
		{ "size", offsetof(struct oci_id_mapping, size) },
	};
	char ip[JPATH_LEN], kp[JPATH_LEN];
	size_t n;
	int err;

	if ((err = get_array(p, path, arr, OCI_SPEC_MAX_ID_MAPS, &n)))
		return err;
	if (n && !(*out = calloc(n, sizeof(**out))))
		return nomem(p);
	for (size_t i = 0; i < n; i++) {
		struct oci_id_mapping *m = &(*out)[i];
		struct json_object *o, *v;

		jidx(ip, path, i);
		if (!(o = array_object(p, ip, arr, i, &err)))
			return err;
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			jkey(kp, ip, fields[f].name);
			if (!(v = field(o, fields[f].name)))
				return missing(p, kp);
			if ((err = get_u32(p, kp, v, (uint32_t *)((char *)m + fields[f].off))))
				return err;
		}
		if (m->size == 0)
			return fail(p, kp, "must be at least 1");
		if ((uint64_t)m->container_id + m->size > (uint64_t)UINT32_MAX + 1 ||
		    (uint64_t)m->host_id + m->size > (uint64_t)UINT32_MAX + 1)
			return fail(p, kp, "the range goes past id %" PRIu32, UINT32_MAX);
		*count = i + 1;
	}
	return 0;
}

/* linux.resources.<group>.limit as a limit where 0 means none. */
static int parse_limit(struct parser *p, struct json_object *resources, const char *group, uint64_t *out)
{
	char gp[JPATH_LEN], kp[JPATH_LEN];
	struct json_object *g, *v;
	int64_t limit;
	int err;

	if (!(g = field(resources, group)))
		return 0;
	jkey(gp, "linux.resources", group);
	if (want(p, gp, g, json_type_object))
		return -EINVAL;
	if (!(v = field(g, "limit")))
		return 0;
	if ((err = get_int(p, jkey(kp, gp, "limit"), v, &limit)))
		return err;
	*out = limit > 0 ? (uint64_t)limit : 0;
	return 0;
}

static int parse_linux(struct parser *p, struct json_object *obj, struct oci_spec *s)
{
	struct json_object *v;
	int err;

	if (want(p, "linux", obj, json_type_object))
		return -EINVAL;
	if ((v = field(obj, "namespaces")) && (err = parse_namespaces(p, v, s)))
		return err;
	if ((v = field(obj, "uidMappings")) &&
	    (err = parse_id_mappings(p, "linux.uidMappings", v, &s->uid_mappings, &s->uid_mapping_count)))
		return err;
	if ((v = field(obj, "gidMappings")) &&
	    (err = parse_id_mappings(p, "linux.gidMappings", v, &s->gid_mappings, &s->gid_mapping_count)))
		return err;
	if ((v = field(obj, "resources"))) {
		if (want(p, "linux.resources", v, json_type_object))
			return -EINVAL;
		if ((err = parse_limit(p, v, "memory", &s->memory_limit)) ||
		    (err = parse_limit(p, v, "pids", &s->pids_limit)))
			return err;
	}
	if ((v = field(obj, "maskedPaths")) &&
	    (err = get_strv(p, "linux.maskedPaths", v, OCI_SPEC_MAX_PATHS, STR_PATH | STR_ABSOLUTE,
			    &s->masked_paths)))
		return err;
	if ((v = field(obj, "readonlyPaths")) &&
	    (err = get_strv(p, "linux.readonlyPaths", v, OCI_SPEC_MAX_PATHS, STR_PATH | STR_ABSOLUTE,
			    &s->readonly_paths)))
		return err;
	return 0;
}

/* ---- annotations and hooks ---- */

static int parse_annotations(struct parser *p, struct json_object *obj, struct oci_spec *s)
{
	char kp[JPATH_LEN], q[QUOTE_MAX + 8];
	size_t n, i = 0;

	if (want(p, "annotations", obj, json_type_object))
		return -EINVAL;
	n = (size_t)json_object_object_length(obj);
	if (n > OCI_SPEC_MAX_ANNOTATIONS)
		return fail(p, "annotations", "more than %d entries", OCI_SPEC_MAX_ANNOTATIONS);
	if (n && !(s->annotations = calloc(n, sizeof(*s->annotations))))
		return nomem(p);
	json_object_object_foreach(obj, key, val) {
		struct oci_annotation *a = &s->annotations[i];
		int err;

		if (!key[0])
			return fail(p, "annotations", "keys must not be empty");
		snprintf(kp, sizeof(kp), "annotations[%s]", quoted(q, key));
		if (!val)
			return fail(p, kp, "expected a string");
		a->key = strdup(key);
		s->annotation_count = ++i;
		if (!a->key)
			return nomem(p);
		if ((err = get_string(p, kp, val, 0, &a->value)))
			return err;
	}
	return 0;
}

static int parse_hook(struct parser *p, const char *path, struct json_object *o, struct oci_hook *h)
{
	char kp[JPATH_LEN];
	struct json_object *v;
	uint64_t timeout;
	int err;

	if (!(v = field(o, "path")))
		return missing(p, jkey(kp, path, "path"));
	if ((err = get_string(p, jkey(kp, path, "path"), v, STR_PATH | STR_ABSOLUTE, &h->path)))
		return err;
	if ((v = field(o, "args")) && (err = get_strv(p, jkey(kp, path, "args"), v, OCI_SPEC_MAX_ARGS, 0, &h->args)))
		return err;
	if ((v = field(o, "env")) && (err = get_strv(p, jkey(kp, path, "env"), v, OCI_SPEC_MAX_ENV, 0, &h->env)))
		return err;
	if ((v = field(o, "timeout"))) {
		jkey(kp, path, "timeout");
		if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) <= 0)
			return fail(p, kp, "must be greater than zero");
		if ((err = get_uint(p, kp, v, INT_MAX, &timeout)))
			return err;
		h->timeout = (unsigned int)timeout;
	}
	return 0;
}

static int parse_hooks(struct parser *p, struct json_object *obj, struct oci_spec *s)
{
	char kp[JPATH_LEN], ip[JPATH_LEN];
	int err;

	if (want(p, "hooks", obj, json_type_object))
		return -EINVAL;
	for (int k = 0; k < OCI_HOOK_COUNT; k++) {
		struct oci_hook_list *list = &s->hooks[k];
		struct json_object *arr = field(obj, hook_names[k]), *o;
		size_t n;

		if (!arr)
			continue;
		jkey(kp, "hooks", hook_names[k]);
		if ((err = get_array(p, kp, arr, OCI_SPEC_MAX_HOOKS, &n)))
			return err;
		if (n && !(list->items = calloc(n, sizeof(*list->items))))
			return nomem(p);
		for (size_t i = 0; i < n; i++) {
			list->count = i + 1;
			jidx(ip, kp, i);
			if (!(o = array_object(p, ip, arr, i, &err)))
				return err;
			if ((err = parse_hook(p, ip, o, &list->items[i])))
				return err;
		}
	}
	return 0;
}

/* ---- the document ---- */

static int parse_spec(struct parser *p, struct json_object *doc, struct oci_spec *s)
{
	char q[QUOTE_MAX + 8];
	struct json_object *v;
	int err;

	if (!(v = field(doc, "ociVersion")))
		return missing(p, "ociVersion");
	if ((err = get_string(p, "ociVersion", v, 0, &s->oci_version)))
		return err;
	if (!version_supported(s->oci_version))
		return fail(p, "ociVersion", "unsupported version %s (supported: 1.0.x to 1.2.x)",
			    quoted(q, s->oci_version));

	/* The spec makes process optional until start; Amber creates and
	 * starts from one config, so it is needed from the beginning. */
	if (!(v = field(doc, "process")))
		return missing(p, "process");
	if ((err = parse_process(p, v, &s->process)))
		return err;

	if (!(v = field(doc, "root")))
		return missing(p, "root");
	if ((err = parse_root(p, v, &s->root)))
		return err;

	if ((v = field(doc, "hostname"))) {
		if ((err = get_string(p, "hostname", v, 0, &s->hostname)))
			return err;
		if (strlen(s->hostname) > OCI_SPEC_MAX_HOSTNAME)
			return fail(p, "hostname", "longer than %d bytes", OCI_SPEC_MAX_HOSTNAME);
	}
	if ((v = field(doc, "mounts")) && (err = parse_mounts(p, v, s)))
		return err;
	if ((v = field(doc, "linux")) && (err = parse_linux(p, v, s)))
		return err;
	if ((v = field(doc, "annotations")) && (err = parse_annotations(p, v, s)))
		return err;
	if ((v = field(doc, "hooks")) && (err = parse_hooks(p, v, s)))
		return err;
	return 0;
}

static unsigned int line_of(const char *text, size_t off)
{
	unsigned int line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

int oci_spec_parse(const char *json_text, size_t len, struct oci_spec *out, char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	struct json_tokener *tok;
	struct json_object *doc;
	const char *nul;
	char *text;
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = 0;
	if (len > OCI_SPEC_MAX_SIZE)
		return fail(&p, NULL, "file is larger than 1 MiB");
	/* json-c would stop at a NUL and call the rest trailing garbage. */
	if ((nul = memchr(json_text, 0, len)))
		return fail(&p, NULL, "not valid JSON: NUL byte at line %u",
			    line_of(json_text, (size_t)(nul - json_text)));

	/* The tokener wants the final NUL to know the input has ended. */
	text = malloc(len + 1);
	tok = json_tokener_new_ex(OCI_SPEC_MAX_DEPTH);
	if (!text || !tok) {
		free(text);
		if (tok)
			json_tokener_free(tok);
		return nomem(&p);
	}
	memcpy(text, json_text, len);
	text[len] = 0;
	/* Strict: no comments, trailing commas or text after the object, as
	 * Go's decoder (runc's and Docker's) refuses them. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, text, (int)len + 1);
	if (!doc) {
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		size_t end = json_tokener_get_parse_end(tok);

		if (jerr == json_tokener_success)	/* the document is "null" */
			ret = fail(&p, NULL, "expected a JSON object");
		else
			ret = fail(&p, NULL, "not valid JSON: %s at line %u", json_tokener_error_desc(jerr),
				   line_of(text, end < len ? end : len));
	} else if (!json_object_is_type(doc, json_type_object)) {
		ret = fail(&p, NULL, "expected a JSON object");
	} else {
		ret = parse_spec(&p, doc, out);
	}
	json_object_put(doc);
	json_tokener_free(tok);
	free(text);
	if (ret)
		oci_spec_free(out);
	return ret;
}

/* ---- reading a bundle ---- */

/* Reads at most OCI_SPEC_MAX_SIZE + 1 bytes of path, so that a larger
 * file is seen to be larger without reading it all. */
static int read_config(struct parser *p, const char *path, char **out, size_t *len)
{
	char *buf;
	size_t n = 0;
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail_io(p, "cannot read", path, -errno);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(p, NULL, "%s is not a regular file", path);
	}
	if (st.st_size > OCI_SPEC_MAX_SIZE) {
		close(fd);
		return fail(p, NULL, "file is larger than 1 MiB");
	}
	buf = malloc(OCI_SPEC_MAX_SIZE + 1);
	if (!buf) {
		close(fd);
		return nomem(p);
	}
	while (n < OCI_SPEC_MAX_SIZE + 1) {
		ssize_t r = read(fd, buf + n, OCI_SPEC_MAX_SIZE + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = fail_io(p, "cannot read", path, -errno);
			free(buf);
			close(fd);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}

/* Makes root.path absolute, resolved and known to be a directory. */
static int resolve_root(struct parser *p, struct oci_spec *s)
{
	char *joined = NULL, *real, eb[128];
	struct stat st;
	int err;

	if (s->root.path[0] != '/' && asprintf(&joined, "%s/%s", s->bundle, s->root.path) < 0)
		return nomem(p);
	real = realpath(joined ? joined : s->root.path, NULL);
	if (!real) {
		err = errno;
		if (err == ENOMEM)
			err = nomem(p);
		else if (err == ENOENT)
			err = fail(p, "root.path", "%s does not exist", joined ? joined : s->root.path);
		else
			err = fail(p, "root.path", "%s: %s", joined ? joined : s->root.path,
				   errstr(err, eb, sizeof(eb)));
		free(joined);
		return err;
	}
	free(joined);
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err = fail(p, "root.path", "%s is not a directory", real);
		free(real);
		return err;
	}
	free(s->root.path);
	s->root.path = real;
	return 0;
}

int oci_spec_load(const char *bundle_dir, struct oci_spec *out, char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	char *bundle, *path = NULL, *text = NULL;
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = 0;
	bundle = realpath(bundle_dir, NULL);
	if (!bundle)
		return fail_io(&p, "bundle", bundle_dir, -errno);
	if (asprintf(&path, "%s/config.json", strcmp(bundle, "/") ? bundle : "") < 0) {
		free(bundle);
		return nomem(&p);
	}
	ret = read_config(&p, path, &text, &len);
	free(path);
	if (!ret)
		ret = oci_spec_parse(text, len, out, err, errlen);
	free(text);
	if (ret) {
		free(bundle);
		return ret;
	}
	out->bundle = bundle;
	ret = resolve_root(&p, out);
	if (ret)
		oci_spec_free(out);
	return ret;
}

/* ---- runsc spec ---- */

/* runc's default spec (as `runc spec` writes it) with gVisor's sandbox in
 * mind: no cgroup mount, and the set of namespaces both runtimes ask for. */
static const char default_spec[] =
	"{\n"
	"\t\"ociVersion\": \"1.0.2\",\n"
	"\t\"process\": {\n"
	"\t\t\"terminal\": true,\n"
	"\t\t\"user\": {\n"
	"\t\t\t\"uid\": 0,\n"
	"\t\t\t\"gid\": 0\n"
	"\t\t},\n"
	"\t\t\"args\": [\n"
	"\t\t\t\"sh\"\n"
	"\t\t],\n"
	"\t\t\"env\": [\n"
	"\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
	"\t\t\t\"TERM=xterm\"\n"
	"\t\t],\n"
	"\t\t\"cwd\": \"/\",\n"
	"\t\t\"capabilities\": {\n"
	"\t\t\t\"bounding\": [\n"
	"\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
	"\t\t\t\t\"CAP_KILL\",\n"
	"\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
	"\t\t\t],\n"
	"\t\t\t\"effective\": [\n"
	"\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
	"\t\t\t\t\"CAP_KILL\",\n"
	"\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
	"\t\t\t],\n"
	"\t\t\t\"permitted\": [\n"
	"\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
	"\t\t\t\t\"CAP_KILL\",\n"
	"\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
	"\t\t\t]\n"
	"\t\t},\n"
	"\t\t\"rlimits\": [\n"
	"\t\t\t{\n"
	"\t\t\t\t\"type\": \"RLIMIT_NOFILE\",\n"
	"\t\t\t\t\"hard\": 1024,\n"
	"\t\t\t\t\"soft\": 1024\n"
	"\t\t\t}\n"
	"\t\t],\n"
	"\t\t\"noNewPrivileges\": true\n"
	"\t},\n"
	"\t\"root\": {\n"
	"\t\t\"path\": \"rootfs\",\n"
	"\t\t\"readonly\": true\n"
	"\t},\n"
	"\t\"hostname\": \"runsc\",\n"
	"\t\"mounts\": [\n"
	"\t\t{\n"
	"\t\t\t\"destination\": \"/proc\",\n"
	"\t\t\t\"type\": \"proc\",\n"
	"\t\t\t\"source\": \"proc\"\n"
	"\t\t},\n"
	"\t\t{\n"
	"\t\t\t\"destination\": \"/dev\",\n"
	"\t\t\t\"type\": \"tmpfs\",\n"
	"\t\t\t\"source\": \"tmpfs\",\n"
	"\t\t\t\"options\": [\n"
	"\t\t\t\t\"nosuid\",\n"
	"\t\t\t\t\"strictatime\",\n"
	"\t\t\t\t\"mode=755\",\n"
	"\t\t\t\t\"size=65536k\"\n"
	"\t\t\t]\n"
	"\t\t},\n"
	"\t\t{\n"
	"\t\t\t\"destination\": \"/dev/pts\",\n"
	"\t\t\t\"type\": \"devpts\",\n"
	"\t\t\t\"source\": \"devpts\",\n"
	"\t\t\t\"options\": [\n"
	"\t\t\t\t\"nosuid\",\n"
	"\t\t\t\t\"noexec\",\n"
	"\t\t\t\t\"newinstance\",\n"
	"\t\t\t\t\"ptmxmode=0666\",\n"
	"\t\t\t\t\"mode=0620\",\n"
	"\t\t\t\t\"gid=5\"\n"
	"\t\t\t]\n"
	"\t\t},\n"
	"\t\t{\n"
	"\t\t\t\"destination\": \"/dev/shm\",\n"
	"\t\t\t\"type\": \"tmpfs\",\n"
	"\t\t\t\"source\": \"shm\",\n"
	"\t\t\t\"options\": [\n"
	"\t\t\t\t\"nosuid\",\n"
	"\t\t\t\t\"noexec\",\n"
	"\t\t\t\t\"nodev\",\n"
	"\t\t\t\t\"mode=1777\",\n"
	"\t\t\t\t\"size=65536k\"\n"
	"\t\t\t]\n"
	"\t\t},\n"
	"\t\t{\n"
	"\t\t\t\"destination\": \"/dev/mqueue\",\n"
	"\t\t\t\"type\": \"mqueue\",\n"
	"\t\t\t\"source\": \"mqueue\",\n"
	"\t\t\t\"options\": [\n"
	"\t\t\t\t\"nosuid\",\n"
	"\t\t\t\t\"noexec\",\n"
	"\t\t\t\t\"nodev\"\n"
	"\t\t\t]\n"
	"\t\t},\n"
	"\t\t{\n"
	"\t\t\t\"destination\": \"/sys\",\n"
	"\t\t\t\"type\": \"sysfs\",\n"
	"\t\t\t\"source\": \"sysfs\",\n"
	"\t\t\t\"options\": [\n"
	"\t\t\t\t\"nosuid\",\n"
	"\t\t\t\t\"noexec\",\n"
	"\t\t\t\t\"nodev\",\n"
	"\t\t\t\t\"ro\"\n"
	"\t\t\t]\n"
	"\t\t}\n"
	"\t],\n"
	"\t\"linux\": {\n"
	"\t\t\"namespaces\": [\n"
	"\t\t\t{\n"
	"\t\t\t\t\"type\": \"pid\"\n"
	"\t\t\t},\n"
	"\t\t\t{\n"
	"\t\t\t\t\"type\": \"network\"\n"
	"\t\t\t},\n"
	"\t\t\t{\n"
	"\t\t\t\t\"type\": \"ipc\"\n"
	"\t\t\t},\n"
	"\t\t\t{\n"
	"\t\t\t\t\"type\": \"uts\"\n"
	"\t\t\t},\n"
	"\t\t\t{\n"
	"\t\t\t\t\"type\": \"mount\"\n"
	"\t\t\t}\n"
	"\t\t],\n"
	"\t\t\"maskedPaths\": [\n"
	"\t\t\t\"/proc/acpi\",\n"
	"\t\t\t\"/proc/asound\",\n"
	"\t\t\t\"/proc/kcore\",\n"
	"\t\t\t\"/proc/keys\",\n"
	"\t\t\t\"/proc/latency_stats\",\n"
	"\t\t\t\"/proc/timer_list\",\n"
	"\t\t\t\"/proc/timer_stats\",\n"
	"\t\t\t\"/proc/sched_debug\",\n"
	"\t\t\t\"/sys/firmware\",\n"
	"\t\t\t\"/proc/scsi\"\n"
	"\t\t],\n"
	"\t\t\"readonlyPaths\": [\n"
	"\t\t\t\"/proc/bus\",\n"
	"\t\t\t\"/proc/fs\",\n"
	"\t\t\t\"/proc/irq\",\n"
	"\t\t\t\"/proc/sys\",\n"
	"\t\t\t\"/proc/sysrq-trigger\"\n"
	"\t\t]\n"
	"\t}\n"
	"}\n";

int oci_spec_write_default(const char *path, char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	size_t off = 0, len = sizeof(default_spec) - 1;
	int fd, ret = 0;

	if (err && errlen)
		err[0] = 0;
	/* O_EXCL: never replace a file, nor follow a symlink to one. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0) {
		return fail_io(&p, "cannot create", path, -errno);
	}
	while (off < len) {
		ssize_t r = write(fd, default_spec + off, len - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		off += (size_t)r;
	}
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret) {
		/* Leave no half-written config.json to be mistaken for one. */
		unlink(path);
		fail_io(&p, "cannot write", path, ret);
	}
	return ret;
}

bool oci_mount_has_option(const struct oci_mount *m, const char *opt)
{
	for (size_t i = 0; i < m->options.count; i++)
		if (strcmp(m->options.v[i], opt) == 0)
			return true;
	return false;
}

bool oci_mount_is_bind(const struct oci_mount *m)
{
	return (m->type && strcmp(m->type, "bind") == 0) || oci_mount_has_option(m, "bind") ||
	       oci_mount_has_option(m, "rbind");
}
