/* PR_SET_CHILD_SUBREAPER in a process that is not init: its orphaned
 * descendants come to it rather than to the top, it can wait for them, the
 * attribute is not inherited by fork, and once cleared, orphans pass it by.
 *
 * The top is pid 1 in the sandbox and makes itself a subreaper natively,
 * so orphans that pass the middle subreaper by come to the top in both. */
#include "proctest.h"
#include "amber_cr.h"

enum { S_SET, S_GET, P_GET, G_PPID, G_GO, G_DONE, G_PID, S_WAIT, S_WAITST, S_DONE };

static pid_t top;

/* The middle process S: a subreaper (or, with CLEAR, one no more) with a
 * child P whose child G is orphaned when P exits. Reports in shm. */
static void middle(bool clear)
{
	int v = 0, st = 0;
	pid_t p, g, me = getpid();

	post(S_SET, prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 1 : -errno);
	post(S_GET, prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 ? v : -errno);
	if (clear)
		prctl(PR_SET_CHILD_SUBREAPER, 0);
	p = xfork("parent");
	if (p == 0) {
		g = xfork("orphan");
		if (g == 0) {
			await(NULL, G_GO, 1);
			post(G_PPID, getppid() == me ? 1 : getppid() == top ? 2 : 3);
			post(G_DONE, 1);
			_exit(4);
		}
		post(G_PID, g);
		v = -1;
		post(P_GET, prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 ? v : -errno);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	g = peek(G_PID);
	post(G_GO, 1);
	await(NULL, G_DONE, 1);
	if (!clear) {
		long w = sc(SYS_wait4, g, &st, 0, NULL);
		post(S_WAIT, w == g ? 1 : w);
		post(S_WAITST, st);
	}
	post(S_DONE, 1);
	_exit(0);
}

static void run(bool clear)
{
	static const char *const where[] = { "?", "the subreaper", "the top", "elsewhere" };
	int st = 0;
	pid_t s;

	for (int i = 0; i <= S_DONE; i++)
		post(i, 0);
	s = xfork("subreaper");
	if (s == 0)
		middle(clear);
	reap(clear ? "subreaper, cleared" : "subreaper", s);
	show("  PR_SET_CHILD_SUBREAPER", peek(S_SET) == 1 ? 0 : peek(S_SET));
	show("  PR_GET_CHILD_SUBREAPER", peek(S_GET));
	show("  its child's PR_GET_CHILD_SUBREAPER (not inherited)", peek(P_GET));
	printf("  the orphan's new parent: %s\n", where[peek(G_PPID) & 3]);
	if (!clear) {
		printf("  the subreaper's wait4 for the orphan: %s", peek(S_WAIT) == 1 ? "the orphan" : errname(-peek(S_WAIT)));
		st = peek(S_WAITST);
		printf(", %s\n", wstr(st));
	}
	/* Blocking: an orphan that came to the top may still be running. */
	long w = sc(SYS_wait4, -1, &st, 0, NULL);
	printf("  the top's wait4(-1): %s\n", w > 0 ? wstr(st) : errname(-w));
}

int main(void)
{
	int v = 0;

	proc_start();
	top = getpid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("top is pid 1 or a child subreaper: %d\n", top == 1 || v == 1);
	run(false);
	amber_cr_point();
	run(true);
	showw("no children left", sc(SYS_wait4, -1, NULL, WNOHANG, NULL));
	return 0;
}
