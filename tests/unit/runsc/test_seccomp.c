/* The seccomp allowlists of runsc/seccomp.h. Each case forks a child that
 * sets no_new_privs, installs a filter and then does one thing: an allowed
 * call must work (the child exits 0), a call outside the list must kill the
 * child with SIGSYS. The longer cases run the real code under the filter: a
 * ptrace stub started, run and changed through platform/ptrace, and
 * gofer_serve answering a client. */
#include "runsc/seccomp.h"
#include "gofer/gofer.h"
#include "platform/platform.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Exit codes of the child for failures before or after the filter. */
#define EXIT_NNP	90
#define EXIT_INSTALL	91
#define EXIT_CHECK	92

typedef void (*child_fn)(void *arg);

/* Starts a child that runs prepare(arg) (if not NULL) unfiltered, then
 * installs the filter with install() and runs fn(arg) under it, then exits
 * 0. Returns its pid. */
static pid_t spawn_filtered(int (*install)(void), child_fn prepare, child_fn fn, void *arg)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* A SIGSYS death would dump core; the status says enough. */
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		if (prepare)
			prepare(arg);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(EXIT_NNP);
		if (install() < 0)
			_exit(EXIT_INSTALL);
		fn(arg);
		_exit(0);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* spawn_filtered, and the child's wait status. */
static int run_filtered(int (*install)(void), child_fn prepare, child_fn fn, void *arg)
{
	return wait_status(spawn_filtered(install, prepare, fn, arg));
}

static void expect_exit0(int status)
{
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child should exit 0, got status %#x (%s %d)", status,
		  WIFSIGNALED(status) ? "signal" : "exit",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void expect_sigsys(int status)
{
#ifdef AMBER_SECCOMP_LOG
	/* That build lets every call through (seccomp_sentry.c). */
	cr_skip_test("built with AMBER_SECCOMP_LOG: nothing is refused");
#endif
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		  "child should die of SIGSYS, got status %#x (%s %d)", status,
		  WIFSIGNALED(status) ? "signal" : "exit",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* In a filtered child: a result that is not what the filter promises
 * ends the child with EXIT_CHECK. */
#define CHECK(cond) do { if (!(cond)) _exit(EXIT_CHECK); } while (0)

/* ---- the sentry ---- */

static void sentry_basic_calls(void *arg)
{
	uint64_t one = 1, got;
	int efd = eventfd(0, EFD_CLOEXEC);
	void *p;

	CHECK(efd >= 0);
	CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	CHECK(read(efd, &got, sizeof(got)) == sizeof(got) && got == 1);
	CHECK(close(efd) == 0);
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK(madvise(p, 1 << 20, MADV_DONTNEED) == 0);
	CHECK(munmap(p, 1 << 20) == 0);
	free(malloc(1 << 24));
	CHECK(getpid() > 0);
	CHECK(fcntl(1, F_GETFL) >= 0);
}

Test(seccomp_sentry, allowed_calls_work)
{
	expect_exit0(run_filtered(seccomp_install_sentry, NULL, sentry_basic_calls, NULL));
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* pthread_create's clone3 gets ENOSYS, and glibc falls back to clone with
 * the thread flags the filter checks. */
static void sentry_thread(void *arg)
{
	static int token;
	pthread_t th;
	void *ret = NULL;

	CHECK(syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS);
	CHECK(pthread_create(&th, NULL, thread_fn, &token) == 0);
	CHECK(pthread_join(th, &ret) == 0 && ret == &token);
}

Test(seccomp_sentry, threads_start)
{
	expect_exit0(run_filtered(seccomp_install_sentry, NULL, sentry_thread, NULL));
}

static void sentry_socket_inet(void *arg)
{
	socket(AF_INET, SOCK_STREAM, 0);
}

Test(seccomp_sentry, socket_inet_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_socket_inet, NULL));
}

static void sentry_socket_unix(void *arg)
{
	socket(AF_UNIX, SOCK_STREAM, 0);
}

/* The sentry's sockets all exist before the filter. */
Test(seccomp_sentry, socket_unix_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_socket_unix, NULL));
}

/* glibc's own read-only opens (malloc, sysconf) fail without opening. */
static void sentry_open_readonly(void *arg)
{
	CHECK(open("/etc/passwd", O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES);
}

Test(seccomp_sentry, open_readonly_is_refused)
{
	expect_exit0(run_filtered(seccomp_install_sentry, NULL, sentry_open_readonly, NULL));
}

static void sentry_open_create(void *arg)
{
	open("/nonexistent-amber-dir/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

Test(seccomp_sentry, open_for_writing_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_open_create, NULL));
}

static void sentry_open_inherited(void *arg)
{
	open("/etc/passwd", O_RDONLY);
}

/* Not glibc's form: sentry code that forgot it never opens host paths. */
Test(seccomp_sentry, open_without_cloexec_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_open_inherited, NULL));
}

