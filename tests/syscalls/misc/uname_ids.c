/* uname, the id getters, umask, sysinfo and resource limits: the stable
 * parts only. */
#include "sctest.h"
#include "amber_cr.h"
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

int main(void)
{
	struct utsname u;
	struct sysinfo si;
	struct rlimit rl, old;

	show("uname", sc(SYS_uname, &u));
	printf("sysname: %s\n", u.sysname);
	printf("machine: %s\n", u.machine);
	yesno("release is non-empty", u.release[0] != 0);
	yesno("version is non-empty", u.version[0] != 0);

	printf("uid %ld euid %ld gid %ld egid %ld\n", sc(SYS_getuid), sc(SYS_geteuid), sc(SYS_getgid), sc(SYS_getegid));
	uid_t r, e, s;
	show("getresuid", sc(SYS_getresuid, &r, &e, &s));
	printf("resuid %u %u %u\n", r, e, s);
	yesno("gettid is getpid (one thread)", sc(SYS_gettid) == sc(SYS_getpid));
	/* Not getppid: in the sandbox the program is the first process, whose
	 * parent is outside its pid namespace (0), as in a container. */
	show("getgroups size -1", sc(SYS_getgroups, -1, NULL));

	long m = sc(SYS_umask, 027);
	yesno("umask returns the old mask", sc(SYS_umask, m) == 027);

	show("sysinfo", sc(SYS_sysinfo, &si));
	yesno("uptime > 0", si.uptime > 0);
	yesno("total ram > 0", si.totalram > 0);
	yesno("procs > 0", si.procs > 0);
	show("sysinfo into a low pointer", sc(SYS_sysinfo, LOW_PTR));

	amber_cr_point();

	show("getrlimit RLIMIT_STACK", sc(SYS_getrlimit, RLIMIT_STACK, &old));
	rl = (struct rlimit){ .rlim_cur = 4 << 20, .rlim_max = old.rlim_max };
	show("setrlimit RLIMIT_STACK 4 MiB", sc(SYS_setrlimit, RLIMIT_STACK, &rl));
	sc(SYS_getrlimit, RLIMIT_STACK, &rl);
	yesno("read back", rl.rlim_cur == 4 << 20 && rl.rlim_max == old.rlim_max);
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? rl.rlim_cur : rl.rlim_max + 1;
	rl.rlim_max = rl.rlim_cur - 1;
	show("setrlimit soft > hard", sc(SYS_setrlimit, RLIMIT_STACK, &rl));
	show("prlimit64 read RLIMIT_NOFILE", sc(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl));
	yesno("RLIMIT_NOFILE soft <= hard", rl.rlim_cur <= rl.rlim_max);
	show("prlimit64 bad resource", sc(SYS_prlimit64, 0, 99, NULL, &rl));
	show("getrlimit bad resource", sc(SYS_getrlimit, 99, &rl));
	show("getrlimit into a low pointer", sc(SYS_getrlimit, RLIMIT_STACK, LOW_PTR));
	show("prlimit64 other pid", sc(SYS_prlimit64, 999999, RLIMIT_NOFILE, NULL, &rl));
	show("sched_yield", sc(SYS_sched_yield));
	unsigned long mask[16];
	yesno("sched_getaffinity", sc(SYS_sched_getaffinity, 0, sizeof(mask), mask) > 0);
	show("sched_getaffinity into a low pointer", sc(SYS_sched_getaffinity, 0, sizeof(mask), LOW_PTR));
	show("sched_getaffinity length 3", sc(SYS_sched_getaffinity, 0, 3, mask));
	return 0;
}
