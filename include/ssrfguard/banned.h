/*
 * banned.h — libc calls this project does not use, turned into compile errors.
 *
 * Forced into every translation unit by meson.build (-include).  The system
 * headers come first so their own declarations are untouched; a call written
 * after that fails to compile with the name of the banned function.
 * Use instead: snprintf (checked), memcpy with an explicit length,
 * strtol/strtoul with end-pointer and errno checks, or the sg_ parsers;
 * heap or fixed buffers for alloca/strdupa; mkstemp/mkdtemp; gmtime_r,
 * localtime_r and strftime for the time functions that share one static
 * buffer between threads.  The scanf family is out because "%s" and "%["
 * without a width overflow and numbers overflow silently.
 */
#ifndef SSRFGUARD_BANNED_H
#define SSRFGUARD_BANNED_H

#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
#undef sscanf
#define sscanf(...) BANNED(sscanf)
#undef fscanf
#define fscanf(...) BANNED(fscanf)
#undef scanf
#define scanf(...) BANNED(scanf)
#undef vsscanf
#define vsscanf(...) BANNED(vsscanf)
#undef vfscanf
#define vfscanf(...) BANNED(vfscanf)
#undef vscanf
#define vscanf(...) BANNED(vscanf)
#undef alloca
#define alloca(n) BANNED(alloca)
#undef strdupa
#define strdupa(s) BANNED(strdupa)
#undef strndupa
#define strndupa(s, n) BANNED(strndupa)
#undef mktemp
#define mktemp(t) BANNED(mktemp)
#undef tmpnam
#define tmpnam(s) BANNED(tmpnam)
#undef tempnam
#define tempnam(d, p) BANNED(tempnam)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef asctime
#define asctime(t) BANNED(asctime)

#endif
