/* runsc spec (runsc/cmd_spec.c): writes a config.json that loads, into
 * --bundle or the working directory, and never over an existing one. */
#include "runsc/cli.h"
#include "runsc/oci_spec.h"

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char cs_dir[] = "/tmp/amber-spec-test.XXXXXX";

static int cs_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void cs_setup(void)
{
	char path[PATH_MAX];

	cr_redirect_stderr();
	cr_assert_not_null(mkdtemp(cs_dir));
	snprintf(path, sizeof(path), "%s/rootfs", cs_dir);
	cr_assert_eq(mkdir(path, 0755), 0);
}

static void cs_teardown(void)
{
	nftw(cs_dir, cs_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int run_spec(int argc, char **argv)
{
	struct global_flags g = { .root = "/var/run/runsc", .platform = "ptrace", .network = "none",
				  .log_format = "text" };

	return cmd_spec(&g, argc, argv);
}

static void expect_loads(void)
{
	struct oci_spec s;
	char err[512] = "";

	cr_assert_eq(oci_spec_load(cs_dir, &s, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(s.process.args.v[0], "sh");
	oci_spec_free(&s);
}

TestSuite(oci_cmd_spec, .init = cs_setup, .fini = cs_teardown);

Test(oci_cmd_spec, writes_into_bundle)
{
	char *argv[] = { "spec", "--bundle", cs_dir, NULL };

	cr_assert_eq(run_spec(3, argv), 0);
	expect_loads();
}

Test(oci_cmd_spec, flag_spellings)
{
	char flag[PATH_MAX + 16], path[PATH_MAX];
	char *argv1[] = { "spec", flag, NULL };
	char *argv2[] = { "spec", "-b", cs_dir, NULL };

	snprintf(flag, sizeof(flag), "--bundle=%s", cs_dir);
	snprintf(path, sizeof(path), "%s/config.json", cs_dir);
	cr_assert_eq(run_spec(2, argv1), 0);
	expect_loads();
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(run_spec(3, argv2), 0);
	expect_loads();
}

Test(oci_cmd_spec, default_is_working_directory)
{
	char *argv[] = { "spec", NULL };

	/* criterion runs each test in its own process. */
	cr_assert_eq(chdir(cs_dir), 0);
	cr_assert_eq(run_spec(1, argv), 0);
	expect_loads();
}

Test(oci_cmd_spec, refuses_to_overwrite)
{
	char *argv[] = { "spec", "--bundle", cs_dir, NULL };

	cr_assert_eq(run_spec(3, argv), 0);
	cr_expect_eq(run_spec(3, argv), 1);
	fflush(stderr);
	cr_expect_stderr_eq_str("runsc: File config.json exists. Remove it first\n");
}

Test(oci_cmd_spec, missing_bundle)
{
	char *argv[] = { "spec", "--bundle", "/nonexistent-amber-bundle", NULL };

	cr_expect_eq(run_spec(3, argv), 1);
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"runsc: spec: cannot create /nonexistent-amber-bundle/config.json: no such file or directory\n");
}

Test(oci_cmd_spec, bad_usage)
{
	char *unknown[] = { "spec", "--rootless", NULL };
	char *extra[] = { "spec", "--bundle", cs_dir, "sh", NULL };
	char *novalue[] = { "spec", "--bundle", NULL };

	cr_expect_eq(run_spec(2, unknown), 2);
	cr_expect_eq(run_spec(4, extra), 2);
	cr_expect_eq(run_spec(2, novalue), 2);
	fflush(stderr);
	cr_expect_stderr_eq_str("runsc: spec: unknown flag --rootless\n"
				"runsc: spec: unexpected argument sh\n"
				"runsc: flag needs an argument: --bundle\n");
}
