/* diff.c — baseline comparison (see diff.h). */
#include "forensics/diff.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const class_names[FX_C__COUNT] = {
	"type_changed", "timestomped", "modified", "unverified", "added",
	"removed", "moved", "metadata", "deleted_in_image",
};

const char *fx_class_name(fx_class c)
{
	return (unsigned)c < FX_C__COUNT ? class_names[c] : "unknown";
}

static int path_cmp(const fx_entry *a, const fx_entry *b)
{
	size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
	int c = memcmp(a->path, b->path, n);
	if (c)
		return c;
	return a->path_len < b->path_len ? -1 : a->path_len > b->path_len;
}

static int cmp_path_ptr(const void *x, const void *y)
{
	return path_cmp(*(const fx_entry *const *)x, *(const fx_entry *const *)y);
}

static int cmp_hash_ptr(const void *x, const void *y)
{
	const fx_entry *a = *(const fx_entry *const *)x, *b = *(const fx_entry *const *)y;
	return memcmp(a->sha256, b->sha256, FX_SHA256_LEN);
}

/* Pointers to the entries of l that pass the filter, sorted by path. */
static sg_err index_of(const fx_list *l, int deleted, int files_only,
                       const fx_entry ***out, size_t *n)
{
	const fx_entry **v = malloc((l->n ? l->n : 1) * sizeof *v);
	if (!v)
		return SG_ERR_NOMEM;
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		const fx_entry *e = &l->v[i];
		if (!!e->deleted != !!deleted || (files_only && e->type != FX_T_FILE) || e->fs_meta)
			continue;
		v[k++] = e;
	}
	if (k > 1)
		qsort(v, k, sizeof *v, cmp_path_ptr);
	*out = v;
	*n = k;
	return SG_OK;
}

static const fx_entry *find_path(const fx_entry **v, size_t n, const fx_entry *key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = path_cmp(v[mid], key);
		if (c == 0)
			return v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *xattr_find(const char *x, size_t xlen, const char *name, size_t len,
                              size_t *vlen);

static sg_err add(fx_diff *d, fx_class cls, const fx_entry *base, const fx_entry *cur,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static sg_err add(fx_diff *d, fx_class cls, const fx_entry *base, const fx_entry *cur,
                  const char *fmt, ...)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		fx_finding *v = realloc(d->v, cap * sizeof *v);
		if (!v)
			return SG_ERR_NOMEM;
		d->v = v;
		d->cap = cap;
	}
	fx_finding *f = &d->v[d->n++];
	memset(f, 0, sizeof *f);
	f->cls = cls;
	f->base = base;
	f->cur = cur;
	const fx_entry *e = cur ? cur : base;
	size_t vlen;
	/* the most telling reason first: capabilities say more than a path */
	if (cur && cur->xattrs &&
	    xattr_find(cur->xattrs, cur->xattrs_len, "security.capability", 19, &vlen))
		f->interest = "file capabilities (security.capability): privileges without setuid";
	if (!f->interest)
		f->interest = fx_interest(e->path, e->path_len, e->mode, e->type);
	if (!f->interest && base && cur)
		f->interest = fx_interest(base->path, base->path_len, base->mode, base->type);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof f->detail, fmt, ap);
	va_end(ap);
	d->counts[cls]++;
	if (f->interest)
		d->interesting++;
	return SG_OK;
}

