/* A /proc file held open: /proc/self/status read in part, then (in
 * checkpoint/restore mode the image is taken here, and the file reopened
 * by the path it names, /proc/PID/status, once the tasks exist) the
 * offset is where it was, the rest reads on, and a read from 0 names this
 * process. */
#include "sctest.h"
#include "amber_cr.h"
#include <fcntl.h>
#include <stdlib.h>

static const char *line_of(const char *text, const char *name)
{
	static char value[128];
	const char *p = strstr(text, name);
	size_t n;

	if (!p)
		return "(missing)";
	n = strcspn(p, "\n");
	snprintf(value, sizeof(value), "%.*s", (int)(n < 127 ? n : 127), p);
	return value;
}

int main(void)
{
	static char buf[8192];
	char pid[64];
	int fd = open("/proc/self/status", O_RDONLY);
	long n, rest;

	if (fd < 0) {
		printf("open: -%s\n", errname(errno));
		return 1;
	}
	n = read(fd, buf, 6);
	show("first read", n);
	amber_cr_point();
	show("offset after", lseek(fd, 0, SEEK_CUR));
	rest = read(fd, buf, sizeof(buf) - 1);
	yesno("the rest reads on", rest > 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	printf("from 0: %s\n", line_of(buf, "Name:"));
	snprintf(pid, sizeof(pid), "Pid:\t%d", (int)getpid());
	yesno("it names this process", strcmp(line_of(buf, "Pid:"), pid) == 0);
	show("close", close(fd));
	return 0;
}
