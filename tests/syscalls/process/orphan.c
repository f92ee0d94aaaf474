/* Orphans: a process whose parent dies is given to the nearest child
 * subreaper or to init, which can then wait for it. Running or already a
 * zombie, one or several at once; and a subreaper below the top.
 *
 * In the sandbox the program is pid 1, the container's init; natively it
 * makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so in both
 * places orphans come to it. The last part needs PR_SET_CHILD_SUBREAPER in
 * a process that is not pid 1, in the sandbox too.
 *
 * An orphan looks at getppid() only once the top has reaped its dead
 * parent: Linux reparents a process's children before the process becomes
 * a zombie. */
#include "proctest.h"
#include "amber_cr.h"

static pid_t top;

/* Orphan's side: wait for the top's go (SLOT set), then report. */
static int orphan_report(int slot, pid_t old_parent)
{
	await(NULL, slot, 1);
	return (getppid() != old_parent) | (getppid() == top) << 1;
}

static void running_orphan(void)
{
	pid_t p, g;
	int code;

	p = xfork("parent");
	if (p == 0) {
		pid_t me = getpid();

		g = xfork("orphan");
		if (g == 0) {
			post(3, orphan_report(1, me));
			post(4, 1);
			_exit(9);
		}
		post(2, g);
		_exit(0);
	}
	reap("the orphan's parent", p);
	g = peek(2);
	amber_cr_point();
	post(1, 1);
	await("orphan", 4, 1);
	code = peek(3);
	printf("orphan: reparented away from its dead parent %d, to the top %d\n", code & 1, (code >> 1) & 1);
	reap("the top waits for the orphan", g);
}

static void zombie_orphan(void)
{
	int st = 0;
	pid_t p, g;

	p = xfork("parent");
	if (p == 0) {
		siginfo_t si;

		g = xfork("zombie");
		if (g == 0)
			_exit(17);
		waitid(P_PID, g, &si, WEXITED | WNOWAIT);	/* a zombie now */
		post(5, g);
		_exit(0);
	}
	reap("the zombie's parent", p);
	g = peek(5);
	long w = sc(SYS_wait4, -1, &st, WNOHANG, NULL);
	printf("zombie orphan: the top's wait4(-1, WNOHANG) finds it %d, %s\n", w == g, w > 0 ? wstr(st) : errname(-w));
}

static void many_orphans(void)
{
	int n = 0, ok = 0, st;
	pid_t p;
	long w;

	p = xfork("parent of five");
	if (p == 0) {
		pid_t me = getpid();

		for (int i = 0; i < 5; i++) {
			if (xfork("one of five") == 0)
				_exit(orphan_report(6, me));
		}
		_exit(0);
	}
	reap("the parent of five", p);
	post(6, 1);
	while ((w = sc(SYS_wait4, -1, &st, 0, NULL)) > 0) {
		n++;
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 3;
	}
	printf("five orphans: the top reaped %d, %d saw it as their parent, then wait4: -%s\n", n, ok, errname(-w));
}

/* S makes itself a subreaper; its grandchild, orphaned, comes to S. */
static void nested_subreaper(void)
{
	int st = 0;
	pid_t s;

	s = xfork("subreaper");
	if (s == 0) {
		int v = 0, code = 0;
		pid_t p, g, me = getpid();

		code |= (prctl(PR_SET_CHILD_SUBREAPER, 1) == 0) << 0;
		code |= (prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 && v == 1) << 1;
		p = xfork("parent");
		if (p == 0) {
			g = xfork("orphan");
			if (g == 0) {
				await(NULL, 7, 1);
				post(9, getppid() == me);
				post(10, 1);
				_exit(4);
			}
			post(8, g);
			v = -1;
			prctl(PR_GET_CHILD_SUBREAPER, &v);
			_exit(v == 0 ? 0 : 1);	/* not inherited */
		}
		waitpid(p, &st, 0);
		g = peek(8);
		code |= (WIFEXITED(st) && WEXITSTATUS(st) == 0) << 2;
		post(7, 1);
		await(NULL, 10, 1);
		code |= (peek(9) == 1) << 3;
		st = 0;
		code |= (waitpid(g, &st, 0) == g && WIFEXITED(st) && WEXITSTATUS(st) == 4) << 4;
		_exit(code);
	}
	reap("subreaper below the top: set, get, not inherited, orphan's parent, reaped it (31)", s);
}

int main(void)
{
	int v = 0;
	long w;

	proc_start();
	top = getpid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("top is pid 1 or a child subreaper: %d\n", top == 1 || v == 1);
	running_orphan();
	zombie_orphan();
	many_orphans();
	nested_subreaper();
	/* Whatever a broken subreaper let through comes to us. */
	int extra = 0;
	while ((w = sc(SYS_wait4, -1, NULL, 0, NULL)) > 0)
		extra++;
	printf("orphans left for the top: %d, then wait4: -%s\n", extra, errname(-w));
	return 0;
}
