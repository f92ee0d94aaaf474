/* poll, ppoll, select, pselect6. Readiness comes from each file's poll op;
 * a wait blocks in task_wait on the host fds each file's wait_fd names
 * (stdio's own, a pipe's level eventfds), so a signal interrupts it.
 * Differs from Linux: an interrupted call that is restarted (no handler)
 * starts its timeout again from the beginning; past 64 host fds to wait
 * on, the files left out are polled every 10 ms instead of woken. */
#include "kernel/syscalls/syscalls.h"
#include "kernel/time/timekeeper.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MAX_FDS 4096	/* bounded like RLIMIT_NOFILE's default hard limit */
#define WAIT_MAX 64

struct linux_pollfd {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

static short file_poll(struct file *f, short events)
{
	short always = POLLERR | POLLHUP | POLLNVAL;

	if (!f->ops->poll)
		return (short)((POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM) & (events | always));
	return (short)(f->ops->poll(f, events) & (events | always));
}

/* Adds (fd, events) to the host waits, merged with an entry for the same
 * fd (two ends, or two fds, of one pipe). Returns 1 when added, 0 when
 * merged, -1 when there is no room. */
static int add_wait(struct pollfd *waits, int *nw, int fd, short events)
{
	for (int i = 0; i < *nw; i++)
		if (waits[i].fd == fd) {
			waits[i].events |= events;
			return 0;
		}
	if (*nw == WAIT_MAX)
		return -1;
	waits[(*nw)++] = (struct pollfd){ .fd = fd, .events = events };
	return 1;
}

/* The core of poll and select: fills revents; returns the number of
 * entries with events, 0 at the deadline, or a restart code. */
static long do_poll(struct task *t, struct linux_pollfd *pfds, unsigned n, int64_t deadline)
{
	for (;;) {
		struct pollfd waits[WAIT_MAX];
		/* The files whose host fds waits names, held until the wait
		 * is over: a wait_fd is valid only while its file is open. */
		struct file *held[WAIT_MAX];
		int nw = 0, r;
		bool overflow = false;
		long ready = 0, err = 0;
		int64_t until = deadline;

		for (unsigned i = 0; i < n; i++) {
			struct file *f;

			pfds[i].revents = 0;
			if (pfds[i].fd < 0)
				continue;
			f = fd_get(t, pfds[i].fd);
			if (!f) {
				pfds[i].revents = POLLNVAL;
				ready++;
				continue;
			}
			pfds[i].revents = file_poll(f, pfds[i].events);
			if (pfds[i].revents) {
				ready++;
			} else if (!ready && !err && f->ops->wait_fd) {
				short ev = pfds[i].events;
				int hfd = f->ops->wait_fd(f, &ev), added = hfd < 0 ? 0 : add_wait(waits, &nw, hfd, ev);

				if (hfd < 0)
					err = hfd;
				else if (added < 0)
					overflow = true;
				else if (added > 0) {
					held[nw - 1] = f;
					f = NULL;
				}
			}
			file_put(f);
		}
		if (ready || err || deadline == 0 || (deadline > 0 && host_mono_ns() >= deadline)) {
			r = 0;
		} else {
			/* More files to wait for than host fds in one wait:
			 * those left out are looked at again every 10 ms. */
			if (overflow && (until < 0 || until > host_mono_ns() + 10000000))
				until = host_mono_ns() + 10000000;
			r = task_wait_many(t, waits, nw, until);
		}
		for (int i = 0; i < nw; i++)
			file_put(held[i]);
		if (ready)
			return ready;
		if (err)
			return err;
		if (deadline == 0 || (deadline > 0 && host_mono_ns() >= deadline))
			return 0;
		if (r == -EINTR)
			return -LINUX_ERESTARTNOHAND;
		if (r < 0)
			return r;
		if (r == 0 && until == deadline)
			return 0;
	}
}

static long poll_common(struct task *t, uaddr_t ufds, uint64_t nfds, int64_t deadline)
{
	struct linux_pollfd *pfds;
	long r;

	if (nfds > POLL_MAX_FDS || nfds > (uint64_t)task_nofile_limit(t) + 64)
		return -EINVAL;
	pfds = calloc(nfds ? nfds : 1, sizeof(*pfds));
	if (!pfds)
		return -ENOMEM;
	if (nfds && copy_in(t->mm, pfds, ufds, nfds * sizeof(*pfds)) < 0) {
		free(pfds);
		return -EFAULT;
	}
	r = do_poll(t, pfds, (unsigned)nfds, deadline);
	if (r >= 0 && nfds) {
		/* Only revents goes back, as Linux writes it. */
		for (uint64_t i = 0; i < nfds; i++)
			if (copy_out(t->mm, ufds + i * sizeof(*pfds) + offsetof(struct linux_pollfd, revents),
				     &pfds[i].revents, sizeof(pfds[i].revents)) < 0) {
				r = -EFAULT;
				break;
			}
	}
	free(pfds);
	return r;
}

SYSCALL(poll)
{
	int timeout = (int)a[2];
	int64_t deadline = timeout < 0 ? -1 : timeout == 0 ? 0 : host_mono_ns() + (int64_t)timeout * 1000000;

	return poll_common(t, a[0], a[1], deadline);
}

/* A timespec argument as a deadline: -1 for NULL (forever), 0 for zero. */
static int timeout_deadline(struct task *t, uaddr_t uts, int64_t *deadline)
{
	struct linux_timespec ts;

	if (!uts) {
		*deadline = -1;
		return 0;
	}
	if (copy_in(t->mm, &ts, uts, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	*deadline = ts.tv_sec == 0 && ts.tv_nsec == 0 ? 0 : host_mono_ns() + ts.tv_sec * 1000000000LL + ts.tv_nsec;
	return 0;
}

/* ppoll and pselect6 swap in a signal mask for the wait. */
static int swap_mask(struct task *t, uaddr_t umask, uint64_t size)
{
	uint64_t m;

	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (copy_in(t->mm, &m, umask, sizeof(m)) < 0)
		return -EFAULT;
	t->saved_sigmask = t->sigmask;
	t->has_saved_sigmask = true;
	t->sigmask = m & ~((1ULL << 8) | (1ULL << 18));	/* never SIGKILL, SIGSTOP */
	return 0;
}

static void restore_mask(struct task *t, long r)
{
	/* With a handler to run, the frame restores the saved mask; else
	 * it is restored here. */
	if (t->has_saved_sigmask && !(r == -LINUX_ERESTARTNOHAND && sig_pending(t))) {
		t->sigmask = t->saved_sigmask;
		t->has_saved_sigmask = false;
	}
}

SYSCALL(ppoll)
{
	int64_t deadline;
	long r = timeout_deadline(t, a[2], &deadline);

	if (r < 0)
		return r;
	r = swap_mask(t, a[3], a[4]);
	if (r < 0)
		return r;
	r = poll_common(t, a[0], a[1], deadline);
	restore_mask(t, r);
	return r;
}

/*
 * Like Linux, nfds is clamped to the size of the fd table and the sets are
 * read and written in whole longs: bits past the table are ignored, not
 * EBADF. The three sets live in one buffer: in[0..2] then out[0..2].
 */
static long select_common(struct task *t, int nfds, uaddr_t uin, uaddr_t uout, uaddr_t uex, int64_t deadline)
{
	uaddr_t uaddrs[3] = { uin, uout, uex };
	static const short events[3] = { POLLIN, POLLOUT, POLLPRI };
	static const short ready[3] = { POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI };
	size_t bytes;
	uint64_t *bits;
	struct linux_pollfd *pfds = NULL;
	unsigned n = 0;
	long r, count = 0;

	if (nfds < 0)
		return -EINVAL;
	if (nfds > fdtable_size(t))
		nfds = fdtable_size(t);
	bytes = ((size_t)nfds + 63) / 64 * 8;
	bits = calloc(6, bytes ? bytes : 8);
	if (!bits)
		return -ENOMEM;
#define SET(k) (bits + (size_t)(k) * (bytes / 8))
#define ISSET(set, fd) ((set)[(fd) / 64] >> ((fd) % 64) & 1)
	for (int k = 0; k < 3; k++)
		if (uaddrs[k] && bytes && copy_in(t->mm, SET(k), uaddrs[k], bytes) < 0) {
			r = -EFAULT;
			goto out;
		}
	pfds = calloc((size_t)nfds + 1, sizeof(*pfds));
	r = -ENOMEM;
	if (!pfds)
		goto out;
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		for (int k = 0; k < 3; k++)
			if (ISSET(SET(k), fd))
				ev |= events[k];
		if (!ev)
			continue;
		pfds[n].fd = fd;
		pfds[n].events = ev;
		n++;
	}
	r = do_poll(t, pfds, n, deadline);
	if (r < 0)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		int fd = pfds[i].fd;

		if (pfds[i].revents & POLLNVAL) {
			r = -EBADF;
			goto out;
		}
		for (int k = 0; k < 3; k++)
			if ((pfds[i].events & events[k]) && (pfds[i].revents & ready[k])) {
				SET(3 + k)[fd / 64] |= 1ULL << (fd % 64);
				count++;
			}
	}
	for (int k = 0; k < 3; k++)
		if (uaddrs[k] && bytes && copy_out(t->mm, uaddrs[k], SET(3 + k), bytes) < 0) {
			r = -EFAULT;
			goto out;
		}
	r = count;
#undef SET
#undef ISSET
out:
	free(pfds);
	free(bits);
	return r;
}

SYSCALL(select)
{
	struct linux_timeval tv;
	int64_t deadline = -1;

	if (a[4]) {
		if (copy_in(t->mm, &tv, a[4], sizeof(tv)) < 0)
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EINVAL;
		deadline = tv.tv_sec == 0 && tv.tv_usec == 0 ? 0 :
			   host_mono_ns() + tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	}
	return select_common(t, (int)a[0], a[1], a[2], a[3], deadline);
}

SYSCALL(pselect6)
{
	int64_t deadline;
	struct { uint64_t ss; uint64_t len; } sig = { 0, 0 };
	long r = timeout_deadline(t, a[4], &deadline);

	if (r < 0)
		return r;
	if (a[5] && copy_in(t->mm, &sig, a[5], sizeof(sig)) < 0)
		return -EFAULT;
	r = swap_mask(t, sig.ss, sig.ss ? sig.len : 8);
	if (r < 0)
		return r;
	r = select_common(t, (int)a[0], a[1], a[2], a[3], deadline);
	restore_mask(t, r);
	return r;
}
