/* OCI hooks: run by the runtime on the host at the points the runtime
 * spec names, each with the container's state JSON on stdin. */
#ifndef AMBER_RUNSC_HOOKS_H
#define AMBER_RUNSC_HOOKS_H

#include "runsc/oci_spec.h"

/* Runs every hook of kind in order; stops at the first that fails (non-zero
 * exit, a signal, or its timeout). Returns 0 or -errno, with a one-line
 * message in err. */
int hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, const char *state_json, char *err, size_t errlen);

/* The OCI state JSON of a container (new malloc'd string). */
char *hooks_state_json(const char *id, const char *status, int pid, const char *bundle);

#endif
