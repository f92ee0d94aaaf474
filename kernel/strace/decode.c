/* Argument decoders for --strace. Application memory is read only through
 * call->mem->read, so a bad pointer prints as a bare address instead of
 * faulting the sentry; struct layouts are the x86-64 ABI's, written out. */
#include "kernel/strace/internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel/lib/types.h"

/* Arrays show this many elements, then "...". */
#define MAX_ELEMS 8
#define MAX_ARGV 32

struct abi_stat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	int64_t atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
	int64_t reserved[3];
};
_Static_assert(sizeof(struct abi_stat) == 144, "x86-64 struct stat");

/* The leading fields of struct statx; the rest is never shown. */
struct abi_statx_head {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
};
_Static_assert(sizeof(struct abi_statx_head) == 64, "struct statx head");

struct abi_timespec {
	int64_t sec, nsec;
};

struct abi_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct abi_rlimit {
	uint64_t cur, max;
};

struct abi_iovec {
	uint64_t base, len;
};

#define UTS_LEN 65
struct abi_utsname {
	char sysname[UTS_LEN], nodename[UTS_LEN], release[UTS_LEN];
	char version[UTS_LEN], machine[UTS_LEN], domainname[UTS_LEN];
};

struct abi_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
};
_Static_assert(sizeof(struct abi_sysinfo) == 112, "x86-64 struct sysinfo");

#define AT_FDCWD (-100)
#define RLIM_INFINITY UINT64_MAX

void sb_init(struct sbuf *sb, char *buf, size_t size)
{
	sb->buf = buf;
	sb->size = size;
	sb->len = 0;
	if (size)
		buf[0] = '\0';
}

void sb_putc(struct sbuf *sb, char c)
{
	if (sb->len + 1 >= sb->size)
		return;
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

void sb_puts(struct sbuf *sb, const char *s)
{
	if (sb->len + 1 >= sb->size)
		return;
	size_t n = MIN(strlen(s), sb->size - sb->len - 1);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;

	if (sb->len + 1 >= sb->size)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += MIN((size_t)n, sb->size - sb->len - 1);
}

/* C-style quoting, so a line stays one line whatever the bytes are. */
static void sb_quote(struct sbuf *sb, const unsigned char *s, size_t n)
{
	sb_putc(sb, '"');
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '\n': sb_puts(sb, "\\n"); break;
		case '\t': sb_puts(sb, "\\t"); break;
		case '\r': sb_puts(sb, "\\r"); break;
		case '"': sb_puts(sb, "\\\""); break;
		case '\\': sb_puts(sb, "\\\\"); break;
		default:
			if (s[i] < 0x20 || s[i] >= 0x7f)
				sb_printf(sb, "\\x%02x", s[i]);
			else
				sb_putc(sb, (char)s[i]);
		}
	}
	sb_putc(sb, '"');
}

/* Drops what was appended since len was mark. */
static void sb_truncate(struct sbuf *sb, size_t mark)
{
	if (mark < sb->len) {
		sb->len = mark;
		sb->buf[mark] = '\0';
	}
}

static void sb_addr(struct sbuf *sb, uint64_t addr)
{
	sb_printf(sb, "0x%" PRIx64, addr);
}

/* Bytes read at addr (short at an unmapped page), or < 0. A reader that
 * claims more than was asked is not believed. */
static ssize_t mem_read(const struct strace_call *call, uint64_t addr, void *buf, size_t len)
{
	if (!call->mem || !call->mem->read || len == 0)
		return -1;
	ssize_t n = call->mem->read(call->mem->ctx, addr, buf, len);
	return n > (ssize_t)len ? (ssize_t)len : n;
}

static bool mem_read_all(const struct strace_call *call, uint64_t addr, void *buf, size_t len)
{
	return mem_read(call, addr, buf, len) == (ssize_t)len;
}

/* Prints the NUL-terminated string at addr quoted; false if unreadable. */
static bool quote_cstr(struct sbuf *sb, const struct strace_call *call, uint64_t addr)
{
	unsigned char data[STRACE_MAX_STRING + 1];	/* one more, to see if it goes on */
	ssize_t n = mem_read(call, addr, data, sizeof(data));

	if (n <= 0)
		return false;
	size_t len = strnlen((const char *)data, (size_t)n);
	sb_quote(sb, data, MIN(len, (size_t)STRACE_MAX_STRING));
	if (len > STRACE_MAX_STRING || len == (size_t)n)
		sb_puts(sb, "...");
	return true;
}

