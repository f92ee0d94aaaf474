/* Signals and threads: pthread_kill runs the handler on the target thread;
 * a process-directed signal goes to the one thread that does not block it;
 * a thread-directed signal a thread blocks is pending for that thread only;
 * sigwaitinfo in a dedicated thread takes a process-directed signal; masks
 * are per thread (inherited at creation) while dispositions are shared.
 * Fatal signals and tgkill are thread_sigfatal's. */
#include "threadtest.h"

static int handled, handler_tid;	/* handled: the signal number */
static int ready, go, done;
static pid_t tids[3];

static void on_sig(int sig)
{
	handler_tid = gettid();
	post(&handled, sig);
}

static sigset_t one(int sig)
{
	sigset_t m;

	sigemptyset(&m);
	if (sig)
		sigaddset(&m, sig);
	return m;
}

static void mask(int how, int sig)
{
	sigset_t m = one(sig);

	pthread_sigmask(how, &m, NULL);
}

/* Whether SIG is in the calling thread's mask, or pending for it. */
static int blocked(int sig)
{
	sigset_t m;

	sigprocmask(SIG_BLOCK, NULL, &m);
	return sigismember(&m, sig);
}

static int pending(int sig)
{
	sigset_t m;

	sigpending(&m);
	return sigismember(&m, sig);
}

/* Records its tid, optionally unblocks SIGUSR2, says so, waits for done. */
static void *sitter(void *arg)
{
	long i = (long)arg;

	tids[i] = gettid();
	if (i == 1)
		mask(SIG_UNBLOCK, SIGUSR2);
	bump(&ready, 1);
	while (!peek(&done))
		futex(&done, FUTEX_WAIT, 0, NULL);	/* EINTR from the handler: go round */
	return NULL;
}

/* A thread-directed signal it blocks: pending here (not in main). */
static void *holder(void *arg)
{
	sigset_t m = one(SIGUSR1);
	int sig = 0, r;

	(void)arg;
	post(&ready, 1);
	await("holder's go", &go, 1);
	r = pending(SIGUSR1);
	sigwait(&m, &sig);
	return (void *)(long)(r | (sig == SIGUSR1) << 1);
}

/* A process-directed signal every thread blocks, taken here. */
static void *waiter(void *arg)
{
	sigset_t m = one(SIGUSR1);
	siginfo_t si;
	int sig;

	(void)arg;
	memset(&si, 0, sizeof(si));
	sig = sigwaitinfo(&m, &si);
	printf("sigwaitinfo in a thread: SIG%s, SI_USER %d, from our pid %d\n", sig > 0 ? sigabbrev_np(sig) : "?",
	       si.si_code == SI_USER, si.si_pid == getpid());
	return NULL;
}

static void *masker(void *arg)
{
	struct sigaction sa;

	(void)arg;
	mask(SIG_BLOCK, SIGUSR2);
	printf("new thread: SIGUSR1 blocked (inherited) %d, SIGUSR2 blocked by itself %d\n", blocked(SIGUSR1),
	       blocked(SIGUSR2));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGHUP, &sa, NULL);
	post(&ready, 1);
	await(NULL, &go, 1);
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	void *ret;

	thr_start();
	signal(SIGUSR1, on_sig);
	signal(SIGUSR2, on_sig);

	t[0] = xthread("target", sitter, (void *)0L);
	await("target up", &ready, 1);
	pthread_kill(t[0], SIGUSR1);
	await("handler", &handled, SIGUSR1);
	printf("pthread_kill(SIGUSR1): handler ran on the target thread: %s\n", handler_tid == tids[0] ? "same" : "different");
	post(&done, 1);
	pthread_join(t[0], NULL);

	/* All but thread 1 block SIGUSR2; main sends it to the process. */
	ready = done = handled = 0;
	mask(SIG_BLOCK, SIGUSR2);
	for (long i = 0; i < 3; i++)
		t[i] = xthread("sitter", sitter, (void *)i);
	await("sitters up", &ready, 3);
	kill(getpid(), SIGUSR2);
	await("handler", &handled, SIGUSR2);
	printf("kill(getpid(), SIGUSR2): handled by the one thread not blocking it: %d\n", handler_tid == tids[1]);
	post(&done, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("main: SIGUSR2 pending %d\n", pending(SIGUSR2));
	mask(SIG_SETMASK, 0);

	/* Thread-directed, blocked: pending for the target only. */
	ready = go = 0;
	mask(SIG_BLOCK, SIGUSR1);
	t[0] = xthread("holder", holder, NULL);
	await("holder up", &ready, 1);
	pthread_kill(t[0], SIGUSR1);
	printf("pthread_kill of a blocked SIGUSR1: pending in main %d\n", pending(SIGUSR1));
	post(&go, 1);
	pthread_join(t[0], &ret);
	printf("  pending in the target %ld, sigwait there took it %ld\n", (long)ret & 1, (long)ret >> 1);

	/* Process-directed, blocked everywhere: sigwaitinfo in one thread. */
	t[0] = xthread("waiter", waiter, NULL);
	kill(getpid(), SIGUSR1);
	pthread_join(t[0], NULL);
	printf("main: SIGUSR1 pending after that %d\n", pending(SIGUSR1));

	/* Masks per thread, dispositions shared. */
	ready = go = 0;
	t[0] = xthread("masker", masker, NULL);
	await("masker", &ready, 1);
	struct sigaction sa;
	sigaction(SIGHUP, NULL, &sa);
	printf("main: SIGUSR2 blocked %d (the thread blocked it), SIGHUP handler set by the thread seen %d\n",
	       blocked(SIGUSR2), sa.sa_handler == on_sig);
	signal(SIGHUP, SIG_DFL);

	post(&go, 1);
	pthread_join(t[0], NULL);
	return 0;
}
