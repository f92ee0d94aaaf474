/* fork, vfork, clone, clone3: argument decoding; the work is
 * kernel/task/fork.c's. */
#include "kernel/syscalls/syscalls.h"

#include "kernel/lib/log.h"

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>

#define CSIGNAL_MASK 0xff
#define CLONE_ARGS_SIZE_VER0 64		/* up to tls */
#define CLONE_ARGS_SIZE_MAX 4096	/* Linux bounds the struct by a page */

SYSCALL(fork)
{
	struct clone_req req = { .exit_signal = SIGCHLD };

	return task_clone(t, &req);
}

SYSCALL(vfork)
{
	struct clone_req req = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };

	return task_clone(t, &req);
}

/* x86-64's argument order: flags, stack, parent_tid, child_tid, tls. */
SYSCALL(clone)
{
	struct clone_req req = {
		.flags = a[0] & ~(uint64_t)CSIGNAL_MASK,
		.exit_signal = (int)(a[0] & CSIGNAL_MASK),
		.stack = a[1],
		.parent_tid = a[2],
		.child_tid = a[3],
		.tls = a[4],
	};

	/* clone(2) takes the low 32 bits; clone3's flags are 64-bit. */
	req.flags &= 0xffffffffULL;
	/* Flags only clone3 may carry (CLONE_CLEAR_SIGHAND, INTO_CGROUP)
	 * lie above; CLONE_PIDFD shares its bit's meaning in both. */
	if (req.flags & CLONE_PIDFD) {
		log_warn_once("clone: CLONE_PIDFD is not supported yet");
		return -EINVAL;
	}
	return task_clone(t, &req);
}

SYSCALL(clone3)
{
	struct clone_args ca;
	uint64_t size = a[1];
	struct clone_req req;
	uint8_t tail[64];

	/* Linux's copy_struct_from_user bounds: past a page is E2BIG, below
	 * the first version EINVAL. */
	if (size > CLONE_ARGS_SIZE_MAX)
		return -E2BIG;
	if (size < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	memset(&ca, 0, sizeof(ca));
	if (copy_in(t->mm, &ca, a[0], MIN(size, sizeof(ca))) < 0)
		return -EFAULT;
	/* A larger struct from a newer program: the fields we do not know
	 * must be zero (Linux's copy_struct_from_user). */
	for (uint64_t off = sizeof(ca); off < size; off += sizeof(tail)) {
		size_t n = MIN(sizeof(tail), size - off);
		if (copy_in(t->mm, tail, a[0] + off, n) < 0)
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (tail[i])
				return -E2BIG;
	}
	if (ca.exit_signal & ~(uint64_t)CSIGNAL_MASK)
		return -EINVAL;
	if (ca.flags & CLONE_PIDFD || ca.set_tid || ca.set_tid_size || ca.cgroup ||
	    (ca.flags & (CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP))) {
		log_warn_once("clone3: pidfd, set_tid, cgroup and CLONE_CLEAR_SIGHAND are not supported yet");
		return -EINVAL;
	}
	/* clone3 gives the stack as a base and a size. */
	if ((ca.stack == 0) != (ca.stack_size == 0))
		return -EINVAL;
	req = (struct clone_req){
		.flags = ca.flags & ~(uint64_t)CSIGNAL_MASK,
		.exit_signal = (int)ca.exit_signal,
		.stack = ca.stack ? ca.stack + ca.stack_size : 0,
		.parent_tid = ca.parent_tid,
		.child_tid = ca.child_tid,
		.tls = ca.tls,
	};
	if (ca.flags & CSIGNAL_MASK)
		return -EINVAL;
	return task_clone(t, &req);
}