static void print_path(struct sbuf *sb, const struct strace_call *call, uint64_t addr)
{
	size_t mark;

	sb_addr(sb, addr);
	if (addr == 0)
		return;
	mark = sb->len;
	sb_putc(sb, ' ');
	if (!quote_cstr(sb, call, addr))
		sb_truncate(sb, mark);
}

/* Prints len bytes at addr quoted (at most STRACE_MAX_STRING of them); false
 * if none could be read. */
static bool quote_buf(struct sbuf *sb, const struct strace_call *call, uint64_t addr, uint64_t len)
{
	unsigned char data[STRACE_MAX_STRING];
	size_t want = (size_t)MIN(len, (uint64_t)sizeof(data));

	if (want == 0) {
		sb_puts(sb, "\"\"");
		return true;
	}
	ssize_t n = mem_read(call, addr, data, want);
	if (n <= 0)
		return false;
	sb_quote(sb, data, (size_t)n);
	if ((uint64_t)n < len)
		sb_puts(sb, "...");
	return true;
}

static void print_buf(struct sbuf *sb, const struct strace_call *call, uint64_t addr, uint64_t len)
{
	size_t mark;

	sb_addr(sb, addr);
	mark = sb->len;
	sb_putc(sb, ' ');
	if (!quote_buf(sb, call, addr, len))
		sb_truncate(sb, mark);
}

/* iovecs with their data; at most STRACE_MAX_STRING bytes are shown in all,
 * of at most total bytes (what the call transferred). */
static void print_iovecs(struct sbuf *sb, const struct strace_call *call, uint64_t addr,
			 int64_t count, uint64_t total)
{
	uint64_t budget = STRACE_MAX_STRING;

	sb_addr(sb, addr);
	if (count <= 0 || count > 1024)
		return;
	sb_puts(sb, " [");
	for (int64_t i = 0; i < count; i++) {
		struct abi_iovec iov;

		if (i == MAX_ELEMS) {
			sb_puts(sb, ", ...");
			break;
		}
		if (!mem_read_all(call, addr + (uint64_t)i * sizeof(iov), &iov, sizeof(iov))) {
			sb_puts(sb, i ? ", ..." : "...");
			break;
		}
		uint64_t n = MIN(iov.len, total);
		uint64_t show = MIN(n, budget);
		size_t mark;

		total -= n;
		budget -= show;
		sb_printf(sb, "%s{base=0x%" PRIx64 ", len=%" PRIu64, i ? ", " : "",
			  iov.base, iov.len);
		mark = sb->len;
		sb_puts(sb, ", ");
		if (!quote_buf(sb, call, iov.base, show))
			sb_truncate(sb, mark);
		else if (show < n)
			sb_puts(sb, "...");
		sb_putc(sb, '}');
	}
	sb_putc(sb, ']');
}

static void print_argv(struct sbuf *sb, const struct strace_call *call, uint64_t addr)
{
	sb_addr(sb, addr);
	if (addr == 0)
		return;
	sb_puts(sb, " [");
	for (int i = 0;; i++) {
		uint64_t p;

		if (i == MAX_ARGV || !mem_read_all(call, addr + (uint64_t)i * 8, &p, sizeof(p))) {
			sb_puts(sb, i ? ", ..." : "...");
			break;
		}
		if (p == 0)
			break;
		if (i)
			sb_puts(sb, ", ");
		if (!quote_cstr(sb, call, p))
			sb_addr(sb, p);
	}
	sb_putc(sb, ']');
}

static void print_uts_field(struct sbuf *sb, const char *name, const char *field, bool last)
{
	size_t len = strnlen(field, UTS_LEN);

	sb_printf(sb, "%s=", name);
	sb_quote(sb, (const unsigned char *)field, MIN(len, (size_t)STRACE_MAX_STRING));
	if (len > STRACE_MAX_STRING)
		sb_puts(sb, "...");
	sb_puts(sb, last ? "}" : ", ");
}

static void print_rlim(struct sbuf *sb, uint64_t v)
{
	if (v == RLIM_INFINITY)
		sb_puts(sb, "RLIM_INFINITY");
	else
		sb_printf(sb, "%" PRIu64, v);
}

