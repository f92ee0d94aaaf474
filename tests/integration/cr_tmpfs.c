/* A program whose files live on a tmpfs (DIR), checkpointed in the middle:
 * it makes files, a directory, a symlink, a hard link and holds one file
 * open at an offset, maps a file and shared anonymous memory MAP_SHARED,
 * sleeps SLEEP_MS (the checkpoint comes then), and
 * prints what it finds afterwards. Restored, it must print what an
 * uninterrupted run prints: the tree and the data are in the image. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void path(char *buf, const char *dir, const char *name)
{
	snprintf(buf, 4096, "%s/%s", dir, name);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	long ms = argc > 2 ? atol(argv[2]) : 1500;
	char p[4096], q[4096], buf[20000];
	unsigned sum = 0;
	struct stat st;
	int fd, n;

	path(p, dir, "a");
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (int i = 0; i < 20000; i++)
		buf[i] = (char)('a' + i % 26);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return 1;
	lseek(fd, 100, SEEK_SET);
	path(p, dir, "d");
	mkdir(p, 0750);
	path(p, dir, "d/b");
	n = open(p, O_WRONLY | O_CREAT, 0600);
	if (n < 0 || write(n, "hello\n", 6) != 6)
		return 1;
	close(n);
	path(p, dir, "s");
	symlink("a", p);
	path(p, dir, "a");
	path(q, dir, "h");
	link(p, q);
	path(p, dir, "m");
	int mfd = open(p, O_RDWR | O_CREAT, 0644);
	if (mfd < 0 || ftruncate(mfd, 8192) < 0)
		return 1;
	char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	char *anon = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || anon == MAP_FAILED)
		return 1;
	memcpy(map, "MAPPED", 6);
	memcpy(map + 4096, "second page", 11);
	for (int i = 0; i < 3 * 4096; i++)
		anon[i] = (char)(i * 7);

	{
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		fprintf(stderr, "amber-cr-point\n");
		nanosleep(&ts, NULL);
	}

	printf("offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	n = (int)read(fd, buf, 10);
	printf("read %d: %.10s\n", n, buf);
	path(p, dir, "a");
	n = open(p, O_RDONLY);
	while (n >= 0 && read(n, buf, 1) == 1)
		sum = sum * 31 + (unsigned char)buf[0];
	printf("a: sum %u\n", sum);
	path(p, dir, "d/b");
	n = open(p, O_RDONLY);
	memset(buf, 0, 16);
	printf("d/b: %s", n >= 0 && read(n, buf, 15) > 0 ? buf : "?\n");
	stat(p, &st);
	printf("d/b mode %o\n", st.st_mode & 07777);
	path(p, dir, "s");
	memset(buf, 0, 16);
	printf("s -> %s\n", readlink(p, buf, 15) > 0 ? buf : "?");
	path(p, dir, "h");
	stat(p, &st);
	printf("h: size %ld nlink %ld\n", (long)st.st_size, (long)st.st_nlink);
	path(p, dir, "d");
	stat(p, &st);
	printf("d mode %o\n", st.st_mode & 07777);
	memset(buf, 0, 32);
	if (pread(mfd, buf, 6, 0) != 6 || pwrite(mfd, "written", 7, 4096 + 20) != 7)
		printf("m: read or write failed\n");
	printf("m through read: %s\n", buf);
	printf("m through the mapping: %.6s %.11s %.7s\n", map, map + 4096, map + 4096 + 20);
	sum = 0;
	for (int i = 0; i < 3 * 4096; i++)
		sum = sum * 31 + (unsigned char)anon[i];
	printf("shared anonymous: sum %u\n", sum);
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		printf("entries:");
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				printf(" %s", e->d_name);
		printf("\n");
	}
	return 0;
}
