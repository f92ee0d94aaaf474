/* The vDSO's two mappings (see vdso.h). Both objects are made at their
 * first use, not at start-up: a restore needs the memory file empty until
 * the image's pages are in place (memfile_restore_refs), and a restored
 * sandbox makes them when its first program needs them. */
#include "kernel/mm/vdso.h"
#include "kernel/lib/log.h"
#include "kernel/time/timekeeper.h"
#include "vdso/vdso_data.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define VDSO_MIN_ADDR 0x10000UL		/* mmap's lowest address */

_Static_assert(VDSO_VVAR_SIZE == PAGE_SIZE, "one data page");

/* The data page: one memory-file page for the whole sandbox. It holds a
 * reference of its own for the sentry's life, besides one per mapping. */
struct vvar {
	struct mapping_obj obj;
	pthread_mutex_t lock;		/* protects off */
	int64_t off;			/* memory-file offset; -1 until the first fault */
};

static long vvar_get_pages(struct mapping_obj *obj, uint64_t pgoff, uint64_t count, uint64_t *offs)
{
	struct vvar *v = container_of(obj, struct vvar, obj);

	/* A restored mapping from a build with more data pages: SIGBUS past
	 * the one this build has. */
	if (pgoff != 0 || count == 0)
		return -EIO;
	pthread_mutex_lock(&v->lock);
	if (v->off < 0) {
		int64_t off = memfile_alloc(sentry_memfile, 1);

		if (off < 0) {
			pthread_mutex_unlock(&v->lock);
			return off;
		}
		v->off = off;
		/* Filled before any program can see it: the fault that
		 * brought us here maps it only once this returns. */
		tk_attach_page(memfile_ptr(sentry_memfile, (uint64_t)off));
	}
	memfile_ref(sentry_memfile, (uint64_t)v->off, 1);
	offs[0] = (uint64_t)v->off;
	pthread_mutex_unlock(&v->lock);
	return 1;
}

static void vvar_ref(struct mapping_obj *obj)
{
}

static const struct mapping_ops vvar_ops = {
	.get_pages = vvar_get_pages,
	.get = vvar_ref,
	.put = vvar_ref,
};

static struct vvar vvar = {
	.obj = { .ops = &vvar_ops },
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.off = -1,
};

/* The text: the image as shared memory, one reference kept forever. */
static pthread_mutex_t text_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mapping_obj *text;	/* under text_lock until set */
static uint64_t text_size;

int64_t vdso_check_image(const uint8_t *img, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	const Elf64_Phdr *ph;
	int loads = 0;
	bool dynamic = false;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64 || eh->e_type != ET_DYN)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(*ph) || eh->e_phoff > len || (eh->e_phoff & 7) ||
	    eh->e_phnum > (len - eh->e_phoff) / sizeof(*ph))
		return -ENOEXEC;
	ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			if (ph[i].p_offset != 0 || ph[i].p_vaddr != 0 || ph[i].p_filesz != ph[i].p_memsz ||
			    ph[i].p_filesz > len)
				return -ENOEXEC;
			loads++;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dynamic = true;
		}
	}
	if (loads != 1 || !dynamic)
		return -ENOEXEC;
	/* The whole file, section headers too: debuggers read them from
	 * memory, as from Linux's vDSO. */
	return (int64_t)PAGE_ALIGN_UP(len);
}

/* The text object, made at the first call. */
static int text_get(struct mapping_obj **out, uint64_t *size)
{
	size_t len = (size_t)(amber_vdso_image_end - amber_vdso_image);
	int err = 0;

	pthread_mutex_lock(&text_lock);
	if (!text) {
		int64_t n = vdso_check_image(amber_vdso_image, len);
		struct mapping_obj *obj;

		if (n < 0) {
			log_error("vdso: the embedded image is not a vDSO exec can map");
			err = (int)n;
			goto out;
		}
		obj = shmem_new((uint64_t)n);
		if (!obj) {
			err = -ENOMEM;
			goto out;
		}
		if (shmem_rw(obj, (void *)amber_vdso_image, len, 0, true) != (ssize_t)len) {
			mapping_obj_put(obj);
			err = -ENOMEM;
			goto out;
		}
		text = obj;
		text_size = (uint64_t)n;
	}
	*out = text;
	*size = text_size;
out:
	pthread_mutex_unlock(&text_lock);
	return err;
}

/* Inserts a mapping of obj from offset 0, a reference taken. */
static int insert(struct mm *mm, uaddr_t start, uint64_t len, int prot, int flags, struct mapping_obj *obj)
{
	struct vma v = { .start = start, .end = start + len, .prot = prot, .flags = flags, .obj = obj };
	int err;

	mapping_obj_get(obj);
	err = vma_insert(&mm->vmas, &v);
	if (err < 0)
		mapping_obj_put(obj);
	return err;
}

int vdso_map(struct mm *mm, uaddr_t *base)
{
	struct mapping_obj *t = NULL;
	uint64_t size = 0;
	uaddr_t at;
	int err = text_get(&t, &size);

	if (err < 0)
		return err;
	pthread_mutex_lock(&mm->lock);
	err = vma_find_gap(&mm->vmas, VDSO_VVAR_SIZE + size, VDSO_MIN_ADDR, mm->mmap_base, &at);
	if (err == 0)
		err = insert(mm, at, VDSO_VVAR_SIZE, PROT_READ, VMA_VVAR, &vvar.obj);
	if (err == 0) {
		err = insert(mm, at + VDSO_VVAR_SIZE, size, PROT_READ | PROT_EXEC, VMA_VDSO, t);
		if (err < 0)
			vma_remove(&mm->vmas, at, at + VDSO_VVAR_SIZE);
	}
	pthread_mutex_unlock(&mm->lock);
	if (err == 0)
		*base = at + VDSO_VVAR_SIZE;
	return err;
}

struct mapping_obj *vdso_vvar_obj(void)
{
	return &vvar.obj;
}

bool vdso_vvar_in_range(struct mm *mm, uaddr_t start, uaddr_t end)
{
	for (struct vma *v = vma_find_next(&mm->vmas, start); v && v->start < end; v = vma_find_next(&mm->vmas, v->end))
		if (v->flags & VMA_VVAR)
			return true;
	return false;
}

int vdso_release(void)
{
	/* No mapping is left (a restore into a created sandbox dropped its
	 * task): the text goes, made again at the next exec. */
	pthread_mutex_lock(&text_lock);
	if (text)
		mapping_obj_put(text);
	text = NULL;
	text_size = 0;
	pthread_mutex_unlock(&text_lock);
	pthread_mutex_lock(&vvar.lock);
	/* The timekeeper writes the data page for the sentry's life. */
	int err = vvar.off < 0 ? 0 : -EBUSY;
	pthread_mutex_unlock(&vvar.lock);
	return err;
}