/* Structs in memory: a bare address when NULL or unreadable. */
static void print_struct(struct sbuf *sb, const struct strace_call *call, enum arg_kind kind,
			 uint64_t addr)
{
	union {
		struct abi_stat st;
		struct abi_statx_head stx;
		struct abi_timespec ts;
		struct abi_sigaction sa;
		struct abi_rlimit rl;
		struct abi_utsname uts;
		struct abi_sysinfo si;
		uint64_t sigset;
		int32_t fds[2];
	} u;
	static const size_t sizes[ARG_KIND_COUNT] = {
		[ARG_STAT_OUT] = sizeof(u.st), [ARG_STATX_OUT] = sizeof(u.stx),
		[ARG_TIMESPEC_IN] = sizeof(u.ts), [ARG_TIMESPEC_OUT] = sizeof(u.ts),
		[ARG_SIGACTION_IN] = sizeof(u.sa), [ARG_SIGACTION_OUT] = sizeof(u.sa),
		[ARG_RLIMIT_IN] = sizeof(u.rl), [ARG_RLIMIT_OUT] = sizeof(u.rl),
		[ARG_SIGSET_IN] = sizeof(u.sigset), [ARG_SIGSET_OUT] = sizeof(u.sigset),
		[ARG_UTSNAME_OUT] = sizeof(u.uts), [ARG_SYSINFO_OUT] = sizeof(u.si),
		[ARG_PIPE_OUT] = sizeof(u.fds),
	};

	sb_addr(sb, addr);
	if (addr == 0 || !mem_read_all(call, addr, &u, sizes[kind]))
		return;
	sb_putc(sb, ' ');
	switch (kind) {
	case ARG_STAT_OUT:
		sb_printf(sb, "{dev=%" PRIu64 ", ino=%" PRIu64 ", mode=", u.st.dev, u.st.ino);
		print_file_mode(sb, u.st.mode);
		sb_printf(sb, ", nlink=%" PRIu64 ", uid=%" PRIu32 ", gid=%" PRIu32
			  ", rdev=%" PRIu64 ", size=%" PRId64 ", blksize=%" PRId64
			  ", blocks=%" PRId64 "}",
			  u.st.nlink, u.st.uid, u.st.gid, u.st.rdev, u.st.size, u.st.blksize,
			  u.st.blocks);
		break;
	case ARG_STATX_OUT:
		sb_printf(sb, "{mask=0x%" PRIx32 ", blksize=%" PRIu32 ", nlink=%" PRIu32
			  ", uid=%" PRIu32 ", gid=%" PRIu32 ", mode=",
			  u.stx.mask, u.stx.blksize, u.stx.nlink, u.stx.uid, u.stx.gid);
		print_file_mode(sb, u.stx.mode);
		sb_printf(sb, ", ino=%" PRIu64 ", size=%" PRIu64 ", blocks=%" PRIu64 "}",
			  u.stx.ino, u.stx.size, u.stx.blocks);
		break;
	case ARG_TIMESPEC_IN:
	case ARG_TIMESPEC_OUT:
		sb_printf(sb, "{sec=%" PRId64 " nsec=%" PRId64 "}", u.ts.sec, u.ts.nsec);
		break;
	case ARG_SIGACTION_IN:
	case ARG_SIGACTION_OUT:
		sb_puts(sb, "{Handler: ");
		if (u.sa.handler == 0)
			sb_puts(sb, "SIG_DFL");
		else if (u.sa.handler == 1)
			sb_puts(sb, "SIG_IGN");
		else
			sb_addr(sb, u.sa.handler);
		sb_puts(sb, ", Flags: ");
		print_sa_flags(sb, u.sa.flags);
		sb_printf(sb, ", Restorer: 0x%" PRIx64 ", Mask: ", u.sa.restorer);
		print_sigset(sb, u.sa.mask);
		sb_putc(sb, '}');
		break;
	case ARG_SIGSET_IN:
	case ARG_SIGSET_OUT:
		print_sigset(sb, u.sigset);
		break;
	case ARG_RLIMIT_IN:
	case ARG_RLIMIT_OUT:
		sb_puts(sb, "{cur=");
		print_rlim(sb, u.rl.cur);
		sb_puts(sb, ", max=");
		print_rlim(sb, u.rl.max);
		sb_putc(sb, '}');
		break;
	case ARG_PIPE_OUT:
		sb_printf(sb, "[%" PRId32 " %" PRId32 "]", u.fds[0], u.fds[1]);
		break;
	case ARG_UTSNAME_OUT:
		sb_putc(sb, '{');
		print_uts_field(sb, "sysname", u.uts.sysname, false);
		print_uts_field(sb, "nodename", u.uts.nodename, false);
		print_uts_field(sb, "release", u.uts.release, false);
		print_uts_field(sb, "version", u.uts.version, false);
		print_uts_field(sb, "machine", u.uts.machine, true);
		break;
	case ARG_SYSINFO_OUT:
		sb_printf(sb, "{uptime=%" PRId64 ", totalram=%" PRIu64 ", freeram=%" PRIu64
			  ", procs=%" PRIu16 ", mem_unit=%" PRIu32 "}",
			  u.si.uptime, u.si.totalram, u.si.freeram, u.si.procs, u.si.mem_unit);
		break;
	default:
		break;
	}
}