/* Should the filter let one of these calls through, it must do no harm:
 * each fails, or touches only the child. */
static void sentry_mount(void *arg)
{
	mount("none", "/nonexistent-amber-dir", "amber-nofs", MS_RDONLY, NULL);
}

Test(seccomp_sentry, mount_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_mount, NULL));
}

static void sentry_execve(void *arg)
{
	char *argv[] = { "true", NULL };

	execve("/bin/true", argv, argv + 1);
}

Test(seccomp_sentry, execve_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_execve, NULL));
}

/* Argument filters: only the ptrace requests the platform uses, only
 * SIGKILL and SIGSTOP, only fork's and pthread_create's clone flags. */
static void sentry_ptrace_seize(void *arg)
{
	ptrace(PTRACE_SEIZE, getpid(), 0, 0);	/* EPERM, if it ran */
}

Test(seccomp_sentry, ptrace_seize_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_ptrace_seize, NULL));
}

static void sentry_ptrace_pokedata(void *arg)
{
	ptrace(PTRACE_POKEDATA, getpid(), 0, 0);	/* ESRCH: not our tracee */
}

Test(seccomp_sentry, ptrace_pokedata_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_ptrace_pokedata, NULL));
}

static void sentry_kill_cont(void *arg)
{
	kill(getpid(), SIGCONT);
}

Test(seccomp_sentry, kill_other_signal_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_kill_cont, NULL));
}

static void sentry_clone_newns(void *arg)
{
	syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0);	/* EINVAL */
}

Test(seccomp_sentry, clone_namespace_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_clone_newns, NULL));
}

static void sentry_fcntl_setown(void *arg)
{
	fcntl(0, F_SETOWN, getpid());
}

Test(seccomp_sentry, fcntl_other_command_kills)
{
	expect_sigsys(run_filtered(seccomp_install_sentry, NULL, sentry_fcntl_setown, NULL));
}

/* A stub's whole life under the inherited filter, through the real
 * platform: fork and start (stub_child, the stub page), injected mmap,
 * mprotect and munmap, application code under PTRACE_SYSEMU (its exit
 * system call is only reported, never run), an interrupt, the FPU state,
 * and the end. */
struct stub_test {
	int memfd;
};

static void stub_prepare(void *arg)
{
	/* mov $60, %eax; mov $7, %edi; syscall: exit(7), if it ran. */
	static const unsigned char code[] = { 0xb8, 0x3c, 0, 0, 0, 0xbf, 7, 0, 0, 0, 0x0f, 0x05 };
	struct stub_test *st = arg;

	st->memfd = memfd_create("seccomp-test", MFD_CLOEXEC);
	if (st->memfd < 0 || ftruncate(st->memfd, 1 << 20) < 0 ||
	    pwrite(st->memfd, code, sizeof(code), 0) != sizeof(code))
		_exit(EXIT_CHECK);
	/* kernel_init does this before the filter. */
	if (platform_ptrace.init(st->memfd) < 0)
		_exit(EXIT_CHECK);
}

static void stub_run(void *arg)
{
	struct platform_as *as;
	struct platform_ctx *ctx;
	struct arch_regs regs;
	struct fault_info fault;
	static unsigned char fp[16384] __attribute__((aligned(64)));

	CHECK(platform_ptrace.as_new(&as, &ctx) == 0);
	CHECK(platform_ptrace.as_map(as, 0x400000, 4096, PROT_READ | PROT_EXEC, 0) == 0);
	CHECK(platform_ptrace.as_map(as, 0x500000, 8192, PROT_READ | PROT_WRITE, 4096) == 0);
	CHECK(platform_ptrace.as_protect(as, 0x500000, 4096, PROT_READ) == 0);
	CHECK(platform_ptrace.as_unmap(as, 0x501000, 4096) == 0);
	platform_ptrace.ctx_init_regs(ctx, &regs);
	regs.rip = 0x400000;
	regs.rsp = 0x501000;
	CHECK(platform_ptrace.ctx_switch(ctx, &regs, &fault) == PLAT_EV_SYSCALL);
	CHECK(regs.orig_rax == 60 && regs.rdi == 7);
	CHECK(platform_ptrace.ctx_get_fpstate(ctx, fp, sizeof(fp)) > 0);
	platform_ptrace.ctx_interrupt(ctx);
	regs.rip = 0x400000;
	CHECK(platform_ptrace.ctx_switch(ctx, &regs, &fault) == PLAT_EV_INTERRUPT);
	platform_ptrace.ctx_destroy(ctx);	/* before its address space (platform.h) */
	platform_ptrace.as_destroy(as);
}

