/* cmd_respond.c — `ssrfguard respond`: placeholder until its issue lands. */
#include <stdio.h>

#include "commands.h"

int cmd_respond(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "ssrfguard %s: not built yet\n", argv[0]);
	return 2;
}
