/*
 * banned.h — libc calls this project does not use, turned into compile errors.
 *
 * Forced into every translation unit by meson.build (-include).  The system
 * headers come first so their own declarations are untouched; a call written
 * after that fails to compile with the name of the banned function.
 * Use instead: snprintf (checked), memcpy with an explicit length,
 * strtol/strtoul with end-pointer and errno checks, or the sg_ parsers.
 */
#ifndef SSRFGUARD_BANNED_H
#define SSRFGUARD_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atoll
#define atoll(x) BANNED(atoll)
#undef strtok
#define strtok(x, y) BANNED(strtok)

#endif
