#include "kernel/task/elf.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

int elf_check_header(const void *buf, size_t len, uint64_t file_size)
{
	const Elf64_Ehdr *eh = buf;
	uint64_t table;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_machine != EM_X86_64)
		return -ENOEXEC;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHDRS)
		return -ENOEXEC;
	table = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phoff > file_size || table > file_size - eh->e_phoff)
		return -ENOEXEC;
	return 0;
}

int elf_check_phdrs(const Elf64_Ehdr *eh, const Elf64_Phdr *phdrs, uint64_t file_size, uint64_t app_top,
		    struct elf_info *info)
{
	uint64_t prev_end = 0;
	bool any_load = false;

	memset(info, 0, sizeof(*info));
	info->type = eh->e_type;
	info->entry = eh->e_entry;
	info->phnum = eh->e_phnum;
	info->interp_index = -1;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];

		switch (ph->p_type) {
		case PT_LOAD:
			if (ph->p_filesz > ph->p_memsz || ph->p_offset > file_size ||
			    ph->p_filesz > file_size - ph->p_offset)
				return -ENOEXEC;
			if ((ph->p_vaddr & (PAGE_SIZE - 1)) != (ph->p_offset & (PAGE_SIZE - 1)))
				return -ENOEXEC;
			if (ph->p_vaddr > app_top || ph->p_memsz > app_top - ph->p_vaddr)
				return -ENOEXEC;
			/* Segments may share a page (Linux maps the later one
			 * over it) but not bytes, and must come in order. */
			if (any_load && ph->p_vaddr < prev_end)
				return -ENOEXEC;
			if (!any_load)
				info->lo = PAGE_ALIGN_DOWN(ph->p_vaddr);
			prev_end = ph->p_vaddr + ph->p_memsz;
			info->hi = PAGE_ALIGN_UP(prev_end);
			any_load = true;
			if (!info->phdr_vaddr && eh->e_phoff >= ph->p_offset &&
			    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) <= ph->p_offset + ph->p_filesz)
				info->phdr_vaddr = ph->p_vaddr + (eh->e_phoff - ph->p_offset);
			break;
		case PT_INTERP:
			if (info->interp_index >= 0 || ph->p_filesz < 2 || ph->p_filesz > PATH_MAX ||
			    ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
				return -ENOEXEC;
			info->interp_index = i;
			break;
		case PT_PHDR:
			info->phdr_vaddr = ph->p_vaddr;
			break;
		case PT_GNU_STACK:
			info->exec_stack = (ph->p_flags & PF_X) != 0;
			break;
		default:
			break;
		}
	}
	if (!any_load)
		return -ENOEXEC;
	if (info->entry < info->lo || info->entry >= info->hi)
		return -ENOEXEC;
	return 0;
}
