/* mprotect to PROT_READ, then a write: the program is killed by SIGSEGV
 * (exit status 139 through the shell convention). */
#include "sctest.h"
#include "amber_cr.h"
#include <sys/mman.h>

#define PAGE 4096UL

int main(void)
{
	volatile unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	p[0] = 42;
	p[PAGE] = 43;
	show("mprotect unaligned", sc(SYS_mprotect, p + 1, PAGE, PROT_READ));
	show("mprotect bad prot", sc(SYS_mprotect, p, PAGE, 0x100));
	show("mprotect first page read-only", sc(SYS_mprotect, p, PAGE, PROT_READ));
	printf("read after mprotect: %d\n", p[0]);
	p[PAGE] = 44;
	printf("second page still writable: %d\n", p[PAGE]);
	show("munmap second page", sc(SYS_munmap, p + PAGE, PAGE));
	show("mprotect an unmapped page", sc(SYS_mprotect, p + PAGE, PAGE, PROT_READ));

	amber_cr_point();

	printf("writing to the read-only page\n");
	fflush(stdout);
	p[0] = 1;
	printf("not reached\n");
	return 0;
}
