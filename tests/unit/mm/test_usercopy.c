/* The checked copies between the sentry and application memory, and the
 * mapping calls they must follow. No platform address space is attached:
 * copies only populate the sentry's page table. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/mm/mm.h"

#define P(n) ((uint64_t)(n) * PAGE_SIZE)
#define A 0x10000000UL		/* where most tests map */
#define PRIV_ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static struct memfile mf;

static struct mm *setup(void)
{
	struct mm *mm;

	cr_assert_eq(memfile_init(&mf, 1 << 30), 0);
	sentry_memfile = &mf;
	mm = mm_new();
	cr_assert_not_null(mm);
	mm->mmap_base = 0x7f0000000000UL;
	return mm;
}

static void map(struct mm *mm, uaddr_t addr, uint64_t len, int prot)
{
	cr_assert_eq(mm_mmap(mm, addr, len, prot, PRIV_ANON, NULL, 0), (long)addr, "map %#lx+%#lx",
		     (unsigned long)addr, (unsigned long)len);
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7 + (i >> 12));
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static bool all_byte(const uint8_t *p, size_t len, uint8_t b)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != b)
			return false;
	return true;
}

/* ---- copy_in / copy_out ---- */

Test(usercopy, round_trip_across_page_boundary)
{
	struct mm *mm = setup();
	uint8_t out[64], in[64];

	map(mm, A, P(2), PROT_READ | PROT_WRITE);
	fill(out, sizeof(out), 1);
	cr_assert_eq(copy_out(mm, A + P(1) - 20, out, sizeof(out)), 0);
	memset(in, 0, sizeof(in));
	cr_assert_eq(copy_in(mm, in, A + P(1) - 20, sizeof(in)), 0);
	cr_assert_arr_eq(in, out, sizeof(out));
	/* Byte-wise around the boundary, to catch an off-by-one split. */
	for (int i = 0; i < 64; i++) {
		uint8_t b;
		cr_assert_eq(copy_in(mm, &b, A + P(1) - 20 + i, 1), 0);
		cr_assert_eq(b, out[i], "byte %d", i);
	}
	/* Neighbours are untouched. */
	cr_assert_eq(copy_in(mm, in, A + P(1) - 20 - 8, 8), 0);
	cr_assert(all_zero(in, 8));
	cr_assert_eq(copy_in(mm, in, A + P(1) + 44, 8), 0);
	cr_assert(all_zero(in, 8));
	mm_put(mm);
}

Test(usercopy, large_copy_many_pages)
{
	struct mm *mm = setup();
	size_t len = P(9) + 123;
	uint8_t *out = malloc(len), *in = malloc(len);

	map(mm, A, P(11), PROT_READ | PROT_WRITE);
	fill(out, len, 3);
	cr_assert_eq(copy_out(mm, A + 77, out, len), 0);
	cr_assert_eq(copy_in(mm, in, A + 77, len), 0);
	cr_assert_arr_eq(in, out, len);
	free(out);
	free(in);
	mm_put(mm);
}

Test(usercopy, zero_length_is_fine_anywhere)
{
	struct mm *mm = setup();
	uint8_t b = 0;

	cr_assert_eq(copy_in(mm, &b, 0, 0), 0);
	cr_assert_eq(copy_out(mm, 0xffff800000000000UL, &b, 0), 0);
	cr_assert_eq(copy_in_partial(mm, &b, 0, 0), 0);
	cr_assert_eq(clear_user(mm, 0, 0), 0);
	mm_put(mm);
}

Test(usercopy, copy_out_to_read_only)
{
	struct mm *mm = setup();
	uint8_t buf[16] = { 1, 2, 3 };

	map(mm, A, P(1), PROT_READ);
	cr_assert_eq(copy_out(mm, A, buf, sizeof(buf)), -EFAULT);
	cr_assert_eq(clear_user(mm, A, 1), -EFAULT);
	cr_assert_eq(copy_in(mm, buf, A, sizeof(buf)), 0, "reading it is fine");
	cr_assert(all_zero(buf, sizeof(buf)));
	/* Across into a read-only page from a writable one. */
	map(mm, A + P(1), P(1), PROT_READ | PROT_WRITE);
	cr_assert_eq(copy_out(mm, A + P(1) - 4, buf, 8), -EFAULT);
	mm_put(mm);
}

