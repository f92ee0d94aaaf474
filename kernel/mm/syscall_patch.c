/* System-call patching (see syscall_patch.h for the scheme). */
#include "kernel/mm/syscall_patch.h"
#include "kernel/mm/internal.h"
#include "kernel/lib/log.h"
#include "platform/platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <poll.h>

#define HOT_SLOTS 64

/* Per address space, under mm->lock. Only a heuristic and a count: the
 * sites themselves are in the region, which is in the image, so losing
 * this (restore, fork) costs a few more traps, nothing else. */
struct syscall_patch {
	/* Trapped calls per slot of a direct-mapped table: sites that share
	 * a slot share its count, and the site that reaches the threshold
	 * is tried (a count restarted on every collision would never let
	 * two alternating sites get there). A site found unpatchable is
	 * remembered in its slot, so a hot one is not read again each time. */
	uint64_t hot_refused[HOT_SLOTS];
	uint8_t hot_hits[HOT_SLOTS];
	uint32_t nsites;		/* table entries in use */
	bool region;			/* the region is mapped (made here, or found) */
	bool off;			/* patching gave up on this address space */
};

/* The region's trap path: the site's code jumps here (rax the number, rcx
 * the return address) when the platform has no entry of its own. Below
 * the red zone it keeps the return address on the stack across a real
 * syscall, which clobbers rcx, and returns with rcx holding the return
 * address, as after the original call.
 *	lea -128(%rsp), %rsp; push %rcx; syscall; pop %rcx;
 *	lea 128(%rsp), %rsp; jmp *%rcx */
