/* Pipes in one process: pipe and pipe2 (flags, bad flags, bad pointers),
 * capacity counted in page slots, PIPE_BUF atomicity (write and writev),
 * partial writes, EAGAIN, EOF, EPIPE and SIGPIPE, poll and select bits,
 * FIONREAD, F_GETPIPE_SZ and F_SETPIPE_SZ, packet mode (O_DIRECT), faults,
 * fstat and /proc/self/fd. A checkpoint may come while pipes hold data,
 * have lost an end, have a new size or hold packets; afterwards the
 * program checks that all of it is still there. It ends killed by
 * SIGPIPE (exit status 141), the default action of a write with no
 * reader. Run without CAP_SYS_RESOURCE natively, as a container's root
 * is by default (F_SETPIPE_SZ past 1 MiB is then EPERM, as in the
 * sandbox). */
#include "sctest.h"
#include "amber_cr.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>

static char buf[1 << 17];
static int sigpipes, sigusr1s;	/* sigusr1s counts SIGALRM too */

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void on_sigusr1(int sig)
{
	(void)sig;
	sigusr1s++;
}

static void mkpipe(int p[2], int flags)
{
	if (pipe2(p, flags) < 0) {
		printf("pipe2(%#x): %s\n", flags, errname(errno));
		exit(1);
	}
}

static long nread(int fd)
{
	int n = -1;
	long r = sc(SYS_ioctl, fd, FIONREAD, &n);

	return r < 0 ? r : n;
}

/* poll of one fd for events, without waiting: its revents, or -errno. */
static long poll1(int fd, short events, int timeout)
{
	struct pollfd p = { fd, events, 0 };
	long r = sc(SYS_poll, &p, 1, timeout);

	return r < 0 ? r : p.revents;
}

static void show_poll(const char *what, int fd, short events)
{
	long r = poll1(fd, events, 0);

	if (r < 0)
		show(what, r);
	else
		printf("%s: %#lx\n", what, r);
}

/* Writes n bytes of value c at once; the result. */
static long put(int fd, int c, size_t n)
{
	memset(buf, c, n);
	return sc(SYS_write, fd, buf, n);
}

/* Writes chunks of n bytes until the pipe (nonblocking) takes no more;
 * the bytes it took. */
static long fill(int fd, size_t n)
{
	long total = 0, r;

	while ((r = put(fd, 'f', n)) > 0)
		total += r;
	if (r != -EAGAIN)
		show("fill stopped", r);
	return total;
}

