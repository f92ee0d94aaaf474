/*
 * image: throughput of the checkpoint memory image (state/pages.c).
 *
 *   image [--size MIB] [--threads N] [--dir DIR] [--cold] [--holes] [--no-lazy]
 *
 * Fills a memfd of MIB MiB (default 512), mapped shared like the memory
 * file, in groups of 16 pages: random, random, zero, text; so half the
 * memory is random, a quarter zeros and a quarter text. Zero pages are
 * written (the writer must read them to know) unless --holes leaves them
 * as holes of the file. The used pages are given as 8 extents.
 *
 * Then it writes DIR/amber-bench-pages (default DIR /tmp) with pages_write
 * and fsyncs it; loads it back into a second memfd with pages_load_all_fd
 * (pwrite, as an eager restore does) and compares; again with
 * pages_load_all through a fresh mapping; and (unless --no-lazy, or
 * without userfaultfd) restores it lazily: time to the first fault
 * served, time until every page is in. With --cold the file is dropped from the page cache before each
 * read. Throughputs are memory bytes (MIB MiB) per second. Prints one
 * `name value unit` line per figure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "state/lazy.h"
#include "state/pages.h"

#define GROUP 16	/* pages of one kind in a row */

struct opts {
	uint64_t mib;
	unsigned threads;
	const char *dir;
	int cold, holes, lazy;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "image: %s: %s\n", what, detail);
	exit(1);
}

