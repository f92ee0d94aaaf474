/* Waits on pipes as safe points: in checkpoint/restore mode the
 * checkpoint comes while the program is blocked in poll on three pipes
 * (an empty one for POLLIN, a full one for POLLOUT, one for POLLHUP
 * alone). The poll is interrupted, restarted after the restore (its
 * timeout again from the start, the sandbox's documented difference) and
 * times out as it does natively; the pipes still work afterwards. */
#include "sctest.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

static char buf[65536];

int main(void)
{
	int empty[2], full[2], hup[2];
	struct pollfd pf[3];
	const char *cr = getenv("AMBER_CR");
	long r;

	if (pipe2(empty, 0) < 0 || pipe2(full, O_NONBLOCK) < 0 || pipe2(hup, 0) < 0)
		return 1;
	show("fill", sc(SYS_write, full[1], buf, sizeof(buf)));
	pf[0] = (struct pollfd){ empty[0], POLLIN, 0 };
	pf[1] = (struct pollfd){ full[1], POLLOUT, 0 };
	pf[2] = (struct pollfd){ hup[0], 0, 0 };
	/* The harness checkpoints once it sees the marker: inside the poll. */
	if (cr && *cr && write(2, "amber-cr-point\n", 15) < 0)
		return 1;
	r = sc(SYS_poll, pf, 3, 1500);
	printf("poll: %ld revents %#x %#x %#x\n", r, pf[0].revents, pf[1].revents, pf[2].revents);
	show("read full", sc(SYS_read, full[0], buf, sizeof(buf)));
	show("write empty", sc(SYS_write, empty[1], "ok", 2));
	show("read empty", sc(SYS_read, empty[0], buf, sizeof(buf)));
	close(hup[1]);
	r = sc(SYS_poll, pf, 3, -1);
	printf("poll: %ld revents %#x %#x %#x\n", r, pf[0].revents, pf[1].revents, pf[2].revents);
	return 0;
}
