/* For the tests of the sandbox's patched system calls (mm/patch_*.c):
 * where the sandbox keeps their table, and a loop that makes two call
 * sites hot (glibc's getppid and the syscall(2) wrapper's) and checks
 * their answers. */
#ifndef PATCH_HOT_H
#define PATCH_HOT_H

#include "sctest.h"

#define PATCH_REGION 0x050f0000UL	/* kernel/mm/syscall_patch.h: PATCH_BASE */

/* n rounds of both calls; returns how many gave a wrong answer. */
static inline int hot_calls(int n)
{
	pid_t want = getppid();
	int bad = 0;

	for (int i = 0; i < n; i++)
		if (syscall(SYS_getppid) != want || getppid() != want)
			bad++;
	return bad;
}

#endif
