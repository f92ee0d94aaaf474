/* Compiled by gcc in the sandbox (shell/gcc_pipe): the driver forks cc1
 * and as, joined by a pipe (-pipe). */
#include <stdio.h>

int main(void)
{
	printf("hello\n");
	return 0;
}
