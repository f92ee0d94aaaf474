/* The image writer: a temporary directory, then one atomic rename; see
 * image.h for the guarantees.
 *
 * Every file is written whole, fsynced and closed before the next is
 * started, so commit only has the manifest and the directories left to
 * sync. The order of commit is what makes a crash harmless:
 *
 *   1. inventory.img and manifest written and fsynced (manifest last, so
 *      a directory with a manifest has every file the manifest lists);
 *   2. the temporary directory fsynced: its entries are durable;
 *   3. renameat2 into place (NOREPLACE, or EXCHANGE with the old image);
 *   4. the parent fsynced: the rename is durable. If that fails the rename
 *      is undone, so a caller told "failed" still finds the old image;
 *   5. the old image, now at the temporary name, removed. A crash here
 *      leaves garbage under a temporary name, which a later writer removes.
 */
#include "state/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "state/fault.h"

#define REMOVE_MAX_DEPTH 8

struct image_writer {
	int parent_fd;			/* the directory that holds dir */
	int tmp_fd;			/* the temporary directory, flock'd while we live */
	char base[NAME_MAX + 1];	/* dir's last component */
	char tmp[NAME_MAX + 1];		/* the temporary directory's name */
	struct manifest m;		/* files written so far */
	char *errbuf;
	size_t errlen;
};

static atomic_uint tmp_counter;

static int fail(struct image_writer *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct image_writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->errbuf, w->errlen, fmt, ap);
	va_end(ap);
	return err;
}

/* Splits dir into its parent and last component; trailing slashes go. */
static int split_path(const char *dir, char *parent, size_t parent_size, char *base, size_t base_size)
{
	size_t n = strlen(dir), b;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	b = n;
	while (b > 0 && dir[b - 1] != '/')
		b--;
	if (n == 0 || n - b == 0 || n - b >= base_size)
		return -EINVAL;
	memcpy(base, dir + b, n - b);
	base[n - b] = 0;
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	if (b == 0) {
		strcpy(parent, ".");
	} else if (b == 1) {
		strcpy(parent, "/");
	} else {
		if (b - 1 >= parent_size)
			return -ENAMETOOLONG;
		memcpy(parent, dir, b - 1);
		parent[b - 1] = 0;
	}
	return 0;
}

/* Removes directory `name` under dirfd and everything in it without
 * following symlinks out of it. Returns 0 or the first error. */
static int remove_tree(int parent_fd, const char *name, int depth)
{
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), err = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(parent_fd, name, 0) < 0 ? -errno : 0;
		return errno == ENOENT ? 0 : -errno;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		int r = 0;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0) {
			if (errno == EISDIR && depth < REMOVE_MAX_DEPTH)
				r = remove_tree(fd, de->d_name, depth + 1);
			else if (errno != ENOENT)
				r = -errno;
		}
		if (r && !err)
			err = r;
	}
	closedir(d);
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !err)
		err = -errno;
	return err;
}

/* Removes temporary directories of earlier writers of this image that
 * died: nobody holds their lock. */
static void clean_stale(struct image_writer *w)
{
	char prefix[NAME_MAX + 16];
	int fd = fcntl(w->parent_fd, F_DUPFD_CLOEXEC, 0);
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), ".%s.tmp-", w->base);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		int tfd;

		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		tfd = openat(w->parent_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (tfd < 0)
			continue;
		if (flock(tfd, LOCK_EX | LOCK_NB) == 0)
			remove_tree(w->parent_fd, de->d_name, 0);
		close(tfd);
	}
	closedir(d);
}

/* Creates, opens and locks a fresh temporary directory. */
static int make_tmp(struct image_writer *w)
{
	for (int tries = 0; tries < 64; tries++) {
		unsigned n = atomic_fetch_add(&tmp_counter, 1);
		struct stat st;
		int fd;

		if ((size_t)snprintf(w->tmp, sizeof(w->tmp), ".%s.tmp-%d-%u", w->base, (int)getpid(), n) >=
		    sizeof(w->tmp))
			return fail(w, -ENAMETOOLONG, "%s: name too long for a temporary sibling", w->base);
		if (mkdirat(w->parent_fd, w->tmp, 0700) < 0) {
			if (errno == EEXIST)
				continue;
			return fail(w, -errno, "%s: creating %s: %s", w->base, w->tmp, strerror(errno));
		}
		fd = openat(w->parent_fd, w->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;	/* a cleaner took it between mkdir and open */
		/* A cleaner that got the lock first is removing it. */
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0 || st.st_nlink == 0) {
			close(fd);
			continue;
		}
		w->tmp_fd = fd;
		return 0;
	}
	return fail(w, -EEXIST, "%s: cannot create a temporary directory", w->base);
}

