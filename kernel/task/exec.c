/* execve: the ELF loader (static, static-pie, dynamic: the sentry loads
 * the interpreter itself) and "#!" scripts, then the initial stack. The
 * new program is built in a new address space; the task switches to it
 * only once everything has succeeded. Addresses are not randomised yet. */
#include "kernel/syscalls/futex.h"
#include "kernel/task/task.h"
#include "kernel/task/elf.h"
#include "kernel/mm/vdso.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sys/resource.h>

#define BINPRM_BUF_SIZE		256
#define MAX_INTERP_DEPTH	4
#define ELF_ET_DYN_BASE		0x555555554000UL	/* Linux's PIE base without randomisation */
#define MAX_ARG_STRLEN		(32 * PAGE_SIZE)
#define STACK_GUARD		PAGE_SIZE

struct exec_args {
	char **argv;
	char **envp;
	int argc, envc;
};

static ssize_t file_pread(struct file *f, void *buf, size_t len, int64_t off)
{
	size_t done = 0;

	while (done < len) {
		int64_t pos = off + (int64_t)done;
		ssize_t n = f->ops->read(f, (char *)buf + done, len - done, &pos);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int open_exec(struct task *t, const char *path, struct file **out)
{
	struct path p;
	struct statx stx;
	int err = task_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);

	if (err < 0)
		return err;
	err = inode_stat(p.d->inode, &stx);
	if (err == 0 && !S_ISREG(stx.stx_mode))
		err = -EACCES;
	if (err == 0 && !(stx.stx_mode & 0111))
		err = -EACCES;
	if (err == 0)
		err = vfs_open(&p, O_RDONLY, out);
	path_put(&p);
	return err;
}

/* Maps one ELF image; returns its load bias through *bias. */
static int load_elf(struct mm *mm, struct file *f, const Elf64_Ehdr *eh, const Elf64_Phdr *ph,
		    const struct elf_info *info, bool is_interp, uint64_t *bias)
{
	struct mapping_obj *obj = f->ops->mmap ? f->ops->mmap(f) : NULL;
	uint64_t b = 0;
	int err = 0;

	if (!obj)
		return -EACCES;
	if (info->type == ET_DYN) {
		uaddr_t at;
		if (!is_interp) {
			b = ELF_ET_DYN_BASE - info->lo;
		} else {
			err = vma_find_gap(&mm->vmas, info->hi - info->lo, 0x10000UL, mm->mmap_base, &at);
			if (err < 0)
				goto out;
			b = at - info->lo;
		}
	}
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		int prot = ((p->p_flags & PF_R) ? PROT_READ : 0) | ((p->p_flags & PF_W) ? PROT_WRITE : 0) |
			   ((p->p_flags & PF_X) ? PROT_EXEC : 0);
		uint64_t start, file_end, mem_end;
		long r;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		start = PAGE_ALIGN_DOWN(b + p->p_vaddr);
		file_end = b + p->p_vaddr + p->p_filesz;
		mem_end = PAGE_ALIGN_UP(b + p->p_vaddr + p->p_memsz);
		if (p->p_filesz) {
			r = mm_mmap(mm, start, PAGE_ALIGN_UP(file_end) - start, prot, MAP_PRIVATE | MAP_FIXED, obj,
				    PAGE_ALIGN_DOWN(p->p_offset));
			if (r < 0) {
				err = (int)r;
				goto out;
			}
			/* The tail of the last file page belongs to .bss. */
			if (p->p_memsz > p->p_filesz && (file_end & ~PAGE_MASK)) {
				size_t n = PAGE_SIZE - (file_end & ~PAGE_MASK);
				if ((prot & PROT_WRITE) && clear_user(mm, file_end, n) < 0) {
					err = -EFAULT;
					goto out;
				}
			}
		}
		if (mem_end > PAGE_ALIGN_UP(file_end)) {
			uint64_t zs = p->p_filesz ? PAGE_ALIGN_UP(file_end) : start;
			r = mm_mmap(mm, zs, mem_end - zs, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
			if (r < 0) {
				err = (int)r;
				goto out;
			}
		}
	}
	*bias = b;
out:
	mapping_obj_put(obj);
	return err;
}

/* Reads and checks an ELF's headers into a malloc'd phdr table. */
static int read_elf(struct file *f, const uint8_t *head, size_t head_len, Elf64_Ehdr *eh, Elf64_Phdr **phdrs,
		    struct elf_info *info)
{
	struct statx stx;
	size_t table;
	ssize_t n;
	int err = inode_stat(f->inode, &stx);

	if (err < 0)
		return err;
	err = elf_check_header(head, head_len, stx.stx_size);
	if (err < 0)
		return err;
	memcpy(eh, head, sizeof(*eh));
	table = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	*phdrs = malloc(table);
	if (!*phdrs)
		return -ENOMEM;
	n = file_pread(f, *phdrs, table, (int64_t)eh->e_phoff);
	if (n != (ssize_t)table) {
		free(*phdrs);
		*phdrs = NULL;
		return n < 0 ? (int)n : -ENOEXEC;
	}
	err = elf_check_phdrs(eh, *phdrs, stx.stx_size, platform->app_top(), info);
	if (err < 0) {
		free(*phdrs);
		*phdrs = NULL;
	}
	return err;
}

/* Copies the strings of args to the top of the new stack and builds argv,
 * envp and auxv below them. */
static int setup_stack(struct mm *mm, const struct exec_args *a, const char *execfn, uint64_t *auxv, size_t nauxv,
		       uint64_t *sp_out)
{
	uaddr_t p = mm->stack_top, execfn_at, platform_at, random_at, sp;
	size_t strings = 0, i, nptr;
	uint64_t *vec;
	uint8_t rnd[16];
	int err = -EFAULT;

	for (i = 0; i < (size_t)a->argc; i++)
		strings += strlen(a->argv[i]) + 1;
	for (i = 0; i < (size_t)a->envc; i++)
		strings += strlen(a->envp[i]) + 1;
	if (strings > (mm->stack_top - PAGE_ALIGN_DOWN(mm->stack_top - (8UL << 20))) / 4)
		return -E2BIG;

	p -= sizeof(uint64_t);
	p -= strlen(execfn) + 1;
	execfn_at = p;
	if (copy_out(mm, execfn_at, execfn, strlen(execfn) + 1) < 0)
		return -EFAULT;
	/* Strings: argv first (lowest), then envp, as Linux lays them out. */
	p -= strings;
	mm->arg_start = p;
	nptr = (size_t)a->argc + 1 + (size_t)a->envc + 1;
	vec = calloc(nptr + 1 + nauxv, sizeof(uint64_t));
	if (!vec)
		return -ENOMEM;
	vec[0] = (uint64_t)a->argc;
	for (i = 0; i < (size_t)a->argc; i++) {
		size_t n = strlen(a->argv[i]) + 1;
		if (copy_out(mm, p, a->argv[i], n) < 0)
			goto out;
		vec[1 + i] = p;
		p += n;
	}
	mm->arg_end = mm->env_start = p;
	for (i = 0; i < (size_t)a->envc; i++) {
		size_t n = strlen(a->envp[i]) + 1;
		if (copy_out(mm, p, a->envp[i], n) < 0)
			goto out;
		vec[1 + (size_t)a->argc + 1 + i] = p;
		p += n;
	}
	mm->env_end = p;
	p = mm->arg_start;
	p -= sizeof("x86_64");
	platform_at = p;
	if (copy_out(mm, platform_at, "x86_64", sizeof("x86_64")) < 0)
		goto out;
	p = (p - sizeof(rnd)) & ~15UL;
	random_at = p;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd) || copy_out(mm, random_at, rnd, sizeof(rnd)) < 0)
		goto out;
	for (i = 0; i + 1 < nauxv; i += 2) {
		if (auxv[i] == AT_EXECFN)
			auxv[i + 1] = execfn_at;
		else if (auxv[i] == AT_PLATFORM)
			auxv[i + 1] = platform_at;
		else if (auxv[i] == AT_RANDOM)
			auxv[i + 1] = random_at;
	}
	memcpy(vec + 1 + nptr, auxv, nauxv * sizeof(uint64_t));
	sp = (p - (1 + nptr + nauxv) * sizeof(uint64_t)) & ~15UL;
	if (copy_out(mm, sp, vec, (1 + nptr + nauxv) * sizeof(uint64_t)) < 0)
		goto out;
	memcpy(mm->auxv, auxv, MIN(nauxv * sizeof(uint64_t), sizeof(mm->auxv)));
	mm->auxv_len = MIN(nauxv * sizeof(uint64_t), sizeof(mm->auxv));
	*sp_out = sp;
	err = 0;
