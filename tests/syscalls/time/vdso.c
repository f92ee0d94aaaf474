/* The vDSO: AT_SYSINFO_EHDR names an ELF exporting Linux's five functions
 * as LINUX_2.6; each of them, called directly and through libc, gives the
 * system call's answers (the same errors, resolutions, plausible and
 * ordered times) for every clock id; [vdso] and [vvar] in /proc/self/maps;
 * the data page refuses write and exec. Across a checkpoint the clocks go
 * on. Only relations and errors are printed, never times. */
#include "sctest.h"
#include "amber_cr.h"
#include <elf.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

typedef int (*cgt_fn)(clockid_t, struct timespec *);
typedef int (*gtod_fn)(struct timeval *, struct timezone *);
typedef long (*time_fn)(long *);
typedef int (*getcpu_fn)(unsigned *, unsigned *, void *);

static cgt_fn vdso_gettime, vdso_getres;
static gtod_fn vdso_gettimeofday;
static time_fn vdso_time;
static getcpu_fn vdso_getcpu;

/* A function of the vDSO by name and version, as Linux's
 * tools/testing/selftests/vDSO/parse_vdso.c finds it: DT_HASH gives the
 * number of symbols, DT_VERSYM and DT_VERDEF their versions. */
static void *vdso_sym(const char *name, const char *version)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR), load = 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Sym *syms = NULL;
	const char *strs = NULL;
	const Elf32_Word *hash = NULL;
	const Elf64_Versym *versym = NULL;
	const Elf64_Verdef *verdef = NULL;
	bool have_load = false;

	if (!base)
		return NULL;
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: syms = (const Elf64_Sym *)(load + dyn->d_un.d_ptr); break;
		case DT_STRTAB: strs = (const char *)(load + dyn->d_un.d_ptr); break;
		case DT_HASH: hash = (const Elf32_Word *)(load + dyn->d_un.d_ptr); break;
		case DT_VERSYM: versym = (const Elf64_Versym *)(load + dyn->d_un.d_ptr); break;
		case DT_VERDEF: verdef = (const Elf64_Verdef *)(load + dyn->d_un.d_ptr); break;
		}
	}
	if (!syms || !strs || !hash || !versym || !verdef)
		return NULL;
	for (Elf32_Word i = 0; i < hash[1]; i++) {
		const Elf64_Sym *s = &syms[i];
		const Elf64_Verdef *d = verdef;

		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF || strcmp(strs + s->st_name, name))
			continue;
		for (;;) {
			if (!(d->vd_flags & VER_FLG_BASE) && (d->vd_ndx & 0x7fff) == (versym[i] & 0x7fff)) {
				const Elf64_Verdaux *aux = (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
				if (strcmp(strs + aux->vda_name, version) == 0)
					return (void *)(load + s->st_value);
			}
			if (!d->vd_next)
				break;
			d = (const Elf64_Verdef *)((const char *)d + d->vd_next);
		}
	}
	return NULL;
}

static void check_image(void)
{
	const unsigned char *p = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)p;
	static const char *const names[] = { "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time",
					     "__vdso_clock_getres", "__vdso_getcpu", "clock_gettime",
					     "gettimeofday", "time", "clock_getres", "getcpu" };

	yesno("AT_SYSINFO_EHDR present", p != NULL);
	if (!p)
		exit(1);
	yesno("it is an x86-64 ELF shared object",
	      memcmp(p, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_type == ET_DYN &&
	      eh->e_machine == EM_X86_64);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char what[80];
		snprintf(what, sizeof(what), "exports %s@LINUX_2.6", names[i]);
		yesno(what, vdso_sym(names[i], "LINUX_2.6") != NULL);
	}
	vdso_gettime = (cgt_fn)vdso_sym("__vdso_clock_gettime", "LINUX_2.6");
	vdso_getres = (cgt_fn)vdso_sym("__vdso_clock_getres", "LINUX_2.6");
	vdso_gettimeofday = (gtod_fn)vdso_sym("__vdso_gettimeofday", "LINUX_2.6");
	vdso_time = (time_fn)vdso_sym("__vdso_time", "LINUX_2.6");
	vdso_getcpu = (getcpu_fn)vdso_sym("__vdso_getcpu", "LINUX_2.6");
	if (!vdso_gettime || !vdso_getres || !vdso_gettimeofday || !vdso_time || !vdso_getcpu)
		exit(1);
}

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

enum kind { FINE, COARSE, CPU, BAD };

