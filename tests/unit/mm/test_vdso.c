/* kernel/mm/vdso.c: the embedded vDSO is an image exec can map, and the
 * check refuses what it could not. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/mm/vdso.h"

static size_t image_len(void)
{
	return (size_t)(amber_vdso_image_end - amber_vdso_image);
}

/* A copy of the image, to break. */
static uint8_t *copy(void)
{
	uint8_t *p = aligned_alloc(4096, 4096 * ((image_len() + 4095) / 4096));

	cr_assert_not_null(p);
	memcpy(p, amber_vdso_image, image_len());
	return p;
}

static Elf64_Phdr *phdr(uint8_t *img, uint32_t type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + eh->e_phoff);

	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == type)
			return &ph[i];
	cr_assert_fail("no program header of type %u", type);
	return NULL;
}

Test(vdso, embedded_image_maps)
{
	int64_t n = vdso_check_image(amber_vdso_image, image_len());

	cr_assert_gt(n, 0);
	cr_assert_eq(n % 4096, 0);
	cr_assert_geq((size_t)n, image_len());
	cr_assert_eq((uintptr_t)amber_vdso_image % 4096, 0, "page aligned in runsc");
}

Test(vdso, broken_images_are_refused)
{
	uint8_t *p = copy();
	size_t len = image_len();

	cr_assert_eq(vdso_check_image(p, sizeof(Elf64_Ehdr) - 1), -ENOEXEC, "truncated");
	p[0] = 0;
	cr_assert_eq(vdso_check_image(p, len), -ENOEXEC, "no ELF magic");
	free(p);

	p = copy();
	((Elf64_Ehdr *)p)->e_machine = EM_AARCH64;
	cr_assert_eq(vdso_check_image(p, len), -ENOEXEC, "another machine");
	free(p);

	p = copy();
	((Elf64_Ehdr *)p)->e_phnum = 60000;
	cr_assert_eq(vdso_check_image(p, len), -ENOEXEC, "headers past the end");
	free(p);

	p = copy();
	phdr(p, PT_NOTE)->p_type = PT_LOAD;
	cr_assert_eq(vdso_check_image(p, len), -ENOEXEC, "two PT_LOADs");
	free(p);

	p = copy();
	phdr(p, PT_LOAD)->p_memsz += 4096;
	cr_assert_eq(vdso_check_image(p, len), -ENOEXEC, "a bss");
	free(p);

	p = copy();
	phdr(p, PT_LOAD)->p_vaddr = 0x1000;
	cr_assert_eq(vdso_check_image(p, len), -ENOEXEC, "not at address 0");
	free(p);

	p = copy();
	phdr(p, PT_DYNAMIC)->p_type = PT_NULL;
	cr_assert_eq(vdso_check_image(p, len), -ENOEXEC, "no PT_DYNAMIC");
	free(p);
}
