/* The gofer's confinement: before it serves, the gofer process takes a
 * mount namespace of its own whose root is what it serves and nothing
 * else, so that no path it could be led to follow (an absolute symlink,
 * "..", a magic link) reaches a host file outside it. openat2's
 * RESOLVE_BENEATH in server.c stays the first line of defence; this is the
 * second, the one a mistake in the first cannot get past.
 *
 * The served tree is cloned (open_tree) and attached on top of itself,
 * then made the root with the pivot_root(".", ".") idiom, and the old root
 * is detached with every host mount under it. The calls take fds rather
 * than paths from the first open on, so nothing is looked up twice. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
/* glibc 2.36 and later declare the new mount API in <sys/mount.h> (and
 * clash with <linux/mount.h> where they do); older ones have only this. */
#ifndef OPEN_TREE_CLONE
#include <linux/mount.h>
#endif

/* What serving needs of root's powers, and no more: the sentry decides
 * who may do what, and the gofer carries it out on files of any owner.
 * CAP_DAC_READ_SEARCH is left out on purpose: it is what open_by_handle_at
 * needs to reach a file by its handle, outside any root. CAP_SYS_ADMIN
 * goes too, so trusted.* attributes read as absent, as in a container
 * with Docker's default capabilities. */
#define GOFER_KEEP_CAPS ((1u << CAP_CHOWN) | (1u << CAP_DAC_OVERRIDE) | \
			 (1u << CAP_FOWNER) | (1u << CAP_FSETID))

/* Says in err what failed, for what was to be served; returns ret. */
static int confine_fail(char *err, size_t errlen, int ret, const char *what, const char *path,
			const char *file)
{
	if (err && errlen)
		snprintf(err, errlen, "%s %s%s%s", what, path, file ? "/" : "", file ? file : "");
	return ret;
}

/* Sets MOUNT_ATTR_RDONLY on the mount fd names (and, with AT_RECURSIVE in
 * flags, on every mount beneath it). Before Linux 5.12 there is no
 * mount_setattr, and the read-only mount is left out: the gofer refuses
 * writes itself, so this is a second layer, not the only one. */
static int confine_readonly(int fd, unsigned int flags)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | flags, &attr, sizeof(attr)) == 0)
		return 0;
	return errno == ENOSYS ? 0 : -errno;
}

/* A recursive bind of the directory dir_fd names, attached on top of it.
 * Recursive because its submounts are part of what is served: openat2
 * crosses into them beneath the root as well. Returns an fd for the new
 * mount's root, or -errno with *what saying which step failed. */
