/* brk: grow the heap by several MiB, write and read it back, shrink, grow
 * again (the regrown part must be zero), and refuse moves below the start or
 * past the end of the user address space. */
#include "sctest.h"
#include "amber_cr.h"

#define MiB (1024UL * 1024)
#define PAGE 4096UL

static char outbuf[8192];

static unsigned char pattern(uintptr_t off)
{
	return (unsigned char)(off / PAGE * 7 + off % 251);
}

int main(void)
{
	/* A static stdio buffer: printf must not call malloc, which would move
	 * the break behind our back. */
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	uintptr_t start = (uintptr_t)sc(SYS_brk, 0);
	uintptr_t r;
	bool ok;

	r = (uintptr_t)sc(SYS_brk, start + 8 * MiB);
	yesno("grow by 8 MiB", r == start + 8 * MiB);
	if (r != start + 8 * MiB)
		return 1;

	unsigned char *heap = (unsigned char *)start;
	for (uintptr_t off = 0; off < 8 * MiB; off++)
		heap[off] = pattern(off);
	ok = true;
	for (uintptr_t off = 0; off < 8 * MiB; off++)
		ok &= heap[off] == pattern(off);
	yesno("8 MiB read back", ok);
	printf("checksum: %016llx\n", (unsigned long long)fnv1a(heap, 8 * MiB, FNV_INIT));

	amber_cr_point();

	r = (uintptr_t)sc(SYS_brk, start + 1 * MiB);
	yesno("shrink to 1 MiB", r == start + 1 * MiB);
	ok = true;
	for (uintptr_t off = 0; off < 1 * MiB; off++)
		ok &= heap[off] == pattern(off);
	yesno("kept 1 MiB intact", ok);

	r = (uintptr_t)sc(SYS_brk, start + 4 * MiB);
	yesno("regrow to 4 MiB", r == start + 4 * MiB);
	ok = true;
	for (uintptr_t off = 1 * MiB; off < 4 * MiB; off++)
		ok &= heap[off] == 0;
	yesno("regrown part is zero", ok);

	/* An unaligned break is allowed; the page holding it stays mapped. */
	r = (uintptr_t)sc(SYS_brk, start + 4 * MiB + 100);
	yesno("unaligned break accepted", r == start + 4 * MiB + 100);
	heap[4 * MiB + 99] = 1;

	r = (uintptr_t)sc(SYS_brk, start - 64 * MiB);
	yesno("break below start refused", r == start + 4 * MiB + 100);
	r = (uintptr_t)sc(SYS_brk, start + (1UL << 47));
	yesno("break past user space refused", r == start + 4 * MiB + 100);

	r = (uintptr_t)sc(SYS_brk, start);
	yesno("restored", r == start);
	return 0;
}
