/* The auxiliary vector: which entries are present (those the ELF loader must
 * provide), the values that do not change between runs, and whether
 * /proc/self/auxv matches the one on the initial stack. */
#include "sctest.h"
#include "amber_cr.h"
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/auxv.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

extern char **environ;
extern char _start[];

static const struct {
	unsigned long type;
	const char *name;
} wanted[] = {
	{ AT_PHDR, "AT_PHDR" }, { AT_PHENT, "AT_PHENT" }, { AT_PHNUM, "AT_PHNUM" },
	{ AT_BASE, "AT_BASE" }, { AT_ENTRY, "AT_ENTRY" }, { AT_PAGESZ, "AT_PAGESZ" },
	{ AT_RANDOM, "AT_RANDOM" }, { AT_HWCAP, "AT_HWCAP" }, { AT_HWCAP2, "AT_HWCAP2" },
	{ AT_CLKTCK, "AT_CLKTCK" }, { AT_UID, "AT_UID" }, { AT_EUID, "AT_EUID" },
	{ AT_GID, "AT_GID" }, { AT_EGID, "AT_EGID" }, { AT_SECURE, "AT_SECURE" },
	{ AT_EXECFN, "AT_EXECFN" }, { AT_PLATFORM, "AT_PLATFORM" }, { AT_MINSIGSTKSZ, "AT_MINSIGSTKSZ" },
};

static Elf64_auxv_t *stack_auxv(void)
{
	char **p = environ;

	/* glibc may have moved environ; the auxv follows the original envp, which
	 * follows argv on the stack. Walk from the last env pointer. */
	while (*p)
		p++;
	return (Elf64_auxv_t *)(p + 1);
}

static bool find(Elf64_auxv_t *av, unsigned long type, unsigned long *val)
{
	for (; av->a_type != AT_NULL; av++)
		if (av->a_type == type) {
			*val = av->a_un.a_val;
			return true;
		}
	return false;
}

int main(int argc, char **argv)
{
	Elf64_auxv_t *av = stack_auxv();
	unsigned long v;

	(void)argc;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		printf("%s: %s\n", wanted[i].name, find(av, wanted[i].type, &v) ? "present" : "missing");
	if (find(av, AT_PAGESZ, &v))
		printf("AT_PAGESZ = %lu\n", v);
	if (find(av, AT_CLKTCK, &v))
		printf("AT_CLKTCK = %lu\n", v);
	if (find(av, AT_PHENT, &v))
		printf("AT_PHENT = %lu\n", v);
	if (find(av, AT_PHNUM, &v))
		printf("AT_PHNUM = %lu\n", v);
	if (find(av, AT_SECURE, &v))
		printf("AT_SECURE = %lu\n", v);
	if (find(av, AT_UID, &v))
		yesno("AT_UID is getuid()", v == getuid());
	if (find(av, AT_EGID, &v))
		yesno("AT_EGID is getegid()", v == getegid());
	if (find(av, AT_BASE, &v))
		yesno("AT_BASE is zero (no interpreter)", v == 0);
	if (find(av, AT_ENTRY, &v))
		yesno("AT_ENTRY is _start", v == (unsigned long)_start);
	if (find(av, AT_PLATFORM, &v))
		printf("AT_PLATFORM = %s\n", (const char *)v);
	if (find(av, AT_EXECFN, &v)) {
		char a[PATH_MAX], b[PATH_MAX];
		yesno("AT_EXECFN names the program", realpath((const char *)v, a) && realpath(argv[0], b) && !strcmp(a, b));
	}
	if (find(av, AT_RANDOM, &v)) {
		const unsigned char *r = (const unsigned char *)v;
		bool zero = true;
		for (int i = 0; i < 16; i++)
			zero &= r[i] == 0;
		yesno("AT_RANDOM bytes not all zero", !zero);
	}
	if (find(av, AT_HWCAP2, &v))
		yesno("AT_HWCAP2 equals getauxval", v == getauxval(AT_HWCAP2));
	if (find(av, AT_PHDR, &v)) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)v;
		unsigned long phnum = getauxval(AT_PHNUM);
		bool has_load = false;
		for (unsigned long i = 0; i < phnum; i++)
			has_load |= ph[i].p_type == PT_LOAD;
		yesno("AT_PHDR points at program headers with a PT_LOAD", has_load);
	}

	amber_cr_point();

	static unsigned char file[4096];
	int fd = open("/proc/self/auxv", O_RDONLY);
	long n = fd < 0 ? -errno : sc(SYS_read, fd, file, sizeof(file));
	if (n < 0) {
		show("read /proc/self/auxv", n);
		return 0;
	}
	size_t len = 0;
	for (Elf64_auxv_t *p = av;; p++) {
		len += sizeof(*p);
		if (p->a_type == AT_NULL)
			break;
	}
	yesno("/proc/self/auxv equals the stack's auxv", (size_t)n == len && memcmp(file, av, len) == 0);
	return 0;
}
