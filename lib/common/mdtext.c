/* mdtext.c — see mdtext.h. */
#include "common/mdtext.h"

#include <string.h>

static const char *as_is(unsigned char c, char tmp[3])
{
	tmp[0] = (char)c;
	tmp[1] = 0;
	return tmp;
}

const char *sg_md_byte(unsigned char c, char tmp[3])
{
	if (c < 0x20 || c == 0x7f)
		return " ";
	switch (c) {
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '&': return "&amp;";
	default: break;
	}
	if (c && strchr("|\\`*_[]#~!", c)) {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		tmp[2] = 0;
		return tmp;
	}
	return as_is(c, tmp);
}

const char *sg_md_code_byte(unsigned char c, char tmp[3])
{
	if (c < 0x20 || c == 0x7f)
		return " ";
	if (c == '|')
		return "\\|";
	return as_is(c, tmp);
}
