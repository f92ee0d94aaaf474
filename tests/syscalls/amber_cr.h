/* Checkpoint points for the syscall test programs.
 *
 * A test calls amber_cr_point() where a checkpoint may be taken, in the middle
 * of its work, with state set up before and checked after. With AMBER_CR set
 * in the environment (both runs get it in checkpoint/restore mode) it says
 * so on stderr, which the harness watches (tests/integration/cr_run.sh), and
 * sleeps long enough to be checkpointed in the sleep, which the restored
 * sandbox then finishes; the program checks its own state afterwards, as
 * CRIU's ZDTM tests do. Otherwise it does nothing. stdout is untouched, so
 * native and sandboxed outputs stay comparable. */
#ifndef AMBER_CR_H
#define AMBER_CR_H

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline void amber_cr_point(void)
{
	static const char msg[] = "amber-cr-point\n";
	const char *on = getenv("AMBER_CR");
	struct timespec ts = { 0, 400 * 1000 * 1000 };

	if (!on || !*on)
		return;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		return;
	nanosleep(&ts, NULL);
}

#endif
