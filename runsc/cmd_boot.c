/* runsc boot (internal): the sentry of one sandbox. Started by create with
 * the gofer's socket on fd 3 and a pipe on fd 4 on which it reports
 * "ok" once the program is loaded and the control socket listens, or one
 * line of error. It then waits for start, runs the container and exits
 * with the container's exit code, leaving the wait status in the state
 * directory. */
#include "runsc/cli.h"
#include "platform/platform.h"
#include "runsc/checkpoint.h"
#include "runsc/control.h"
#include "runsc/oci_spec.h"
#include "runsc/sandbox.h"
#include "runsc/seccomp.h"
#include "runsc/state_dir.h"
#include "runsc/userns.h"
#include "kernel/kernel.h"
#include "kernel/fs/tmpfs/tmpfs.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>


struct boot {
	struct sandbox_run sb;
	struct restore_state *rs;	/* what a restore into this sandbox loads */
	const char *root, *id;
	int waiters;			/* "wait" requests in flight; under sb.lock */
	bool paused;			/* frozen by "pause"; under pause_lock */
};

static void report(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(fd, buf, (size_t)n) < 0)
		return;
}

static const char *status_name(enum sandbox_status s)
{
	return s == SANDBOX_CREATED ? "created" : s == SANDBOX_RUNNING ? "running" : "stopped";
}

static struct json_object *error_reply(const char *msg)
{
	struct json_object *r = json_object_new_object();
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

/* Serializes pause, resume and checkpoint's view of b->paused; never held
 * with sb.lock, which tasks may need on their way to a safe point. */
static pthread_mutex_t pause_lock = PTHREAD_MUTEX_INITIALIZER;

/* {"cmd":"restore"} on a created sandbox (runsc create, then runsc
 * restore, as containerd does): runsc has opened and checked the image
 * and sends kernel.pb with the pages file's fd, then one byte with
 * /dev/userfaultfd's (see cmd_checkpoint.c). The created task is dropped
 * unrun and the image loaded in its place, in this same sentry process,
 * whose pid the engine already knows; the restored task runs at once,
 * with the sandbox's stdio (create's). Until the created task is dropped
 * a failure leaves the sandbox as created; after, it ends the sandbox. */
static struct json_object *restore_created(struct boot *b, struct json_object *req, int conn)
{
	static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;
	static const int stdio[3] = { 0, 1, 2 };
	struct json_object *v, *r;
	uint64_t len = json_object_object_get_ex(req, "kernel_pb", &v) ? json_object_get_uint64(v) : 0;
	bool eager = json_object_object_get_ex(req, "eager", &v) && json_object_get_boolean(v);
	bool same_host = json_object_object_get_ex(req, "same_host", &v) && json_object_get_boolean(v);
	bool uffd = json_object_object_get_ex(req, "uffd", &v) && json_object_get_boolean(v);
	int pages_fd = -1, uffd_fd = -1, err = 0;
	bool relaunched = false;
	char msg[1024] = "";
	uint8_t one, *pb = NULL;