/* 0 when dir is absent, an empty directory or an image; see image.h. */
static int check_replaceable(struct image_writer *w)
{
	struct stat st;
	struct dirent *de;
	bool empty = true;
	DIR *d;
	int fd;

	if (fstatat(w->parent_fd, w->base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(w, -errno, "%s: %s", w->base, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(w, -ENOTDIR, "%s: exists and is not a directory", w->base);
	fd = openat(w->parent_fd, w->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(w, -errno, "%s: %s", w->base, strerror(errno));
	if (faccessat(fd, "manifest", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		close(fd);
		return 0;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return fail(w, -errno, "%s: %s", w->base, strerror(errno));
	}
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	if (!empty)
		return fail(w, -ENOTEMPTY, "%s: exists and is neither empty nor a checkpoint image", w->base);
	return 0;
}

int image_writer_open(struct image_writer **wp, const char *dir, char *errbuf, size_t errlen)
{
	char parent[PATH_MAX];
	struct image_writer *w;
	int err;

	*wp = NULL;
	if (errlen)
		errbuf[0] = 0;
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(errbuf, errlen, "%s: out of memory", dir);
		return -ENOMEM;
	}
	w->errbuf = errbuf;
	w->errlen = errlen;
	w->parent_fd = w->tmp_fd = -1;
	err = split_path(dir, parent, sizeof(parent), w->base, sizeof(w->base));
	if (err) {
		fail(w, err, "%s: not a usable image path", dir);
		goto err_free;
	}
	w->parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->parent_fd < 0) {
		err = fail(w, -errno, "%s: %s", parent, strerror(errno));
		goto err_free;
	}
	err = check_replaceable(w);
	if (err)
		goto err_close;
	clean_stale(w);
	err = make_tmp(w);
	if (err)
		goto err_close;
	*wp = w;
	return 0;

err_close:
	close(w->parent_fd);
err_free:
	free(w);
	return err;
}

static int do_fsync(int fd)
{
	int err = fault_hit("image.fsync");

	if (err)
		return err;
	return fsync(fd) < 0 ? -errno : 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	int err = fault_hit("image.write");

	while (!err && len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		else if (n == 0)
			err = -EIO;
		else {
			buf += n;
			len -= (size_t)n;
		}
	}
	return err;
}

/* Records a written file in the manifest being built. */
static int record(struct image_writer *w, const char *name, uint64_t size, uint64_t hash)
{
	struct manifest_file *f;

	if (w->m.file_count == IMAGE_MAX_FILES)
		return fail(w, -ENOSPC, "%s: more than %d files", name, IMAGE_MAX_FILES);
	f = &w->m.files[w->m.file_count++];
	strcpy(f->name, name);
	f->size = size;
	f->xxh64 = hash;
	return 0;
}

/* Creates, writes, fsyncs and closes one file of the temporary directory. */
static int write_file(struct image_writer *w, const char *name, const void *buf, size_t len)
{
	int fd = openat(w->tmp_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), err;

	if (fd < 0)
		return fail(w, -errno, "%s: create: %s", name, strerror(errno));
	err = write_all(fd, buf, len);
	if (err) {
		fail(w, err, "%s: write: %s", name, strerror(-err));
		goto out;
	}
	err = do_fsync(fd);
	if (err)
		fail(w, err, "%s: fsync: %s", name, strerror(-err));
out:
	if (close(fd) < 0 && !err)
		err = fail(w, -errno, "%s: close: %s", name, strerror(errno));
	return err;
}

static bool reserved_name(const char *name)
{
	return strcmp(name, IMAGE_PAGES) == 0 || strcmp(name, IMAGE_INVENTORY) == 0;
}

int image_writer_add(struct image_writer *w, const char *name, const void *buf, size_t len)
{
	int err;

	if (!manifest_name_valid(name) || reserved_name(name))
		return fail(w, -EINVAL, "%.64s: not a name an image file can have", name);
	if (manifest_find(&w->m, name))
		return fail(w, -EEXIST, "%s: written twice", name);
	if (w->m.file_count == IMAGE_MAX_FILES)
		return fail(w, -ENOSPC, "%s: more than %d files", name, IMAGE_MAX_FILES);
	err = write_file(w, name, buf, len);
	if (err)
		return err;
	return record(w, name, len, XXH64(buf, len, 0));
}

int image_writer_pages(struct image_writer *w, const struct pages_source *src, struct pages_stats *st)
{
	int fd, err;

	if (manifest_find(&w->m, IMAGE_PAGES))
		return fail(w, -EEXIST, "pages: written twice");
	fd = openat(w->tmp_fd, IMAGE_PAGES, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(w, -errno, "pages: create: %s", strerror(errno));
	err = pages_write(fd, src, st, w->errbuf, w->errlen);
	if (!err) {
		err = do_fsync(fd);
		if (err)
			fail(w, err, "pages: fsync: %s", strerror(-err));
	}
	if (close(fd) < 0 && !err)
		err = fail(w, -errno, "pages: close: %s", strerror(errno));
	if (err)
		return err;
	return record(w, IMAGE_PAGES, st->file_size, st->file_xxh64);
}

void image_writer_abort(struct image_writer *w)
{
	if (!w)
		return;
	/* Still locked by us: remove it before letting go of the lock. */
	remove_tree(w->parent_fd, w->tmp, 0);
	close(w->tmp_fd);
	close(w->parent_fd);
	free(w);
}

static int write_manifest(struct image_writer *w)
{
	uint8_t *buf;
	size_t len;
	int err = write_file(w, IMAGE_INVENTORY, "", 0);

	if (err)
		return err;
	err = record(w, IMAGE_INVENTORY, 0, XXH64("", 0, 0));
	if (err)
		return err;
	w->m.version = MANIFEST_VERSION;
	w->m.created_unix_sec = (uint64_t)time(NULL);
	cpufeat_host(&w->m.cpu);
	manifest_host_boot_id(w->m.boot_id);
	err = manifest_encode(&w->m, &buf, &len);
	if (err)
		return fail(w, err, "manifest: encoding: %s", strerror(-err));
	err = write_file(w, "manifest", buf, len);
	free(buf);
	return err;
}

/* Where renameat2 flags are unsupported (some network and FUSE file
 * systems), the old image is moved aside under a name no cleaner
 * touches, then the new one in: a crash between the two renames leaves
 * no image at dir, but the old one whole beside it. */
static int publish_fallback(struct image_writer *w, bool *exchanged, char *aside, size_t aside_size)
{
	if ((size_t)snprintf(aside, aside_size, ".%s.old-%d-%u", w->base, (int)getpid(),
			     atomic_fetch_add(&tmp_counter, 1)) >= aside_size) {
		aside[0] = 0;
		return -ENAMETOOLONG;
	}
	if (renameat(w->parent_fd, w->base, w->parent_fd, aside) < 0) {
		if (errno != ENOENT)
			return -errno;
		aside[0] = 0;
	}
	if (renameat(w->parent_fd, w->tmp, w->parent_fd, w->base) < 0) {
		int err = -errno;

		if (aside[0])
			renameat(w->parent_fd, aside, w->parent_fd, w->base);
		return err;
	}
	*exchanged = false;
	return 0;
}

/* Puts the temporary directory at dir. *exchanged: the old image is now at
 * the temporary name; else *aside names where it went, if anywhere. */
static int publish(struct image_writer *w, bool *exchanged, char *aside, size_t aside_size)
{
	int err = fault_hit("image.rename");

	aside[0] = 0;
	*exchanged = false;
	if (err)
		return err;
	if (renameat2(w->parent_fd, w->tmp, w->parent_fd, w->base, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST) {
		if (renameat2(w->parent_fd, w->tmp, w->parent_fd, w->base, RENAME_EXCHANGE) == 0) {
			*exchanged = true;
			return 0;
		}
	}
	if (errno == EINVAL || errno == ENOSYS)
		return publish_fallback(w, exchanged, aside, aside_size);
	return -errno;
}

/* Takes the new image back out of dir after a failed parent fsync. */
static void unpublish(struct image_writer *w, bool exchanged, const char *aside)
{
	if (exchanged) {
		renameat2(w->parent_fd, w->tmp, w->parent_fd, w->base, RENAME_EXCHANGE);
		return;
	}
	renameat(w->parent_fd, w->base, w->parent_fd, w->tmp);
	if (aside[0])
		renameat(w->parent_fd, aside, w->parent_fd, w->base);
}

int image_writer_commit(struct image_writer *w)
{
	char aside[NAME_MAX + 1];
	bool exchanged;
	int err;

	err = write_manifest(w);
	if (err)
		goto err_abort;
	err = do_fsync(w->tmp_fd);
	if (err) {
		fail(w, err, "%s: fsync of the new image: %s", w->base, strerror(-err));
		goto err_abort;
	}
	err = check_replaceable(w);
	if (err)
		goto err_abort;
	err = publish(w, &exchanged, aside, sizeof(aside));
	if (err) {
		fail(w, err, "%s: rename into place: %s", w->base, strerror(-err));
		goto err_abort;
	}
	err = do_fsync(w->parent_fd);
	if (err) {
		fail(w, err, "%s: fsync of the parent directory: %s", w->base, strerror(-err));
		unpublish(w, exchanged, aside);
		goto err_abort;
	}
	/* The new image is in place and durable; what is left is garbage. */
	if (exchanged)
		remove_tree(w->parent_fd, w->tmp, 0);
	else if (aside[0])
		remove_tree(w->parent_fd, aside, 0);
	close(w->tmp_fd);
	close(w->parent_fd);
	free(w);
	return 0;

err_abort:
	image_writer_abort(w);
	return err;
}
