/* Signal internals shared by kernel/signal and the signal system calls. */
#ifndef AMBER_SIGNAL_H
#define AMBER_SIGNAL_H

#include "kernel/task/task.h"

/* The default action of sig is to ignore it (SIGCHLD, SIGURG, ...). */
bool sig_default_ignored(int sig);
/* Queues sig for one task. */
void sig_send_task(struct task *t, int sig);
/* Builds the rt_sigframe for sig on the application's stack and points
 * the registers at the handler. Returns 0 or -EFAULT. */
int sig_setup_frame(struct task *t, int sig, const struct linux_sigaction *act, bool from_task);
/* The siginfo of sig just dequeued (from the task's own queue or, with
 * from_task false, the group's). */
struct linux_siginfo;
void sig_fill_info(struct task *t, int sig, bool from_task, struct linux_siginfo *info);
/* Takes the lowest pending signal of set, blocked or not (sigtimedwait);
 * 0 if none. *from_task as for sig_fill_info. */
int sig_dequeue_set(struct task *t, uint64_t set, bool *from_task);
/* rt_sigreturn: restores what sig_setup_frame saved. */
long sig_return(struct task *t);

#endif
