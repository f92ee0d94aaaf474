/* runsc: Amber's single binary. Global flags, then a command. */
#include "runsc/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"Usage: runsc [global flags] <command> [flags] ...\n\n"
		"Commands:\n"
		"  do       run a program in a sandbox whose root is the host's, read-only\n"
		"  create, start, run, state, list, kill, wait, ps, delete\n"
		"           the OCI container lifecycle (root file system read-only for now)\n\n"
		"Global flags: --root DIR, --platform ptrace|systrap, --network none, --debug,\n"
		"  --debug-log FILE, --log FILE, --log-format text|json, --strace,\n"
		"  --systrap-disable-syscall-patching\n");
}

int main(int argc, char **argv)
{
	struct global_flags g = { .root = "/var/run/runsc", .platform = "systrap", .network = "none",
				  .log_format = "text" };
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		int r = parse_common_flag(&g, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r == 0) {
			if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
				printf("runsc version amber-0.1\nspec: 1.0.2\n");
				return 0;
			}
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
	if (strcmp(g.log_format, "text") != 0 && strcmp(g.log_format, "json") != 0) {
		cli_error("invalid --log-format %s (text or json)", g.log_format);
		return 2;
	}
	cli_set_log(g.log, g.log_format);
	static const struct {
		const char *name;
		int (*fn)(struct global_flags *, int, char **);
	} cmds[] = {
		{ "do", cmd_do }, { "create", cmd_create }, { "start", cmd_start }, { "state", cmd_state },
		{ "kill", cmd_kill }, { "wait", cmd_wait }, { "delete", cmd_delete }, { "run", cmd_run },
		{ "list", cmd_list }, { "ps", cmd_ps }, { "spec", cmd_spec }, { "events", cmd_events }, { "boot", cmd_boot },
		{ "gofer", cmd_gofer }, { "checkpoint", cmd_checkpoint }, { "restore", cmd_restore },
		{ "pause", cmd_pause }, { "resume", cmd_resume },
		{ "image", cmd_image },
	};
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(argv[i], cmds[k].name) != 0)
			continue;
		int r = cmds[k].fn(&g, argc - i, argv + i);
		/* The sentry (boot) and the gofer have no /proc once
		 * isolated, where an exit-time leak check (ASan builds)
		 * would look for their threads and fail: they end with
		 * _exit. */
		if (cmds[k].fn == cmd_boot || cmds[k].fn == cmd_gofer) {
			fflush(NULL);
			_exit(r);
		}
		return r;
	}
	cli_error("unknown command %s", argv[i]);
	return 2;
}