out:
	free(vec);
	return err;
}

static int count_vec(char *const *v)
{
	int n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* Parses a "#!" line: *interp and *arg point into line (modified). */
static int parse_shebang(char *line, size_t len, char **interp, char **arg)
{
	char *end = memchr(line, '\n', len), *p, *q;

	if (!end) {
		if (len >= BINPRM_BUF_SIZE)
			return -ENOEXEC;	/* interpreter line too long */
		end = line + len;
	}
	*end = 0;
	for (p = line + 2; *p == ' ' || *p == '\t'; p++)
		;
	if (!*p)
		return -ENOEXEC;
	for (q = p; *q && *q != ' ' && *q != '\t'; q++)
		;
	*interp = p;
	*arg = NULL;
	if (*q) {
		*q++ = 0;
		while (*q == ' ' || *q == '\t')
			q++;
		/* Linux passes the rest as one argument, trailing blanks cut. */
		char *e = q + strlen(q);
		while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		if (*q)
			*arg = q;
	}
	return 0;
}

static int do_exec(struct task *t, const char *path, char *const argv[], char *const envp[], int depth);

static int exec_script(struct task *t, const char *path, uint8_t *head, size_t len, char *const argv[],
		       char *const envp[], int depth)
{
	char line[BINPRM_BUF_SIZE + 1], *interp, *arg;
	char **nargv;
	int argc = count_vec(argv), n = 0, err;

	if (depth >= MAX_INTERP_DEPTH)
		return -ELOOP;
	memcpy(line, head, len);
	line[len] = 0;
	err = parse_shebang(line, len, &interp, &arg);
	if (err < 0)
		return err;
	nargv = calloc((size_t)argc + 3, sizeof(char *));
	if (!nargv)
		return -ENOMEM;
	nargv[n++] = interp;
	if (arg)
		nargv[n++] = arg;
	nargv[n++] = (char *)path;
	for (int i = 1; i < argc; i++)
		nargv[n++] = argv[i];
	err = do_exec(t, interp, nargv, envp, depth + 1);
	free(nargv);
	return err;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int do_exec(struct task *t, const char *path, char *const argv[], char *const envp[], int depth)
{
	uint8_t head[BINPRM_BUF_SIZE];
	struct file *f = NULL, *interp_f = NULL;
	Elf64_Ehdr eh, ieh;
	Elf64_Phdr *ph = NULL, *iph = NULL;
	struct elf_info info, iinfo;
	struct platform_as *as = NULL;
	struct platform_ctx *ctx = NULL;
	struct mm *mm = NULL;
	struct exec_args a = { (char **)argv, (char **)envp, count_vec(argv), count_vec(envp) };
	uint64_t bias = 0, ibias = 0, entry, sp, auxv[64], vdso_base;
	char interp_path[PATH_MAX];
	size_t na = 0;
	ssize_t n;
	int err;

	for (int i = 0; i < a.argc; i++)
		if (strlen(argv[i]) >= MAX_ARG_STRLEN)
			return -E2BIG;
	for (int i = 0; i < a.envc; i++)
		if (strlen(envp[i]) >= MAX_ARG_STRLEN)
			return -E2BIG;
	err = open_exec(t, path, &f);
	if (err < 0)
		return err;
	n = file_pread(f, head, sizeof(head), 0);
	if (n < 0) {
		err = (int)n;
		goto out;
	}
	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		file_put(f);
		return exec_script(t, path, head, (size_t)n, argv, envp, depth);
	}
	err = read_elf(f, head, (size_t)n, &eh, &ph, &info);
	if (err < 0)
		goto out;
	if (info.interp_index >= 0) {
		const Elf64_Phdr *ip = &ph[info.interp_index];
		n = file_pread(f, interp_path, ip->p_filesz, (int64_t)ip->p_offset);
		if (n != (ssize_t)ip->p_filesz || interp_path[ip->p_filesz - 1] != 0 ||
		    strlen(interp_path) + 1 != ip->p_filesz) {
			err = -ENOEXEC;
			goto out;
		}
		err = open_exec(t, interp_path, &interp_f);
		if (err < 0)
			goto out;
		n = file_pread(interp_f, head, sizeof(head), 0);
		if (n < 0) {
			err = (int)n;
			goto out;
		}
		err = read_elf(interp_f, head, (size_t)n, &ieh, &iph, &iinfo);
		if (err < 0)
			goto out;
		if (iinfo.interp_index >= 0) {
			err = -ELIBBAD;
			goto out;
		}
	}

	mm = mm_new();
	if (!mm) {
		err = -ENOMEM;
		goto out;
	}
	err = platform->as_new(&as, &ctx);
	if (err < 0)
		goto out;
	mm_attach(mm, as);
	as = NULL;
	mm->stack_top = platform->app_top() - STACK_GUARD;
	mm->mmap_base = mm->stack_top - (8UL << 20) - (128UL << 20);
	{
		uint64_t stack_size = MIN(MAX(t->tg->rlimits[RLIMIT_STACK].rlim_cur, 128UL << 10), 1UL << 30);
		long r = mm_mmap(mm, mm->stack_top - PAGE_ALIGN_UP(stack_size), PAGE_ALIGN_UP(stack_size),
				 PROT_READ | PROT_WRITE | (info.exec_stack ? PROT_EXEC : 0),
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0);
		if (r < 0) {
			err = (int)r;
			goto out;
		}
		mm->vmas.v[mm->vmas.count - 1].flags |= VMA_STACK;
	}
	err = load_elf(mm, f, &eh, ph, &info, false, &bias);
	if (err < 0)
		goto out;
	mm->brk_start = mm->brk = PAGE_ALIGN_UP(bias + info.hi);
	entry = bias + info.entry;
	if (interp_f) {
		err = load_elf(mm, interp_f, &ieh, iph, &iinfo, true, &ibias);
		if (err < 0)
			goto out;
		entry = ibias + iinfo.entry;
	}
	/* Below the interpreter, like Linux's layout without randomisation. */
	err = vdso_map(mm, &vdso_base);
	if (err < 0)
		goto out;

#define AUX(k, v) do { auxv[na++] = (k); auxv[na++] = (v); } while (0)
	AUX(AT_SYSINFO_EHDR, vdso_base);	/* first, as Linux's ARCH_DLINFO puts it */
	AUX(AT_HWCAP, getauxval(AT_HWCAP));
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, info.phdr_vaddr ? bias + info.phdr_vaddr : 0);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, info.phnum);
	AUX(AT_BASE, interp_f ? ibias + iinfo.lo : 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, bias + info.entry);
	AUX(AT_UID, t->creds.uid);
	AUX(AT_EUID, t->creds.euid);
	AUX(AT_GID, t->creds.gid);
	AUX(AT_EGID, t->creds.egid);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, 0);
	AUX(AT_HWCAP2, getauxval(AT_HWCAP2));
	AUX(AT_EXECFN, 0);
	AUX(AT_PLATFORM, 0);
	AUX(AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) ? getauxval(AT_MINSIGSTKSZ) : 2048);
	AUX(AT_NULL, 0);
