/* Checkpoint and restore of a task's seccomp state (kernel.proto: Task). */
#ifndef AMBER_SECCOMP_STATE_H
#define AMBER_SECCOMP_STATE_H

#include "kernel/state/state.h"

struct task;

/* Fills pb's seccomp fields from t. 0 or -ENOMEM. */
int seccomp_state_save(struct save_ctx *c, const struct task *t, Amber__Kernel__Task *pb);
/* Gives t (fresh, no filters) pb's mode, no_new_privs and filters, each
 * checked as seccomp(2) checks it. 0, or -EINVAL (c->err says why) or
 * -ENOMEM. */
int seccomp_state_load(struct load_ctx *c, const Amber__Kernel__Task *pb, struct task *t);

#endif