static bool is_output(enum arg_kind kind)
{
	switch (kind) {
	case ARG_BUF_OUT: case ARG_PATH_OUT: case ARG_IOVEC_OUT: case ARG_STAT_OUT:
	case ARG_STATX_OUT: case ARG_TIMESPEC_OUT: case ARG_SIGSET_OUT:
	case ARG_SIGACTION_OUT: case ARG_RLIMIT_OUT: case ARG_PIPE_OUT:
	case ARG_UTSNAME_OUT: case ARG_SYSINFO_OUT:
		return true;
	default:
		return false;
	}
}

static void print_fd(struct sbuf *sb, int32_t fd)
{
	if (fd < 0)
		sb_printf(sb, "%" PRId32, fd);
	else
		sb_printf(sb, "0x%" PRIx32, (uint32_t)fd);
}

void decode_arg(struct sbuf *sb, struct arg_desc arg, const struct strace_call *call, unsigned idx)
{
	uint64_t v = call->args[idx];
	uint64_t len = arg.len_arg < 6 ? call->args[arg.len_arg] : 0;
	enum arg_kind kind = arg.kind;

	/* Output buffers hold nothing yet on entry, and garbage after a failure. */
	if (is_output(kind) && (!call->exiting || call->ret < 0)) {
		sb_addr(sb, v);
		return;
	}
	switch (kind) {
	case ARG_HEX:
		sb_addr(sb, v);
		break;
	case ARG_DEC:
		sb_printf(sb, "%" PRId32, (int32_t)v);
		break;
	case ARG_OFF:
		sb_printf(sb, "%" PRId64, (int64_t)v);
		break;
	case ARG_MODE:
		sb_printf(sb, "0o%" PRIo32, (uint32_t)v);
		break;
	case ARG_FD:
		print_fd(sb, (int32_t)v);
		break;
	case ARG_DIRFD:
		if ((int32_t)v == AT_FDCWD)
			sb_puts(sb, "AT_FDCWD");
		else
			print_fd(sb, (int32_t)v);
		break;
	case ARG_SIGNAL:
		print_signal(sb, (int32_t)v);
		break;
	case ARG_PATH:
	case ARG_PATH_OUT:
		print_path(sb, call, v);
		break;
	case ARG_STR_IN:
		print_buf(sb, call, v, len);
		break;
	case ARG_BUF_OUT:
		print_buf(sb, call, v, (uint64_t)call->ret);
		break;
	case ARG_IOVEC_IN:
		print_iovecs(sb, call, v, (int32_t)len, UINT64_MAX);
		break;
	case ARG_IOVEC_OUT:
		print_iovecs(sb, call, v, (int32_t)len, (uint64_t)call->ret);
		break;
	case ARG_ARGV:
		print_argv(sb, call, v);
		break;
	case ARG_STAT_OUT: case ARG_STATX_OUT: case ARG_TIMESPEC_IN: case ARG_TIMESPEC_OUT:
	case ARG_SIGSET_IN: case ARG_SIGSET_OUT: case ARG_SIGACTION_IN: case ARG_SIGACTION_OUT:
	case ARG_RLIMIT_IN: case ARG_RLIMIT_OUT: case ARG_PIPE_OUT: case ARG_UTSNAME_OUT:
	case ARG_SYSINFO_OUT:
		print_struct(sb, call, kind, v);
		break;
	default:
		print_symbolic(sb, kind, v);
		break;
	}
}
