/* --strace lines: which arguments each system call has and how to show
 * them, and the result. Calls without a description print their six
 * registers raw, as gVisor does, rather than guessing an argument count. */
#include "kernel/strace/internal.h"

#include <inttypes.h>

#include "kernel/lib/types.h"

#define A(kind) { ARG_##kind, 0 }
#define AL(kind, len_arg) { ARG_##kind, len_arg }
#define CALL(nm, ...) { .name = nm, .args = { __VA_ARGS__ } }
#define CALL0(nm) { .name = nm }

/* Indexed by x86-64 number; the unit tests check each name matches. */
static const struct syscall_desc descs[] = {
	[0] = CALL("read", A(FD), A(BUF_OUT), A(HEX)),
	[1] = CALL("write", A(FD), AL(STR_IN, 2), A(HEX)),
	[2] = CALL("open", A(PATH), A(OPEN_FLAGS), A(MODE)),
	[3] = CALL("close", A(FD)),
	[4] = CALL("stat", A(PATH), A(STAT_OUT)),
	[5] = CALL("fstat", A(FD), A(STAT_OUT)),
	[6] = CALL("lstat", A(PATH), A(STAT_OUT)),
	[7] = CALL("poll", A(HEX), A(DEC), A(DEC)),
	[8] = CALL("lseek", A(FD), A(OFF), A(WHENCE)),
	[9] = CALL("mmap", A(HEX), A(HEX), A(MMAP_PROT), A(MMAP_FLAGS), A(FD), A(HEX)),
	[10] = CALL("mprotect", A(HEX), A(HEX), A(MMAP_PROT)),
	[11] = CALL("munmap", A(HEX), A(HEX)),
	[12] = CALL("brk", A(HEX)),
	[13] = CALL("rt_sigaction", A(SIGNAL), A(SIGACTION_IN), A(SIGACTION_OUT), A(HEX)),
	[14] = CALL("rt_sigprocmask", A(SIGMASK_HOW), A(SIGSET_IN), A(SIGSET_OUT), A(HEX)),
	[15] = CALL0("rt_sigreturn"),
	[16] = CALL("ioctl", A(FD), A(IOCTL_CMD), A(HEX)),
	[17] = CALL("pread64", A(FD), A(BUF_OUT), A(HEX), A(OFF)),
	[18] = CALL("pwrite64", A(FD), AL(STR_IN, 2), A(HEX), A(OFF)),
	[19] = CALL("readv", A(FD), AL(IOVEC_OUT, 2), A(DEC)),
	[20] = CALL("writev", A(FD), AL(IOVEC_IN, 2), A(DEC)),
	[21] = CALL("access", A(PATH), A(ACCESS_MODE)),
	[22] = CALL("pipe", A(PIPE_OUT)),
	[24] = CALL0("sched_yield"),
	[25] = CALL("mremap", A(HEX), A(HEX), A(HEX), A(MREMAP_FLAGS), A(HEX)),
	[28] = CALL("madvise", A(HEX), A(HEX), A(MADVISE)),
	[32] = CALL("dup", A(FD)),
	[33] = CALL("dup2", A(FD), A(FD)),
	[34] = CALL0("pause"),
	[35] = CALL("nanosleep", A(TIMESPEC_IN), A(TIMESPEC_OUT)),
	[39] = CALL0("getpid"),
	[57] = CALL0("fork"),
	[58] = CALL0("vfork"),
	[59] = { .name = "execve", .flags = SD_NO_EXIT_DECODE,
		 .args = { A(PATH), A(ARGV), A(ARGV) } },
	[60] = CALL("exit", A(DEC)),
	[61] = CALL("wait4", A(DEC), A(HEX), A(HEX), A(HEX)),
	[62] = CALL("kill", A(DEC), A(SIGNAL)),
	[63] = CALL("uname", A(UTSNAME_OUT)),
	[72] = CALL("fcntl", A(FD), A(FCNTL_CMD), A(HEX)),
	[74] = CALL("fsync", A(FD)),
	[75] = CALL("fdatasync", A(FD)),
	[76] = CALL("truncate", A(PATH), A(OFF)),
	[77] = CALL("ftruncate", A(FD), A(OFF)),
	[78] = CALL("getdents", A(FD), A(HEX), A(HEX)),
	[79] = CALL("getcwd", A(PATH_OUT), A(HEX)),
	[80] = CALL("chdir", A(PATH)),
	[81] = CALL("fchdir", A(FD)),
	[82] = CALL("rename", A(PATH), A(PATH)),
	[83] = CALL("mkdir", A(PATH), A(MODE)),
	[84] = CALL("rmdir", A(PATH)),
	[85] = CALL("creat", A(PATH), A(MODE)),
	[86] = CALL("link", A(PATH), A(PATH)),
	[87] = CALL("unlink", A(PATH)),
	[88] = CALL("symlink", A(PATH), A(PATH)),
	[89] = CALL("readlink", A(PATH), A(BUF_OUT), A(HEX)),
	[90] = CALL("chmod", A(PATH), A(MODE)),
	[91] = CALL("fchmod", A(FD), A(MODE)),
	[95] = CALL("umask", A(MODE)),
	[97] = CALL("getrlimit", A(RLIMIT_RESOURCE), A(RLIMIT_OUT)),
	[99] = CALL("sysinfo", A(SYSINFO_OUT)),
	[102] = CALL0("getuid"),
	[104] = CALL0("getgid"),
	[107] = CALL0("geteuid"),
	[108] = CALL0("getegid"),
	[110] = CALL0("getppid"),
	[111] = CALL0("getpgrp"),
	[112] = CALL0("setsid"),
	[131] = CALL("sigaltstack", A(HEX), A(HEX)),
	[158] = CALL("arch_prctl", A(ARCH_PRCTL), A(HEX)),
	[160] = CALL("setrlimit", A(RLIMIT_RESOURCE), A(RLIMIT_IN)),
	[162] = CALL0("sync"),
	[186] = CALL0("gettid"),
	[200] = CALL("tkill", A(DEC), A(SIGNAL)),
	[202] = CALL("futex", A(HEX), A(FUTEX_OP), A(DEC), A(HEX), A(HEX), A(HEX)),
	[217] = CALL("getdents64", A(FD), A(HEX), A(HEX)),
	[218] = CALL("set_tid_address", A(HEX)),
	[219] = CALL0("restart_syscall"),
	[228] = CALL("clock_gettime", A(CLOCK_ID), A(TIMESPEC_OUT)),
	[229] = CALL("clock_getres", A(CLOCK_ID), A(TIMESPEC_OUT)),
	[230] = CALL("clock_nanosleep", A(CLOCK_ID), A(TIMER_FLAGS), A(TIMESPEC_IN),
		     A(TIMESPEC_OUT)),
	[231] = CALL("exit_group", A(DEC)),
	[234] = CALL("tgkill", A(DEC), A(DEC), A(SIGNAL)),
	[257] = CALL("openat", A(DIRFD), A(PATH), A(OPEN_FLAGS), A(MODE)),
	[258] = CALL("mkdirat", A(DIRFD), A(PATH), A(MODE)),
	[262] = CALL("newfstatat", A(DIRFD), A(PATH), A(STAT_OUT), A(AT_FLAGS)),
	[263] = CALL("unlinkat", A(DIRFD), A(PATH), A(UNLINK_FLAGS)),
	[264] = CALL("renameat", A(DIRFD), A(PATH), A(DIRFD), A(PATH)),
	[265] = CALL("linkat", A(DIRFD), A(PATH), A(DIRFD), A(PATH), A(AT_FLAGS)),
	[266] = CALL("symlinkat", A(PATH), A(DIRFD), A(PATH)),
	[267] = CALL("readlinkat", A(DIRFD), A(PATH), A(BUF_OUT), A(HEX)),
	[268] = CALL("fchmodat", A(DIRFD), A(PATH), A(MODE)),
	[269] = CALL("faccessat", A(DIRFD), A(PATH), A(ACCESS_MODE)),
	[273] = CALL("set_robust_list", A(HEX), A(HEX)),
	[292] = CALL("dup3", A(FD), A(FD), A(FD_FLAGS)),
	[293] = CALL("pipe2", A(PIPE_OUT), A(FD_FLAGS)),
	[302] = CALL("prlimit64", A(DEC), A(RLIMIT_RESOURCE), A(RLIMIT_IN), A(RLIMIT_OUT)),
	[316] = CALL("renameat2", A(DIRFD), A(PATH), A(DIRFD), A(PATH), A(HEX)),
	[318] = CALL("getrandom", A(BUF_OUT), A(HEX), A(GRND_FLAGS)),
	[322] = { .name = "execveat", .flags = SD_NO_EXIT_DECODE,
		  .args = { A(DIRFD), A(PATH), A(ARGV), A(ARGV), A(AT_FLAGS) } },
	[332] = CALL("statx", A(DIRFD), A(PATH), A(AT_FLAGS), A(HEX), A(STATX_OUT)),
	[334] = CALL("rseq", A(HEX), A(HEX), A(HEX), A(HEX)),
	[436] = CALL("close_range", A(FD), A(HEX), A(HEX)),
	[439] = CALL("faccessat2", A(DIRFD), A(PATH), A(ACCESS_MODE), A(ACCESS_AT_FLAGS)),
};

