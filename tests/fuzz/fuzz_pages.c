/* libFuzzer target: the pages index reader (state/pages_read.c) and chunk
 * loads, with a destination that only checks what it is handed. Built by
 * tools/fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "state/pages.h"

struct bounds {
	uint64_t end;
};

/* Every run placed must lie below pages_end and hold at most a chunk. */
static int check_place(void *arg, uint64_t page, const void *src, uint64_t count)
{
	const struct bounds *b = arg;
	volatile uint8_t sink;

	if (count == 0 || count > PAGES_CHUNK_PAGES || page + count > b->end)
		__builtin_trap();
	sink = ((const uint8_t *)src)[count * PAGE_SIZE - 1];	/* the whole run is readable */
	(void)sink;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct pages_reader *pr;
	struct bounds b;
	char err[256];

	if (fd < 0)
		fd = memfd_create("fuzz-pages", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	if (pages_open(&pr, fd, err, sizeof(err)) != 0)
		return 0;
	b.end = pages_end(pr);
	for (uint64_t c = 0; c < pages_chunk_count(pr) && c < 64; c++)
		pages_load_chunk_with(pr, c, check_place, &b);
	for (size_t i = 0; i < pages_run_count(pr) && i < 64; i++) {
		const struct pages_run *r = pages_run_get(pr, i);

		if (pages_chunk_of(pr, r->start) != r->chunk)
			__builtin_trap();
	}
	pages_chunk_of(pr, 0);
	pages_chunk_of(pr, UINT64_MAX);
	pages_close(pr);
	return 0;
}
