/* seccomp(2) for the application: strict mode and classic-BPF filters,
 * checked and run by the sentry on every system call of a task that has
 * them. Nothing of it reaches the host: the stub's own filter is the
 * platform's and never the application's. */
#ifndef AMBER_SECCOMP_H
#define AMBER_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

struct task;

#define SECCOMP_MAX_INSNS	4096		/* BPF_MAXINSNS: one filter */
#define SECCOMP_MAX_PATH_INSNS	32768		/* all a task's filters, as Linux counts them */

/* One attached filter; a task holds the newest, each holds the one
 * attached before it. Immutable once attached, so shared freely. */
struct seccomp_filter {
	int refs;				/* atomic */
	bool log;				/* SECCOMP_FILTER_FLAG_LOG */
	uint16_t len;
	struct seccomp_filter *prev;		/* counted */
	struct sock_filter insns[];
};

void seccomp_filter_get(struct seccomp_filter *f);
void seccomp_filter_put(struct seccomp_filter *f);

/* A filter of len instructions (one reference), for the caller to fill
 * in insns and then check. Returns 0, or -EINVAL when len is 0 or more
 * than SECCOMP_MAX_INSNS, or -ENOMEM. */
int seccomp_filter_alloc(size_t len, bool log, struct seccomp_filter **out);
/* Checks the filled-in program as Linux's seccomp_check_filter and
 * bpf_check_classic do (only the instructions seccomp allows, loads
 * inside seccomp_data, no division by a constant zero, forward jumps
 * inside the program, scratch memory written before it is read, a return
 * at the end), rewriting length loads as constants. 0 or -EINVAL; only a
 * checked filter may be attached. */
int seccomp_filter_check(struct seccomp_filter *f);

/* Attaches f (the reference passes to the task) on top of t's filters.
 * -ENOMEM when all filters together would pass SECCOMP_MAX_PATH_INSNS. */
int seccomp_attach(struct task *t, struct seccomp_filter *f);

/* What the task's mode and filters decide for the call about to be made
 * from regs. Returns 0 to carry it out; otherwise the call is not made:
 * regs hold its result (an errno, or the call rolled back for a SIGSYS
 * handler) and the signal or exit is arranged. */
int seccomp_check(struct task *t);

/* Filters attached, for /proc/<pid>/status. */
int seccomp_filter_count(const struct task *t);

#endif
