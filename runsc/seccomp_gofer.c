/* The gofer's seccomp allowlist: the host system calls gofer_serve makes,
 * one rule per line with the reason. The gofer opens files only with
 * openat2 beneath its root fd (RESOLVE_BENEATH; the resolve flags live in
 * memory, out of a filter's reach, so the confinement is openat2's and the
 * root's, not this list's: the root it pivoted into before the filter, see
 * gofer/confine.c, which is why no mount call is here); it creates no
 * socket and no process, maps no file, and changes nothing about itself.
 * The write path's calls take an fd beneath the root and a single name,
 * or an O_PATH fd and "".
 *
 * To change the list: run tools/seccomp-audit over the test suite (see
 * runsc/seccomp_sentry.c). A call outside it kills the gofer with SIGSYS;
 * the sentry then sees its socket close and fails file requests with EIO. */
#define AMBER_SECCOMP_RULES
#include "runsc/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>

/* fchmodat2 is Linux 6.6; older headers (and so SCMP_SYS) do not name it.
 * Its number is the same on every architecture. */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
/* getxattrat and listxattrat are Linux 6.13, newer than libseccomp 2.5
 * knows: named here by their numbers, which are the same everywhere. */
#ifndef __SNR_getxattrat
#define __SNR_getxattrat 464
#endif
#ifndef __SNR_listxattrat
#define __SNR_listxattrat 465
#endif

static const struct seccomp_rule gofer_rules[] = {
	/* -- the socket to the sentry -- */
	SC_ALLOW(recvmsg),					/* requests */
	SC_ALLOW(sendmsg),					/* replies, donated fds (SCM_RIGHTS) */

	/* -- the files it serves, beneath the root fd -- */
	SC_ALLOW(openat2),					/* every open: RESOLVE_BENEATH|NO_MAGICLINKS|NO_SYMLINKS */
	SC_ALLOW(statx),					/* stat and open: metadata of an opened fd (AT_EMPTY_PATH) */
	SC_ALLOW1(newfstatat, SC_EQ32(3, AT_EMPTY_PATH)),	/* glibc's fstat: xattr opens check the file kept its identity */
	SC_ALLOW(fstatfs),					/* statfs of an O_PATH fd */
	SC_ALLOW(readlinkat),					/* readlink of an O_PATH fd ("" path) */
	SC_ALLOW1(fcntl, SC_EQ32(1, F_GETFL)),			/* open: clear the O_NONBLOCK it opened with */
	SC_ALLOW1(fcntl, SC_EQ32(1, F_SETFL)),			/* ditto */
	SC_ALLOW(fgetxattr),					/* getxattr of a regular file or directory */
	SC_ALLOW(flistxattr),					/* listxattr of a regular file or directory */
	SC_ALLOW(getxattrat),					/* xattrs of a symlink or special file: (its directory, its name) */
	SC_ALLOW(listxattrat),					/* ditto */
	SC_ALLOW(statfs),					/* before Linux 6.13: is /proc/self/fd procfs? */
	SC_ALLOW(getxattr),					/* ditto: xattrs of a symlink or special file, via /proc/self/fd/N */
	SC_ALLOW(listxattr),					/* ditto */
	SC_ALLOW(close),					/* every fd once replied or donated */

	/* -- the write path (not with --readonly, which refuses before any call) -- */
	SC_ALLOW(mkdirat),					/* mkdir, beneath the parent's O_PATH fd */
	SC_ALLOW(symlinkat),					/* symlink */
	SC_ALLOW(linkat),					/* link, without following a final symlink */
	SC_ALLOW(unlinkat),					/* unlink and rmdir */
	SC_ALLOW(renameat),					/* rename: glibc's renameat2 with flags 0 */
	SC_ALLOW(renameat2),					/* rename with RENAME_NOREPLACE, RENAME_EXCHANGE */
	SC_ALLOW1(fchownat, SC_EQ32(4, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)), /* chown of an O_PATH fd */
	SC_ALLOW(fchmodat2),					/* chmod of an O_PATH fd (Linux 6.6) */
	SC_ALLOW(fchmod),					/* chmod before Linux 6.6, on a reopened fd */
	SC_ALLOW(chmod),					/* ditto, of a special file, via /proc/self/fd/N */
	SC_ALLOW1(utimensat, SC_EQ32(3, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)), /* times of an O_PATH fd */
	SC_ALLOW(ftruncate),					/* truncate, on a reopened fd */

	/* -- the process itself -- */
	SC_ALLOW(brk),						/* malloc: the request buffer */
	SC_ALLOW(mmap),						/* malloc, should the buffer outgrow brk */
	SC_ALLOW(munmap),					/* free */
	SC_ALLOW1(madvise, SC_EQ32(2, MADV_DONTNEED)),		/* free: glibc trimming */
	SC_ALLOW1(getrandom, SC_EQ32(2, GRND_NONBLOCK)),	/* malloc's first use in this process (tcache key) */
	SC_ALLOW(write),					/* log lines (stderr or the debug log) */
	SC_ALLOW(gettid),					/* log lines */
	SC_ALLOW(clock_gettime),				/* log lines, when the vDSO cannot */
	SC_ALLOW(rt_sigreturn),					/* return from any signal handler */
	SC_ALLOW(restart_syscall),				/* resume a call interrupted by a stop */
	SC_ALLOW(exit_group),					/* the sentry closed the socket */
};

int seccomp_install_gofer(void)
{
	return seccomp_install_rules(gofer_rules, sizeof(gofer_rules) / sizeof(gofer_rules[0]));
}
