/* futex WAIT and WAKE (and their BITSET forms), REQUEUE and CMP_REQUEUE,
 * private and shared alike
 * keyed by (address space, address). Waiters are kernel objects on a
 * list, not stack frames: an interrupted wait leaves and restarts. */
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

static long futex_wake_mm(struct mm *mm, uaddr_t uaddr, int n, uint32_t bitset)
{
	struct futex_waiter **pp;
	long woken = 0;

	if (uaddr & 3)
		return -EINVAL;
	if (!bitset)
		return -EINVAL;
	pthread_mutex_lock(&futex_lock);
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
	default:
		log_warn_once("futex: operation %d is not supported", cmd);
		return -ENOSYS;
	}
}
