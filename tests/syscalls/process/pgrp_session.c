/* Process groups and sessions: getpgrp/getpgid/getsid of ourselves and of
 * others, setpgid from the child and from the parent (before and after the
 * child's exec), setpgid's EPERM cases (a group in another session, a
 * session leader, no such group), setsid (EPERM in a group leader, a new
 * session in a child), kill() of a whole group, and ESRCH for pids that do
 * not exist or are not our children.
 *
 * The program expects to lead its own session, as in the sandbox (pid 1)
 * and under the test harness (runguard's setsid); started from a shell, it
 * makes itself one first, without printing anything. */
#include "proctest.h"
#include "amber_cr.h"

#include <fcntl.h>

#define NOPID (1 << 30)	/* above any pid_max */

static int bits(bool a, bool b, bool c, bool d)
{
	return a | b << 1 | c << 2 | d << 3;
}

/* A child that only waits for SLOT to be set (or a signal). */
static pid_t idle_child(const char *what, int slot)
{
	pid_t pid = xfork(what);

	if (pid == 0) {
		await(NULL, slot, 1);
		_exit(0);
	}
	return pid;
}

static void self_and_children(void)
{
	pid_t me = getpid(), pid;

	printf("getpgrp == getpid: %d, getpgid(0) == getpgrp: %d, getpgid(getpid()) == getpgrp: %d\n",
	       getpgrp() == me, getpgid(0) == getpgrp(), getpgid(me) == getpgrp());
	printf("getsid(0) == getpid: %d, getsid(getpid()) == getsid(0): %d\n", getsid(0) == me, getsid(me) == getsid(0));
	showw("setsid() in a session leader", sc(SYS_setsid));
	show("setpgid(0, 0) in a session leader", sc(SYS_setpgid, 0, 0));

	pid = xfork("inherit");
	if (pid == 0) {
		bool same_group = getpgrp() == me, same_session = getsid(0) == me;
		bool set = setpgid(0, 0) == 0;

		_exit(bits(same_group, same_session, set, getpgrp() == getpid()));
	}
	reap("child: our group, our session, setpgid(0, 0), then leads its group (15)", pid);

	pid = idle_child("from parent", 1);
	show("setpgid(child, child) from the parent", sc(SYS_setpgid, pid, pid));
	printf("  getpgid(child) == child: %d, getsid(child) == ours: %d\n", getpgid(pid) == pid, getsid(pid) == me);
	show("setpgid(child, 0) again", sc(SYS_setpgid, pid, 0));
	show("setpgid(child, our group) back", sc(SYS_setpgid, pid, getpgrp()));
	printf("  getpgid(child) is ours again: %d\n", getpgid(pid) == getpgrp());
	show("setpgid(child, no such group)", sc(SYS_setpgid, pid, NOPID));
	show("setpgid(child, -1)", sc(SYS_setpgid, pid, -1));
	post(1, 1);
	reap("  child", pid);
	show("setpgid(reaped child, 0)", sc(SYS_setpgid, pid, 0));
	showw("getpgid(reaped child)", sc(SYS_getpgid, pid));
	showw("getsid(reaped child)", sc(SYS_getsid, pid));
	showw("getpgid(1 << 30)", sc(SYS_getpgid, NOPID));
	showw("getsid(1 << 30)", sc(SYS_getsid, NOPID));
	showw("getpgid(-1)", sc(SYS_getpgid, -1));
	show("setpgid(1 << 30, 0)", sc(SYS_setpgid, NOPID, 0));
}

static void after_exec(void)
{
	struct timespec ms = { 0, 1000 * 1000 };
	sigset_t m, old;
	pid_t pid;
	int i;

	/* A child that has exec'd sh, which tells us so with SIGUSR1 and
	 * becomes sleep. */
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, &old);
	pid = xfork("exec");
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		execl("/bin/sh", "sh", "-c", "kill -USR1 $PPID; exec sleep 10", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 3000; i++) {
		sigpending(&m);
		if (sigismember(&m, SIGUSR1))
			break;
		nanosleep(&ms, NULL);
	}
	printf("exec'd child signalled: %d\n", i < 3000);
	show("setpgid(child, child) after its exec", sc(SYS_setpgid, pid, pid));
	show("setpgid(child, 0) after its exec", sc(SYS_setpgid, pid, 0));
	printf("  getpgid(child) is still ours: %d\n", getpgid(pid) == getpgrp());
	kill(pid, SIGKILL);
	reap("exec'd child", pid);
	signal(SIGUSR1, SIG_IGN);	/* drops the pending one */
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
}

