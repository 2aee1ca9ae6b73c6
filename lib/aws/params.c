/* params.c — Query-protocol parameters and form encoding (see params.h). */
#include "aws/params.h"

#include <stdarg.h>

#include "aws/uri.h"

#define PARAMS_MAX 10000
#define PARAM_NAME_MAX 256

struct aws_params {
	struct aws_kv *kv;   /* names/values owned (cast away const on free) */
	size_t n, cap;
	sg_err err;
};

struct aws_params *aws_params_new(void)
{
	return calloc(1, sizeof(struct aws_params));
}

void aws_params_free(struct aws_params *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free((char *)p->kv[i].name);
		free((char *)p->kv[i].value);
	}
	free(p->kv);
	free(p);
}

static sg_err fail(struct aws_params *p, sg_err e)
{
	if (!p->err)
		p->err = e;
	return p->err;
}

sg_err aws_params_add(struct aws_params *p, const char *name, const char *value)
{
	if (!p)
		return SG_ERR_INVAL;
	if (p->err)
		return p->err;
	if (!name || !*name || !value || strlen(name) > PARAM_NAME_MAX)
		return fail(p, SG_ERR_INVAL);
	if (p->n >= PARAMS_MAX)
		return fail(p, SG_ERR_RANGE);
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		struct aws_kv *nkv = realloc(p->kv, ncap * sizeof *nkv);
		if (!nkv)
			return fail(p, SG_ERR_NOMEM);
		p->kv = nkv;
		p->cap = ncap;
	}
	char *n = strdup(name), *v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return fail(p, SG_ERR_NOMEM);
	}
	p->kv[p->n].name = n;
	p->kv[p->n].value = v;
	p->n++;
	return SG_OK;
}

sg_err aws_params_addf(struct aws_params *p, const char *value, const char *name_fmt, ...)
{
	if (!p)
		return SG_ERR_INVAL;
	char name[PARAM_NAME_MAX + 1];
	va_list ap;
	va_start(ap, name_fmt);
	int n = vsnprintf(name, sizeof name, name_fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof name)
		return fail(p, SG_ERR_RANGE);
	return aws_params_add(p, name, value);
}

sg_err aws_params_add_bool(struct aws_params *p, const char *name, bool v)
{
	return aws_params_add(p, name, v ? "true" : "false");
}

sg_err aws_params_add_int(struct aws_params *p, const char *name, long long v)
{
	char num[32];
	snprintf(num, sizeof num, "%lld", v);
	return aws_params_add(p, name, num);
}

sg_err aws_params_add_list(struct aws_params *p, const char *prefix, const char *const *values,
                           size_t n)
{
	if (!p || !prefix || (n && !values))
		return p ? fail(p, SG_ERR_INVAL) : SG_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		if (!values[i])
			return fail(p, SG_ERR_INVAL);
		sg_err rc = aws_params_addf(p, values[i], "%s.%zu", prefix, i + 1);
		if (rc)
			return rc;
	}
	return p->err;
}

/* How many Filter.K.Name params exist already. */
static size_t count_prefix(const struct aws_params *p, const char *prefix, const char *suffix)
{
	size_t c = 0, pl = strlen(prefix), sl = strlen(suffix);
	for (size_t i = 0; i < p->n; i++) {
		const char *nm = p->kv[i].name;
		size_t l = strlen(nm);
		if (l > pl + sl && !strncmp(nm, prefix, pl) && !strcmp(nm + l - sl, suffix))
			c++;
	}
	return c;
}

sg_err aws_params_add_filters(struct aws_params *p, const struct aws_filter *f, size_t n)
{
	if (!p || (n && !f))
		return p ? fail(p, SG_ERR_INVAL) : SG_ERR_INVAL;
	size_t base = count_prefix(p, "Filter.", ".Name");
	for (size_t i = 0; i < n; i++) {
		if (!f[i].name || (f[i].nvalues && !f[i].values))
			return fail(p, SG_ERR_INVAL);
		aws_params_addf(p, f[i].name, "Filter.%zu.Name", base + i + 1);
		for (size_t k = 0; k < f[i].nvalues; k++) {
			if (!f[i].values[k])
				return fail(p, SG_ERR_INVAL);
			aws_params_addf(p, f[i].values[k], "Filter.%zu.Value.%zu", base + i + 1, k + 1);
		}
	}
	return p->err;
}

