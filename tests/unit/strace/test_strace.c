/* --strace names and line formatting, against a fake application memory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "kernel/strace/internal.h"
#include "kernel/strace/strace.h"

/* Application memory: a few mapped regions; everything else faults. */
struct fake_region {
	uint64_t addr;
	size_t size;
	unsigned char bytes[4096];
};

struct fake_mem {
	struct fake_region regions[8];
	int count;
	int reads;
};

static ssize_t fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *m = ctx;

	m->reads++;
	for (int i = 0; i < m->count; i++) {
		struct fake_region *r = &m->regions[i];

		if (addr < r->addr || addr >= r->addr + r->size)
			continue;
		size_t n = r->addr + r->size - addr;
		if (n > len)
			n = len;
		memcpy(buf, r->bytes + (addr - r->addr), n);
		return (ssize_t)n;
	}
	return -EFAULT;
}

static struct fake_mem fake;
static struct strace_mem mem = { .read = fake_read, .ctx = &fake };

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
}

/* Maps size bytes at addr holding data (the rest zero). */
static void map(uint64_t addr, const void *data, size_t len, size_t size)
{
	struct fake_region *r = &fake.regions[fake.count++];

	cr_assert(len <= size && size <= sizeof(r->bytes));
	r->addr = addr;
	r->size = size;
	memcpy(r->bytes, data, len);
}

static void map_str(uint64_t addr, const char *s)
{
	map(addr, s, strlen(s) + 1, strlen(s) + 1);
}

static char line[1024];

static const char *enter(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t args[6] = { a0, a1, a2, a3, 0, 0 };
	size_t n = strace_format_enter(line, sizeof(line), nr, args, &mem);

	cr_assert_eq(n, strlen(line));
	return line;
}

static const char *leave(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, long ret)
{
	uint64_t args[6] = { a0, a1, a2, a3, 0, 0 };
	size_t n = strace_format_exit(line, sizeof(line), nr, args, ret, &mem);

	cr_assert_eq(n, strlen(line));
	return line;
}

#define NR_READ 0
#define NR_WRITE 1
#define NR_OPEN 2
#define NR_FSTAT 5
#define NR_MMAP 9
#define NR_RT_SIGACTION 13
#define NR_WRITEV 20
#define NR_NANOSLEEP 35
#define NR_EXECVE 59
#define NR_READLINK 89
#define NR_OPENAT 257
#define NR_PIPE2 293

#define AT_FDCWD_ARG ((uint64_t)(int64_t)-100)
#define O_CLOEXEC_ARG 02000000

Test(strace_names, known_numbers)
{
	cr_assert_str_eq(syscall_name(0), "read");
	cr_assert_str_eq(syscall_name(1), "write");
	cr_assert_str_eq(syscall_name(59), "execve");
	cr_assert_str_eq(syscall_name(231), "exit_group");
	cr_assert_str_eq(syscall_name(257), "openat");
	cr_assert_str_eq(syscall_name(262), "newfstatat");
	cr_assert_str_eq(syscall_name(332), "statx");
	cr_assert_str_eq(syscall_name(334), "rseq");
	cr_assert_str_eq(syscall_name(335), "uretprobe");
	cr_assert_str_eq(syscall_name(424), "pidfd_send_signal");
	cr_assert_str_eq(syscall_name(435), "clone3");
	cr_assert_str_eq(syscall_name(439), "faccessat2");
	cr_assert_str_eq(syscall_name(451), "cachestat");
	cr_assert_str_eq(syscall_name(452), "fchmodat2");
	cr_assert_str_eq(syscall_name(453), "map_shadow_stack");
	cr_assert_str_eq(syscall_name(454), "futex_wake");
	cr_assert_str_eq(syscall_name(455), "futex_wait");
	cr_assert_str_eq(syscall_name(456), "futex_requeue");
	cr_assert_str_eq(syscall_name(457), "statmount");
	cr_assert_str_eq(syscall_name(458), "listmount");
	cr_assert_str_eq(syscall_name(459), "lsm_get_self_attr");
	cr_assert_str_eq(syscall_name(460), "lsm_set_self_attr");
	cr_assert_str_eq(syscall_name(461), "lsm_list_modules");
	cr_assert_str_eq(syscall_name(462), "mseal");
}

/* Every number in the two assigned ranges has a name. */
Test(strace_names, no_gaps_in_assigned_ranges)
{
	for (long nr = 0; nr <= 335; nr++)
		cr_assert_not_null(syscall_name(nr), "nr %ld", nr);
	for (long nr = 424; nr <= 462; nr++)
		cr_assert_not_null(syscall_name(nr), "nr %ld", nr);
}

