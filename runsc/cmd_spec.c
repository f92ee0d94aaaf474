/* runsc spec [--bundle DIR]: write a default config.json into DIR (the
 * current directory by default), as `runc spec` and gVisor's `runsc spec`
 * do. The content is oci_spec_write_default's; an existing file is never
 * replaced. */
#include "runsc/cli.h"
#include "runsc/oci_spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void spec_usage(void)
{
	printf("Usage: runsc spec [--bundle DIR]\n\n"
	       "Writes a default config.json, running \"sh\" on a terminal in a read-only\n"
	       "root \"rootfs\", into DIR (default: the current directory).\n");
}

/* "--bundle DIR", "--bundle=DIR", "-bundle DIR" or runc's "-b DIR".
 * Returns 1 if argv[*i] was it (advancing *i past its value), 0 if not,
 * -1 when the value is missing (message printed). */
static int bundle_flag(int argc, char **argv, int *i, const char **out)
{
	const char *a = argv[*i];

	if (strncmp(a, "--bundle=", 9) == 0 || strncmp(a, "-bundle=", 8) == 0) {
		*out = strchr(a, '=') + 1;
		return 1;
	}
	if (strcmp(a, "--bundle") != 0 && strcmp(a, "-bundle") != 0 && strcmp(a, "-b") != 0)
		return 0;
	if (*i + 1 >= argc) {
		cli_error("flag needs an argument: %s", a);
		return -1;
	}
	*out = argv[++*i];
	return 1;
}

int cmd_spec(struct global_flags *g, int argc, char **argv)
{
	const char *bundle = NULL;
	char path[PATH_MAX], err[PATH_MAX + 256];
	int i = 1, r;

	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			spec_usage();
			return 0;
		}
		r = bundle_flag(argc, argv, &i, &bundle);
		if (r == 0)
			r = parse_common_flag(g, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r == 0) {
			cli_error("spec: unknown flag %s", argv[i]);
			return 2;
		}
		i++;
	}
	if (i < argc) {
		cli_error("spec: unexpected argument %s", argv[i]);
		return 2;
	}

	if (!bundle || !bundle[0])
		r = snprintf(path, sizeof(path), "config.json");
	else
		r = snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		cli_error("spec: bundle path too long: %s", bundle);
		return 2;
	}

	r = oci_spec_write_default(path, err, sizeof(err));
	if (r == -EEXIST) {
		/* runc's words, which scripts may look for. */
		cli_error("File config.json exists. Remove it first");
		return 1;
	}
	if (r < 0) {
		cli_error("spec: %s", err);
		return 1;
	}
	return 0;
}
