/* File mappings of the read-only root: a MAP_PRIVATE mapping of /etc/passwd
 * equals read(), its tail past EOF is zero, and writing to it changes only
 * the mapping; a MAP_SHARED read-only mapping of a large binary equals read();
 * and the cases Linux refuses. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PAGE 4096UL

static unsigned char *read_all(int fd, size_t size)
{
	unsigned char *buf = malloc(size + 1);
	size_t got = 0;

	while (buf && got < size) {
		ssize_t n = pread(fd, buf + got, size - got, got);
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		got += n;
	}
	return buf;
}

int main(void)
{
	int fd = open("/etc/passwd", O_RDONLY);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		printf("open /etc/passwd failed\n");
		return 1;
	}
	size_t size = st.st_size;
	size_t maplen = (size + PAGE - 1) & ~(PAGE - 1);
	unsigned char *data = read_all(fd, size);
	unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	yesno("private mapping", m != MAP_FAILED);
	if (m == MAP_FAILED || !data)
		return 1;
	yesno("private mapping equals read()", memcmp(m, data, size) == 0);
	bool tail_zero = true;
	for (size_t i = size; i < maplen; i++)
		tail_zero &= m[i] == 0;
	yesno("tail of the last page is zero", tail_zero);

	m[0] ^= 0xff;
	m[size - 1] ^= 0xff;

	amber_cr_point();

	unsigned char c0 = 0, c1 = 0;
	pread(fd, &c0, 1, 0);
	pread(fd, &c1, 1, size - 1);
	yesno("mapping changed by the write", m[0] == (data[0] ^ 0xff) && m[size - 1] == (data[size - 1] ^ 0xff));
	yesno("file unchanged by the private write", c0 == data[0] && c1 == data[size - 1]);
	unsigned char *m2 = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	yesno("second private mapping sees the file", m2 != MAP_FAILED && memcmp(m2, data, size) == 0);
	show("munmap private", sc(SYS_munmap, m, size));
	show("munmap second", sc(SYS_munmap, m2, size));

	show("shared writable mapping of a read-only fd",
	     (long)sc(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	show("unaligned offset", (long)sc(SYS_mmap, NULL, size, PROT_READ, MAP_PRIVATE, fd, 100));
	int dfd = open("/etc", O_RDONLY | O_DIRECTORY);
	show("mapping a directory", (long)sc(SYS_mmap, NULL, PAGE, PROT_READ, MAP_PRIVATE, dfd, 0));
	close(dfd);
	close(fd);
	free(data);

	/* A multi-page binary, shared and read-only. */
	fd = open("/bin/busybox", O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("open /bin/busybox: %s\n", errname(errno));
		return 0;
	}
	size = st.st_size;
	data = read_all(fd, size);
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	yesno("shared mapping of /bin/busybox", m != MAP_FAILED);
	if (m == MAP_FAILED || !data)
		return 1;
	/* Touch the pages out of order. */
	bool same = true;
	for (size_t off = (size - 1) & ~(PAGE - 1);; off -= PAGE) {
		size_t n = size - off < PAGE ? size - off : PAGE;
		same &= memcmp(m + off, data + off, n) == 0;
		if (off == 0)
			break;
	}
	yesno("shared mapping equals read()", same);
	show("msync shared", sc(SYS_msync, m, PAGE, MS_SYNC));
	show("munmap shared", sc(SYS_munmap, m, size));
	m = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	yesno("executable private mapping", m != MAP_FAILED && memcmp(m, data, size) == 0);
	return 0;
}