/* Append "; what a -> b" to a detail buffer. */
static void note(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len + 3 >= cap)
		return;
	if (len) {
		buf[len++] = ';';
		buf[len++] = ' ';
		buf[len] = 0;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

/* The record of an xattrs text ("NAME=HEX" joined by '|') at *p, before
 * end: its name and value; *p moves past it.  0 when there is none. */
static int xattr_next(const char **p, const char *end, const char **name, size_t *nlen,
                      const char **val, size_t *vlen)
{
	if (*p >= end)
		return 0;
	const char *rec_end = memchr(*p, '|', (size_t)(end - *p));
	if (!rec_end)
		rec_end = end;
	const char *eq = rec_end; /* the value starts after the last '=' */
	while (eq > *p && eq[-1] != '=')
		eq--;
	*name = *p;
	*nlen = eq > *p ? (size_t)(eq - 1 - *p) : (size_t)(rec_end - *p);
	*val = eq > *p ? eq : rec_end;
	*vlen = (size_t)(rec_end - *val);
	*p = rec_end + 1;
	return 1;
}

/* The value of attribute name (len bytes) in an xattrs text, or NULL. */
static const char *xattr_find(const char *x, size_t xlen, const char *name, size_t len,
                              size_t *vlen)
{
	const char *p = x, *n, *v;
	size_t nl;
	while (xattr_next(&p, x + xlen, &n, &nl, &v, vlen))
		if (nl == len && !memcmp(n, name, len))
			return v;
	return NULL;
}

/* "xattrs +a, -b, ~c": attributes added, removed, changed from b to c. */
static void xattr_changes(const fx_entry *b, const fx_entry *c, char *buf, size_t cap)
{
	if (!b->xattrs || !c->xattrs ||
	    (b->xattrs_len == c->xattrs_len && !memcmp(b->xattrs, c->xattrs, b->xattrs_len)))
		return;
	char list[FX_DETAIL_MAX] = "";
	for (int side = 0; side < 2; side++) {
		const fx_entry *from = side ? b : c, *other = side ? c : b;
		const char *p = from->xattrs, *end = from->xattrs + from->xattrs_len, *name, *val;
		size_t nlen, len;
		while (xattr_next(&p, end, &name, &nlen, &val, &len)) {
			size_t vlen = 0;
			const char *ov = xattr_find(other->xattrs, other->xattrs_len, name, nlen, &vlen);
			char mark = !ov ? (side ? '-' : '+')
			            : (!side && (vlen != len || memcmp(ov, val, vlen))) ? '~' : 0;
			size_t used = strlen(list);
			if (mark && used + 4 < sizeof list)
				snprintf(list + used, sizeof list - used, "%s%c%.*s", used ? ", " : "", mark,
				         (int)nlen, name);
		}
	}
	if (list[0]) /* "" when only the order differs (lists of older versions) */
		note(buf, cap, "xattrs %s", list);
}

static void meta_changes(const fx_entry *b, const fx_entry *c, char *buf, size_t cap)
{
	buf[0] = 0;
	if (!b->has_meta || !c->has_meta)
		return;
	if (b->mode != c->mode)
		note(buf, cap, "mode %04o -> %04o", (unsigned)b->mode, (unsigned)c->mode);
	if (b->uid != c->uid)
		note(buf, cap, "uid %" PRIu32 " -> %" PRIu32, b->uid, c->uid);
	if (b->gid != c->gid)
		note(buf, cap, "gid %" PRIu32 " -> %" PRIu32, b->gid, c->gid);
	xattr_changes(b, c, buf, cap);
	if (b->type != FX_T_DIR && !fx_time_equal(&b->mtime, &c->mtime) && b->mtime.set &&
	    c->mtime.set) {
		char bt[FX_TIME_TEXT], ct[FX_TIME_TEXT];
		fx_time_format(&b->mtime, bt, sizeof bt);
		fx_time_format(&c->mtime, ct, sizeof ct);
		note(buf, cap, "mtime %s -> %s", bt, ct);
	}
}

/* A file the baseline hashed whose copy in the image could not be hashed:
 * the examiner cannot say it is unchanged. */
static sg_err unverified(fx_diff *d, const fx_entry *b, const fx_entry *c)
{
	if (!b->has_hash || c->has_hash || c->type != FX_T_FILE)
		return SG_OK;
	return add(d, FX_C_UNVERIFIED, b, c, "content not verified: %s (size %" PRIu64 " -> %" PRIu64
	           ")", c->note ? c->note : "not hashed", b->size, c->size);
}

static sg_err compare(fx_diff *d, const fx_entry *b, const fx_entry *c, int content_only)
{
	char meta[FX_DETAIL_MAX];
	if (content_only) {
		if (c->type != FX_T_FILE)
			return add(d, FX_C_TYPE_CHANGED, b, c, "file -> %s", fx_type_name(c->type));
		if (b->has_hash && c->has_hash && memcmp(b->sha256, c->sha256, FX_SHA256_LEN))
			return add(d, FX_C_MODIFIED, b, c, "content changed (size %" PRIu64
			           " -> %" PRIu64 ")", b->size, c->size);
		return unverified(d, b, c);
	}
	if (b->type != c->type)
		return add(d, FX_C_TYPE_CHANGED, b, c, "%s -> %s", fx_type_name(b->type),
		           fx_type_name(c->type));
	meta_changes(b, c, meta, sizeof meta);
	if (b->type == FX_T_FILE && b->has_hash && c->has_hash &&
	    memcmp(b->sha256, c->sha256, FX_SHA256_LEN)) {
		int same_mtime = b->mtime.set && c->mtime.set && fx_time_equal(&b->mtime, &c->mtime);
		return add(d, same_mtime ? FX_C_TIMESTOMPED : FX_C_MODIFIED, b, c,
		           "content changed (size %" PRIu64 " -> %" PRIu64 ")%s%s%s", b->size,
		           c->size, same_mtime ? ", mtime unchanged" : "", meta[0] ? "; " : "",
		           meta);
	}
	if (b->type == FX_T_FILE && b->has_hash && !c->has_hash)
		return unverified(d, b, c);
	if (b->type == FX_T_LINK && b->target && c->target &&
	    (b->target_len != c->target_len || memcmp(b->target, c->target, b->target_len)))
		return add(d, FX_C_MODIFIED, b, c, "symlink retargeted%s%s", meta[0] ? "; " : "",
		           meta);
	if (meta[0])
		return add(d, FX_C_METADATA, b, c, "%s", meta);
	return SG_OK;
}

/* The unmatched added entry with this hash, same inode preferred. */
static const fx_entry *match_moved(const fx_entry **byhash, size_t n, uint8_t *used,
                                   const fx_entry *b)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(byhash[mid]->sha256, b->sha256, FX_SHA256_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t best = SIZE_MAX;
	for (size_t i = lo; i < n && !memcmp(byhash[i]->sha256, b->sha256, FX_SHA256_LEN); i++) {
		if (used[i])
			continue;
		if (best == SIZE_MAX)
			best = i;
		if (b->inode && byhash[i]->inode == b->inode) {
			best = i;
			break;
		}
	}
	if (best == SIZE_MAX)
		return NULL;
	used[best] = 1;
	return byhash[best];
}

static int cmp_finding(const void *x, const void *y)
{
	const fx_finding *a = x, *b = y;
	if (!a->interest != !b->interest)
		return a->interest ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	const fx_entry *ea = a->cur ? a->cur : a->base, *eb = b->cur ? b->cur : b->base;
	return path_cmp(ea, eb);
}

/* The two lists as the comparison walks them. */
typedef struct sides {
	const fx_entry **bv, **cv;     /* live entries by path: baseline, current */
	const fx_entry **bdel, **cdel; /* deleted names by path */
	const fx_entry **added, **removed; /* paths only in cv, only in bv */
	const fx_entry **byhash;       /* added files by content hash */
	uint8_t *used;                 /* byhash[i] explained a move */
	size_t bn, cn, bdn, cdn, an, rn, hn;
	int content_only;
} sides;

/* Merge the two sorted path lists: a path in both is compared, one only
 * in the baseline is removed, one only in the current list added. */
static sg_err merge_paths(fx_diff *out, sides *s)
{
	s->added = malloc((s->cn ? s->cn : 1) * sizeof *s->added);
	s->removed = malloc((s->bn ? s->bn : 1) * sizeof *s->removed);
	if (!s->added || !s->removed)
		return SG_ERR_NOMEM;
	size_t i = 0, j = 0;
	while (i < s->bn || j < s->cn) {
		int c = i == s->bn ? 1 : j == s->cn ? -1 : path_cmp(s->bv[i], s->cv[j]);
		if (c == 0) {
			sg_err err = compare(out, s->bv[i], s->cv[j], s->content_only);
			if (err)
				return err;
			i++;
			j++;
		} else if (c < 0) {
			s->removed[s->rn++] = s->bv[i++];
		} else {
			s->added[s->an++] = s->cv[j++];
		}
	}
	return SG_OK;
}

/* The added files with a hash, sorted by it: where a removed file's
 * content may have moved. */
static sg_err index_added_by_hash(sides *s)
{
	s->byhash = malloc((s->an ? s->an : 1) * sizeof *s->byhash);
	s->used = calloc(s->an ? s->an : 1, 1);
	if (!s->byhash || !s->used)
		return SG_ERR_NOMEM;
	for (size_t k = 0; k < s->an; k++)
		if (s->added[k]->type == FX_T_FILE && s->added[k]->has_hash)
			s->byhash[s->hn++] = s->added[k];
	if (s->hn > 1)
		qsort(s->byhash, s->hn, sizeof *s->byhash, cmp_hash_ptr);
	return SG_OK;
}

/* moved: a removed file's content under an added path; else removed
 * (with the deleted name still in the image, when there is one). */
static sg_err removed_findings(fx_diff *out, sides *s)
{
	for (size_t k = 0; k < s->rn; k++) {
		const fx_entry *b = s->removed[k];
		const fx_entry *m = NULL;
		sg_err err;
		if (b->type == FX_T_FILE && b->has_hash)
			m = match_moved(s->byhash, s->hn, s->used, b);
		const fx_entry *trace = find_path(s->cdel, s->cdn, b);
		if (m) {
			char meta[FX_DETAIL_MAX] = "";
			if (!s->content_only)
				meta_changes(b, m, meta, sizeof meta);
			err = add(out, FX_C_MOVED, b, m, "same content under a new path%s%s",
			          meta[0] ? "; " : "", meta);
		} else {
			err = add(out, FX_C_REMOVED, b, NULL, "%s",
			          trace ? "deleted name still in the image" : "");
		}
		if (err)
			return err;
		out->v[out->n - 1].trace = trace;
	}
	return SG_OK;
}

/* Whether added file c is the new path of a move (marked in used). */
static int moved_here(const sides *s, const fx_entry *c)
{
	if (c->type != FX_T_FILE || !c->has_hash)
		return 0;
	/* find it in byhash by pointer among equal hashes */
	size_t lo = 0, hi = s->hn;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(s->byhash[mid]->sha256, c->sha256, FX_SHA256_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t h = lo; h < s->hn && !memcmp(s->byhash[h]->sha256, c->sha256, FX_SHA256_LEN);
	     h++)
		if (s->byhash[h] == c && s->used[h])
			return 1;
	return 0;
}

/* added: what no move explained. */
static sg_err added_findings(fx_diff *out, const sides *s)
{
	for (size_t k = 0; k < s->an; k++) {
		const fx_entry *c = s->added[k];
		if (moved_here(s, c))
			continue;
		sg_err err = add(out, FX_C_ADDED, NULL, c, "new %s", fx_type_name(c->type));
		if (err)
			return err;
	}
	return SG_OK;
}

/* deleted names: skip those the baseline had, those explaining a removal
   or move, and reused names that are live again */
static sg_err deleted_name_findings(fx_diff *out, const sides *s)
{
	for (size_t k = 0; k < s->cdn && !s->content_only; k++) {
		const fx_entry *c = s->cdel[k];
		if (find_path(s->bdel, s->bdn, c) || find_path(s->bv, s->bn, c) ||
		    find_path(s->cv, s->cn, c))
			continue;
		sg_err err = add(out, FX_C_DELETED_IN_IMAGE, NULL, c, "deleted %s, inode %" PRIu64,
		                 fx_type_name(c->type), c->inode);
		if (err)
			return err;
	}
	return SG_OK;
}

sg_err fx_diff_run(const fx_list *base, const fx_list *cur, int content_only, fx_diff *out)
{
	sides s = {.content_only = content_only};
	sg_err err;
	memset(out, 0, sizeof *out);
	if ((err = index_of(base, 0, 0, &s.bv, &s.bn)) ||
	    (err = index_of(cur, 0, content_only, &s.cv, &s.cn)) ||
	    (err = index_of(base, 1, 0, &s.bdel, &s.bdn)) ||
	    (err = index_of(cur, 1, 0, &s.cdel, &s.cdn)) || (err = merge_paths(out, &s)) ||
	    (err = index_added_by_hash(&s)) || (err = removed_findings(out, &s)) ||
	    (err = added_findings(out, &s)) || (err = deleted_name_findings(out, &s)))
		fx_diff_free(out);
	else if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_finding);
	free(s.bv);
	free(s.cv);
	free(s.bdel);
	free(s.cdel);
	free(s.added);
	free(s.removed);
	free(s.byhash);
	free(s.used);
	return err;
}

