#include "kernel/kernel.h"
#include "kernel/fs/dev/devfs.h"
#include "kernel/fs/gofer/gofer_fs.h"
#include "kernel/fs/host/host_file.h"
#include "kernel/fs/proc/procfs.h"
#include "kernel/fs/sys/sysfs.h"
#include "kernel/fs/tmpfs/tmpfs.h"
#include "kernel/lib/log.h"
#include "kernel/time/timekeeper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEMFILE_MAX_SIZE (64ULL << 30)

static struct memfile memfile;

/* Mounts root on the directory name of the root filesystem, if present. */
static int mount_on(struct dentry *rootfs, const char *name, struct dentry *root, const char *type)
{
	struct path r = { vfs_root_mount, rootfs }, mp;
	int err = vfs_lookup(&r, &r, name, LOOKUP_DIRECTORY, &mp);

	if (err < 0) {
		log_info("no /%s directory to mount %s on: %d", name, type, err);
		return 0;
	}
	if (!vfs_mount(vfs_root_mount, mp.d, root, type, type, 0)) {
		path_put(&mp);
		return -ENOMEM;
	}
	path_put(&mp);
	return 0;
}

int kernel_init(struct gofer_client *gofer, bool root_readonly, const char *hostname)
{
	struct dentry *root, *proc, *dev, *sys;
	struct timespec now;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &now);
	sandbox.boot_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
	sandbox.hostname = hostname;
	err = memfile_init(&memfile, MEMFILE_MAX_SIZE);
	if (err < 0)
		return err;
	sentry_memfile = &memfile;
	err = platform->init(memfile.fd);
	if (err < 0)
		return err;
	err = tk_init();
	if (err < 0)
		return err;
	/* The gofer serves the root writable so that mount points can be
	 * made at start-up; root.readonly is the mount's flag, which every
	 * path that changes a file checks. */
	err = gofer_fs_mount(gofer, false, &root);
	if (err < 0)
		return err;
	gofer_fs_root_client = gofer;
	vfs_root_mount = vfs_mount(NULL, NULL, root, "9p", "/", root_readonly ? MS_RDONLY : 0);
	if (!vfs_root_mount)
		return -ENOMEM;
	sandbox.root.mnt = vfs_root_mount;
	sandbox.root.d = root;
	proc = procfs_new();
	dev = devfs_new();
	/* A sysfs on /sys even when nobody asks for one (runsc do, a spec
	 * without it): the runtime spec says /proc and /sys SHOULD be there,
	 * and gVisor mounts both. Read-write like Linux's own; a spec's
	 * sysfs entry sets the flag (kernel_mount_sysfs). */
	sys = sysfs_new();
	if (!proc || !dev || !sys) {
		err = -ENOMEM;
		goto out;
	}
	err = mount_on(root, "proc", proc, "proc");
	if (err == 0)
		err = mount_on(root, "dev", dev, "devtmpfs");
	if (err == 0)
		err = mount_on(root, "sys", sys, SYSFS_TYPE);
out:
	dentry_put(proc);
	dentry_put(dev);
	dentry_put(sys);
	return err;
}

/* Looks up a mount point, creating it (directories along the way, and a
 * directory or an empty file at the end) when it is missing, as runc
 * does; a read-only parent gives the lookup's error. */
