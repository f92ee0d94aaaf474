/* Orphans: a process whose parent dies is given to the nearest child
 * subreaper or to init, which can then wait for it. Running or already a
 * zombie, one or several at once; and a subreaper below the top.
 *
 * In the sandbox the program is pid 1, the container's init; natively it
 * makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so in both
 * places orphans come to it. A subreaper that is not pid 1 is subreaper's
 * subject.
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

int main(void)
{
	int v = 0;

	proc_start();
	top = getpid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("top is pid 1 or a child subreaper: %d\n", top == 1 || v == 1);
	running_orphan();
	zombie_orphan();
	many_orphans();
	showw("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
