#!/bin/sh
# banned_check.sh BANNED_H CC... — every banned libc call fails to compile
# with its name in the error once banned.h is forced in (as meson.build
# forces it into every translation unit), and the allowed replacements
# still compile.
set -u
banned=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
compiles() { "$@" -std=gnu17 -D_GNU_SOURCE -include "$banned" -c -o "$dir/o.o" "$dir/t.c" 2>"$dir/err"; }
while IFS='|' read -r name call; do
  [ -z "$name" ] && continue
  printf '#include <alloca.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <time.h>\nvoid f(char *s, time_t *t, FILE *fp);\nvoid f(char *s, time_t *t, FILE *fp) { (void)s; (void)t; (void)fp; (void)(%s); }\n' "$call" >"$dir/t.c"
  if compiles "$@"; then
    echo "FAIL: $name compiles"; fails=$((fails + 1))
  elif ! grep -q "sorry_${name}_is_a_banned_function" "$dir/err"; then
    echo "FAIL: $name fails without naming itself:"; cat "$dir/err"; fails=$((fails + 1))
  else
    echo "ok: $name refused"
  fi
done <<'LIST'
strcpy|strcpy(s, "x")
strcat|strcat(s, "x")
strncpy|strncpy(s, "x", 1)
strncat|strncat(s, "x", 1)
sprintf|sprintf(s, "%d", 1)
vsprintf|vsprintf(s, "x", NULL)
gets|gets(s)
atoi|atoi(s)
atol|atol(s)
atoll|atoll(s)
strtok|strtok(s, ",")
sscanf|sscanf(s, "%s", s)
fscanf|fscanf(fp, "%s", s)
scanf|scanf("%s", s)
vsscanf|vsscanf(s, "%s", NULL)
vfscanf|vfscanf(fp, "%s", NULL)
vscanf|vscanf("%s", NULL)
alloca|alloca(16)
strdupa|strdupa(s)
strndupa|strndupa(s, 2)
mktemp|mktemp(s)
tmpnam|tmpnam(s)
tempnam|tempnam(s, s)
gmtime|gmtime(t)
localtime|localtime(t)
ctime|ctime(t)
asctime|asctime(NULL)
LIST
printf '#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\nstruct st { long ctime, localtime; };\nint f(char *s, time_t *t, struct st *x);\nint f(char *s, time_t *t, struct st *x) { struct tm tm; char b[8]; x->ctime = x->localtime = 0; return snprintf(b, sizeof b, "%%s", s) + (int)strtol(s, NULL, 10) + (gmtime_r(t, &tm) != NULL) + (localtime_r(t, &tm) != NULL) + mkstemp(s); }\n' >"$dir/t.c"
if compiles "$@"; then echo "ok: the replacements (and fields named ctime) compile"; else
  echo "FAIL: the replacements do not compile:"; cat "$dir/err"; fails=$((fails + 1)); fi
[ "$fails" -eq 0 ]