static const struct {
	clockid_t id;
	const char *name;
	enum kind kind;
} clocks[] = {
	{ CLOCK_REALTIME, "REALTIME", FINE },
	{ CLOCK_MONOTONIC, "MONOTONIC", FINE },
	{ CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW", FINE },
	{ CLOCK_BOOTTIME, "BOOTTIME", FINE },
	{ CLOCK_TAI, "TAI", FINE },
	{ CLOCK_REALTIME_COARSE, "REALTIME_COARSE", COARSE },
	{ CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE", COARSE },
	{ CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID", CPU },
	{ CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID", CPU },
	{ 10, "unused id 10", BAD },
	{ 100, "bad id 100", BAD },
};

/* Three reads in a row, through the vDSO, libc and the system call: in
 * order, and none goes back over 100000 more reads (or 50 ms of them
 * where they are system calls). The vDSO's and the kernel's clock are one
 * clock. */
static bool ordered(clockid_t id, struct timespec *a)
{
	struct timespec b, c, prev, start;

	vdso_gettime(id, a);
	clock_gettime(id, &b);
	sc(SYS_clock_gettime, id, &c);
	if (ns(*a) > ns(b) || ns(b) > ns(c))
		return false;
	prev = c;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < 100000; i++) {
		struct timespec n;

		if (vdso_gettime(id, &n) || ns(n) < ns(prev))
			return false;
		prev = n;
		if (i % 1000 == 999 && !clock_gettime(CLOCK_MONOTONIC, &n) && ns(n) - ns(start) > 50000000LL)
			break;
	}
	return true;
}

/* A CPU-time clock moves on over 20 ms of computation and system calls.
 * (Amber's CPU-time clocks are the sentry process's CPU time, a known
 * approximation: they count the sentry's work for the program, not the
 * program's own computation, and may step back a little when a sentry
 * thread ends; so the work includes system calls, and the clocks' order
 * is not checked.) */
static bool advances(clockid_t id)
{
	struct timespec a, b, start, now;
	volatile unsigned long x = 0;

	vdso_gettime(id, &a);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
		syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (ns(now) - ns(start) < 20000000LL);
	vdso_gettime(id, &b);
	return ns(b) > ns(a);
}

/* One clock through the vDSO, libc and the system call: the same result
 * and resolution, a plausible time. */
static void check_clock(clockid_t id, const char *name, enum kind kind)
{
	struct timespec a = { 0, 0 }, b = { 0, 0 }, c = { 0, 0 }, res = { 0, 0 };
	long ra = vdso_gettime(id, &a), rb = clock_gettime(id, &b) ? -errno : 0;
	long rc = sc(SYS_clock_gettime, id, &c);
	char what[96];

	snprintf(what, sizeof(what), "%s: vdso", name);
	show(what, ra);
	snprintf(what, sizeof(what), "%s: libc", name);
	show(what, rb);
	snprintf(what, sizeof(what), "%s: syscall", name);
	show(what, rc);
	snprintf(what, sizeof(what), "%s: getres vdso", name);
	show(what, vdso_getres(id, &res));
	if (ra == 0) {
		printf("%s: resolution %ld s %ld ns\n", name, (long)res.tv_sec, res.tv_nsec);
		snprintf(what, sizeof(what), "%s: getres NULL", name);
		show(what, vdso_getres(id, NULL));
	}
	if (ra != 0 || rb != 0 || rc != 0)
		return;
	snprintf(what, sizeof(what), "%s: tv_nsec in range", name);
	yesno(what, a.tv_nsec >= 0 && a.tv_nsec < 1000000000L && b.tv_nsec >= 0 && b.tv_nsec < 1000000000L);
	if (kind == CPU) {
		snprintf(what, sizeof(what), "%s: advances", name);
		yesno(what, advances(id));
		return;
	}
	snprintf(what, sizeof(what), "%s: in order, never goes back", name);
	yesno(what, ordered(id, &a));
	snprintf(what, sizeof(what), "%s: after 1970", name);
	yesno(what, ns(a) > 0);
	if (kind == COARSE) {
		struct timespec fine;

		clock_gettime(id == CLOCK_REALTIME_COARSE ? CLOCK_REALTIME : CLOCK_MONOTONIC, &fine);
		vdso_gettime(id, &a);
		snprintf(what, sizeof(what), "%s: not after the fine clock, within 100 ms of it", name);
		yesno(what, ns(a) <= ns(fine) + ns(res) && ns(fine) - ns(a) < 100000000LL);
	}
}

static void check_clocks(void)
{
	struct timespec rt, mono, boot;
	struct timeval tv, tv2;
	struct timezone tz;
	long t1, t2;
	unsigned cpu = ~0u, node = ~0u;
	cpu_set_t set;

	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++)
		check_clock(clocks[i].id, clocks[i].name, clocks[i].kind);

	vdso_gettime(CLOCK_MONOTONIC, &mono);
	vdso_gettime(CLOCK_BOOTTIME, &boot);
	yesno("BOOTTIME >= MONOTONIC", ns(boot) >= ns(mono));

	show("gettimeofday vdso", vdso_gettimeofday(&tv, &tz));
	vdso_gettime(CLOCK_REALTIME, &rt);
	show("gettimeofday libc", gettimeofday(&tv2, NULL) ? -errno : 0);
	show("gettimeofday vdso NULL NULL", vdso_gettimeofday(NULL, NULL));
	yesno("gettimeofday within 5 ms of REALTIME",
	      llabs((tv.tv_sec * 1000000LL + tv.tv_usec) - ns(rt) / 1000) < 5000 &&
	      llabs((tv2.tv_sec * 1000000LL + tv2.tv_usec) - ns(rt) / 1000) < 5000);
	yesno("tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);

	t1 = vdso_time(&t2);
	vdso_gettime(CLOCK_REALTIME, &rt);
	yesno("time stores what it returns", t1 == t2);
	yesno("time within 1 s of REALTIME", labs(t1 - (long)rt.tv_sec) <= 1);
	yesno("time libc within 1 s of REALTIME", labs((long)time(NULL) - (long)rt.tv_sec) <= 1);
	show("time vdso NULL > 2020", vdso_time(NULL) > 1577836800L);

	show("getcpu vdso", vdso_getcpu(&cpu, &node, NULL));
	sched_getaffinity(0, sizeof(set), &set);
	yesno("getcpu: a CPU this process may run on", cpu < (unsigned)CPU_COUNT(&set));
	/* This host has one NUMA node. */
	yesno("getcpu: node 0", node == 0);
	show("getcpu vdso NULL NULL", vdso_getcpu(NULL, NULL, NULL));
	show("sched_getcpu in range", sched_getcpu() >= 0 && sched_getcpu() < CPU_COUNT(&set));
	cpu = ~0u;
	show("getcpu syscall", sc(SYS_getcpu, &cpu, NULL, NULL));
	yesno("getcpu syscall: a CPU this process may run on", cpu < (unsigned)CPU_COUNT(&set));
	show("getcpu syscall bad pointer", sc(SYS_getcpu, KERNEL_PTR, NULL, NULL));
}

/* [vvar] and [vdso] in /proc/self/maps: present, r--p and r-xp, the data
 * right below the text (Linux puts one more [vvar_vclock] between). */
static void check_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long vs = 0, ve = 0, ds = 0, de = 0;
	char line[512], vperm[5] = "", dperm[5] = "";

	if (!f) {
		show("open /proc/self/maps", -errno);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, " [vdso]\n"))
			sscanf(line, "%lx-%lx %4s", &vs, &ve, vperm);
		else if (strstr(line, " [vvar]\n"))
			sscanf(line, "%lx-%lx %4s", &ds, &de, dperm);
	}
	fclose(f);
	yesno("maps: [vdso] present", ve > vs);
	printf("maps: [vdso] %s\n", vperm);
	yesno("maps: [vvar] present", de > ds);
	printf("maps: [vvar] %s\n", dperm);
	yesno("maps: [vvar] right below [vdso]", de <= vs && vs - de <= 16 * 4096UL);
	yesno("maps: AT_SYSINFO_EHDR is the start of [vdso]", getauxval(AT_SYSINFO_EHDR) == vs);
	if (de > ds) {
		show("mprotect [vvar] writable", mprotect((void *)ds, 4096, PROT_READ | PROT_WRITE) ? -errno : 0);
		show("mprotect [vvar] executable", mprotect((void *)ds, 4096, PROT_READ | PROT_EXEC) ? -errno : 0);
		show("mprotect [vvar] read-only", mprotect((void *)ds, 4096, PROT_READ) ? -errno : 0);
	}
}

int main(void)
{
	struct timespec before, after, before_rt, after_rt;

	/* Early, so that a checkpoint at a random moment (cr_run.sh) comes
	 * here too: the CPU-time clocks are the sentry process's, and start
	 * again from its own after a restore. The checks run after it: the
	 * restored program's saved vDSO reads the new sentry's data page. */
	check_image();
	vdso_gettime(CLOCK_MONOTONIC, &before);
	vdso_gettime(CLOCK_REALTIME, &before_rt);
	amber_cr_point();
	vdso_gettime(CLOCK_MONOTONIC, &after);
	vdso_gettime(CLOCK_REALTIME, &after_rt);
	yesno("after the checkpoint point: MONOTONIC went on",
	      ns(after) >= ns(before) && ns(after) - ns(before) < 60000000000LL);
	yesno("after the checkpoint point: REALTIME went on", ns(after_rt) >= ns(before_rt));
	check_image();
	check_clocks();
	check_maps();
	return 0;
}
