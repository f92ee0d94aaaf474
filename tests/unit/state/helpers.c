/* Helpers shared by the state/ unit tests; see state_test.h. */
#include "tests/unit/state/state_test.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "state/pages.h"

const struct memfile_extent test_extents[] = {
	{ .start = 0, .count = 40 },
	{ .start = 41, .count = 3 },		/* a one-page gap */
	{ .start = 100, .count = 300 },		/* crosses a chunk boundary */
	{ .start = 700, .count = 1 },
	{ .start = 701, .count = 1 },		/* adjacent extents */
	{ .start = 900, .count = 600 },
	{ .start = 2047, .count = 1 },
	{ .start = 3000, .count = 257 },
};
const size_t test_extent_count = sizeof(test_extents) / sizeof(test_extents[0]);

uint64_t test_extents_end(void)
{
	const struct memfile_extent *e = &test_extents[test_extent_count - 1];

	return e->start + e->count;
}

void test_mem_new(struct test_mem *m, uint64_t pages)
{
	m->size = pages * PAGE_SIZE;
	m->fd = memfd_create("state-test", MFD_CLOEXEC);
	cr_assert_geq(m->fd, 0);
	cr_assert_eq(ftruncate(m->fd, (off_t)m->size), 0);
	m->base = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, m->fd, 0);
	cr_assert_neq(m->base, MAP_FAILED);
}

void test_mem_free(struct test_mem *m)
{
	munmap(m->base, m->size);
	close(m->fd);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static const char *const words[] = {
	"checkpoint", "restore", "the", "memory", "file", "page", "chunk", "of", "a",
	"sandbox", "kernel", "image", "is", "written", "and", "read", "back", "again",
};

void test_page(uint64_t p, uint64_t seed, uint8_t *out)
{
	uint64_t s = (p + 1) * 0x9e3779b97f4a7c15ull ^ seed;

	if (!s)
		s = 1;
	switch (p % 4) {
	case 0:
	case 1:
		for (size_t i = 0; i < PAGE_SIZE; i += 8) {
			uint64_t v = xorshift(&s);

			memcpy(out + i, &v, 8);
		}
		break;
	case 2:
		memset(out, 0, PAGE_SIZE);
		break;
	default: {
		size_t n = 0;

		while (n < PAGE_SIZE) {
			const char *w = words[xorshift(&s) % (sizeof(words) / sizeof(words[0]))];
			size_t k = strlen(w);

			for (size_t i = 0; i < k && n < PAGE_SIZE; i++)
				out[n++] = (uint8_t)w[i];
			if (n < PAGE_SIZE)
				out[n++] = ' ';
		}
	}
	}
}

void test_fill(struct test_mem *m, const struct memfile_extent *ext, size_t n, uint64_t seed)
{
	for (size_t e = 0; e < n; e++)
		for (uint64_t p = ext[e].start; p < ext[e].start + ext[e].count; p++)
			if (p % 4 != 2)
				test_page(p, seed, m->base + p * PAGE_SIZE);
			else if (p % 8 == 2)	/* half the zero pages allocated, half holes */
				memset(m->base + p * PAGE_SIZE, 0, PAGE_SIZE);
}

bool test_check(const struct test_mem *m, const struct memfile_extent *ext, size_t n, uint64_t seed,
		uint64_t end)
{
	static const uint8_t zero[PAGE_SIZE];
	uint8_t want[PAGE_SIZE];
	size_t e = 0;

	for (uint64_t p = 0; p < end; p++) {
		while (e < n && ext[e].start + ext[e].count <= p)
			e++;
		if (e < n && p >= ext[e].start)
			test_page(p, seed, want);
		else
			memcpy(want, zero, PAGE_SIZE);
		if (memcmp(m->base + p * PAGE_SIZE, want, PAGE_SIZE) != 0) {
			cr_log_error("page %llu differs", (unsigned long long)p);
			return false;
		}
	}
	return true;
}

int test_memfd_of(const uint8_t *buf, size_t len)
{
	int fd = memfd_create("state-test-file", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	return fd;
}

int test_pages_file(const struct test_mem *m, const struct memfile_extent *ext, size_t n, unsigned threads)
{
	struct pages_source src = {
		.base = m->base, .fd = m->fd, .extents = ext, .extent_count = n, .threads = threads,
	};
	struct pages_stats st;
	char err[256];
	int fd = memfd_create("state-test-pages", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pages_write(fd, &src, &st, err, sizeof(err)), 0, "%s", err);
	return fd;
}

uint8_t *test_slurp(int fd, size_t *len)
{
	struct stat st;
	uint8_t *buf;

	cr_assert_eq(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	buf = malloc(*len + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(pread(fd, buf, *len, 0), (ssize_t)*len);
	return buf;
}

void test_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/amber-state-test-XXXXXX");
	cr_assert_not_null(mkdtemp(buf));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? 0 : 0;
}

void test_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int test_count_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

bool test_have_uffd(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0) {
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

		if (dev < 0)
			return false;
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC);
		close(dev);
	}
	if (fd < 0)
		return false;
	close(fd);
	return true;
}
