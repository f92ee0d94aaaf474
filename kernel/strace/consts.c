/* Symbolic names for flag and enum arguments, with the Linux x86-64 values
 * written out: the sentry describes the ABI it implements, not the one its
 * host headers happen to define. Values are compared as 32-bit ints, as the
 * kernel does for every int-typed argument. */
#include "kernel/strace/internal.h"

#include <inttypes.h>

#include "kernel/lib/types.h"

struct sym {
	uint32_t val;
	const char *name;
};

/* Multi-bit flags (O_SYNC, O_TMPFILE) come before the flags they contain,
 * so the wider name wins. */
static const struct sym open_flags[] = {
	{ 0100, "O_CREAT" },
	{ 0200, "O_EXCL" },
	{ 0400, "O_NOCTTY" },
	{ 01000, "O_TRUNC" },
	{ 02000, "O_APPEND" },
	{ 04000, "O_NONBLOCK" },
	{ 04010000, "O_SYNC" },
	{ 010000, "O_DSYNC" },
	{ 020000, "O_ASYNC" },
	{ 040000, "O_DIRECT" },
	{ 0100000, "O_LARGEFILE" },
	{ 020200000, "O_TMPFILE" },
	{ 0200000, "O_DIRECTORY" },
	{ 0400000, "O_NOFOLLOW" },
	{ 01000000, "O_NOATIME" },
	{ 02000000, "O_CLOEXEC" },
	{ 010000000, "O_PATH" },
};

static const struct sym fd_flags[] = {
	{ 04000, "O_NONBLOCK" },
	{ 040000, "O_DIRECT" },
	{ 02000000, "O_CLOEXEC" },
};

static const struct sym at_flags[] = {
	{ 0x100, "AT_SYMLINK_NOFOLLOW" },
	{ 0x400, "AT_SYMLINK_FOLLOW" },
	{ 0x800, "AT_NO_AUTOMOUNT" },
	{ 0x1000, "AT_EMPTY_PATH" },
	{ 0x2000, "AT_STATX_FORCE_SYNC" },
	{ 0x4000, "AT_STATX_DONT_SYNC" },
	{ 0x8000, "AT_RECURSIVE" },
};

/* 0x200 means AT_REMOVEDIR to unlinkat but AT_EACCESS to faccessat2. */
static const struct sym unlink_flags[] = {
	{ 0x200, "AT_REMOVEDIR" },
};

static const struct sym access_at_flags[] = {
	{ 0x100, "AT_SYMLINK_NOFOLLOW" },
	{ 0x200, "AT_EACCESS" },
	{ 0x1000, "AT_EMPTY_PATH" },
};

static const struct sym access_mode[] = {
	{ 4, "R_OK" },
	{ 2, "W_OK" },
	{ 1, "X_OK" },
};

static const struct sym mmap_prot[] = {
	{ 0x1, "PROT_READ" },
	{ 0x2, "PROT_WRITE" },
	{ 0x4, "PROT_EXEC" },
	{ 0x8, "PROT_SEM" },
	{ 0x01000000, "PROT_GROWSDOWN" },
	{ 0x02000000, "PROT_GROWSUP" },
};

/* The sharing type (low four bits) is a value, not a set of bits. */
static const struct sym mmap_type[] = {
	{ 0x1, "MAP_SHARED" },
	{ 0x2, "MAP_PRIVATE" },
	{ 0x3, "MAP_SHARED_VALIDATE" },
};

static const struct sym mmap_flags[] = {
	{ 0x10, "MAP_FIXED" },
	{ 0x20, "MAP_ANONYMOUS" },
	{ 0x40, "MAP_32BIT" },
	{ 0x100, "MAP_GROWSDOWN" },
	{ 0x800, "MAP_DENYWRITE" },
	{ 0x1000, "MAP_EXECUTABLE" },
	{ 0x2000, "MAP_LOCKED" },
	{ 0x4000, "MAP_NORESERVE" },
	{ 0x8000, "MAP_POPULATE" },
	{ 0x10000, "MAP_NONBLOCK" },
	{ 0x20000, "MAP_STACK" },
	{ 0x40000, "MAP_HUGETLB" },
	{ 0x80000, "MAP_SYNC" },
	{ 0x100000, "MAP_FIXED_NOREPLACE" },
};