static int mountpoint(const char *dest, bool dir, struct path *out)
{
	char buf[PATH_MAX];
	size_t len = strlen(dest);
	int err = vfs_lookup(&sandbox.root, &sandbox.root, dest, LOOKUP_FOLLOW | (dir ? LOOKUP_DIRECTORY : 0), out);

	if (err != -ENOENT)
		return err;
	if (len >= sizeof(buf) || dest[0] != '/')
		return -ENAMETOOLONG;
	memcpy(buf, dest, len + 1);
	for (char *p = buf + 1;; p++) {
		bool last = !*p;
		char save = *p;
		struct path parent, cur;
		const char *name;

		if (*p != '/' && !last)
			continue;
		*p = 0;
		if (vfs_lookup(&sandbox.root, &sandbox.root, buf, LOOKUP_FOLLOW, &cur) == 0) {
			path_put(&cur);
		} else {
			char *slash = strrchr(buf, '/');
			*slash = 0;
			err = vfs_lookup(&sandbox.root, &sandbox.root, *buf ? buf : "/", LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
					 &parent);
			*slash = '/';
			if (err < 0)
				return err;
			name = slash + 1;
			/* Like runc, mount points are made before the root is
			 * read-only for the application (the mount flag). */
			if (last && !dir)
				err = parent.d->inode->ops->create ? parent.d->inode->ops->create(parent.d->inode, name, 0644)
								   : -ENOENT;
			else
				err = parent.d->inode->ops->mkdir ? parent.d->inode->ops->mkdir(parent.d->inode, name, 0755)
								  : -ENOENT;
			dentry_invalidate(parent.d, name);
			path_put(&parent);
			if (err < 0 && err != -EEXIST)
				return err;
		}
		*p = save;
		if (last)
			break;
	}
	return vfs_lookup(&sandbox.root, &sandbox.root, dest, LOOKUP_FOLLOW | (dir ? LOOKUP_DIRECTORY : 0), out);
}

int kernel_mount_gofer(struct gofer_client *gofer, const char *dest, bool readonly)
{
	struct dentry *root;
	struct path mp;
	int err = mountpoint(dest, true, &mp);

	if (err < 0)
		return err;
	err = gofer_fs_mount(gofer, readonly, &root);
	if (err == 0 && !vfs_mount(mp.mnt, mp.d, root, "bind", dest, readonly ? MS_RDONLY : 0))
		err = -ENOMEM;
	if (err == 0)
		dentry_put(root);
	path_put(&mp);
	return err;
}

int kernel_mount_gofer_file(struct gofer_client *gofer, const char *dest, const char *name, bool readonly)
{
	struct dentry *root, *file = NULL;
	struct path mp, r;
	int err = gofer_fs_mount(gofer, readonly, &root);

	if (err < 0)
		return err;
	r.mnt = vfs_root_mount;
	r.d = root;
	{
		struct path fp;
		err = vfs_lookup(&r, &r, name, 0, &fp);
		if (err == 0) {
			file = fp.d;
			if (S_ISDIR(file->inode->stx.stx_mode))
				err = -EISDIR;
		}
	}
	if (err == 0)
		err = mountpoint(dest, false, &mp);
	if (err == 0) {
		if (S_ISDIR(mp.d->inode->stx.stx_mode))
			err = -EISDIR;
		else if (!vfs_mount(mp.mnt, mp.d, file, "bind", dest, readonly ? MS_RDONLY : 0))
			err = -ENOMEM;
		path_put(&mp);
	}
	if (file)
		dentry_put(file);
	dentry_put(root);
	return err;
}

int kernel_mount_tmpfs(const char *dest, uint64_t size, unsigned int mode)
{
	struct dentry *root;
	struct path mp;
	int err = mountpoint(dest, true, &mp);

	if (err < 0)
		return err;
	root = tmpfs_new(size, mode);
	if (!root || !vfs_mount(mp.mnt, mp.d, root, "tmpfs", "tmpfs", 0))
		err = -ENOMEM;
	if (root)
		dentry_put(root);
	path_put(&mp);
	return err;
}

int kernel_mount_sysfs(const char *dest, bool readonly)
{
	struct dentry *root;
	struct path mp;
	int err = mountpoint(dest, true, &mp);

	if (err < 0)
		return err;
	if (mp.d == mp.mnt->root && strcmp(mp.mnt->fstype, SYSFS_TYPE) == 0) {
		/* kernel_init's: no task runs yet to see the flag change. */
		mp.mnt->flags = (mp.mnt->flags & ~MS_RDONLY) | (readonly ? MS_RDONLY : 0);
		path_put(&mp);
		return 0;
	}
	root = sysfs_new();
	if (!root || !vfs_mount(mp.mnt, mp.d, root, SYSFS_TYPE, SYSFS_TYPE, readonly ? MS_RDONLY : 0))
		err = -ENOMEM;
	if (root)
		dentry_put(root);
	path_put(&mp);
	return err;
}

