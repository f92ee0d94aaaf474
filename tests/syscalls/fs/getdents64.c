/* getdents64 of directories with known contents, in small and large
 * buffers; names are sorted before printing (their order is the
 * filesystem's). */
#include "sctest.h"
#include "amber_cr.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>

struct ent {
	char name[256];
	unsigned char type;
};

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static const char *dtype(unsigned char t)
{
	switch (t) {
	case DT_REG: return "reg";
	case DT_DIR: return "dir";
	case DT_LNK: return "lnk";
	case DT_CHR: return "chr";
	case DT_UNKNOWN: return "unknown";
	default: return "other";
	}
}

/* Lists path with a buffer of bufsize bytes. */
static void list(const char *path, size_t bufsize, bool print)
{
	static struct ent ents[4096];
	char *buf = malloc(bufsize);
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	size_t count = 0;
	int calls = 0;
	long n;

	if (fd < 0) {
		printf("%s: open -%s\n", path, errname(errno));
		return;
	}
	while ((n = sc(SYS_getdents64, fd, buf, bufsize)) > 0) {
		calls++;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (count < 4096) {
				snprintf(ents[count].name, sizeof(ents[count].name), "%s", d->d_name);
				ents[count].type = d->d_type;
				count++;
			}
			off += d->d_reclen;
		}
	}
	if (n < 0)
		show("getdents64", n);
	qsort(ents, count, sizeof(ents[0]), cmp);
	printf("%s with a %zu-byte buffer: %zu entries%s\n", path, bufsize, count,
	       bufsize < 512 ? (calls > 1 ? ", several calls" : ", one call") : "");
	if (print)
		for (size_t i = 0; i < count; i++)
			printf("  %s %s\n", ents[i].name, dtype(ents[i].type));
	show("getdents64 at the end", sc(SYS_getdents64, fd, buf, bufsize));
	close(fd);
	free(buf);
}

int main(void)
{
	char buf[64];

	list("/usr/share/doc/busybox-static", 32768, true);
	list("/usr/share/doc/busybox-static", 64, false);
	list("/etc", 32768, false);
	list("/usr/bin", 32768, false);

	amber_cr_point();

	list("/proc/self/fd", 32768, true);
	int fd = open("/etc", O_RDONLY | O_DIRECTORY);
	show("buffer too small for one entry", sc(SYS_getdents64, fd, buf, 8));
	show("bad buffer", sc(SYS_getdents64, fd, LOW_PTR, 4096));
	show("fd -1", sc(SYS_getdents64, -1, buf, sizeof(buf)));
	int file = open("/etc/passwd", O_RDONLY);
	show("regular file", sc(SYS_getdents64, file, buf, sizeof(buf)));
	return 0;
}