static void sessions(void)
{
	pid_t a, b, pid;

	/* a: a new session. b: still in ours. */
	a = xfork("setsid");
	if (a == 0) {
		pid_t sid = setsid(), parent_sid = getsid(getppid());

		post(2, bits(sid == getpid(), getsid(0) == getpid(), getpgrp() == getpid(), parent_sid == getppid()));
		post(3, 1);
		await(NULL, 4, 1);
		_exit(0);
	}
	await("setsid child", 3, 1);
	printf("child's setsid: returns its pid, getsid, getpgrp are its pid, getsid(parent) is ours (15): %d\n", peek(2));
	printf("  seen from the parent: getsid(child) == child %d, getpgid(child) == child %d\n", getsid(a) == a,
	       getpgid(a) == a);
	show("setpgid(session leader child, 0)", sc(SYS_setpgid, a, 0));
	show("setpgid(session leader child, our group)", sc(SYS_setpgid, a, getpgrp()));
	b = idle_child("other", 4);
	show("setpgid(child, group in another session)", sc(SYS_setpgid, b, a));
	pid = xfork("join");
	if (pid == 0)
		_exit(setpgid(0, a) < 0 && errno == EPERM ? 5 : 6);
	reap("  child's own setpgid(0, group in another session): EPERM (5)", pid);

	pid = xfork("leader setsid");
	if (pid == 0) {
		setpgid(0, 0);
		_exit(setsid() < 0 && errno == EPERM ? 7 : 8);
	}
	reap("setsid in a child leading its group: EPERM (7)", pid);

	/* A grandchild (a's child) is not ours to move. */
	pid = xfork("grandchild");
	if (pid == 0) {
		pid_t g = xfork("grandchild");

		if (g == 0) {
			await(NULL, 4, 1);
			_exit(0);
		}
		post(5, g);
		post(6, 1);
		await(NULL, 4, 1);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	{
		pid_t g;

		await("grandchild", 6, 1);
		g = peek(5);
		show("setpgid(grandchild, 0)", sc(SYS_setpgid, g, 0));
		printf("  getpgid(grandchild) is ours: %d\n", getpgid(g) == getpgrp());
	}
	amber_cr_point();
	post(4, 1);
	reap("setsid child", a);
	reap("other child", b);
	reap("grandchild's parent", pid);
}

static void group_kill(void)
{
	pid_t pid[3];
	int n = 0, st;

	/* A group of three: kill(-pgid) reaches every member, not us. */
	for (int i = 0; i < 3; i++) {
		pid[i] = idle_child("group", 7);
		setpgid(pid[i], pid[0]);
	}
	printf("members in the group: %d\n", (getpgid(pid[0]) == pid[0]) + (getpgid(pid[1]) == pid[0]) +
						     (getpgid(pid[2]) == pid[0]));
	show("kill(-pgid, 0)", sc(SYS_kill, -pid[0], 0));
	show("kill(-pgid, SIGTERM)", sc(SYS_kill, -pid[0], SIGTERM));
	for (int i = 0; i < 3; i++) {
		st = 0;
		if (waitpid(-pid[0], &st, 0) > 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
			n++;
	}
	printf("members killed by SIGTERM: %d\n", n);
	show("kill(-pgid, 0) once they are gone", sc(SYS_kill, -pid[0], 0));

	/* kill(0, sig) from a child that leads a group with two children of
	 * its own, and ignores the signal itself. */
	pid[0] = xfork("kill 0");
	if (pid[0] == 0) {
		pid_t k[2];
		int dead = 0;

		setpgid(0, 0);
		for (int i = 0; i < 2; i++) {
			k[i] = xfork("kill 0");
			if (k[i] == 0) {
				await(NULL, 8, 1);
				_exit(0);
			}
		}
		signal(SIGUSR1, SIG_IGN);
		kill(0, SIGUSR1);
		for (int i = 0; i < 2; i++) {
			st = 0;
			if (waitpid(k[i], &st, 0) == k[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1)
				dead++;
		}
		_exit(dead);
	}
	reap("kill(0, SIGUSR1) in a child's group: its two children died (2)", pid[0]);
}

int main(void)
{
	proc_own_session();
	proc_start();
	self_and_children();
	after_exec();
	sessions();
	group_kill();
	showw("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