Test(usercopy, copy_in_from_prot_none)
{
	struct mm *mm = setup();
	uint8_t buf[16];

	map(mm, A, P(1), PROT_NONE);
	cr_assert_eq(copy_in(mm, buf, A, sizeof(buf)), -EFAULT);
	cr_assert_eq(copy_out(mm, A, buf, sizeof(buf)), -EFAULT);
	cr_assert_eq(copy_in_partial(mm, buf, A, sizeof(buf)), -EFAULT);
	cr_assert_eq(copy_in_string(mm, (char *)buf, A, sizeof(buf)), -EFAULT);
	cr_assert_eq(mf.used_pages, 0, "an inaccessible page is never allocated");
	mm_put(mm);
}

Test(usercopy, write_only_mapping)
{
	struct mm *mm = setup();
	uint8_t buf[16] = { 9, 8, 7 }, in[16];

	map(mm, A, P(1), PROT_WRITE);
	cr_assert_eq(copy_out(mm, A, buf, sizeof(buf)), 0);
	/* BUG (kernel/mm/usercopy.c user_page): x86 cannot map a page
	 * write-only, so the application itself can read a PROT_WRITE page
	 * (mm.c's wanted_prot adds PROT_READ), and Linux's copy_from_user
	 * succeeds on one (write(fd, p, n) works). copy_in demands PROT_READ
	 * and returns -EFAULT instead. */
	cr_assert_eq(copy_in(mm, in, A, sizeof(in)), 0, "x86 reads a write-only page");
	cr_assert_arr_eq(in, buf, sizeof(buf));
	mm_put(mm);
}

Test(usercopy, runs_off_the_end_into_a_hole)
{
	struct mm *mm = setup();
	uint8_t out[8], in[32];

	map(mm, A, P(1), PROT_READ | PROT_WRITE);
	fill(out, sizeof(out), 5);
	cr_assert_eq(copy_out(mm, A + P(1) - 8, out, 8), 0);
	cr_assert_eq(copy_in(mm, in, A + P(1) - 8, 16), -EFAULT);
	cr_assert_eq(copy_out(mm, A + P(1) - 8, out, 9), -EFAULT);

	memset(in, 0xee, sizeof(in));
	cr_assert_eq(copy_in_partial(mm, in, A + P(1) - 8, sizeof(in)), 8, "the readable prefix");
	cr_assert_arr_eq(in, out, 8);
	cr_assert(all_byte(in + 8, sizeof(in) - 8, 0xee), "nothing written past the prefix");
	cr_assert_eq(copy_in_partial(mm, in, A + P(1), sizeof(in)), -EFAULT, "nothing readable");
	cr_assert_eq(copy_in_partial(mm, in, A + 100, 16), 16, "fully readable");

	/* A hole between two mappings. */
	map(mm, A + P(2), P(1), PROT_READ | PROT_WRITE);
	cr_assert_eq(copy_in(mm, in, A + P(1) - 4, 8), -EFAULT);
	cr_assert_eq(copy_in(mm, in, A + P(2) - 4, 8), -EFAULT);
	cr_assert_eq(copy_in_partial(mm, in, A + P(1) - 4, 8), 4);
	mm_put(mm);
}

Test(usercopy, bad_addresses_do_not_crash)
{
	struct mm *mm = setup();
	uint8_t buf[16] = { 0 };
	char s[16];

	map(mm, A, P(1), PROT_READ | PROT_WRITE);
	cr_assert_eq(copy_in(mm, buf, 0, 16), -EFAULT);
	cr_assert_eq(copy_out(mm, 0, buf, 16), -EFAULT);
	cr_assert_eq(copy_in(mm, buf, 8, 1), -EFAULT);
	cr_assert_eq(copy_in(mm, buf, 0xffff800000000000UL, 16), -EFAULT);
	cr_assert_eq(copy_out(mm, 0xffff800000000000UL, buf, 16), -EFAULT);
	cr_assert_eq(copy_in(mm, buf, 0xffffffffff600000UL, 16), -EFAULT, "vsyscall page");
	cr_assert_eq(copy_in(mm, buf, 1UL << 47, 16), -EFAULT, "first non-canonical byte");
	cr_assert_eq(copy_in(mm, buf, (1UL << 47) - 8, 16), -EFAULT);
	cr_assert_eq(copy_in(mm, buf, UINT64_MAX - 7, 16), -EFAULT, "wraps around");
	cr_assert_eq(copy_out(mm, UINT64_MAX - 7, buf, 16), -EFAULT);
	cr_assert_eq(copy_in(mm, buf, UINT64_MAX, 1), -EFAULT);
	cr_assert_eq(copy_in_partial(mm, buf, UINT64_MAX - 7, 16), -EFAULT);
	cr_assert_eq(copy_in_string(mm, s, UINT64_MAX - 7, sizeof(s)), -EFAULT);
	cr_assert_eq(copy_in_string(mm, s, 0, sizeof(s)), -EFAULT);
	cr_assert_eq(clear_user(mm, UINT64_MAX - 7, 16), -EFAULT);
	cr_assert_eq(clear_user(mm, 0xffff800000000000UL, PAGE_SIZE * 3), -EFAULT);
	/* A huge length from a good address must stop at the hole. */
	cr_assert_eq(copy_in_partial(mm, buf, A + P(1) - 16, SIZE_MAX), 16);
	mm_put(mm);
}

