/* Encoding and checking of the manifest; see manifest.h. */
#include "state/manifest.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "state/proto/manifest.pb-c.h"

bool manifest_name_valid(const char *name)
{
	size_t n = strnlen(name, IMAGE_NAME_MAX + 1);

	if (n == 0 || n > IMAGE_NAME_MAX || name[0] == '.' || strcmp(name, "manifest") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void manifest_host_boot_id(char buf[MANIFEST_BOOT_ID_SIZE])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(buf, MANIFEST_BOOT_ID_SIZE, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

bool manifest_same_host(const struct manifest *m)
{
	char here[MANIFEST_BOOT_ID_SIZE];

	manifest_host_boot_id(here);
	return here[0] && strcmp(here, m->boot_id) == 0;
}

const struct manifest_file *manifest_find(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->file_count; i++)
		if (strcmp(m->files[i].name, name) == 0)
			return &m->files[i];
	return NULL;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

int manifest_encode(const struct manifest *m, uint8_t **bufp, size_t *lenp)
{
	Amber__State__Manifest msg = AMBER__STATE__MANIFEST__INIT;
	Amber__State__CpuFeatures cpu = AMBER__STATE__CPU_FEATURES__INIT;
	Amber__State__ImageFile files[IMAGE_MAX_FILES], *file_ptrs[IMAGE_MAX_FILES];
	Amber__State__CpuidWord words[CPUFEAT_MAX_WORDS], *word_ptrs[CPUFEAT_MAX_WORDS];
	Amber__State__XsaveComponent xsave[CPUFEAT_MAX_XSAVE], *xsave_ptrs[CPUFEAT_MAX_XSAVE];
	size_t payload;
	uint8_t *buf;

	if (m->file_count > IMAGE_MAX_FILES || m->cpu.word_count > CPUFEAT_MAX_WORDS ||
	    m->cpu.xsave_count > CPUFEAT_MAX_XSAVE)
		return -EINVAL;
	for (size_t i = 0; i < m->file_count; i++) {
		if (!manifest_name_valid(m->files[i].name))
			return -EINVAL;
		amber__state__image_file__init(&files[i]);
		/* protobuf-c only reads the strings while packing. */
		files[i].name = (char *)m->files[i].name;
		files[i].size = m->files[i].size;
		files[i].xxh64 = m->files[i].xxh64;
		file_ptrs[i] = &files[i];
	}
	for (size_t i = 0; i < m->cpu.word_count; i++) {
		amber__state__cpuid_word__init(&words[i]);
		words[i].leaf = m->cpu.words[i].leaf;
		words[i].subleaf = m->cpu.words[i].subleaf;
		words[i].reg = m->cpu.words[i].reg;
		words[i].value = m->cpu.words[i].value;
		word_ptrs[i] = &words[i];
	}
	for (size_t i = 0; i < m->cpu.xsave_count; i++) {
		amber__state__xsave_component__init(&xsave[i]);
		xsave[i].bit = m->cpu.xsave[i].bit;
		xsave[i].offset = m->cpu.xsave[i].offset;
		xsave[i].size = m->cpu.xsave[i].size;
		xsave_ptrs[i] = &xsave[i];
	}
	cpu.arch = (char *)m->cpu.arch;
	cpu.vendor = (char *)m->cpu.vendor;
	cpu.xcr0 = m->cpu.xcr0;
	cpu.xsave_size = m->cpu.xsave_size;
	cpu.n_cpuid = m->cpu.word_count;
	cpu.cpuid = word_ptrs;
	cpu.n_xsave = m->cpu.xsave_count;
	cpu.xsave = xsave_ptrs;
	msg.n_files = m->file_count;
	msg.files = file_ptrs;
	msg.cpu = &cpu;
	msg.created_unix_sec = m->created_unix_sec;
	msg.writer = "amber";
	msg.boot_id = (char *)m->boot_id;

	payload = amber__state__manifest__get_packed_size(&msg);
	if (payload > MANIFEST_MAX_PAYLOAD)
		return -EINVAL;
	buf = malloc(MANIFEST_HEADER_SIZE + payload);
	if (!buf)
		return -ENOMEM;
	amber__state__manifest__pack(&msg, buf + MANIFEST_HEADER_SIZE);
	memcpy(buf, MANIFEST_MAGIC, MANIFEST_MAGIC_SIZE);
	put_le32(buf + 8, MANIFEST_VERSION);
	put_le32(buf + 12, (uint32_t)payload);
	put_le64(buf + 16, XXH64(buf + MANIFEST_HEADER_SIZE, payload, 0));
	*bufp = buf;
	*lenp = MANIFEST_HEADER_SIZE + payload;
	return 0;
}

/* Copies a protobuf string into a fixed field; false when it does not fit. */
static bool copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size) : 0;

	if (n >= size)
		return false;
	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
	return true;
}

static int decode_cpu(const Amber__State__CpuFeatures *in, struct cpufeat *f, char *errbuf, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	if (!in) {
		snprintf(errbuf, errlen, "manifest: no CPU features");
		return -EBADMSG;
	}
	if (!copy_str(f->arch, sizeof(f->arch), in->arch) || !copy_str(f->vendor, sizeof(f->vendor), in->vendor)) {
		snprintf(errbuf, errlen, "manifest: CPU arch or vendor longer than %d bytes", CPUFEAT_NAME_MAX);
		return -EBADMSG;
	}
	if (in->n_cpuid > CPUFEAT_MAX_WORDS || in->n_xsave > CPUFEAT_MAX_XSAVE) {
		snprintf(errbuf, errlen, "manifest: %zu CPUID words and %zu XSAVE components (at most %d and %d)",
			 in->n_cpuid, in->n_xsave, CPUFEAT_MAX_WORDS, CPUFEAT_MAX_XSAVE);
		return -EBADMSG;
	}
	for (size_t i = 0; i < in->n_cpuid; i++) {
		const Amber__State__CpuidWord *w = in->cpuid[i];

		if (w->reg > 3) {
			snprintf(errbuf, errlen, "manifest: CPUID word %zu names register %u", i, w->reg);
			return -EBADMSG;
		}
		f->words[i] = (struct cpufeat_word){ w->leaf, w->subleaf, w->reg, w->value };
	}
	f->word_count = in->n_cpuid;
	for (size_t i = 0; i < in->n_xsave; i++) {
		const Amber__State__XsaveComponent *x = in->xsave[i];

		if (x->bit < 2 || x->bit > 63) {
			snprintf(errbuf, errlen, "manifest: XSAVE component %u out of range", x->bit);
			return -EBADMSG;
		}
		f->xsave[i] = (struct cpufeat_xsave){ x->bit, x->offset, x->size };
	}
	f->xsave_count = in->n_xsave;
	f->xcr0 = in->xcr0;
	f->xsave_size = in->xsave_size;
	return 0;
}

static int decode_files(const Amber__State__Manifest *msg, struct manifest *m, char *errbuf, size_t errlen)
{
	if (msg->n_files > IMAGE_MAX_FILES) {
		snprintf(errbuf, errlen, "manifest: %zu files listed (at most %d)", msg->n_files, IMAGE_MAX_FILES);
		return -EBADMSG;
	}
	for (size_t i = 0; i < msg->n_files; i++) {
		const Amber__State__ImageFile *in = msg->files[i];
		struct manifest_file *f = &m->files[i];

		if (!copy_str(f->name, sizeof(f->name), in->name) || !manifest_name_valid(f->name)) {
			snprintf(errbuf, errlen, "manifest: file %zu has an invalid name", i);
			return -EBADMSG;
		}
		if (manifest_find(m, f->name)) {
			snprintf(errbuf, errlen, "manifest: %s listed twice", f->name);
			return -EBADMSG;
		}
		if (in->size > IMAGE_MAX_FILE_SIZE) {
			snprintf(errbuf, errlen, "manifest: %s: size %llu out of range", f->name,
				 (unsigned long long)in->size);
			return -EBADMSG;
		}
		f->size = in->size;
		f->xxh64 = in->xxh64;
		m->file_count = i + 1;
	}
	return 0;
}

int manifest_decode(const uint8_t *buf, size_t len, struct manifest *m, char *errbuf, size_t errlen)
{
	Amber__State__Manifest *msg;
	uint32_t version, payload;
	int err;

	memset(m, 0, sizeof(*m));
	if (len < MANIFEST_HEADER_SIZE) {
		snprintf(errbuf, errlen, "manifest: truncated (%zu bytes)", len);
		return -EBADMSG;
	}
	if (memcmp(buf, MANIFEST_MAGIC, MANIFEST_MAGIC_SIZE) != 0) {
		snprintf(errbuf, errlen, "manifest: bad magic");
		return -EBADMSG;
	}
	version = get_le32(buf + 8);
	if (version == 0) {
		snprintf(errbuf, errlen, "manifest: bad format version 0");
		return -EBADMSG;
	}
	if (version > MANIFEST_VERSION) {
		snprintf(errbuf, errlen, "manifest: format version %u is newer than this Amber reads (%u)",
			 version, MANIFEST_VERSION);
		return -EPROTONOSUPPORT;
	}
	payload = get_le32(buf + 12);
	if (payload > MANIFEST_MAX_PAYLOAD || payload != len - MANIFEST_HEADER_SIZE) {
		snprintf(errbuf, errlen, "manifest: payload length %u does not match the file (%zu bytes)",
			 payload, len);
		return -EBADMSG;
	}
	if (XXH64(buf + MANIFEST_HEADER_SIZE, payload, 0) != get_le64(buf + 16)) {
		snprintf(errbuf, errlen, "manifest: checksum mismatch");
		return -EBADMSG;
	}
	msg = amber__state__manifest__unpack(NULL, payload, buf + MANIFEST_HEADER_SIZE);
	if (!msg) {
		/* protobuf-c does not say whether it ran out of memory; with
		 * the payload bounded, a malformed message is far likelier. */
		snprintf(errbuf, errlen, "manifest: malformed protobuf message");
		return -EBADMSG;
	}
	m->version = version;
	m->created_unix_sec = msg->created_unix_sec;
	if (!copy_str(m->boot_id, sizeof(m->boot_id), msg->boot_id)) {
		snprintf(errbuf, errlen, "manifest: boot id too long");
		amber__state__manifest__free_unpacked(msg, NULL);
		return -EBADMSG;
	}
	err = decode_files(msg, m, errbuf, errlen);
	if (!err)
		err = decode_cpu(msg->cpu, &m->cpu, errbuf, errlen);
	amber__state__manifest__free_unpacked(msg, NULL);
	return err;
}
