/* /proc: generated from the sentry's own objects at the moment they are
 * read. Nothing here is cached: every lookup makes fresh inodes, so a
 * closed fd or an exited process disappears at once. */
#include "kernel/fs/proc/procfs.h"
#include "kernel/task/task.h"
#include "kernel/seccomp/seccomp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

enum proc_kind {
	P_ROOT, P_SELF, P_PID, P_EXE, P_CWD, P_ROOTLINK, P_FDDIR, P_FD, P_MAPS, P_STATUS, P_CMDLINE,
	P_ENVIRON, P_AUXV, P_STAT, P_COMM, P_MOUNTINFO, P_MOUNTS,
};

struct proc_node {
	enum proc_kind kind;
	struct task *task;	/* counted; NULL for the root and self */
	int fd;			/* P_FD */
};

static const struct inode_ops proc_inode_ops;

struct pid_entry {
	const char *name;
	enum proc_kind kind;
	unsigned mode;
};

static const struct pid_entry pid_entries[] = {
	{ "auxv", P_AUXV, S_IFREG | 0400 },
	{ "cmdline", P_CMDLINE, S_IFREG | 0444 },
	{ "comm", P_COMM, S_IFREG | 0644 },
	{ "cwd", P_CWD, S_IFLNK | 0777 },
	{ "environ", P_ENVIRON, S_IFREG | 0400 },
	{ "exe", P_EXE, S_IFLNK | 0777 },
	{ "fd", P_FDDIR, S_IFDIR | 0500 },
	{ "maps", P_MAPS, S_IFREG | 0444 },
	{ "mountinfo", P_MOUNTINFO, S_IFREG | 0444 },
	{ "mounts", P_MOUNTS, S_IFREG | 0444 },
	{ "root", P_ROOTLINK, S_IFLNK | 0777 },
	{ "stat", P_STAT, S_IFREG | 0444 },
	{ "status", P_STATUS, S_IFREG | 0444 },
};

static struct inode *proc_inode(enum proc_kind kind, unsigned mode, struct task *t, int fd)
{
	struct proc_node *n = calloc(1, sizeof(*n));
	struct inode *ino;
	struct timespec now;

	if (!n)
		return NULL;
	ino = inode_new(&proc_inode_ops, n);
	if (!ino) {
		free(n);
		return NULL;
	}
	n->kind = kind;
	n->task = t;
	if (t)
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	n->fd = fd;
	clock_gettime(CLOCK_REALTIME, &now);
	ino->stx.stx_mask = STATX_BASIC_STATS;
	ino->stx.stx_mode = (uint16_t)mode;
	ino->stx.stx_nlink = S_ISDIR(mode) ? 2 : 1;
	ino->stx.stx_ino = vfs_next_ino();
	ino->stx.stx_blksize = 1024;
	ino->stx.stx_dev_minor = 4;
	ino->stx.stx_uid = t ? t->creds.uid : 0;
	ino->stx.stx_gid = t ? t->creds.gid : 0;
	ino->stx.stx_atime.tv_sec = ino->stx.stx_mtime.tv_sec = ino->stx.stx_ctime.tv_sec = now.tv_sec;
	ino->cacheable = false;
	return ino;
}

static void proc_release(struct inode *ino)
{
	struct proc_node *n = ino->priv;

	if (n->task)
		task_put(n->task);
	free(n);
}