Test(seccomp_sentry, ptrace_stub_lives_under_the_filter)
{
	struct stub_test st;

	expect_exit0(run_filtered(seccomp_install_sentry, stub_prepare, stub_run, &st));
}

static int install_without_nnp(int (*install)(void))
{
	int status;
	pid_t pid;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		return -1;	/* the runner already has it: nothing to show */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(install() == -EACCES ? 0 : 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

Test(seccomp_sentry, needs_no_new_privs)
{
	int status = install_without_nnp(seccomp_install_sentry);

	if (status < 0)
		cr_skip_test("the test runner has no_new_privs set already");
	expect_exit0(status);
}

/* ---- the gofer ---- */

struct gofer_test {
	char dir[64];
	int sock[2];
	int root_fd;
	bool readonly;
};

static void gofer_tree(struct gofer_test *gt)
{
	char path[128];
	int fd;

	strcpy(gt->dir, "/tmp/amber-seccomp-test.XXXXXX");
	cr_assert_not_null(mkdtemp(gt->dir));
	snprintf(path, sizeof(path), "%s/file", gt->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "hello\n", 6), 6);
	/* Not every filesystem takes user xattrs; the gofer's calls are made
	 * either way. */
	fsetxattr(fd, "user.amber", "x", 1, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/dir", gt->dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/link", gt->dir);
	cr_assert_eq(symlink("file", path), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gt->sock), 0);
	gt->root_fd = open(gt->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(gt->root_fd, 0);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void gofer_tree_remove(struct gofer_test *gt)
{
	nftw(gt->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void gofer_child_prepare(void *arg)
{
	struct gofer_test *gt = arg;

	/* The gofer's name: tools/seccomp-audit counts it as one. */
	prctl(PR_SET_NAME, "runsc-gofer");
	close(gt->sock[0]);
}

static void gofer_child_serve(void *arg)
{
	struct gofer_test *gt = arg;

	_exit(gofer_serve(gt->sock[1], gt->root_fd, gt->readonly) < 0 ? EXIT_CHECK : 0);
}

/* gofer_serve under the filter, for a client that asks for every
 * operation the server has. */
Test(seccomp_gofer, serves_every_operation)
{
	struct gofer_test gt;
	struct gofer_client c;
	struct statx stx;
	struct statfs sfs;
	char buf[256];
	pid_t pid;
	int fd;

	gofer_tree(&gt);
	gt.readonly = true;
	pid = spawn_filtered(seccomp_install_gofer, gofer_child_prepare, gofer_child_serve, &gt);
	close(gt.sock[1]);
	gofer_client_init(&c, gt.sock[0]);

	cr_expect_eq(gofer_stat(&c, "file", &stx), 0);
	cr_expect_eq(stx.stx_size, 6);
	cr_expect_eq(gofer_stat(&c, "missing", &stx), -ENOENT);
	fd = gofer_open(&c, "file", O_RDONLY, 0, &stx);
	cr_expect_geq(fd, 0);
	if (fd >= 0) {
		cr_expect_eq(read(fd, buf, sizeof(buf)), 6);
		close(fd);
	}
	fd = gofer_open(&c, "dir", O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0, NULL);
	cr_expect_geq(fd, 0);
	if (fd >= 0)
		close(fd);
	cr_expect_eq(gofer_open(&c, "file", O_WRONLY, 0, NULL), -EROFS);
	cr_expect_eq(gofer_readlink(&c, "link", buf, sizeof(buf)), 4);
	cr_expect_eq(gofer_readlink(&c, "file", buf, sizeof(buf)), -EINVAL);
	cr_expect_eq(gofer_statfs(&c, "", &sfs), 0);
	/* A regular file and a directory (fgetxattr, flistxattr), a symlink
	 * (statfs of /proc/self/fd, then getxattr through it). */
	cr_expect_geq(gofer_listxattr(&c, "file", buf, sizeof(buf)), 0);
	gofer_getxattr(&c, "file", "user.amber", buf, sizeof(buf));
	cr_expect_geq(gofer_listxattr(&c, "dir", buf, sizeof(buf)), 0);
	cr_expect_eq(gofer_getxattr(&c, "link", "user.none", buf, sizeof(buf)), -ENODATA);
	cr_expect_geq(gofer_listxattr(&c, "link", buf, sizeof(buf)), 0);

	/* The server sees EOF and exits 0, unless the filter killed it. */
	gofer_client_destroy(&c);
	expect_exit0(wait_status(pid));
	close(gt.root_fd);
	gofer_tree_remove(&gt);
}

/* The same for a writable root: every modifying operation. */
Test(seccomp_gofer, serves_the_write_path)
{
	struct gofer_test gt;
	struct gofer_client c;
	struct gofer_setattr sa = { 0 };
	struct statx stx;
	pid_t pid;
	int fd;

	gofer_tree(&gt);
	gt.readonly = false;
	pid = spawn_filtered(seccomp_install_gofer, gofer_child_prepare, gofer_child_serve, &gt);
	close(gt.sock[1]);
	gofer_client_init(&c, gt.sock[0]);

	fd = gofer_open(&c, "new", O_WRONLY | O_CREAT | O_EXCL, 0640, &stx);
	cr_expect_geq(fd, 0);
	if (fd >= 0) {
		cr_expect_eq(write(fd, "abc", 3), 3);
		close(fd);
	}
	fd = gofer_open(&c, "file", O_WRONLY | O_TRUNC | O_APPEND, 0, NULL);
	cr_expect_geq(fd, 0);
	if (fd >= 0)
		close(fd);
	cr_expect_eq(gofer_mkdir(&c, "dir/sub", 0750, &stx), 0);
	cr_expect_eq(gofer_symlink(&c, "../new", "dir/sym", &stx), 0);
	cr_expect_eq(gofer_link(&c, "new", "dir/hard", &stx), 0);
	cr_expect_eq(gofer_rename(&c, "dir/hard", "dir/hard2", 0), 0);
	cr_expect_eq(gofer_rename(&c, "dir/hard2", "new", RENAME_NOREPLACE), -EEXIST);
	cr_expect_eq(gofer_rename(&c, "dir/hard2", "dir/sym", RENAME_EXCHANGE), 0);
	sa.mask = GOFER_SETATTR_ALL;
	sa.mode = 0600;
	sa.uid = getuid();
	sa.gid = getgid();
	sa.size = 1;
	sa.atime = (struct timespec){ 1, 0 };
	sa.mtime = (struct timespec){ .tv_nsec = UTIME_NOW };
	cr_expect_eq(gofer_setattr(&c, "new", &sa, &stx), 0);
	cr_expect_eq(stx.stx_size, 1);
	cr_expect_eq(stx.stx_mode & 07777, 0600);
	cr_expect_eq(gofer_unlink(&c, "dir/hard2", 0), 0);
	cr_expect_eq(gofer_unlink(&c, "dir/sym", 0), 0);
	cr_expect_eq(gofer_unlink(&c, "dir/sub", AT_REMOVEDIR), 0);

	gofer_client_destroy(&c);
	expect_exit0(wait_status(pid));
	close(gt.root_fd);
	gofer_tree_remove(&gt);
}

static void gofer_open_path(void *arg)
{
	open("/etc/passwd", O_RDONLY);
}

/* Only openat2, beneath the root fd. (In AMBER_SANITIZE builds glibc's own
 * O_RDONLY|O_CLOEXEC opens fail with EACCES instead, as in the sentry.) */
Test(seccomp_gofer, open_path_kills)
{
	expect_sigsys(run_filtered(seccomp_install_gofer, NULL, gofer_open_path, NULL));
}

static void gofer_socket(void *arg)
{
	socket(AF_UNIX, SOCK_STREAM, 0);
}

Test(seccomp_gofer, socket_kills)
{
	expect_sigsys(run_filtered(seccomp_install_gofer, NULL, gofer_socket, NULL));
}

static void gofer_fork(void *arg)
{
	if (fork() == 0)
		_exit(0);
}

Test(seccomp_gofer, fork_kills)
{
	expect_sigsys(run_filtered(seccomp_install_gofer, NULL, gofer_fork, NULL));
}

static void gofer_mount(void *arg)
{
	mount("none", "/nonexistent-amber-dir", "amber-nofs", MS_RDONLY, NULL);
}

Test(seccomp_gofer, mount_kills)
{
	expect_sigsys(run_filtered(seccomp_install_gofer, NULL, gofer_mount, NULL));
}

static void gofer_ptrace(void *arg)
{
	ptrace(PTRACE_SEIZE, getpid(), 0, 0);
}

Test(seccomp_gofer, ptrace_kills)
{
	expect_sigsys(run_filtered(seccomp_install_gofer, NULL, gofer_ptrace, NULL));
}

Test(seccomp_gofer, needs_no_new_privs)
{
	int status = install_without_nnp(seccomp_install_gofer);

	if (status < 0)
		cr_skip_test("the test runner has no_new_privs set already");
	expect_exit0(status);
}
