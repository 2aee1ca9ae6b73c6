/* fx.c — entries, lists, hex, times (see fx.h). */
#include "forensics/fx.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static const char *const type_names[FX_T__COUNT] = {
	"file", "dir", "symlink", "fifo", "chr", "blk", "socket", "other",
};

const char *fx_type_name(fx_type t)
{
	return (unsigned)t < FX_T__COUNT ? type_names[t] : "other";
}

sg_err fx_type_parse(const char *s, fx_type *out)
{
	for (int i = 0; i < FX_T__COUNT; i++)
		if (!strcmp(s, type_names[i])) {
			*out = (fx_type)i;
			return SG_OK;
		}
	return SG_ERR_PARSE;
}

void fx_time_format(const fx_time *t, char *buf, size_t len)
{
	if (!len)
		return;
	if (!t->set) {
		buf[0] = 0;
		return;
	}
	/* sec + nsec/1e9 (nsec >= 0, as in a timespec) written as a decimal:
	   {-1, 999999999} is "-0.000000001", not "-1.999999999" */
	if (t->sec < 0 && t->nsec) {
		uint64_t whole = (uint64_t)(-(t->sec + 1));
		snprintf(buf, len, "-%" PRIu64 ".%09" PRIu32, whole, 1000000000u - t->nsec);
		return;
	}
	snprintf(buf, len, "%s%" PRIu64 ".%09" PRIu32, t->sec < 0 ? "-" : "",
	         t->sec < 0 ? (uint64_t)0 - (uint64_t)t->sec : (uint64_t)t->sec, t->nsec);
}

sg_err fx_time_parse(const char *s, size_t len, fx_time *out)
{
	fx_time t = {0, 0, 1};
	size_t i = 0;
	int neg = 0;
	if (len == 0 || len > 40)
		return SG_ERR_PARSE;
	if (s[0] == '-') {
		neg = 1;
		i++;
	}
	size_t digits = 0;
	uint64_t sec = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (sec > (UINT64_C(1) << 62) / 10)
			return SG_ERR_RANGE;
		sec = sec * 10 + (uint64_t)(s[i] - '0');
	}
	if (!digits)
		return SG_ERR_PARSE;
	if (i < len) {
		if (s[i] != '.' || len - i - 1 != 9)
			return SG_ERR_PARSE;
		for (i++; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return SG_ERR_PARSE;
			t.nsec = t.nsec * 10 + (uint32_t)(s[i] - '0');
		}
	}
	t.sec = neg ? -(int64_t)sec : (int64_t)sec;
	if (neg && t.nsec) { /* "-0.000000001" is {-1, 999999999} */
		t.sec -= 1;
		t.nsec = 1000000000u - t.nsec;
	}
	*out = t;
	return SG_OK;
}

int fx_time_equal(const fx_time *a, const fx_time *b)
{
	return a->set == b->set && (!a->set || (a->sec == b->sec && a->nsec == b->nsec));
}

void fx_entry_clear(fx_entry *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->target);
	free(e->xattrs);
	e->path = e->target = e->xattrs = NULL;
	e->path_len = e->target_len = e->xattrs_len = 0;
}

void fx_list_init(fx_list *l, size_t max)
{
	memset(l, 0, sizeof *l);
	l->max = max;
}

sg_err fx_list_push(fx_list *l, fx_entry *e)
{
	if (l->max && l->n >= l->max)
		return SG_ERR_RANGE;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		if (cap > SIZE_MAX / sizeof *l->v)
			return SG_ERR_NOMEM;
		fx_entry *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return SG_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	e->path = e->target = e->xattrs = NULL;
	return SG_OK;
}

void fx_list_free(fx_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		fx_entry_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

char *fx_memdup(const void *p, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *s = malloc(len + 1);
	if (!s)
		return NULL;
	if (len)
		memcpy(s, p, len);
	s[len] = 0;
	return s;
}

sg_err fx_sha256(const void *p, size_t len, uint8_t out[FX_SHA256_LEN])
{
	unsigned int olen = 0;
	if (!EVP_Digest(p, len, out, &olen, EVP_sha256(), NULL) || olen != FX_SHA256_LEN)
		return SG_ERR_NOMEM;
	return SG_OK;
}

size_t fx_part_prefix_len(const char *path, size_t len)
{
	if (len < 3 || path[0] != 'p')
		return 0;
	size_t i = 1;
	while (i < len && i < 8 && path[i] >= '0' && path[i] <= '9')
		i++;
	return i > 1 && i < len && path[i] == ':' ? i + 1 : 0;
}
