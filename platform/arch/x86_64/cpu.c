#include "platform/arch/x86_64/regs.h"

#include <cpuid.h>

uint32_t arch_xsave_size(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx))
		return 512;	/* legacy FXSAVE area */
	return ebx < 512 ? 512 : ebx;
}

bool arch_xsave_enabled(void)
{
	unsigned int eax, ebx, ecx, edx;

	return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_OSXSAVE);
}