static const struct sym mremap_flags[] = {
	{ 1, "MREMAP_MAYMOVE" },
	{ 2, "MREMAP_FIXED" },
	{ 4, "MREMAP_DONTUNMAP" },
};

static const struct sym grnd_flags[] = {
	{ 1, "GRND_NONBLOCK" },
	{ 2, "GRND_RANDOM" },
	{ 4, "GRND_INSECURE" },
};

static const struct sym timer_flags[] = {
	{ 1, "TIMER_ABSTIME" },
};

static const struct sym whence[] = {
	{ 0, "SEEK_SET" }, { 1, "SEEK_CUR" }, { 2, "SEEK_END" },
	{ 3, "SEEK_DATA" }, { 4, "SEEK_HOLE" },
};

static const struct sym fcntl_cmd[] = {
	{ 0, "F_DUPFD" }, { 1, "F_GETFD" }, { 2, "F_SETFD" }, { 3, "F_GETFL" },
	{ 4, "F_SETFL" }, { 5, "F_GETLK" }, { 6, "F_SETLK" }, { 7, "F_SETLKW" },
	{ 8, "F_SETOWN" }, { 9, "F_GETOWN" }, { 10, "F_SETSIG" }, { 11, "F_GETSIG" },
	{ 15, "F_SETOWN_EX" }, { 16, "F_GETOWN_EX" },
	{ 36, "F_OFD_GETLK" }, { 37, "F_OFD_SETLK" }, { 38, "F_OFD_SETLKW" },
	{ 1024, "F_SETLEASE" }, { 1025, "F_GETLEASE" }, { 1026, "F_NOTIFY" },
	{ 1030, "F_DUPFD_CLOEXEC" }, { 1031, "F_SETPIPE_SZ" }, { 1032, "F_GETPIPE_SZ" },
	{ 1033, "F_ADD_SEALS" }, { 1034, "F_GET_SEALS" },
};

/* The requests a shell, libc and a terminal program issue at start-up. */
static const struct sym ioctl_cmd[] = {
	{ 0x5401, "TCGETS" }, { 0x5402, "TCSETS" }, { 0x5403, "TCSETSW" },
	{ 0x5404, "TCSETSF" }, { 0x540b, "TCFLSH" }, { 0x540e, "TIOCSCTTY" },
	{ 0x540f, "TIOCGPGRP" }, { 0x5410, "TIOCSPGRP" }, { 0x5413, "TIOCGWINSZ" },
	{ 0x5414, "TIOCSWINSZ" }, { 0x541b, "FIONREAD" }, { 0x5421, "FIONBIO" },
	{ 0x5422, "TIOCNOTTY" }, { 0x5450, "FIONCLEX" }, { 0x5451, "FIOCLEX" },
	{ 0x5452, "FIOASYNC" }, { 0x80045430, "TIOCGPTN" }, { 0x40045431, "TIOCSPTLCK" },
};

static const struct sym madvise[] = {
	{ 0, "MADV_NORMAL" }, { 1, "MADV_RANDOM" }, { 2, "MADV_SEQUENTIAL" },
	{ 3, "MADV_WILLNEED" }, { 4, "MADV_DONTNEED" }, { 8, "MADV_FREE" },
	{ 9, "MADV_REMOVE" }, { 10, "MADV_DONTFORK" }, { 11, "MADV_DOFORK" },
	{ 12, "MADV_MERGEABLE" }, { 13, "MADV_UNMERGEABLE" }, { 14, "MADV_HUGEPAGE" },
	{ 15, "MADV_NOHUGEPAGE" }, { 16, "MADV_DONTDUMP" }, { 17, "MADV_DODUMP" },
	{ 18, "MADV_WIPEONFORK" }, { 19, "MADV_KEEPONFORK" }, { 20, "MADV_COLD" },
	{ 21, "MADV_PAGEOUT" }, { 22, "MADV_POPULATE_READ" }, { 23, "MADV_POPULATE_WRITE" },
	{ 24, "MADV_DONTNEED_LOCKED" }, { 25, "MADV_COLLAPSE" },
	{ 100, "MADV_HWPOISON" }, { 101, "MADV_SOFT_OFFLINE" },
};

