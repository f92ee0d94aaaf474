/* The top of the object graph: the id tables and arena the subsystems
 * share, and kernel_save/kernel_load, which walk the tasks. */
#include "kernel/state/state.h"
#include "kernel/task/task.h"
#include "kernel/mm/mm.h"
#include "kernel/time/timekeeper.h"
#include "kernel/fs/tmpfs/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t idmap_get(struct idmap *m, const void *p, bool *added)
{
	*added = false;
	for (size_t i = 0; i < m->count; i++)
		if (m->ptrs[i] == p)
			return i + 1;
	if (m->count == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		const void **n = realloc(m->ptrs, cap * sizeof(*n));
		if (!n)
			return 0;
		m->ptrs = n;
		m->cap = cap;
	}
	m->ptrs[m->count++] = p;
	*added = true;
	return m->count;
}

void idmap_free(struct idmap *m)
{
	free(m->ptrs);
	memset(m, 0, sizeof(*m));
}

void *save_alloc(struct save_ctx *c, size_t size)
{
	void *p;

	if (c->nallocs == c->allocs_cap) {
		size_t cap = c->allocs_cap ? c->allocs_cap * 2 : 256;
		void **n = realloc(c->allocs, cap * sizeof(*n));
		if (!n)
			return NULL;
		c->allocs = n;
		c->allocs_cap = cap;
	}
	p = calloc(1, size ? size : 1);
	if (p)
		c->allocs[c->nallocs++] = p;
	return p;
}

char *save_strdup(struct save_ctx *c, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = save_alloc(c, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

int save_push(struct save_ctx *c, void ***arr, size_t *n, void *item)
{
	/* Doubling inside the arena: the old array stays until the end. */
	if ((*n & (*n - 1)) == 0) {
		void **grown = save_alloc(c, (*n ? *n * 2 : 1) * sizeof(void *));
		if (!grown)
			return -ENOMEM;
		if (*n)
			memcpy(grown, *arr, *n * sizeof(void *));
		*arr = grown;
	}
	(*arr)[(*n)++] = item;
	return 0;
}

/* Appends v to a malloc'd array, doubling it as it fills. */
static int u64_push(uint64_t **arr, size_t *n, size_t *cap, uint64_t v)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		uint64_t *g = realloc(*arr, c * sizeof(*g));
		if (!g)
			return -ENOMEM;
		*arr = g;
		*cap = c;
	}
	(*arr)[(*n)++] = v;
	return 0;
}

int save_add_page(struct save_ctx *c, uint64_t page)
{
	return u64_push(&c->pages, &c->npages, &c->pages_cap, page);
}

int save_push_pair(struct save_ctx *c, uint64_t **arr, size_t *n, size_t *cap, uint64_t a, uint64_t b)
{
	/* In the arena, like every array of the message: the old one stays
	 * until the end. */
	if (*n + 2 > *cap) {
		size_t grown = *cap ? *cap * 2 : 64;
		uint64_t *p = save_alloc(c, grown * sizeof(*p));
		if (!p)
			return -ENOMEM;
		if (*n)
			memcpy(p, *arr, *n * sizeof(*p));
		*arr = p;
		*cap = grown;
	}
	(*arr)[(*n)++] = a;
	(*arr)[(*n)++] = b;
	return 0;
}

struct shmem_walk {
	struct save_ctx *c;
	uint64_t **pages;
	size_t *n, cap;
};

static int shmem_page(uint64_t idx, uint64_t off, void *arg)
{
	struct shmem_walk *w = arg;
	int err = save_push_pair(w->c, w->pages, w->n, &w->cap, idx, off);

	return err < 0 ? err : save_add_page(w->c, off >> PAGE_SHIFT);
}

