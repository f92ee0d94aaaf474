/* state/image and state/manifest: round trips, atomic replacement under
 * injected faults, manifest corruption, CPU checks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "state/cpufeat.h"
#include "state/fault.h"
#include "state/image.h"
#include "state/manifest.h"
#include "state/proto/manifest.pb-c.h"
#include "tests/unit/state/state_test.h"

#define SEED 77

static void set_fault(const char *v)
{
	if (v)
		setenv("AMBER_FAULT", v, 1);
	else
		unsetenv("AMBER_FAULT");
	fault_reload();
}

static char *read_file(const char *dir, const char *name, size_t *len)
{
	char path[PATH_MAX];
	int fd;
	uint8_t *buf;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	buf = test_slurp(fd, len);
	close(fd);
	return (char *)buf;
}

static void write_raw(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* Writes an image with a kernel.pb of `tag`, an extra file and pages.
 * Returns the writer's result. */
static int write_image(const char *dir, const char *tag, struct test_mem *m, char *err, size_t errlen)
{
	struct image_writer *w;
	struct pages_stats st;
	struct pages_source src = {
		.base = m ? m->base : NULL, .fd = m ? m->fd : -1, .extents = test_extents,
		.extent_count = m ? test_extent_count : 0,
	};
	int r = image_writer_open(&w, dir, err, errlen);

	if (r)
		return r;
	r = image_writer_add(w, IMAGE_KERNEL, tag, strlen(tag));
	if (!r)
		r = image_writer_add(w, "notes.txt", "hello", 5);
	if (!r)
		r = image_writer_pages(w, &src, &st);
	if (r) {
		image_writer_abort(w);
		return r;
	}
	return image_writer_commit(w);
}

