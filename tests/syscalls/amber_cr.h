/* Checkpoint points for the syscall test programs.
 *
 * A test calls amber_cr_point() where a checkpoint may be taken, in the middle
 * of its work, with state set up before and checked after. Natively and in
 * plain sandbox runs it does nothing; in checkpoint/restore mode (to come) the
 * harness checkpoints and restores the sandbox there, and the program then
 * checks its own state, as CRIU's ZDTM tests do. */
#ifndef AMBER_CR_H
#define AMBER_CR_H

static inline void amber_cr_point(void) {}

#endif
