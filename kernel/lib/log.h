/* Sentry logging: one sink (stderr or --debug-log file), levels, and
 * "log once" for messages that would otherwise repeat per call. */
#ifndef AMBER_LIB_LOG_H
#define AMBER_LIB_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sends messages to fd (not owned) at or below level. */
void log_init(int fd, enum log_level level);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the line as is (used by --strace, which has its own format). */
void log_raw(const char *line, int len);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
/* For an unsupported case: said once per place in the code, not per call. */
#define log_warn_once(...) do { \
		static _Bool once_; \
		if (!__atomic_exchange_n(&once_, 1, __ATOMIC_RELAXED)) \
			log_msg(LOG_WARN, __VA_ARGS__); \
	} while (0)

#endif