/* Asserts that dir holds a complete image whose kernel.pb is tag. */
static void expect_image(const char *dir, const char *tag)
{
	struct image *img;
	const void *buf;
	size_t len;
	char err[256];

	cr_assert_eq(image_open(&img, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(image_read(img, IMAGE_KERNEL, &buf, &len), 0, "%s", err);
	cr_assert_eq(len, strlen(tag));
	cr_assert_eq(memcmp(buf, tag, len), 0, "kernel.pb is %.*s, expected %s", (int)len, (const char *)buf, tag);
	cr_assert_eq(image_verify(img), 0, "%s", err);
	image_close(img);
}

static void expect_no_temp(const char *parent)
{
	cr_assert_eq(test_count_prefix(parent, ".img.tmp-"), 0, "temporary directories left behind");
	cr_assert_eq(test_count_prefix(parent, ".img.old-"), 0);
}

Test(state_image, round_trip)
{
	char parent[64], dir[128], err[256];
	struct test_mem m, r;
	struct image *img;
	struct pages_reader *pr;
	const struct manifest *man;
	const void *buf;
	size_t len;
	struct stat st;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	test_mem_new(&m, test_extents_end());
	test_fill(&m, test_extents, test_extent_count, SEED);
	cr_assert_eq(write_image(dir, "kernel-one", &m, err, sizeof(err)), 0, "%s", err);
	expect_no_temp(parent);

	/* Podman looks for this. */
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/inventory.img", dir);
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_eq(st.st_size, 0);
		snprintf(path, sizeof(path), "%s", dir);
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_eq(st.st_mode & 0777, 0700, "images hold memory: private");
	}

	cr_assert_eq(image_open(&img, dir, err, sizeof(err)), 0, "%s", err);
	man = image_manifest(img);
	cr_assert_eq(man->version, MANIFEST_VERSION);
	cr_assert_eq(man->file_count, 4, "kernel.pb, notes.txt, pages, inventory.img, and no more");
	cr_assert_not_null(manifest_find(man, IMAGE_INVENTORY));
	cr_assert_str_eq(man->cpu.arch, "x86_64");
	cr_assert_neq(man->cpu.xcr0 & 3, 0);
	cr_assert_eq(image_read(img, "notes.txt", &buf, &len), 0, "%s", err);
	cr_assert_eq(len, 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	cr_assert_eq(image_read(img, "missing", &buf, &len), -ENOENT);
	cr_assert(strstr(err, "missing: not in the image"), "%s", err);
	cr_assert_eq(image_open_pages(img, &pr), 0, "%s", err);
	test_mem_new(&r, test_extents_end());
	cr_assert_eq(pages_load_all(pr, r.base, r.size, 0), 0, "%s", pages_error(pr));
	cr_assert(test_check(&r, test_extents, test_extent_count, SEED, test_extents_end()));
	cr_assert_eq(image_verify(img), 0, "%s", err);
	/* image_read of pages reads and verifies it whole. */
	cr_assert_eq(image_read(img, IMAGE_PAGES, &buf, &len), 0, "%s", err);
	pages_close(pr);
	image_close(img);
	test_mem_free(&r);
	test_mem_free(&m);
	test_rmtree(parent);
}

Test(state_image, replaces_an_earlier_image)
{
	char parent[64], dir[128], err[256];

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img/", parent);	/* a trailing slash is fine */
	cr_assert_eq(write_image(dir, "first", NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(write_image(dir, "second", NULL, err, sizeof(err)), 0, "%s", err);
	expect_image(dir, "second");
	expect_no_temp(parent);
	test_rmtree(parent);
}

Test(state_image, refuses_to_replace_what_is_not_an_image)
{
	char parent[64], dir[128], err[256], path[PATH_MAX];
	struct image_writer *w;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);

	/* An empty directory, as OCI callers create: fine. */
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(write_image(dir, "one", NULL, err, sizeof(err)), 0, "%s", err);
	expect_image(dir, "one");
	test_rmtree(dir);

	/* Someone's files: refused, untouched. */
	cr_assert_eq(mkdir(dir, 0755), 0);
	write_raw(dir, "thesis.tex", "precious", 8);
	cr_assert_eq(image_writer_open(&w, dir, err, sizeof(err)), -ENOTEMPTY);
	cr_assert(strstr(err, "neither empty nor a checkpoint image"), "%s", err);
	snprintf(path, sizeof(path), "%s/thesis.tex", dir);
	cr_assert_eq(access(path, F_OK), 0);
	test_rmtree(dir);

	/* A file. */
	write_raw(parent, "img", "x", 1);
	cr_assert_eq(image_writer_open(&w, dir, err, sizeof(err)), -ENOTDIR);
	cr_assert(strstr(err, "not a directory"), "%s", err);
	unlink(dir);

	/* Paths that name no directory entry. */
	cr_assert_eq(image_writer_open(&w, "/", err, sizeof(err)), -EINVAL);
	cr_assert_eq(image_writer_open(&w, "", err, sizeof(err)), -EINVAL);
	cr_assert_eq(image_writer_open(&w, "/tmp/..", err, sizeof(err)), -EINVAL);
	cr_assert_eq(image_writer_open(&w, "/nonexistent-amber/dir/img", err, sizeof(err)), -ENOENT);
	test_rmtree(parent);
}

Test(state_image, file_names)
{
	char parent[64], dir[128], err[256];
	struct image_writer *w;
	char long_name[IMAGE_NAME_MAX + 2];

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	cr_assert_eq(image_writer_open(&w, dir, err, sizeof(err)), 0, "%s", err);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	cr_assert_eq(image_writer_add(w, "../escape", "x", 1), -EINVAL);
	cr_assert_eq(image_writer_add(w, ".hidden", "x", 1), -EINVAL);
	cr_assert_eq(image_writer_add(w, "manifest", "x", 1), -EINVAL);
	cr_assert_eq(image_writer_add(w, IMAGE_PAGES, "x", 1), -EINVAL);
	cr_assert_eq(image_writer_add(w, IMAGE_INVENTORY, "x", 1), -EINVAL);
	cr_assert_eq(image_writer_add(w, "", "x", 1), -EINVAL);
	cr_assert_eq(image_writer_add(w, long_name, "x", 1), -EINVAL);
	cr_assert_eq(image_writer_add(w, "a.pb", "x", 1), 0, "%s", err);
	cr_assert_eq(image_writer_add(w, "a.pb", "y", 1), -EEXIST);
	cr_assert_eq(image_writer_add(w, "empty", "", 0), 0, "%s", err);
	cr_assert_eq(image_writer_commit(w), 0, "%s", err);
	{
		struct image *img;
		const void *buf;
		size_t len;

		cr_assert_eq(image_open(&img, dir, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(image_read(img, "empty", &buf, &len), 0);
		cr_assert_eq(len, 0);
		image_close(img);
	}
	test_rmtree(parent);
}

Test(state_image, abort_leaves_nothing)
{
	char parent[64], dir[128], err[256];
	struct image_writer *w;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	cr_assert_eq(image_writer_open(&w, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(image_writer_add(w, IMAGE_KERNEL, "abc", 3), 0);
	cr_assert_eq(test_count_prefix(parent, ".img.tmp-"), 1);
	image_writer_abort(w);
	expect_no_temp(parent);
	cr_assert_eq(access(dir, F_OK), -1);
	test_rmtree(parent);
}

/* Makes each step of a write fail in turn (the n-th write, fsync,
 * rename...) and checks that the earlier image survives every one, and
 * that when the fault no longer fires the new image is whole. */
static void faults_keep_the_old_image(const char *name, bool with_old)
{
	char parent[64], dir[128], err[256];
	struct test_mem m;
	int failures = 0;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	test_mem_new(&m, test_extents_end());
	test_fill(&m, test_extents, test_extent_count, SEED);
	for (int n = 1; n < 1000; n++) {
		char rule[64];
		int r;

		test_rmtree(dir);
		if (with_old)
			cr_assert_eq(write_image(dir, "old", NULL, err, sizeof(err)), 0, "%s", err);
		snprintf(rule, sizeof(rule), "%s:%d", name, n);
		set_fault(rule);
		r = write_image(dir, "new", &m, err, sizeof(err));
		set_fault(NULL);
		expect_no_temp(parent);
		if (r == 0) {
			expect_image(dir, "new");
			break;
		}
		failures++;
		cr_assert_eq(r, -EIO, "%s: %d (%s)", rule, r, err);
		cr_assert_neq(err[0], 0, "%s: no message", rule);
		if (with_old)
			expect_image(dir, "old");
		else
			cr_assert_eq(access(dir, F_OK), -1, "%s: a partial image appeared", rule);
	}
	cr_assert_gt(failures, 0, "%s never fired", name);
	cr_log_info("%s: %d failure points, old image %s", name, failures, with_old ? "kept" : "absent");
	test_mem_free(&m);
	test_rmtree(parent);
}

Test(state_image, write_faults_keep_the_old_image) { faults_keep_the_old_image("image.write", true); }
Test(state_image, fsync_faults_keep_the_old_image) { faults_keep_the_old_image("image.fsync", true); }
Test(state_image, rename_fault_keeps_the_old_image) { faults_keep_the_old_image("image.rename", true); }
Test(state_image, pages_faults_keep_the_old_image) { faults_keep_the_old_image("pages.write", true); }
Test(state_image, faults_leave_no_image_when_none_was) { faults_keep_the_old_image("image.fsync", false); }

Test(state_image, crashed_writer_is_cleaned_up)
{
	char parent[64], dir[128], err[256];
	pid_t pid;
	int status;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	cr_assert_eq(write_image(dir, "old", NULL, err, sizeof(err)), 0, "%s", err);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct image_writer *w;

		if (image_writer_open(&w, dir, err, sizeof(err)) || image_writer_add(w, IMAGE_KERNEL, "dying", 5))
			_exit(1);
		_exit(0);	/* killed mid-write: no abort, no commit */
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(WEXITSTATUS(status), 0);
	cr_assert_eq(test_count_prefix(parent, ".img.tmp-"), 1, "the dead writer's directory");
	expect_image(dir, "old");
	cr_assert_eq(write_image(dir, "next", NULL, err, sizeof(err)), 0, "%s", err);
	expect_no_temp(parent);
	expect_image(dir, "next");
	test_rmtree(parent);
}

Test(state_image, live_writers_are_not_cleaned_up)
{
	char parent[64], dir[128], err[256];
	struct image_writer *a, *b;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	cr_assert_eq(image_writer_open(&a, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(image_writer_add(a, IMAGE_KERNEL, "a", 1), 0);
	cr_assert_eq(image_writer_open(&b, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(test_count_prefix(parent, ".img.tmp-"), 2);
	image_writer_abort(b);
	cr_assert_eq(image_writer_commit(a), 0, "%s", err);
	expect_image(dir, "a");
	test_rmtree(parent);
}

/* ---- reading corrupt images ---- */

static void expect_open_error(const char *dir, int code, const char *msg)
{
	struct image *img;
	char err[256];
	int r = image_open(&img, dir, err, sizeof(err));

	cr_assert_eq(r, code, "expected %d, got %d (%s)", code, r, err);
	cr_assert_null(img);
	cr_assert(strstr(err, msg), "message \"%s\" lacks \"%s\"", err, msg);
	cr_assert_null(strchr(err, '\n'), "one line");
}

/* Re-encodes the manifest of dir after edit() changed it. */
static void rewrite_manifest(const char *dir, void (*edit)(struct manifest *m, void *arg), void *arg)
{
	struct manifest m;
	uint8_t *buf;
	size_t len;
	char err[256], *raw = read_file(dir, "manifest", &len);

	cr_assert_eq(manifest_decode((uint8_t *)raw, len, &m, err, sizeof(err)), 0, "%s", err);
	free(raw);
	edit(&m, arg);
	cr_assert_eq(manifest_encode(&m, &buf, &len), 0);
	write_raw(dir, "manifest", buf, len);
	free(buf);
}

static void set_xcr0_bit(struct manifest *m, void *arg)
{
	m->cpu.xcr0 |= 1ull << *(unsigned *)arg;
}

static void set_cpuid_bit(struct manifest *m, void *arg)
{
	const struct cpufeat_word *want = arg;

	for (size_t i = 0; i < m->cpu.word_count; i++) {
		struct cpufeat_word *w = &m->cpu.words[i];

		if (w->leaf == want->leaf && w->subleaf == want->subleaf && w->reg == want->reg)
			w->value |= want->value;
	}
}

static void set_arch(struct manifest *m, void *arg)
{
	strcpy(m->cpu.arch, arg);
}

static void grow_xsave(struct manifest *m, void *arg)
{
	m->cpu.xsave_size += 4096;
}

static void move_xsave_component(struct manifest *m, void *arg)
{
	cr_assert_gt(m->cpu.xsave_count, 0);
	m->cpu.xsave[0].offset += 64;
}

static void lie_about_size(struct manifest *m, void *arg)
{
	for (size_t i = 0; i < m->file_count; i++)
		if (strcmp(m->files[i].name, arg) == 0)
			m->files[i].size++;
}

static uint32_t host_word(const struct cpufeat *h, uint32_t leaf, uint32_t sub, uint32_t reg)
{
	for (size_t i = 0; i < h->word_count; i++)
		if (h->words[i].leaf == leaf && h->words[i].subleaf == sub && h->words[i].reg == reg)
			return h->words[i].value;
	return 0;
}

Test(state_image, cpu_mismatch_is_refused)
{
	char parent[64], dir[128], err[256];
	struct cpufeat host;
	unsigned bit;
	/* Candidates: amx_tile, avx512f, avx512_fp16, xop, fma4, tbm. */
	static const struct cpufeat_word candidates[] = {
		{ 7, 0, 3, 1u << 24 }, { 7, 0, 1, 1u << 16 }, { 7, 0, 3, 1u << 23 },
		{ 0x80000001, 0, 2, 1u << 11 }, { 0x80000001, 0, 2, 1u << 16 }, { 0x80000001, 0, 2, 1u << 21 },
	};

	cpufeat_host(&host);
	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);

	/* A state component this host lacks. */
	for (bit = 2; bit < 63 && (host.xcr0 & (1ull << bit)); bit++)
		;
	cr_assert_eq(write_image(dir, "k", NULL, err, sizeof(err)), 0, "%s", err);
	rewrite_manifest(dir, set_xcr0_bit, &bit);
	expect_open_error(dir, -EOPNOTSUPP, "image made on a CPU with");
	expect_open_error(dir, -EOPNOTSUPP, "this host lacks");

	/* A feature this host lacks. */
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		const struct cpufeat_word *c = &candidates[i];

		if (host_word(&host, c->leaf, c->subleaf, c->reg) & c->value)
			continue;
		cr_assert_eq(write_image(dir, "k", NULL, err, sizeof(err)), 0, "%s", err);
		rewrite_manifest(dir, set_cpuid_bit, (void *)c);
		expect_open_error(dir, -EOPNOTSUPP, "this host lacks");
		break;
	}

	cr_assert_eq(write_image(dir, "k", NULL, err, sizeof(err)), 0, "%s", err);
	rewrite_manifest(dir, set_arch, "aarch64");
	expect_open_error(dir, -EOPNOTSUPP, "image made on aarch64");

	cr_assert_eq(write_image(dir, "k", NULL, err, sizeof(err)), 0, "%s", err);
	rewrite_manifest(dir, grow_xsave, NULL);
	expect_open_error(dir, -EOPNOTSUPP, "XSAVE area");

	cr_assert_eq(write_image(dir, "k", NULL, err, sizeof(err)), 0, "%s", err);
	rewrite_manifest(dir, move_xsave_component, NULL);
	expect_open_error(dir, -EOPNOTSUPP, "different layout");
	test_rmtree(parent);
}

Test(state_image, corrupt_files_are_refused)
{
	char parent[64], dir[128], err[256];
	struct test_mem m;
	size_t len;
	char *buf;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	test_mem_new(&m, test_extents_end());
	test_fill(&m, test_extents, test_extent_count, SEED);

	/* A flipped bit in kernel.pb. */
	cr_assert_eq(write_image(dir, "kernel-bytes", &m, err, sizeof(err)), 0, "%s", err);
	buf = read_file(dir, IMAGE_KERNEL, &len);
	buf[3] ^= 1;
	write_raw(dir, IMAGE_KERNEL, buf, len);
	free(buf);
	expect_open_error(dir, -EBADMSG, "kernel.pb: checksum mismatch");

	/* A truncated file. */
	cr_assert_eq(write_image(dir, "kernel-bytes", &m, err, sizeof(err)), 0, "%s", err);
	write_raw(dir, "notes.txt", "hell", 4);
	expect_open_error(dir, -EBADMSG, "notes.txt: 4 bytes, the manifest says 5");

	/* A missing file. */
	cr_assert_eq(write_image(dir, "kernel-bytes", &m, err, sizeof(err)), 0, "%s", err);
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/pages", dir);
		unlink(path);
	}
	expect_open_error(dir, -ENOENT, "pages: listed in the manifest but missing");

	/* A manifest lying about a size. */
	cr_assert_eq(write_image(dir, "kernel-bytes", &m, err, sizeof(err)), 0, "%s", err);
	rewrite_manifest(dir, lie_about_size, "pages");
	expect_open_error(dir, -EBADMSG, "pages:");

	/* A flipped bit in pages' chunk data: open is fine (lazy restore
	 * must not read it all), image_verify and the chunk's load are not. */
	cr_assert_eq(write_image(dir, "kernel-bytes", &m, err, sizeof(err)), 0, "%s", err);
	buf = read_file(dir, IMAGE_PAGES, &len);
	buf[len / 2] ^= 0x20;
	write_raw(dir, IMAGE_PAGES, buf, len);
	free(buf);
	{
		struct image *img;

		cr_assert_eq(image_open(&img, dir, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(image_verify(img), -EBADMSG);
		cr_assert_str_eq(err, "pages: checksum mismatch");
		image_close(img);
	}

	/* Not an image at all. */
	test_rmtree(dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	expect_open_error(dir, -ENOENT, "manifest: missing");
	test_rmtree(dir);
	expect_open_error(dir, -ENOENT, "No such file");
	test_mem_free(&m);
	test_rmtree(parent);
}

Test(state_image, manifest_corruption, .timeout = 60)
{
	char parent[64], dir[128], err[256];
	char *orig, *buf;
	size_t len;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	cr_assert_eq(write_image(dir, "k", NULL, err, sizeof(err)), 0, "%s", err);
	orig = read_file(dir, "manifest", &len);
	buf = malloc(len + 16);

	memcpy(buf, orig, len);
	buf[0] = 'X';
	write_raw(dir, "manifest", buf, len);
	expect_open_error(dir, -EBADMSG, "manifest: bad magic");

	memcpy(buf, orig, len);
	buf[8] = 2;	/* version 2 */
	write_raw(dir, "manifest", buf, len);
	expect_open_error(dir, -EPROTONOSUPPORT, "manifest: format version 2 is newer");

	memcpy(buf, orig, len);
	buf[len - 1] ^= 0x80;
	write_raw(dir, "manifest", buf, len);
	expect_open_error(dir, -EBADMSG, "manifest: checksum mismatch");

	memcpy(buf, orig, len);
	memset(buf + len, 0, 16);
	write_raw(dir, "manifest", buf, len + 16);
	expect_open_error(dir, -EBADMSG, "manifest: payload length");

	/* Every bit and every truncation. */
	for (size_t i = 0; i < len * 8; i++) {
		memcpy(buf, orig, len);
		buf[i / 8] ^= (char)(1u << (i % 8));
		write_raw(dir, "manifest", buf, len);
		{
			struct image *img;
			int r = image_open(&img, dir, err, sizeof(err));

			cr_assert_lt(r, 0, "flip of bit %zu went unnoticed", i);
			cr_assert_eq(strncmp(err, "manifest: ", 10), 0, "%s", err);
		}
	}
	for (size_t n = 0; n < len; n++) {
		struct image *img;

		write_raw(dir, "manifest", orig, n);
		cr_assert_lt(image_open(&img, dir, err, sizeof(err)), 0, "truncated to %zu", n);
	}
	free(buf);
	free(orig);
	test_rmtree(parent);
}

/* A manifest whose checksum is right but whose message is hostile. */
Test(state_image, manifest_decode_checks_fields)
{
	struct manifest m, out;
	uint8_t *buf;
	size_t len;
	char err[256];

	memset(&m, 0, sizeof(m));
	cpufeat_host(&m.cpu);
	strcpy(m.files[0].name, "a");
	strcpy(m.files[1].name, "a");
	m.file_count = 2;
	cr_assert_eq(manifest_encode(&m, &buf, &len), 0);
	cr_assert_eq(manifest_decode(buf, len, &out, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "listed twice"), "%s", err);
	free(buf);

	m.file_count = 1;
	m.files[0].size = IMAGE_MAX_FILE_SIZE + 1;
	cr_assert_eq(manifest_encode(&m, &buf, &len), 0);
	cr_assert_eq(manifest_decode(buf, len, &out, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "out of range"), "%s", err);
	free(buf);

	/* Names are checked on the way out as well as in. */
	strcpy(m.files[0].name, "../x");
	cr_assert_eq(manifest_encode(&m, &buf, &len), -EINVAL);

	/* Protobuf garbage behind a valid header. */
	{
		uint8_t junk[MANIFEST_HEADER_SIZE + 7] = "AMBERIMG";
		uint64_t h;

		junk[8] = 1;
		junk[12] = 7;
		memset(junk + MANIFEST_HEADER_SIZE, 0xff, 7);
		h = XXH64(junk + MANIFEST_HEADER_SIZE, 7, 0);
		memcpy(junk + 16, &h, 8);
		cr_assert_eq(manifest_decode(junk, sizeof(junk), &out, err, sizeof(err)), -EBADMSG);
		cr_assert(strstr(err, "malformed"), "%s", err);
	}
}

/* The writer's boot id: kept through a round trip, it says whether an
 * image comes back to the boot that wrote it; one that does not fit is
 * refused. */
Test(state_image, boot_id)
{
	struct manifest m, out;
	uint8_t *buf;
	size_t len;
	char err[256];

	memset(&m, 0, sizeof(m));
	cpufeat_host(&m.cpu);
	manifest_host_boot_id(m.boot_id);
	cr_assert_eq(strlen(m.boot_id), 36, "boot id \"%s\"", m.boot_id);
	cr_assert_eq(manifest_encode(&m, &buf, &len), 0);
	cr_assert_eq(manifest_decode(buf, len, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(out.boot_id, m.boot_id);
	cr_assert(manifest_same_host(&out));
	free(buf);

	out.boot_id[0] = out.boot_id[0] == '0' ? '1' : '0';
	cr_assert_not(manifest_same_host(&out));
	out.boot_id[0] = 0;
	cr_assert_not(manifest_same_host(&out), "an image that says nothing is from elsewhere");

	/* 40 characters, one more than the field holds, in a message made
	 * by hand behind a valid header. */
	{
		Amber__State__Manifest msg = AMBER__STATE__MANIFEST__INIT;
		char id[41];
		uint8_t file[MANIFEST_HEADER_SIZE + 256] = "AMBERIMG";
		uint32_t n;
		uint64_t h;

		memset(id, 'a', 40);
		id[40] = 0;
		msg.boot_id = id;
		n = (uint32_t)amber__state__manifest__get_packed_size(&msg);
		cr_assert_lt(n, 256);
		amber__state__manifest__pack(&msg, file + MANIFEST_HEADER_SIZE);
		file[8] = 1;
		memcpy(file + 12, &n, 4);
		h = XXH64(file + MANIFEST_HEADER_SIZE, n, 0);
		memcpy(file + 16, &h, 8);
		cr_assert_eq(manifest_decode(file, MANIFEST_HEADER_SIZE + n, &out, err, sizeof(err)), -EBADMSG);
		cr_assert(strstr(err, "boot id"), "%s", err);
	}
}

Test(state_image, read_fault_is_reported)
{
	char parent[64], dir[128], err[256];
	struct image *img;

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, sizeof(dir), "%s/img", parent);
	cr_assert_eq(write_image(dir, "k", NULL, err, sizeof(err)), 0, "%s", err);
	set_fault("image.read:2");
	cr_assert_eq(image_open(&img, dir, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, ": read: Input/output error"), "%s", err);
	set_fault(NULL);
	test_rmtree(parent);
}