	if (pthread_mutex_trylock(&one_at_a_time) != 0)
		return error_reply("a restore into this sandbox is already in progress");
	if (!len || len > RESTORE_MAX_KERNEL_PB) {
		snprintf(msg, sizeof(msg), "restore: a kernel state of %lu bytes", (unsigned long)len);
		goto out;
	}
	pb = malloc(len);
	err = pb ? control_recv_raw(conn, pb, len, &pages_fd) : -ENOMEM;
	if (err == 0 && pages_fd < 0)
		err = -EPROTO;
	if (err == 0 && uffd)
		err = control_recv_raw(conn, &one, 1, &uffd_fd);
	if (err < 0) {
		snprintf(msg, sizeof(msg), "restore: receiving the image: %s", strerror(-err));
		goto out;
	}
	if (sandbox_get_status(&b->sb) != SANDBOX_CREATED) {
		snprintf(msg, sizeof(msg), "cannot restore into container %s: it has started", b->id);
		goto out;
	}
	err = restore_open_fds(b->rs, pb, len, pages_fd, uffd_fd, eager, same_host, msg, sizeof(msg));
	uffd_fd = -1;	/* the restore state's now */
	if (err < 0)
		goto out;
	if (sandbox_discard(&b->sb) < 0) {
		restore_drop(b->rs);
		snprintf(msg, sizeof(msg), "cannot restore into container %s: it has started", b->id);
		goto out;
	}
	/* From here on the created container is gone: a failure ends it. */
	err = restore_reset(msg, sizeof(msg));
	if (err == 0)
		err = restore_load(b->rs, stdio, &b->sb.task, msg, sizeof(msg));
	if (err == 0) {
		relaunched = true;
		err = sandbox_relaunch(&b->sb);
		if (err < 0)
			snprintf(msg, sizeof(msg), "restore: start the restored task: %s", strerror(-err));
	}
	if (err < 0) {
		/* The reply goes first: the sentry ends with the sandbox
		 * (which a failed relaunch stopped already). */
		r = error_reply(msg);
		control_send(conn, r);
		json_object_put(r);
		msg[0] = 0;
		if (!relaunched)
			sandbox_stopped(&b->sb, 128 + SIGKILL);
	}
out:
	if (pages_fd >= 0)
		close(pages_fd);
	if (uffd_fd >= 0)
		close(uffd_fd);
	free(pb);
	pthread_mutex_unlock(&one_at_a_time);
	if (msg[0]) {
		log_warn("%s", msg);
		return error_reply(msg);
	}
	return err < 0 ? NULL : json_object_new_object();
}

static struct json_object *handle(struct json_object *req, void *arg, int conn)
{
	struct boot *b = arg;
	struct json_object *cmd, *v, *r;
	const char *c;

