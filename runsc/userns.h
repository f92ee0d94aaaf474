/* The sentry's user namespace, when config.json asks for one: create
 * starts the sentry, the sentry unshares a user namespace before it starts
 * any thread, and create (root in the parent namespace) writes the
 * mappings; the sentry then becomes the mapped root and holds no
 * capability on the host. */
#ifndef AMBER_RUNSC_USERNS_H
#define AMBER_RUNSC_USERNS_H

#include <stdint.h>
#include <sys/types.h>
#include "runsc/oci_spec.h"

/* The ids the sentry takes inside its namespace (container root when it is
 * mapped, else the first mapping's) and the host ids they map to. */
struct userns_ids {
	uint32_t ns_uid, ns_gid;
	uint32_t host_uid, host_gid;
};

/* Whether the spec asks for a user namespace; -EINVAL with a message in
 * err when it does without both mappings. */
int userns_wanted(const struct oci_spec *s, struct userns_ids *ids, char *err, size_t errlen);
/* Writes /proc/PID/uid_map and gid_map; a mapping the kernel refuses is
 * named in err. */
int userns_write_maps(pid_t pid, const struct oci_spec *s, char *err, size_t errlen);
/* In the sentry: unshare the namespace, say "userns" on ready_fd, wait for
 * "ok" on sync_fd, then switch to the ids. */
int userns_enter(int ready_fd, int sync_fd, uint32_t uid, uint32_t gid);

#endif
