/* The sandbox keeps its patched system calls' table at 0x050f0000, where
 * Linux has nothing. A program that runs hot call sites and then maps
 * MAP_FIXED over that address, protects, unmaps or drops memory there
 * must see what it sees on Linux: the mapping is made and holds its
 * data, and the hot sites go on working (the sentry put them back as
 * they were). patch_brk grows the heap there instead. */
#include "patch_hot.h"
#include <sys/mman.h>

int main(void)
{
	char *p;
	int bad = hot_calls(100);

	printf("hot sites run\n");

	p = mmap((void *)0x05000000UL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		printf("mmap MAP_FIXED over 0x05000000: %s\n", strerrorname_np(errno));
	} else {
		memset(p, 0xa5, 16 << 20);
		bad += hot_calls(100);
		printf("mmap MAP_FIXED over 0x05000000: data %s\n",
		       p[PATCH_REGION - 0x05000000UL] == (char)0xa5 && p[(16 << 20) - 1] == (char)0xa5 ? "kept" : "lost");
		printf("mprotect there: %s\n", mprotect((void *)PATCH_REGION, 4096, PROT_READ) == 0 ? "ok" : strerrorname_np(errno));
		printf("munmap there: %s\n", munmap(p, 16 << 20) == 0 ? "ok" : strerrorname_np(errno));
	}
	printf("madvise on the unmapped address: %s\n",
	       madvise((void *)PATCH_REGION, 4096, MADV_DONTNEED) == 0 ? "ok" : strerrorname_np(errno));
	bad += hot_calls(100);
	printf("hot calls: %s\n", bad ? "wrong" : "right");
	return 0;
}
