/* getrandom: lengths, flags and errors (the bytes themselves are not
 * printed). */
#include "sctest.h"
#include "amber_cr.h"
#include <sys/random.h>

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

static bool all_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int main(void)
{
	unsigned char a[256], b[256];

	show("getrandom 0 bytes", sc(SYS_getrandom, a, 0, 0));
	show("getrandom 0 bytes into NULL", sc(SYS_getrandom, NULL, 0, 0));
	show("getrandom 1 byte", sc(SYS_getrandom, a, 1, 0));
	memset(a, 0, sizeof(a));
	show("getrandom 256 bytes", sc(SYS_getrandom, a, 256, 0));
	yesno("not all zero", !all_zero(a, 256));
	show("getrandom 256 bytes again", sc(SYS_getrandom, b, 256, 0));
	yesno("different from the first", memcmp(a, b, 256) != 0);

	amber_cr_point();

	show("GRND_NONBLOCK", sc(SYS_getrandom, a, 64, GRND_NONBLOCK));
	show("GRND_RANDOM", sc(SYS_getrandom, a, 64, GRND_RANDOM));
	show("GRND_RANDOM|GRND_NONBLOCK", sc(SYS_getrandom, a, 64, GRND_RANDOM | GRND_NONBLOCK));
	show("GRND_INSECURE", sc(SYS_getrandom, a, 64, GRND_INSECURE));
	show("GRND_INSECURE|GRND_RANDOM", sc(SYS_getrandom, a, 64, GRND_INSECURE | GRND_RANDOM));
	show("unknown flag 0x8", sc(SYS_getrandom, a, 64, 0x8));
	show("flags -1", sc(SYS_getrandom, a, 64, -1));
	show("into a low pointer", sc(SYS_getrandom, LOW_PTR, 64, 0));
	show("into a kernel pointer", sc(SYS_getrandom, KERNEL_PTR, 64, 0));
	return 0;
}