const struct syscall_desc *strace_desc(long nr)
{
	if (nr < 0 || (unsigned long)nr >= ARRAY_SIZE(descs) || !descs[nr].name)
		return NULL;
	return &descs[nr];
}

struct errno_name {
	const char *name;
	const char *msg;
};

/* Linux's generic errno numbers (x86-64 uses them), with messages in
 * gVisor's lower-case style. 512..516 are the kernel's restart codes, which
 * the strace of an interrupted call shows before the restart. */
static const struct errno_name errnos[] = {
	[1] = { "EPERM", "operation not permitted" },
	[2] = { "ENOENT", "no such file or directory" },
	[3] = { "ESRCH", "no such process" },
	[4] = { "EINTR", "interrupted system call" },
	[5] = { "EIO", "input/output error" },
	[6] = { "ENXIO", "no such device or address" },
	[7] = { "E2BIG", "argument list too long" },
	[8] = { "ENOEXEC", "exec format error" },
	[9] = { "EBADF", "bad file descriptor" },
	[10] = { "ECHILD", "no child processes" },
	[11] = { "EAGAIN", "resource temporarily unavailable" },
	[12] = { "ENOMEM", "cannot allocate memory" },
	[13] = { "EACCES", "permission denied" },
	[14] = { "EFAULT", "bad address" },
	[15] = { "ENOTBLK", "block device required" },
	[16] = { "EBUSY", "device or resource busy" },
	[17] = { "EEXIST", "file exists" },
	[18] = { "EXDEV", "invalid cross-device link" },
	[19] = { "ENODEV", "no such device" },
	[20] = { "ENOTDIR", "not a directory" },
	[21] = { "EISDIR", "is a directory" },
	[22] = { "EINVAL", "invalid argument" },
	[23] = { "ENFILE", "too many open files in system" },
	[24] = { "EMFILE", "too many open files" },
	[25] = { "ENOTTY", "inappropriate ioctl for device" },
	[26] = { "ETXTBSY", "text file busy" },
	[27] = { "EFBIG", "file too large" },
	[28] = { "ENOSPC", "no space left on device" },
	[29] = { "ESPIPE", "illegal seek" },
	[30] = { "EROFS", "read-only file system" },
	[31] = { "EMLINK", "too many links" },
	[32] = { "EPIPE", "broken pipe" },
	[33] = { "EDOM", "numerical argument out of domain" },
	[34] = { "ERANGE", "numerical result out of range" },
	[35] = { "EDEADLK", "resource deadlock avoided" },
	[36] = { "ENAMETOOLONG", "file name too long" },
	[37] = { "ENOLCK", "no locks available" },
	[38] = { "ENOSYS", "function not implemented" },
	[39] = { "ENOTEMPTY", "directory not empty" },
	[40] = { "ELOOP", "too many levels of symbolic links" },
	[42] = { "ENOMSG", "no message of desired type" },
	[43] = { "EIDRM", "identifier removed" },
	[44] = { "ECHRNG", "channel number out of range" },
	[45] = { "EL2NSYNC", "level 2 not synchronized" },
	[46] = { "EL3HLT", "level 3 halted" },
	[47] = { "EL3RST", "level 3 reset" },
	[48] = { "ELNRNG", "link number out of range" },
	[49] = { "EUNATCH", "protocol driver not attached" },
	[50] = { "ENOCSI", "no CSI structure available" },
	[51] = { "EL2HLT", "level 2 halted" },
	[52] = { "EBADE", "invalid exchange" },
	[53] = { "EBADR", "invalid request descriptor" },
	[54] = { "EXFULL", "exchange full" },
	[55] = { "ENOANO", "no anode" },
	[56] = { "EBADRQC", "invalid request code" },
	[57] = { "EBADSLT", "invalid slot" },
	[59] = { "EBFONT", "bad font file format" },
	[60] = { "ENOSTR", "device not a stream" },
	[61] = { "ENODATA", "no data available" },
	[62] = { "ETIME", "timer expired" },
	[63] = { "ENOSR", "out of streams resources" },
	[64] = { "ENONET", "machine is not on the network" },
	[65] = { "ENOPKG", "package not installed" },
	[66] = { "EREMOTE", "object is remote" },
	[67] = { "ENOLINK", "link has been severed" },
	[68] = { "EADV", "advertise error" },
	[69] = { "ESRMNT", "srmount error" },
	[70] = { "ECOMM", "communication error on send" },
	[71] = { "EPROTO", "protocol error" },
	[72] = { "EMULTIHOP", "multihop attempted" },
	[73] = { "EDOTDOT", "RFS specific error" },
	[74] = { "EBADMSG", "bad message" },
	[75] = { "EOVERFLOW", "value too large for defined data type" },
	[76] = { "ENOTUNIQ", "name not unique on network" },
	[77] = { "EBADFD", "file descriptor in bad state" },
	[78] = { "EREMCHG", "remote address changed" },
	[79] = { "ELIBACC", "can not access a needed shared library" },
	[80] = { "ELIBBAD", "accessing a corrupted shared library" },
	[81] = { "ELIBSCN", ".lib section in a.out corrupted" },
	[82] = { "ELIBMAX", "attempting to link in too many shared libraries" },
	[83] = { "ELIBEXEC", "cannot exec a shared library directly" },
	[84] = { "EILSEQ", "invalid or incomplete multibyte or wide character" },
	[85] = { "ERESTART", "interrupted system call should be restarted" },
	[86] = { "ESTRPIPE", "streams pipe error" },
	[87] = { "EUSERS", "too many users" },
	[88] = { "ENOTSOCK", "socket operation on non-socket" },
	[89] = { "EDESTADDRREQ", "destination address required" },
	[90] = { "EMSGSIZE", "message too long" },
	[91] = { "EPROTOTYPE", "protocol wrong type for socket" },
	[92] = { "ENOPROTOOPT", "protocol not available" },
	[93] = { "EPROTONOSUPPORT", "protocol not supported" },
	[94] = { "ESOCKTNOSUPPORT", "socket type not supported" },
	[95] = { "EOPNOTSUPP", "operation not supported" },
	[96] = { "EPFNOSUPPORT", "protocol family not supported" },
	[97] = { "EAFNOSUPPORT", "address family not supported by protocol" },
	[98] = { "EADDRINUSE", "address already in use" },
	[99] = { "EADDRNOTAVAIL", "cannot assign requested address" },
	[100] = { "ENETDOWN", "network is down" },
	[101] = { "ENETUNREACH", "network is unreachable" },
	[102] = { "ENETRESET", "network dropped connection on reset" },
	[103] = { "ECONNABORTED", "software caused connection abort" },
	[104] = { "ECONNRESET", "connection reset by peer" },
	[105] = { "ENOBUFS", "no buffer space available" },
	[106] = { "EISCONN", "transport endpoint is already connected" },
	[107] = { "ENOTCONN", "transport endpoint is not connected" },
	[108] = { "ESHUTDOWN", "cannot send after transport endpoint shutdown" },
	[109] = { "ETOOMANYREFS", "too many references: cannot splice" },
	[110] = { "ETIMEDOUT", "connection timed out" },
	[111] = { "ECONNREFUSED", "connection refused" },
	[112] = { "EHOSTDOWN", "host is down" },
	[113] = { "EHOSTUNREACH", "no route to host" },
	[114] = { "EALREADY", "operation already in progress" },
	[115] = { "EINPROGRESS", "operation now in progress" },
	[116] = { "ESTALE", "stale file handle" },
	[117] = { "EUCLEAN", "structure needs cleaning" },
	[118] = { "ENOTNAM", "not a XENIX named type file" },
	[119] = { "ENAVAIL", "no XENIX semaphores available" },
	[120] = { "EISNAM", "is a named type file" },
	[121] = { "EREMOTEIO", "remote I/O error" },
	[122] = { "EDQUOT", "disk quota exceeded" },
	[123] = { "ENOMEDIUM", "no medium found" },
	[124] = { "EMEDIUMTYPE", "wrong medium type" },
	[125] = { "ECANCELED", "operation canceled" },
	[126] = { "ENOKEY", "required key not available" },
	[127] = { "EKEYEXPIRED", "key has expired" },
	[128] = { "EKEYREVOKED", "key has been revoked" },
	[129] = { "EKEYREJECTED", "key was rejected by service" },
	[130] = { "EOWNERDEAD", "owner died" },
	[131] = { "ENOTRECOVERABLE", "state not recoverable" },
	[132] = { "ERFKILL", "operation not possible due to RF-kill" },
	[133] = { "EHWPOISON", "memory page has hardware error" },
	[512] = { "ERESTARTSYS", "to be restarted if SA_RESTART is set" },
	[513] = { "ERESTARTNOINTR", "to be restarted" },
	[514] = { "ERESTARTNOHAND", "to be restarted if no handler" },
	[515] = { "ENOIOCTLCMD", "no ioctl command" },
	[516] = { "ERESTART_RESTARTBLOCK", "interrupted by a signal" },
};