static const struct sym sigmask_how[] = {
	{ 0, "SIG_BLOCK" }, { 1, "SIG_UNBLOCK" }, { 2, "SIG_SETMASK" },
};

static const struct sym arch_prctl[] = {
	{ 0x1001, "ARCH_SET_GS" }, { 0x1002, "ARCH_SET_FS" },
	{ 0x1003, "ARCH_GET_FS" }, { 0x1004, "ARCH_GET_GS" },
	{ 0x1011, "ARCH_GET_CPUID" }, { 0x1012, "ARCH_SET_CPUID" },
	{ 0x1021, "ARCH_GET_XCOMP_SUPP" }, { 0x1022, "ARCH_GET_XCOMP_PERM" },
	{ 0x1023, "ARCH_REQ_XCOMP_PERM" }, { 0x1024, "ARCH_GET_XCOMP_GUEST_PERM" },
	{ 0x1025, "ARCH_REQ_XCOMP_GUEST_PERM" },
	{ 0x5001, "ARCH_SHSTK_ENABLE" }, { 0x5002, "ARCH_SHSTK_DISABLE" },
	{ 0x5003, "ARCH_SHSTK_LOCK" }, { 0x5004, "ARCH_SHSTK_UNLOCK" },
	{ 0x5005, "ARCH_SHSTK_STATUS" },
};

static const struct sym futex_cmd[] = {
	{ 0, "FUTEX_WAIT" }, { 1, "FUTEX_WAKE" }, { 2, "FUTEX_FD" },
	{ 3, "FUTEX_REQUEUE" }, { 4, "FUTEX_CMP_REQUEUE" }, { 5, "FUTEX_WAKE_OP" },
	{ 6, "FUTEX_LOCK_PI" }, { 7, "FUTEX_UNLOCK_PI" }, { 8, "FUTEX_TRYLOCK_PI" },
	{ 9, "FUTEX_WAIT_BITSET" }, { 10, "FUTEX_WAKE_BITSET" },
	{ 11, "FUTEX_WAIT_REQUEUE_PI" }, { 12, "FUTEX_CMP_REQUEUE_PI" },
	{ 13, "FUTEX_LOCK_PI2" },
};

static const struct sym futex_flags[] = {
	{ 128, "FUTEX_PRIVATE_FLAG" },
	{ 256, "FUTEX_CLOCK_REALTIME" },
};

static const struct sym clock_id[] = {
	{ 0, "CLOCK_REALTIME" }, { 1, "CLOCK_MONOTONIC" },
	{ 2, "CLOCK_PROCESS_CPUTIME_ID" }, { 3, "CLOCK_THREAD_CPUTIME_ID" },
	{ 4, "CLOCK_MONOTONIC_RAW" }, { 5, "CLOCK_REALTIME_COARSE" },
	{ 6, "CLOCK_MONOTONIC_COARSE" }, { 7, "CLOCK_BOOTTIME" },
	{ 8, "CLOCK_REALTIME_ALARM" }, { 9, "CLOCK_BOOTTIME_ALARM" },
	{ 11, "CLOCK_TAI" },
};

static const struct sym rlimit_resource[] = {
	{ 0, "RLIMIT_CPU" }, { 1, "RLIMIT_FSIZE" }, { 2, "RLIMIT_DATA" },
	{ 3, "RLIMIT_STACK" }, { 4, "RLIMIT_CORE" }, { 5, "RLIMIT_RSS" },
	{ 6, "RLIMIT_NPROC" }, { 7, "RLIMIT_NOFILE" }, { 8, "RLIMIT_MEMLOCK" },
	{ 9, "RLIMIT_AS" }, { 10, "RLIMIT_LOCKS" }, { 11, "RLIMIT_SIGPENDING" },
	{ 12, "RLIMIT_MSGQUEUE" }, { 13, "RLIMIT_NICE" }, { 14, "RLIMIT_RTPRIO" },
	{ 15, "RLIMIT_RTTIME" },
};