static void basics(void)
{
	int p[2], q[2];
	struct stat a, b, c;
	char path[64], link[64], want[64];
	ssize_t n;

	show("pipe", sc(SYS_pipe, p));
	yesno("fds consecutive", p[1] == p[0] + 1);
	printf("F_GETFL read end %#lx write end %#lx\n", sc(SYS_fcntl, p[0], F_GETFL), sc(SYS_fcntl, p[1], F_GETFL));
	printf("F_GETFD %ld %ld\n", sc(SYS_fcntl, p[0], F_GETFD), sc(SYS_fcntl, p[1], F_GETFD));
	mkpipe(q, 0);
	fstat(p[0], &a);
	fstat(p[1], &b);
	fstat(q[0], &c);
	printf("fstat: fifo %d mode %o nlink %lu size %ld blksize %ld blocks %ld\n", S_ISFIFO(a.st_mode),
	       a.st_mode & 07777, (unsigned long)a.st_nlink, (long)a.st_size, (long)a.st_blksize, (long)a.st_blocks);
	yesno("ends share an inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	yesno("two pipes differ", a.st_ino != c.st_ino);
	yesno("owner is euid", a.st_uid == geteuid() && a.st_gid == getegid());
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)a.st_ino);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	yesno("/proc/self/fd link is pipe:[ino]", strcmp(link, want) == 0);
	show("fchmod 0640", sc(SYS_fchmod, p[0], 0640));
	fstat(p[1], &b);
	printf("mode after fchmod %o fifo %d\n", b.st_mode & 07777, S_ISFIFO(b.st_mode));
	show("ftruncate", sc(SYS_ftruncate, p[1], 0));
	show("lseek", sc(SYS_lseek, p[0], 0, SEEK_SET));
	show("pread", sc(SYS_pread64, p[0], buf, 1, 0));
	show("read write end", sc(SYS_read, p[1], buf, 1));
	show("write read end", sc(SYS_write, p[0], "x", 1));
	show("TCGETS", sc(SYS_ioctl, p[0], TCGETS, buf));
	show("FIONREAD empty", nread(p[0]));
	show("write hello", sc(SYS_write, p[1], "hello", 5));
	show("FIONREAD on write end", nread(p[1]));
	show("read 3", sc(SYS_read, p[0], buf, 3));
	show("read 10", sc(SYS_read, p[0], buf + 3, 10));
	printf("got %.5s\n", buf);
	show("zero-length read of empty pipe", sc(SYS_read, p[0], buf, 0));
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void flags(void)
{
	int p[2], before, after;

	mkpipe(p, O_CLOEXEC | O_NONBLOCK);
	printf("O_CLOEXEC|O_NONBLOCK: FD %ld %ld FL %#lx %#lx\n", sc(SYS_fcntl, p[0], F_GETFD),
	       sc(SYS_fcntl, p[1], F_GETFD), sc(SYS_fcntl, p[0], F_GETFL), sc(SYS_fcntl, p[1], F_GETFL));
	show("nonblocking read of empty pipe", sc(SYS_read, p[0], buf, 1));
	close(p[0]);
	close(p[1]);
	mkpipe(p, O_DIRECT);
	printf("O_DIRECT: FL %#lx %#lx\n", sc(SYS_fcntl, p[0], F_GETFL), sc(SYS_fcntl, p[1], F_GETFL));
	close(p[0]);
	close(p[1]);
	show("pipe2 O_APPEND", sc(SYS_pipe2, p, O_APPEND));
	show("pipe2 O_RDWR", sc(SYS_pipe2, p, O_RDWR));
	show("pipe2 bit 30", sc(SYS_pipe2, p, 1 << 30));
	before = dup(0);
	close(before);
	show("pipe bad pointer", sc(SYS_pipe, KERNEL_PTR));
	show("pipe2 low pointer", sc(SYS_pipe2, LOW_PTR, O_CLOEXEC));
	{
		int *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		show("pipe2 read-only memory", sc(SYS_pipe2, ro, 0));
		munmap(ro, 4096);
	}
	after = dup(0);
	close(after);
	yesno("no fd lost to a bad pointer", before == after);
}

/* Capacity is 16 page slots; each write fills the newest slot's page
 * while it fits, else takes a new slot. */
static void capacity(void)
{
	int p[2];

	mkpipe(p, O_NONBLOCK);
	show("F_GETPIPE_SZ", sc(SYS_fcntl, p[0], F_GETPIPE_SZ));
	show_poll("poll write end, empty", p[1], POLLOUT);
	show("fill with 4096-byte writes", fill(p[1], 4096));
	show("FIONREAD full", nread(p[0]));
	show_poll("poll write end, full", p[1], POLLOUT);
	show_poll("poll read end, full", p[0], POLLIN | POLLOUT);
	show("write 1 to a full pipe", put(p[1], 'x', 1));
	show("drain", sc(SYS_read, p[0], buf, sizeof(buf)));
	show("fill with 1000-byte writes", fill(p[1], 1000));
	show("write 97 (96 left in the newest slot)", put(p[1], 'x', 97));
	show("write 96", put(p[1], 'x', 96));
	show("read 1", sc(SYS_read, p[0], buf, 1));
	show_poll("poll write end, a slot partly read", p[1], POLLOUT);
	show("write 1", put(p[1], 'x', 1));
	show("read 3999 (the rest of the oldest slot)", sc(SYS_read, p[0], buf, 3999));
	show_poll("poll write end, a slot free", p[1], POLLOUT);
	show("write 5000 (partial)", put(p[1], 'x', 5000));
	show("drain", sc(SYS_read, p[0], buf, sizeof(buf)));
	show("write 100000 to an empty pipe", put(p[1], 'y', 100000));
	show("read 100000", sc(SYS_read, p[0], buf, 100000));
	show("read empty", sc(SYS_read, p[0], buf, 1));
	close(p[0]);
	close(p[1]);
}

