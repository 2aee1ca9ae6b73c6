/* cmd_check.c — `ssrfguard check`: placeholder until its issue lands. */
#include <stdio.h>

#include "commands.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "ssrfguard %s: not built yet\n", argv[0]);
	return 2;
}
