/* The `manifest` file of an image directory: what the image holds and
 * where it was made.
 *
 * Layout (little-endian):
 *
 *   0   magic "AMBERIMG"      8 bytes
 *   8   format version        u32, MANIFEST_VERSION when written
 *   12  payload length        u32, bytes after the header
 *   16  payload xxh64         u64, XXH64 (seed 0) of the payload
 *   24  payload               a protobuf amber.state.Manifest
 *                             (state/proto/manifest.proto)
 *
 * The fixed header lets a reader reject a foreign or newer file before
 * handing bytes to protobuf-c, and the checksum covers the message itself
 * (the other files are covered by the checksums the message lists). */
#ifndef AMBER_STATE_MANIFEST_H
#define AMBER_STATE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/cpufeat.h"

#define MANIFEST_MAGIC		"AMBERIMG"
#define MANIFEST_MAGIC_SIZE	8
#define MANIFEST_VERSION	1
#define MANIFEST_HEADER_SIZE	24
#define MANIFEST_MAX_PAYLOAD	(1u << 20)	/* bytes; a real one is < 4 KiB */

#define MANIFEST_BOOT_ID_SIZE	40		/* a UUID (36 characters) and its NUL */

#define IMAGE_MAX_FILES		64		/* files listed in one manifest */
#define IMAGE_NAME_MAX		64		/* bytes of a file name */
#define IMAGE_MAX_FILE_SIZE	(1ull << 44)	/* 16 TiB: more than any memory file */

struct manifest_file {
	char name[IMAGE_NAME_MAX + 1];
	uint64_t size;
	uint64_t xxh64;
};

struct manifest {
	uint32_t version;		/* as read; MANIFEST_VERSION when written */
	struct manifest_file files[IMAGE_MAX_FILES];
	size_t file_count;
	struct cpufeat cpu;
	uint64_t created_unix_sec;
	/* The writing host's boot id ("" when unknown): an image restored
	 * where it matches comes back to the same boot of the same machine,
	 * where a file's device and inode numbers identify it. */
	char boot_id[MANIFEST_BOOT_ID_SIZE];
};

/* A file name an image may hold: 1..IMAGE_NAME_MAX bytes of
 * [A-Za-z0-9._-], not starting with '.', and not "manifest". */
bool manifest_name_valid(const char *name);

/* This host's boot id into buf, or "" when it cannot be read. */
void manifest_host_boot_id(char buf[MANIFEST_BOOT_ID_SIZE]);

/* Whether m was written on this boot of this host. */
bool manifest_same_host(const struct manifest *m);

/* Returns the entry for name, or NULL. */
const struct manifest_file *manifest_find(const struct manifest *m, const char *name);

/* Encodes m (header and payload) into a new malloc'd buffer the caller
 * frees. Returns 0, -EINVAL for an invalid entry, or -ENOMEM. */
int manifest_encode(const struct manifest *m, uint8_t **buf, size_t *len);

/* Decodes and checks a manifest file's bytes (borrowed): magic, version,
 * length, checksum, protobuf, and every field's bounds, names and
 * uniqueness. Returns 0, or -EBADMSG (corrupt), -EPROTONOSUPPORT (newer
 * format) or -ENOMEM, with one line in errbuf starting "manifest: ". */
int manifest_decode(const uint8_t *buf, size_t len, struct manifest *m, char *errbuf, size_t errlen);

#endif
