/* /sys as programs read it: the CPU lists glibc parses for get_nprocs and
 * get_nprocs_conf (older versions counted the cpuN directories instead),
 * the attributes' stat, and how writes are refused. The CPU count differs between hosts,
 * so only relations are printed (the count agrees with get_nprocs, ...). */
#include "sctest.h"
#include "amber_cr.h"
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>

#define CPU_DIR "/sys/devices/system/cpu"
#define SYSFS_MAGIC 0x62656572
#define MAX_CPUS 4096

/* Reads path whole into buf (NUL-terminated); returns its length or -errno. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long len = 0, n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return n < 0 ? -errno : len;
}

/* Parses a Linux CPU list ("0-3,6,8-9\n") into set; returns how many CPUs
 * it names, or -1 if it is not one. */
static int parse_list(const char *s, bool *set)
{
	int count = 0;

	memset(set, 0, MAX_CPUS * sizeof(*set));
	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s || lo < 0 || lo >= MAX_CPUS)
			return -1;
		s = end;
		if (*s == '-') {
			hi = strtol(s + 1, &end, 10);
			if (end == s + 1 || hi < lo || hi >= MAX_CPUS)
				return -1;
			s = end;
		}
		for (long c = lo; c <= hi; c++)
			if (!set[c]) {
				set[c] = true;
				count++;
			}
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return s[0] == '\n' && s[1] == 0 ? count : -1;
}

static int list_count(const char *name, bool *set)
{
	char path[128], text[4096];

	snprintf(path, sizeof(path), CPU_DIR "/%s", name);
	if (slurp(path, text, sizeof(text)) < 0)
		return -1;
	return parse_list(text, set);
}

/* The cpuN directories of CPU_DIR, counted as glibc before 2.36 and
 * busybox's nproc --all do. */
static int count_cpu_dirs(void)
{
	DIR *d = opendir(CPU_DIR);
	struct dirent *e;
	int count = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *end;

		if (e->d_type == DT_DIR && strncmp(e->d_name, "cpu", 3) == 0 && e->d_name[3] &&
		    (strtoul(e->d_name + 3, &end, 10), *end == 0))
			count++;
	}
	closedir(d);
	return count;
}

/* The filesystem type mountinfo gives the mount on mnt, or "none". */
static void mountinfo_type(const char *mnt, char *out, size_t size)
{
	static char text[1 << 16];
	char *line, *save;

	snprintf(out, size, "none");
	if (slurp("/proc/self/mountinfo", text, sizeof(text)) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char point[256], type[64];
		const char *dash = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %*s %*s %255s", point) == 1 && strcmp(point, mnt) == 0 && dash &&
		    sscanf(dash + 3, "%63s", type) == 1)
			snprintf(out, size, "%s", type);
	}
}

static const char *kind(mode_t m)
{
	return S_ISDIR(m) ? "dir" : S_ISREG(m) ? "reg" : S_ISCHR(m) ? "chr" : S_ISLNK(m) ? "lnk" : "other";
}

static void describe(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		printf("%s: stat -%s\n", path, errname(errno));
		return;
	}
	printf("%s: %s mode %04o", path, kind(st.st_mode), st.st_mode & 07777);
	if (S_ISREG(st.st_mode))
		printf(" size %lld blocks %lld", (long long)st.st_size, (long long)st.st_blocks);
	printf("\n");
}

