/* Reading and comparing CPU features; see cpufeat.h.
 *
 * Feature words are stored raw, but only the bits named in the table below
 * are compared: the others describe the machine rather than what code can
 * use (APIC ids, the hypervisor bit, OSXSAVE, cache sizes) and differ
 * between hosts that run the same programs. A later Amber can name more
 * bits and judge old images by them, since the raw words are kept. */
#include "state/cpufeat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

struct feature_bit {
	uint32_t leaf, subleaf, reg, bit;
	const char *name;
};

enum { EAX, EBX, ECX, EDX };

/* Features user code can execute or hold state in. */
static const struct feature_bit feature_bits[] = {
	{ 1, 0, ECX, 0, "sse3" },	{ 1, 0, ECX, 1, "pclmulqdq" },
	{ 1, 0, ECX, 9, "ssse3" },	{ 1, 0, ECX, 12, "fma" },
	{ 1, 0, ECX, 13, "cx16" },	{ 1, 0, ECX, 19, "sse4_1" },
	{ 1, 0, ECX, 20, "sse4_2" },	{ 1, 0, ECX, 22, "movbe" },
	{ 1, 0, ECX, 23, "popcnt" },	{ 1, 0, ECX, 25, "aes" },
	{ 1, 0, ECX, 26, "xsave" },	{ 1, 0, ECX, 28, "avx" },
	{ 1, 0, ECX, 29, "f16c" },	{ 1, 0, ECX, 30, "rdrand" },
	{ 1, 0, EDX, 8, "cx8" },	{ 1, 0, EDX, 15, "cmov" },
	{ 1, 0, EDX, 19, "clflush" },	{ 1, 0, EDX, 23, "mmx" },
	{ 1, 0, EDX, 24, "fxsr" },	{ 1, 0, EDX, 25, "sse" },
	{ 1, 0, EDX, 26, "sse2" },
	{ 7, 0, EBX, 0, "fsgsbase" },	{ 7, 0, EBX, 3, "bmi1" },
	{ 7, 0, EBX, 4, "hle" },	{ 7, 0, EBX, 5, "avx2" },
	{ 7, 0, EBX, 8, "bmi2" },	{ 7, 0, EBX, 9, "erms" },
	{ 7, 0, EBX, 11, "rtm" },	{ 7, 0, EBX, 16, "avx512f" },
	{ 7, 0, EBX, 17, "avx512dq" },	{ 7, 0, EBX, 18, "rdseed" },
	{ 7, 0, EBX, 19, "adx" },	{ 7, 0, EBX, 21, "avx512ifma" },
	{ 7, 0, EBX, 23, "clflushopt" }, { 7, 0, EBX, 24, "clwb" },
	{ 7, 0, EBX, 26, "avx512pf" },	{ 7, 0, EBX, 27, "avx512er" },
	{ 7, 0, EBX, 28, "avx512cd" },	{ 7, 0, EBX, 29, "sha" },
	{ 7, 0, EBX, 30, "avx512bw" },	{ 7, 0, EBX, 31, "avx512vl" },
	{ 7, 0, ECX, 1, "avx512vbmi" },	{ 7, 0, ECX, 3, "pku" },
	{ 7, 0, ECX, 5, "waitpkg" },	{ 7, 0, ECX, 6, "avx512_vbmi2" },
	{ 7, 0, ECX, 8, "gfni" },	{ 7, 0, ECX, 9, "vaes" },
	{ 7, 0, ECX, 10, "vpclmulqdq" }, { 7, 0, ECX, 11, "avx512_vnni" },
	{ 7, 0, ECX, 12, "avx512_bitalg" }, { 7, 0, ECX, 14, "avx512_vpopcntdq" },
	{ 7, 0, ECX, 22, "rdpid" },	{ 7, 0, ECX, 25, "cldemote" },
	{ 7, 0, ECX, 27, "movdiri" },	{ 7, 0, ECX, 28, "movdir64b" },
	{ 7, 0, EDX, 2, "avx512_4vnniw" }, { 7, 0, EDX, 3, "avx512_4fmaps" },
	{ 7, 0, EDX, 4, "fsrm" },	{ 7, 0, EDX, 8, "avx512_vp2intersect" },
	{ 7, 0, EDX, 14, "serialize" },	{ 7, 0, EDX, 22, "amx_bf16" },
	{ 7, 0, EDX, 23, "avx512_fp16" }, { 7, 0, EDX, 24, "amx_tile" },
	{ 7, 0, EDX, 25, "amx_int8" },
	{ 7, 1, EAX, 4, "avx_vnni" },	{ 7, 1, EAX, 5, "avx512_bf16" },
	{ 0xd, 1, EAX, 0, "xsaveopt" },	{ 0xd, 1, EAX, 1, "xsavec" },
	{ 0xd, 1, EAX, 2, "xgetbv1" },
	{ 0x80000001, 0, ECX, 0, "lahf_lm" }, { 0x80000001, 0, ECX, 5, "abm" },
	{ 0x80000001, 0, ECX, 6, "sse4a" }, { 0x80000001, 0, ECX, 8, "3dnowprefetch" },
	{ 0x80000001, 0, ECX, 11, "xop" }, { 0x80000001, 0, ECX, 16, "fma4" },
	{ 0x80000001, 0, ECX, 21, "tbm" },
	{ 0x80000001, 0, EDX, 11, "syscall" }, { 0x80000001, 0, EDX, 20, "nx" },
	{ 0x80000001, 0, EDX, 27, "rdtscp" }, { 0x80000001, 0, EDX, 29, "lm" },
};