/* Up to PIPE_BUF bytes go in whole or not at all, whatever room there
 * is; a larger write may be split. */
static void atomicity(void)
{
	struct iovec iov[3];
	int p[2];

	mkpipe(p, O_NONBLOCK);
	show("fill", fill(p[1], 4096));
	show("read 4096", sc(SYS_read, p[0], buf, 4096));
	show("write 2000", put(p[1], 'a', 2000));
	/* One slot with 2096 bytes of room, no free slot. */
	show("write PIPE_BUF (4096)", put(p[1], 'b', PIPE_BUF));
	show("write 4097: its 1-byte tail fits", put(p[1], 'b', 4097));
	show("write 2095", put(p[1], 'c', 2095));
	show("read 4096", sc(SYS_read, p[0], buf, 4096));
	iov[0] = (struct iovec){ buf, 2048 };
	iov[1] = (struct iovec){ buf + 2048, 2048 };
	show("writev 2 x 2048 into one free slot", sc(SYS_writev, p[1], iov, 2));
	show("writev 2 x 2048 into no free slot", sc(SYS_writev, p[1], iov, 2));
	show("drain", sc(SYS_read, p[0], buf, sizeof(buf)));
	iov[0] = (struct iovec){ "ab", 2 };
	iov[1] = (struct iovec){ NULL, 0 };
	iov[2] = (struct iovec){ "cdef", 4 };
	show("writev ab,,cdef", sc(SYS_writev, p[1], iov, 3));
	memset(buf, 0, 16);
	iov[0] = (struct iovec){ buf, 1 };
	iov[1] = (struct iovec){ buf + 8, 8 };
	show("readv 1,8", sc(SYS_readv, p[0], iov, 2));
	printf("got %c %.5s\n", buf[0], buf + 8);
	show("readv of empty pipe", sc(SYS_readv, p[0], iov, 2));
	iov[1] = (struct iovec){ KERNEL_PTR, 8 };
	show("writev bad segment", sc(SYS_writev, p[1], iov, 2));
	close(p[0]);
	close(p[1]);
}

static void faults(void)
{
	int p[2];

	mkpipe(p, O_NONBLOCK);
	show("write from a bad pointer", sc(SYS_write, p[1], LOW_PTR, 10));
	show("FIONREAD", nread(p[0]));
	show("read after a failed write", sc(SYS_read, p[0], buf, 10));
	show("write abc", sc(SYS_write, p[1], "abc", 3));
	show("read to a bad pointer", sc(SYS_read, p[0], LOW_PTR, 10));
	show("read to a kernel pointer", sc(SYS_read, p[0], KERNEL_PTR, 10));
	show("FIONREAD kept", nread(p[0]));
	show("read", sc(SYS_read, p[0], buf, 10));
	printf("got %.3s\n", buf);
	show("FIONREAD to a bad pointer", sc(SYS_ioctl, p[0], FIONREAD, LOW_PTR));
	close(p[0]);
	close(p[1]);
}

static void ends(void)
{
	int p[2], d;
	struct sigaction sa = { .sa_handler = on_sigpipe };

	mkpipe(p, O_NONBLOCK);
	show("write xyz", sc(SYS_write, p[1], "xyz", 3));
	d = dup(p[1]);
	close(p[1]);
	show_poll("poll read end, a writer left", p[0], POLLIN);
	close(d);
	show_poll("poll read end, no writer, data", p[0], POLLIN);
	show_poll("poll read end for nothing, no writer", p[0], 0);
	show("read", sc(SYS_read, p[0], buf, 10));
	show("read at EOF", sc(SYS_read, p[0], buf, 10));
	show_poll("poll read end at EOF", p[0], POLLIN);
	close(p[0]);

	mkpipe(p, 0);
	show_poll("poll write end for nothing, reader open", p[1], 0);
	close(p[0]);
	show_poll("poll write end, no reader", p[1], POLLOUT);
	show_poll("poll write end for nothing, no reader", p[1], 0);
	signal(SIGPIPE, SIG_IGN);
	show("write, SIGPIPE ignored", sc(SYS_write, p[1], "x", 1));
	sigaction(SIGPIPE, &sa, NULL);
	show("write, SIGPIPE caught", sc(SYS_write, p[1], "x", 1));
	show("zero-length write", sc(SYS_write, p[1], "x", 0));
	printf("SIGPIPEs caught: %d\n", sigpipes);
	close(p[1]);
}