int kernel_mask_path(const char *path)
{
	struct dentry *root;
	struct path mp;
	int err = vfs_lookup(&sandbox.root, &sandbox.root, path, 0, &mp);

	if (err == -ENOENT || err == -ENOTDIR)
		return 0;
	if (err < 0)
		return err;
	if (S_ISDIR(mp.d->inode->stx.stx_mode)) {
		root = tmpfs_new(PAGE_SIZE, 0555);
	} else {
		struct inode *null = devfs_null_inode();
		root = dentry_new_root(null);
		if (!root)
			inode_put(null);
	}
	if (!root || !vfs_mount(mp.mnt, mp.d, root, "tmpfs", "mask", MS_RDONLY))
		err = -ENOMEM;
	if (root)
		dentry_put(root);
	path_put(&mp);
	return err;
}

int kernel_readonly_path(const char *path)
{
	struct path mp;
	int err = vfs_lookup(&sandbox.root, &sandbox.root, path, LOOKUP_FOLLOW, &mp);

	if (err == -ENOENT || err == -ENOTDIR)
		return 0;
	if (err < 0)
		return err;
	if (!vfs_mount(mp.mnt, mp.d, mp.d, mp.mnt->fstype, path, MS_RDONLY))
		err = -ENOMEM;
	path_put(&mp);
	return err;
}

struct task *kernel_new_init_task(const int stdio[3], const char *cwd)
{
	struct task *t = task_new_initial();
	struct path cwd_path;

	if (!t)
		return NULL;
	t->fdt = fdtable_new();
	if (!t->fdt)
		goto err;
	if (!cwd || vfs_lookup(&sandbox.root, &sandbox.root, cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &cwd_path) < 0) {
		cwd_path = sandbox.root;
		path_get(&cwd_path);
	}
	t->fs = fs_ctx_new(&sandbox.root, &cwd_path);
	path_put(&cwd_path);
	if (!t->fs)
		goto err;
	for (int i = 0; i < 3; i++) {
		struct file *f;
		int fl;

		if (stdio[i] < 0)
			continue;
		fl = fcntl(stdio[i], F_GETFL);
		f = host_file_new(stdio[i], fl < 0 ? O_RDWR : fl);
		if (!f) {
			close(stdio[i]);
			goto err;
		}
		host_file_set_stdio(f, i);
		if (fd_replace(t, i, f, false) < 0) {
			file_put(f);
			goto err;
		}
		file_put(f);
	}
	return t;
err:
	task_put(t);
	return NULL;
}

static int check_program(struct task *t, const char *path)
{
	struct path p;
	struct statx stx;
	int err = task_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);

	if (err < 0)
		return err;
	err = inode_stat(p.d->inode, &stx);
	path_put(&p);
	if (err < 0)
		return err;
	if (S_ISDIR(stx.stx_mode))
		return -EACCES;
	return (stx.stx_mode & 0111) ? 0 : -EACCES;
}

int kernel_find_program(struct task *t, const char *name, char *const envp[], char *out, size_t size)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	int err = -ENOENT, r;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, size, "%s", name) >= size)
			return -ENAMETOOLONG;
		return 0;
	}
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	while (path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);

		if ((size_t)snprintf(out, size, "%.*s%s%s", (int)len, path, len ? "/" : "", name) < size) {
			r = check_program(t, out);
			if (r == 0)
				return 0;
			/* Like execvp: EACCES is remembered, the search goes on. */
			if (r == -EACCES)
				err = -EACCES;
		}
		path = end ? end + 1 : NULL;
	}
	return err;
}
