/* Pipes between processes, where reads and writes block: a stream larger
 * than the pipe in both directions, EOF when the last writer exits,
 * blocking reads, writes and polls woken by another process or ended by
 * a signal (EINTR, SA_RESTART, a partial write), writes of up to PIPE_BUF
 * bytes from several writers that never interleave. A checkpoint may come
 * while a child is blocked writing into a full pipe and the parent sleeps;
 * the child's write may then return short (as under CRIU), which it
 * handles, so only totals are printed. */
#include "sctest.h"
#include "amber_cr.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#define MIN_SIZE(a, b) ((a) < (b) ? (a) : (b))
#define STREAM (1 << 20)
#define RECORD 512
#define RECORDS 300

static char buf[1 << 17];
static int sigs;

static void on_sig(int sig)
{
	(void)sig;
	sigs++;
}

static void msleep(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Writes all of len bytes, whatever short writes come. */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Tells a waiting child to go on. */
static void go(int fd)
{
	if (write(fd, "g", 1) != 1)
		exit(1);
}

static uint8_t stream_byte(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 12));
}

/* A child writing STREAM bytes in odd-sized pieces; exits 0 when all went in. */
static pid_t stream_writer(int fd, int other)
{
	pid_t pid = fork();

	if (pid == 0) {
		size_t done = 0;

		close(other);
		while (done < STREAM) {
			size_t n = MIN_SIZE(STREAM - done, 7919);

			for (size_t i = 0; i < n; i++)
				buf[i] = (char)stream_byte(done + i);
			if (write_all(fd, buf, n) < 0)
				_exit(1);
			done += n;
		}
		_exit(0);
	}
	return pid;
}

static void show_child(const char *what, pid_t pid)
{
	int st = -1;

	if (waitpid(pid, &st, 0) != pid)
		printf("%s: waitpid failed\n", what);
	else if (WIFEXITED(st))
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
	else
		printf("%s: signal %d\n", what, WTERMSIG(st));
}

/* Reads to EOF, checking the stream's bytes. */
static void read_stream(int fd, const char *what)
{
	size_t got = 0, bad = 0;
	ssize_t n;

	while ((n = read(fd, buf, 3000)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			bad += (uint8_t)buf[i] != stream_byte(got + (size_t)i);
		got += (size_t)n;
	}
	printf("%s: %zu bytes, %zu wrong, last read %zd\n", what, got, bad, n);
}

static void streams(void)
{
	int p[2];
	pid_t w;

	if (pipe(p) < 0)
		exit(1);
	w = stream_writer(p[1], p[0]);
	close(p[1]);
	read_stream(p[0], "child to parent");
	show_child("writer", w);
	close(p[0]);
}

/* The parent blocks; a child, told just before, waits a little and then
 * wakes it (act: 's' a signal, 'w' a byte written). */
static pid_t waker(int sync_fd, int fd, char act)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		char c;

		if (read(sync_fd, &c, 1) != 1)
			_exit(1);
		msleep(50);
		if (act == 's')
			kill(parent, SIGUSR1);
		else if (write(fd, "w", 1) != 1)
			_exit(1);
		_exit(0);
	}
	return pid;
}

static void wakes(void)
{
	int p[2], s[2];
	struct sigaction sa = { .sa_handler = on_sig };
	struct pollfd pf;
	pid_t c;
	long r;

	if (pipe(p) < 0 || pipe(s) < 0)
		exit(1);
	sigaction(SIGUSR1, &sa, NULL);

	c = waker(s[0], p[1], 'w');
	go(s[1]);
	show("blocking read woken by a write", sc(SYS_read, p[0], buf, 10));
	show_child("  waker", c);

	c = waker(s[0], p[1], 'w');
	go(s[1]);
	pf = (struct pollfd){ p[0], POLLIN, 0 };
	r = sc(SYS_poll, &pf, 1, -1);
	printf("poll woken by a write: %ld revents %#x\n", r, pf.revents);
	show("read", sc(SYS_read, p[0], buf, 10));
	show_child("  waker", c);

	c = waker(s[0], p[1], 's');
	go(s[1]);
	show("blocking read, signal without SA_RESTART", sc(SYS_read, p[0], buf, 10));
	show_child("  waker", c);

	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	c = fork();
	if (c == 0) {
		pid_t parent = getppid();
		char ch;

		if (read(s[0], &ch, 1) != 1)
			_exit(1);
		msleep(50);
		kill(parent, SIGUSR1);
		msleep(50);
		_exit(write(p[1], "r", 1) == 1 ? 0 : 1);
	}
	go(s[1]);
	show("blocking read, signal with SA_RESTART, then a write", sc(SYS_read, p[0], buf, 10));
	show_child("  waker", c);

	/* 100000 bytes into an empty pipe: 65536 go in, then the signal. */
	c = waker(s[0], p[1], 's');
	go(s[1]);
	show("blocking write of 100000, signal", sc(SYS_write, p[1], buf, 100000));
	show_child("  waker", c);
	printf("signals caught: %d\n", sigs);
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
}

static void records(void)
{
	int p[2];
	pid_t w[3];
	size_t got = 0, whole = 1, count[4] = { 0 };
	static char all[3 * RECORDS * RECORD];
	ssize_t n;

	if (pipe(p) < 0)
		exit(1);
	for (int k = 0; k < 3; k++) {
		w[k] = fork();
		if (w[k] == 0) {
			close(p[0]);
			memset(buf, 'a' + k, RECORD);
			for (int i = 0; i < RECORDS; i++)
				if (write(p[1], buf, RECORD) != RECORD)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	while ((n = read(p[0], all + got, MIN_SIZE(sizeof(all) - got, 1000))) > 0)
		got += (size_t)n;
	for (size_t r = 0; r + RECORD <= got; r += RECORD) {
		for (size_t i = 1; i < RECORD; i++)
			whole &= all[r + i] == all[r];
		if (all[r] >= 'a' && all[r] <= 'c')
			count[all[r] - 'a' + 1]++;
	}
	printf("records: %zu bytes, whole %zu, per writer %zu %zu %zu\n", got, whole, count[1], count[2], count[3]);
	for (int k = 0; k < 3; k++)
		show_child("record writer", w[k]);
	close(p[0]);
}

/* A checkpoint while a child is blocked writing into a full pipe. */
static void blocked_at_checkpoint(void)
{
	int p[2];
	pid_t w;

	if (pipe(p) < 0)
		exit(1);
	w = stream_writer(p[1], p[0]);
	close(p[1]);
	msleep(100);
	amber_cr_point();
	read_stream(p[0], "across the checkpoint");
	show_child("writer", w);
	close(p[0]);
}

int main(void)
{
	streams();
	wakes();
	records();
	blocked_at_checkpoint();
	return 0;
}
