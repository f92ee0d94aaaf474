/* Flag parsing and error printing shared by runsc's commands. */
#include "runsc/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "runsc: %s\n", buf);
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
	if (bool_flag(arg, "debug", &g->debug) || bool_flag(arg, "strace", &g->strace))
		return 1;
	for (size_t k = 0; k < sizeof(str_flags) / sizeof(str_flags[0]); k++) {
		r = flag_value(arg, str_flags[k].name, argc, argv, i, (const char **)((char *)g + str_flags[k].off));
		if (r)
			return r;
	}
	return 0;
}