static int confine_dir(int dir_fd, bool readonly, const char **what)
{
	int tree, ret;

	*what = "clone the mount tree of";
	tree = (int)syscall(SYS_open_tree, dir_fd, "",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0)
		return -errno;
	*what = "make read-only";
	ret = readonly ? confine_readonly(tree, AT_RECURSIVE) : 0;
	if (ret < 0)
		goto err_tree;
	*what = "attach the clone of";
	if (syscall(SYS_move_mount, tree, "", dir_fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		ret = -errno;
		goto err_tree;
	}
	return tree;

err_tree:
	close(tree);
	return ret;
}

/* For a file bind mount: an empty tmpfs, attached on top of the directory
 * dir_fd names, holding one entry, name, that is a bind mount of the file
 * of that name in the directory. The wire's paths stay what they were (the
 * sentry asks for "name" beneath the root), but the file's siblings, which
 * a gofer serving the directory would hand out if asked, are gone. The
 * tmpfs is then made read-only, so nothing can be created beside the file;
 * the file keeps its own mount, read-only only with readonly. Returns an fd
 * for the tmpfs's root, or -errno with *what set. */
static int confine_file(int dir_fd, const char *name, bool readonly, const char **what)
{
	struct stat st;
	int file, fs, top = -1, mp, ret;

	*what = "serve one file (a single name, not . or ..):";
	if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	/* The name is looked up once, here; the mount it makes pins that
	 * very file from then on. */
	*what = "clone the mount of";
	file = (int)syscall(SYS_open_tree, dir_fd, name,
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (file < 0)
		return -errno;
	if (fstat(file, &st) < 0) {
		ret = -errno;
		goto err_file;
	}
	/* create saw a file there; a symlink or directory now is not one. */
	ret = S_ISDIR(st.st_mode) ? -EISDIR : S_ISLNK(st.st_mode) ? -ELOOP : 0;
	if (ret < 0)
		goto err_file;
	*what = "make read-only";
	ret = readonly ? confine_readonly(file, 0) : 0;
	if (ret < 0)
		goto err_file;

	/* A few inodes and no data: it holds one empty mount point. */
	*what = "make the tmpfs to hold";
	fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0) {
		ret = -errno;
		goto err_file;
	}
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "nr_inodes", "4", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		ret = -errno;
		goto err_fs;
	}
	top = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
			   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (top < 0) {
		ret = -errno;
		goto err_fs;
	}
	/* Attached before the file is mounted in it: mounting on a tree
	 * that is not attached anywhere needs Linux 6.15. */
	*what = "attach the tmpfs to hold";
	if (syscall(SYS_move_mount, top, "", dir_fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		ret = -errno;
		goto err_top;
	}
	*what = "make the mount point of";
	mp = openat(top, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (mp < 0) {
		ret = -errno;
		goto err_top;
	}
	close(mp);
	*what = "mount";
	if (syscall(SYS_move_mount, file, "", top, name, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		ret = -errno;
		goto err_top;
	}
	*what = "make read-only the tmpfs holding";
	ret = confine_readonly(top, 0);
	if (ret < 0)
		goto err_top;
	close(fs);
	close(file);
	return top;

err_top:
	close(top);
err_fs:
	close(fs);
err_file:
	close(file);
	return ret;
}

/* Makes the mount whose root top names this process's root, and detaches
 * the old root. pivot_root(".", ".") stacks the old root on top of the
 * new one at "/"; the umount takes it, and with it every host mount, off
 * the tree, for this process and any it could start. */
static int confine_pivot(int top)
{
	if (fchdir(top) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

/* Keeps GOFER_KEEP_CAPS of the effective and permitted sets and clears
 * the inheritable one. The bounding and ambient sets stay: they matter
 * only across an execve, which the gofer never makes (seccomp). */
static int confine_drop_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	data[0].effective &= GOFER_KEEP_CAPS;
	data[0].permitted &= GOFER_KEEP_CAPS;
	data[0].inheritable = 0;
	for (int i = 1; i < _LINUX_CAPABILITY_U32S_3; i++)
		data[i].effective = data[i].permitted = data[i].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* See gofer.h. */
int gofer_confine(const char *path, const char *file, bool readonly, char *err, size_t errlen)
{
	const char *what = "open";
	int dir_fd, top, root_fd, ret;

	/* glibc reads the time zone file at its first use, for a log line;
	 * read the host's now, before the container's /etc is all there is. */
	tzset();
	if (unshare(CLONE_NEWNS) < 0)
		return confine_fail(err, errlen, -errno, "unshare the mount namespace to serve", path, file);
	/* A slave receives mounts and never sends one: nothing done here
	 * reaches the host, while what the runtime's hooks mount into the
	 * rootfs after the gofer started still shows, as it would for a
	 * gofer in the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return confine_fail(err, errlen, -errno, "stop mount propagation to the host, serving",
				    path, file);
	/* Opened in the new namespace: the mount calls refuse another's. */
	dir_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return confine_fail(err, errlen, -errno, what, path, NULL);
	top = file ? confine_file(dir_fd, file, readonly, &what) : confine_dir(dir_fd, readonly, &what);
	if (top < 0) {
		ret = top;
		goto err_dir;
	}
	what = "pivot_root to serve";
	ret = confine_pivot(top);
	/* top is the new root, opened again below as "/"; dir_fd names a
	 * place in the old tree, now detached, which must not stay open. */
	close(top);
	if (ret < 0)
		goto err_dir;
	close(dir_fd);

	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return confine_fail(err, errlen, -errno, "open the new root, serving", path, file);
	ret = confine_drop_caps();
	if (ret < 0) {
		close(root_fd);
		return confine_fail(err, errlen, ret, "drop capabilities, serving", path, file);
	}
	return root_fd;

err_dir:
	close(dir_fd);
	return confine_fail(err, errlen, ret, what, path, file);
}
