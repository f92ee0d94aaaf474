/* Where the vDSO finds its data page; shared by vdso.lds.S (run through
 * the C preprocessor) and vdso_data.h, so it holds definitions only. */
#ifndef AMBER_VDSO_LAYOUT_H
#define AMBER_VDSO_LAYOUT_H

/* The data ("vvar") page lies right below the vDSO's first byte: exec
 * maps it there, and the vDSO reaches it PC-relatively, so it needs no
 * relocation. A vDSO restored from an image keeps the size its build had
 * (the saved mapping keeps its addresses). */
#define VDSO_VVAR_SIZE 4096

#endif
