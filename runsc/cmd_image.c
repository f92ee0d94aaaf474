/* runsc image inspect DIR [--json]: what a checkpoint image holds, as CRIU's
 * crit shows it: the manifest, the tasks with their registers and address
 * spaces, the open files and fd tables, and the memory image's chunk map.
 * The image is checked the way restore checks it (image_open), so this is
 * also how to ask "would this restore?" without starting anything. */
#include "runsc/cli.h"
#include "state/image.h"
#include "state/pages.h"
#include "state/proto/kernel.pb-c.h"
#include "kernel/lib/types.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static struct json_object *hex(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%#llx", (unsigned long long)v);
	return json_object_new_string(b);
}

static const char *prot_str(int prot, char *b)
{
	b[0] = prot & PROT_READ ? 'r' : '-';
	b[1] = prot & PROT_WRITE ? 'w' : '-';
	b[2] = prot & PROT_EXEC ? 'x' : '-';
	b[3] = 0;
	return b;
}

static struct json_object *kernel_json(const Amber__Kernel__Kernel *k)
{
	struct json_object *o = json_object_new_object(), *a;
	char pb[4];

	json_object_object_add(o, "version", json_object_new_int((int)k->version));
	json_object_object_add(o, "hostname", json_object_new_string(k->hostname ? k->hostname : ""));
	json_object_object_add(o, "monotonic_ns", json_object_new_int64(k->mono_ns));
	json_object_object_add(o, "memory_file_pages", json_object_new_uint64(k->memfile_pages));
	a = json_object_new_array();
	for (size_t i = 0; i < k->n_tasks; i++) {
		const Amber__Kernel__Task *t = k->tasks[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "tid", json_object_new_int(t->tid));
		json_object_object_add(e, "comm", json_object_new_string(t->comm ? t->comm : ""));
		json_object_object_add(e, "mm", json_object_new_uint64(t->mm_id));
		json_object_object_add(e, "fdtable", json_object_new_uint64(t->fdtable_id));
		/* struct arch_regs order: rax is the 11th, rip the 17th, rsp the 20th. */
		if (t->n_regs >= 21) {
			json_object_object_add(e, "rip", hex(t->regs[16]));
			json_object_object_add(e, "rsp", hex(t->regs[19]));
			json_object_object_add(e, "rax", hex(t->regs[10]));
		}
		json_object_object_add(e, "sigmask", hex(t->sigmask));
		json_object_object_add(e, "fpstate_bytes", json_object_new_uint64(t->fpstate.len));
		if (t->restart && t->restart->kind)
			json_object_object_add(e, "restart_kind", json_object_new_int((int)t->restart->kind));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "tasks", a);
	a = json_object_new_array();
	for (size_t i = 0; i < k->n_mms; i++) {
		const Amber__Kernel__Mm *m = k->mms[i];
		struct json_object *e = json_object_new_object(), *vs = json_object_new_array();

		json_object_object_add(e, "id", json_object_new_uint64(m->id));
		json_object_object_add(e, "exe", json_object_new_string(m->exe_path ? m->exe_path : ""));
		json_object_object_add(e, "brk", hex(m->brk));
		json_object_object_add(e, "private_pages", json_object_new_uint64(m->n_ptes / 2));
		for (size_t j = 0; j < m->n_vmas; j++) {
			const Amber__Kernel__Vma *v = m->vmas[j];
			struct json_object *ve = json_object_new_object();

			json_object_object_add(ve, "start", hex(v->start));
			json_object_object_add(ve, "end", hex(v->end));
			json_object_object_add(ve, "prot", json_object_new_string(prot_str(v->prot, pb)));
			json_object_object_add(ve, "shared", json_object_new_boolean(v->flags & 1));
			if (v->obj && v->obj->path) {
				json_object_object_add(ve, "file", json_object_new_string(v->obj->path));
				json_object_object_add(ve, "offset", hex(v->off));
			}
			json_object_array_add(vs, ve);
		}
		json_object_object_add(e, "vmas", vs);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "address_spaces", a);
	a = json_object_new_array();
	for (size_t i = 0; i < k->n_files; i++) {
		const Amber__Kernel__File *f = k->files[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "id", json_object_new_uint64(f->id));
		if (f->stdio) {
			json_object_object_add(e, "stdio", json_object_new_int(f->stdio - 1));
		} else if (f->pipe_id) {
			json_object_object_add(e, "pipe", json_object_new_uint64(f->pipe_id));
			json_object_object_add(e, "end", json_object_new_string(f->pipe_end == 3 ? "read-write" : f->pipe_end == 2 ? "write" : "read"));
		} else {
			json_object_object_add(e, "path", json_object_new_string(f->path ? f->path : ""));
		}
		json_object_object_add(e, "flags", hex((uint64_t)(uint32_t)f->flags));
		json_object_object_add(e, "pos", json_object_new_int64(f->pos));
		/* Deleted while open: carried in the image, with its size. */
		if (f->orphan_id && f->orphan_id <= k->n_orphans) {
			json_object_object_add(e, "deleted", json_object_new_boolean(1));
			json_object_object_add(e, "size", json_object_new_uint64(k->orphans[f->orphan_id - 1]->size));
		}
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "files", a);
	a = json_object_new_array();
	for (size_t i = 0; i < k->n_pipes; i++) {
		const Amber__Kernel__Pipe *p = k->pipes[i];
		struct json_object *e = json_object_new_object();
		uint64_t bytes = 0;

		for (size_t j = 0; j < p->n_buffers; j++)
			bytes += p->buffers[j]->len;
		json_object_object_add(e, "id", json_object_new_uint64(p->id));
		json_object_object_add(e, "ino", json_object_new_uint64(p->ino));
		json_object_object_add(e, "capacity", json_object_new_uint64((uint64_t)p->slots * PAGE_SIZE));
		json_object_object_add(e, "bytes", json_object_new_uint64(bytes));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "pipes", a);
	a = json_object_new_array();
	for (size_t i = 0; i < k->n_fdtables; i++) {
		const Amber__Kernel__FdTable *t = k->fdtables[i];
		struct json_object *e = json_object_new_object(), *fds = json_object_new_array();

		json_object_object_add(e, "id", json_object_new_uint64(t->id));
		for (size_t j = 0; j < t->n_fds; j++) {
			struct json_object *fe = json_object_new_object();
			json_object_object_add(fe, "fd", json_object_new_int(t->fds[j]->fd));
			json_object_object_add(fe, "file", json_object_new_uint64(t->fds[j]->file_id));
			json_object_object_add(fe, "cloexec", json_object_new_boolean(t->fds[j]->cloexec));
			json_object_array_add(fds, fe);
		}
		json_object_object_add(e, "fds", fds);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "fd_tables", a);
	return o;
}