static int parse_num(const char *s)
{
	long v = 0;

	if (!*s || (*s == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1 << 24)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

static int proc_lookup(struct inode *dir, const char *name, struct inode **out)
{
	struct proc_node *n = dir->priv;
	struct task *t;
	int num;

	switch (n->kind) {
	case P_ROOT:
		if (strcmp(name, "self") == 0) {
			*out = proc_inode(P_SELF, S_IFLNK | 0777, NULL, 0);
			return *out ? 0 : -ENOMEM;
		}
		/* A zombie, or a leader that ended before its threads, is
		 * there too, as in Linux (its exe and fds are gone). */
		num = parse_num(name);
		if (num <= 0 || !(t = task_find(num, true)))
			return -ENOENT;
		*out = proc_inode(P_PID, S_IFDIR | 0555, t, 0);
		task_put(t);
		return *out ? 0 : -ENOMEM;
	case P_PID:
		for (size_t i = 0; i < ARRAY_SIZE(pid_entries); i++) {
			if (strcmp(name, pid_entries[i].name) == 0) {
				*out = proc_inode(pid_entries[i].kind, pid_entries[i].mode, n->task, 0);
				return *out ? 0 : -ENOMEM;
			}
		}
		return -ENOENT;
	case P_FDDIR: {
		struct fdtable *fdt = task_get_fdt(n->task);
		struct file *f = NULL;
		num = parse_num(name);
		if (fdt && num >= 0)
			f = fdt_get_file(fdt, num);
		fdtable_put(fdt);
		if (!f)
			return -ENOENT;
		*out = proc_inode(P_FD, S_IFLNK | ((f->flags & O_ACCMODE) == O_RDONLY ? 0500 :
						  (f->flags & O_ACCMODE) == O_WRONLY ? 0300 : 0700), n->task, num);
		file_put(f);
		return *out ? 0 : -ENOMEM;
	}
	default:
		return -ENOTDIR;
	}
}

/* What /proc/self/fd/N shows for a file without a path. */
static int anon_name(struct file *f, char *buf, size_t size)
{
	struct statx stx;
	int err = inode_stat(f->inode, &stx);

	if (err < 0)
		return err;
	if (S_ISFIFO(stx.stx_mode))
		return snprintf(buf, size, "pipe:[%llu]", (unsigned long long)stx.stx_ino);
	if (S_ISSOCK(stx.stx_mode))
		return snprintf(buf, size, "socket:[%llu]", (unsigned long long)stx.stx_ino);
	if (S_ISCHR(stx.stx_mode) && stx.stx_rdev_major == 136)
		return snprintf(buf, size, "/dev/pts/%u", stx.stx_rdev_minor);
	if (S_ISCHR(stx.stx_mode) && stx.stx_rdev_major == 5 && stx.stx_rdev_minor == 0)
		return snprintf(buf, size, "/dev/tty");
	if (S_ISCHR(stx.stx_mode) && stx.stx_rdev_major == 1 && stx.stx_rdev_minor == 3)
		return snprintf(buf, size, "/dev/null");
	return snprintf(buf, size, "anon_inode:[%llu]", (unsigned long long)stx.stx_ino);
}

static int proc_readlink(struct inode *ino, char *buf, size_t size)
{
	struct proc_node *n = ino->priv;
	struct task *cur = task_current();
	char tmp[PATH_MAX];
	int len;

	switch (n->kind) {
	case P_SELF:
		len = snprintf(tmp, sizeof(tmp), "%d", cur ? cur->tg->pid : 0);
		break;
	case P_EXE: {
		struct mm *mm = task_get_mm(n->task);
		len = mm && mm->exe_path ? snprintf(tmp, sizeof(tmp), "%s", mm->exe_path) : -ENOENT;
		mm_put(mm);
		break;
	}
	case P_CWD:
	case P_ROOTLINK: {
		struct fs_ctx *fs = task_get_fs(n->task);
		struct path p;
		if (!fs)
			return -ENOENT;
		pthread_mutex_lock(&fs->lock);
		p = n->kind == P_CWD ? fs->cwd : fs->root;
		len = vfs_path_name(&fs->root, &p, tmp, sizeof(tmp));
		pthread_mutex_unlock(&fs->lock);
		fs_ctx_put(fs);
		break;
	}
	case P_FD: {
		struct fdtable *fdt = task_get_fdt(n->task);
		struct fs_ctx *fs = task_get_fs(n->task);
		struct file *f = fdt ? fdt_get_file(fdt, n->fd) : NULL;
		fdtable_put(fdt);
		if (!f || !fs) {
			if (f)
				file_put(f);
			fs_ctx_put(fs);
			return -ENOENT;
		}
		if (f->path.d && f->path.mnt != &vfs_anon_mount)
			len = vfs_path_name(&fs->root, &f->path, tmp, sizeof(tmp));
		else
			len = anon_name(f, tmp, sizeof(tmp));
		file_put(f);
		fs_ctx_put(fs);
		break;
	}
	default:
		return -EINVAL;
	}
	if (len < 0)
		return len;
	len = MIN(len, (int)size);
	memcpy(buf, tmp, (size_t)len);
	return len;
}

/* ---- generated files ---- */

struct gen_buf {
	char *data;
	size_t len;
};

static int gen_user_range(struct mm *mm, uaddr_t start, uaddr_t end, struct gen_buf *b)
{
	size_t len = end > start ? end - start : 0;

	if (len > (1 << 20))
		len = 1 << 20;
	b->data = malloc(len + 1);
	if (!b->data)
		return -ENOMEM;
	b->len = len ? (size_t)MAX(copy_in_partial(mm, b->data, start, len), 0) : 0;
	return 0;
}

static const char *state_name(struct task *t)
{
	return t->exited ? "Z (zombie)" : "R (running)";
}

/* /proc/<pid>/mountinfo and mounts: the sentry's mount table, with each
 * mount point named as seen from the task's root. */
static int gen_mounts(struct fs_ctx *fs, struct gen_buf *b, bool info)
{
	struct mount *m[256];
	int n = vfs_mounts(m, 256);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), mp[PATH_MAX];

	if (!buf)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct path p = { m[i]->parent ? m[i]->parent : m[i], m[i]->mountpoint ? m[i]->mountpoint : m[i]->root };
		const char *ro = (m[i]->flags & MS_RDONLY) ? "ro" : "rw";
		int w;

		if (vfs_path_name(&fs->root, &p, mp, sizeof(mp)) < 0)
			continue;
		if (len + strlen(mp) + 256 > cap) {
			char *nb = realloc(buf, cap * 2 + strlen(mp) + 256);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap * 2 + strlen(mp) + 256;
		}
		if (info)
			w = snprintf(buf + len, cap - len, "%d %d 0:%d / %s %s,relatime - %s %s %s\n", m[i]->id,
				     m[i]->parent ? m[i]->parent->id : m[i]->id, m[i]->id, mp, ro, m[i]->fstype,
				     m[i]->source ? m[i]->source : "none", ro);
		else
			w = snprintf(buf + len, cap - len, "%s %s %s %s,relatime 0 0\n",
				     m[i]->source ? m[i]->source : "none", mp, m[i]->fstype, ro);
		len += (size_t)w;
	}
	b->data = buf;
	b->len = len;
	return 0;
}