/* ---- strings ---- */

Test(usercopy, string_stops_at_nul)
{
	struct mm *mm = setup();
	char s[64];

	map(mm, A, P(2), PROT_READ | PROT_WRITE);
	cr_assert_eq(copy_out(mm, A, "hello\0world", 12), 0);
	memset(s, 'z', sizeof(s));
	cr_assert_eq(copy_in_string(mm, s, A, sizeof(s)), 5);
	cr_assert_str_eq(s, "hello");
	cr_assert_eq(copy_in_string(mm, s, A + 6, sizeof(s)), 5);
	cr_assert_str_eq(s, "world");
	cr_assert_eq(copy_in_string(mm, s, A + 5, sizeof(s)), 0, "empty string");
	cr_assert_str_eq(s, "");

	/* Across a page boundary. */
	cr_assert_eq(copy_out(mm, A + P(1) - 3, "abcdef", 7), 0);
	cr_assert_eq(copy_in_string(mm, s, A + P(1) - 3, sizeof(s)), 6);
	cr_assert_str_eq(s, "abcdef");
	mm_put(mm);
}

Test(usercopy, string_too_long)
{
	struct mm *mm = setup();
	char big[200], s[64];

	map(mm, A, P(2), PROT_READ | PROT_WRITE);
	memset(big, 'x', sizeof(big));
	cr_assert_eq(copy_out(mm, A + P(1) - 100, big, sizeof(big)), 0);
	cr_assert_eq(copy_in_string(mm, s, A + P(1) - 100, 50), -ENAMETOOLONG);
	cr_assert_eq(copy_in_string(mm, s, A + P(1) - 100, 1), -ENAMETOOLONG);
	cr_assert_eq(copy_in_string(mm, s, A, 0), -ENAMETOOLONG, "no room even for the NUL");

	/* max counts the NUL: a string of max - 1 bytes fits, of max does not. */
	big[9] = 0;
	cr_assert_eq(copy_out(mm, A, big, 10), 0);
	cr_assert_eq(copy_in_string(mm, s, A, 10), 9);
	cr_assert_eq(copy_in_string(mm, s, A, 9), -ENAMETOOLONG);
	mm_put(mm);
}

Test(usercopy, string_runs_into_a_hole)
{
	struct mm *mm = setup();
	char fill_x[16], s[PAGE_SIZE];

	map(mm, A, P(1), PROT_READ | PROT_WRITE);
	memset(fill_x, 'x', sizeof(fill_x));
	cr_assert_eq(copy_out(mm, A + P(1) - 16, fill_x, 16), 0);
	cr_assert_eq(copy_in_string(mm, s, A + P(1) - 16, sizeof(s)), -EFAULT);
	/* A NUL before the hole: the bytes after it must not be touched. */
	cr_assert_eq(copy_out(mm, A + P(1) - 3, "hi", 3), 0);
	cr_assert_eq(copy_in_string(mm, s, A + P(1) - 3, 4096), 2);
	cr_assert_str_eq(s, "hi");
	/* Into PROT_NONE rather than a hole. */
	map(mm, A + P(1), P(1), PROT_NONE);
	cr_assert_eq(copy_out(mm, A + P(1) - 4, "abcd", 4), 0);
	cr_assert_eq(copy_in_string(mm, s, A + P(1) - 4, sizeof(s)), -EFAULT);
	mm_put(mm);
}

/* ---- clear_user and fresh memory ---- */

