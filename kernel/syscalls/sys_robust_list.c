/* Robust futex lists: set_robust_list, get_robust_list, and the walk of a
 * thread's list when it exits or execs (Linux's exit_robust_list). Each
 * lock word on the list that still holds the thread's tid gets
 * FUTEX_OWNER_DIED, and one waiter is woken, so a robust mutex's next
 * locker learns of the death (EOWNERDEAD) instead of waiting forever. The
 * list lives in application memory: every entry is read with the checked
 * copies, and the walk stops at ROBUST_LIST_LIMIT entries (a loop). A PI
 * entry (bit 0 of its pointer) is marked but wakes nobody, as in Linux,
 * where its waiters are the PI code's (not implemented here). */
#include "kernel/syscalls/syscalls.h"
#include "kernel/syscalls/futex.h"

#include <errno.h>
#include <linux/futex.h>

struct robust_head {	/* struct robust_list_head */
	uint64_t list;
	int64_t futex_offset;
	uint64_t list_op_pending;
};

SYSCALL(set_robust_list)
{
	if (a[1] != sizeof(struct robust_head))
		return -EINVAL;
	t->robust_list = a[0];
	t->robust_len = a[1];
	return 0;
}

SYSCALL(get_robust_list)
{
	struct task *target = t;
	uint64_t head, len = sizeof(struct robust_head);
	int err = 0;

	if (a[0]) {
		target = task_find((pid_t)a[0], false);
		if (!target)
			return -ESRCH;
	}
	head = target->robust_list;
	if (target != t)
		task_put(target);
	if (copy_out(t->mm, a[1], &head, sizeof(head)) < 0 || copy_out(t->mm, a[2], &len, sizeof(len)) < 0)
		err = -EFAULT;
	return err;
}

struct owner_died {
	uint32_t tid;
};

/* The word's new value: owner-died, keeping the waiters bit, if tid still
 * owns it; else unchanged. */
static uint32_t mark_owner_died(uint32_t old, void *arg)
{
	const struct owner_died *o = arg;

	if ((old & FUTEX_TID_MASK) != o->tid)
		return old;
	return (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
}

/* Linux's handle_futex_death: 0, or < 0 for a word that cannot be
 * changed, which ends the walk. */
static int futex_death(struct task *t, struct mm *mm, uint64_t uaddr, bool pi, bool pending)
{
	struct owner_died o = { (uint32_t)t->tid };
	uint32_t old;
	int err;

	if (uaddr & 3)
		return -EINVAL;
	if (pending && !pi) {
		/* Died between taking a free lock word and listing it: a
		 * waiter may have missed the unlock's wake-up. */
		if (copy_in(mm, &old, uaddr, sizeof(old)) < 0)
			return -EFAULT;
		if (old == 0) {
			futex_wake_addr(mm, uaddr, 1);
			return 0;
		}
	}
	err = user_atomic_update_u32(mm, uaddr, mark_owner_died, &o, &old);
	if (err < 0)
		return err;
	if (!pi && (old & FUTEX_TID_MASK) == o.tid && (old & FUTEX_WAITERS))
		futex_wake_addr(mm, uaddr, 1);
	return 0;
}

static int fetch_entry(struct mm *mm, uint64_t addr, uint64_t *entry, bool *pi)
{
	uint64_t v;

	if (copy_in(mm, &v, addr, sizeof(v)) < 0)
		return -EFAULT;
	*pi = v & 1;
	*entry = v & ~1ULL;
	return 0;
}

void futex_exit_robust_list(struct task *t, struct mm *mm)
{
	uint64_t head_addr = t->robust_list, entry, next, pending;
	struct robust_head head;
	bool pi, next_pi, pending_pi;
	unsigned int limit = ROBUST_LIST_LIMIT;

	t->robust_list = 0;
	if (!head_addr || !mm)
		return;
	if (copy_in(mm, &head, head_addr, sizeof(head)) < 0)
		return;
	pi = head.list & 1;
	entry = head.list & ~1ULL;
	pending_pi = head.list_op_pending & 1;
	pending = head.list_op_pending & ~1ULL;
	while (entry != head_addr) {
		/* The next pointer first: the entry's owner may free it once
		 * the word says it died. */
		int r = fetch_entry(mm, entry, &next, &next_pi);

		if (entry != pending && futex_death(t, mm, entry + (uint64_t)head.futex_offset, pi, false) < 0)
			return;
		if (r < 0)
			return;
		entry = next;
		pi = next_pi;
		if (--limit == 0)
			break;
	}
	if (pending)
		futex_death(t, mm, pending + (uint64_t)head.futex_offset, pending_pi, true);
}
