/* Blocking calls interrupted by a signal with a handler: nanosleep returns
 * EINTR with the time left (never restarted), read(2) returns EINTR, or is
 * restarted with SA_RESTART. Driven by restart.sh, which sends SIGUSR1
 * twice and then closes stdin. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct timespec req = { 5, 0 }, rem = { 0, 0 };
	char buf[16];
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = argc > 1 && strcmp(argv[1], "restart") == 0 ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	r = nanosleep(&req, &rem);
	printf("nanosleep: %d %s, time left: %s\n", r, r ? strerror(errno) : "ok",
	       rem.tv_sec > 0 && rem.tv_sec < 5 ? "between 0 and 5 s" : "wrong");
	r = (int)read(0, buf, sizeof(buf));
	printf("read: %d %s\n", r, r < 0 ? strerror(errno) : "ok");
	printf("handled: %d\n", (int)handled);
	return 0;
}