#undef AUX
	err = setup_stack(mm, &a, path, auxv, na, &sp);
	if (err < 0)
		goto out;
	mm->exe_path = malloc(PATH_MAX);
	if (!mm->exe_path || vfs_path_name(&t->fs->root, &f->path, mm->exe_path, PATH_MAX) < 0) {
		err = -ENOMEM;
		goto out;
	}

	/* The group's other threads end first (Linux's de_thread); a kill
	 * or a freeze meanwhile has the call made again. */
	if (task_exec_alone(t) < 0) {
		err = -LINUX_ERESTARTNOINTR;
		goto out;
	}
	/* Point of no return: the task takes the new program. Its robust
	 * mutexes die with the old one, as at exit (Linux's exec_mm_release). */
	futex_exit_robust_list(t, t->mm);
	{
		struct mm *old = t->mm;
		struct platform_ctx *old_ctx = t->ctx;
		bool old_owner = t->as_owner;

		pthread_mutex_lock(&t->alloc_lock);
		t->mm = mm;
		t->ctx = ctx;
		pthread_mutex_unlock(&t->alloc_lock);
		t->as_owner = true;
		mm = NULL;
		ctx = NULL;
		/* The old context first: its address space may go with it. */
		if (old_ctx)
			platform->ctx_destroy(old_ctx);
		if (old && old_owner)
			mm_as_release_owner(old);
		else
			mm_as_leave(old);
		mm_put(old);
	}
	platform->ctx_init_regs(t->ctx, &t->regs);
	t->regs.rip = entry;
	t->regs.rsp = sp;
	fd_close_on_exec(t);
	pthread_mutex_lock(&t->tg->lock);
	for (int i = 0; i < LINUX_NSIG; i++) {
		if (t->tg->actions[i].handler != (uint64_t)SIG_IGN)
			t->tg->actions[i].handler = (uint64_t)SIG_DFL;
		t->tg->actions[i].flags = 0;
		t->tg->actions[i].mask = 0;
	}
	pthread_mutex_unlock(&t->tg->lock);
	memset(&t->altstack, 0, sizeof(t->altstack));
	t->clear_child_tid = 0;
	snprintf(t->comm, sizeof(t->comm), "%s", base_name(path));
	/* A vfork parent goes on now, and its child may no longer be
	 * moved to another process group by it (setpgid: EACCES). */
	task_vfork_done(t);
	pthread_mutex_lock(&tasklist_lock);
	t->tg->execed = true;
	pthread_mutex_unlock(&tasklist_lock);
	err = 0;
out:
	if (ctx)
		platform->ctx_destroy(ctx);
	if (as)
		platform->as_destroy(as);
	/* A new address space was made on this thread: the task's own
	 * context is the one its address-space changes go through again. */
	if (err < 0 && t->ctx)
		platform->ctx_adopt(t->ctx);
	mm_put(mm);
	free(ph);
	free(iph);
	if (interp_f)
		file_put(interp_f);
	if (f)
		file_put(f);
	return err;
}

int task_exec(struct task *t, const char *path, char *const argv[], char *const envp[])
{
	return do_exec(t, path, argv, envp, 0);
}
