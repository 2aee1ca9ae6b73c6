/* report.c — the report's JSON pieces (see report.h; Markdown: report_md.c). */
#include "forensics/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forensics/escape.h"

void fx_time_iso(const fx_time *t, char *buf, size_t len)
{
	struct tm tm;
	time_t s = (time_t)t->sec;
	if (!len)
		return;
	buf[0] = 0;
	if (!t->set || !gmtime_r(&s, &tm))
		return;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRIu32 "Z", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t->nsec);
}

static int set(json_t *o, const char *k, json_t *v)
{
	return !v || json_object_set_new(o, k, v) != 0;
}

static json_t *esc_string(const char *p, size_t len)
{
	char *s = fx_escape_dup(p, len);
	json_t *j = s ? json_string(s) : NULL;
	free(s);
	return j;
}

json_t *fx_entry_json(const fx_entry *e)
{
	json_t *o = json_object();
	char buf[48];
	int bad = !o;
	if (!bad)
		bad |= set(o, "type", json_string(fx_type_name(e->type)));
	if (!bad)
		bad |= set(o, "inode", json_integer((json_int_t)e->inode));
	if (!bad)
		bad |= set(o, "size", json_integer((json_int_t)e->size));
	if (!bad && e->has_meta) {
		snprintf(buf, sizeof buf, "%04o", (unsigned)e->mode);
		bad |= set(o, "mode", json_string(buf));
		bad |= set(o, "uid", json_integer(e->uid));
		bad |= set(o, "gid", json_integer(e->gid));
		if (e->mtime.set) {
			fx_time_iso(&e->mtime, buf, sizeof buf);
			bad |= set(o, "mtime", json_string(buf));
		}
	}
	if (!bad && e->has_hash) {
		char hex[FX_SHA256_HEX];
		sg_hex_encode(e->sha256, FX_SHA256_LEN, hex);
		bad |= set(o, "sha256", json_string(hex));
	}
	if (!bad && e->target)
		bad |= set(o, "target", esc_string(e->target, e->target_len));
	if (!bad && e->deleted)
		bad |= set(o, "deleted", json_true());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *fx_finding_json(const fx_finding *f)
{
	json_t *o = json_object();
	const fx_entry *e = f->cur ? f->cur : f->base;
	int bad = !o || !e;
	if (!bad)
		bad |= set(o, "class", json_string(fx_class_name(f->cls)));
	if (!bad)
		bad |= set(o, "path", esc_string(e->path, e->path_len));
	if (!bad && f->cls == FX_C_MOVED && f->base)
		bad |= set(o, "from", esc_string(f->base->path, f->base->path_len));
	if (!bad)
		bad |= set(o, "interest", f->interest ? json_string(f->interest) : json_null());
	if (!bad)
		bad |= set(o, "detail", json_string(f->detail));
	if (!bad && f->base)
		bad |= set(o, "baseline", fx_entry_json(f->base));
	if (!bad && f->cur)
		bad |= set(o, "image", fx_entry_json(f->cur));
	if (!bad && f->trace)
		bad |= set(o, "trace", fx_entry_json(f->trace));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *fx_findings_json(const fx_diff *d, size_t max)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (size_t i = 0; i < d->n && (!max || i < max); i++)
		if (json_array_append_new(a, fx_finding_json(&d->v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *fx_summary_json(const fx_diff *d)
{
	json_t *o = json_object(), *by = json_object();
	int bad = !o || !by;
	for (int c = 0; !bad && c < FX_C__COUNT; c++)
		bad |= set(by, fx_class_name((fx_class)c), json_integer((json_int_t)d->counts[c]));
	if (!bad)
		bad |= set(o, "findings", json_integer((json_int_t)d->n));
	if (!bad)
		bad |= set(o, "interesting", json_integer((json_int_t)d->interesting));
	if (!bad) {
		bad |= set(o, "by_class", by);
		by = NULL;
	}
	json_decref(by);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int ev_older(const fx_event *a, const fx_event *b)
{
	return a->t.sec != b->t.sec ? a->t.sec < b->t.sec : a->t.nsec < b->t.nsec;
}

/* min-heap of the newest max events */
static void heap_down(fx_event *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && ev_older(&h[l], &h[m]))
			m = l;
		if (r < n && ev_older(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		fx_event t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int cmp_newest(const void *x, const void *y)
{
	const fx_event *a = x, *b = y;
	if (ev_older(a, b))
		return 1;
	if (ev_older(b, a))
		return -1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

sg_err fx_events(const fx_list *cur, const char *whats, int64_t from, int64_t to, size_t max,
                 fx_event **out, size_t *n, size_t *total)
{
	*out = NULL;
	*n = *total = 0;
	if (!max)
		return SG_OK;
	fx_event *h = malloc(max * sizeof *h);
	if (!h)
		return SG_ERR_NOMEM;
	size_t k = 0;
	for (size_t i = 0; i < cur->n; i++) {
		const fx_entry *e = &cur->v[i];
		if (e->deleted || !e->has_meta)
			continue;
		for (const char *w = whats; *w; w++) {
			const fx_time *t = *w == 'm' ? &e->mtime : *w == 'a' ? &e->atime
			                   : *w == 'c' ? &e->ctime : *w == 'b' ? &e->btime : NULL;
			if (!t || !t->set || t->sec < from || t->sec >= to)
				continue;
			fx_event ev = {*t, *w, i};
			++*total;
			if (k < max) {
				h[k++] = ev;
				if (k == max)
					for (size_t j = k / 2 + 1; j-- > 0;)
						heap_down(h, k, j);
			} else if (ev_older(&h[0], &ev)) {
				h[0] = ev;
				heap_down(h, k, 0);
			}
		}
	}
	if (k > 1)
		qsort(h, k, sizeof *h, cmp_newest);
	*out = h;
	*n = k;
	return SG_OK;
}

json_t *fx_event_json(const fx_list *cur, const fx_event *ev)
{
	const fx_entry *e = &cur->v[ev->idx];
	char iso[48], what[2] = {ev->what, 0};
	fx_time_iso(&ev->t, iso, sizeof iso);
	json_t *o = json_object();
	if (!o || set(o, "time", json_string(iso)) || set(o, "sec", json_integer(ev->t.sec)) ||
	    set(o, "what", json_string(what)) || set(o, "path", esc_string(e->path, e->path_len)) ||
	    set(o, "type", json_string(fx_type_name(e->type)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *fx_timeline_json(const fx_list *cur, size_t max)
{
	fx_event *v = NULL;
	size_t n = 0, total = 0;
	json_t *a = json_array();
	if (!a || fx_events(cur, "mcb", INT64_MIN, INT64_MAX, max, &v, &n, &total)) {
		json_decref(a);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, fx_event_json(cur, &v[i]))) {
			json_decref(a);
			a = NULL;
			break;
		}
	free(v);
	return a;
}