Test(strace_names, holes_and_out_of_range)
{
	cr_assert_null(syscall_name(336));
	cr_assert_null(syscall_name(400));
	cr_assert_null(syscall_name(423));
	cr_assert_null(syscall_name(-1));
	cr_assert_null(syscall_name(LONG_MIN));
	cr_assert_null(syscall_name(100000));
	cr_assert_null(syscall_name(LONG_MAX));
	/* x32 numbers are not x86-64 calls. */
	cr_assert_null(syscall_name(512));
	cr_assert_null(syscall_name(0x40000000 + 257));
}

/* The table is written out by hand; the host's headers, where they know a
 * number, must agree. */
Test(strace_names, agrees_with_host_headers)
{
	static const struct { long nr; const char *name; } host[] = {
		{ SYS_read, "read" }, { SYS_mmap, "mmap" }, { SYS_rt_sigreturn, "rt_sigreturn" },
		{ SYS_clone, "clone" }, { SYS_execve, "execve" }, { SYS_getdents64, "getdents64" },
		{ SYS_set_tid_address, "set_tid_address" }, { SYS_epoll_pwait, "epoll_pwait" },
		{ SYS_pipe2, "pipe2" }, { SYS_prlimit64, "prlimit64" }, { SYS_getrandom, "getrandom" },
		{ SYS_statx, "statx" }, { SYS_io_uring_setup, "io_uring_setup" },
		{ SYS_close_range, "close_range" },
	};

	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++)
		cr_assert_str_eq(syscall_name(host[i].nr), host[i].name);
}

/* Descriptions are indexed by number by hand, so check each is filed under
 * its own name. */
Test(strace_names, descriptions_match_names)
{
	int described = 0;

	for (long nr = 0; nr < 1000; nr++) {
		const struct syscall_desc *d = strace_desc(nr);

		if (!d)
			continue;
		described++;
		cr_assert_not_null(syscall_name(nr), "nr %ld", nr);
		cr_assert_str_eq(d->name, syscall_name(nr), "nr %ld", nr);
	}
	cr_assert_geq(described, 51);
	cr_assert_null(strace_desc(-1));
}

Test(strace_format, openat_enter_and_exit, .init = setup)
{
	map_str(0x7ffc1000, "/etc/passwd");
	cr_assert_str_eq(enter(NR_OPENAT, AT_FDCWD_ARG, 0x7ffc1000, O_CLOEXEC_ARG, 0),
			 "openat(AT_FDCWD, 0x7ffc1000 \"/etc/passwd\", O_RDONLY|O_CLOEXEC, 0o0)");
	cr_assert_str_eq(leave(NR_OPENAT, AT_FDCWD_ARG, 0x7ffc1000, O_CLOEXEC_ARG, 0, 3),
			 "openat(AT_FDCWD, 0x7ffc1000 \"/etc/passwd\", O_RDONLY|O_CLOEXEC, 0o0)"
			 " = 3 (0x3)");
}

/* An int argument's upper register bits are not part of it. */
Test(strace_format, dirfd_upper_bits_ignored, .init = setup)
{
	map_str(0x1000, "x");
	cr_assert_str_eq(enter(NR_OPENAT, 0xffffff9c, 0x1000, 0101 | 01000, 0644),
			 "openat(AT_FDCWD, 0x1000 \"x\", O_WRONLY|O_CREAT|O_TRUNC, 0o644)");
	cr_assert_str_eq(enter(NR_OPENAT, 5, 0x1000, 020200002, 0600),
			 "openat(0x5, 0x1000 \"x\", O_RDWR|O_TMPFILE, 0o600)");
}

Test(strace_format, read_buffer_decoded_on_exit, .init = setup)
{
	const char *data = "root:x:0:0:root:/root:/bin/bash\n";

	map(0x7ffc2000, data, strlen(data), 0x1000);
	cr_assert_str_eq(enter(NR_READ, 3, 0x7ffc2000, 0x1000, 0),
			 "read(0x3, 0x7ffc2000, 0x1000)");
	cr_assert_eq(fake.reads, 0, "an output buffer is not read on entry");
	cr_assert_str_eq(leave(NR_READ, 3, 0x7ffc2000, 0x1000, 0, 32),
			 "read(0x3, 0x7ffc2000 \"root:x:0:0:root:/root:/bin/bash\\n\", 0x1000)"
			 " = 32 (0x20)");
	cr_assert_str_eq(leave(NR_READ, 3, 0x7ffc2000, 0x1000, 0, 0),
			 "read(0x3, 0x7ffc2000 \"\", 0x1000) = 0 (0x0)");
	cr_assert_str_eq(leave(NR_READ, 3, 0x7ffc2000, 0x1000, 0, -EAGAIN),
			 "read(0x3, 0x7ffc2000, 0x1000) = -1 EAGAIN "
			 "(resource temporarily unavailable)");
}