static const struct sym sa_flags[] = {
	{ 0x1, "SA_NOCLDSTOP" },
	{ 0x2, "SA_NOCLDWAIT" },
	{ 0x4, "SA_SIGINFO" },
	{ 0x400, "SA_UNSUPPORTED" },
	{ 0x800, "SA_EXPOSE_TAGBITS" },
	{ 0x04000000, "SA_RESTORER" },
	{ 0x08000000, "SA_ONSTACK" },
	{ 0x10000000, "SA_RESTART" },
	{ 0x40000000, "SA_NODEFER" },
	{ 0x80000000, "SA_RESETHAND" },
};

static const struct sym file_type[] = {
	{ 0140000, "S_IFSOCK" }, { 0120000, "S_IFLNK" }, { 0100000, "S_IFREG" },
	{ 0060000, "S_IFBLK" }, { 0040000, "S_IFDIR" }, { 0020000, "S_IFCHR" },
	{ 0010000, "S_IFIFO" },
};

static const char *const signal_names[] = {
	[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL",
	[5] = "SIGTRAP", [6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE",
	[9] = "SIGKILL", [10] = "SIGUSR1", [11] = "SIGSEGV", [12] = "SIGUSR2",
	[13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM", [16] = "SIGSTKFLT",
	[17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGURG", [24] = "SIGXCPU",
	[25] = "SIGXFSZ", [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH",
	[29] = "SIGIO", [30] = "SIGPWR", [31] = "SIGSYS",
};

#define SIGRTMIN 32
#define SIGMAX 64

/* How a kind's value is shown: a set of bits, or one value out of a list. */
struct sym_set {
	const struct sym *syms;
	size_t count;
	bool bits;
	const char *zero;	/* bits: what an empty set prints as */
	bool hex;		/* values: unknown ones print in hex, else decimal */
};

#define SYMS(t) .syms = (t), .count = ARRAY_SIZE(t)

static const struct sym_set sym_sets[ARG_KIND_COUNT] = {
	[ARG_FD_FLAGS] = { SYMS(fd_flags), .bits = true, .zero = "0" },
	[ARG_AT_FLAGS] = { SYMS(at_flags), .bits = true, .zero = "0" },
	[ARG_UNLINK_FLAGS] = { SYMS(unlink_flags), .bits = true, .zero = "0" },
	[ARG_ACCESS_AT_FLAGS] = { SYMS(access_at_flags), .bits = true, .zero = "0" },
	[ARG_ACCESS_MODE] = { SYMS(access_mode), .bits = true, .zero = "F_OK" },
	[ARG_MMAP_PROT] = { SYMS(mmap_prot), .bits = true, .zero = "PROT_NONE" },
	[ARG_MREMAP_FLAGS] = { SYMS(mremap_flags), .bits = true, .zero = "0" },
	[ARG_GRND_FLAGS] = { SYMS(grnd_flags), .bits = true, .zero = "0" },
	[ARG_TIMER_FLAGS] = { SYMS(timer_flags), .bits = true, .zero = "0" },
	[ARG_WHENCE] = { SYMS(whence) },
	[ARG_FCNTL_CMD] = { SYMS(fcntl_cmd), .hex = true },
	[ARG_IOCTL_CMD] = { SYMS(ioctl_cmd), .hex = true },
	[ARG_MADVISE] = { SYMS(madvise) },
	[ARG_SIGMASK_HOW] = { SYMS(sigmask_how) },
	[ARG_ARCH_PRCTL] = { SYMS(arch_prctl), .hex = true },
	[ARG_CLOCK_ID] = { SYMS(clock_id) },
	[ARG_RLIMIT_RESOURCE] = { SYMS(rlimit_resource) },
};

/* Prints the names of the bits set in v joined by '|', then any bits left
 * over in hex; sep says whether something was printed before. */
static void print_bits(struct sbuf *sb, const struct sym *syms, size_t count, uint32_t v,
		       bool sep)
{
	for (size_t i = 0; i < count && v; i++) {
		if ((v & syms[i].val) != syms[i].val)
			continue;
		sb_printf(sb, "%s%s", sep ? "|" : "", syms[i].name);
		v &= ~syms[i].val;
		sep = true;
	}
	if (v)
		sb_printf(sb, "%s0x%" PRIx32, sep ? "|" : "", v);
}

static const char *lookup(const struct sym *syms, size_t count, uint32_t v)
{
	for (size_t i = 0; i < count; i++)
		if (syms[i].val == v)
			return syms[i].name;
	return NULL;
}

static void print_set(struct sbuf *sb, const struct sym_set *set, uint32_t v)
{
	if (set->bits) {
		if (v == 0)
			sb_puts(sb, set->zero);
		else
			print_bits(sb, set->syms, set->count, v, false);
		return;
	}
	const char *name = lookup(set->syms, set->count, v);
	if (name)
		sb_puts(sb, name);
	else if (set->hex)
		sb_printf(sb, "0x%" PRIx32, v);
	else
		sb_printf(sb, "%" PRId32, (int32_t)v);
}

/* The access mode is a two-bit value, and O_RDONLY is zero, so it is always
 * named first rather than being a bit of the set. */
static void print_open_flags(struct sbuf *sb, uint32_t v)
{
	static const char *const modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	sb_puts(sb, modes[v & 3]);
	print_bits(sb, open_flags, ARRAY_SIZE(open_flags), v & ~3u, true);
}

static void print_mmap_flags(struct sbuf *sb, uint32_t v)
{
	const char *type = lookup(mmap_type, ARRAY_SIZE(mmap_type), v & 0xf);
	bool sep = false;

	if (type) {
		sb_puts(sb, type);
		v &= ~0xfu;
		sep = true;
	}
	if (v)
		print_bits(sb, mmap_flags, ARRAY_SIZE(mmap_flags), v, sep);
	else if (!sep)
		sb_puts(sb, "0");
}

static void print_futex_op(struct sbuf *sb, uint32_t v)
{
	uint32_t cmd = v & ~(128u | 256u);
	const char *name = lookup(futex_cmd, ARRAY_SIZE(futex_cmd), cmd);

	if (name)
		sb_puts(sb, name);
	else
		sb_printf(sb, "%" PRIu32, cmd);
	print_bits(sb, futex_flags, ARRAY_SIZE(futex_flags), v & (128u | 256u), true);
}

void print_symbolic(struct sbuf *sb, enum arg_kind kind, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	switch (kind) {
	case ARG_OPEN_FLAGS:
		print_open_flags(sb, v32);
		return;
	case ARG_MMAP_FLAGS:
		print_mmap_flags(sb, v32);
		return;
	case ARG_FUTEX_OP:
		print_futex_op(sb, v32);
		return;
	default:
		break;
	}
	if ((unsigned)kind < ARG_KIND_COUNT && sym_sets[kind].syms)
		print_set(sb, &sym_sets[kind], v32);
	else
		sb_printf(sb, "0x%" PRIx64, v);
}

void print_signal(struct sbuf *sb, int sig)
{
	if (sig > 0 && (size_t)sig < ARRAY_SIZE(signal_names))
		sb_puts(sb, signal_names[sig]);
	else if (sig == SIGRTMIN)
		sb_puts(sb, "SIGRTMIN");
	else if (sig > SIGRTMIN && sig <= SIGMAX)
		sb_printf(sb, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		sb_printf(sb, "%d", sig);
}

/* A sigset as the signals it holds, "[SIGINT SIGTERM]"; bit n-1 is signal n. */
void print_sigset(struct sbuf *sb, uint64_t set)
{
	bool sep = false;

	sb_putc(sb, '[');
	for (int sig = 1; sig <= SIGMAX; sig++) {
		if (!(set & (1ull << (sig - 1))))
			continue;
		if (sep)
			sb_putc(sb, ' ');
		print_signal(sb, sig);
		sep = true;
	}
	sb_putc(sb, ']');
}

void print_file_mode(struct sbuf *sb, uint32_t mode)
{
	const char *type = lookup(file_type, ARRAY_SIZE(file_type), mode & 0170000);

	if (type)
		sb_printf(sb, "%s|", type);
	sb_printf(sb, "0o%" PRIo32, type ? mode & 07777 : mode);
}

void print_sa_flags(struct sbuf *sb, uint64_t flags)
{
	if (flags == 0)
		sb_puts(sb, "0");
	else
		print_bits(sb, sa_flags, ARRAY_SIZE(sa_flags), (uint32_t)flags, false);
}
