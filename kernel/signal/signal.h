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
/* rt_sigreturn: restores what sig_setup_frame saved. */
long sig_return(struct task *t);

#endif
