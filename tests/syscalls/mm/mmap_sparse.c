/* A 256 MiB anonymous mapping touched sparsely: one write every MiB, then read
 * back, with reads of untouched pages in between (which must be zero). */
#include "sctest.h"
#include "amber_cr.h"
#include <sys/mman.h>

#define MiB (1024UL * 1024)
#define SIZE (256 * MiB)

int main(void)
{
	unsigned char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	yesno("mmap 256 MiB", p != MAP_FAILED);
	if (p == MAP_FAILED)
		return 1;
	for (unsigned long i = 0; i < SIZE / MiB; i++) {
		p[i * MiB] = (unsigned char)(i * 37 + 1);
		*(uint64_t *)(p + i * MiB + 8) = i * 0x9e3779b97f4a7c15ULL;
		p[i * MiB + MiB - 1] = (unsigned char)i;
	}

	amber_cr_point();

	uint64_t sum = FNV_INIT;
	bool written_ok = true, untouched_zero = true;
	for (unsigned long i = 0; i < SIZE / MiB; i++) {
		written_ok &= p[i * MiB] == (unsigned char)(i * 37 + 1);
		written_ok &= *(uint64_t *)(p + i * MiB + 8) == i * 0x9e3779b97f4a7c15ULL;
		written_ok &= p[i * MiB + MiB - 1] == (unsigned char)i;
		untouched_zero &= p[i * MiB + 4096] == 0 && p[i * MiB + MiB / 2] == 0;
		sum = fnv1a(p + i * MiB, 16, sum);
	}
	yesno("written bytes read back", written_ok);
	yesno("untouched pages are zero", untouched_zero);
	printf("checksum: %016llx\n", (unsigned long long)sum);
	show("munmap", sc(SYS_munmap, p, SIZE));
	return 0;
}
