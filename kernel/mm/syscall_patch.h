/* System-call patching: a call site of the form `mov $nr, %eax; syscall`
 * that keeps trapping is rewritten, in the application's own memory, into
 * a jump that reaches the platform's trap-free entry (platform/systrap's
 * trampoline). The jump and everything it goes through are ordinary
 * application memory, so a patched program checkpoints, restores (on
 * any platform) and forks like any other: only the one pointer the jumps
 * end at is the platform's, and it is set again on restore.
 *
 * The site's 7 bytes become `jmp *ADDR` with ADDR = 0x050fXXXX, an entry
 * of a table at that fixed place: the last two bytes of the jump then
 * read 0f 05, a syscall instruction, so a call restarted at rip - 2 (after
 * a signal, ERESTARTSYS) is made again by a real trap. Each entry points
 * to the site's own code in the same region, which sets eax and rcx as
 * the original call would and jumps through the entry pointer. */
#ifndef AMBER_MM_SYSCALL_PATCH_H
#define AMBER_MM_SYSCALL_PATCH_H

#include "kernel/mm/mm.h"
#include "platform/arch/x86_64/regs.h"

/* The region: table, entry pointer and the trap path, per-site code. */
#define PATCH_BASE		0x050f0000UL
#define PATCH_MAX_SITES		1024
#define PATCH_ENTRY		(PATCH_BASE + 0x2000)		/* 8 bytes: where site code jumps */
#define PATCH_SLOW		(PATCH_BASE + 0x2010)		/* the call made by a real syscall */
#define PATCH_CODE		(PATCH_BASE + 0x3000)		/* PATCH_SITE_SIZE bytes per site */
#define PATCH_SITE_SIZE		32
#define PATCH_SIZE		(PATCH_CODE - PATCH_BASE + PATCH_MAX_SITES * PATCH_SITE_SIZE)
/* Trapped calls from one site before it is patched: a site run once or
 * twice (start-up code) is not worth a private copy of its page. */
#define PATCH_AFTER		4

/* A system call from regs->rip came by a trap: counts the site and
 * patches it once it is hot, if the platform has a trap-free entry. */
void syscall_patch_trapped(struct mm *mm, const struct arch_regs *regs);

/* A single-step trap in a site's code (the application steps through a
 * patched site with the trap flag set): the state it stands for is the
 * original call's, about to execute its syscall instruction, which is
 * where Linux's first step after the mov stops. Rewrites regs to that
 * (rip = the site's syscall instruction, rax = the call's number) and
 * returns true; false if rip is not in a site's code. */
bool syscall_patch_step(struct mm *mm, struct arch_regs *regs);
/* A SIGTRAP from an int3: true, with rip back at the site, when it is
 * the one a site's patching put there while another thread ran it
 * (write_jump); the call is made again from there. */
bool syscall_patch_int3(struct mm *mm, struct arch_regs *regs);

/* After a restore: points the region's entry at this sentry's platform
 * entry, or at the region's own trap path when there is none (ptrace,
 * --systrap-disable-syscall-patching), and counts the sites in use.
 * Returns 0 or -EFAULT. */
int syscall_patch_rebind(struct mm *mm);

/* The application is about to map, unmap, protect, drop or grow the heap
 * over [start, end) (mm->lock held). On Linux nothing is at the region's
 * address, so if the range meets the region every patched site is put
 * back as it was (`mov $nr, %eax; syscall`), the region is removed and
 * this address space is not patched again: the program then finds the
 * address as Linux would leave it. */
void syscall_patch_release(struct mm *mm, uaddr_t start, uaddr_t end);

/* mm_put: drops the heuristic state. */
void syscall_patch_free(struct mm *mm);

#endif
