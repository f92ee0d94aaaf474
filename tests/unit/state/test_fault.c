/* state/fault: AMBER_FAULT parsing and counting. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "state/fault.h"

static void set(const char *v)
{
	if (v)
		setenv("AMBER_FAULT", v, 1);
	else
		unsetenv("AMBER_FAULT");
	fault_reload();
}

Test(state_fault, unset_never_fails)
{
	set(NULL);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(fault_hit("image.write"), 0);
}

Test(state_fault, first_occurrence_by_default)
{
	set("image.fsync");
	cr_assert_eq(fault_hit("image.write"), 0);
	cr_assert_eq(fault_hit("image.fsync"), -EIO);
	cr_assert_eq(fault_hit("image.fsync"), 0, "a rule fires once");
	set(NULL);
}

Test(state_fault, nth_occurrence_and_several_rules)
{
	set("image.write:3,pages.read:2");
	cr_assert_eq(fault_hit("image.write"), 0);
	cr_assert_eq(fault_hit("pages.read"), 0);
	cr_assert_eq(fault_hit("image.write"), 0);
	cr_assert_eq(fault_hit("pages.read"), -EIO);
	cr_assert_eq(fault_hit("image.write"), -EIO);
	cr_assert_eq(fault_hit("image.write"), 0);
	set(NULL);
}

Test(state_fault, malformed_items_are_ignored)
{
	set("image.write:0,:3,image.read:x,image.fsync:2");
	cr_assert_eq(fault_hit("image.write"), 0);
	cr_assert_eq(fault_hit("image.read"), 0);
	cr_assert_eq(fault_hit("image.fsync"), 0);
	cr_assert_eq(fault_hit("image.fsync"), -EIO);
	set(NULL);
}