sg_err aws_params_add_tags(struct aws_params *p, const char *prefix, const struct aws_tag *tags,
                           size_t n)
{
	if (!p || !prefix || (n && !tags))
		return p ? fail(p, SG_ERR_INVAL) : SG_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		if (!tags[i].key || !tags[i].value)
			return fail(p, SG_ERR_INVAL);
		aws_params_addf(p, tags[i].key, "%s.%zu.Key", prefix, i + 1);
		aws_params_addf(p, tags[i].value, "%s.%zu.Value", prefix, i + 1);
	}
	return p->err;
}

sg_err aws_params_set(struct aws_params *p, const char *name, const char *value)
{
	if (!p || !name || !value)
		return p ? fail(p, SG_ERR_INVAL) : SG_ERR_INVAL;
	if (p->err)
		return p->err;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->kv[i].name, name)) {
			char *v = strdup(value);
			if (!v)
				return fail(p, SG_ERR_NOMEM);
			free((char *)p->kv[i].value);
			p->kv[i].value = v;
			return SG_OK;
		}
	return aws_params_add(p, name, value);
}

const char *aws_params_get(const struct aws_params *p, const char *name)
{
	if (!p || !name)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->kv[i].name, name))
			return p->kv[i].value;
	return NULL;
}

sg_err aws_params_remove(struct aws_params *p, const char *name)
{
	if (!p || !name)
		return SG_ERR_INVAL;
	size_t w = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (!strcmp(p->kv[i].name, name)) {
			free((char *)p->kv[i].name);
			free((char *)p->kv[i].value);
			continue;
		}
		p->kv[w++] = p->kv[i];
	}
	p->n = w;
	return SG_OK;
}

struct aws_params *aws_params_dup(const struct aws_params *p)
{
	if (!p)
		return NULL;
	struct aws_params *d = aws_params_new();
	if (!d)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		aws_params_add(d, p->kv[i].name, p->kv[i].value);
	d->err = d->err ? d->err : p->err;
	if (d->err == SG_ERR_NOMEM) {
		aws_params_free(d);
		return NULL;
	}
	return d;
}

const struct aws_kv *aws_params_items(const struct aws_params *p, size_t *n)
{
	*n = p ? p->n : 0;
	return p ? p->kv : NULL;
}

sg_err aws_params_error(const struct aws_params *p)
{
	return p ? p->err : SG_ERR_INVAL;
}

static int kv_cmp(const void *a, const void *b)
{
	const struct aws_kv *x = *(const struct aws_kv *const *)a;
	const struct aws_kv *y = *(const struct aws_kv *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

sg_err aws_params_encode(const struct aws_params *p, char **out, size_t *len)
{
	*out = NULL;
	if (len)
		*len = 0;
	if (!p)
		return SG_ERR_INVAL;
	if (p->err)
		return p->err;
	const struct aws_kv **sorted = malloc((p->n + 1) * sizeof *sorted);
	if (!sorted)
		return SG_ERR_NOMEM;
	for (size_t i = 0; i < p->n; i++)
		sorted[i] = &p->kv[i];
	qsort(sorted, p->n, sizeof *sorted, kv_cmp);
	sg_buf b;
	sg_buf_init(&b, 0);
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			sg_buf_putc(&b, '&');
		aws_uri_encode(&b, sorted[i]->name, strlen(sorted[i]->name), 0);
		sg_buf_putc(&b, '=');
		aws_uri_encode(&b, sorted[i]->value, strlen(sorted[i]->value), 0);
	}
	free(sorted);
	sg_err rc = sg_buf_err(&b);
	if (rc) {
		sg_buf_free(&b);
		return rc;
	}
	*out = sg_buf_take(&b, len);
	return *out ? SG_OK : SG_ERR_NOMEM;
}