	if (!json_object_object_get_ex(req, "cmd", &cmd))
		return error_reply("malformed request");
	c = json_object_get_string(cmd);
	if (strcmp(c, "state") == 0) {
		enum sandbox_status s = sandbox_get_status(&b->sb);
		bool paused;
		pthread_mutex_lock(&pause_lock);
		paused = b->paused;
		pthread_mutex_unlock(&pause_lock);
		r = json_object_new_object();
		json_object_object_add(r, "status", json_object_new_string(s == SANDBOX_RUNNING && paused ? "paused" : status_name(s)));
		return r;
	}
	if (strcmp(c, "pause") == 0 || strcmp(c, "resume") == 0) {
		bool pause = c[0] == 'p';
		int err = 0;
		pthread_mutex_lock(&pause_lock);
		if (sandbox_get_status(&b->sb) != SANDBOX_RUNNING)
			err = -ESRCH;
		else if (b->paused == pause)
			err = -EALREADY;
		else if (pause)
			err = kernel_freeze(5000);
		else
			kernel_thaw();
		if (err == 0)
			b->paused = pause;
		pthread_mutex_unlock(&pause_lock);
		if (err == -ESRCH)
			return error_reply("container not running");
		if (err == -EALREADY)
			return error_reply(pause ? "container already paused" : "container not paused");
		if (err < 0)
			return error_reply("cannot stop the sandbox's tasks");
		return json_object_new_object();
	}
	if (strcmp(c, "start") == 0) {
		int err = sandbox_start(&b->sb);
		if (err == -EALREADY)
			return error_reply("cannot start an already running container");
		if (err == -ESRCH)
			return error_reply("cannot start a container that has stopped");
		if (err == -EBUSY)
			return error_reply("cannot start a container that is being restored");
		return json_object_new_object();
	}
	if (strcmp(c, "restore") == 0)
		return restore_created(b, req, conn);
	if (strcmp(c, "signal") == 0) {
		int sig = json_object_object_get_ex(req, "signal", &v) ? json_object_get_int(v) : 0;
		struct task *t;
		if (sig < 1 || sig > LINUX_NSIG)
			return error_reply("invalid signal");
		if (sandbox_get_status(&b->sb) == SANDBOX_STOPPED)
			return error_reply("container not running");
		t = sandbox_get_task(&b->sb);
		if (!t)
			return error_reply("container is being restored");
		if (sandbox_get_status(&b->sb) == SANDBOX_CREATED && sig == SIGKILL) {
			/* Killing a created container ends it without running it. */
			task_exit_group(t, SIGKILL);
			sandbox_start(&b->sb);
		} else {
			struct json_object *all_v;
			bool all = json_object_object_get_ex(req, "all", &all_v) && json_object_get_boolean(all_v);
			struct task **all_tasks = NULL;
			int n = all ? task_list_all(&all_tasks) : 0;

			/* --all: every process, as runc signals every task of
			 * the container's cgroup; init last. */
			for (int i = 0; i < n; i++) {
				if (all_tasks[i] != t && !all_tasks[i]->exited)
					sig_send_group(all_tasks[i]->tg, sig);
				task_put(all_tasks[i]);
			}
			free(all_tasks);
			sig_send_group(t->tg, sig);
			/* A paused container still dies of SIGKILL, as a frozen
			 * cgroup's tasks do when runc kills them. */
			pthread_mutex_lock(&pause_lock);
			if (sig == SIGKILL && b->paused) {
				task_exit_group(t, SIGKILL);
				kernel_thaw();
				b->paused = false;
			}
			pthread_mutex_unlock(&pause_lock);
		}
		task_put(t);
		return json_object_new_object();
	}
	if (strcmp(c, "wait") == 0) {
		int status;
		pthread_mutex_lock(&b->sb.lock);
		b->waiters++;
		pthread_mutex_unlock(&b->sb.lock);
		status = sandbox_wait(&b->sb);
		r = json_object_new_object();
		json_object_object_add(r, "status", json_object_new_int(status));
		pthread_mutex_lock(&b->sb.lock);
		b->waiters--;
		pthread_cond_broadcast(&b->sb.cond);
		pthread_mutex_unlock(&b->sb.lock);
		return r;
	}
	if (strcmp(c, "checkpoint") == 0) {
		bool stop;
		bool paused;
		if (sandbox_get_status(&b->sb) != SANDBOX_RUNNING)
			return error_reply("cannot checkpoint a container that is not running");
		/* Held throughout: no pause or resume in the middle. */
		pthread_mutex_lock(&pause_lock);
		paused = b->paused;
		json_object_object_add(req, "paused", json_object_new_boolean(paused));
		r = sentry_checkpoint(req, conn, &stop);
		if (stop)
			b->paused = false;
		pthread_mutex_unlock(&pause_lock);
		return r;
	}
	if (strcmp(c, "stats") == 0) {
		r = json_object_new_object();
		json_object_object_add(r, "memory_bytes",
				       json_object_new_uint64(sentry_memfile->used_pages * PAGE_SIZE));
		json_object_object_add(r, "memory_limit",
				       json_object_new_uint64(sentry_memfile->limit_pages * PAGE_SIZE));
		json_object_object_add(r, "pids", json_object_new_int(sandbox_get_status(&b->sb) == SANDBOX_STOPPED ? 0 : task_count_live()));
		return r;
	}
	if (strcmp(c, "ps") == 0) {
		struct json_object *a = json_object_new_array();
		struct task **all = NULL;
		int n = sandbox_get_status(&b->sb) == SANDBOX_STOPPED ? 0 : task_list_all(&all);

		r = json_object_new_object();
		for (int i = 0; i < n; i++) {
			struct task *t = all[i];

			/* One line per process: its leader's, even when it
			 * ended before the group's other threads. */
			if (t == t->tg->leader && !__atomic_load_n(&t->tg->zombie, __ATOMIC_ACQUIRE)) {
				struct json_object *p = json_object_new_object();
				json_object_object_add(p, "pid", json_object_new_int(t->tg->pid));
				json_object_object_add(p, "ppid", json_object_new_int(task_ppid(t)));
				json_object_object_add(p, "uid", json_object_new_int((int)t->creds.uid));
				json_object_object_add(p, "cmd", json_object_new_string(t->comm));
				json_object_array_add(a, p);
			}
			task_put(t);
		}
		free(all);
		json_object_object_add(r, "processes", a);
		return r;
	}
	return error_reply("unknown request");
}

/* For file bind mounts, the file's name in the directory its gofer serves. */
static const char *bind_files[64];

/* Mounts the bind mounts of spec, in order, from the gofer sockets create
 * passed on fds 5, 6, ...; the other mount types are the sentry's own
 * (proc and dev are mounted by kernel_init where the rootfs has them). */
static int mount_binds(const struct oci_spec *spec, int nbinds, int ready)
{
	static struct gofer_client clients[64];
	int k = 0;

	for (size_t i = 0; i < spec->mount_count; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		bool ro = false;
		int r;

		if (!oci_mount_is_bind(m)) {
			if (m->type && strcmp(m->type, "tmpfs") == 0 && strcmp(m->destination, "/dev") != 0) {
				uint64_t size = 0;
				unsigned int mode = 01777;
				if (tmpfs_parse_options((const char *const *)m->options.v, m->options.count, &size, &mode) < 0) {
					report(ready, "config.json: mounts[%zu].options: bad tmpfs option", i);
					return -EINVAL;
				}
				r = kernel_mount_tmpfs(m->destination, size, mode);
				if (r < 0) {
					report(ready, "config.json: mounts[%zu].destination: %s: %s", i, m->destination,
					       cli_strerror(r));
					return r;
				}
				continue;
			}
			if (m->type && strcmp(m->type, "sysfs") == 0) {
				r = kernel_mount_sysfs(m->destination, oci_mount_has_option(m, "ro"));
				if (r < 0) {
					report(ready, "config.json: mounts[%zu].destination: %s: %s", i, m->destination,
					       cli_strerror(r));
					return r;
				}
				continue;
			}
			/* proc and a tmpfs /dev are the sentry's own, mounted by
			 * kernel_init; devpts and mqueue are accepted. */
			if (!m->type || (strcmp(m->type, "proc") && strcmp(m->type, "devpts") && strcmp(m->type, "mqueue") &&
					 strcmp(m->type, "tmpfs")))
				log_warn("config.json: mounts[%zu]: %s on %s is not supported yet; left out", i,
					 m->type ? m->type : "(no type)", m->destination);
			continue;
		}
		if (k >= nbinds || k >= 64) {
			report(ready, "config.json: mounts[%zu]: no gofer for this bind mount", i);
			return -EINVAL;
		}
		ro = oci_mount_has_option(m, "ro");
		gofer_client_init(&clients[k], 5 + k);
		r = bind_files[k] ? kernel_mount_gofer_file(&clients[k], m->destination, bind_files[k], ro)
				  : kernel_mount_gofer(&clients[k], m->destination, ro);
		if (r < 0) {
			report(ready, "config.json: mounts[%zu].destination: %s: %s", i, m->destination, cli_strerror(r));
			return r;
		}
		k++;
	}
	return 0;
}

/* The user, groups, rlimits and umask of config.json's process, and the
 * memory limit (enforced on the memory file: allocations past it fail, so
 * the application sees ENOMEM or SIGBUS). pids.limit needs no enforcement
 * while a sandbox holds one process. */
static void apply_process(struct task *t, const struct oci_spec *spec)
{
	const struct oci_process *p = &spec->process;

	t->creds.uid = t->creds.euid = t->creds.suid = t->creds.fsuid = p->uid;
	t->creds.gid = t->creds.egid = t->creds.sgid = t->creds.fsgid = p->gid;
	t->creds.ngroups = (int)MIN(p->additional_gid_count, ARRAY_SIZE(t->creds.groups));
	for (int i = 0; i < t->creds.ngroups; i++)
		t->creds.groups[i] = p->additional_gids[i];
	for (size_t i = 0; i < p->rlimit_count; i++) {
		if (p->rlimits[i].resource >= 0 && p->rlimits[i].resource < RLIM_COUNT) {
			t->tg->rlimits[p->rlimits[i].resource].rlim_cur = p->rlimits[i].soft;
			t->tg->rlimits[p->rlimits[i].resource].rlim_max = p->rlimits[i].hard;
		}
	}
	if (p->has_umask)
		t->fs->umask = p->umask & 0777;
	if (spec->memory_limit)
		memfile_set_limit(sentry_memfile, spec->memory_limit);
}

/* Writes the wait status into the state directory's exit file, opened
 * before isolation: afterwards neither the host path nor a create is
 * allowed (seccomp). Readers accept it only once the newline is there. */
static void save_exit(int fd, int status)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%d\n", status);

