/* write() and writev() from bad pointers fail with EFAULT and write nothing. */
#include "sctest.h"
#include "amber_cr.h"
#include <limits.h>
#include <sys/uio.h>

int main(void)
{
	struct iovec iov[2];

	show("write from a low pointer", sc(SYS_write, 1, LOW_PTR, 10));
	show("write from NULL", sc(SYS_write, 1, NULL, 5));
	show("write from a kernel pointer", sc(SYS_write, 1, KERNEL_PTR, 10));
	show("pwrite64 from a low pointer", sc(SYS_pwrite64, 1, LOW_PTR, 10, 0));

	amber_cr_point();

	show("writev with a bad iovec array", sc(SYS_writev, 1, LOW_PTR, 1));
	iov[0] = (struct iovec){ .iov_base = LOW_PTR, .iov_len = 5 };
	show("writev with a bad base", sc(SYS_writev, 1, iov, 1));
	iov[0] = (struct iovec){ .iov_base = KERNEL_PTR, .iov_len = 5 };
	show("writev with a kernel base", sc(SYS_writev, 1, iov, 1));
	show("writev iovcnt -1", sc(SYS_writev, 1, iov, -1));
	show("writev iovcnt 1025", sc(SYS_writev, 1, iov, 1025));
	iov[0] = (struct iovec){ .iov_base = "x", .iov_len = 1 };
	iov[1] = (struct iovec){ .iov_base = "x", .iov_len = (size_t)-1 };
	show("writev with a negative length", sc(SYS_writev, 1, iov, 2));
	fflush(stdout);
	show("write of 0 bytes from a bad pointer", sc(SYS_write, 1, LOW_PTR, 0));
	show("write still works", sc(SYS_write, 1, "ok\n", 3));
	return 0;
}
