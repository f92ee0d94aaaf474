/* splice, tee and vmsplice between pipes, a file (/etc/passwd, read only,
 * the same file on both sides), /dev/null and stdout: what moves, what
 * stays, offsets, EAGAIN, EOF, EPIPE and SIGPIPE, and argument errors. */
#include "sctest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

static char buf[1 << 17], file[1 << 16];
static int sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void mkpipe(int p[2], int flags)
{
	if (pipe2(p, flags) < 0)
		exit(1);
}

static long nread(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) < 0 ? -errno : n;
}

static void errors(void)
{
	int p[2], q[2], f = open("/etc/passwd", O_RDONLY), n = open("/dev/null", O_WRONLY);
	loff_t off = 0;

	mkpipe(p, O_NONBLOCK);
	mkpipe(q, O_NONBLOCK);
	show("splice len 0", sc(SYS_splice, p[0], NULL, q[1], NULL, 0, 0));
	show("splice bad flags", sc(SYS_splice, p[0], NULL, q[1], NULL, 1, 0x100));
	show("splice bad fd", sc(SYS_splice, 999, NULL, q[1], NULL, 1, 0));
	show("splice from a write end", sc(SYS_splice, p[1], NULL, q[1], NULL, 1, 0));
	show("splice to a read end", sc(SYS_splice, p[0], NULL, q[0], NULL, 1, 0));
	show("splice a pipe to itself", sc(SYS_splice, p[0], NULL, p[1], NULL, 1, 0));
	show("splice file to file", sc(SYS_splice, f, NULL, n, NULL, 1, 0));
	show("splice offset on the pipe", sc(SYS_splice, p[0], &off, n, NULL, 1, 0));
	show("splice bad offset pointer", sc(SYS_splice, f, KERNEL_PTR, p[1], NULL, 1, 0));
	off = -1;
	show("splice negative offset", sc(SYS_splice, f, &off, p[1], NULL, 1, 0));
	show("tee bad flags", sc(SYS_tee, p[0], q[1], 1, 0x100));
	show("tee len 0", sc(SYS_tee, p[0], q[1], 0, 0));
	show("tee a pipe to itself", sc(SYS_tee, p[0], p[1], 1, 0));
	show("tee from a file", sc(SYS_tee, f, q[1], 1, 0));
	show("vmsplice bad flags", sc(SYS_vmsplice, p[1], NULL, 0, 0x100));
	show("vmsplice nothing to a file", sc(SYS_vmsplice, f, NULL, 0, 0));
	{
		struct iovec v = { buf, 1 };
		show("vmsplice a byte to a file", sc(SYS_vmsplice, n, &v, 1, 0));
		show("vmsplice too many segments", sc(SYS_vmsplice, p[1], &v, 1025, 0));
		v.iov_base = KERNEL_PTR;
		show("vmsplice bad segment", sc(SYS_vmsplice, p[1], &v, 1, 0));
	}
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(f);
	close(n);
}

static void moves(void)
{
	int p[2], q[2], f = open("/etc/passwd", O_RDONLY), n = open("/dev/null", O_WRONLY);
	ssize_t size = read(f, file, sizeof(file));
	loff_t off = 5;
	long r;

	lseek(f, 0, SEEK_SET);
	mkpipe(p, O_NONBLOCK);
	mkpipe(q, O_NONBLOCK);
	show("splice from an empty pipe", sc(SYS_splice, p[0], NULL, n, NULL, 100, 0));
	show("write 10", sc(SYS_write, p[1], "0123456789", 10));
	show("splice 4 to /dev/null", sc(SYS_splice, p[0], NULL, n, NULL, 4, 0));
	show("splice to another pipe", sc(SYS_splice, p[0], NULL, q[1], NULL, 100, 0));
	show("FIONREAD both", nread(p[0]) * 1000 + nread(q[0]));
	show("tee back", sc(SYS_tee, q[0], p[1], 100, 0));
	show("FIONREAD both", nread(p[0]) * 1000 + nread(q[0]));
	show("read", sc(SYS_read, q[0], buf, 100));
	printf("got %.6s\n", buf);
	show("tee from an empty pipe", sc(SYS_tee, q[0], p[1], 100, 0));
	show("drain", sc(SYS_read, p[0], buf, 100));

	r = sc(SYS_splice, f, &off, p[1], NULL, 100, 0);
	show("splice 100 of the file at 5", r);
	printf("offset %lld, file position %lld\n", (long long)off, (long long)lseek(f, 0, SEEK_CUR));
	r = read(p[0], buf, sizeof(buf));
	yesno("what came is the file's", r == 100 && size > 105 && memcmp(buf, file + 5, 100) == 0);
	r = 0;
	for (long k; (k = sc(SYS_splice, f, NULL, p[1], NULL, 1000, SPLICE_F_MOVE)) > 0;) {
		r += k;
		sc(SYS_read, p[0], buf + r - k, sizeof(buf) - (size_t)r);
	}
	yesno("spliced all of the file", r == size && memcmp(buf, file, (size_t)size) == 0);
	yesno("file position at its end", lseek(f, 0, SEEK_CUR) == size);

	show("fill", sc(SYS_write, p[1], buf, 65536));
	show("splice into a full pipe, nonblocking", sc(SYS_splice, f, &off, p[1], NULL, 10, SPLICE_F_NONBLOCK));
	show("splice between full pipes", sc(SYS_splice, q[0], NULL, p[1], NULL, 10, 0));
	show("splice 65536 to /dev/null", sc(SYS_splice, p[0], NULL, n, NULL, 1 << 20, 0));

	fflush(stdout);
	show("write", sc(SYS_write, p[1], "spliced to stdout\n", 18));
	show("splice to stdout", sc(SYS_splice, p[0], NULL, 1, NULL, 100, 0));

	close(p[1]);
	show("splice at EOF", sc(SYS_splice, p[0], NULL, n, NULL, 100, 0));
	show("tee at EOF", sc(SYS_tee, p[0], q[1], 100, 0));
	close(q[0]);
	signal(SIGPIPE, on_sigpipe);
	show("splice into a pipe with no reader", sc(SYS_splice, f, &off, q[1], NULL, 10, 0));
	printf("SIGPIPEs: %d\n", sigpipes);
	close(p[0]);
	close(q[1]);
	close(f);
	close(n);
}

static void vm(void)
{
	int p[2];
	struct iovec v[2] = { { "vm", 2 }, { "splice", 6 } };

	mkpipe(p, 0);
	show("vmsplice 2 segments", sc(SYS_vmsplice, p[1], v, 2, 0));
	memset(buf, 0, 16);
	v[0] = (struct iovec){ buf, 3 };
	v[1] = (struct iovec){ buf + 8, 8 };
	show("vmsplice out", sc(SYS_vmsplice, p[0], v, 2, 0));
	printf("got %.3s %.5s\n", buf, buf + 8);
	show("vmsplice out of an empty pipe, SPLICE_F_NONBLOCK", sc(SYS_vmsplice, p[0], v, 2, SPLICE_F_NONBLOCK));
	v[0] = (struct iovec){ buf, 100000 };
	show("vmsplice 100000", sc(SYS_vmsplice, p[1], v, 1, 0));
	show("vmsplice to a full pipe, SPLICE_F_NONBLOCK", sc(SYS_vmsplice, p[1], v, 1, SPLICE_F_NONBLOCK));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	errors();
	moves();
	vm();
	return 0;
}
