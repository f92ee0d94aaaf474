/* A task's seccomp state in the image: mode, no_new_privs and the filters,
 * newest first. A loaded filter goes through the same check as one the
 * application attaches: an image cannot hand the sentry a program it
 * would have refused. */
#include "kernel/seccomp/seccomp_state.h"
#include "kernel/seccomp/seccomp.h"
#include "kernel/task/task.h"

#include <errno.h>
#include <stdio.h>
#include <linux/seccomp.h>

int seccomp_state_save(struct save_ctx *c, const struct task *t, Amber__Kernel__Task *pb)
{
	size_t n = (size_t)seccomp_filter_count(t), i = 0;

	pb->no_new_privs = t->no_new_privs;
	pb->seccomp_mode = (uint32_t)t->seccomp_mode;
	if (!n)
		return 0;
	pb->seccomp_filters = save_alloc(c, n * sizeof(*pb->seccomp_filters));
	if (!pb->seccomp_filters)
		return -ENOMEM;
	for (const struct seccomp_filter *f = t->seccomp; f; f = f->prev, i++) {
		Amber__Kernel__SeccompFilter *fp = save_alloc(c, sizeof(*fp));

		if (!fp)
			return -ENOMEM;
		amber__kernel__seccomp_filter__init(fp);
		fp->log = f->log;
		fp->n_insns = f->len;
		fp->insns = save_alloc(c, f->len * sizeof(uint64_t));
		if (!fp->insns)
			return -ENOMEM;
		for (size_t k = 0; k < f->len; k++) {
			const struct sock_filter *in = &f->insns[k];

			fp->insns[k] = in->code | (uint64_t)in->jt << 16 | (uint64_t)in->jf << 24 | (uint64_t)in->k << 32;
		}
		pb->seccomp_filters[i] = fp;
	}
	pb->n_seccomp_filters = n;
	return 0;
}

int seccomp_state_load(struct load_ctx *c, const Amber__Kernel__Task *pb, struct task *t)
{
	int err = 0;

	if (pb->seccomp_mode > SECCOMP_MODE_FILTER ||
	    (pb->seccomp_mode == SECCOMP_MODE_FILTER) != (pb->n_seccomp_filters > 0)) {
		snprintf(c->err, sizeof(c->err), "kernel.pb: task %d: bad seccomp mode %u with %zu filters", pb->tid,
			 pb->seccomp_mode, pb->n_seccomp_filters);
		return -EINVAL;
	}
	t->no_new_privs = pb->no_new_privs;
	/* Attached oldest first, as the application did. */
	for (size_t i = pb->n_seccomp_filters; i-- > 0 && err == 0;) {
		const Amber__Kernel__SeccompFilter *fp = pb->seccomp_filters[i];
		struct seccomp_filter *f;

		err = seccomp_filter_alloc(fp->n_insns, fp->log, &f);
		if (err < 0)
			break;
		for (size_t k = 0; k < fp->n_insns; k++) {
			f->insns[k].code = (uint16_t)fp->insns[k];
			f->insns[k].jt = (uint8_t)(fp->insns[k] >> 16);
			f->insns[k].jf = (uint8_t)(fp->insns[k] >> 24);
			f->insns[k].k = (uint32_t)(fp->insns[k] >> 32);
		}
		err = seccomp_filter_check(f);
		if (err == 0)
			err = seccomp_attach(t, f);
		if (err < 0)
			seccomp_filter_put(f);
	}
	if (err < 0) {
		snprintf(c->err, sizeof(c->err), "kernel.pb: task %d: a seccomp filter that does not check", pb->tid);
		return err == -ENOMEM ? err : -EINVAL;
	}
	t->seccomp_mode = (int)pb->seccomp_mode;
	return 0;
}
