/* Writes the seed corpora of tests/fuzz/corpus/ (tools/fuzz --seeds):
 * valid manifests, small pages files of each kind of chunk, and packed
 * messages for fuzz_pb. Seeds only need to be valid and small: the fuzzer
 * finds its way from them into every check. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "state/manifest.h"
#include "state/pages.h"
#include "state/proto/manifest.pb-c.h"

static const char *dir;

static void put(const char *target, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void manifest_seeds(void)
{
	struct manifest m;
	uint8_t *buf;
	size_t len;

	memset(&m, 0, sizeof(m));
	cpufeat_host(&m.cpu);
	m.version = MANIFEST_VERSION;
	m.created_unix_sec = 1700000000;
	strcpy(m.files[0].name, "kernel.pb");
	m.files[0].size = 1234;
	m.files[0].xxh64 = 0x1122334455667788ull;
	strcpy(m.files[1].name, "pages");
	m.files[1].size = 1 << 20;
	strcpy(m.files[2].name, "inventory.img");
	m.file_count = 3;
	if (manifest_encode(&m, &buf, &len))
		exit(1);
	put("manifest", "three-files", buf, len);
	/* The protobuf payload, with each selector byte fuzz_pb may map to
	 * the Manifest type (the descriptor order is the generator's). */
	for (int sel = 0; sel < 8; sel++) {
		char name[32];

		buf[MANIFEST_HEADER_SIZE - 1] = (uint8_t)sel;
		snprintf(name, sizeof(name), "manifest-%d", sel);
		put("pb", name, buf + MANIFEST_HEADER_SIZE - 1, len - MANIFEST_HEADER_SIZE + 1);
	}
	free(buf);
	m.file_count = 0;
	if (manifest_encode(&m, &buf, &len))
		exit(1);
	put("manifest", "no-files", buf, len);
	free(buf);
}

/* One pages file from memory filled by fill(). */
static void pages_seed(const char *name, const struct memfile_extent *ext, size_t n, uint64_t pages,
		       void (*fill)(uint8_t *base, uint64_t pages))
{
	int mem = memfd_create("seed-mem", MFD_CLOEXEC), out = memfd_create("seed-pages", MFD_CLOEXEC);
	struct pages_source src;
	struct pages_stats st;
	uint8_t *base, *buf;
	char err[256];

	if (mem < 0 || out < 0 || ftruncate(mem, (off_t)(pages * PAGE_SIZE)) < 0)
		exit(1);
	base = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mem, 0);
	if (base == MAP_FAILED)
		exit(1);
	fill(base, pages);
	src = (struct pages_source){ .base = base, .fd = mem, .extents = ext, .extent_count = n, .threads = 1 };
	if (pages_write(out, &src, &st, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	buf = malloc(st.file_size);
	if (!buf || pread(out, buf, st.file_size, 0) != (ssize_t)st.file_size)
		exit(1);
	put("pages", name, buf, st.file_size);
	free(buf);
	munmap(base, pages * PAGE_SIZE);
	close(mem);
	close(out);
}

static void fill_stamped(uint8_t *base, uint64_t pages)
{
	for (uint64_t p = 0; p < pages; p++)
		if (p % 5)
			snprintf((char *)base + p * PAGE_SIZE, 32, "page %llu", (unsigned long long)p);
}

static void fill_random(uint8_t *base, uint64_t pages)
{
	uint64_t s = 88172645463325252ull;

	for (uint64_t i = 0; i < pages * PAGE_SIZE / 8; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(base + i * 8, &s, 8);
	}
}

int main(int argc, char **argv)
{
	static const struct memfile_extent many[] = { { 0, 100 }, { 120, 300 }, { 500, 1 }, { 600, 200 } };
	static const struct memfile_extent two[] = { { 1, 2 } };

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	manifest_seeds();
	pages_seed("three-chunks", many, 4, 800, fill_stamped);
	pages_seed("raw-chunk", two, 1, 3, fill_random);
	pages_seed("empty", two, 0, 3, fill_random);
	{
		Amber__State__ImageFile f = AMBER__STATE__IMAGE_FILE__INIT;
		uint8_t buf[64];
		size_t len;

		f.name = "kernel.pb";
		f.size = 99;
		f.xxh64 = 7;
		len = amber__state__image_file__pack(&f, buf + 1);
		buf[0] = 0;	/* whichever descriptor comes first */
		put("pb", "image-file", buf, len + 1);
	}
	return 0;
}
