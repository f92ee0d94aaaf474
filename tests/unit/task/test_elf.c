#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/task/elf.h"

#define APP_TOP 0x7ff000000000UL
#define MAX_PH 16

/* An ELF file image as the loader sees it: the header, then the program
 * header table right behind it, in a file of file_size bytes. */
struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PH];
	uint64_t file_size;
};

static void set_ident(Elf64_Ehdr *eh)
{
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
}

static Elf64_Phdr load(uint64_t off, uint64_t vaddr, uint64_t filesz, uint64_t memsz, uint32_t flags)
{
	return (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = flags, .p_offset = off, .p_vaddr = vaddr,
			     .p_paddr = vaddr, .p_filesz = filesz, .p_memsz = memsz, .p_align = 0x1000 };
}

/* A small static executable: text at 0x400000 (holding the headers), data
 * at 0x402000, entry in the text. */
static void exec_img(struct img *m)
{
	memset(m, 0, sizeof(*m));
	set_ident(&m->eh);
	m->eh.e_type = ET_EXEC;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_version = EV_CURRENT;
	m->eh.e_entry = 0x401000;
	m->eh.e_phoff = sizeof(Elf64_Ehdr);
	m->eh.e_ehsize = sizeof(Elf64_Ehdr);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 2;
	m->ph[0] = load(0, 0x400000, 0x1800, 0x1800, PF_R | PF_X);
	m->ph[1] = load(0x2000, 0x402000, 0x100, 0x3000, PF_R | PF_W);
	m->file_size = 0x3000;
}

/* A PIE with PT_PHDR, PT_INTERP and PT_GNU_STACK, based at 0. */
static void dyn_img(struct img *m)
{
	memset(m, 0, sizeof(*m));
	set_ident(&m->eh);
	m->eh.e_type = ET_DYN;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_version = EV_CURRENT;
	m->eh.e_entry = 0x1040;
	m->eh.e_phoff = sizeof(Elf64_Ehdr);
	m->eh.e_ehsize = sizeof(Elf64_Ehdr);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 5;
	m->ph[0] = (Elf64_Phdr){ .p_type = PT_PHDR, .p_flags = PF_R, .p_offset = 0x40, .p_vaddr = 0x40,
				 .p_filesz = 5 * sizeof(Elf64_Phdr), .p_memsz = 5 * sizeof(Elf64_Phdr), .p_align = 8 };
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_flags = PF_R, .p_offset = 0x200, .p_vaddr = 0x200,
				 .p_filesz = 28, .p_memsz = 28, .p_align = 1 };
	m->ph[2] = load(0, 0, 0x1800, 0x1800, PF_R | PF_X);
	m->ph[3] = load(0x2e10, 0x3e10, 0x200, 0x400, PF_R | PF_W);
	m->ph[4] = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W, .p_align = 16 };
	m->file_size = 0x4000;
}

static int check_header(const struct img *m)
{
	return elf_check_header(&m->eh, sizeof(m->eh), m->file_size);
}

static int check_phdrs(const struct img *m, struct elf_info *info)
{
	return elf_check_phdrs(&m->eh, m->ph, m->file_size, APP_TOP, info);
}

/* Both checks, as exec runs them. */
static int check(const struct img *m, struct elf_info *info)
{
	int err = check_header(m);
	return err ? err : check_phdrs(m, info);
}

/* ---- the header ---- */

Test(elf_header, valid_exec)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	cr_assert_eq(check(&m, &info), 0);
	cr_assert_eq(info.type, ET_EXEC);
	cr_assert_eq(info.entry, 0x401000);
	cr_assert_eq(info.lo, 0x400000);
	cr_assert_eq(info.hi, 0x405000);
	cr_assert_eq(info.phnum, 2);
	cr_assert_eq(info.interp_index, -1);
	cr_assert_eq(info.phdr_vaddr, 0x400040, "headers found in the first PT_LOAD");
	cr_assert_not(info.exec_stack, "no PT_GNU_STACK: a non-executable stack on x86-64");
}

