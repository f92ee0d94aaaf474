/* The x86-64 system-call table. Numbers missing here return -ENOSYS from
 * the dispatcher, which logs each one once with its name. */
#include "kernel/syscalls/syscalls.h"

#include <asm/unistd_64.h>

SYSCALL(read);
SYSCALL(write);
SYSCALL(open);
SYSCALL(close);
SYSCALL(stat);
SYSCALL(fstat);
SYSCALL(lstat);
SYSCALL(lseek);
SYSCALL(mmap);
SYSCALL(mprotect);
SYSCALL(munmap);
SYSCALL(brk);
SYSCALL(rt_sigaction);
SYSCALL(rt_sigprocmask);
SYSCALL(rt_sigreturn);
SYSCALL(ioctl);
SYSCALL(pread64);
SYSCALL(pwrite64);
SYSCALL(readv);
SYSCALL(writev);
SYSCALL(access);
SYSCALL(sched_yield);
SYSCALL(mremap);
SYSCALL(msync);
SYSCALL(mincore);
SYSCALL(madvise);
SYSCALL(dup);
SYSCALL(dup2);
SYSCALL(nanosleep);
SYSCALL(getitimer);
SYSCALL(setitimer);
SYSCALL(alarm);
SYSCALL(pause);
SYSCALL(rt_sigsuspend);
SYSCALL(rt_sigtimedwait);
SYSCALL(getpid);
SYSCALL(exit);
SYSCALL(kill);
SYSCALL(uname);
SYSCALL(fcntl);
SYSCALL(getdents64);
SYSCALL(getcwd);
SYSCALL(chdir);
SYSCALL(fchdir);
SYSCALL(creat);
SYSCALL(readlink);
SYSCALL(umask);
SYSCALL(gettimeofday);
SYSCALL(getrlimit);
SYSCALL(sysinfo);
SYSCALL(getuid);
SYSCALL(getgid);
SYSCALL(geteuid);
SYSCALL(getegid);
SYSCALL(getppid);
SYSCALL(getpgrp);
SYSCALL(getgroups);
SYSCALL(getresuid);
SYSCALL(getresgid);
SYSCALL(getpgid);
SYSCALL(getsid);
SYSCALL(setpgid);
SYSCALL(setsid);
SYSCALL(fork);
SYSCALL(vfork);
SYSCALL(clone);
SYSCALL(clone3);
SYSCALL(wait4);
SYSCALL(waitid);
SYSCALL(rt_sigpending);
SYSCALL(sigaltstack);
SYSCALL(arch_prctl);
SYSCALL(setrlimit);
SYSCALL(gettid);
SYSCALL(tkill);
SYSCALL(time);
SYSCALL(futex);
SYSCALL(sched_getaffinity);
SYSCALL(getcpu);
SYSCALL(set_tid_address);
SYSCALL(restart_syscall);
SYSCALL(clock_gettime);
SYSCALL(clock_getres);
SYSCALL(clock_nanosleep);
SYSCALL(exit_group);
SYSCALL(tgkill);
SYSCALL(openat);
SYSCALL(newfstatat);
SYSCALL(readlinkat);
SYSCALL(faccessat);
SYSCALL(set_robust_list);
SYSCALL(get_robust_list);
SYSCALL(dup3);
SYSCALL(preadv);
SYSCALL(pwritev);
SYSCALL(prlimit64);
SYSCALL(getrandom);
SYSCALL(statx);
SYSCALL(preadv2);
SYSCALL(pwritev2);
SYSCALL(close_range);
SYSCALL(faccessat2);
SYSCALL(execve);
SYSCALL(prctl);
SYSCALL(seccomp);
SYSCALL(statfs);
SYSCALL(fstatfs);
SYSCALL(getxattr);
SYSCALL(lgetxattr);
SYSCALL(fgetxattr);
SYSCALL(listxattr);
SYSCALL(llistxattr);
SYSCALL(flistxattr);
SYSCALL(poll);
SYSCALL(ppoll);
SYSCALL(select);
SYSCALL(pselect6);
SYSCALL(pipe);
SYSCALL(pipe2);
SYSCALL(splice);
SYSCALL(tee);
SYSCALL(vmsplice);
SYSCALL(mkdir);
SYSCALL(mkdirat);
SYSCALL(rmdir);
SYSCALL(unlink);
SYSCALL(unlinkat);
SYSCALL(rename);
SYSCALL(renameat);
SYSCALL(renameat2);
SYSCALL(symlink);
SYSCALL(symlinkat);
SYSCALL(link);
SYSCALL(linkat);
SYSCALL(chmod);
SYSCALL(fchmod);
SYSCALL(fchmodat);
SYSCALL(chown);
SYSCALL(lchown);
SYSCALL(fchown);
SYSCALL(fchownat);
SYSCALL(truncate);
SYSCALL(ftruncate);
SYSCALL(utimensat);
SYSCALL(fsync);
SYSCALL(fdatasync);