static struct json_object *pages_json(struct pages_reader *pr)
{
	struct json_object *o = json_object_new_object(), *runs = json_object_new_array();
	size_t n = pages_run_count(pr);

	json_object_object_add(o, "stored_pages", json_object_new_uint64(pages_stored(pr)));
	json_object_object_add(o, "chunks", json_object_new_uint64(pages_chunk_count(pr)));
	json_object_object_add(o, "runs", json_object_new_uint64(n));
	for (size_t i = 0; i < n; i++) {
		const struct pages_run *r = pages_run_get(pr, i);
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "page", json_object_new_uint64(r->start));
		json_object_object_add(e, "count", json_object_new_uint64(r->count));
		json_object_object_add(e, "chunk", json_object_new_uint64(r->chunk));
		json_object_object_add(e, "chunk_page", json_object_new_uint64(r->chunk_page));
		json_object_array_add(runs, e);
	}
	json_object_object_add(o, "chunk_map", runs);
	return o;
}

static void print_text(struct json_object *o)
{
	struct json_object *m, *k, *p, *v;

	json_object_object_get_ex(o, "manifest", &m);
	json_object_object_get_ex(o, "kernel", &k);
	json_object_object_get_ex(o, "pages", &p);
	printf("image format %s, written on %s\n", json_object_get_string(json_object_object_get(m, "version")),
	       json_object_get_boolean(json_object_object_get(m, "same_host")) ? "this boot of this host" :
	       "another host or boot");
	json_object_object_get_ex(m, "files", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *f = json_object_array_get_idx(v, i);
		printf("  %-14s %12s bytes  xxh64 %s\n", json_object_get_string(json_object_object_get(f, "name")),
		       json_object_get_string(json_object_object_get(f, "size")),
		       json_object_get_string(json_object_object_get(f, "xxh64")));
	}
	json_object_object_get_ex(k, "tasks", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *t = json_object_array_get_idx(v, i);
		printf("task %s (%s): rip %s rsp %s, address space %s, fd table %s\n",
		       json_object_get_string(json_object_object_get(t, "tid")),
		       json_object_get_string(json_object_object_get(t, "comm")),
		       json_object_get_string(json_object_object_get(t, "rip")),
		       json_object_get_string(json_object_object_get(t, "rsp")),
		       json_object_get_string(json_object_object_get(t, "mm")),
		       json_object_get_string(json_object_object_get(t, "fdtable")));
	}
	json_object_object_get_ex(k, "address_spaces", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *a = json_object_array_get_idx(v, i), *vs;
		printf("address space %s: %s, %s private pages\n", json_object_get_string(json_object_object_get(a, "id")),
		       json_object_get_string(json_object_object_get(a, "exe")),
		       json_object_get_string(json_object_object_get(a, "private_pages")));
		json_object_object_get_ex(a, "vmas", &vs);
		for (size_t j = 0; j < json_object_array_length(vs); j++) {
			struct json_object *e = json_object_array_get_idx(vs, j), *f;
			printf("  %14s-%-14s %s %s\n", json_object_get_string(json_object_object_get(e, "start")),
			       json_object_get_string(json_object_object_get(e, "end")),
			       json_object_get_string(json_object_object_get(e, "prot")),
			       json_object_object_get_ex(e, "file", &f) ? json_object_get_string(f) : "");
		}
	}
	json_object_object_get_ex(k, "pipes", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		printf("pipe %s: pipe:[%s], %s of %s bytes in the image\n", json_object_get_string(json_object_object_get(e, "id")),
		       json_object_get_string(json_object_object_get(e, "ino")),
		       json_object_get_string(json_object_object_get(e, "bytes")),
		       json_object_get_string(json_object_object_get(e, "capacity")));
	}
	json_object_object_get_ex(k, "fd_tables", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *t = json_object_array_get_idx(v, i), *fds, *files;
		json_object_object_get_ex(t, "fds", &fds);
		json_object_object_get_ex(k, "files", &files);
		printf("fd table %s:\n", json_object_get_string(json_object_object_get(t, "id")));
		for (size_t j = 0; j < json_object_array_length(fds); j++) {
			struct json_object *e = json_object_array_get_idx(fds, j), *s;
			int64_t fid = json_object_get_int64(json_object_object_get(e, "file"));
			struct json_object *f = fid >= 1 && (size_t)fid <= json_object_array_length(files)
						      ? json_object_array_get_idx(files, (size_t)fid - 1) : NULL;
			char pipe[64] = "";

			if (f && json_object_object_get_ex(f, "pipe", &s))
				snprintf(pipe, sizeof(pipe), "(%s end of pipe %s)",
					 json_object_get_string(json_object_object_get(f, "end")), json_object_get_string(s));
			printf("  %3s -> file %s %s%s flags %s pos %s%s\n", json_object_get_string(json_object_object_get(e, "fd")),
			       json_object_get_string(json_object_object_get(e, "file")),
			       !f ? "?" : json_object_object_get_ex(f, "stdio", &s) ? "(stdio)" : pipe[0] ? pipe :
			       json_object_get_string(json_object_object_get(f, "path")),
			       f && json_object_object_get_ex(f, "deleted", &s) ? " (deleted, in the image)" : "",
			       f ? json_object_get_string(json_object_object_get(f, "flags")) : "?",
			       f ? json_object_get_string(json_object_object_get(f, "pos")) : "?",
			       json_object_get_boolean(json_object_object_get(e, "cloexec")) ? " cloexec" : "");
		}
	}
	printf("pages: %s stored in %s chunks, %s runs\n", json_object_get_string(json_object_object_get(p, "stored_pages")),
	       json_object_get_string(json_object_object_get(p, "chunks")),
	       json_object_get_string(json_object_object_get(p, "runs")));
}

