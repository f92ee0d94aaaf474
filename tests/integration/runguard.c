/* runguard: run one command under guard and report how it ended.
 *
 * The guard makes itself a child subreaper, so every process the command
 * leaves behind -- however it was forked, whichever session or process group
 * it moved to -- is re-parented to the guard when its parent dies, and can be
 * found, reported and killed. The command runs in a session of its own, with
 * default signal dispositions, no fds but 0-2, core dumps off and a time
 * limit.
 *
 * usage: runguard [options] -- CMD [ARGS...]
 *   --timeout SEC   kill the command and all its descendants after SEC s (60)
 *   --stdin FILE    standard input (default /dev/null)
 *   --stdout FILE   standard output (default: inherited)
 *   --stderr FILE   standard error (default: inherited)
 *   --env K=V       the command's environment is exactly these (repeatable);
 *                   without any --env it inherits the guard's
 *   --signal SIG    send SIG (KILL, TERM, INT, HUP or a number) to the
 *   --after SEC       command's pid alone, SEC seconds after it started...
 *   --min-descendants N  ...and once it has N descendant processes (0), or
 *                   10 s later at most: a slow start does not make the
 *                   signal arrive too early
 *   --grace SEC     how long processes left behind may take to exit (2)
 *   --result FILE   write "key value" lines: status, timed_out, strays,
 *                   leftovers, descendants_before_signal, signal_sent, and
 *                   one "stray PID COMM" line per process left behind
 *
 * CMD is looked up in the command's PATH like execvp does, but a file that is
 * neither ELF nor #! is not handed to /bin/sh: it fails with ENOEXEC.
 * Exit status: the command's; 128+N when it was killed by signal N; as a
 * shell gives, 127 when it was not found and 126 when it could not be
 * executed; 2 on a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define MAX_PROCS 65536

struct proc {
	pid_t pid, ppid;
	char state;
	unsigned long long start;
	char comm[32];
};

static struct proc table[MAX_PROCS];
static int ntable;

static void usage(const char *msg)
{
	fprintf(stderr, "runguard: %s\nusage: runguard [options] -- CMD [ARGS...]\n", msg);
	exit(2);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	nanosleep(&t, NULL);
}

/* Fills table[] with every process on the host. */
static void read_table(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	ntable = 0;
	while (d && (e = readdir(d)) && ntable < MAX_PROCS) {
		char path[300], buf[1024];

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
		if (!open_paren || !close_paren || close_paren[1] != ' ')
			continue;
		struct proc *p = &table[ntable];
		p->pid = atoi(buf);
		snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
		/* Fields after the name: state ppid ... starttime is the 20th. */
		char *f = close_paren + 2;
		p->state = *f;
		int field = 0;
		for (char *tok = strtok(f, " "); tok; tok = strtok(NULL, " "), field++) {
			if (field == 1)
				p->ppid = atoi(tok);
			else if (field == 19) {
				p->start = strtoull(tok, NULL, 10);
				break;
			}
		}
		ntable++;
	}
	if (d)
		closedir(d);
}

static struct proc *find(pid_t pid)
{
	for (int i = 0; i < ntable; i++)
		if (table[i].pid == pid)
			return &table[i];
	return NULL;
}

/* Collects the descendants of root (from table[]) into out; returns how many. */
static int descendants(pid_t root, pid_t *out, int max)
{
	int n = 0;
	bool grew = true;

	while (grew) {
		grew = false;
		for (int i = 0; i < ntable; i++) {
			pid_t pid = table[i].pid, ppid = table[i].ppid;
			bool parent_in = ppid == root, self_in = false;
			for (int j = 0; j < n; j++) {
				parent_in |= out[j] == ppid;
				self_in |= out[j] == pid;
			}
			if (parent_in && !self_in && pid != root && n < max) {
				out[n++] = pid;
				grew = true;
			}
		}
	}
	return n;
}

static int exit_code(int st)
{
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Reaps every exited child other than main; saves main's status if seen. */
static void reap(pid_t main_pid, int *main_status)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == main_pid && main_status)
			*main_status = st;
}

/* execvp without the /bin/sh fallback for ENOEXEC; returns the errno. */
static int exec_path(char **argv, char **envp)
{
	const char *path = NULL;
	bool eacces = false;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		return errno;
	}
	for (char **e = envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		char file[4096];
		snprintf(file, sizeof(file), "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/", argv[0]);
		execve(file, argv, envp);
		if (errno == EACCES)
			eacces = true;
		else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE)
			return errno;
		if (!*end)
			break;
		p = end;
	}
	return eacces ? EACCES : ENOENT;
}

static void redirect(const char *path, int fd, int flags)
{
	if (!path)
		return;
	int f = open(path, flags, 0644);
	if (f < 0 || dup2(f, fd) < 0)
		_exit(125);
	if (f != fd)
		close(f);
}