/* Linux reserves the top 4095 values of the return register for errors. */
#define MAX_ERRNO 4095

static void format_result(struct sbuf *sb, long ret)
{
	if (ret < 0 && ret >= -MAX_ERRNO) {
		long err = -ret;

		if ((unsigned long)err < ARRAY_SIZE(errnos) && errnos[err].name)
			sb_printf(sb, " = -1 %s (%s)", errnos[err].name, errnos[err].msg);
		else
			sb_printf(sb, " = -1 errno %ld (unknown error)", err);
		return;
	}
	sb_printf(sb, " = %ld (0x%lx)", ret, (unsigned long)ret);
}

static void format_raw_args(struct sbuf *sb, const uint64_t args[6])
{
	for (int i = 0; i < 6; i++)
		sb_printf(sb, "%s0x%" PRIx64, i ? ", " : "", args[i]);
}

static void format_call(struct sbuf *sb, long nr, const struct strace_call *call)
{
	const char *name = syscall_name(nr);
	const struct syscall_desc *desc = strace_desc(nr);

	if (name)
		sb_printf(sb, "%s(", name);
	else
		sb_printf(sb, "sys_%ld(", nr);
	if (!desc) {
		format_raw_args(sb, call->args);
		sb_putc(sb, ')');
		return;
	}
	bool raw = call->exiting && call->ret == 0 && (desc->flags & SD_NO_EXIT_DECODE);
	for (unsigned i = 0; i < 6 && desc->args[i].kind != ARG_END; i++) {
		struct arg_desc arg = raw ? (struct arg_desc){ ARG_HEX, 0 } : desc->args[i];

		if (i)
			sb_puts(sb, ", ");
		decode_arg(sb, arg, call, i);
	}
	sb_putc(sb, ')');
}

size_t strace_format_enter(char *buf, size_t size, long nr, const uint64_t args[6],
			   const struct strace_mem *mem)
{
	struct sbuf sb;
	struct strace_call call = { .args = args, .mem = mem };

	sb_init(&sb, buf, size);
	format_call(&sb, nr, &call);
	return sb.len;
}

size_t strace_format_exit(char *buf, size_t size, long nr, const uint64_t args[6], long ret,
			  const struct strace_mem *mem)
{
	struct sbuf sb;
	struct strace_call call = { .args = args, .ret = ret, .exiting = true, .mem = mem };

	sb_init(&sb, buf, size);
	format_call(&sb, nr, &call);
	format_result(&sb, ret);
	return sb.len;
}
