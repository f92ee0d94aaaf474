/* Unknown system call numbers fail with ENOSYS and the program goes on.
 * (Not 335: since Linux 6.11 that is uretprobe, which raises SIGILL when
 * called from outside a uretprobe trampoline. 387-423 are reserved on x86-64
 * and will stay unassigned: the common numbering starts at 424.) */
#include "sctest.h"
#include "amber_cr.h"

int main(void)
{
	show("syscall 400 (reserved)", sc(400));
	show("syscall 1000", sc(1000));
	show("syscall 100000", sc(100000));
	amber_cr_point();
	show("syscall 512 (x32 range)", sc(512));
	show("syscall -1", sc(-1L));
	yesno("getpid still works", getpid() > 0);
	return 0;
}