int save_shmem_pages(struct save_ctx *c, struct mapping_obj *obj, uint64_t **pages, size_t *n)
{
	struct shmem_walk w = { .c = c, .pages = pages, .n = n };

	return shmem_for_each_page(obj, shmem_page, &w);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

size_t save_page_extents(struct save_ctx *c, struct memfile_extent *out)
{
	size_t k = 0;

	qsort(c->pages, c->npages, sizeof(*c->pages), cmp_u64);
	for (size_t i = 0; i < c->npages; i++) {
		if (k && out[k - 1].start + out[k - 1].count == c->pages[i])
			out[k - 1].count++;
		else if (!k || out[k - 1].start + out[k - 1].count <= c->pages[i])
			out[k++] = (struct memfile_extent){ .start = c->pages[i], .count = 1 };
	}
	return k;
}

void save_ctx_free(struct save_ctx *c)
{
	for (size_t i = 0; i < c->nallocs; i++)
		free(c->allocs[i]);
	free(c->allocs);
	free(c->pages);
	idmap_free(&c->mms);
	idmap_free(&c->files);
	idmap_free(&c->fdtables);
	idmap_free(&c->fs);
	idmap_free(&c->tgs);
	idmap_free(&c->shmems);
	idmap_free(&c->orphans);
	idmap_free(&c->pipes);
	memset(c, 0, sizeof(*c));
}

int load_add_page(struct load_ctx *c, uint64_t page)
{
	return u64_push(&c->page_idx, &c->npage_idx, &c->page_idx_cap, page);
}

/* The id of obj's Shmem record; *pbp is a new record to fill and push,
 * or NULL when obj was saved already. */
static int64_t shmem_record(struct save_ctx *c, struct mapping_obj *obj, uint64_t npages,
			    Amber__Kernel__Shmem **pbp)
{
	Amber__Kernel__Shmem *pb;
	bool added;
	uint64_t id = idmap_get(&c->shmems, obj, &added);

	*pbp = NULL;
	if (!id)
		return -ENOMEM;
	if (!added)
		return (int64_t)id;
	pb = save_alloc(c, sizeof(*pb));
	if (!pb)
		return -ENOMEM;
	amber__kernel__shmem__init(pb);
	pb->id = id;
	pb->size = npages << PAGE_SHIFT;
	*pbp = pb;
	return (int64_t)id;
}

int64_t shmem_save(struct save_ctx *c, struct mapping_obj *obj)
{
	Amber__Kernel__Shmem *pb;
	int64_t id = shmem_record(c, obj, shmem_size_pages(obj), &pb);
	int err;

	if (id < 0 || !pb)
		return id;
	err = save_shmem_pages(c, obj, &pb->pages, &pb->n_pages);
	if (err == 0)
		err = save_push(c, (void ***)&c->k->shmems, &c->k->n_shmems, pb);
	return err < 0 ? err : id;
}

int64_t shmem_save_cache(struct save_ctx *c, struct mapping_obj *obj, uint64_t size)
{
	Amber__Kernel__Shmem *pb;
	uint64_t npages = PAGE_ALIGN_UP(size) >> PAGE_SHIFT, pg = 0, offs[256];
	int64_t id = shmem_record(c, obj, npages, &pb);
	size_t cap = 0;
	int err = 0;

	if (id < 0 || !pb)
		return id;
	while (pg < npages && err == 0) {
		long got = obj->ops->get_pages(obj, pg, MIN(npages - pg, ARRAY_SIZE(offs)), offs);

		if (got <= 0)
			return got < 0 ? (int)got : -EIO;
		for (long i = 0; i < got; i++) {
			if (err == 0)
				err = save_push_pair(c, &pb->pages, &pb->n_pages, &cap, pg + (uint64_t)i, offs[i]);
			if (err == 0)
				err = save_add_page(c, offs[i] >> PAGE_SHIFT);
			/* get_pages' reference: the cache keeps its own while
			 * the world is stopped. */
			memfile_unref(sentry_memfile, offs[i], 1);
		}
		pg += (uint64_t)got;
	}
	if (err == 0)
		err = save_push(c, (void ***)&c->k->shmems, &c->k->n_shmems, pb);
	return err < 0 ? err : id;
}

int shmem_register(struct load_ctx *c, uint64_t id, struct mapping_obj *obj)
{
	if (!id || id > c->nshmems || c->shmems[id - 1]) {
		snprintf(c->err, sizeof(c->err), "kernel.pb: shared memory id %lu", (unsigned long)id);
		return -EINVAL;
	}
	mapping_obj_get(obj);
	c->shmems[id - 1] = obj;
	return 0;
}

/* Anonymous shared memory: new objects with their pages. */
static int load_shmems(struct load_ctx *c)
{
	for (size_t i = 0; i < c->k->n_shmems; i++) {
		const Amber__Kernel__Shmem *pb = c->k->shmems[i];
		struct mapping_obj *obj;
		int err = 0;

		if (pb->size > (1ULL << 46) || pb->n_pages % 2) {
			snprintf(c->err, sizeof(c->err), "kernel.pb: shared memory %lu: bad size or pages", (unsigned long)pb->id);
			return -EINVAL;
		}
		obj = shmem_new(pb->size);
		if (!obj)
			return -ENOMEM;
		for (size_t k = 0; k + 1 < pb->n_pages && err == 0; k += 2) {
			if ((pb->pages[k + 1] >> PAGE_SHIFT) >= c->k->memfile_pages ||
			    shmem_restore_page(obj, pb->pages[k], pb->pages[k + 1]) < 0) {
				snprintf(c->err, sizeof(c->err), "kernel.pb: shared memory %lu: bad page", (unsigned long)pb->id);
				err = -EINVAL;
			} else {
				err = load_add_page(c, pb->pages[k + 1] >> PAGE_SHIFT);
			}
		}
		if (err == 0)
			err = shmem_register(c, pb->id, obj);
		mapping_obj_put(obj);
		if (err < 0)
			return err;
	}
	return 0;
}

static bool is_tmpfs_root(const struct path *p)
{
	return p->mnt->root == p->d && p->d->inode->ops == &tmpfs_inode_ops;
}

/* Every tmpfs mount's tree: its files exist nowhere else. */
static int save_tmpfs_mounts(struct save_ctx *c)
{
	struct mount *mounts[256];
	int n = vfs_mounts(mounts, 256), err = 0;

	for (int i = 0; i < n && err == 0; i++) {
		struct path p = { mounts[i], mounts[i]->root };
		char where[PATH_MAX];

		if (!is_tmpfs_root(&p))
			continue;
		err = vfs_path_name(&sandbox.root, &p, where, sizeof(where));
		if (err >= 0)
			err = tmpfs_save(c, p.d, where);
	}
	return err < 0 ? err : 0;
}

static int load_tmpfs_mounts(struct load_ctx *c)
{
	for (size_t i = 0; i < c->k->n_tmpfs; i++) {
		const Amber__Kernel__TmpfsMount *m = c->k->tmpfs[i];
		struct path p;
		int err;

		if (!m->path || m->path[0] != '/') {
			snprintf(c->err, sizeof(c->err), "kernel.pb: a tmpfs mount without a path");
			return -EINVAL;
		}
		err = vfs_lookup(&sandbox.root, &sandbox.root, m->path, LOOKUP_DIRECTORY, &p);
		if (err == 0 && !is_tmpfs_root(&p)) {
			path_put(&p);
			err = -ENOTDIR;
		}
		if (err < 0) {
			snprintf(c->err, sizeof(c->err), "tmpfs on %s: %s (the bundle's mounts must be the checkpointed ones)",
				 m->path, err == -ENOTDIR ? "no tmpfs mounted there" : strerror(-err));
			return err;
		}
		err = tmpfs_load(c, m, p.d);
		path_put(&p);
		if (err < 0)
			return err;
	}
	return 0;
}

int kernel_save(struct save_ctx *c)
{
	struct task **list = NULL;
	struct timespec rt;
	int n, err = 0;

	c->k = save_alloc(c, sizeof(*c->k));
	if (!c->k)
		return -ENOMEM;
	amber__kernel__kernel__init(c->k);
	c->k->version = KERNEL_STATE_VERSION;
	c->k->host_mono_ns = host_mono_ns();
	c->k->mono_ns = tk_now(CLOCK_MONOTONIC);	/* what the programs read (the vDSO's clock) */
	clock_gettime(CLOCK_REALTIME, &rt);
	c->k->realtime_ns = rt.tv_sec * 1000000000LL + rt.tv_nsec;
	c->k->hostname = save_strdup(c, sandbox.hostname ? sandbox.hostname : "");
	c->k->memfile_pages = sentry_memfile->max_pages;
	c->k->memory_limit = sentry_memfile->limit_pages << PAGE_SHIFT;
	if (!c->k->hostname)
		return -ENOMEM;
	/* tmpfs first: its files' data get their shared-memory ids, which
	 * mappings of those files then refer to. */
	err = save_tmpfs_mounts(c);
	/* Zombies too: their parents have yet to reap them. */
	n = task_list_all(&list);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (err == 0)
			err = task_save(c, list[i]);
		task_put(list[i]);
	}
	free(list);
	if (err == 0 && n == 0) {
		snprintf(c->err, sizeof(c->err), "no task to checkpoint");
		err = -ESRCH;
	}
	return err;
}