/* A zombie has no memory or files left: its files read as empty. */
static int generate_for(struct proc_node *n, struct task *t, struct mm *mm, struct fs_ctx *fs,
			struct fdtable *fdt, struct gen_buf *b)
{
	ssize_t r;
	pid_t ppid = task_ppid(t), pgid, sid;

	pthread_mutex_lock(&tasklist_lock);
	pgid = t->tg->pgid;
	sid = t->tg->sid;
	pthread_mutex_unlock(&tasklist_lock);
	switch (n->kind) {
	case P_MAPS:
		if (!mm)
			return 0;
		r = mm_format_maps(mm, &b->data);
		if (r < 0)
			return (int)r;
		b->len = (size_t)r;
		return 0;
	case P_MOUNTINFO:
	case P_MOUNTS:
		return gen_mounts(fs, b, n->kind == P_MOUNTINFO);
	case P_CMDLINE:
		return mm ? gen_user_range(mm, mm->arg_start, mm->arg_end, b) : 0;
	case P_ENVIRON:
		return mm ? gen_user_range(mm, mm->env_start, mm->env_end, b) : 0;
	case P_AUXV:
		if (!mm)
			return 0;
		b->data = malloc(mm->auxv_len + 1);
		if (!b->data)
			return -ENOMEM;
		memcpy(b->data, mm->auxv, mm->auxv_len);
		b->len = mm->auxv_len;
		return 0;
	case P_COMM:
		r = asprintf(&b->data, "%s\n", t->comm);
		break;
	case P_STAT:
		r = asprintf(&b->data,
			     "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 0 %lu 0 "
			     "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			     t->tid, t->comm, t->exited ? 'Z' : 'R', ppid, pgid, sid,
			     mm ? (unsigned long)(mm->brk - mm->brk_start) : 0UL);
		break;
	case P_STATUS:
		r = asprintf(&b->data,
			     "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
			     "TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\n"
			     "Threads:\t%d\nSigQ:\t0/0\nSigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\n"
			     "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
			     "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t%d\nSeccomp:\t%d\n"
			     "Seccomp_filters:\t%d\n"
			     "Cpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
			     t->comm, fs->umask, state_name(t), t->tg->pid, t->tid, ppid,
			     t->creds.uid, t->creds.euid, t->creds.suid, t->creds.fsuid, t->creds.gid,
			     t->creds.egid, t->creds.sgid, t->creds.fsgid, fdt ? fdt->size : 0,
			     MAX(__atomic_load_n(&t->tg->nr_live, __ATOMIC_RELAXED), 1), (unsigned long)t->pending, (unsigned long)t->tg->shared_pending,
			     (unsigned long)t->sigmask, t->no_new_privs, t->seccomp_mode, seccomp_filter_count(t));
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		return -ENOMEM;
	b->len = (size_t)r;
	return 0;
}

static int generate(struct proc_node *n, struct gen_buf *b)
{
	struct task *t = n->task;
	struct mm *mm = task_get_mm(t);
	struct fs_ctx *fs = task_get_fs(t);
	struct fdtable *fdt = task_get_fdt(t);
	int r = fs ? generate_for(n, t, mm, fs, fdt, b) : -ENOENT;

	mm_put(mm);
	fs_ctx_put(fs);
	fdtable_put(fdt);
	return r;
}

static ssize_t gen_read(struct file *f, void *buf, size_t len, int64_t *pos)
{
	struct gen_buf *b = f->priv;
	size_t n;

	if (*pos < 0 || (size_t)*pos >= b->len)
		return 0;
	n = MIN(len, b->len - (size_t)*pos);
	memcpy(buf, b->data + *pos, n);
	*pos += (int64_t)n;
	return (ssize_t)n;
}

static int64_t gen_llseek(struct file *f, int64_t off, int whence)
{
	struct gen_buf *b = f->priv;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : whence == SEEK_END ? (int64_t)b->len : -1;

	if (base < 0 || base + off < 0)
		return -EINVAL;
	return base + off;
}

static void gen_release(struct file *f)
{
	struct gen_buf *b = f->priv;

	if (b) {
		free(b->data);
		free(b);
	}
}

static const struct file_ops gen_file_ops = {
	.read = gen_read,
	.llseek = gen_llseek,
	.release = gen_release,
};

/* ---- directories ---- */

/* The n-th smallest pid of a live process, or 0. */
static pid_t nth_pid(int64_t n)
{
	struct task *list[1024];
	int count = task_list(list, 1024);
	pid_t pids[1024];
	int np = 0;

	for (int i = 0; i < count; i++) {
		if (list[i]->tg->leader == list[i])
			pids[np++] = list[i]->tg->pid;
		task_put(list[i]);
	}
	for (int i = 1; i < np; i++)
		for (int j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
			pid_t x = pids[j];
			pids[j] = pids[j - 1];
			pids[j - 1] = x;
		}
	return n >= 0 && n < np ? pids[n] : 0;
}

static ssize_t proc_getdents(struct file *f, void *buf, size_t len)
{
	struct proc_node *n = f->inode->priv;
	size_t used = 0;
	char name[32];

	for (;;) {
		int64_t i = f->pos;
		const char *nm = NULL;
		unsigned type = DT_REG;
		size_t w;

		if (i == 0) {
			nm = ".", type = DT_DIR;
		} else if (i == 1) {
			nm = "..", type = DT_DIR;
		} else if (n->kind == P_ROOT) {
			pid_t pid;
			if (i == 2) {
				nm = "self", type = DT_LNK;
			} else if ((pid = nth_pid(i - 3)) > 0) {
				snprintf(name, sizeof(name), "%d", pid);
				nm = name, type = DT_DIR;
			}
		} else if (n->kind == P_PID) {
			if ((size_t)(i - 2) < ARRAY_SIZE(pid_entries)) {
				const struct pid_entry *e = &pid_entries[i - 2];
				nm = e->name;
				type = S_ISDIR(e->mode) ? DT_DIR : S_ISLNK(e->mode) ? DT_LNK : DT_REG;
			}
		} else if (n->kind == P_FDDIR) {
			/* Positions past 1 are fd + 2, so a later call resumes
			 * after the last fd returned. */
			int fd = (int)(i - 2);
			struct fdtable *fdt = task_get_fdt(n->task);
			bool found = false;
			if (fdt) {
				pthread_mutex_lock(&fdt->lock);
				while (fd < fdt->size && !fdt->files[fd])
					fd++;
				found = fd < fdt->size;
				pthread_mutex_unlock(&fdt->lock);
				fdtable_put(fdt);
			}
			if (found) {
				f->pos = fd + 2;
				i = f->pos;
				snprintf(name, sizeof(name), "%d", fd);
				nm = name, type = DT_LNK;
			}
		}
		if (!nm)
			break;
		w = vfs_emit_dirent((char *)buf + used, len - used, vfs_next_ino(), i + 1, type, nm);
		if (w == 0)
			return used ? (ssize_t)used : -EINVAL;
		used += w;
		f->pos = i + 1;
	}
	return (ssize_t)used;
}

static int64_t proc_dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence != SEEK_SET || off < 0)
		return -EINVAL;
	return off;
}

