/* Flag parsing and error printing shared by runsc's commands. */
#include "runsc/cli.h"

#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_path;
static bool log_json;

void cli_set_log(const char *path, const char *format)
{
	int fd;

	log_path = path;
	log_json = format && strcmp(format, "json") == 0;
	if (!path)
		return;
	/* Docker's shim reads this file after every call: it must exist. */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

/* Appends one error line to the --log file, as runc does (containerd
 * keeps the last {"level":"error","msg":...} object it finds there). */
static void log_error_line(const char *msg)
{
	char ts[64];
	struct timespec now;
	struct tm tm;
	FILE *f;

	if (!log_path || !(f = fopen(log_path, "ae")))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (log_json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "level", json_object_new_string("error"));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(ts));
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		fprintf(f, "%s error: %s\n", ts, msg);
	}
	fclose(f);
}

void cli_error(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "runsc: %s\n", buf);
	log_error_line(buf);
}

const char *cli_strerror(int err)
{
	static __thread char buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(err < 0 ? -err : err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* Accepts "--flag value" and "--flag=value" (and a single dash). */
static int flag_value(const char *arg, const char *name, int argc, char **argv, int *i, const char **out)
{
	const char *a = arg[1] == '-' ? arg + 2 : arg + 1;
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*out = a + n + 1;
		return 1;
	}
	if (a[n] != 0)
		return 0;
	if (*i + 1 >= argc) {
		cli_error("flag needs an argument: %s", arg);
		return -1;
	}
	*out = argv[++*i];
	return 1;
}

static int bool_flag(const char *arg, const char *name, bool *out)
{
	const char *a = arg[1] == '-' ? arg + 2 : arg + 1;
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == 0 || strcmp(a + n, "=true") == 0) {
		*out = true;
		return 1;
	}
	if (strcmp(a + n, "=false") == 0) {
		*out = false;
		return 1;
	}
	return 0;
}

int parse_common_flag(struct global_flags *g, int argc, char **argv, int *i)
{
	static const struct {
		const char *name;
		size_t off;
	} str_flags[] = {
		{ "root", offsetof(struct global_flags, root) },
		{ "platform", offsetof(struct global_flags, platform) },
		{ "network", offsetof(struct global_flags, network) },
		{ "debug-log", offsetof(struct global_flags, debug_log) },
		{ "log-format", offsetof(struct global_flags, log_format) },
		{ "log", offsetof(struct global_flags, log) },
	};
	const char *arg = argv[*i];
	int r;

	if (arg[0] != '-' || !arg[1])
		return 0;
	if (bool_flag(arg, "debug", &g->debug) || bool_flag(arg, "strace", &g->strace) ||
	    bool_flag(arg, "systrap-disable-syscall-patching", &g->systrap_no_patching))
		return 1;
	for (size_t k = 0; k < sizeof(str_flags) / sizeof(str_flags[0]); k++) {
		r = flag_value(arg, str_flags[k].name, argc, argv, i, (const char **)((char *)g + str_flags[k].off));
		if (r)
			return r;
	}
	return 0;
}