/* The page references the loaded objects hold become the memory file's
 * reference counts. */
static int restore_refs(struct load_ctx *c)
{
	uint64_t *pages;
	uint32_t *counts;
	size_t n = 0;
	int err;

	qsort(c->page_idx, c->npage_idx, sizeof(uint64_t), cmp_u64);
	pages = malloc((c->npage_idx + 1) * sizeof(*pages));
	counts = malloc((c->npage_idx + 1) * sizeof(*counts));
	if (!pages || !counts) {
		free(pages);
		free(counts);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->npage_idx; i++) {
		if (n && pages[n - 1] == c->page_idx[i]) {
			counts[n - 1]++;
			continue;
		}
		pages[n] = c->page_idx[i];
		counts[n++] = 1;
	}
	err = memfile_restore_refs(sentry_memfile, pages, counts, n);
	if (err < 0)
		snprintf(c->err, sizeof(c->err), "kernel.pb: the memory file's pages do not fit");
	free(pages);
	free(counts);
	return err;
}

int kernel_load(struct load_ctx *c, struct task ***tasks, size_t *ntasks)
{
	const KernelPb *k = c->k;
	bool counted;
	int err = 0;

	if (k->version != KERNEL_STATE_VERSION) {
		snprintf(c->err, sizeof(c->err), "kernel.pb: state version %u, this runsc reads %u", k->version,
			 KERNEL_STATE_VERSION);
		return -EINVAL;
	}
	if (k->memfile_pages > sentry_memfile->max_pages) {
		snprintf(c->err, sizeof(c->err), "kernel.pb: a memory file of %lu pages does not fit in %lu",
			 (unsigned long)k->memfile_pages, (unsigned long)sentry_memfile->max_pages);
		return -EINVAL;
	}
	c->mono_shift = host_mono_ns() - k->host_mono_ns;
	tk_set_mono_offset(k->mono_ns - host_mono_ns());
	if (k->memory_limit)
		memfile_set_limit(sentry_memfile, k->memory_limit);
	for (size_t i = 0; i < k->n_files; i++)
		if (k->files[i]->id != i + 1) {
			snprintf(c->err, sizeof(c->err), "kernel.pb: file with id %lu", (unsigned long)k->files[i]->id);
			return -EINVAL;
		}
	for (size_t i = 0; i < k->n_mms; i++)
		if (k->mms[i]->id != i + 1) {
			snprintf(c->err, sizeof(c->err), "kernel.pb: address space with id %lu", (unsigned long)k->mms[i]->id);
			return -EINVAL;
		}
	for (size_t i = 0; i < k->n_orphans; i++)
		if (k->orphans[i]->id != i + 1) {
			snprintf(c->err, sizeof(c->err), "kernel.pb: orphan file with id %lu", (unsigned long)k->orphans[i]->id);
			return -EINVAL;
		}
	for (size_t i = 0; i < k->n_pipes; i++)
		if (k->pipes[i]->id != i + 1) {
			snprintf(c->err, sizeof(c->err), "kernel.pb: pipe with id %lu", (unsigned long)k->pipes[i]->id);
			return -EINVAL;
		}
	c->orphans = calloc(k->n_orphans + 1, sizeof(*c->orphans));
	c->pipes = calloc(k->n_pipes + 1, sizeof(*c->pipes));
	c->files = calloc(k->n_files + 1, sizeof(*c->files));
	c->mms = calloc(k->n_mms + 1, sizeof(*c->mms));
	/* Shared-memory ids: tmpfs files' data and anonymous objects. */
	c->nshmems = k->n_shmems;
	for (size_t i = 0; i < k->n_tmpfs; i++)
		c->nshmems += k->tmpfs[i]->n_nodes;
	c->shmems = calloc(c->nshmems + 1, sizeof(*c->shmems));
	if (!c->files || !c->mms || !c->shmems || !c->orphans || !c->pipes)
		return -ENOMEM;
	err = load_tmpfs_mounts(c);
	if (err == 0)
		err = load_shmems(c);
	/* A file under /proc names a task: it is opened with the fd tables,
	 * once the tasks are in the table (task_load_all). */
	for (size_t i = 0; i < k->n_files && err == 0; i++)
		if (!k->files[i]->path || strncmp(k->files[i]->path, "/proc/", 6) != 0 || k->files[i]->orphan_id)
			err = file_load(c, k->files[i], &c->files[i]);
	for (size_t i = 0; i < k->n_mms && err == 0; i++)
		err = mm_load(c, k->mms[i], &c->mms[i]);
	if (err == 0)
		err = restore_refs(c);
	/* Until then the loaded objects' pages have no reference counts:
	 * releasing them would free pages that were never allocated. On a
	 * failure before, they are left to the sentry, which exits. */
	counted = err == 0;
	if (err == 0)
		err = task_load_all(c, tasks, ntasks);
	/* The tasks hold what they use; the tables' references go. */
	for (size_t i = 0; i < k->n_files && counted; i++)
		if (c->files[i])
			file_put(c->files[i]);
	for (size_t i = 0; i < k->n_mms; i++)
		if (c->mms[i] && err == 0)	/* on failure the sentry exits */
			mm_put(c->mms[i]);
	for (size_t i = 0; c->fdtables && i < k->n_fdtables && counted; i++)
		if (c->fdtables[i])
			fdtable_put(c->fdtables[i]);
	for (size_t i = 0; c->fs && i < k->n_fs_contexts; i++)
		if (c->fs[i])
			fs_ctx_put(c->fs[i]);
	for (size_t i = 0; i < c->nshmems && counted; i++)
		if (c->shmems[i])
			mapping_obj_put(c->shmems[i]);
	for (size_t i = 0; i < k->n_orphans && counted; i++)
		if (c->orphans[i])
			inode_put(c->orphans[i]);
	for (size_t i = 0; i < k->n_pipes && counted; i++)
		if (c->pipes[i])
			inode_put(c->pipes[i]);
	free(c->orphans);
	c->orphans = NULL;
	free(c->pipes);
	c->pipes = NULL;
	free(c->shmems);
	c->shmems = NULL;
	free(c->files);
	free(c->mms);
	free(c->fdtables);
	free(c->fs);
	free(c->page_idx);
	c->files = NULL;
	c->mms = NULL;
	c->fdtables = NULL;
	c->fs = NULL;
	c->page_idx = NULL;
	return err;
}
