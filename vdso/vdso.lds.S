/* The vDSO's layout, after Linux's arch/x86/entry/vdso/vdso-layout.lds.S:
 * one read+exec PT_LOAD at address 0 holding the ELF and program headers
 * and everything else, so that the image maps as it is, from offset 0,
 * with no relocation. Run through the C preprocessor for VDSO_VVAR_SIZE. */
#include "vdso/vdso_layout.h"

SECTIONS
{
	/* The data page, right below the image (exec maps it there). */
	vvar_page = . - VDSO_VVAR_SIZE;

	. = SIZEOF_HEADERS;

	.hash		: { *(.hash) }			:text
	.gnu.hash	: { *(.gnu.hash) }
	.dynsym		: { *(.dynsym) }
	.dynstr		: { *(.dynstr) }
	.gnu.version	: { *(.gnu.version) }
	.gnu.version_d	: { *(.gnu.version_d) }
	.gnu.version_r	: { *(.gnu.version_r) }

	.dynamic	: { *(.dynamic) }		:text	:dynamic

	.rodata		: {
		*(.rodata*)
		*(.data*)
		*(.sdata*)
		*(.got.plt) *(.got)
		*(.bss*)
		*(.dynbss*)
	}						:text

	/* Unused, and aligned differently from the notes kept. */
	/DISCARD/ : { *(.note.gnu.property) }
	.note		: { *(.note.*) }		:text	:note

	.eh_frame_hdr	: { *(.eh_frame_hdr) }		:text	:eh_frame_hdr
	.eh_frame	: { KEEP (*(.eh_frame)) }	:text

	.text		: { *(.text*) }			:text	=0x90909090

	/DISCARD/ : { *(.discard) *(.discard.*) *(.comment) }
}

PHDRS
{
	text		PT_LOAD		FLAGS(5) FILEHDR PHDRS;	/* PF_R|PF_X */
	dynamic		PT_DYNAMIC	FLAGS(4);		/* PF_R */
	note		PT_NOTE		FLAGS(4);		/* PF_R */
	eh_frame_hdr	0x6474e550;				/* PT_GNU_EH_FRAME */
}

/* Linux's names and version: glibc looks the functions up as LINUX_2.6. */
VERSION
{
	LINUX_2.6 {
	global:
		clock_gettime;
		__vdso_clock_gettime;
		gettimeofday;
		__vdso_gettimeofday;
		getcpu;
		__vdso_getcpu;
		time;
		__vdso_time;
		clock_getres;
		__vdso_clock_getres;
	local: *;
	};
}
