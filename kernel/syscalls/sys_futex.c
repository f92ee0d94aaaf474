/* futex WAIT and WAKE (and their BITSET forms), REQUEUE, CMP_REQUEUE and
 * WAKE_OP, private and shared alike keyed by (address space, address).
 * Waiters are kernel objects on a list, not stack frames: an interrupted
 * wait leaves and restarts. The PI operations are not implemented. */
#include "kernel/syscalls/syscalls.h"
#include "kernel/syscalls/futex.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <linux/futex.h>
#include <time.h>

struct futex_waiter {
	struct task *task;
	struct mm *mm;
	uaddr_t uaddr;
	uint32_t bitset;
	struct futex_waiter *next;
};

static pthread_mutex_t futex_lock = PTHREAD_MUTEX_INITIALIZER;
static struct futex_waiter *futex_waiters;

static void waiter_remove(struct futex_waiter *w)
{
	struct futex_waiter **pp;

	for (pp = &futex_waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

/* The word still holds val: 0, -EAGAIN, or -EFAULT. futex_lock held. */
static int check_value(struct task *t, uaddr_t uaddr, uint32_t val)
{
	uint32_t cur;

	if (copy_in(t->mm, &cur, uaddr, sizeof(cur)) < 0)
		return -EFAULT;
	return cur == val ? 0 : -EAGAIN;
}

static long futex_wait(struct task *t, uaddr_t uaddr, uint32_t val, uint32_t bitset, int64_t deadline)
{
	struct futex_waiter w = { t, t->mm, uaddr, bitset, NULL };
	int r;

	if (uaddr & 3)
		return -EINVAL;
	if (!bitset)
		return -EINVAL;
	pthread_mutex_lock(&futex_lock);
	r = check_value(t, uaddr, val);
	if (r < 0) {
		pthread_mutex_unlock(&futex_lock);
		return r;
	}
	__atomic_store_n(&t->woken, false, __ATOMIC_RELEASE);
	w.next = futex_waiters;
	futex_waiters = &w;
	pthread_mutex_unlock(&futex_lock);

	r = task_wait(t, -1, 0, deadline);

	pthread_mutex_lock(&futex_lock);
	waiter_remove(&w);
	pthread_mutex_unlock(&futex_lock);
	if (r == 1)
		return 0;
	if (r == 0)
		return -ETIMEDOUT;
	/* Interrupted: the wait is redone from the start (the value is
	 * checked again), with the same absolute deadline. */
	return -LINUX_ERESTARTSYS;
}

/* Wakes up to n waiters on (mm, uaddr) whose bitset meets bitset; one
 * for n <= 0, as Linux, which counts after each wake-up. futex_lock
 * held. */
static long wake_locked(struct mm *mm, uaddr_t uaddr, int n, uint32_t bitset)
{
	struct futex_waiter **pp;
	long woken = 0;

	if (n < 1)
		n = 1;

	for (pp = &futex_waiters; *pp && woken < n;) {
		struct futex_waiter *w = *pp;
		if (w->mm == mm && w->uaddr == uaddr && (w->bitset & bitset)) {
			*pp = w->next;
			__atomic_store_n(&w->task->woken, true, __ATOMIC_RELEASE);
			task_interrupt(w->task);
			woken++;
			continue;
		}
		pp = &w->next;
	}
	return woken;
}

static long futex_wake_mm(struct mm *mm, uaddr_t uaddr, int n, uint32_t bitset)
{
	long woken;

	if (uaddr & 3)
		return -EINVAL;
	if (!bitset)
		return -EINVAL;
	pthread_mutex_lock(&futex_lock);
	woken = wake_locked(mm, uaddr, n, bitset);
	pthread_mutex_unlock(&futex_lock);
	return woken;
}

static long futex_wake(struct task *t, uaddr_t uaddr, int n, uint32_t bitset)
{
	return futex_wake_mm(t->mm, uaddr, n, bitset);
}

/* Wakes up to nwake waiters on uaddr and moves up to nreq others to
 * uaddr2 (their wait goes on there); CMP_REQUEUE first checks uaddr
 * still holds val. Returns how many were woken or moved, as Linux's
 * futex_requeue counts them. */
static long futex_requeue(struct task *t, uaddr_t uaddr, int nwake, int nreq, uaddr_t uaddr2, bool cmp,
			  uint32_t val)
{
	struct futex_waiter **pp;
	long n = 0;

	if ((uaddr & 3) || (uaddr2 & 3) || nwake < 0 || nreq < 0)
		return -EINVAL;
	pthread_mutex_lock(&futex_lock);
	if (cmp) {
		int r = check_value(t, uaddr, val);

		if (r < 0) {
			pthread_mutex_unlock(&futex_lock);
			return r;
		}
	}
	for (pp = &futex_waiters; *pp && nwake + nreq > 0;) {
		struct futex_waiter *w = *pp;

		if (w->mm != t->mm || w->uaddr != uaddr) {
			pp = &w->next;
			continue;
		}
		n++;
		if (nwake > 0) {
			nwake--;
			*pp = w->next;
			__atomic_store_n(&w->task->woken, true, __ATOMIC_RELEASE);
			task_interrupt(w->task);
			continue;
		}
		nreq--;
		w->uaddr = uaddr2;
		pp = &w->next;
	}
	pthread_mutex_unlock(&futex_lock);
	return n;
}

/* FUTEX_WAKE_OP's operation on the second word, decoded as Linux's
 * futex_atomic_op_inuser does: 12-bit signed operand and comparand,
 * FUTEX_OP_OPARG_SHIFT making the operand 1 << (operand & 31). */
struct wake_op {
	int op, cmp;
	int32_t oparg, cmparg;
};

static int32_t sign_extend12(uint32_t v)
{
	return (int32_t)(v << 20) >> 20;
}

static uint32_t wake_op_apply(uint32_t old, void *arg)
{
	const struct wake_op *w = arg;
	uint32_t x = (uint32_t)w->oparg;

	switch (w->op) {
	case FUTEX_OP_SET:
		return x;
	case FUTEX_OP_ADD:
		return old + x;
	case FUTEX_OP_OR:
		return old | x;
	case FUTEX_OP_ANDN:
		return old & ~x;
	default:	/* FUTEX_OP_XOR; others were refused before */
		return old ^ x;
	}
}

/* Changes the word at uaddr2 by the encoded operation, wakes up to nwake
 * waiters on uaddr, and, if the word's old value passes the encoded
 * comparison, up to nwake2 on uaddr2; all under futex_lock, so no waiter
 * comes or goes in between. Returns the number woken. */
static long futex_wake_op(struct task *t, uaddr_t uaddr, int nwake, int nwake2, uaddr_t uaddr2, uint32_t encoded)
{
	struct wake_op w = {
		.op = (int)(encoded >> 28) & 7,
		.cmp = (int)(encoded >> 24) & 15,
		.oparg = sign_extend12(encoded >> 12),
		.cmparg = sign_extend12(encoded),
	};
	int32_t old;
	bool pass;
	long n;
	int r;

	if ((uaddr & 3) || (uaddr2 & 3))
		return -EINVAL;
	if (encoded & ((uint32_t)FUTEX_OP_OPARG_SHIFT << 28))
		w.oparg = (int32_t)(1U << (w.oparg & 31));
	if (w.op > FUTEX_OP_XOR)
		return -ENOSYS;
	pthread_mutex_lock(&futex_lock);
	r = user_atomic_update_u32(t->mm, uaddr2, wake_op_apply, &w, (uint32_t *)&old);
	if (r < 0) {
		pthread_mutex_unlock(&futex_lock);
		return r;
	}
	switch (w.cmp) {
	case FUTEX_OP_CMP_EQ: pass = old == w.cmparg; break;
	case FUTEX_OP_CMP_NE: pass = old != w.cmparg; break;
	case FUTEX_OP_CMP_LT: pass = old < w.cmparg; break;
	case FUTEX_OP_CMP_LE: pass = old <= w.cmparg; break;
	case FUTEX_OP_CMP_GT: pass = old > w.cmparg; break;
	case FUTEX_OP_CMP_GE: pass = old >= w.cmparg; break;
	default:
		/* Linux has changed the word by then too. */
		pthread_mutex_unlock(&futex_lock);
		return -ENOSYS;
	}
	n = wake_locked(t->mm, uaddr, nwake, FUTEX_BITSET_MATCH_ANY);
	if (pass)
		n += wake_locked(t->mm, uaddr2, nwake2, FUTEX_BITSET_MATCH_ANY);
	pthread_mutex_unlock(&futex_lock);
	return n;
}

long futex_wake_addr(struct mm *mm, uaddr_t uaddr, int n)
{
	return futex_wake_mm(mm, uaddr, n, FUTEX_BITSET_MATCH_ANY);
}

SYSCALL(futex)
{
	int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
	int64_t deadline = -1;
	struct linux_timespec ts;
	struct timespec now;

	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && a[3]) {
		if (copy_in(t->mm, &ts, a[3], sizeof(ts)) < 0)
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (cmd == FUTEX_WAIT) {
			deadline = now.tv_sec * 1000000000LL + now.tv_nsec + ts.tv_sec * 1000000000LL + ts.tv_nsec;
		} else {
			int64_t abs = ts.tv_sec * 1000000000LL + ts.tv_nsec;
			if (op & FUTEX_CLOCK_REALTIME) {
				struct timespec rt;
				clock_gettime(CLOCK_REALTIME, &rt);
				abs -= rt.tv_sec * 1000000000LL + rt.tv_nsec;
				abs += now.tv_sec * 1000000000LL + now.tv_nsec;
			}
			deadline = abs;
		}
	}
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(t, a[0], (uint32_t)a[2], FUTEX_BITSET_MATCH_ANY, deadline);
	case FUTEX_WAIT_BITSET:
		return futex_wait(t, a[0], (uint32_t)a[2], (uint32_t)a[5], deadline);
	case FUTEX_WAKE:
		return futex_wake(t, a[0], (int)a[2], FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake(t, a[0], (int)a[2], (uint32_t)a[5]);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		/* The number to move comes in the timeout's place. */
		return futex_requeue(t, a[0], (int)a[2], (int)a[3], a[4], cmd == FUTEX_CMP_REQUEUE, (uint32_t)a[5]);
	case FUTEX_WAKE_OP:
		/* The second count comes in the timeout's place. */
		return futex_wake_op(t, a[0], (int)a[2], (int)a[3], a[4], (uint32_t)a[5]);
	default:
		log_warn_once("futex: operation %d is not supported", cmd);
		return -ENOSYS;
	}
}
