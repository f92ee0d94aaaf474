/* Private to kernel/strace: the per-call table (strace.c), the argument
 * decoders (decode.c) and the symbolic constants (consts.c). */
#ifndef AMBER_STRACE_INTERNAL_H
#define AMBER_STRACE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/strace/strace.h"

/* A string or buffer shows at most this many bytes, then "...". */
#define STRACE_MAX_STRING 64

/* A bounded output line. Appends past the end are dropped, so a long
 * decode truncates instead of overflowing; buf is always NUL-terminated
 * when size > 0. */
struct sbuf {
	char *buf;
	size_t size;
	size_t len;	/* bytes in buf, at most size - 1 */
};

void sb_init(struct sbuf *sb, char *buf, size_t size);
void sb_putc(struct sbuf *sb, char c);
void sb_puts(struct sbuf *sb, const char *s);
void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How one argument is shown. _IN kinds are decoded on entry and exit; _OUT
 * kinds only on a successful exit, before that they are a bare address. */
enum arg_kind {
	ARG_END = 0,		/* ends a call's argument list */
	ARG_HEX,
	ARG_DEC,		/* an int */
	ARG_OFF,		/* a signed 64-bit offset */
	ARG_MODE,		/* permission bits, as 0o644 */
	ARG_FD,
	ARG_DIRFD,		/* an fd or AT_FDCWD */
	ARG_SIGNAL,
	ARG_PATH,		/* NUL-terminated string in */
	ARG_STR_IN,		/* buffer in, length in argument len_arg */
	ARG_BUF_OUT,		/* buffer out, length is the return value */
	ARG_PATH_OUT,		/* NUL-terminated string out (getcwd) */
	ARG_IOVEC_IN,		/* iovec array in, count in argument len_arg */
	ARG_IOVEC_OUT,		/* iovec array out, bytes is the return value */
	ARG_ARGV,		/* NULL-terminated array of strings (execve) */
	ARG_STAT_OUT,
	ARG_STATX_OUT,
	ARG_TIMESPEC_IN,
	ARG_TIMESPEC_OUT,
	ARG_SIGSET_IN,
	ARG_SIGSET_OUT,
	ARG_SIGACTION_IN,
	ARG_SIGACTION_OUT,
	ARG_RLIMIT_IN,
	ARG_RLIMIT_OUT,
	ARG_PIPE_OUT,		/* int[2] */
	ARG_UTSNAME_OUT,
	ARG_SYSINFO_OUT,
	/* Symbolic constants (consts.c): */
	ARG_OPEN_FLAGS,
	ARG_FD_FLAGS,		/* O_CLOEXEC, O_NONBLOCK, O_DIRECT alone (pipe2, dup3) */
	ARG_AT_FLAGS,
	ARG_UNLINK_FLAGS,
	ARG_ACCESS_AT_FLAGS,
	ARG_ACCESS_MODE,
	ARG_MMAP_PROT,
	ARG_MMAP_FLAGS,
	ARG_MREMAP_FLAGS,
	ARG_GRND_FLAGS,
	ARG_TIMER_FLAGS,
	ARG_WHENCE,
	ARG_FCNTL_CMD,
	ARG_IOCTL_CMD,
	ARG_MADVISE,
	ARG_SIGMASK_HOW,
	ARG_ARCH_PRCTL,
	ARG_FUTEX_OP,
	ARG_CLOCK_ID,
	ARG_RLIMIT_RESOURCE,
	ARG_KIND_COUNT,
};

struct arg_desc {
	uint8_t kind;		/* enum arg_kind */
	uint8_t len_arg;	/* index of the length or count argument, if the kind needs one */
};

/* The exit line shows only addresses when the call succeeded: execve has
 * replaced the memory the arguments pointed to. */
#define SD_NO_EXIT_DECODE 0x1

struct syscall_desc {
	const char *name;	/* checked against syscall_name() by the unit tests */
	uint8_t flags;
	struct arg_desc args[6];
};

/* The argument description for nr, or NULL if its arguments print raw. */
const struct syscall_desc *strace_desc(long nr);

/* One call being formatted; borrowed for the duration of a format. */
struct strace_call {
	const uint64_t *args;
	long ret;
	bool exiting;
	const struct strace_mem *mem;
};

/* decode.c */
void decode_arg(struct sbuf *sb, struct arg_desc arg, const struct strace_call *call, unsigned idx);

/* consts.c: print v as kind, which must be a symbolic-constant kind. */
void print_symbolic(struct sbuf *sb, enum arg_kind kind, uint64_t v);
void print_signal(struct sbuf *sb, int sig);
void print_sigset(struct sbuf *sb, uint64_t set);
void print_file_mode(struct sbuf *sb, uint32_t mode);
void print_sa_flags(struct sbuf *sb, uint64_t flags);

#endif
