/* The one place a task blocks. It waits on host fds only, never on a
 * condition variable holding kernel state, so that an interrupted wait
 * leaves nothing behind: the system call returns a restart code and runs
 * again from the start (DESIGN.md, "Safe points"). */
#include "kernel/task/task.h"
#include "kernel/time/timekeeper.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

int task_wait(struct task *t, int host_fd, short events, int64_t deadline_ns)
{
	struct pollfd p = { .fd = host_fd, .events = events };
	int r = task_wait_many(t, &p, host_fd >= 0 ? 1 : 0, deadline_ns);

	return r > 0 ? 1 : r;
}

int task_wait_many(struct task *t, struct pollfd *fds, int n, int64_t deadline_ns)
{
	struct pollfd p[65];

	if (n > 64)
		return -EINVAL;
	p[0].fd = t->wake_fd;
	p[0].events = POLLIN;
	for (int i = 0; i < n; i++)
		p[i + 1] = fds[i];
	for (;;) {
		struct timespec ts, *tsp = NULL;
		int r;

		if (__atomic_exchange_n(&t->woken, false, __ATOMIC_ACQ_REL))
			return 1;
		if (sig_pending(t) || task_dying(t) || kernel_freezing())
			return -EINTR;
		if (deadline_ns >= 0) {
			int64_t left = deadline_ns - host_mono_ns();
			if (left <= 0)
				return 0;
			ts.tv_sec = left / 1000000000LL;
			ts.tv_nsec = left % 1000000000LL;
			tsp = &ts;
		}
		r = ppoll(p, (nfds_t)n + 1, tsp, NULL);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (p[0].revents & POLLIN)) {
			uint64_t v;
			while (read(t->wake_fd, &v, sizeof(v)) > 0)
				;
			r--;
		}
		if (r > 0) {
			for (int i = 0; i < n; i++)
				fds[i].revents = p[i + 1].revents;
			return r;
		}
	}
}
