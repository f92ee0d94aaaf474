/* mmap, munmap, mremap, madvise, mincore and msync edge cases. */
#include "sctest.h"
#include "amber_cr.h"
#include <sys/mman.h>

#define PAGE 4096UL

static void *anon(size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static bool all(const unsigned char *p, size_t len, unsigned char v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static int resident(void *p, size_t pages)
{
	unsigned char vec[64];
	int n = 0;

	long r = sc(SYS_mincore, p, pages * PAGE, vec);

	if (r < 0)
		return r;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

int main(void)
{
	int anonflags = MAP_PRIVATE | MAP_ANONYMOUS;

	/* mmap */
	show("mmap len 0", sc(SYS_mmap, 0, 0, PROT_READ, anonflags, -1, 0));
	show("mmap MAP_FIXED unaligned", sc(SYS_mmap, 0x10001, PAGE, PROT_READ, anonflags | MAP_FIXED, -1, 0));
	show("mmap neither private nor shared", sc(SYS_mmap, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
	show("mmap file with fd -1", sc(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, -1, 0));
	show("mmap 4 EiB", sc(SYS_mmap, 0, 1UL << 62, PROT_READ, anonflags, -1, 0));
	show("mmap unaligned file offset", sc(SYS_mmap, 0, PAGE, PROT_READ, anonflags, -1, 1));

	/* munmap */
	unsigned char *p = anon(3 * PAGE, PROT_READ | PROT_WRITE);
	show("munmap middle page", sc(SYS_munmap, p + PAGE, PAGE));
	show("munmap it again", sc(SYS_munmap, p + PAGE, PAGE));
	show("munmap len 0", sc(SYS_munmap, p, 0));
	show("munmap unaligned", sc(SYS_munmap, p + 1, PAGE));
	p[0] = 1;
	p[2 * PAGE] = 1;
	show("mincore over the hole", sc(SYS_mincore, p, 3 * PAGE, (unsigned char[4]){0}));
	sc(SYS_munmap, p, 3 * PAGE);

	/* mremap */
	p = anon(PAGE, PROT_READ | PROT_WRITE);
	memset(p, 0xab, PAGE);
	unsigned char *q = mremap(p, PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	yesno("mremap grow", q != MAP_FAILED);
	yesno("grown mapping keeps contents", all(q, PAGE, 0xab));
	yesno("grown part is zero", all(q + PAGE, 3 * PAGE, 0));
	memset(q + PAGE, 0xcd, PAGE);
	yesno("mremap shrink in place", mremap(q, 4 * PAGE, 2 * PAGE, 0) == q);
	unsigned char *target = anon(2 * PAGE, PROT_NONE);
	unsigned char *r = mremap(q, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	yesno("mremap move to a fixed address", r == target);
	yesno("moved mapping keeps contents", all(r, PAGE, 0xab) && all(r + PAGE, PAGE, 0xcd));
	show("old address after the move (mincore)", sc(SYS_mincore, q, PAGE, (unsigned char[1]){0}));
	show("mremap grow in place blocked", sc(SYS_mremap, r, PAGE, 2 * PAGE, 0, 0));
	show("mremap bad flags", sc(SYS_mremap, r, PAGE, PAGE, 0x80, 0));
	show("mremap fixed without maymove", sc(SYS_mremap, r, PAGE, PAGE, MREMAP_FIXED, target));
	show("mremap unaligned", sc(SYS_mremap, r + 1, PAGE, PAGE, 0, 0));
	show("mremap unmapped", sc(SYS_mremap, q, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0));
	sc(SYS_munmap, r, 2 * PAGE);

	amber_cr_point();

	/* madvise(MADV_DONTNEED) on private anonymous memory: zero on next touch. */
	p = anon(4 * PAGE, PROT_READ | PROT_WRITE);
	memset(p, 0x5a, 4 * PAGE);
	show("resident after touching 4 pages", resident(p, 4));
	show("madvise DONTNEED", sc(SYS_madvise, p, 4 * PAGE, MADV_DONTNEED));
	show("resident after DONTNEED", resident(p, 4));
	yesno("zero after DONTNEED", all(p, 4 * PAGE, 0));
	show("madvise bad advice", sc(SYS_madvise, p, PAGE, 1234));
	show("madvise unaligned", sc(SYS_madvise, p + 1, PAGE, MADV_DONTNEED));
	show("madvise WILLNEED", sc(SYS_madvise, p, PAGE, MADV_WILLNEED));

	/* mincore */
	show("mincore unaligned", sc(SYS_mincore, p + 1, PAGE, (unsigned char[2]){0}));
	show("mincore bad vector", sc(SYS_mincore, p, PAGE, LOW_PTR));
	show("mincore kernel address", sc(SYS_mincore, KERNEL_PTR, PAGE, (unsigned char[1]){0}));

	/* msync */
	show("msync anonymous", sc(SYS_msync, p, PAGE, MS_SYNC));
	show("msync async", sc(SYS_msync, p, PAGE, MS_ASYNC));
	show("msync sync and async", sc(SYS_msync, p, PAGE, MS_SYNC | MS_ASYNC));
	show("msync bad flags", sc(SYS_msync, p, PAGE, 0x100));
	show("msync unaligned", sc(SYS_msync, p + 1, PAGE, MS_SYNC));
	sc(SYS_munmap, p, 4 * PAGE);
	show("msync unmapped", sc(SYS_msync, p, PAGE, MS_SYNC));
	return 0;
}
