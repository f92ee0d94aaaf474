/* The vDSO in every address space: its text (the image built in vdso/,
 * embedded in runsc) and, right below it, the data page the timekeeper
 * writes (kernel/time). Both are memory-file pages mapped as ordinary
 * VMAs, flagged VMA_VDSO and VMA_VVAR for /proc/self/maps and checkpoints:
 * the text is saved with the image like any shared memory (a restored
 * program keeps the vDSO it started with), the data page is not -- the
 * restoring sentry maps its own, written for its host's TSC and clocks. */
#ifndef AMBER_MM_VDSO_H
#define AMBER_MM_VDSO_H

#include "kernel/mm/mm.h"

/* Maps the data page and the vDSO into mm (exec, before the program
 * runs), top-down below mm->mmap_base like the interpreter. Returns 0
 * with the vDSO's address (AT_SYSINFO_EHDR) in *base, or -errno. */
int vdso_map(struct mm *mm, uaddr_t *base);

/* The data page's mapping object (static: never freed; get/put are
 * no-ops), for a restored VMA_VVAR mapping. */
struct mapping_obj *vdso_vvar_obj(void);

/* True when some VMA_VVAR mapping overlaps [start, end); mm->lock held.
 * The data page is never writable or executable (mprotect: -EACCES). */
bool vdso_vvar_in_range(struct mm *mm, uaddr_t start, uaddr_t end);

/* For a restore into a created sandbox, whose task is gone: drops the
 * text's pages (made again at the next exec), so that the memory file is
 * empty for the image's. -EBUSY when the data page was made (the
 * timekeeper keeps it). */
int vdso_release(void);

/* Checks an image as exec maps it: an x86-64 ELF shared object whose one
 * PT_LOAD covers it from offset 0 at address 0 (no bss, nothing to
 * relocate), with a PT_DYNAMIC. Returns the bytes to map (page multiple)
 * or -ENOEXEC. */
int64_t vdso_check_image(const uint8_t *img, size_t len);

/* The embedded image (vdso/vdso_image.S). */
extern const uint8_t amber_vdso_image[], amber_vdso_image_end[];

#endif