Test(usercopy, clear_user_zeroes)
{
	struct mm *mm = setup();
	size_t len = P(3);
	uint8_t *ones = malloc(len), *in = malloc(len);

	map(mm, A, len, PROT_READ | PROT_WRITE);
	memset(ones, 0xff, len);
	cr_assert_eq(copy_out(mm, A, ones, len), 0);
	cr_assert_eq(clear_user(mm, A + 10, P(2) + 5), 0);
	cr_assert_eq(copy_in(mm, in, A, len), 0);
	cr_assert(all_byte(in, 10, 0xff), "before the range");
	cr_assert(all_zero(in + 10, P(2) + 5));
	cr_assert(all_byte(in + 10 + P(2) + 5, len - 10 - P(2) - 5, 0xff), "after the range");
	cr_assert_eq(clear_user(mm, A + P(3) - 4, 8), -EFAULT, "runs into the hole");
	free(ones);
	free(in);
	mm_put(mm);
}

Test(usercopy, untouched_anonymous_memory_reads_zero)
{
	struct mm *mm = setup();
	size_t len = P(4);
	uint8_t *in = malloc(len);

	map(mm, A, len, PROT_READ);
	memset(in, 0xcc, len);
	cr_assert_eq(copy_in(mm, in, A, len), 0);
	cr_assert(all_zero(in, len));
	cr_assert_eq(mf.used_pages, 4, "reading populated the pages");
	free(in);
	mm_put(mm);
}

/* ---- following the mapping calls ---- */

Test(usercopy, munmap_then_copy)
{
	struct mm *mm = setup();
	uint8_t buf[8] = { 1 };

	map(mm, A, P(3), PROT_READ | PROT_WRITE);
	cr_assert_eq(copy_out(mm, A, buf, 8), 0);
	cr_assert_eq(copy_out(mm, A + P(1), buf, 8), 0);
	cr_assert_eq(copy_out(mm, A + P(2), buf, 8), 0);
	cr_assert_eq(mm_munmap(mm, A + P(1), P(1)), 0);
	cr_assert_eq(copy_in(mm, buf, A + P(1), 8), -EFAULT);
	cr_assert_eq(copy_out(mm, A + P(1), buf, 8), -EFAULT);
	cr_assert_eq(copy_in(mm, buf, A, 8), 0, "the page before stays");
	cr_assert_eq(buf[0], 1);
	cr_assert_eq(copy_in(mm, buf, A + P(2), 8), 0, "the page after stays");
	cr_assert_eq(buf[0], 1);
	cr_assert_eq(mm_munmap(mm, A, P(3)), 0);
	cr_assert_eq(copy_in(mm, buf, A, 1), -EFAULT);
	cr_assert_eq(copy_in(mm, buf, A + P(2), 1), -EFAULT);
	mm_put(mm);
}

Test(usercopy, mprotect_then_copy)
{
	struct mm *mm = setup();
	uint8_t out[32], in[32];

	map(mm, A, P(2), PROT_READ | PROT_WRITE);
	fill(out, sizeof(out), 11);
	cr_assert_eq(copy_out(mm, A + P(1) - 16, out, sizeof(out)), 0);

	cr_assert_eq(mm_mprotect(mm, A, P(2), PROT_READ), 0);
	cr_assert_eq(copy_out(mm, A, out, 1), -EFAULT);
	cr_assert_eq(copy_in(mm, in, A + P(1) - 16, sizeof(in)), 0, "data kept");
	cr_assert_arr_eq(in, out, sizeof(out));

	cr_assert_eq(mm_mprotect(mm, A + P(1), P(1), PROT_NONE), 0);
	cr_assert_eq(copy_in(mm, in, A + P(1), 1), -EFAULT);
	cr_assert_eq(copy_in(mm, in, A + P(1) - 16, sizeof(in)), -EFAULT, "straddles into PROT_NONE");
	cr_assert_eq(copy_in(mm, in, A, 16), 0, "the first page is still readable");

	cr_assert_eq(mm_mprotect(mm, A, P(2), PROT_READ | PROT_WRITE), 0);
	cr_assert_eq(copy_in(mm, in, A + P(1) - 16, sizeof(in)), 0);
	cr_assert_arr_eq(in, out, sizeof(out), "data survives PROT_NONE");
	cr_assert_eq(copy_out(mm, A + 5, out, 4), 0);
	mm_put(mm);
}