Test(strace_format, long_buffer_shows_64_bytes, .init = setup)
{
	char data[200];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	map(0x10000, data, sizeof(data), sizeof(data));
	leave(NR_READ, 3, 0x10000, 0x1000, 0, 200);
	cr_assert_str_eq(line, "read(0x3, 0x10000 \"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
			       "abcdefghijkl\"..., 0x1000) = 200 (0xc8)");
}

Test(strace_format, path_of_64_and_65_bytes, .init = setup)
{
	char p64[65], p65[66], want[128];

	memset(p64, 'p', 64);
	p64[64] = '\0';
	memset(p65, 'q', 65);
	p65[65] = '\0';
	map_str(0x1000, p64);
	map_str(0x2000, p65);
	snprintf(want, sizeof(want), "open(0x1000 \"%s\", O_RDONLY, 0o0)", p64);
	cr_assert_str_eq(enter(NR_OPEN, 0x1000, 0, 0, 0), want);
	p65[64] = '\0';
	snprintf(want, sizeof(want), "open(0x2000 \"%s\"..., O_RDONLY, 0o0)", p65);
	cr_assert_str_eq(enter(NR_OPEN, 0x2000, 0, 0, 0), want);
}

Test(strace_format, error_return, .init = setup)
{
	map_str(0x400000, "/nope");
	cr_assert_str_eq(leave(NR_OPEN, 0x400000, 0, 0, 0, -ENOENT),
			 "open(0x400000 \"/nope\", O_RDONLY, 0o0) = -1 ENOENT "
			 "(no such file or directory)");
	leave(NR_OPEN, 0x400000, 0, 0, 0, -512);
	cr_assert(strstr(line, " = -1 ERESTARTSYS ("), "%s", line);
	leave(NR_OPEN, 0x400000, 0, 0, 0, -4000);
	cr_assert(strstr(line, " = -1 errno 4000 (unknown error)"), "%s", line);
	/* Below -4095 it is a value, not an error. */
	leave(NR_OPEN, 0x400000, 0, 0, 0, -4096);
	cr_assert(strstr(line, " = -4096 (0xfffffffffffff000)"), "%s", line);
}

Test(strace_format, unreadable_string_prints_address_only, .init = setup)
{
	cr_assert_str_eq(enter(NR_OPENAT, AT_FDCWD_ARG, 0xdead0000, 0, 0),
			 "openat(AT_FDCWD, 0xdead0000, O_RDONLY, 0o0)");
	cr_assert_str_eq(enter(NR_OPEN, 0, 0, 0, 0), "open(0x0, O_RDONLY, 0o0)");
	cr_assert_str_eq(enter(NR_WRITE, 1, 0xdead0000, 5, 0), "write(0x1, 0xdead0000, 0x5)");
	/* No reader at all. */
	uint64_t args[6] = { AT_FDCWD_ARG, 0x1000, 0, 0 };
	strace_format_enter(line, sizeof(line), NR_OPENAT, args, NULL);
	cr_assert_str_eq(line, "openat(AT_FDCWD, 0x1000, O_RDONLY, 0o0)");
}

/* A string running into an unmapped page shows what could be read. */
Test(strace_format, string_cut_by_unmapped_page, .init = setup)
{
	map(0x1000, "abc", 3, 3);
	cr_assert_str_eq(enter(NR_OPEN, 0x1000, 0, 0, 0),
			 "open(0x1000 \"abc\"..., O_RDONLY, 0o0)");
}

Test(strace_format, escapes, .init = setup)
{
	const char data[] = "a\"b\\c\td\n\x01\xff";

	map(0x1000, data, sizeof(data) - 1, sizeof(data) - 1);
	cr_assert_str_eq(enter(NR_WRITE, 1, 0x1000, sizeof(data) - 1, 0),
			 "write(0x1, 0x1000 \"a\\\"b\\\\c\\td\\n\\x01\\xff\", 0xa)");
}

/* Every size from 0 up cuts the line short, NUL-terminated, and writes not
 * one byte past size. */