/* SIGALRM in ms milliseconds. */
static void arm(int ms)
{
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* Waits that time out, and ones a signal ends. */
static void waits(void)
{
	int p[2];
	fd_set rd, wr;
	struct timeval tv = { 0, 0 };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct pollfd pf;
	sigset_t block, none;
	struct sigaction sa = { .sa_handler = on_sigusr1 };

	mkpipe(p, 0);
	show("poll empty read end, 20 ms", poll1(p[0], POLLIN, 20));
	show("poll read end for POLLHUP only, 20 ms", poll1(p[0], 0, 20));
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	show("select", sc(SYS_select, p[1] + 1, &rd, &wr, NULL, &tv));
	printf("  readable %d writable %d\n", FD_ISSET(p[0], &rd), FD_ISSET(p[1], &wr));
	show("write 1", sc(SYS_write, p[1], "1", 1));
	FD_SET(p[0], &rd);
	tv.tv_usec = 20000;
	show("select read end with data", sc(SYS_select, p[0] + 1, &rd, NULL, NULL, &tv));
	show("read", sc(SYS_read, p[0], buf, 1));
	/* A signal that is pending while blocked, let in by ppoll's mask,
	 * ends a wait on the empty pipe at once. */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR1);
	pf = (struct pollfd){ p[0], POLLIN, 0 };
	show("ppoll empty read end, SIGUSR1 let in", sc(SYS_ppoll, &pf, 1, NULL, &none, 8));
	printf("SIGUSR1s caught: %d\n", sigusr1s);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	show("ppoll 20 ms", sc(SYS_ppoll, &pf, 1, &ts, NULL, 8));
	/* A timer's signal ends a blocking read, and a blocking write after
	 * what fitted. */
	sigaction(SIGALRM, &sa, NULL);
	arm(30);
	show("blocking read, SIGALRM", sc(SYS_read, p[0], buf, 10));
	arm(30);
	show("blocking write of 100000, SIGALRM", sc(SYS_write, p[1], buf, 100000));
	printf("signals caught: %d\n", sigusr1s);
	show("drain", sc(SYS_read, p[0], buf, sizeof(buf)));
	close(p[1]);
	show("poll after the writer left", poll1(p[0], POLLIN, -1));
	show("blocking read at EOF", sc(SYS_read, p[0], buf, 1));
	close(p[0]);
}

static void setsize(void)
{
	int p[2], n = open("/dev/null", O_WRONLY);
	static const unsigned sizes[] = { 0, 1, 4096, 5000, 65537, 1 << 20, (1 << 20) + 1, (1U << 31) + 1 };

	mkpipe(p, O_NONBLOCK);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "F_SETPIPE_SZ %u", sizes[i]);
		show(what, sc(SYS_fcntl, p[1], F_SETPIPE_SZ, sizes[i]));
	}
	show("F_GETPIPE_SZ", sc(SYS_fcntl, p[0], F_GETPIPE_SZ));
	show("F_SETPIPE_SZ 4096", sc(SYS_fcntl, p[0], F_SETPIPE_SZ, 4096));
	show("fill", fill(p[1], 1000));
	show("F_SETPIPE_SZ 16384 with data", sc(SYS_fcntl, p[0], F_SETPIPE_SZ, 16384));
	show("fill more", fill(p[1], 1000));
	show("F_SETPIPE_SZ 8192 with 4 slots used", sc(SYS_fcntl, p[0], F_SETPIPE_SZ, 8192));
	show("read", sc(SYS_read, p[0], buf, sizeof(buf)));
	printf("checksum %#llx\n", (unsigned long long)fnv1a(buf, 16000, FNV_INIT));
	show("F_SETPIPE_SZ 8192 empty", sc(SYS_fcntl, p[0], F_SETPIPE_SZ, 8192));
	show("fill", fill(p[1], 4096));
	show("F_GETPIPE_SZ on /dev/null", sc(SYS_fcntl, n, F_GETPIPE_SZ));
	show("F_SETPIPE_SZ on /dev/null", sc(SYS_fcntl, n, F_SETPIPE_SZ, 4096));
	close(n);
	close(p[0]);
	close(p[1]);
}

