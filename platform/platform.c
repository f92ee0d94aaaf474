#include "platform/platform.h"

#include <errno.h>
#include <string.h>

const struct platform_ops *platform = &platform_ptrace;

int platform_select(const char *name)
{
	if (strcmp(name, "ptrace") == 0) {
		platform = &platform_ptrace;
		return 0;
	}
	if (strcmp(name, "systrap") == 0) {
		platform = &platform_systrap;
		return 0;
	}
	return -EINVAL;
}