Test(strace_format, truncation_never_overflows, .init = setup)
{
	char full[512], buf[600];
	uint64_t args[6] = { AT_FDCWD_ARG, 0x7ffc1000, O_CLOEXEC_ARG, 0 };

	map_str(0x7ffc1000, "/etc/passwd");
	size_t full_len = strace_format_exit(full, sizeof(full), NR_OPENAT, args, -ENOENT, &mem);
	cr_assert_eq(full_len, strlen(full));
	cr_assert_lt(full_len + 1, sizeof(full));

	for (size_t size = 0; size <= full_len + 2; size++) {
		memset(buf, 'Z', sizeof(buf));
		size_t n = strace_format_exit(buf, size, NR_OPENAT, args, -ENOENT, &mem);
		size_t expect = size ? (size - 1 < full_len ? size - 1 : full_len) : 0;

		cr_assert_eq(n, expect, "size %zu", size);
		if (size)
			cr_assert_eq(buf[n], '\0', "size %zu", size);
		cr_assert_eq(memcmp(buf, full, n), 0, "size %zu", size);
		for (size_t i = size; i < sizeof(buf); i++)
			cr_assert_eq(buf[i], 'Z', "size %zu: byte %zu written", size, i);
	}
	cr_assert_eq(strace_format_enter(NULL, 0, NR_OPENAT, args, &mem), 0);
}

Test(strace_format, unknown_and_undescribed_numbers, .init = setup)
{
	uint64_t args[6] = { 1, 2, 3, 4, 5, 0xffffffffffffffff };

	strace_format_enter(line, sizeof(line), 400, args, &mem);
	cr_assert_str_eq(line, "sys_400(0x1, 0x2, 0x3, 0x4, 0x5, 0xffffffffffffffff)");
	strace_format_exit(line, sizeof(line), -1, args, -ENOSYS, &mem);
	cr_assert_str_eq(line, "sys_-1(0x1, 0x2, 0x3, 0x4, 0x5, 0xffffffffffffffff) = -1 ENOSYS "
			       "(function not implemented)");
	/* reboot has a name but no description. */
	strace_format_enter(line, sizeof(line), 169, args, &mem);
	cr_assert_str_eq(line, "reboot(0x1, 0x2, 0x3, 0x4, 0x5, 0xffffffffffffffff)");
}

Test(strace_format, no_argument_calls)
{
	cr_assert_str_eq(leave(39, 7, 7, 7, 7, 42), "getpid() = 42 (0x2a)");
}

Test(strace_format, mmap, .init = setup)
{
	uint64_t args[6] = { 0, 0x1000, 3, 0x22, (uint64_t)-1, 0 };

	strace_format_exit(line, sizeof(line), NR_MMAP, args, 0x7f0000000000, &mem);
	cr_assert_str_eq(line, "mmap(0x0, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, "
			       "-1, 0x0) = 139637976727552 (0x7f0000000000)");
	args[2] = 0;
	args[3] = 0x1 | 0x10 | 0x80000000;
	strace_format_enter(line, sizeof(line), NR_MMAP, args, &mem);
	cr_assert_str_eq(line, "mmap(0x0, 0x1000, PROT_NONE, MAP_SHARED|MAP_FIXED|0x80000000, -1, 0x0)");
}

Test(strace_format, fstat_decoded_on_success, .init = setup)
{
	unsigned char st[144] = { 0 };
	uint32_t mode = 0100644;
	int64_t size = 1234;

	memcpy(st + 24, &mode, sizeof(mode));
	memcpy(st + 48, &size, sizeof(size));
	map(0x5000, st, sizeof(st), sizeof(st));
	cr_assert_str_eq(enter(NR_FSTAT, 3, 0x5000, 0, 0), "fstat(0x3, 0x5000)");
	leave(NR_FSTAT, 3, 0x5000, 0, 0, 0);
	cr_assert(strstr(line, "fstat(0x3, 0x5000 {"), "%s", line);
	cr_assert(strstr(line, "mode=S_IFREG|0o644"), "%s", line);
	cr_assert(strstr(line, "size=1234"), "%s", line);
	cr_assert(strstr(line, "}) = 0 (0x0)"), "%s", line);
	cr_assert_str_eq(leave(NR_FSTAT, 3, 0x5000, 0, 0, -EBADF),
			 "fstat(0x3, 0x5000) = -1 EBADF (bad file descriptor)");
}

Test(strace_format, readlink_result, .init = setup)
{
	map_str(0x1000, "/proc/self/exe");
	map(0x2000, "/usr/bin/catXXXX", 16, 64);
	cr_assert_str_eq(leave(NR_READLINK, 0x1000, 0x2000, 64, 0, 12),
			 "readlink(0x1000 \"/proc/self/exe\", 0x2000 \"/usr/bin/cat\", 0x40) = 12 (0xc)");
}