static void packets(void)
{
	int p[2];

	mkpipe(p, O_DIRECT | O_NONBLOCK);
	show("packet a", sc(SYS_write, p[1], "a", 1));
	show("packet bb", sc(SYS_write, p[1], "bb", 2));
	show("packet ccc", sc(SYS_write, p[1], "ccc", 3));
	show("FIONREAD", nread(p[0]));
	show("read 100", sc(SYS_read, p[0], buf, 100));
	show("read 1 of bb", sc(SYS_read, p[0], buf, 1));
	show("read 100", sc(SYS_read, p[0], buf, 100));
	printf("got %.3s\n", buf);
	show("packet of 5000", put(p[1], 'p', 5000));
	show("read 8192", sc(SYS_read, p[0], buf, 8192));
	show("read 8192", sc(SYS_read, p[0], buf, 8192));
	show("fill with 1-byte packets", fill(p[1], 1));
	show("F_SETFL without O_DIRECT", sc(SYS_fcntl, p[1], F_SETFL, O_NONBLOCK));
	show("read 2", sc(SYS_read, p[0], buf, 2));
	show("write 3 (a stream write)", sc(SYS_write, p[1], "xyz", 3));
	show("write 1", sc(SYS_write, p[1], "w", 1));
	show("drain", sc(SYS_read, p[0], buf, sizeof(buf)));
	close(p[0]);
	close(p[1]);
}

/* /proc/self/fd/N of a pipe opens a new file of the pipe (the bash
 * process substitution's /dev/fd/63, cat /dev/stdin). */
static void reopen(void)
{
	int p[2], r, w, rw;
	char path[64];
	struct stat a, b;

	mkpipe(p, O_NONBLOCK);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	r = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[1]);
	w = open(path, O_WRONLY | O_TRUNC);
	rw = open(path, O_RDWR);
	yesno("reopened", r >= 0 && w >= 0 && rw >= 0);
	printf("F_GETFL %#lx %#lx %#lx\n", sc(SYS_fcntl, r, F_GETFL), sc(SYS_fcntl, w, F_GETFL), sc(SYS_fcntl, rw, F_GETFL));
	fstat(p[0], &a);
	stat(path, &b);
	yesno("stat through /dev/fd is the pipe's", S_ISFIFO(b.st_mode) && a.st_ino == b.st_ino);
	fstat(rw, &b);
	yesno("fstat of the new file is the pipe's", a.st_ino == b.st_ino);
	show("write to the new write end", sc(SYS_write, w, "new", 3));
	show("read from the old read end", sc(SYS_read, p[0], buf, 2));
	show("read from the new read end", sc(SYS_read, r, buf, 10));
	show("write to the read-write end", sc(SYS_write, rw, "both", 4));
	show("read from the read-write end", sc(SYS_read, rw, buf, 10));
	show_poll("poll the read-write end", rw, POLLIN | POLLOUT);
	close(p[1]);
	close(w);
	show_poll("poll the old read end, a read-write end left", p[0], POLLIN);
	close(rw);
	show_poll("poll the old read end, no writer", p[0], POLLIN);
	show("open a lost pipe's write end", sc(SYS_open, path, O_WRONLY));
	snprintf(path, sizeof(path), "/proc/self/fd/%d/", p[0]);
	show("open the read end's link with a trailing slash", sc(SYS_open, path, O_RDONLY));
	close(r);
	close(p[0]);
}