	if (fd >= 0 && pwrite(fd, text, (size_t)n, 0) != n)
		log_warn("cannot record the exit status");
}

/* Leaves the host's filesystem behind: a private mount namespace whose
 * root is an empty, read-only tmpfs. */
static int isolate(const char *statedir)
{
	/* In the state directory first, and relative paths after: unshare
	 * moves the cwd into the new namespace's copy of the mount, while an
	 * fd's path (userns mode) would stay in the old namespace. */
	if (chdir(statedir) < 0)
		return -errno;
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mkdir("root", 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mount("tmpfs", "root", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k,mode=0500") < 0)
		return -errno;
	if (chdir("root") < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int cmd_boot(struct global_flags *g, int argc, char **argv)
{
	static struct gofer_client gofer;
	static struct boot b;
	char err[1024], path[PATH_MAX], statedir[PATH_MAX], sock[PATH_MAX];
	const char *bundle = NULL;
	struct oci_spec spec;
	int stdio[3], ready = 4, sfd, r, log_fd = 2, state_fd, nbinds = 0, userns_fd = -1;
	uint32_t ns_uid = 0, ns_gid = 0;
	const char *restore_dir = NULL;
	bool restore_eager = false;
	static struct restore_state rs;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bundle") == 0 && i + 1 < argc)
			bundle = argv[++i];
		else if (strcmp(argv[i], "--bind-fds") == 0 && i + 1 < argc)
			nbinds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--bind-file") == 0 && i + 2 < argc) {
			int k = atoi(argv[i + 1]);
			if (k >= 0 && k < 64)
				bind_files[k] = argv[i + 2];
			i += 2;
		}
		else if (strcmp(argv[i], "--restore") == 0 && i + 1 < argc)
			restore_dir = argv[++i];
		else if (strcmp(argv[i], "--restore-eager") == 0)
			restore_eager = true;
		else if (strcmp(argv[i], "--userns-fd") == 0 && i + 3 < argc) {
			userns_fd = atoi(argv[i + 1]);
			ns_uid = (uint32_t)strtoul(argv[i + 2], NULL, 10);
			ns_gid = (uint32_t)strtoul(argv[i + 3], NULL, 10);
			i += 3;
		}
		else if (argv[i][0] != '-' && !b.id)
			b.id = argv[i];
		else {
			r = parse_common_flag(g, argc, argv, &i);
			if (r <= 0) {
				report(ready, "boot: bad argument %s", argv[i]);
				return 2;
			}
		}
	}
	b.root = g->root;
	/* Each task and each pipe holds a host eventfd for its waits: the
	 * sentry takes all the descriptors its hard limit allows (the
	 * programs' own limits are the sandbox's, not this). */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	b.rs = &rs;
	if (!bundle || !b.id) {
		report(ready, "boot: --bundle and an id are required");
		return 2;
	}
	if (g->debug_log) {
		log_fd = open(g->debug_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0)
			log_fd = 2;
	}
	log_init(log_fd, g->debug ? LOG_DEBUG : g->strace ? LOG_INFO : g->debug_log ? LOG_WARN : LOG_ERROR);
	sandbox.strace = g->strace;
	prctl(PR_SET_NAME, "runsc-sandbox");
	if (platform_select(g->platform) < 0) {
		report(ready, "unknown platform %s (available: ptrace, systrap)", g->platform);
		return 2;
	}
	platform_syscall_patching = !g->systrap_no_patching;

	if (oci_spec_load(bundle, &spec, err, sizeof(err)) < 0) {
		report(ready, "%s", err);
		return 1;
	}
	state_dir_path(b.root, b.id, statedir, sizeof(statedir));
	state_socket_path(b.root, b.id, sock, sizeof(sock));
	/* Before any thread: a multithreaded process cannot unshare a user
	 * namespace. Mapped root may not search the state root (0700, the
	 * host's root), only its own directory, which it reaches through an
	 * fd opened now. */
	if (userns_fd >= 0) {
		int dfd = open(statedir, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0) {
			report(ready, "open %s: %s", statedir, cli_strerror(errno));
			return 1;
		}
		snprintf(statedir, sizeof(statedir), "/proc/self/fd/%d", dfd);
		snprintf(sock, sizeof(sock), "/proc/self/fd/%d/sandbox.sock", dfd);
		r = userns_enter(ready, userns_fd, ns_uid, ns_gid);
		if (r < 0) {
			report(ready, "enter the user namespace: %s", cli_strerror(r));
			return 1;
		}
		close(userns_fd);
	}
	sfd = sandbox_signals_init();
	r = control_serve(sock, handle, &b);
	if (r < 0) {
		report(ready, "listen on %s: %s", sock, cli_strerror(r));
		return 1;
	}
	{
		char exitpath[PATH_MAX + 8];
		if ((size_t)snprintf(exitpath, sizeof(exitpath), "%s/exit", statedir) >= sizeof(exitpath))
			state_fd = -1, errno = ENAMETOOLONG;
		else
			state_fd = open(exitpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (state_fd < 0) {
		report(ready, "open %s: %s", statedir, cli_strerror(errno));
		return 1;
	}
	/* The image is read from the host's filesystem, before leaving it. */
	if (restore_dir && (r = restore_open(&rs, restore_dir, restore_eager, err, sizeof(err))) < 0) {
		report(ready, "restore: %s", err);
		return 1;
	}
	r = isolate(statedir);
	if (r < 0) {
		report(ready, "isolate the sandbox: %s", cli_strerror(r));
		return 1;
	}
	gofer_client_init(&gofer, 3);
	sandbox.pids_max = spec.pids_limit;
	r = kernel_init(&gofer, spec.root.readonly, spec.hostname ? spec.hostname : b.id);
	if (r < 0) {
		report(ready, "start sandbox: %s", cli_strerror(r));
		return 1;
	}
	r = seccomp_install_sentry();	/* isolate() set no_new_privs */
	if (r < 0) {
		report(ready, "install the sentry's seccomp filter: %s", cli_strerror(r));
		return 1;
	}
	r = mount_binds(&spec, nbinds, ready);
	if (r < 0)
		return 1;
	for (size_t k = 0; k < spec.masked_paths.count && r == 0; k++)
		if ((r = kernel_mask_path(spec.masked_paths.v[k])) < 0)
			report(ready, "config.json: linux.maskedPaths[%zu]: %s", k, cli_strerror(r));
	for (size_t k = 0; k < spec.readonly_paths.count && r == 0; k++)
		if ((r = kernel_readonly_path(spec.readonly_paths.v[k])) < 0)
			report(ready, "config.json: linux.readonlyPaths[%zu]: %s", k, cli_strerror(r));
	if (r < 0)
		return 1;
	for (int k = 0; k < 3; k++)
		stdio[k] = fcntl(k, F_DUPFD_CLOEXEC, 5 + nbinds);
	if (restore_dir) {
		r = restore_load(&rs, stdio, &b.sb.task, err, sizeof(err));
		if (r < 0) {
			report(ready, "%s", err);
			return 1;
		}
		b.sb.restored = true;
		r = sandbox_launch(&b.sb, false);
		if (r < 0) {
			report(ready, "restore: start the restored task: %s", cli_strerror(r));
			return 1;
		}
		goto launched;
	}
	b.sb.task = kernel_new_init_task(stdio, spec.process.cwd);
	if (!b.sb.task) {
		report(ready, "start sandbox: out of memory");
		return 1;
	}
	apply_process(b.sb.task, &spec);
	r = kernel_find_program(b.sb.task, spec.process.args.v[0], spec.process.env.v, path, sizeof(path));
	if (r == 0) {
		b.sb.path = path;
		b.sb.argv = spec.process.args.v;
		b.sb.envp = spec.process.env.v;
		r = sandbox_launch(&b.sb, false);
	}
	if (r < 0) {
		report(ready, "exec %s: %s", spec.process.args.v[0], cli_strerror(r));
		return r == -ENOENT ? 127 : 126;
	}
launched:
	report(ready, "ok");
	close(ready);

	sandbox_forward_signals(&b.sb, sfd);
	/* The status outlives this process in the state directory, for a
	 * wait or state that comes later; waits in flight get it first. */
	save_exit(state_fd, b.sb.wait_status);
	restore_report(&rs, &b.sb.started);
	pthread_mutex_lock(&b.sb.lock);
	while (b.waiters > 0)
		pthread_cond_wait(&b.sb.cond, &b.sb.lock);
	pthread_mutex_unlock(&b.sb.lock);
	gofer_client_destroy(&gofer);
	oci_spec_free(&spec);
	return sandbox_exit_code(b.sb.wait_status);
}