static const struct file_ops proc_dir_ops = {
	.getdents = proc_getdents,
	.llseek = proc_dir_llseek,
};

static int proc_open(struct inode *ino, struct file *f)
{
	struct proc_node *n = ino->priv;
	struct gen_buf *b;
	int err;

	if (S_ISDIR(ino->stx.stx_mode)) {
		if ((f->flags & O_ACCMODE) != O_RDONLY)
			return -EISDIR;
		f->ops = &proc_dir_ops;
		return 0;
	}
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	err = generate(n, b);
	if (err < 0) {
		free(b);
		return err;
	}
	f->priv = b;
	f->ops = &gen_file_ops;
	return 0;
}

/* /proc/PID/fd/N of a file with no name (a pipe) leads to the file's
 * inode itself, which opens as a new file of it (a pipe's fifo open);
 * one with a name is followed by its name. */
static int proc_jump(struct inode *ino, struct path *out)
{
	struct proc_node *n = ino->priv;
	struct fdtable *fdt;
	struct file *f;
	int err = -ENOENT;

	if (n->kind != P_FD)
		return -ENOENT;
	fdt = task_get_fdt(n->task);
	f = fdt ? fdt_get_file(fdt, n->fd) : NULL;
	fdtable_put(fdt);
	if (!f)
		return -ENOENT;
	if ((!f->path.d || f->path.mnt == &vfs_anon_mount) && f->inode->ops->open)
		err = vfs_anon_path(f->inode, out);
	file_put(f);
	return err;
}

static const struct inode_ops proc_inode_ops = {
	.lookup = proc_lookup,
	.readlink = proc_readlink,
	.jump = proc_jump,
	.open = proc_open,
	.release = proc_release,
	.generated = true,
};

struct dentry *procfs_new(void)
{
	struct inode *root = proc_inode(P_ROOT, S_IFDIR | 0555, NULL, 0);
	struct dentry *d;

	if (!root)
		return NULL;
	root->cacheable = true;	/* the root's own dentry; children are not cached */
	d = dentry_new_root(root);
	if (!d)
		inode_put(root);
	return d;
}
