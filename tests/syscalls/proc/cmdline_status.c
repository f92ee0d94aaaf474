/* /proc/self/cmdline, /proc/self/status and /proc/self/maps as a program
 * sees them. Run with arguments: alpha "beta gamma" "" delta. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long total = 0, n;

	if (fd < 0)
		return -errno;
	/* Small reads, to check that offsets work on generated files. */
	while (total < (long)size - 1 && (n = sc(SYS_read, fd, buf + total, 7)) > 0)
		total += n;
	buf[total] = 0;
	close(fd);
	return total;
}

static const char *field(const char *status, const char *name)
{
	static char value[256];
	const char *p = strstr(status, name);

	if (!p)
		return "(missing)";
	p += strlen(name);
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, "\n");
	snprintf(value, sizeof(value), "%.*s", (int)(n < 255 ? n : 255), p);
	return value;
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	long n = slurp("/proc/self/cmdline", buf, sizeof(buf));
	long want = 0;

	for (int i = 0; i < argc; i++)
		want += strlen(argv[i]) + 1;
	show("argc", argc);
	yesno("cmdline length is the sum of the arguments", n == want);
	bool same = n == want;
	for (int i = 0, off = 0; same && i < argc; off += strlen(argv[i]) + 1, i++)
		same = strcmp(buf + off, argv[i]) == 0;
	yesno("cmdline holds argv", same);
	for (int i = 1; i < argc; i++)
		printf("argv[%d]: \"%s\"\n", i, argv[i]);

	amber_cr_point();

	n = slurp("/proc/self/status", buf, sizeof(buf));
	yesno("status readable", n > 0);
	char *base = strrchr(argv[0], '/');
	char comm[16];
	snprintf(comm, sizeof(comm), "%s", base ? base + 1 : argv[0]);
	yesno("Name is the program's name", strcmp(field(buf, "Name:"), comm) == 0);
	printf("State: %s\n", field(buf, "State:"));
	yesno("Pid is getpid()", atol(field(buf, "Pid:")) == getpid());
	yesno("PPid is getppid()", atol(field(buf, "PPid:")) == getppid());
	printf("Uid: %s\n", field(buf, "Uid:"));
	printf("Gid: %s\n", field(buf, "Gid:"));
	printf("Threads: %s\n", field(buf, "Threads:"));

	n = slurp("/proc/self/maps", buf, sizeof(buf));
	char real[PATH_MAX];
	realpath(argv[0], real);
	yesno("maps names the program", n > 0 && strstr(buf, real) != NULL);
	yesno("maps has [stack]", strstr(buf, "[stack]") != NULL);
	return 0;
}
