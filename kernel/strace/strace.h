/* --strace: one line when a system call enters and one when it returns,
 * with decoded arguments, in gVisor's format:
 *
 *   I1123 10:00:00.000001  4242 [   1:   1] cat E openat(AT_FDCWD, 0x7ffc1000 "/etc/passwd", O_RDONLY|O_CLOEXEC, 0o0)
 *   I1123 10:00:00.000020  4242 [   1:   1] cat X openat(AT_FDCWD, 0x7ffc1000 "/etc/passwd", O_RDONLY|O_CLOEXEC, 0o0) = 3 (0x3) (19.2µs)
 *   ...  X read(0x3, 0x7ffc2000 "root:x:0:0:root:/root:/bin/bash\n"..., 0x1000) = 1024 (0x400) (3.1µs)
 *   ...  X open(0x400000 "/nope", O_RDONLY, 0o0) = -1 ENOENT (no such file or directory) (2.0µs)
 *
 * The log prefix (level, time, host tid) comes from kernel/lib/log; this
 * module formats only what follows "[tid: tid] comm ". */
#ifndef AMBER_STRACE_H
#define AMBER_STRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads application memory for the decoder: returns bytes read (may be
 * short at an unmapped page) or -EFAULT. */
struct strace_mem {
	ssize_t (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

/* The Linux name of x86-64 system call nr ("read", "openat", ...), or NULL
 * for a number that has none. Every number Linux 6.x assigns has a name. */
const char *syscall_name(long nr);

/* Formats "name(args)" for the entry line into buf (always NUL-terminated,
 * truncated to size). Input arguments are decoded (paths and strings
 * quoted, at most 64 bytes then "..."; flags symbolic; fds decimal; AT_FDCWD
 * by name); output-only buffers are shown as addresses. Unknown numbers
 * print as "sys_NNN(0x.., ...)". Returns the length written. */
size_t strace_format_enter(char *buf, size_t size, long nr, const uint64_t args[6],
			   const struct strace_mem *mem);

/* Formats "name(args) = result" for the exit line: as enter, but output
 * buffers are decoded now (the data read(), the struct stat fields
 * st_mode/st_size, the path readlink() returned); then " = N (0xN)" on
 * success, or " = -1 ENAME (message)" when ret is -errno (-4095..-1).
 * Returns the length written. */
size_t strace_format_exit(char *buf, size_t size, long nr, const uint64_t args[6], long ret,
			  const struct strace_mem *mem);

#endif
