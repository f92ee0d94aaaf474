/* poll, ppoll, select and pselect6 on files that are always ready
 * (regular files, /dev/null), bad fds, timeouts with nothing to wait for,
 * and argument errors. */
#include "sctest.h"
#include "amber_cr.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>

int main(void)
{
	int f = open("/etc/passwd", O_RDONLY), n = open("/dev/null", O_WRONLY);
	struct pollfd p[4] = {
		{ f, POLLIN | POLLOUT, 0 }, { n, POLLOUT, 0 }, { 999, POLLIN, 0 }, { -1, POLLIN, 0 },
	};
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	fd_set rd, wr;
	struct timeval tv = { 0, 0 };
	sigset_t m;
	int r;

	r = poll(p, 4, 0);
	printf("poll: %d revents %#x %#x %#x %#x\n", r, p[0].revents, p[1].revents, p[2].revents, p[3].revents);
	amber_cr_point();
	r = poll(NULL, 0, 30);
	printf("poll nothing with timeout: %d\n", r);
	r = poll(p, 1, -1);
	printf("poll ready file, no timeout: %d\n", r);
	show("poll bad pointer", sc3(SYS_poll, KERNEL_PTR, 1, 0));
	show("poll too many fds", sc3(SYS_poll, p, 1 << 20, 0));
	sigemptyset(&m);
	r = ppoll(p, 2, &ts, &m);
	printf("ppoll: %d revents %#x %#x\n", r, p[0].revents, p[1].revents);
	ts.tv_nsec = -1;
	show("ppoll bad timeout", sc5(SYS_ppoll, p, 1, &ts, NULL, 8));

	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(f, &rd);
	FD_SET(n, &wr);
	r = select(n + 1, &rd, &wr, NULL, &tv);
	printf("select: %d read %d write %d\n", r, FD_ISSET(f, &rd), FD_ISSET(n, &wr));
	/* select ignores bits past the fd table's size, which depends on the
	 * highest fd ever open (inherited too); grow it to 512 first so that
	 * fd 200 is inside it on every host. */
	dup2(f, 300);
	close(300);
	FD_ZERO(&rd);
	FD_SET(200, &rd);
	tv.tv_usec = 0;
	show("select bad fd", sc5(SYS_select, 201, &rd, NULL, NULL, &tv));
	/* nfds past the table is clamped, not refused; fd 0 is /dev/null here */
	{
		static unsigned long big[4096 / 64];
		big[0] = 1;
		show("select nfds 4096", sc5(SYS_select, 4096, big, NULL, NULL, &tv));
		printf("  fd 0 readable: %lu\n", big[0] & 1);
	}
	show("select negative nfds", sc5(SYS_select, -1, NULL, NULL, NULL, &tv));
	tv.tv_usec = 20000;
	r = select(0, NULL, NULL, NULL, &tv);
	printf("select as a sleep: %d\n", r);
	ts.tv_nsec = 0;
	FD_ZERO(&rd);
	FD_SET(f, &rd);
	r = pselect(f + 1, &rd, NULL, NULL, &ts, &m);
	printf("pselect: %d read %d\n", r, FD_ISSET(f, &rd));
	return 0;
}
