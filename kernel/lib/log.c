#include "kernel/lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static enum log_level log_max = LOG_WARN;

void log_init(int fd, enum log_level level)
{
	log_fd = fd;
	log_max = level;
}

bool log_enabled(enum log_level level)
{
	return level <= log_max;
}

void log_raw(const char *line, int len)
{
	/* One write per line keeps lines from different tasks whole. */
	while (len > 0) {
		ssize_t n = write(log_fd, line, (size_t)len);
		if (n <= 0)
			return;
		line += n;
		len -= (int)n;
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char tag[] = "EWID";
	char buf[1024];
	struct timespec ts;
	va_list ap;
	int n;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, sizeof(buf), "%c%02d%02d %02d:%02d:%02d.%06ld %7ld ", tag[level],
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000, (long)syscall(SYS_gettid));
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	log_raw(buf, n);
}