int main(int argc, char **argv)
{
	double timeout = 60, after = 0, grace = 2;
	const char *in = "/dev/null", *out = NULL, *err = NULL, *result_path = NULL;
	static char *envp[1024];
	int nenv = 0, sig = 0, min_desc = 0, i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage("an option lacks its value");
		if (!strcmp(a, "--timeout"))
			timeout = atof(v);
		else if (!strcmp(a, "--after"))
			after = atof(v);
		else if (!strcmp(a, "--grace"))
			grace = atof(v);
		else if (!strcmp(a, "--min-descendants"))
			min_desc = atoi(v);
		else if (!strcmp(a, "--stdin"))
			in = v;
		else if (!strcmp(a, "--stdout"))
			out = v;
		else if (!strcmp(a, "--stderr"))
			err = v;
		else if (!strcmp(a, "--result"))
			result_path = v;
		else if (!strcmp(a, "--env") && strchr(v, '=') && nenv < 1023)
			envp[nenv++] = (char *)v;
		else if (!strcmp(a, "--signal")) {
			const char *s = strncmp(v, "SIG", 3) ? v : v + 3;
			sig = isdigit((unsigned char)*s) ? atoi(s) : !strcmp(s, "KILL") ? SIGKILL : !strcmp(s, "TERM") ? SIGTERM
				: !strcmp(s, "INT") ? SIGINT : !strcmp(s, "HUP") ? SIGHUP : !strcmp(s, "QUIT") ? SIGQUIT : 0;
			if (!sig)
				usage("unknown signal");
		} else
			usage("unknown or malformed option");
	}
	if (i + 1 >= argc)
		usage("missing -- CMD");
	char **cmd = argv + i + 1;
	extern char **environ;
	char **cmd_env = nenv ? envp : environ;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		usage("prctl(PR_SET_CHILD_SUBREAPER) failed");
	struct rlimit core;
	getrlimit(RLIMIT_CORE, &core);
	core.rlim_cur = 0;
	setrlimit(RLIMIT_CORE, &core);

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		usage("pipe2 failed");
	double start = now();
	pid_t child = fork();
	if (child < 0)
		usage("fork failed");
	if (child == 0) {
		sigset_t all;
		setsid();
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		redirect(in, 0, O_RDONLY);
		redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC);
		redirect(err, 2, O_WRONLY | O_CREAT | O_TRUNC);
		syscall(436 /* close_range */, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
		int e = exec_path(cmd, cmd_env);
		write(pipefd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pipefd[1]);

	int status = -1, timed_out = 0, sent = 0, nbefore = 0, nstray = 0, nleft = 0;
	static pid_t before[4096], live[4096];
	static unsigned long long before_start[4096];
	int exec_errno = 0, st = 0;
	char lines[8192] = "";
	size_t used = 0;

	if (read(pipefd[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
		waitpid(child, NULL, 0);
		FILE *f = err ? fopen(err, "a") : stderr;
		if (f) {
			fprintf(f, "runguard: %s: %s\n", cmd[0], strerror(exec_errno));
			if (f != stderr)
				fclose(f);
		}
		status = exec_errno == ENOENT ? 127 : 126;
		goto report;
	}
	close(pipefd[0]);

	int main_st = -1;
	for (double delay = 0.001; main_st < 0; delay = delay < 0.02 ? delay * 2 : 0.02) {
		pid_t r = waitpid(child, &st, WNOHANG);
		if (r == child) {
			main_st = st;
			break;
		}
		double t = now() - start;
		if (sig && !sent && t >= after) {
			read_table();
			nbefore = descendants(child, before, 4096);
			if (nbefore >= min_desc || t >= after + 10) {
				for (int k = 0; k < nbefore; k++)
					before_start[k] = find(before[k])->start;
				kill(child, sig);
				sent = 1;
			}
		}
		if (t >= timeout && !timed_out) {
			timed_out = 1;
			kill(-child, SIGKILL);
			read_table();
			int n = descendants(getpid(), live, 4096);
			for (int k = 0; k < n; k++)
				kill(live[k], SIGKILL);
		}
		sleep_s(delay);
	}
	status = exit_code(main_st);

	/* Whatever is still alive below us now was left behind by the command. */
	double deadline = now() + grace;
	for (;;) {
		reap(child, NULL);
		read_table();
		int n = descendants(getpid(), live, 4096);
		nstray = 0;
		for (int k = 0; k < n; k++)
			if (find(live[k])->state != 'Z')
				live[nstray++] = live[k];
		nleft = 0;
		for (int k = 0; k < nbefore; k++) {
			struct proc *p = find(before[k]);
			if (p && p->start == before_start[k] && p->state != 'Z')
				nleft++;
		}
		if ((!nstray && !nleft) || now() >= deadline)
			break;
		sleep_s(0.02);
	}
	for (int k = 0; k < nstray; k++) {
		struct proc *p = find(live[k]);
		used += snprintf(lines + used, used < sizeof(lines) ? sizeof(lines) - used : 0, "stray %d %s\n",
				 (int)live[k], p ? p->comm : "?");
		kill(live[k], SIGKILL);
	}
	for (int k = 0; k < nbefore; k++) {
		struct proc *p = find(before[k]);
		if (p && p->start == before_start[k] && p->state != 'Z') {
			used += snprintf(lines + used, used < sizeof(lines) ? sizeof(lines) - used : 0,
					 "stray %d %s (seen before the signal)\n", (int)p->pid, p->comm);
			kill(p->pid, SIGKILL);
		}
	}
	if (nstray || nleft) {
		sleep_s(0.05);
		reap(child, NULL);
	}

report:
	if (result_path) {
		FILE *f = fopen(result_path, "w");
		if (!f)
			usage("cannot write the result file");
		fprintf(f, "status %d\ntimed_out %d\nstrays %d\nleftovers %d\ndescendants_before_signal %d\nsignal_sent %d\n%s",
			status, timed_out, nstray, nleft, nbefore, sent, lines);
		fclose(f);
	}
	return status;
}
