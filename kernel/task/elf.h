/* ELF64 header validation for the loader; pure functions over bytes read
 * from the file, every offset and size checked against the file size. */
#ifndef AMBER_TASK_ELF_H
#define AMBER_TASK_ELF_H

#include <elf.h>
#include "kernel/lib/types.h"

#define ELF_MAX_PHDRS (65536 / sizeof(Elf64_Phdr))	/* Linux's limit on the table size */

struct elf_info {
	uint16_t type;			/* ET_EXEC or ET_DYN */
	uint64_t entry;
	uint64_t lo, hi;		/* page-aligned span of the PT_LOAD segments */
	uint64_t phdr_vaddr;		/* where the program headers are in memory, 0 if nowhere */
	uint16_t phnum;
	int interp_index;		/* PT_INTERP's index, or -1 */
	bool exec_stack;
};

/* Validates the ELF header in buf (len bytes from offset 0) of a file of
 * file_size bytes. Returns 0, or -ENOEXEC for anything that is not a
 * loadable x86-64 ELF64 (wrong class, machine, type, or headers outside
 * the file). */
int elf_check_header(const void *buf, size_t len, uint64_t file_size);

/* Validates the program headers phdrs (eh->e_phnum entries) and fills
 * *info. Rejects (-ENOEXEC) PT_LOAD segments that overlap, come out of
 * order, lie outside the file or the address space below app_top, have
 * p_filesz > p_memsz or misaligned offsets, and bad PT_INTERP entries. */
int elf_check_phdrs(const Elf64_Ehdr *eh, const Elf64_Phdr *phdrs, uint64_t file_size, uint64_t app_top,
		    struct elf_info *info);

#endif