static uint8_t *map_memfd(uint64_t size, int *fdp)
{
	int fd = memfd_create("bench-mem", MFD_CLOEXEC);
	uint8_t *p;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		die("memfd", strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap", strerror(errno));
	*fdp = fd;
	return p;
}

static void fill(uint8_t *base, uint64_t pages, int holes)
{
	static const char *const words[] = {
		"the", "sandbox", "kernel", "writes", "every", "page", "of", "memory", "into", "an",
		"image", "and", "reads", "it", "back", "later", "on", "another", "host", "quickly",
	};
	uint64_t s = 0x2545f4914f6cdd1dull;

	for (uint64_t p = 0; p < pages; p++) {
		uint8_t *page = base + p * PAGE_SIZE;

		switch ((p / GROUP) % 4) {
		case 0:
		case 1:
			for (size_t i = 0; i < PAGE_SIZE; i += 8) {
				s ^= s << 13;
				s ^= s >> 7;
				s ^= s << 17;
				memcpy(page + i, &s, 8);
			}
			break;
		case 2:
			if (!holes)
				memset(page, 0, PAGE_SIZE);
			break;
		default:
			for (size_t n = 0; n < PAGE_SIZE;) {
				const char *w;
				size_t k;

				s ^= s << 13;
				s ^= s >> 7;
				s ^= s << 17;
				w = words[s % (sizeof(words) / sizeof(words[0]))];
				k = strlen(w);
				if (k + 1 > PAGE_SIZE - n)
					k = PAGE_SIZE - n - 1;
				memcpy(page + n, w, k);
				n += k;
				page[n++] = ' ';
			}
		}
	}
}

static void drop_cache(int fd)
{
	if (fdatasync(fd) < 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
		die("dropping the page cache", strerror(errno));
}

static struct pages_reader *open_reader(const char *path, int cold)
{
	struct pages_reader *pr;
	char err[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(path, strerror(errno));
	if (cold)
		drop_cache(fd);
	if (pages_open(&pr, fd, err, sizeof(err)))
		die("pages_open", err);
	close(fd);
	return pr;
}

static void lazy_run(const struct opts *o, const char *path, const uint8_t *src, uint64_t size)
{
	struct pages_reader *pr = open_reader(path, o->cold);
	struct lazy_opts lo = { .mode = LAZY_BACKGROUND, .uffd_dev_fd = -1 };
	struct lazy_stats st;
	struct lazy_mem mem;
	struct lazy *l;
	char err[256];
	double t0;
	uint64_t page = size / PAGE_SIZE / 2;	/* a random page far from the start */
	int fd;

	mem.base = map_memfd(size, &fd);
	mem.fd = fd;
	mem.size = size;
	t0 = now();
	if (lazy_start(&l, &mem, pr, &lo, err, sizeof(err))) {
		printf("lazy_skipped 0 (%s)\n", err);
		pages_close(pr);
		return;
	}
	if (memcmp(mem.base + page * PAGE_SIZE, src + page * PAGE_SIZE, PAGE_SIZE) != 0)
		die("lazy restore", "first page read back differs");
	printf("lazy_first_touch_ms %.3f ms\n", (now() - t0) * 1e3);
	if (lazy_finish(l))
		die("lazy restore", pages_error(pr));
	lazy_stats(l, &st);
	if (memcmp(mem.base, src, size) != 0)
		die("lazy restore", "memory read back differs");
	printf("lazy_first_fault_ms %.3f ms\n", (double)st.first_fault_ns / 1e6);
	printf("lazy_all_loaded_ms %.1f ms\n", (double)st.all_loaded_ns / 1e6);
	printf("lazy_throughput %.0f MB/s\n", (double)size / 1e6 / ((double)st.all_loaded_ns / 1e9));
	printf("lazy_faults %llu (waited %llu)\n", (unsigned long long)st.faults,
	       (unsigned long long)st.faults_waited);
	lazy_free(l);
	pages_close(pr);
	munmap(mem.base, size);
	close(fd);
}

int main(int argc, char **argv)
{
	struct opts o = { .mib = 512, .dir = "/tmp", .lazy = 1 };
	struct memfile_extent ext[8];
	struct pages_source src;
	struct pages_stats st;
	struct pages_reader *pr;
	char path[4096], err[256], line[512];
	uint64_t size, pages;
	uint8_t *base, *dst;
	int memfd, dstfd, out;
	double t0, t_write, t_sync, t_read;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
			o.mib = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			o.threads = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			o.dir = argv[++i];
		else if (strcmp(argv[i], "--cold") == 0)
			o.cold = 1;
		else if (strcmp(argv[i], "--holes") == 0)
			o.holes = 1;
		else if (strcmp(argv[i], "--no-lazy") == 0)
			o.lazy = 0;
		else {
			fprintf(stderr, "usage: image [--size MIB] [--threads N] [--dir DIR] [--cold] [--holes] [--no-lazy]\n");
			return 2;
		}
	}
	if (o.mib < 8)
		die("--size", "at least 8 MiB");
	size = o.mib << 20;
	pages = size / PAGE_SIZE;
	base = map_memfd(size, &memfd);
	fill(base, pages, o.holes);
	/* 8 extents, each missing its last page, which is freed as the
	 * memory file frees pages: a hole that reads zero. */
	for (int i = 0; i < 8; i++) {
		ext[i] = (struct memfile_extent){ .start = pages / 8 * i, .count = pages / 8 - 1 };
		if (fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)((ext[i].start + ext[i].count) * PAGE_SIZE), PAGE_SIZE) < 0)
			die("punching a hole", strerror(errno));
	}

	snprintf(path, sizeof(path), "%s/amber-bench-pages", o.dir);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		die(path, strerror(errno));
	src = (struct pages_source){ .base = base, .fd = memfd, .extents = ext, .extent_count = 8,
				     .threads = o.threads };
	t0 = now();
	if (pages_write(out, &src, &st, err, sizeof(err)))
		die("pages_write", err);
	t_write = now() - t0;
	t0 = now();
	if (fsync(out) < 0)
		die("fsync", strerror(errno));
	t_sync = now() - t0;
	close(out);
	pages_stats_line(&st, line, sizeof(line));
	printf("# %s\n", line);
	printf("memory %llu MiB\n", (unsigned long long)o.mib);
	printf("threads %u\n", st.threads);
	printf("write_throughput %.0f MB/s\n", (double)st.scanned * PAGE_SIZE / 1e6 / t_write);
	printf("write_fsync_s %.3f s\n", t_sync);
	printf("write_with_fsync_throughput %.0f MB/s\n", (double)st.scanned * PAGE_SIZE / 1e6 / (t_write + t_sync));
	printf("file_size %.1f MiB\n", (double)st.file_size / (1 << 20));
	printf("compression_ratio_stored %.2f x\n", (double)st.stored * PAGE_SIZE / (double)st.chunk_bytes);
	printf("compression_ratio_memory %.2f x\n", (double)st.scanned * PAGE_SIZE / (double)st.file_size);
	printf("raw_chunks %llu of %llu\n", (unsigned long long)st.raw_chunks, (unsigned long long)st.chunks);

	/* Into the memory file with pwrite, as an eager restore does. */
	pr = open_reader(path, o.cold);
	dst = map_memfd(size, &dstfd);
	t0 = now();
	if (pages_load_all_fd(pr, dstfd, size, o.threads))
		die("pages_load_all_fd", pages_error(pr));
	t_read = now() - t0;
	if (memcmp(dst, base, size) != 0)
		die("read back", "memory differs");
	printf("read_throughput %.0f MB/s\n", (double)size / 1e6 / t_read);
	pages_close(pr);
	munmap(dst, size);
	close(dstfd);

	/* Through a fresh mapping: every page is a write fault. */
	pr = open_reader(path, o.cold);
	dst = map_memfd(size, &dstfd);
	t0 = now();
	if (pages_load_all(pr, dst, size, o.threads))
		die("pages_load_all", pages_error(pr));
	t_read = now() - t0;
	if (memcmp(dst, base, size) != 0)
		die("read back", "memory differs");
	printf("read_via_mapping_throughput %.0f MB/s\n", (double)size / 1e6 / t_read);
	pages_close(pr);
	munmap(dst, size);
	close(dstfd);

	if (o.lazy)
		lazy_run(&o, path, base, size);
	unlink(path);
	return 0;
}