static const uint8_t slow_code[] = {
	0x48, 0x8d, 0x64, 0x24, 0x80,
	0x51,
	0x0f, 0x05,
	0x59,
	0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00,
	0xff, 0xe1,
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Is [addr, addr + len) inside the region, still mapped as the region?
 * The application can unmap it or map over it; the sentry then writes
 * nothing there. */
static bool region_at(struct mm *mm, uaddr_t addr, size_t len)
{
	for (uaddr_t a = PAGE_ALIGN_DOWN(addr); a < addr + len; a += PAGE_SIZE) {
		struct vma *v = vma_find(&mm->vmas, a);

		if (!v || !(v->flags & VMA_PATCH) || (v->flags & VMA_SHARED))
			return false;
	}
	return true;
}

static uint64_t entry_target(void)
{
	uint64_t entry = platform_syscall_entry();

	return entry ? entry : PATCH_SLOW;
}

/* The sites in use: the table's leading non-zero entries. */
static int count_sites(struct mm *mm, struct syscall_patch *p)
{
	uint64_t e;

	p->nsites = 0;
	while (p->nsites < PATCH_MAX_SITES) {
		if (mm_peek_locked(mm, &e, PATCH_BASE + 8 * p->nsites, 8) < 0)
			return -EFAULT;
		if (!e)
			break;
		p->nsites++;
	}
	return 0;
}

static int region_create(struct mm *mm, struct syscall_patch *p)
{
	struct vma v = { .start = PATCH_BASE, .end = PATCH_BASE + PATCH_SIZE, .prot = PROT_READ | PROT_EXEC,
			 .flags = VMA_PATCH };
	uint64_t target = entry_target();
	int err;

	if (region_at(mm, PATCH_BASE, PATCH_SIZE)) {
		/* Inherited (fork) or restored: its table says how full it is. */
		p->region = true;
		return count_sites(mm, p);
	}
	err = vma_insert(&mm->vmas, &v);
	if (err < 0)
		return err;	/* the program uses that address itself */
	err = mm_poke_locked(mm, PATCH_SLOW, slow_code, sizeof(slow_code));
	if (err == 0)
		err = mm_poke_locked(mm, PATCH_ENTRY, &target, sizeof(target));
	if (err < 0) {
		mm_zap_range(mm, PATCH_BASE, PATCH_BASE + PATCH_SIZE);
		vma_remove(&mm->vmas, PATCH_BASE, PATCH_BASE + PATCH_SIZE);
		return err;
	}
	p->region = true;
	p->nsites = 0;
	return 0;
}

/* Rewrites the call at rip - 7 if it is `mov $nr, %eax; syscall` in a
 * private executable mapping. mm->lock held. */
/* Writes the jump over the site. Other threads of the address space may
 * be running that very code, and a 7-byte store is not atomic for their
 * instruction fetches: as Linux's text_poke_bp, an int3 goes first (one
 * byte), then the rest, then the first byte, with a pause between steps
 * (in place of its IPIs) for any stale fetch to be done with. A thread
 * that meets the int3 comes back to the site (syscall_patch_int3). */
static int write_jump(struct mm *mm, uaddr_t site, const uint8_t jump[7])
{
	static const uint8_t int3 = 0xcc;
	int err;

	if (mm->as_users <= 1)
		return mm_poke_locked(mm, site, jump, 7);
	err = mm_poke_locked(mm, site, &int3, 1);
	poll(NULL, 0, 1);	/* 1 ms (poll is on the sentry's seccomp list, nanosleep is not) */
	if (err == 0)
		err = mm_poke_locked(mm, site + 1, jump + 1, 6);
	poll(NULL, 0, 1);
	if (err == 0)
		err = mm_poke_locked(mm, site, jump, 1);
	return err;
}

static int patch_site(struct mm *mm, struct syscall_patch *p, uaddr_t rip, uint64_t nr)
{
	uaddr_t site = rip - 7, code;
	uint8_t b[8] = { 0 }, text[PATCH_SITE_SIZE], jump[7];
	uint64_t slot;
	uint32_t nr32;
	struct vma *v;
	int err;

	if (mm_peek_locked(mm, b + 1, site, 7) < 0)
		return -EFAULT;
	mm_peek_locked(mm, b, site - 1, 1);	/* unreadable: nothing there to be a prefix */
	memcpy(&nr32, b + 2, 4);
	if (b[1] != 0xb8 || nr32 != nr || b[6] != 0x0f || b[7] != 0x05)
		return -ENOEXEC;
	/* A REX prefix would make the mov another register's (41 b8 is mov
	 * $imm, %r8d); the byte may be one only by chance, but a site lost
	 * costs less than a program broken. */
	if ((b[0] & 0xf0) == 0x40)
		return -ENOEXEC;
	/* One page, one private copy, one stub mapping to replace. */
	if (PAGE_ALIGN_DOWN(site) != PAGE_ALIGN_DOWN(rip - 1))
		return -ENOEXEC;
	v = vma_find(&mm->vmas, site);
	if (!v || (v->flags & (VMA_SHARED | VMA_VDSO | VMA_VVAR | VMA_PATCH)) || !(v->prot & PROT_EXEC))
		return -EPERM;
	if (!p->region) {
		err = region_create(mm, p);
		if (err < 0)
			return err;
	}
	if (p->nsites >= PATCH_MAX_SITES)
		return -ENOSPC;
	slot = PATCH_BASE + 8 * p->nsites;
	code = PATCH_CODE + PATCH_SITE_SIZE * p->nsites;
	if (!region_at(mm, slot, 8) || !region_at(mm, code, PATCH_SITE_SIZE) || !region_at(mm, PATCH_ENTRY, 8))
		return -EFAULT;

	/* mov $nr, %eax; movabs $rip, %rcx; jmp *PATCH_ENTRY(%rip); int3... */
	memset(text, 0xcc, sizeof(text));
	text[0] = 0xb8;
	put32(text + 1, (uint32_t)nr);
	text[5] = 0x48;
	text[6] = 0xb9;
	put64(text + 7, rip);
	text[15] = 0xff;
	text[16] = 0x25;
	put32(text + 17, (uint32_t)(PATCH_ENTRY - (code + 21)));
	/* jmp *slot: ff 24 25 and the slot's address, whose top two bytes
	 * (0f 05) are the syscall a restart at rip - 2 executes. */
	jump[0] = 0xff;
	jump[1] = 0x24;
	jump[2] = 0x25;
	put32(jump + 3, (uint32_t)slot);

	err = mm_poke_locked(mm, code, text, sizeof(text));
	if (err == 0)
		err = mm_poke_locked(mm, slot, &code, sizeof(code));
	if (err == 0)
		err = write_jump(mm, site, jump);
	if (err < 0)
		return err;
	p->nsites++;
	log_debug("syscall_patch: site %#lx (call %lu) patched, table entry %u", (unsigned long)site,
		  (unsigned long)nr, p->nsites - 1);
	return 0;
}

_Static_assert(((PATCH_BASE >> 16) & 0xffff) == 0x050f, "the table's addresses end in 0f 05");
_Static_assert(PATCH_MAX_SITES * 8 <= PATCH_ENTRY - PATCH_BASE, "the table stays below the entry");

/* Calls that may return on a new stack (a thread's, clone's or clone3's
 * child's; vfork's child shares the parent's): the region's trap path,
 * which a restore on a platform without an entry of its own switches
 * sites to, keeps the return address on the stack, where the child would
 * not find it. They stay real system calls. */
static bool new_stack_call(uint64_t nr)
{
	return nr == SYS_clone || nr == SYS_clone3 || nr == SYS_vfork || nr == SYS_fork;
}

void syscall_patch_trapped(struct mm *mm, const struct arch_regs *regs)
{
	uint64_t rip = regs->rip, nr = regs->orig_rax;
	struct syscall_patch *p;
	unsigned int h;
	int err;

	if (nr >= 1024 || new_stack_call(nr) || rip < PAGE_SIZE || !platform_syscall_entry())
		return;
	pthread_mutex_lock(&mm->lock);
	p = mm->patch;
	if (!p) {
		p = mm->patch = calloc(1, sizeof(*p));
		if (!p)
			goto out;
	}
	if (p->off)
		goto out;
	h = (unsigned int)((rip ^ (rip >> 6) ^ (rip >> 12)) % HOT_SLOTS);
	if (p->hot_refused[h] == rip || ++p->hot_hits[h] < PATCH_AFTER)
		goto out;
	p->hot_hits[h] = 0;
	err = patch_site(mm, p, rip, nr);
	if (err == -ENOEXEC || err == -EPERM)
		p->hot_refused[h] = rip;	/* not the pattern, or not patchable memory */
	if (err == -EEXIST || err == -ENOSPC) {
		/* The program maps the region's address itself, or the table is
		 * full: trapping is what is left. */
		log_debug("syscall_patch: no more patching in this address space: %s", strerror(-err));
		p->off = true;
	}
out:
	pthread_mutex_unlock(&mm->lock);
}

/* Reads back a site's code as patch_site writes it: the call's number
 * and the return address. -EINVAL if the application has written over
 * it (then it is not a site's any more), -EFAULT if it is not there. */
static int read_site_code(struct mm *mm, uaddr_t code, uint32_t *nr, uint64_t *ret)
{
	uint8_t text[15];

	if (!region_at(mm, code, sizeof(text)) || mm_peek_locked(mm, text, code, sizeof(text)) < 0)
		return -EFAULT;
	if (text[0] != 0xb8 || text[5] != 0x48 || text[6] != 0xb9)
		return -EINVAL;
	memcpy(nr, text + 1, 4);
	memcpy(ret, text + 7, 8);
	return 0;
}

bool syscall_patch_step(struct mm *mm, struct arch_regs *regs)
{
	uint64_t rip = regs->rip, code, ret;
	uint32_t nr;
	bool done;

	if (rip < PATCH_CODE || rip >= PATCH_CODE + PATCH_MAX_SITES * PATCH_SITE_SIZE)
		return false;
	code = PATCH_CODE + (rip - PATCH_CODE) / PATCH_SITE_SIZE * PATCH_SITE_SIZE;
	pthread_mutex_lock(&mm->lock);
	done = read_site_code(mm, code, &nr, &ret) == 0;
	if (done) {
		regs->rax = nr;
		regs->rip = ret - 2;
	}
	pthread_mutex_unlock(&mm->lock);
	return done;
}

bool syscall_patch_int3(struct mm *mm, struct arch_regs *regs)
{
	uaddr_t site = regs->rip - 1;
	bool ours = false;
	uint8_t b;

	pthread_mutex_lock(&mm->lock);
	if (mm->patch && mm_peek_locked(mm, &b, site, 1) == 0 && (b == 0xcc || b == 0xff)) {
		for (unsigned int i = 0; i < mm->patch->nsites + 1 && i < PATCH_MAX_SITES && !ours; i++) {
			uint64_t ret;
			uint32_t nr;

			ours = read_site_code(mm, PATCH_CODE + PATCH_SITE_SIZE * i, &nr, &ret) == 0 && ret == site + 7;
		}
	}
	pthread_mutex_unlock(&mm->lock);
	if (ours)
		regs->rip = site;
	return ours;
}

int syscall_patch_rebind(struct mm *mm)
{
	uint64_t target = entry_target();
	int err = 0;

	pthread_mutex_lock(&mm->lock);
	if (region_at(mm, PATCH_ENTRY, 8))
		err = mm_poke_locked(mm, PATCH_ENTRY, &target, sizeof(target));
	pthread_mutex_unlock(&mm->lock);
	return err;
}

/* Puts back the site whose code is at code, if it still jumps through
 * slot. */
static void unpatch_site(struct mm *mm, uaddr_t slot, uaddr_t code)
{
	uint8_t now[7], orig[7];
	uint64_t ret;
	uint32_t nr;

	if (read_site_code(mm, code, &nr, &ret) < 0)
		return;
	if (ret < 7 || mm_peek_locked(mm, now, ret - 7, sizeof(now)) < 0)
		return;
	if (now[0] != 0xff || now[1] != 0x24 || now[2] != 0x25 || memcmp(now + 3, &slot, 4) != 0)
		return;	/* the program wrote over it, or unmapped it */
	orig[0] = 0xb8;
	memcpy(orig + 1, &nr, 4);
	orig[5] = 0x0f;
	orig[6] = 0x05;
	mm_poke_locked(mm, ret - 7, orig, sizeof(orig));
}

void syscall_patch_release(struct mm *mm, uaddr_t start, uaddr_t end)
{
	uint64_t code;

	if (end <= PATCH_BASE || start >= PATCH_BASE + PATCH_SIZE || !region_at(mm, PATCH_BASE, PATCH_SIZE))
		return;
	for (unsigned int i = 0; i < PATCH_MAX_SITES; i++) {
		uaddr_t slot = PATCH_BASE + 8 * i;

		if (mm_peek_locked(mm, &code, slot, sizeof(code)) < 0 || !code)
			break;
		if (code >= PATCH_CODE && code < PATCH_BASE + PATCH_SIZE)
			unpatch_site(mm, slot, code);
	}
	mm_zap_range(mm, PATCH_BASE, PATCH_BASE + PATCH_SIZE);
	vma_remove(&mm->vmas, PATCH_BASE, PATCH_BASE + PATCH_SIZE);
	if (!mm->patch)
		mm->patch = calloc(1, sizeof(*mm->patch));
	if (mm->patch) {
		mm->patch->region = false;
		mm->patch->off = true;
	}
	log_debug("syscall_patch: the program uses %#lx-%#lx: sites put back, region removed", (unsigned long)start,
		  (unsigned long)end);
}

void syscall_patch_free(struct mm *mm)
{
	free(mm->patch);
	mm->patch = NULL;
}
