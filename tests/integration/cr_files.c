/* Open files across a checkpoint.
 *
 * Files whose names are gone, checkpointed in the middle: in DIR it
 * opens files, writes them, unlinks them and keeps them open (read-write
 * at an offset, read-only, O_APPEND, one inode through two descriptions)
 * or only mapped, sleeps SLEEP_MS (the checkpoint comes then), and prints
 * what it finds afterwards: contents, offsets, sizes, modes, flags, times,
 * and that reads, writes and mmap still work. Restored, it must print
 * what an uninterrupted run -- and a native one -- prints.
 *
 * usage: cr_files DIR SLEEP_MS [wronly | keep FILE]
 * "wronly" instead holds one deleted file open only for writing and
 * prints nothing: a checkpoint of it is what is tested. "keep FILE" holds
 * FILE open read-only and mapped, and prints it afterwards: a restore
 * must find the same file there. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RW_SIZE 10000

static char *path(const char *dir, const char *name)
{
	static char buf[4][4096];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, 4096, "%s/%s", dir, name);
	return p;
}

static int make(const char *p, int flags, const char *data, size_t len)
{
	int fd = open(p, flags | O_CREAT | O_TRUNC, 0640);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
		perror(p);
		exit(1);
	}
	return fd;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	fprintf(stderr, "amber-cr-point\n");
	nanosleep(&ts, NULL);
}

static unsigned sum(const char *b, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s = s * 31 + (unsigned char)b[i];
	return s;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	long ms = argc > 2 ? atol(argv[2]) : 1500;
	static char buf[RW_SIZE + 64], pat[RW_SIZE];
	struct stat before, st;
	int rw, ro, app, one, two, fd;
	char *map, *map2;

	if (argc > 4 && strcmp(argv[3], "keep") == 0) {
		fd = open(argv[4], O_RDONLY);
		map = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return 1;
		pause_ms(ms);
		memset(buf, 0, 64);
		printf("read: %s", read(fd, buf, 63) > 0 ? buf : "?\n");
		printf("mapped: %.8s\n", map);
		return 0;
	}
	if (argc > 3 && strcmp(argv[3], "wronly") == 0) {
		fd = make(path(dir, "wronly"), O_WRONLY, "log line\n", 9);
		unlink(path(dir, "wronly"));
		pause_ms(ms);
		return write(fd, "more\n", 5) == 5 ? 0 : 1;
	}
	for (int i = 0; i < RW_SIZE; i++)
		pat[i] = (char)('A' + i % 23);

	/* Read-write, left at an offset. */
	rw = make(path(dir, "rw"), O_RDWR, pat, RW_SIZE);
	unlink(path(dir, "rw"));
	lseek(rw, 1234, SEEK_SET);
	fstat(rw, &before);
	/* Read-only, partly read. */
	fd = make(path(dir, "ro"), O_WRONLY, "read-only data, the rest of it\n", 31);
	close(fd);
	ro = open(path(dir, "ro"), O_RDONLY);
	unlink(path(dir, "ro"));
	if (ro < 0 || read(ro, buf, 7) != 7)
		return 1;
	/* Appending. */
	app = make(path(dir, "app"), O_RDWR | O_APPEND, "first\n", 6);
	unlink(path(dir, "app"));
	/* One inode, two open file descriptions. */
	one = make(path(dir, "two"), O_RDWR, "0123456789", 10);
	two = open(path(dir, "two"), O_RDWR);
	unlink(path(dir, "two"));
	/* Only mapped: written through the mapping, the file closed. */
	fd = make(path(dir, "map"), O_RDWR, pat, 8192);
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (two < 0 || map == MAP_FAILED)
		return 1;
	memcpy(map + 4096, "MAPPED", 6);
	close(fd);
	unlink(path(dir, "map"));

	pause_ms(ms);

	printf("rw: offset %ld\n", (long)lseek(rw, 0, SEEK_CUR));
	printf("rw: read %zd: %.10s\n", read(rw, buf, 10), buf);
	fstat(rw, &st);
	printf("rw: size %ld mode %o\n", (long)st.st_size, st.st_mode & 07777);
	printf("rw: mtime kept %s\n", st.st_mtim.tv_sec == before.st_mtim.tv_sec &&
				      st.st_mtim.tv_nsec == before.st_mtim.tv_nsec ? "yes" : "no");
	printf("rw: all of it: sum %u (expected %u)\n", pread(rw, buf, RW_SIZE, 0) == RW_SIZE ? sum(buf, RW_SIZE) : 0,
	       sum(pat, RW_SIZE));
	if (write(rw, "WRITTEN", 7) != 7)
		printf("rw: write failed\n");
	memset(buf, 0, 16);
	printf("rw: after a write: offset %ld, at 1244: %.7s\n", (long)lseek(rw, 0, SEEK_CUR),
	       pread(rw, buf, 7, 1244) == 7 ? buf : "?");
	if (pwrite(rw, "END", 3, RW_SIZE) != 3)
		printf("rw: pwrite failed\n");
	fstat(rw, &st);
	printf("rw: grown to %ld\n", (long)st.st_size);
	map2 = mmap(NULL, RW_SIZE + 3, PROT_READ, MAP_SHARED, rw, 0);
	printf("rw: mapped: %.6s ... %.3s\n", map2 == MAP_FAILED ? "??????" : map2,
	       map2 == MAP_FAILED ? "???" : map2 + RW_SIZE);

	memset(buf, 0, 32);
	printf("ro: offset %ld\n", (long)lseek(ro, 0, SEEK_CUR));
	printf("ro: the rest: %s", read(ro, buf, 31) > 0 ? buf : "?\n");
	printf("ro: write refused: %s\n", write(ro, "x", 1) < 0 ? "yes" : "no");

	printf("app: O_APPEND %s\n", fcntl(app, F_GETFL) & O_APPEND ? "kept" : "lost");
	lseek(app, 0, SEEK_SET);
	if (write(app, "second\n", 7) != 7)
		printf("app: write failed\n");
	memset(buf, 0, 32);
	printf("app: %zd bytes: %s", pread(app, buf, 31, 0), buf);

	if (pwrite(one, "XYZ", 3, 0) != 3)
		printf("two: write failed\n");
	memset(buf, 0, 16);
	printf("two: the other description sees %.10s\n", pread(two, buf, 10, 0) == 10 ? buf : "?");

	printf("map: %.6s %.5s\n", map + 4096, map);
	return 0;
}
