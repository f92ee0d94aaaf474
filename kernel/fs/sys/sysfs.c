/* /sys: what programs actually read from it, served by the sentry. The
 * layout follows gVisor's sysfs: the CPUs under devices/system/cpu, and
 * empty directories where Linux has device and driver trees that the
 * sandbox has no devices for (programs list them and find nothing) or
 * where other filesystems are mounted (fs/cgroup). Nothing is ever
 * writable, so a read-write mount differs from a read-only one only in
 * the error a write gets: EACCES instead of EROFS, as on Linux. */
#include "kernel/fs/sys/sysfs.h"
#include "kernel/fs/sys/internal.h"

#include <stddef.h>

static const char *const empty_dirs[] = {
	"block",
	"bus",
	"class/power_supply",
	"dev/block",
	"dev/char",
	"firmware",		/* maskedPaths of the default spec */
	"fs/cgroup",		/* the mount point for cgroupfs */
	"kernel",
	"module",
	"power",
};

static const struct {
	const char *path;
	const char *text;
} fixed_files[] = {
	/* jemalloc and others ask before using huge pages; the sandbox's
	 * memory is never backed by them. */
	{ "kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n" },
	{ "kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise madvise [never]\n" },
};

struct dentry *sysfs_new(void)
{
	/* Linux's /sys is dr-xr-xr-x; the directories below it are 0755. */
	struct inode *root = sys_dir_new(0555), *cpu;
	struct dentry *d;

	if (!root)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(empty_dirs); i++)
		if (!sys_mkdirs(root, empty_dirs[i]))
			goto err;
	for (size_t i = 0; i < ARRAY_SIZE(fixed_files); i++)
		if (sys_add_file(root, fixed_files[i].path, fixed_files[i].text) < 0)
			goto err;
	cpu = sys_mkdirs(root, "devices/system/cpu");
	if (!cpu || sys_cpu_populate(cpu) < 0)
		goto err;
	d = dentry_new_root(root);
	if (!d)
		goto err;
	return d;
err:
	inode_put(root);	/* and with it the tree built so far */
	return NULL;
}
