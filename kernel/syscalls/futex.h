/* What the rest of the kernel uses of futexes (sys_futex.c). */
#ifndef AMBER_SYSCALLS_FUTEX_H
#define AMBER_SYSCALLS_FUTEX_H

#include <stdint.h>
#include "kernel/lib/types.h"

struct mm;

/* Wakes up to n waiters on (mm, uaddr), any bitset: a thread's exit
 * (CLONE_CHILD_CLEARTID). Returns the number woken. */
long futex_wake_addr(struct mm *mm, uaddr_t uaddr, int n);

struct task;
/* Marks the robust mutexes t still holds as owner-dead and wakes a
 * waiter of each (sys_robust_list.c): at a thread's exit and exec, with
 * the address space t leaves. Clears t's list. */
void futex_exit_robust_list(struct task *t, struct mm *mm);

#endif
