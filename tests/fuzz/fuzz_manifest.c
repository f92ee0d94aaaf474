/* libFuzzer target: the manifest reader (state/manifest.c), then the CPU
 * check on whatever it accepted. Built by tools/fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/cpufeat.h"
#include "state/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cpufeat host;
	static int have_host;
	struct manifest m, again;
	char err[256];
	uint8_t *buf;
	size_t len;

	if (!have_host) {
		cpufeat_host(&host);
		have_host = 1;
	}
	if (manifest_decode(data, size, &m, err, sizeof(err)) != 0)
		return 0;
	cpufeat_check(&m.cpu, &host, err, sizeof(err));
	/* Whatever the reader accepts, the writer must write back the same. */
	if (manifest_encode(&m, &buf, &len) != 0)
		__builtin_trap();
	if (manifest_decode(buf, len, &again, err, sizeof(err)) != 0 || again.file_count != m.file_count ||
	    memcmp(again.files, m.files, sizeof(m.files)) != 0)
		__builtin_trap();
	free(buf);
	return 0;
}
