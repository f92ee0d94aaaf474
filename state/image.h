/* Checkpoint image directories: an atomic writer and a checking reader.
 *
 * An image is a directory holding
 *
 *   manifest       magic, format version, the host's CPU features and the
 *                  size and xxh64 of every other file (state/manifest.h),
 *                  written last;
 *   kernel.pb      the kernel object graph (opaque here);
 *   pages          the memory file (state/pages.h);
 *   inventory.img  an empty file, see below;
 *
 * and any other file a caller adds by name.
 *
 * The writer fills a temporary sibling directory, `.<base>.tmp-<pid>-<n>`
 * in the same parent, fsyncs every file and the directory, and then puts
 * it in place in one rename: renameat2(RENAME_NOREPLACE) when there is no
 * image yet, RENAME_EXCHANGE when there is, after which the old image,
 * now at the temporary name, is removed. A failure or a crash at any
 * point before the rename leaves `dir` as it was; after it, `dir` is
 * wholly the new image. A temporary directory left by a crash is removed
 * by a later writer of the same image: each writer holds an flock on its
 * temporary directory, so an unlocked one belongs to nobody, whatever pid
 * namespace its name came from.
 *
 * An existing `dir` is only replaced when it is an empty directory (OCI
 * callers create the image directory before asking for a checkpoint) or
 * holds a `manifest`: a mistyped path never costs someone's files.
 *
 * inventory.img: Podman and CRI-O decide whether a container has a
 * complete checkpoint by stat()ing CRIU's `inventory.img` in the
 * checkpoint directory, before they ask the runtime to restore. An empty
 * file of that name, written with the others (so it only appears in a
 * complete image), lets them restore Amber containers. It is listed in the
 * manifest like any file.
 *
 * Errors: host-facing, so each failure also leaves one line naming the file
 * and the problem in the caller's errbuf (which must outlive the writer or
 * image it was given to). */
#ifndef AMBER_STATE_IMAGE_H
#define AMBER_STATE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "state/manifest.h"
#include "state/pages.h"

#define IMAGE_PAGES		"pages"
#define IMAGE_KERNEL		"kernel.pb"
#define IMAGE_INVENTORY		"inventory.img"
#define IMAGE_MAX_BLOB		(4ull << 30)	/* bytes image_read holds in memory */

struct image_writer;

/* Starts an image that will replace `dir` on commit. Returns 0 with *wp
 * set, or -errno: -ENOTDIR when dir exists and is not a directory,
 * -ENOTEMPTY when it is a directory that is neither empty nor an image. */
int image_writer_open(struct image_writer **wp, const char *dir, char *errbuf, size_t errlen);

/* Writes a whole file `name` (see manifest_name_valid; not "pages" or
 * "inventory.img", which have their own writers) from buf (borrowed).
 * Returns 0 or -errno (-EEXIST for a second file of the same name). */
int image_writer_add(struct image_writer *w, const char *name, const void *buf, size_t len);

/* Writes `pages` from the memory file described by src; fills st.
 * Returns 0 or -errno. */
int image_writer_pages(struct image_writer *w, const struct pages_source *src, struct pages_stats *st);

/* Writes inventory.img and the manifest, makes everything durable and
 * puts the image at `dir`. Takes w, whatever the result. Returns 0 or
 * -errno; on failure `dir` is what it was before image_writer_open. */
int image_writer_commit(struct image_writer *w);

/* Drops the image being written and its temporary directory. Takes w;
 * NULL is allowed. */
void image_writer_abort(struct image_writer *w);

struct image;

/* Opens the image at dir: reads and checks the manifest, checks that this
 * host's CPU can run what the image was made on, checks every listed file's
 * size, and reads and verifies the checksum of every file but `pages`,
 * whose index is checked by pages_open and whose chunks are checked as
 * they load (lazy restore must not read the whole memory image before the
 * sandbox runs; image_verify reads it all). Returns 0 with *imgp set, or
 * -errno with one line in errbuf: -EBADMSG for a corrupt image,
 * -EPROTONOSUPPORT for a newer format, -EOPNOTSUPP for a CPU mismatch,
 * -ENOENT for a missing file. */
int image_open(struct image **imgp, const char *dir, char *errbuf, size_t errlen);

/* A verified file's whole content, borrowed until image_close. A file not
 * read at open (pages) is read and verified now. Returns 0 or -errno
 * (-ENOENT when the image has no such file, -EFBIG past IMAGE_MAX_BLOB). */
int image_read(struct image *img, const char *name, const void **buf, size_t *len);

/* Opens the image's pages file with pages_open. */
int image_open_pages(struct image *img, struct pages_reader **prp);

/* A new read-only fd of listed file name, checked to have the size the
 * manifest gives (for a process that cannot open it: the restore of a
 * created sandbox). Returns the fd or -errno. */
int image_file_fd(struct image *img, const char *name);

/* Reads every file not verified yet (pages) and checks it against the
 * manifest's checksum. Returns 0 or -EBADMSG. */
int image_verify(struct image *img);

const struct manifest *image_manifest(const struct image *img);

/* NULL is allowed. */
void image_close(struct image *img);

#endif
