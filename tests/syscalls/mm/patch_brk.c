/* The sandbox keeps its patched system calls' table at 0x050f0000, where
 * Linux has nothing, and where the heap of a non-PIE program grows to
 * after 60-80 MiB. A program that runs hot call sites and then grows its
 * heap with sbrk past that address must see what it sees on Linux: the
 * heap grows, holds its data, and the hot sites go on working (the
 * sentry put them back as they were). */
#include "patch_hot.h"

int main(void)
{
	char *brk0;
	size_t grown = 0;
	int bad = hot_calls(100);

	/* stdio's buffer comes from the heap: made before the heap grows, so
	 * that malloc's and this program's use of brk do not mix. */
	printf("hot sites run\n");
	brk0 = sbrk(0);
	while (grown < (160UL << 20)) {
		if (sbrk(1 << 20) == (void *)-1)
			break;
		grown += 1 << 20;
	}
	printf("sbrk: %zu MiB\n", grown >> 20);
	/* Touch every MiB of it, the region's address too when it is inside. */
	for (size_t off = 0; off < grown; off += 1 << 20)
		brk0[off] = 1;
	if ((uintptr_t)brk0 < PATCH_REGION && (uintptr_t)brk0 + grown > PATCH_REGION)
		memset((char *)PATCH_REGION - 4096, 0x5a, 8192);
	bad += hot_calls(100);
	printf("hot calls: %s\n", bad ? "wrong" : "right");
	return 0;
}