Test(strace_format, writev_iovecs, .init = setup)
{
	uint64_t iov[4] = { 0x3000, 5, 0x3010, 6 };

	map(0x2000, iov, sizeof(iov), sizeof(iov));
	map(0x3000, "hello\0\0\0\0\0\0\0\0\0\0\0world\n", 22, 32);
	cr_assert_str_eq(enter(NR_WRITEV, 1, 0x2000, 2, 0),
			 "writev(0x1, 0x2000 [{base=0x3000, len=5, \"hello\"}, "
			 "{base=0x3010, len=6, \"world\\n\"}], 2)");
}

Test(strace_format, sigaction_and_timespec, .init = setup)
{
	uint64_t sa[4] = { 0x401000, 0x04000000 | 0x10000000, 0x402000, (1u << 1) | (1u << 14) };
	int64_t ts[2] = { 1, 500 };

	map(0x1000, sa, sizeof(sa), sizeof(sa));
	cr_assert_str_eq(enter(NR_RT_SIGACTION, 2, 0x1000, 0, 8),
			 "rt_sigaction(SIGINT, 0x1000 {Handler: 0x401000, Flags: SA_RESTORER|SA_RESTART,"
			 " Restorer: 0x402000, Mask: [SIGINT SIGTERM]}, 0x0, 0x8)");
	map(0x2000, ts, sizeof(ts), sizeof(ts));
	cr_assert_str_eq(enter(NR_NANOSLEEP, 0x2000, 0x3000, 0, 0),
			 "nanosleep(0x2000 {sec=1 nsec=500}, 0x3000)");
}

Test(strace_format, pipe2_fds, .init = setup)
{
	int32_t fds[2] = { 3, 4 };

	map(0x1000, fds, sizeof(fds), sizeof(fds));
	cr_assert_str_eq(leave(NR_PIPE2, 0x1000, O_CLOEXEC_ARG | 04000, 0, 0, 0),
			 "pipe2(0x1000 [3 4], O_NONBLOCK|O_CLOEXEC) = 0 (0x0)");
}

Test(strace_format, execve_argv_on_entry_only, .init = setup)
{
	uint64_t argv[3] = { 0x2000, 0x2010, 0 };

	map_str(0x1000, "/bin/ls");
	map(0x1800, argv, sizeof(argv), sizeof(argv));
	map(0x2000, "ls\0\0\0\0\0\0\0\0\0\0\0\0\0\0-l", 19, 19);
	cr_assert_str_eq(enter(NR_EXECVE, 0x1000, 0x1800, 0, 0),
			 "execve(0x1000 \"/bin/ls\", 0x1800 [\"ls\", \"-l\"], 0x0)");
	cr_assert_str_eq(leave(NR_EXECVE, 0x1000, 0x1800, 0, 0, 0),
			 "execve(0x1000, 0x1800, 0x0) = 0 (0x0)");
}

/* Every number, with arguments pointing into garbage, into unmapped memory
 * and at the edge of a mapping, formats without reading out of bounds
 * (run under ASan) and stays within the buffer. */
Test(strace_format, every_number_survives_garbage, .init = setup)
{
	unsigned char junk[4096];
	uint32_t seed = 12345;
	char small[40];

	for (size_t i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245 + 12345;
		junk[i] = (unsigned char)(seed >> 16);
	}
	map(0x10000, junk, sizeof(junk), sizeof(junk));
	for (long nr = -2; nr < 520; nr++) {
		for (int round = 0; round < 8; round++) {
			uint64_t args[6];

			for (int i = 0; i < 6; i++) {
				seed = seed * 1103515245 + 12345;
				switch ((seed >> 8) % 4) {
				case 0: args[i] = 0x10000 + (seed >> 12) % 4096; break;
				case 1: args[i] = 0x10ff8; break;	/* 8 bytes before the end */
				case 2: args[i] = (seed >> 10) % 16; break;
				default: args[i] = ((uint64_t)seed << 32) | seed; break;
				}
			}
			long ret = round % 2 ? -(long)(seed % 600) : (long)(seed % 5000);
			strace_format_enter(line, sizeof(line), nr, args, &mem);
			strace_format_exit(line, sizeof(line), nr, args, ret, &mem);
			size_t n = strace_format_exit(small, sizeof(small), nr, args, ret, &mem);
			cr_assert_lt(n, sizeof(small));
			cr_assert_eq(n, strlen(small));
		}
	}
}