const syscall_fn syscall_table[SYSCALL_COUNT] = {
	[__NR_read] = sys_read,
	[__NR_write] = sys_write,
	[__NR_open] = sys_open,
	[__NR_close] = sys_close,
	[__NR_stat] = sys_stat,
	[__NR_fstat] = sys_fstat,
	[__NR_lstat] = sys_lstat,
	[__NR_lseek] = sys_lseek,
	[__NR_mmap] = sys_mmap,
	[__NR_mprotect] = sys_mprotect,
	[__NR_munmap] = sys_munmap,
	[__NR_brk] = sys_brk,
	[__NR_rt_sigaction] = sys_rt_sigaction,
	[__NR_rt_sigprocmask] = sys_rt_sigprocmask,
	[__NR_rt_sigreturn] = sys_rt_sigreturn,
	[__NR_ioctl] = sys_ioctl,
	[__NR_pread64] = sys_pread64,
	[__NR_pwrite64] = sys_pwrite64,
	[__NR_readv] = sys_readv,
	[__NR_writev] = sys_writev,
	[__NR_access] = sys_access,
	[__NR_sched_yield] = sys_sched_yield,
	[__NR_mremap] = sys_mremap,
	[__NR_msync] = sys_msync,
	[__NR_mincore] = sys_mincore,
	[__NR_madvise] = sys_madvise,
	[__NR_dup] = sys_dup,
	[__NR_dup2] = sys_dup2,
	[__NR_nanosleep] = sys_nanosleep,
	[__NR_getitimer] = sys_getitimer,
	[__NR_setitimer] = sys_setitimer,
	[__NR_alarm] = sys_alarm,
	[__NR_pause] = sys_pause,
	[__NR_rt_sigsuspend] = sys_rt_sigsuspend,
	[__NR_rt_sigtimedwait] = sys_rt_sigtimedwait,
	[__NR_getpid] = sys_getpid,
	[__NR_exit] = sys_exit,
	[__NR_kill] = sys_kill,
	[__NR_uname] = sys_uname,
	[__NR_fcntl] = sys_fcntl,
	[__NR_getdents64] = sys_getdents64,
	[__NR_getcwd] = sys_getcwd,
	[__NR_chdir] = sys_chdir,
	[__NR_fchdir] = sys_fchdir,
	[__NR_creat] = sys_creat,
	[__NR_readlink] = sys_readlink,
	[__NR_umask] = sys_umask,
	[__NR_gettimeofday] = sys_gettimeofday,
	[__NR_getrlimit] = sys_getrlimit,
	[__NR_sysinfo] = sys_sysinfo,
	[__NR_getuid] = sys_getuid,
	[__NR_getgid] = sys_getgid,
	[__NR_geteuid] = sys_geteuid,
	[__NR_getegid] = sys_getegid,
	[__NR_getppid] = sys_getppid,
	[__NR_getpgrp] = sys_getpgrp,
	[__NR_getgroups] = sys_getgroups,
	[__NR_getresuid] = sys_getresuid,
	[__NR_getresgid] = sys_getresgid,
	[__NR_getpgid] = sys_getpgid,
	[__NR_getsid] = sys_getsid,
	[__NR_setpgid] = sys_setpgid,
	[__NR_setsid] = sys_setsid,
	[__NR_fork] = sys_fork,
	[__NR_vfork] = sys_vfork,
	[__NR_clone] = sys_clone,
	[__NR_clone3] = sys_clone3,
	[__NR_wait4] = sys_wait4,
	[__NR_waitid] = sys_waitid,
	[__NR_rt_sigpending] = sys_rt_sigpending,
	[__NR_sigaltstack] = sys_sigaltstack,
	[__NR_arch_prctl] = sys_arch_prctl,
	[__NR_setrlimit] = sys_setrlimit,
	[__NR_gettid] = sys_gettid,
	[__NR_tkill] = sys_tkill,
	[__NR_time] = sys_time,
	[__NR_futex] = sys_futex,
	[__NR_sched_getaffinity] = sys_sched_getaffinity,
	[__NR_getcpu] = sys_getcpu,
	[__NR_set_tid_address] = sys_set_tid_address,
	[__NR_restart_syscall] = sys_restart_syscall,
	[__NR_clock_gettime] = sys_clock_gettime,
	[__NR_clock_getres] = sys_clock_getres,
	[__NR_clock_nanosleep] = sys_clock_nanosleep,
	[__NR_exit_group] = sys_exit_group,
	[__NR_tgkill] = sys_tgkill,
	[__NR_openat] = sys_openat,
	[__NR_newfstatat] = sys_newfstatat,
	[__NR_readlinkat] = sys_readlinkat,
	[__NR_faccessat] = sys_faccessat,
	[__NR_set_robust_list] = sys_set_robust_list,
	[__NR_get_robust_list] = sys_get_robust_list,
	[__NR_dup3] = sys_dup3,
	[__NR_preadv] = sys_preadv,
	[__NR_pwritev] = sys_pwritev,
	[__NR_prlimit64] = sys_prlimit64,
	[__NR_getrandom] = sys_getrandom,
	[__NR_statx] = sys_statx,
	[__NR_preadv2] = sys_preadv2,
	[__NR_pwritev2] = sys_pwritev2,
	[__NR_close_range] = sys_close_range,
	[__NR_faccessat2] = sys_faccessat2,
	[__NR_execve] = sys_execve,
	[__NR_prctl] = sys_prctl,
	[__NR_seccomp] = sys_seccomp,
	[__NR_statfs] = sys_statfs,
	[__NR_fstatfs] = sys_fstatfs,
	[__NR_getxattr] = sys_getxattr,
	[__NR_lgetxattr] = sys_lgetxattr,
	[__NR_fgetxattr] = sys_fgetxattr,
	[__NR_listxattr] = sys_listxattr,
	[__NR_llistxattr] = sys_llistxattr,
	[__NR_flistxattr] = sys_flistxattr,
	[__NR_poll] = sys_poll,
	[__NR_ppoll] = sys_ppoll,
	[__NR_select] = sys_select,
	[__NR_pselect6] = sys_pselect6,
	[__NR_pipe] = sys_pipe,
	[__NR_pipe2] = sys_pipe2,
	[__NR_splice] = sys_splice,
	[__NR_tee] = sys_tee,
	[__NR_vmsplice] = sys_vmsplice,
	[__NR_mkdir] = sys_mkdir,
	[__NR_mkdirat] = sys_mkdirat,
	[__NR_rmdir] = sys_rmdir,
	[__NR_unlink] = sys_unlink,
	[__NR_unlinkat] = sys_unlinkat,
	[__NR_rename] = sys_rename,
	[__NR_renameat] = sys_renameat,
	[__NR_renameat2] = sys_renameat2,
	[__NR_symlink] = sys_symlink,
	[__NR_symlinkat] = sys_symlinkat,
	[__NR_link] = sys_link,
	[__NR_linkat] = sys_linkat,
	[__NR_chmod] = sys_chmod,
	[__NR_fchmod] = sys_fchmod,
	[__NR_fchmodat] = sys_fchmodat,
	[__NR_chown] = sys_chown,
	[__NR_lchown] = sys_lchown,
	[__NR_fchown] = sys_fchown,
	[__NR_fchownat] = sys_fchownat,
	[__NR_truncate] = sys_truncate,
	[__NR_ftruncate] = sys_ftruncate,
	[__NR_utimensat] = sys_utimensat,
	[__NR_fsync] = sys_fsync,
	[__NR_fdatasync] = sys_fdatasync,
};
