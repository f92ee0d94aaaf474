/* The host CPU features a sandbox may have used, recorded in an image's
 * manifest and checked before a restore.
 *
 * Application code runs natively on the host CPU, so whatever the CPU
 * offers (an AVX-512 register, an ADX instruction) may be live in saved
 * registers or baked into code paths a program chose at startup (glibc's
 * ifuncs pick memcpy once). An image may only be restored where every such
 * feature exists and where saved XSAVE state has the same layout. */
#ifndef AMBER_STATE_CPUFEAT_H
#define AMBER_STATE_CPUFEAT_H

#include <stddef.h>
#include <stdint.h>

#define CPUFEAT_MAX_WORDS	32	/* CPUID registers kept */
#define CPUFEAT_MAX_XSAVE	64	/* XSAVE components: one per XCR0 bit */
#define CPUFEAT_NAME_MAX	15	/* arch and vendor strings, bytes */

struct cpufeat_word {
	uint32_t leaf, subleaf;
	uint32_t reg;			/* 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint32_t value;
};

struct cpufeat_xsave {
	uint32_t bit;			/* XCR0 bit, 2..63 */
	uint32_t offset, size;		/* in the standard-format XSAVE area */
};

struct cpufeat {
	char arch[CPUFEAT_NAME_MAX + 1];	/* "x86_64" */
	char vendor[CPUFEAT_NAME_MAX + 1];	/* informational */
	uint64_t xcr0;
	uint32_t xsave_size;			/* XSAVE area bytes for xcr0 */
	struct cpufeat_word words[CPUFEAT_MAX_WORDS];
	size_t word_count;
	struct cpufeat_xsave xsave[CPUFEAT_MAX_XSAVE];
	size_t xsave_count;
};

/* Fills f with this host's features. */
void cpufeat_host(struct cpufeat *f);

/* Returns 0 when an image made on a CPU with features `img` can run on
 * a CPU with features `host`; else -EOPNOTSUPP with one line in errbuf
 * naming the first problem ("image made on a CPU with avx512 state this
 * host lacks"). */
int cpufeat_check(const struct cpufeat *img, const struct cpufeat *host, char *errbuf, size_t errlen);

#endif
