/* The application's clocks, as the sentry keeps them for the vDSO and
 * for the system calls alike (one computation, vdso/vdso_data.h).
 *
 * With a usable TSC (invariant per CPUID, readable from user space) the
 * clocks are the TSC scaled by parameters the sentry fits to the host's
 * clocks, refreshed by a thread of the timekeeper; without one, they are
 * the host's clocks read on every call, and the vDSO makes system calls.
 * The monotonic clocks (MONOTONIC, MONOTONIC_RAW, BOOTTIME and their
 * variants) are the host's shifted by sandbox.mono_offset_ns, so that
 * they go on from a checkpoint after a restore. */
#ifndef AMBER_TIME_TIMEKEEPER_H
#define AMBER_TIME_TIMEKEEPER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct vdso_data;

/* Starts the clocks: checks the TSC, takes the first sample and starts
 * the refresh thread (which blocks every signal). Call once, before any
 * task runs and before the seccomp filter (kernel_init). The fault point
 * "time.tsc" (AMBER_FAULT) makes the TSC count as unusable. Returns 0 or
 * -errno. */
int tk_init(void);

/* The data page exists now, at page (a memory-file page, borrowed for
 * the sentry's life): it is filled at once and kept up to date. */
void tk_attach_page(struct vdso_data *page);

/* The host's CLOCK_MONOTONIC in ns: the clock of task_wait's deadlines,
 * of timers and of what the image records as "now" for them. */
int64_t host_mono_ns(void);

/* The application's clock c (a Linux clock id the syscall layer accepts:
 * not an alarm clock, which it maps to the base clock) now, in ns. */
int64_t tk_now(clockid_t c);

/* clock_getres of c, in ns. */
int64_t tk_res(clockid_t c);

/* What getcpu(2) reports: the same for every task (the sandbox does not
 * show where the host runs it). */
void tk_getcpu(uint32_t *cpu, uint32_t *node);

/* Restore: from now on the application's monotonic clocks are the host's
 * plus off (ns). Before any restored task runs. */
void tk_set_mono_offset(int64_t off);

/* Whether the TSC clocks are on (a usable TSC, calibrated). */
bool tk_tsc_clocks(void);

#endif
