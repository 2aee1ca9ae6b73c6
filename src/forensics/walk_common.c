/* walk_common.c — helpers shared by the walkers (see walk.h). */
#include "forensics/walk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "forensics/hpool.h"

void walk_warn(walk_stats *st, const char *fmt, ...)
{
	st->errors++;
	size_t len = strlen(st->warn);
	if (st->errors > 5 || len + 8 >= sizeof st->warn)
		return;
	if (len) {
		st->warn[len++] = ';';
		st->warn[len++] = ' ';
		st->warn[len] = 0;
	}
	char raw[sizeof st->warn];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	if (n > 0)
		sg_text_clean(st->warn + len, sizeof st->warn - len, raw,
		              (size_t)n < sizeof raw ? (size_t)n : sizeof raw - 1);
}

void walk_apply_hashes(fx_list *out, void *jobs, walk_stats *st)
{
	hp_job *j = jobs;
	while (j) {
		hp_job *next = j->next;
		if (j->entry < out->n) {
			fx_entry *e = &out->v[j->entry];
			if (j->ok) {
				memcpy(e->sha256, j->sha256, FX_SHA256_LEN);
				e->has_hash = 1;
				st->hashed++;
				st->bytes_hashed += j->bytes;
				st->hashed_fed += j->fed != 0;
				st->bytes_fed += j->fed ? j->bytes : 0;
			} else {
				e->note = j->note ? j->note : "unreadable";
				st->hash_errors++;
			}
		}
		hp_job_free(j);
		j = next;
	}
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

int inum_set_add(inum_set *s, uint64_t x)
{
	x += 1; /* 0 marks an empty slot */
	if (!x)
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *v = calloc(cap, sizeof *v);
		if (!v)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->v[i])
				continue;
			size_t h = mix(s->v[i]) & (cap - 1);
			while (v[h])
				h = (h + 1) & (cap - 1);
			v[h] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	size_t h = mix(x) & (s->cap - 1);
	while (s->v[h]) {
		if (s->v[h] == x)
			return 0;
		h = (h + 1) & (s->cap - 1);
	}
	s->v[h] = x;
	s->n++;
	return 1;
}

void inum_set_free(inum_set *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}