Test(elf_header, valid_dyn)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	cr_assert_eq(check(&m, &info), 0);
	cr_assert_eq(info.type, ET_DYN);
	cr_assert_eq(info.entry, 0x1040);
	cr_assert_eq(info.lo, 0);
	cr_assert_eq(info.hi, 0x5000);
	cr_assert_eq(info.phnum, 5);
	cr_assert_eq(info.interp_index, 1);
	cr_assert_eq(info.phdr_vaddr, 0x40);
	cr_assert_not(info.exec_stack);
}

Test(elf_header, short_buffer_and_bad_magic)
{
	struct img m;

	exec_img(&m);
	cr_assert_eq(elf_check_header(&m.eh, sizeof(m.eh) - 1, m.file_size), -ENOEXEC);
	cr_assert_eq(elf_check_header(&m.eh, 0, m.file_size), -ENOEXEC);
	m.eh.e_ident[EI_MAG3] = 'X';
	cr_assert_eq(check_header(&m), -ENOEXEC);
	exec_img(&m);
	memcpy(m.eh.e_ident, "#!/b", 4);
	cr_assert_eq(check_header(&m), -ENOEXEC, "a script is not an ELF");
}

Test(elf_header, class32)
{
	struct img m;

	exec_img(&m);
	m.eh.e_ident[EI_CLASS] = ELFCLASS32;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_ident[EI_CLASS] = ELFCLASSNONE;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, big_endian)
{
	struct img m;

	exec_img(&m);
	m.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, bad_ident_version)
{
	struct img m;

	exec_img(&m);
	m.eh.e_ident[EI_VERSION] = EV_NONE;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, os_abi_is_ignored)
{
	struct img m;

	/* Static glibc binaries say ELFOSABI_GNU; Linux does not care. */
	exec_img(&m);
	m.eh.e_ident[EI_OSABI] = ELFOSABI_GNU;
	cr_assert_eq(check_header(&m), 0);
}

Test(elf_header, wrong_machine)
{
	struct img m;

	exec_img(&m);
	m.eh.e_machine = EM_AARCH64;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_machine = EM_386;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, rel_and_core_types)
{
	struct img m;

	exec_img(&m);
	m.eh.e_type = ET_REL;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_type = ET_CORE;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_type = ET_NONE;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, bad_phentsize)
{
	struct img m;

	exec_img(&m);
	m.eh.e_phentsize = sizeof(Elf32_Phdr);
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_phentsize = sizeof(Elf64_Phdr) + 8;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_phentsize = 0;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, phnum_zero)
{
	struct img m;

	exec_img(&m);
	m.eh.e_phnum = 0;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, phnum_limit)
{
	struct img m;

	exec_img(&m);
	m.file_size = 1 << 20;
	m.eh.e_phnum = ELF_MAX_PHDRS;
	cr_assert_eq(check_header(&m), 0, "a 64 KiB table is Linux's limit, still allowed");
	m.eh.e_phnum = ELF_MAX_PHDRS + 1;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_phnum = 0xffff;	/* PN_XNUM: the count would be in a section header */
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, truncated_table)
{
	struct img m;
	uint64_t end;

	exec_img(&m);
	end = m.eh.e_phoff + 2 * sizeof(Elf64_Phdr);
	m.file_size = end;
	cr_assert_eq(check_header(&m), 0, "a table ending exactly at EOF is fine");
	m.file_size = end - 1;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.file_size = sizeof(Elf64_Ehdr);
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.file_size = 0;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, phoff_beyond_file)
{
	struct img m;

	exec_img(&m);
	m.eh.e_phoff = m.file_size;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_phoff = m.file_size + 1;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

Test(elf_header, phoff_overflow)
{
	struct img m;

	exec_img(&m);
	m.file_size = UINT64_MAX;	/* nothing but the offset itself limits it */
	m.eh.e_phoff = UINT64_MAX - 8;
	cr_assert_eq(check_header(&m), -ENOEXEC, "phoff + table wraps around");
	m.eh.e_phoff = UINT64_MAX - 2 * sizeof(Elf64_Phdr) + 1;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.file_size = 0x3000;
	m.eh.e_phoff = UINT64_MAX;
	cr_assert_eq(check_header(&m), -ENOEXEC);
	m.eh.e_phoff = UINT64_MAX - 8;
	cr_assert_eq(check_header(&m), -ENOEXEC);
}

/* ---- PT_LOAD ---- */

Test(elf_load, filesz_above_memsz)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	m.ph[1].p_filesz = m.ph[1].p_memsz + 1;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
}