Test(usercopy, mremap_moves_data)
{
	struct mm *mm = setup();
	size_t len = P(2);
	uint8_t *out = malloc(len), *in = malloc(P(4));
	uint8_t blk = 0x42, b;
	long r;

	map(mm, A, len, PROT_READ | PROT_WRITE);
	map(mm, A + len, P(1), PROT_READ | PROT_WRITE);	/* the blocker */
	cr_assert_eq(copy_out(mm, A + len, &blk, 1), 0);
	fill(out, len, 21);
	cr_assert_eq(copy_out(mm, A, out, len), 0);
	cr_assert_eq(mf.used_pages, 3);

	cr_assert_eq(mm_mremap(mm, A, len, P(4), 0, 0), -ENOMEM, "cannot grow in place without MAYMOVE");
	r = mm_mremap(mm, A, len, P(4), MREMAP_MAYMOVE, 0);
	cr_assert_gt(r, 0, "mremap: %ld", r);
	cr_assert_neq((uaddr_t)r, A, "it had to move");
	cr_assert_eq(copy_in(mm, in, (uaddr_t)r, P(4)), 0);
	cr_assert_arr_eq(in, out, len, "data moved");
	cr_assert(all_zero(in + len, P(2)), "the grown part is fresh");
	cr_assert_eq(copy_in(mm, &b, A, 1), -EFAULT, "the old place is gone");
	cr_assert_eq(copy_in(mm, &b, A + len, 1), 0, "the blocker stays");
	cr_assert_eq(b, 0x42);
	cr_assert_eq(mf.used_pages, 3 + 2, "pages moved, not copied; the new tail was just touched");

	/* Shrinking in place drops the tail. */
	cr_assert_eq(mm_mremap(mm, (uaddr_t)r, P(4), P(1), 0, 0), r);
	cr_assert_eq(copy_in(mm, &b, (uaddr_t)r + P(1), 1), -EFAULT);
	cr_assert_eq(copy_in(mm, in, (uaddr_t)r, P(1)), 0);
	cr_assert_arr_eq(in, out, P(1));
	cr_assert_eq(mf.used_pages, 2);
	free(out);
	free(in);
	mm_put(mm);
	cr_assert_eq(mf.used_pages, 0);
}

Test(usercopy, mremap_grows_in_place)
{
	struct mm *mm = setup();
	uint8_t out[16], in[16];

	map(mm, A, P(1), PROT_READ | PROT_WRITE);
	fill(out, sizeof(out), 31);
	cr_assert_eq(copy_out(mm, A + P(1) - 8, out, sizeof(out)), -EFAULT);
	cr_assert_eq(mm_mremap(mm, A, P(1), P(2), 0, 0), (long)A);
	cr_assert_eq(copy_out(mm, A + P(1) - 8, out, sizeof(out)), 0);
	cr_assert_eq(copy_in(mm, in, A + P(1) - 8, sizeof(in)), 0);
	cr_assert_arr_eq(in, out, sizeof(out));
	mm_put(mm);
}

Test(usercopy, mremap_fixed)
{
	struct mm *mm = setup();
	uaddr_t to = A + P(100);
	uint8_t out[32], in[32];

	map(mm, A, P(1), PROT_READ | PROT_WRITE);
	map(mm, to, P(1), PROT_READ);	/* replaced by the move */
	fill(out, sizeof(out), 41);
	cr_assert_eq(copy_out(mm, A + 100, out, sizeof(out)), 0);
	cr_assert_eq(mm_mremap(mm, A, P(1), P(1), MREMAP_MAYMOVE | MREMAP_FIXED, to), (long)to);
	cr_assert_eq(copy_in(mm, in, to + 100, sizeof(in)), 0);
	cr_assert_arr_eq(in, out, sizeof(out));
	cr_assert_eq(copy_out(mm, to, out, 1), 0, "protection came from the moved mapping");
	cr_assert_eq(copy_in(mm, in, A, 1), -EFAULT);
	mm_put(mm);
}

