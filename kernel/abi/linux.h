/* Linux ABI structures the sentry writes into application memory, as the
 * x86-64 kernel lays them out. Written down here, not taken from host
 * headers, so that what the application sees does not depend on the libc
 * the sentry is built with. Constants (errno, O_*, PROT_*, ...) are the
 * same in glibc's headers and the kernel's on x86-64 and are used from
 * there. */
#ifndef AMBER_ABI_LINUX_H
#define AMBER_ABI_LINUX_H

#include <stdint.h>

struct linux_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	int64_t st_atime_sec, st_atime_nsec;
	int64_t st_mtime_sec, st_mtime_nsec;
	int64_t st_ctime_sec, st_ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat is 144 bytes on x86-64");

struct linux_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct linux_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

struct linux_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

struct linux_rlimit {
	uint64_t rlim_cur, rlim_max;
};

struct linux_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char _f[0];
};

struct linux_iovec {
	uint64_t iov_base;
	uint64_t iov_len;
};

struct linux_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct linux_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

/* Encodes a device number as the kernel's new_encode_dev() does. */
static inline uint64_t linux_encode_dev(uint32_t major, uint32_t minor)
{
	return (minor & 0xffu) | ((uint64_t)major << 8) | ((uint64_t)(minor & ~0xffu) << 12);
}

#define LINUX_ERESTARTSYS		512
#define LINUX_ERESTARTNOINTR		513
#define LINUX_ERESTARTNOHAND		514
#define LINUX_ERESTART_RESTARTBLOCK	516

#define LINUX_NSIG 64

/* glibc defines O_LARGEFILE as 0 on x86-64; the kernel's value is this,
 * and Linux sets it on every file opened by a 64-bit process. */
#define LINUX_O_LARGEFILE 0100000

/* The top of user space (TASK_SIZE_MAX): access_ok's limit. */
#define LINUX_TASK_SIZE_MAX 0x7ffffffff000ULL

#endif
