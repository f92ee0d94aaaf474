/* The vDSO image (vdso.so, built by vdso/CMakeLists.txt) inside runsc;
 * kernel/mm/vdso.c copies it into the memory file at the first exec. */
	.section .rodata.amber_vdso, "a"
	.balign 4096
	.globl amber_vdso_image
	.type amber_vdso_image, @object
amber_vdso_image:
	.incbin AMBER_VDSO_SO
	.globl amber_vdso_image_end
amber_vdso_image_end:
	.size amber_vdso_image, amber_vdso_image_end - amber_vdso_image

	.section .note.GNU-stack, "", @progbits