Test(elf_load, segment_beyond_file)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	m.ph[1].p_filesz = m.file_size - m.ph[1].p_offset;
	cr_assert_eq(check_phdrs(&m, &info), 0, "a segment ending exactly at EOF is fine");
	m.ph[1].p_filesz++;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);

	exec_img(&m);
	m.ph[1].p_offset = m.file_size + 0x1000;
	m.ph[1].p_filesz = 0;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC, "offset past EOF");

	exec_img(&m);
	m.ph[1].p_offset = UINT64_MAX & PAGE_MASK;
	m.ph[1].p_vaddr = 0x402000;
	m.ph[1].p_filesz = 0x2000;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC, "offset + filesz wraps");

	exec_img(&m);
	m.ph[1].p_filesz = UINT64_MAX;
	m.ph[1].p_memsz = UINT64_MAX;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
}

Test(elf_load, misaligned_vaddr_offset)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	m.ph[1].p_vaddr = 0x402008;	/* offset 0x2000: congruence broken */
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);

	exec_img(&m);
	m.ph[1].p_offset = 0x2008;
	m.ph[1].p_vaddr = 0x402008;
	cr_assert_eq(check_phdrs(&m, &info), 0, "same page offset: fine even if not page aligned");
	cr_assert_eq(info.hi, 0x406000);

	exec_img(&m);
	m.ph[1].p_offset = 0x2800;
	m.ph[1].p_vaddr = 0x403000 + 0x800 + 0x100;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
}

Test(elf_load, overlapping)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	m.ph[1].p_vaddr = 0x401000;	/* inside the first segment's span */
	m.ph[1].p_offset = 0x2000;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);

	/* Different bytes in the same page: Linux loads these, mapping the
	 * later segment over the shared page. */
	exec_img(&m);
	m.ph[1].p_offset = 0x1900;
	m.ph[1].p_vaddr = 0x401900;
	cr_assert_eq(check_phdrs(&m, &info), 0);

	/* Sharing bytes is not. */
	exec_img(&m);
	m.ph[1].p_offset = 0x1700;
	m.ph[1].p_vaddr = 0x401700;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);

	/* Back to back on a page boundary is fine. */
	exec_img(&m);
	m.ph[1].p_offset = 0x2000;
	m.ph[1].p_vaddr = 0x402000;
	m.ph[0].p_filesz = m.ph[0].p_memsz = 0x2000;
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_eq(info.lo, 0x400000);
	cr_assert_eq(info.hi, 0x405000);
}

Test(elf_load, out_of_order)
{
	struct img m;
	struct elf_info info;
	Elf64_Phdr t;

	exec_img(&m);
	t = m.ph[0];
	m.ph[0] = m.ph[1];
	m.ph[1] = t;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
}

Test(elf_load, above_app_top)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	m.ph[1].p_vaddr = APP_TOP;
	m.ph[1].p_offset = 0x2000;
	m.ph[1].p_memsz = 0x1000;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);

	exec_img(&m);
	m.ph[1].p_vaddr = APP_TOP - 0x1000;
	m.ph[1].p_memsz = 0x1001;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC, "ends one byte above app_top");

	exec_img(&m);
	m.ph[1].p_vaddr = APP_TOP - 0x1000;
	m.ph[1].p_memsz = 0x1000;
	cr_assert_eq(check_phdrs(&m, &info), 0, "ends exactly at app_top");
	cr_assert_eq(info.hi, APP_TOP);

	exec_img(&m);
	m.ph[1].p_vaddr = 0xffff800000402000UL;	/* kernel half */
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
}

Test(elf_load, vaddr_plus_memsz_overflows)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	m.ph[1].p_vaddr = 0x402000;
	m.ph[1].p_memsz = UINT64_MAX - 0x1000;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);

	/* Even with no app_top to speak of, a wrap must not get through. */
	exec_img(&m);
	m.ph[1].p_vaddr = UINT64_MAX & PAGE_MASK;
	m.ph[1].p_offset = 0x2000;
	m.ph[1].p_memsz = 0x2000;
	cr_assert_eq(elf_check_phdrs(&m.eh, m.ph, m.file_size, UINT64_MAX, &info), -ENOEXEC);
}

