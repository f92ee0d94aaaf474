/* The image reader: the manifest first, then the CPU, then every file's
 * size and (except for pages) checksum; see image.h. */
#include "state/image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "state/fault.h"

#define VERIFY_BLOCK (1u << 20)

struct image {
	int dir_fd;
	struct manifest m;
	uint8_t *data[IMAGE_MAX_FILES];	/* verified content of m.files[i], or NULL */
	char *errbuf;
	size_t errlen;
};

static int fail(struct image *img, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct image *img, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(img->errbuf, img->errlen, fmt, ap);
	va_end(ap);
	return err;
}

static int read_all(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	int err = fault_hit("image.read");

	if (err)
		return err;
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;	/* shorter than fstat said: changed under us */
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Opens a file of the image and checks it is a regular file of the size
 * the manifest gives (UINT64_MAX: any size up to `max`). */
static int open_checked(struct image *img, const char *name, uint64_t size, uint64_t max, uint64_t *actual)
{
	int fd = openat(img->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT)
			return fail(img, -ENOENT, "%s: listed in the manifest but missing", name);
		return fail(img, -errno, "%s: %s", name, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(img, -EBADMSG, "%s: not a regular file", name);
	}
	if (size != UINT64_MAX && (uint64_t)st.st_size != size) {
		close(fd);
		return fail(img, -EBADMSG, "%s: %" PRIu64 " bytes, the manifest says %" PRIu64, name,
			    (uint64_t)st.st_size, size);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return fail(img, -EFBIG, "%s: %" PRIu64 " bytes, more than %" PRIu64 " this reader holds", name,
			    (uint64_t)st.st_size, max);
	}
	*actual = (uint64_t)st.st_size;
	return fd;
}

static int read_manifest(struct image *img)
{
	uint64_t size;
	uint8_t *buf;
	int fd = open_checked(img, "manifest", UINT64_MAX, MANIFEST_HEADER_SIZE + MANIFEST_MAX_PAYLOAD, &size);
	int err;

	if (fd == -ENOENT)
		return fail(img, -ENOENT, "manifest: missing (not a checkpoint image, or an incomplete one)");
	if (fd < 0)
		return fd == -EFBIG ? fail(img, -EBADMSG, "manifest: too large") : fd;
	buf = malloc(size ? size : 1);
	if (!buf) {
		close(fd);
		return fail(img, -ENOMEM, "manifest: out of memory");
	}
	err = read_all(fd, buf, size, 0);
	close(fd);
	if (err)
		fail(img, err, "manifest: read: %s", strerror(-err));
	else
		err = manifest_decode(buf, size, &img->m, img->errbuf, img->errlen);
	free(buf);
	return err;
}

/* Reads file i whole and checks its checksum. */
static int load_file(struct image *img, size_t i)
{
	const struct manifest_file *f = &img->m.files[i];
	uint64_t size;
	uint8_t *buf;
	int fd = open_checked(img, f->name, f->size, IMAGE_MAX_BLOB, &size), err;

	if (fd < 0)
		return fd;
	buf = malloc(size ? size : 1);
	if (!buf) {
		close(fd);
		return fail(img, -ENOMEM, "%s: out of memory for %" PRIu64 " bytes", f->name, size);
	}
	err = read_all(fd, buf, size, 0);
	close(fd);
	if (err) {
		fail(img, err, "%s: read: %s", f->name, err == -EBADMSG ? "file changed while read" : strerror(-err));
		goto err_free;
	}
	if (XXH64(buf, size, 0) != f->xxh64) {
		err = fail(img, -EBADMSG, "%s: checksum mismatch", f->name);
		goto err_free;
	}
	img->data[i] = buf;
	return 0;

err_free:
	free(buf);
	return err;
}

/* Checks that file i exists with its size, without reading it. */
static int check_size(struct image *img, size_t i)
{
	uint64_t size;
	int fd = open_checked(img, img->m.files[i].name, img->m.files[i].size, IMAGE_MAX_FILE_SIZE, &size);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int image_open(struct image **imgp, const char *dir, char *errbuf, size_t errlen)
{
	struct cpufeat host;
	struct image *img;
	char cpu_err[256];
	int err;

	*imgp = NULL;
	if (errlen)
		errbuf[0] = 0;
	img = calloc(1, sizeof(*img));
	if (!img) {
		snprintf(errbuf, errlen, "%s: out of memory", dir);
		return -ENOMEM;
	}
	img->errbuf = errbuf;
	img->errlen = errlen;
	img->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (img->dir_fd < 0) {
		err = fail(img, -errno, "%s: %s", dir, strerror(errno));
		goto err_free;
	}
	err = read_manifest(img);
	if (err)
		goto err_close;
	cpufeat_host(&host);
	err = cpufeat_check(&img->m.cpu, &host, cpu_err, sizeof(cpu_err));
	if (err) {
		fail(img, err, "%s", cpu_err);
		goto err_close;
	}
	for (size_t i = 0; i < img->m.file_count; i++) {
		if (strcmp(img->m.files[i].name, IMAGE_PAGES) == 0)
			err = check_size(img, i);
		else
			err = load_file(img, i);
		if (err)
			goto err_close;
	}
	*imgp = img;
	return 0;

err_close:
	image_close(img);
	return err;
err_free:
	free(img);
	return err;
}

static int find(const struct image *img, const char *name)
{
	for (size_t i = 0; i < img->m.file_count; i++)
		if (strcmp(img->m.files[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int image_read(struct image *img, const char *name, const void **buf, size_t *len)
{
	int i = find(img, name), err;

	if (i < 0)
		return fail(img, -ENOENT, "%.64s: not in the image", name);
	if (!img->data[i]) {
		err = load_file(img, (size_t)i);
		if (err)
			return err;
	}
	*buf = img->data[i];
	*len = (size_t)img->m.files[i].size;
	return 0;
}

int image_open_pages(struct image *img, struct pages_reader **prp)
{
	uint64_t size;
	int i = find(img, IMAGE_PAGES), fd, err;

	*prp = NULL;
	if (i < 0)
		return fail(img, -ENOENT, "pages: not in the image");
	fd = open_checked(img, IMAGE_PAGES, img->m.files[i].size, IMAGE_MAX_FILE_SIZE, &size);
	if (fd < 0)
		return fd;
	err = pages_open(prp, fd, img->errbuf, img->errlen);
	close(fd);
	return err;
}

int image_file_fd(struct image *img, const char *name)
{
	uint64_t size;
	int i = find(img, name);

	if (i < 0)
		return fail(img, -ENOENT, "%.64s: not in the image", name);
	return open_checked(img, name, img->m.files[i].size, IMAGE_MAX_FILE_SIZE, &size);
}

/* Streams file i through XXH64 without keeping it. */
static int verify_stream(struct image *img, size_t i)
{
	const struct manifest_file *f = &img->m.files[i];
	XXH64_state_t *h = XXH64_createState();
	uint8_t *buf = malloc(VERIFY_BLOCK);
	uint64_t size, off = 0;
	int fd = -1, err = 0;

	if (!h || !buf) {
		err = fail(img, -ENOMEM, "%s: out of memory", f->name);
		goto out;
	}
	fd = open_checked(img, f->name, f->size, IMAGE_MAX_FILE_SIZE, &size);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	XXH64_reset(h, 0);
	while (off < size) {
		size_t n = (size_t)MIN((uint64_t)VERIFY_BLOCK, size - off);

		err = read_all(fd, buf, n, off);
		if (err) {
			fail(img, err, "%s: read: %s", f->name, err == -EBADMSG ? "file changed while read" : strerror(-err));
			goto out;
		}
		XXH64_update(h, buf, n);
		off += n;
	}
	if (XXH64_digest(h) != f->xxh64)
		err = fail(img, -EBADMSG, "%s: checksum mismatch", f->name);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (h)
		XXH64_freeState(h);
	return err;
}

int image_verify(struct image *img)
{
	for (size_t i = 0; i < img->m.file_count; i++) {
		int err = img->data[i] ? 0 : verify_stream(img, i);

		if (err)
			return err;
	}
	return 0;
}

const struct manifest *image_manifest(const struct image *img)
{
	return &img->m;
}

void image_close(struct image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < IMAGE_MAX_FILES; i++)
		free(img->data[i]);
	if (img->dir_fd >= 0)
		close(img->dir_fd);
	free(img);
}