int main(void)
{
	static bool online[MAX_CPUS], possible[MAX_CPUS], present[MAX_CPUS];
	char text[4096], rest[4096], type[64];
	int n_online = list_count("online", online);
	int n_possible = list_count("possible", possible);
	int n_present = list_count("present", present);
	cpu_set_t aff;
	struct statfs sf;
	bool all = true;

	yesno("online is a CPU list", n_online > 0);
	yesno("possible is a CPU list", n_possible > 0);
	yesno("present is a CPU list", n_present > 0);
	yesno("get_nprocs agrees with online", get_nprocs() == n_online);
	yesno("sysconf(_SC_NPROCESSORS_ONLN) agrees with online", sysconf(_SC_NPROCESSORS_ONLN) == n_online);
	yesno("get_nprocs_conf agrees with possible or the cpuN directories",
	      get_nprocs_conf() == n_possible || get_nprocs_conf() == count_cpu_dirs());
	yesno("sysconf(_SC_NPROCESSORS_CONF) agrees", sysconf(_SC_NPROCESSORS_CONF) == get_nprocs_conf());
	for (int c = 0; c < MAX_CPUS; c++) {
		if (online[c] && (!possible[c] || !present[c]))
			all = false;
	}
	yesno("online CPUs are possible and present", all);
	all = true;
	for (int c = 0; c < MAX_CPUS; c++) {
		struct stat st;
		char path[64];

		snprintf(path, sizeof(path), CPU_DIR "/cpu%d", c);
		if (present[c] && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
			all = false;
	}
	yesno("every present CPU has its cpuN directory", all);
	CPU_ZERO(&aff);
	show("sched_getaffinity", sched_getaffinity(0, sizeof(aff), &aff) < 0 ? -errno : 0);
	yesno("affinity is within online", CPU_COUNT(&aff) >= 1 && CPU_COUNT(&aff) <= n_online);
	yesno("cpu0/topology/core_id is readable", slurp(CPU_DIR "/cpu0/topology/core_id", text, sizeof(text)) > 0);
	slurp(CPU_DIR "/kernel_max", text, sizeof(text));
	yesno("kernel_max covers possible", atoi(text) >= n_possible - 1);

	amber_cr_point();

	/* The attribute files: short reads and reads at an offset. */
	long len = slurp(CPU_DIR "/online", text, sizeof(text));
	int fd = open(CPU_DIR "/online", O_RDONLY);
	long got = 0, r;
	while ((r = read(fd, rest + got, 1)) == 1)
		got++;
	yesno("one byte at a time reads the same", got == len && memcmp(rest, text, (size_t)len) == 0);
	r = pread(fd, rest, sizeof(rest), 1);
	yesno("pread at 1 reads the rest", r == len - 1 && memcmp(rest, text + 1, (size_t)r) == 0);
	r = pread(fd, rest, sizeof(rest), 100000);
	show("pread past the end", r < 0 ? -errno : r);
	close(fd);

	describe("/sys");
	describe(CPU_DIR);
	describe(CPU_DIR "/online");
	describe(CPU_DIR "/cpu0");
	describe("/sys/fs/cgroup");
	describe("/sys/class");
	describe("/sys/bus");
	show("statfs /sys", statfs("/sys", &sf) < 0 ? -errno : 0);
	yesno("it is a sysfs", sf.f_type == SYSFS_MAGIC);
	mountinfo_type("/sys", type, sizeof(type));
	printf("mountinfo type of /sys: %s\n", type);
	yesno("transparent_hugepage/enabled shows a choice",
	      slurp("/sys/kernel/mm/transparent_hugepage/enabled", text, sizeof(text)) > 0 && strchr(text, '['));

	/* Writes: EACCES on a read-write sysfs (no attribute here can be
	 * stored), EROFS on a read-only mount; which one depends on how the
	 * host mounted its /sys. */
	r = open(CPU_DIR "/online", O_WRONLY);
	yesno("open online for writing is refused", r < 0 && (errno == EACCES || errno == EROFS));
	r = open("/sys/amber-new", O_WRONLY | O_CREAT, 0644);
	yesno("creating a file is refused", r < 0 && (errno == EACCES || errno == EROFS));
	r = mkdir("/sys/amber-new", 0755);
	yesno("mkdir is refused", r < 0 && (errno == EPERM || errno == EROFS));
	show("open online as a directory", sc(SYS_openat, AT_FDCWD, CPU_DIR "/online", O_RDONLY | O_DIRECTORY));
	show("open a missing attribute", sc(SYS_openat, AT_FDCWD, CPU_DIR "/amber-none", O_RDONLY));
	return 0;
}