/* XCR0 bits, as the state a program may hold in them. */
static const char *xcr0_name(unsigned bit)
{
	switch (bit) {
	case 0: return "x87";
	case 1: return "sse";
	case 2: return "avx";
	case 3: case 4: return "mpx";
	case 5: case 6: case 7: return "avx512";
	case 9: return "pkru";
	case 17: case 18: return "amx";
	case 19: return "apx";
	default: return NULL;
	}
}

#if defined(__x86_64__)
/* The words recorded: the leaves feature_bits reads, in its order. */
static const struct { uint32_t leaf, subleaf; } leaves[] = {
	{ 1, 0 }, { 7, 0 }, { 7, 1 }, { 0xd, 1 }, { 0x80000001, 0 },
};

/* CPUID, or zeros for a leaf beyond what the CPU reports. */
static void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	uint32_t max = __get_cpuid_max(leaf & 0x80000000u, NULL);

	memset(r, 0, 4 * sizeof(*r));
	if (max >= leaf)
		__cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}

static uint64_t read_xcr0(bool osxsave)
{
	uint32_t lo, hi;

	/* Without OSXSAVE, xgetbv faults and only legacy state exists. */
	if (!osxsave)
		return 0x3;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

void cpufeat_host(struct cpufeat *f)
{
	uint32_t r[4];
	bool osxsave;

	memset(f, 0, sizeof(*f));
	strcpy(f->arch, "x86_64");
	cpuid(0, 0, r);
	memcpy(f->vendor, &r[1], 4);
	memcpy(f->vendor + 4, &r[3], 4);
	memcpy(f->vendor + 8, &r[2], 4);
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		cpuid(leaves[i].leaf, leaves[i].subleaf, r);
		for (uint32_t reg = 0; reg < 4; reg++)
			f->words[f->word_count++] = (struct cpufeat_word){
				.leaf = leaves[i].leaf, .subleaf = leaves[i].subleaf,
				.reg = reg, .value = r[reg],
			};
	}
	cpuid(1, 0, r);
	osxsave = r[2] & (1u << 27);
	f->xcr0 = read_xcr0(osxsave);
	f->xsave_size = 512;	/* the legacy FXSAVE area */
	if (!osxsave)
		return;
	cpuid(0xd, 0, r);
	if (r[1] > f->xsave_size)
		f->xsave_size = r[1];
	for (uint32_t bit = 2; bit < 64; bit++) {
		if (!(f->xcr0 & (1ull << bit)))
			continue;
		cpuid(0xd, bit, r);
		f->xsave[f->xsave_count++] = (struct cpufeat_xsave){
			.bit = bit, .offset = r[1], .size = r[0],
		};
	}
}
#else
void cpufeat_host(struct cpufeat *f)
{
	memset(f, 0, sizeof(*f));
#if defined(__aarch64__)
	strcpy(f->arch, "aarch64");
#else
	strcpy(f->arch, "unknown");
#endif
}
#endif

/* A word absent from a feature set reads as zero: no features. */
static uint32_t word_of(const struct cpufeat *f, uint32_t leaf, uint32_t subleaf, uint32_t reg)
{
	for (size_t i = 0; i < f->word_count; i++) {
		const struct cpufeat_word *w = &f->words[i];

		if (w->leaf == leaf && w->subleaf == subleaf && w->reg == reg)
			return w->value;
	}
	return 0;
}

static const struct cpufeat_xsave *xsave_of(const struct cpufeat *f, uint32_t bit)
{
	for (size_t i = 0; i < f->xsave_count; i++)
		if (f->xsave[i].bit == bit)
			return &f->xsave[i];
	return NULL;
}

int cpufeat_check(const struct cpufeat *img, const struct cpufeat *host, char *errbuf, size_t errlen)
{
	uint64_t missing;

	if (strcmp(img->arch, host->arch) != 0) {
		snprintf(errbuf, errlen, "image made on %s, this host is %s", img->arch, host->arch);
		return -EOPNOTSUPP;
	}
	missing = img->xcr0 & ~host->xcr0;
	if (missing) {
		unsigned bit = (unsigned)__builtin_ctzll(missing);
		const char *name = xcr0_name(bit);

		if (name)
			snprintf(errbuf, errlen, "image made on a CPU with %s state this host lacks", name);
		else
			snprintf(errbuf, errlen, "image made on a CPU with XSAVE state component %u this host lacks", bit);
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < sizeof(feature_bits) / sizeof(feature_bits[0]); i++) {
		const struct feature_bit *b = &feature_bits[i];
		uint32_t mask = 1u << b->bit;

		if ((word_of(img, b->leaf, b->subleaf, b->reg) & mask) &&
		    !(word_of(host, b->leaf, b->subleaf, b->reg) & mask)) {
			snprintf(errbuf, errlen, "image made on a CPU with %s this host lacks", b->name);
			return -EOPNOTSUPP;
		}
	}
	/* Saved XSAVE areas are restored with this host's XRSTOR: each
	 * component the image holds must sit where it sat there. */
	for (uint32_t bit = 2; bit < 64; bit++) {
		const struct cpufeat_xsave *a, *b;

		if (!(img->xcr0 & (1ull << bit)))
			continue;
		a = xsave_of(img, bit);
		b = xsave_of(host, bit);
		if (!a || !b || a->offset != b->offset || a->size != b->size) {
			snprintf(errbuf, errlen,
				 "XSAVE component %u has a different layout in the image (%u bytes at %u) "
				 "than on this host (%u bytes at %u)", bit,
				 a ? a->size : 0, a ? a->offset : 0, b ? b->size : 0, b ? b->offset : 0);
			return -EOPNOTSUPP;
		}
	}
	if (img->xsave_size > host->xsave_size) {
		snprintf(errbuf, errlen, "image's XSAVE area (%u bytes) is larger than this host's (%u bytes)",
			 img->xsave_size, host->xsave_size);
		return -EOPNOTSUPP;
	}
	return 0;
}
