/* runsc: Amber's single binary. Global flags, then a command. */
#include "runsc/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
	fprintf(stderr,
		"Usage: runsc [global flags] <command> [flags] ...\n\n"
		"Commands:\n"
		"  do       run a program in a sandbox whose root is the host's, read-only\n\n"
		"Global flags: --root DIR, --platform ptrace, --network none, --debug,\n"
		"  --debug-log FILE, --log FILE, --log-format text|json, --strace\n");
}

int main(int argc, char **argv)
{
	struct global_flags g = { .root = "/var/run/runsc", .platform = "ptrace", .network = "none",
				  .log_format = "text" };
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		int r = parse_common_flag(&g, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r == 0) {
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				usage();
				return 0;
			}
			cli_error("unknown flag %s", argv[i]);
			return 2;
		}
		i++;
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	if (strcmp(argv[i], "do") == 0)
		return cmd_do(&g, argc - i, argv + i);
	cli_error("unknown command %s", argv[i]);
	return 2;
}
