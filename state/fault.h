/* Fault injection by name, for the paths that must not lose data.
 *
 * AMBER_FAULT=name[:n] makes the n-th occurrence (default the first) of
 * the named operation fail with EIO; several rules may be given separated
 * by commas ("image.fsync:2,pages.read"). Each rule fires once. Names in
 * use:
 *
 *   image.write   one whole-buffer write of an image file (state/image.c)
 *   image.fsync   one fsync of a file or directory of an image
 *   image.rename  the rename or exchange that publishes an image
 *   image.read    one whole-file read of an image file
 *   pages.write   one buffer written to the pages file (state/pages_write.c)
 *   pages.read    one read from the pages file (state/pages_read.c)
 *   time.tsc      the sentry's TSC check: the clocks are the host's, read
 *                 by system calls (kernel/time/timekeeper.c)
 *
 * The variable is read once, on the first call; with it unset a call costs
 * one atomic load. */
#ifndef AMBER_STATE_FAULT_H
#define AMBER_STATE_FAULT_H

/* Counts one occurrence of the operation `name`. Returns -EIO when this
 * occurrence must fail, else 0. Thread-safe. */
int fault_hit(const char *name);

/* Forgets the parsed rules and their counts; the next fault_hit reads
 * AMBER_FAULT again. For tests, which change the variable. */
void fault_reload(void);

#endif