void fx_diff_free(fx_diff *d)
{
	if (!d)
		return;
	free(d->v);
	memset(d, 0, sizeof *d);
}

/* Is base path (len bytes) among cur[lo, hi) with their prefix of plen set aside? */
static int in_group(const fx_list *cur, size_t lo, size_t hi, size_t plen, const char *p,
                    size_t len)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const fx_entry *e = &cur->v[mid];
		size_t el = e->path_len - plen, n = el < len ? el : len;
		int c = memcmp(e->path + plen, p, n);
		if (!c)
			c = el < len ? -1 : el > len;
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

sg_err fx_diff_view_best_fs(const fx_list *base, const fx_list *cur, fx_list *view, int *fs,
                            size_t *matched)
{
	memset(view, 0, sizeof *view);
	*matched = 0;
	*fs = -1;
	for (size_t i = 0; i < base->n; i++)
		if (fx_part_prefix_len(base->v[i].path, base->v[i].path_len))
			return SG_OK;
	size_t best_lo = 0, best_hi = 0, best_plen = 0;
	for (size_t lo = 0; lo < cur->n;) {
		const fx_entry *first = &cur->v[lo];
		size_t plen = fx_part_prefix_len(first->path, first->path_len), hi = lo + 1;
		while (hi < cur->n && cur->v[hi].path_len >= plen &&
		       !memcmp(cur->v[hi].path, first->path, plen) &&
		       fx_part_prefix_len(cur->v[hi].path, cur->v[hi].path_len) == plen)
			hi++;
		if (!plen)
			return SG_OK; /* cur is not partitioned */
		size_t m = 0;
		for (size_t i = 0; i < base->n; i++)
			m += in_group(cur, lo, hi, plen, base->v[i].path, base->v[i].path_len);
		if (m > *matched || *fs < 0) {
			*matched = m;
			*fs = first->fs;
			best_lo = lo;
			best_hi = hi;
			best_plen = plen;
		}
		lo = hi;
	}
	if (best_hi == best_lo)
		return SG_OK;
	view->v = malloc((best_hi - best_lo) * sizeof *view->v);
	if (!view->v)
		return SG_ERR_NOMEM;
	for (size_t i = best_lo; i < best_hi; i++) {
		fx_entry e = cur->v[i];
		e.path += best_plen;
		e.path_len -= best_plen;
		view->v[view->n++] = e;
	}
	view->cap = view->n;
	return SG_OK;
}