Test(elf_load, no_load_segment)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	m.ph[2].p_type = PT_NOTE;
	m.ph[3].p_type = PT_NULL;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
}

Test(elf_load, bss_only_segment)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	m.ph[1].p_filesz = 0;
	m.ph[1].p_offset = 0x2000;
	m.ph[1].p_memsz = 0x10000;
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_eq(info.hi, 0x412000);
}

/* ---- entry ---- */

Test(elf_entry, outside_span)
{
	struct img m;
	struct elf_info info;

	exec_img(&m);
	m.eh.e_entry = 0x3ff000;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC, "below lo");
	m.eh.e_entry = 0x405000;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC, "at hi");
	m.eh.e_entry = 0;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
	m.eh.e_entry = 0x404fff;
	cr_assert_eq(check_phdrs(&m, &info), 0, "last byte of the span");
	m.eh.e_entry = 0x400000;
	cr_assert_eq(check_phdrs(&m, &info), 0, "first byte of the span");
}

/* ---- PT_INTERP ---- */

Test(elf_interp, too_short)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	m.ph[1].p_filesz = 1;	/* just a NUL */
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
	m.ph[1].p_filesz = 0;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
	m.ph[1].p_filesz = 2;
	cr_assert_eq(check_phdrs(&m, &info), 0, "\"x\\0\" is the shortest name");
	cr_assert_eq(info.interp_index, 1);
}

Test(elf_interp, too_long)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	m.file_size = 0x10000;
	m.ph[1].p_filesz = PATH_MAX;
	cr_assert_eq(check_phdrs(&m, &info), 0, "PATH_MAX bytes with the NUL still fit");
	m.ph[1].p_filesz = PATH_MAX + 1;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
	m.ph[1].p_filesz = UINT64_MAX;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
}

Test(elf_interp, outside_file)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	m.ph[1].p_offset = m.file_size - 10;
	m.ph[1].p_filesz = 11;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC, "runs past EOF");
	m.ph[1].p_offset = m.file_size - 10;
	m.ph[1].p_filesz = 10;
	cr_assert_eq(check_phdrs(&m, &info), 0, "ends exactly at EOF");
	m.ph[1].p_offset = m.file_size + 1;
	m.ph[1].p_filesz = 10;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
	m.ph[1].p_offset = UINT64_MAX - 4;
	m.ph[1].p_filesz = 28;
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC, "offset + size wraps");
}

Test(elf_interp, duplicated)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	m.ph[4] = m.ph[1];
	cr_assert_eq(check_phdrs(&m, &info), -ENOEXEC);
}

/* ---- PT_PHDR and the header's address ---- */

Test(elf_phdr, from_pt_phdr)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	/* PT_PHDR wins even where it disagrees with the PT_LOAD arithmetic. */
	m.ph[0].p_vaddr = 0x3e40;
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_eq(info.phdr_vaddr, 0x3e40);

	/* A PT_PHDR after the PT_LOADs still counts. */
	dyn_img(&m);
	m.ph[4] = m.ph[0];
	m.ph[4].p_vaddr = 0x1100;
	m.ph[0] = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W };
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_eq(info.phdr_vaddr, 0x1100);
}

Test(elf_phdr, from_load_containing_phoff)
{
	struct img m;
	struct elf_info info;

	/* Table in the second segment, not the first. */
	exec_img(&m);
	m.eh.e_phoff = 0x2040;
	m.file_size = 0x3000;
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_eq(info.phdr_vaddr, 0x402040);

	/* Table only partly inside a segment: nowhere in memory. */
	exec_img(&m);
	m.eh.e_phoff = 0x2100 - sizeof(Elf64_Phdr);	/* second entry past filesz 0x100 */
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_eq(info.phdr_vaddr, 0);

	/* Not covered by any PT_LOAD at all. */
	exec_img(&m);
	m.eh.e_phoff = 0x1900;
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_eq(info.phdr_vaddr, 0);
}

