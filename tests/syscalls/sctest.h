/* Helpers shared by the syscall test programs.
 *
 * Each program prints what it observes, deterministically: never an address,
 * a time, a pid or anything else that changes between runs, only results,
 * error names and yes/no relations. The harness (tests/integration/compare.sh)
 * runs it natively and in the sandbox and compares the two outputs. */
#ifndef SCTEST_H
#define SCTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Line-buffered stdout, so that a program that crashes halfway still shows
 * how far it got (a program may still set its own buffer before printing). */
__attribute__((constructor)) static void sctest_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* A user address that is never mapped: the start of the kernel half. */
#define KERNEL_PTR ((void *)0xffff800000000000UL)
/* A user address that is never mapped: inside the first page. */
#define LOW_PTR ((void *)16)

/* A raw system call (no glibc checks or vDSO) returning >= 0 or -errno.
 * Every argument is converted to long first: syscall() reads longs, and an
 * int passed through "..." would leave the upper half of the register
 * undefined (a negative offset would arrive as a large positive one). */
#define SC_L(x) ((long)(x))
#define sc0(nr) sc_ret(syscall(SC_L(nr)))
#define sc1(nr, a) sc_ret(syscall(SC_L(nr), SC_L(a)))
#define sc2(nr, a, b) sc_ret(syscall(SC_L(nr), SC_L(a), SC_L(b)))
#define sc3(nr, a, b, c) sc_ret(syscall(SC_L(nr), SC_L(a), SC_L(b), SC_L(c)))
#define sc4(nr, a, b, c, d) sc_ret(syscall(SC_L(nr), SC_L(a), SC_L(b), SC_L(c), SC_L(d)))
#define sc5(nr, a, b, c, d, e) sc_ret(syscall(SC_L(nr), SC_L(a), SC_L(b), SC_L(c), SC_L(d), SC_L(e)))
#define sc6(nr, a, b, c, d, e, f) \
	sc_ret(syscall(SC_L(nr), SC_L(a), SC_L(b), SC_L(c), SC_L(d), SC_L(e), SC_L(f)))
#define SC_PICK(_0, _1, _2, _3, _4, _5, _6, name, ...) name
#define sc(...) SC_PICK(__VA_ARGS__, sc6, sc5, sc4, sc3, sc2, sc1, sc0, )(__VA_ARGS__)
static inline long sc_ret(long r)
{
	return r == -1 ? -errno : r;
}

static inline const char *errname(long e)
{
	static char other[32];

	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EMLINK: return "EMLINK";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case ENODATA: return "ENODATA";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default:
		snprintf(other, sizeof(other), "E#%ld", e);
		return other;
	}
}

/* Prints "what: N" for a result >= 0, "what: -ENAME" for an error. */
static inline void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: -%s\n", what, errname(-r));
	else
		printf("%s: %ld\n", what, r);
}

/* Prints "what: yes" or "what: no". */
static inline void yesno(const char *what, bool b)
{
	printf("%s: %s\n", what, b ? "yes" : "no");
}

/* FNV-1a, for checksums of buffers (printed, so they must not depend on
 * addresses). */
static inline uint64_t fnv1a(const void *buf, size_t len, uint64_t h)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

#endif
