/* /sys/devices/system/cpu: the sandbox's CPUs, numbered from 0 with no
 * gaps, in the formats Linux prints. What reads it: glibc's get_nprocs
 * and sysconf(_SC_NPROCESSORS_ONLN) (so python's os.cpu_count) parse
 * "online", its get_nprocs_conf "possible" (before 2.36 it counted the
 * cpuN directories, as busybox's nproc --all still does); lscpu and hwloc
 * read the topology. As in gVisor, each
 * CPU is a core of its own and all are in one package. */
#include "kernel/fs/sys/internal.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

/* sched_getaffinity (kernel/syscalls/sys_info.c) reports at most this many. */
#define SYS_MAX_CPUS 1024
/* glibc asks the host for this many when it counts an affinity mask. */
#define AFFINITY_BITS 32768

/* The count sched_getaffinity gives the sandbox. sys_info.c takes it from
 * glibc's sysconf which, its reads of /sys and /proc refused by the
 * sentry's seccomp filter, counts the sentry's affinity mask. Counting the
 * mask here gives the same number before the filter is installed too
 * (runsc do builds this tree while the host's /sys is still readable). */
static unsigned int cpu_count(void)
{
	size_t size = CPU_ALLOC_SIZE(AFFINITY_BITS);
	cpu_set_t *set = CPU_ALLOC(AFFINITY_BITS);
	int n = 1;

	if (set && sched_getaffinity(0, size, set) == 0)
		n = CPU_COUNT_S(size, set);
	if (set)
		CPU_FREE(set);
	return n < 1 ? 1 : n > SYS_MAX_CPUS ? SYS_MAX_CPUS : (unsigned int)n;
}

/* CPUs first..last as a list, as Linux's "%*pbl" prints them: "0", "0-3". */
static void format_list(char *buf, size_t size, unsigned int first, unsigned int last)
{
	if (first == last)
		snprintf(buf, size, "%u\n", first);
	else
		snprintf(buf, size, "%u-%u\n", first, last);
}

/* CPUs first..last as a mask of nbits, as Linux's "%*pb" prints it: 32-bit
 * hex words, the most significant first, separated by commas, the first
 * word only as wide as the bits left for it ("3" for CPUs 0-1 of 2,
 * "01" for CPU 0 of 8, "ff,ffffffff" for 40 CPUs). */
static void format_mask(char *buf, size_t size, unsigned int nbits, unsigned int first, unsigned int last)
{
	unsigned int words = (nbits + 31) / 32;
	size_t len = 0;

	for (unsigned int w = words; w-- > 0;) {
		unsigned int lo = w * 32, width = w == words - 1 ? nbits - lo : 32;
		uint32_t val = 0;

		for (unsigned int b = 0; b < width; b++)
			if (lo + b >= first && lo + b <= last)
				val |= 1u << b;
		len += (size_t)snprintf(buf + len, size - len, "%s%0*x", w == words - 1 ? "" : ",",
					(int)((width + 3) / 4), val);
	}
	snprintf(buf + len, size - len, "\n");
}

/* The files of cpuN/topology that name other CPUs. */
static const struct topology_file {
	const char *name;
	bool package;	/* all the CPUs of the package, or only this one */
	bool list;	/* as a list, or a mask */
} topology_files[] = {
	{ "core_cpus", false, false },
	{ "core_cpus_list", false, true },
	{ "thread_siblings", false, false },
	{ "thread_siblings_list", false, true },
	{ "core_siblings", true, false },
	{ "core_siblings_list", true, true },
	{ "package_cpus", true, false },
	{ "package_cpus_list", true, true },
};

static int add_cpu(struct inode *dir, unsigned int cpu, unsigned int n)
{
	char name[32], text[512];
	struct inode *topo;
	int err;

	snprintf(name, sizeof(name), "cpu%u/topology", cpu);
	topo = sys_mkdirs(dir, name);
	if (!topo)
		return -ENOMEM;
	snprintf(text, sizeof(text), "%u\n", cpu);
	err = sys_add_file(topo, "core_id", text);
	if (err == 0)
		err = sys_add_file(topo, "physical_package_id", "0\n");
	for (size_t i = 0; err == 0 && i < ARRAY_SIZE(topology_files); i++) {
		const struct topology_file *t = &topology_files[i];
		unsigned int first = t->package ? 0 : cpu, last = t->package ? n - 1 : cpu;

		if (t->list)
			format_list(text, sizeof(text), first, last);
		else
			format_mask(text, sizeof(text), n, first, last);
		err = sys_add_file(topo, t->name, text);
	}
	return err;
}

int sys_cpu_populate(struct inode *dir)
{
	static const char *const all_cpus[] = { "online", "possible", "present" };
	unsigned int n = cpu_count();
	char text[32];
	int err = 0;

	format_list(text, sizeof(text), 0, n - 1);
	for (size_t i = 0; err == 0 && i < ARRAY_SIZE(all_cpus); i++)
		err = sys_add_file(dir, all_cpus[i], text);
	/* No CPU is ever offline or isolated: Linux prints an empty line. */
	if (err == 0)
		err = sys_add_file(dir, "offline", "\n");
	if (err == 0)
		err = sys_add_file(dir, "isolated", "\n");
	snprintf(text, sizeof(text), "%u\n", SYS_MAX_CPUS - 1);
	if (err == 0)
		err = sys_add_file(dir, "kernel_max", text);
	for (unsigned int cpu = 0; err == 0 && cpu < n; cpu++)
		err = add_cpu(dir, cpu, n);
	return err;
}