int cmd_image(struct global_flags *g, int argc, char **argv)
{
	const char *dir = NULL;
	bool json = false;
	char err[1024];
	struct image *img = NULL;
	struct pages_reader *pr = NULL;
	Amber__Kernel__Kernel *k = NULL;
	struct json_object *o = NULL, *m, *files;
	const struct manifest *man;
	const void *buf;
	size_t len;
	int r;

	if (argc < 2 || strcmp(argv[1], "inspect") != 0) {
		cli_error("usage: runsc image inspect DIR [--json]");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else {
			cli_error("image inspect: unexpected argument %s", argv[i]);
			return 2;
		}
	}
	if (!dir) {
		cli_error("usage: runsc image inspect DIR [--json]");
		return 2;
	}
	r = image_open(&img, dir, err, sizeof(err));
	if (r < 0) {
		cli_error("%s", err);
		return 1;
	}
	r = image_read(img, IMAGE_KERNEL, &buf, &len);
	if (r == 0 && !(k = amber__kernel__kernel__unpack(NULL, len, buf)))
		r = -EBADMSG;
	if (r < 0) {
		cli_error("image %s: kernel.pb: %s", dir, r == -EBADMSG ? "not a valid kernel state" : cli_strerror(r));
		image_close(img);
		return 1;
	}
	r = image_open_pages(img, &pr);
	if (r < 0) {
		cli_error("image %s: pages: %s", dir, cli_strerror(r));
		amber__kernel__kernel__free_unpacked(k, NULL);
		image_close(img);
		return 1;
	}
	man = image_manifest(img);
	o = json_object_new_object();
	m = json_object_new_object();
	files = json_object_new_array();
	json_object_object_add(m, "version", json_object_new_int((int)man->version));
	json_object_object_add(m, "created_unix_sec", json_object_new_uint64(man->created_unix_sec));
	json_object_object_add(m, "boot_id", json_object_new_string(man->boot_id));
	json_object_object_add(m, "same_host", json_object_new_boolean(manifest_same_host(man)));
	for (size_t i = 0; i < man->file_count; i++) {
		struct json_object *f = json_object_new_object();
		char h[24];
		snprintf(h, sizeof(h), "%016llx", (unsigned long long)man->files[i].xxh64);
		json_object_object_add(f, "name", json_object_new_string(man->files[i].name));
		json_object_object_add(f, "size", json_object_new_uint64(man->files[i].size));
		json_object_object_add(f, "xxh64", json_object_new_string(h));
		json_object_array_add(files, f);
	}
	json_object_object_add(m, "files", files);
	json_object_object_add(o, "manifest", m);
	json_object_object_add(o, "kernel", kernel_json(k));
	json_object_object_add(o, "pages", pages_json(pr));
	if (json)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_text(o);
	json_object_put(o);
	pages_close(pr);
	amber__kernel__kernel__free_unpacked(k, NULL);
	image_close(img);
	(void)g;
	return 0;
}