/* Pipes in every state a checkpoint should keep, checked afterwards. */
static void checkpoint(void)
{
	int data[2], eof[2], epipe[2], small[2], pkt[2], full[2], rwp[2], both;
	struct stat before, after;
	char path[64];
	long r;

	mkpipe(data, O_NONBLOCK);
	show("write 5000", put(data[1], 'd', 5000));
	show("read 100", sc(SYS_read, data[0], buf, 100));
	fstat(data[0], &before);
	mkpipe(eof, 0);
	show("write eof", sc(SYS_write, eof[1], "end", 3));
	close(eof[1]);
	mkpipe(epipe, O_NONBLOCK);
	close(epipe[0]);
	mkpipe(small, O_NONBLOCK | O_CLOEXEC);
	show("F_SETPIPE_SZ 8192", sc(SYS_fcntl, small[1], F_SETPIPE_SZ, 8192));
	show("write 1", sc(SYS_write, small[1], "s", 1));
	mkpipe(pkt, O_DIRECT | O_NONBLOCK);
	sc(SYS_write, pkt[1], "one", 3);
	sc(SYS_write, pkt[1], "two", 3);
	mkpipe(full, O_NONBLOCK);
	show("fill", fill(full[1], 1000));
	/* Only a read-write end, opened through /proc, left of this one. */
	mkpipe(rwp, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rwp[0]);
	both = open(path, O_RDWR);
	close(rwp[0]);
	close(rwp[1]);
	show("write rw", sc(SYS_write, both, "rw", 2));

	amber_cr_point();

	fstat(data[0], &after);
	yesno("same inode", before.st_ino == after.st_ino);
	show("FIONREAD", nread(data[0]));
	r = sc(SYS_read, data[0], buf, sizeof(buf));
	show("read", r);
	printf("checksum %#llx\n", (unsigned long long)fnv1a(buf, r > 0 ? (size_t)r : 0, FNV_INIT));
	show_poll("poll, read end with no writer", eof[0], POLLIN);
	show("read", sc(SYS_read, eof[0], buf, 10));
	show("read at EOF", sc(SYS_read, eof[0], buf, 10));
	show_poll("poll, write end with no reader", epipe[1], POLLOUT);
	signal(SIGPIPE, SIG_IGN);
	show("write, no reader", sc(SYS_write, epipe[1], "x", 1));
	printf("small: size %ld FD %ld FL %#lx\n", sc(SYS_fcntl, small[0], F_GETPIPE_SZ), sc(SYS_fcntl, small[1], F_GETFD),
	       sc(SYS_fcntl, small[1], F_GETFL));
	show("fill the small pipe", fill(small[1], 4096));
	show("drain", sc(SYS_read, small[0], buf, sizeof(buf)));
	show("packet read", sc(SYS_read, pkt[0], buf, 100));
	show("packet read", sc(SYS_read, pkt[0], buf + 3, 100));
	printf("got %.6s\n", buf);
	show("write 97 to the full pipe", put(full[1], 'x', 97));
	show("write 96", put(full[1], 'x', 96));
	show("drain", sc(SYS_read, full[0], buf, sizeof(buf)));
	show("write after", sc(SYS_write, full[1], "after", 5));
	show("read after", sc(SYS_read, full[0], buf, 10));
	printf("read-write end: FL %#lx\n", sc(SYS_fcntl, both, F_GETFL));
	show_poll("poll it", both, POLLIN | POLLOUT);
	show("read it", sc(SYS_read, both, buf, 10));
	show_poll("poll it", both, POLLIN | POLLOUT);
	close(both);
	close(data[0]);
	close(data[1]);
	close(eof[0]);
	close(epipe[1]);
	close(small[0]);
	close(small[1]);
	close(pkt[0]);
	close(pkt[1]);
	close(full[0]);
	close(full[1]);
}

int main(void)
{
	int p[2];

	basics();
	flags();
	capacity();
	atomicity();
	faults();
	ends();
	waits();
	setsize();
	packets();
	reopen();
	checkpoint();
	/* The default action of SIGPIPE ends the program. */
	signal(SIGPIPE, SIG_DFL);
	mkpipe(p, 0);
	close(p[0]);
	printf("writing with no reader, SIGPIPE by default\n");
	sc(SYS_write, p[1], "x", 1);
	printf("still alive\n");
	return 0;
}