Test(usercopy, brk_grows_and_shrinks)
{
	struct mm *mm = setup();
	uaddr_t base = 0x20000000UL;
	uint8_t b = 0x77, in[8];

	mm->brk_start = mm->brk = base;
	cr_assert_eq(copy_out(mm, base, &b, 1), -EFAULT, "no heap yet");
	cr_assert_eq(mm_brk(mm, 0), (long)base, "query");
	cr_assert_eq(mm_brk(mm, base + P(3) + 5), (long)(base + P(3) + 5));
	cr_assert_eq(copy_out(mm, base, &b, 1), 0);
	cr_assert_eq(copy_out(mm, base + P(3) + 4, &b, 1), 0);
	cr_assert_eq(copy_out(mm, base + P(4) - 1, &b, 1), 0, "the rest of the last page is mapped");
	cr_assert_eq(copy_out(mm, base + P(4), &b, 1), -EFAULT);
	cr_assert_eq(copy_in(mm, in, base + P(2), 8), 0);
	cr_assert(all_zero(in, 8), "fresh heap reads zero");

	cr_assert_eq(mm_brk(mm, base + P(1)), (long)(base + P(1)));
	cr_assert_eq(copy_in(mm, in, base + P(1), 1), -EFAULT);
	cr_assert_eq(copy_in(mm, in, base + P(1) - 1, 1), 0);
	cr_assert_eq(mf.used_pages, 1, "the dropped pages went back");

	cr_assert_eq(mm_brk(mm, base - 1), (long)(base + P(1)), "below the start: unchanged");

	/* Regrown pages are new: the old data is gone. */
	cr_assert_eq(mm_brk(mm, base + P(4)), (long)(base + P(4)));
	cr_assert_eq(copy_in(mm, in, base + P(3) + 4, 1), 0);
	cr_assert_eq(in[0], 0);

	/* A mapping in the way stops it. */
	map(mm, base + P(10), P(1), PROT_READ);
	cr_assert_eq(mm_brk(mm, base + P(20)), (long)(base + P(4)));
	cr_assert_eq(copy_in(mm, in, base + P(5), 1), -EFAULT);

	cr_assert_eq(mm_brk(mm, base), (long)base, "back to empty");
	cr_assert_eq(copy_in(mm, in, base, 1), -EFAULT);
	mm_put(mm);
}

Test(usercopy, madvise_dontneed_zeroes_anonymous)
{
	struct mm *mm = setup();
	uint8_t out[64], in[64];

	map(mm, A, P(3), PROT_READ | PROT_WRITE);
	fill(out, sizeof(out), 51);
	cr_assert_eq(copy_out(mm, A + P(1) - 32, out, sizeof(out)), 0);
	cr_assert_eq(copy_out(mm, A + P(2), out, sizeof(out)), 0);
	cr_assert_eq(mf.used_pages, 3);
	cr_assert_eq(mm_madvise(mm, A, P(2), MADV_DONTNEED), 0);
	cr_assert_eq(mf.used_pages, 1);
	cr_assert_eq(copy_in(mm, in, A + P(1) - 32, sizeof(in)), 0, "still mapped");
	cr_assert(all_zero(in, sizeof(in)));
	cr_assert_eq(copy_in(mm, in, A + P(2), sizeof(in)), 0);
	cr_assert_arr_eq(in, out, sizeof(out), "outside the range: kept");

	cr_assert_eq(mm_madvise(mm, A, P(4), MADV_DONTNEED), -ENOMEM, "runs into a hole");
	cr_assert_eq(mm_madvise(mm, A + 1, P(1), MADV_DONTNEED), -EINVAL);
	mm_put(mm);
}

