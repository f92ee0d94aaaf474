/* The host system calls runsc's long-lived processes may make: a libseccomp
 * allowlist for the sentry (runsc/seccomp_sentry.c) and one for the gofer
 * (runsc/seccomp_gofer.c). Anything else kills the whole process (a
 * SECCOMP_RET_TRAP with no SIGSYS handler; runsc/seccomp_sentry.c says why
 * not RET_KILL_PROCESS), so a missing rule shows up as a SIGSYS death in
 * the tests, never as a silently different result.
 *
 * The lists were measured with tools/seccomp-audit, which reports every
 * host system call of the sentry, its stubs and the gofer over a command
 * or the whole test suite, and which rules are missing or unused. */
#ifndef AMBER_RUNSC_SECCOMP_H
#define AMBER_RUNSC_SECCOMP_H

/* Installs the sentry's filter on every thread of the calling process
 * (TSYNC), once the sentry is set up: after kernel_init, before the first
 * task runs. The stub processes the sentry forks from then on inherit it;
 * the list therefore also holds what a stub does before it stops for its
 * tracer, and the calls the sentry injects into a stub.
 * PR_SET_NO_NEW_PRIVS must be set first. Returns 0 or -errno (-EACCES
 * without no_new_privs; -EINVAL or -EFAULT if the kernel refused). */
int seccomp_install_sentry(void);

/* Installs the gofer's filter on every thread of the calling process, once
 * it holds its root fd and socket, just before it serves requests.
 * PR_SET_NO_NEW_PRIVS must be set first. Returns 0 or -errno, as above. */
int seccomp_install_gofer(void);

/* ---- for runsc/seccomp_*.c only ---- */
#ifdef AMBER_SECCOMP_RULES
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* One rule: a system call, allowed (action SCMP_ACT_ALLOW) or answered
 * with an error (SCMP_ACT_ERRNO) when all of its argument comparisons hold.
 * Several rules for one call are alternatives. */
struct seccomp_rule {
	int nr;
	uint32_t action;
	unsigned int arg_count;
	struct scmp_arg_cmp arg[2];
};

#define SC_ALLOW(name)			{ SCMP_SYS(name), SCMP_ACT_ALLOW, 0, { { 0 } } }
#define SC_ALLOW1(name, c)		{ SCMP_SYS(name), SCMP_ACT_ALLOW, 1, { c } }
#define SC_ALLOW2(name, c1, c2)		{ SCMP_SYS(name), SCMP_ACT_ALLOW, 2, { c1, c2 } }
#define SC_ERRNO(name, err)		{ SCMP_SYS(name), SCMP_ACT_ERRNO(err), 0, { { 0 } } }
#define SC_ERRNO1(name, err, c)		{ SCMP_SYS(name), SCMP_ACT_ERRNO(err), 1, { c } }
/* Argument i equals v. Arguments that are C ints compare in their low 32
 * bits only, whatever a caller left in the upper half of the register. */
#define SC_EQ(i, v)			{ .arg = (i), .op = SCMP_CMP_EQ, .datum_a = (v) }
#define SC_EQ32(i, v)			{ .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffU, .datum_b = (v) }
/* (argument i & mask) == v */
#define SC_MASKED(i, mask, v)		{ .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (mask), .datum_b = (v) }

/* Builds a filter from rules (count of them) whose default action kills
 * the process, and loads it on all threads. Borrows rules. Returns 0 or
 * -errno. Defined in seccomp_sentry.c, shared with seccomp_gofer.c. */
int seccomp_install_rules(const struct seccomp_rule *rules, size_t count);
#endif

#endif
