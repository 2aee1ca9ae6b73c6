/* cmd_serve.c — `ssrfguard serve`: placeholder until its issue lands. */
#include <stdio.h>

#include "commands.h"

int cmd_serve(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "ssrfguard %s: not built yet\n", argv[0]);
	return 2;
}