/* ---- PT_GNU_STACK ---- */

Test(elf_stack, gnu_stack_flags)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	m.ph[4].p_flags = PF_R | PF_W | PF_X;
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert(info.exec_stack);
	m.ph[4].p_flags = PF_R | PF_W;
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_not(info.exec_stack);
}

Test(elf_phdrs, info_reset_between_calls)
{
	struct img m;
	struct elf_info info;

	dyn_img(&m);
	memset(&info, 0xa5, sizeof(info));
	exec_img(&m);
	cr_assert_eq(check_phdrs(&m, &info), 0);
	cr_assert_eq(info.interp_index, -1);
	cr_assert_not(info.exec_stack);
}

/* ---- real binaries ---- */

struct real {
	uint8_t *buf;
	size_t len;
};

static bool read_whole(const char *path, struct real *r)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (!f)
		return false;
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	cr_assert_gt(size, 0);
	rewind(f);
	r->buf = malloc((size_t)size);
	cr_assert_not_null(r->buf);
	r->len = fread(r->buf, 1, (size_t)size, f);
	fclose(f);
	cr_assert_eq(r->len, (size_t)size);
	return true;
}

static void check_real(const char *path, struct elf_info *info, struct real *r)
{
	const Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	size_t table;

	if (!read_whole(path, r))
		cr_skip_test("%s is not there", path);
	/* exec reads only the first bytes before checking the header. */
	cr_assert_eq(elf_check_header(r->buf, MIN(r->len, 256), r->len), 0, "%s", path);
	eh = (const Elf64_Ehdr *)r->buf;
	table = eh->e_phnum * sizeof(Elf64_Phdr);
	ph = malloc(table);
	cr_assert_not_null(ph);
	memcpy(ph, r->buf + eh->e_phoff, table);
	cr_assert_eq(elf_check_phdrs(eh, ph, r->len, APP_TOP, info), 0, "%s", path);

	/* lo/hi are the page-aligned span of the PT_LOADs. */
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		lo = MIN(lo, PAGE_ALIGN_DOWN(ph[i].p_vaddr));
		hi = MAX(hi, PAGE_ALIGN_UP(ph[i].p_vaddr + ph[i].p_memsz));
	}
	cr_assert_eq(info->lo, lo, "%s lo %#lx", path, (unsigned long)info->lo);
	cr_assert_eq(info->hi, hi, "%s hi %#lx", path, (unsigned long)info->hi);
	cr_assert(info->entry >= info->lo && info->entry < info->hi);
	cr_assert_eq(info->phnum, eh->e_phnum);
	if (info->interp_index >= 0) {
		const Elf64_Phdr *ip = &ph[info->interp_index];
		cr_assert_eq(ip->p_type, PT_INTERP);
		cr_assert_eq(r->buf[ip->p_offset + ip->p_filesz - 1], 0, "interpreter name ends in NUL");
	}
	/* The headers are mapped: the first PT_LOAD starts at file offset 0. */
	cr_assert_eq(info->phdr_vaddr, lo + eh->e_phoff, "%s phdr %#lx", path, (unsigned long)info->phdr_vaddr);
	free(ph);
}

Test(elf_real, busybox)
{
	struct elf_info info;
	struct real r;

	check_real("/bin/busybox", &info, &r);
	/* Debian's busybox is static: no interpreter. A distribution's
	 * dynamic build is fine too, as long as the index is right. */
	if (info.interp_index < 0)
		cr_assert_eq(info.type, ET_EXEC);
	cr_assert_not(info.exec_stack);
	free(r.buf);
}

Test(elf_real, ls)
{
	struct elf_info info;
	struct real r;

	check_real("/bin/ls", &info, &r);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)r.buf;
	Elf64_Phdr ip;

	cr_assert_geq(info.interp_index, 0, "ls is dynamically linked");
	memcpy(&ip, r.buf + eh->e_phoff + (size_t)info.interp_index * sizeof(ip), sizeof(ip));
	cr_assert(strstr((const char *)r.buf + ip.p_offset, "ld-linux") != NULL);
	cr_assert_not(info.exec_stack);
	free(r.buf);
}