Test(usercopy, madvise_dontneed_keeps_shared_anonymous)
{
	struct mm *mm = setup();
	uint8_t out[64], in[64];

	cr_assert_eq(mm_mmap(mm, A, P(1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
		     (long)A);
	fill(out, sizeof(out), 61);
	cr_assert_eq(copy_out(mm, A, out, sizeof(out)), 0);
	cr_assert_eq(mm_madvise(mm, A, P(1), MADV_DONTNEED), 0);
	cr_assert_eq(copy_in(mm, in, A, sizeof(in)), 0);
	/* BUG (kernel/mm/mm_calls.c mm_madvise -> mm.c mm_zap_range): a
	 * MAP_SHARED|MAP_ANONYMOUS mapping has no mapping object (obj NULL,
	 * VMA_SHARED), so zapping frees its only copy of the data. On Linux
	 * shared anonymous memory is shmem and keeps its contents after
	 * MADV_DONTNEED (madvise's own comment says "shared pages keep their
	 * data"). */
	cr_assert_arr_eq(in, out, sizeof(out), "shared anonymous memory keeps its data");
	mm_put(mm);
}

Test(usercopy, mincore_reports_populated_pages)
{
	struct mm *mm = setup();
	uaddr_t vec = A + P(100);
	uint8_t b = 1, v[5];

	map(mm, A, P(5), PROT_READ | PROT_WRITE);
	map(mm, vec, P(1), PROT_READ | PROT_WRITE);
	cr_assert_eq(copy_out(mm, A, &b, 1), 0);
	cr_assert_eq(copy_in(mm, &b, A + P(2) + 7, 1), 0);
	cr_assert_eq(copy_out(mm, A + P(4) + 4095, &b, 1), 0);
	cr_assert_eq(mm_mincore(mm, A, P(5), vec), 0);
	cr_assert_eq(copy_in(mm, v, vec, sizeof(v)), 0);
	cr_assert_eq(v[0], 1);
	cr_assert_eq(v[1], 0);
	cr_assert_eq(v[2], 1);
	cr_assert_eq(v[3], 0);
	cr_assert_eq(v[4], 1);

	cr_assert_eq(mm_madvise(mm, A, P(1), MADV_DONTNEED), 0);
	cr_assert_eq(mm_mincore(mm, A, 1, vec), 0, "length rounds up to a page");
	cr_assert_eq(copy_in(mm, v, vec, 1), 0);
	cr_assert_eq(v[0], 0);

	cr_assert_eq(mm_mincore(mm, A, P(6), vec), -ENOMEM, "runs into a hole");
	cr_assert_eq(mm_mincore(mm, A + 1, P(1), vec), -EINVAL);
	cr_assert_eq(mm_mincore(mm, A, P(1), A + P(50)), -EFAULT, "vec in a hole");
	mm_put(mm);
}

/* ---- memory-file pages go back ---- */

Test(usercopy, pages_returned_on_munmap)
{
	struct mm *mm = setup();
	size_t len = P(8);
	uint8_t *buf = calloc(1, len);

	cr_assert_eq(mf.used_pages, 0);
	map(mm, A, len, PROT_READ | PROT_WRITE);
	cr_assert_eq(mf.used_pages, 0, "mmap allocates nothing");
	cr_assert_eq(copy_out(mm, A, buf, len), 0);
	cr_assert_eq(mf.used_pages, 8);
	cr_assert_eq(mm_munmap(mm, A + P(2), P(3)), 0);
	cr_assert_eq(mf.used_pages, 5);
	cr_assert_eq(mm_munmap(mm, A, len), 0);
	cr_assert_eq(mf.used_pages, 0);
	free(buf);
	mm_put(mm);
	cr_assert_eq(mf.used_pages, 0);
}

Test(usercopy, pages_returned_on_mm_put)
{
	struct mm *mm = setup();
	uint8_t b = 1;

	map(mm, A, P(16), PROT_READ | PROT_WRITE);
	map(mm, A + P(1000), P(4), PROT_READ);
	for (int i = 0; i < 16; i += 2)
		cr_assert_eq(copy_out(mm, A + P(i), &b, 1), 0);
	cr_assert_eq(copy_in(mm, &b, A + P(1003), 1), 0);
	cr_assert_eq(mf.used_pages, 9);
	mm_get(mm);
	mm_put(mm);
	cr_assert_eq(mf.used_pages, 9, "still referenced");
	mm_put(mm);
	cr_assert_eq(mf.used_pages, 0);
}

Test(usercopy, mapping_over_an_old_one_frees_its_pages)
{
	struct mm *mm = setup();
	uint8_t b = 0x5a;

	map(mm, A, P(2), PROT_READ | PROT_WRITE);
	cr_assert_eq(copy_out(mm, A, &b, 1), 0);
	cr_assert_eq(copy_out(mm, A + P(1), &b, 1), 0);
	cr_assert_eq(mf.used_pages, 2);
	map(mm, A, P(2), PROT_READ | PROT_WRITE);	/* MAP_FIXED replaces */
	cr_assert_eq(mf.used_pages, 0);
	cr_assert_eq(copy_in(mm, &b, A, 1), 0);
	cr_assert_eq(b, 0, "the new mapping is fresh");
	mm_put(mm);
}

/* ---- file mappings: a page cache of memory-file pages ---- */

struct fake_file {
	struct mapping_obj obj;
	int refs;
	uint64_t npages;	/* the file's size in pages */
	uint64_t cache[8];	/* memory-file offset of each page; one reference each */
};

static long fake_get_pages(struct mapping_obj *o, uint64_t pgoff, uint64_t count, uint64_t *offs)
{
	struct fake_file *f = (struct fake_file *)o;
	uint64_t i;

	if (pgoff >= f->npages)
		return -EIO;
	for (i = 0; i < count && pgoff + i < f->npages; i++) {
		offs[i] = f->cache[pgoff + i];
		memfile_ref(sentry_memfile, offs[i], 1);
	}
	return (long)i;
}

static void fake_get(struct mapping_obj *o)
{
	((struct fake_file *)o)->refs++;
}

static void fake_put(struct mapping_obj *o)
{
	((struct fake_file *)o)->refs--;
}

static const struct mapping_ops fake_file_ops = {
	.get_pages = fake_get_pages, .get = fake_get, .put = fake_put,
};

static void fake_file_init(struct fake_file *f, uint64_t npages)
{
	memset(f, 0, sizeof(*f));
	f->obj.ops = &fake_file_ops;
	f->refs = 1;
	f->npages = npages;
	for (uint64_t i = 0; i < npages; i++) {
		int64_t off = memfile_alloc(sentry_memfile, 1);
		cr_assert_geq(off, 0);
		f->cache[i] = (uint64_t)off;
		memset(memfile_ptr(sentry_memfile, (uint64_t)off), 'a' + (int)i, PAGE_SIZE);
	}
}

Test(usercopy, private_file_mapping_copies_on_write)
{
	struct mm *mm = setup();
	struct fake_file f;
	uint8_t in[16];

	fake_file_init(&f, 2);
	cr_assert_eq(mm_mmap(mm, A, P(2), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, &f.obj, 0), (long)A);
	cr_assert_eq(f.refs, 2, "the mapping holds a reference");
	cr_assert_eq(copy_in(mm, in, A + P(1) - 8, 16), 0);
	cr_assert(all_byte(in, 8, 'a') && all_byte(in + 8, 8, 'b'), "reads the file");
	cr_assert_eq(mf.used_pages, 2, "reading shares the cache pages");
	cr_assert_eq(memfile_refcount(&mf, f.cache[0]), 2);

	cr_assert_eq(copy_out(mm, A, "XY", 2), 0);
	cr_assert_eq(mf.used_pages, 3, "the written page got a private copy");
	cr_assert_eq(memfile_refcount(&mf, f.cache[0]), 1);
	cr_assert(all_byte(memfile_ptr(&mf, f.cache[0]), PAGE_SIZE, 'a'), "the file is untouched");
	cr_assert_eq(copy_in(mm, in, A, 4), 0);
	cr_assert_eq(memcmp(in, "XYaa", 4), 0);

	cr_assert_eq(mm_munmap(mm, A, P(2)), 0);
	cr_assert_eq(mf.used_pages, 2, "private copy freed, cache pages kept");
	cr_assert_eq(memfile_refcount(&mf, f.cache[1]), 1);
	cr_assert_eq(f.refs, 1);
	mm_put(mm);
}

Test(usercopy, shared_file_mapping_writes_the_cache)
{
	struct mm *mm = setup();
	struct fake_file f;

	fake_file_init(&f, 1);
	cr_assert_eq(mm_mmap(mm, A, P(1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, &f.obj, 0), (long)A);
	cr_assert_eq(copy_out(mm, A + 10, "Z", 1), 0);
	cr_assert_eq(((uint8_t *)memfile_ptr(&mf, f.cache[0]))[10], 'Z');
	cr_assert_eq(mf.used_pages, 1);
	mm_put(mm);
	cr_assert_eq(f.refs, 1);
	cr_assert_eq(memfile_refcount(&mf, f.cache[0]), 1);
}

Test(usercopy, file_mapping_past_eof)
{
	struct mm *mm = setup();
	struct fake_file f;
	uint8_t in[16];

	fake_file_init(&f, 1);
	cr_assert_eq(mm_mmap(mm, A, P(3), PROT_READ, MAP_PRIVATE | MAP_FIXED, &f.obj, 0), (long)A);
	cr_assert_eq(copy_in(mm, in, A + P(1), 1), -EFAULT, "SIGBUS for the application, EFAULT here");
	cr_assert_eq(copy_in_partial(mm, in, A + P(1) - 8, 16), 8);
	cr_assert_eq(copy_in(mm, in, A, 16), 0);
	mm_put(mm);
}
