/* manifest.c — manifest JSON lines (see manifest.h). */
#include "forensics/manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/jsonload.h"
#include "common/jsonstr.h"
#include "forensics/escape.h"

static sg_err set_new(json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) != 0)
		return SG_ERR_NOMEM;
	return SG_OK;
}

static sg_err dump_line(sg_buf *out, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		return SG_ERR_NOMEM;
	sg_err err = sg_buf_puts(out, s);
	if (!err)
		err = sg_buf_append(out, "\n", 1);
	free(s);
	return err;
}

sg_err fx_manifest_header(sg_buf *out, const char *label, const char *source)
{
	json_t *o = json_object();
	sg_err err = o ? SG_OK : SG_ERR_NOMEM;
	if (!err)
		err = set_new(o, "format", json_string("ssrfguard-forensics-manifest"));
	if (!err)
		err = set_new(o, "version", json_integer(1));
	if (!err && label)
		err = set_new(o, "label", json_string(label));
	if (!err && source)
		err = set_new(o, "source", json_string(source));
	if (!err)
		err = dump_line(out, o);
	json_decref(o);
	return err;
}

static sg_err esc_field(sg_buf *out, sg_buf *tmp, const char *key, const char *raw, size_t len)
{
	sg_buf_reset(tmp);
	sg_err err = fx_escape(tmp, raw, len);
	if (!err)
		err = sg_buf_puts(out, key);
	if (!err)
		err = sg_json_string(out, tmp->p ? tmp->p : "", tmp->len);
	return err;
}

static sg_err time_field(sg_buf *out, const char *key, const fx_time *t)
{
	if (!t->set)
		return SG_OK;
	char text[FX_TIME_TEXT];
	fx_time_format(t, text, sizeof text);
	return sg_buf_printf(out, ",\"%s\":\"%s\"", key, text);
}

/* Written by hand (not through jansson): this runs once per file and the
   output must match what fx_manifest_parse() reads. */
sg_err fx_manifest_line(sg_buf *out, const fx_entry *e)
{
	return fx_manifest_line_extra(out, e, NULL);
}

sg_err fx_manifest_line_extra(sg_buf *out, const fx_entry *e, const char *extra)
{
	sg_buf tmp = {0};
	sg_err err = esc_field(out, &tmp, "{\"path\":", e->path, e->path_len);
	if (!err)
		err = sg_buf_printf(out, ",\"fs\":%d,\"inode\":%" PRIu64 ",\"type\":\"%s\",\"size\":%" PRIu64,
		                    e->fs, e->inode, fx_type_name(e->type), e->size);
	if (!err && e->has_meta)
		err = sg_buf_printf(out, ",\"mode\":\"%04o\",\"uid\":%" PRIu32 ",\"gid\":%" PRIu32
		                    ",\"nlink\":%" PRIu32, (unsigned)(e->mode & 07777), e->uid, e->gid,
		                    e->nlink);
	if (!err && e->has_meta && !(err = time_field(out, "mtime", &e->mtime)) &&
	    !(err = time_field(out, "atime", &e->atime)) && !(err = time_field(out, "ctime", &e->ctime)))
		err = time_field(out, "btime", &e->btime);
	if (!err)
		err = sg_buf_puts(out, e->deleted ? ",\"deleted\":true" : ",\"deleted\":false");
	if (!err && e->fs_meta)
		err = sg_buf_puts(out, ",\"fs_meta\":true");
	if (!err && e->has_hash) {
		char hex[FX_SHA256_HEX];
		sg_hex_encode(e->sha256, FX_SHA256_LEN, hex);
		err = sg_buf_printf(out, ",\"sha256\":\"%s\"", hex);
	}
	if (!err && e->target)
		err = esc_field(out, &tmp, ",\"target\":", e->target, e->target_len);
	if (!err && e->xattrs) {
		err = sg_buf_puts(out, ",\"xattrs\":");
		if (!err)
			err = sg_json_string(out, e->xattrs, e->xattrs_len);
	}
	if (!err && e->note) {
		err = sg_buf_puts(out, ",\"note\":");
		if (!err)
			err = sg_json_string(out, e->note, strlen(e->note));
	}
	if (!err && extra)
		err = sg_buf_puts(out, extra);
	if (!err)
		err = sg_buf_puts(out, "}\n");
	sg_buf_free(&tmp);
	return err;
}

/* ---- parsing ---- */

static const char *const notes[] = {
	"unreadable", "not hashed: deleted", "not hashed: special file",
	"read error", "too large", "not hashed: no data",
};

static const char *note_intern(const char *s)
{
	for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
		if (!strcmp(s, notes[i]))
			return notes[i];
	return "other";
}

static sg_err get_u64(json_t *o, const char *key, uint64_t *out, int required)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return required ? SG_ERR_PARSE : SG_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return SG_ERR_PARSE;
	*out = (uint64_t)json_integer_value(v);
	return SG_OK;
}

static sg_err get_u32(json_t *o, const char *key, uint32_t *out)
{
	uint64_t v = 0;
	sg_err err = get_u64(o, key, &v, 0);
	if (err)
		return err;
	if (v > UINT32_MAX)
		return SG_ERR_RANGE;
	*out = (uint32_t)v;
	return SG_OK;
}

static sg_err get_time(json_t *o, const char *key, fx_time *t)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return SG_OK;
	if (!json_is_string(v))
		return SG_ERR_PARSE;
	return fx_time_parse(json_string_value(v), json_string_length(v), t);
}

static sg_err parse_entry(json_t *o, fx_entry *e)
{
	json_t *v = json_object_get(o, "path");
	if (!json_is_string(v))
		return SG_ERR_PARSE;
	sg_err err = fx_unescape(json_string_value(v), json_string_length(v),
	                         &e->path, &e->path_len);
	if (err)
		return err;
	if (e->path_len == 0)
		return SG_ERR_PARSE;
	v = json_object_get(o, "type");
	if (!json_is_string(v) || fx_type_parse(json_string_value(v), &e->type))
		return SG_ERR_PARSE;
	uint64_t fs = 0;
	if ((err = get_u64(o, "fs", &fs, 0)) || (err = get_u64(o, "inode", &e->inode, 0)) ||
	    (err = get_u64(o, "size", &e->size, 0)))
		return err;
	if (fs > 1024)
		return SG_ERR_RANGE;
	e->fs = (int)fs;
	v = json_object_get(o, "mode");
	if (v) {
		if (!json_is_string(v))
			return SG_ERR_PARSE;
		const char *m = json_string_value(v);
		char *end;
		unsigned long mode = strtoul(m, &end, 8);
		if (end == m || *end || mode > 07777)
			return SG_ERR_PARSE;
		e->mode = (uint32_t)mode;
		e->has_meta = 1;
	}
	if ((err = get_u32(o, "uid", &e->uid)) || (err = get_u32(o, "gid", &e->gid)) ||
	    (err = get_u32(o, "nlink", &e->nlink)) || (err = get_time(o, "mtime", &e->mtime)) ||
	    (err = get_time(o, "atime", &e->atime)) || (err = get_time(o, "ctime", &e->ctime)) ||
	    (err = get_time(o, "btime", &e->btime)))
		return err;
	v = json_object_get(o, "deleted");
	if (v) {
		if (!json_is_boolean(v))
			return SG_ERR_PARSE;
		e->deleted = json_is_true(v);
	}
	v = json_object_get(o, "fs_meta");
	if (v) {
		if (!json_is_boolean(v))
			return SG_ERR_PARSE;
		e->fs_meta = json_is_true(v);
	}
	v = json_object_get(o, "sha256");
	if (v) {
		if (!json_is_string(v) ||
		    sg_hex_decode(json_string_value(v), json_string_length(v), e->sha256, FX_SHA256_LEN))
			return SG_ERR_PARSE;
		e->has_hash = 1;
	}
	v = json_object_get(o, "target");
	if (v) {
		if (!json_is_string(v))
			return SG_ERR_PARSE;
		err = fx_unescape(json_string_value(v), json_string_length(v),
		                  &e->target, &e->target_len);
		if (err)
			return err;
	}
	v = json_object_get(o, "xattrs");
	if (v) {
		if (!json_is_string(v) || !(e->xattrs = fx_memdup(json_string_value(v),
		                                                  json_string_length(v))))
			return json_is_string(v) ? SG_ERR_NOMEM : SG_ERR_PARSE;
		e->xattrs_len = json_string_length(v);
	}
	v = json_object_get(o, "note");
	if (v) {
		if (!json_is_string(v))
			return SG_ERR_PARSE;
		e->note = note_intern(json_string_value(v));
	}
	return SG_OK;
}

sg_err fx_manifest_parse(const char *text, size_t len, fx_list *out,
                         char *err, size_t errlen)
{
	size_t lineno = 0, pos = 0;
	int seen_header = 0;
	sg_err rc = SG_OK;
	if (errlen)
		err[0] = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t llen = end - pos;
		lineno++;
		if (llen > FX_LINE_MAX) {
			rc = SG_ERR_RANGE;
			goto fail;
		}
		if (llen == 0) {
			pos = end + 1;
			continue;
		}
		json_t *o = NULL;
		if (sg_json_load_bounded(text + pos, llen, FX_LINE_MAX, 0, "manifest line", &o, NULL,
		                         0)) {
			rc = SG_ERR_PARSE;
			goto fail;
		}
		if (!seen_header) {
			json_t *f = json_object_get(o, "format");
			int ok = json_is_string(f) &&
			         !strcmp(json_string_value(f), "ssrfguard-forensics-manifest");
			json_decref(o);
			if (!ok) {
				rc = SG_ERR_PARSE;
				goto fail;
			}
			seen_header = 1;
			pos = end + 1;
			continue;
		}
		fx_entry e;
		memset(&e, 0, sizeof e);
		rc = parse_entry(o, &e);
		json_decref(o);
		if (!rc)
			rc = fx_list_push(out, &e);
		fx_entry_clear(&e);
		if (rc)
			goto fail;
		pos = end + 1;
	}
	if (!seen_header) {
		lineno = 1;
		rc = SG_ERR_PARSE;
		goto fail;
	}
	return SG_OK;
fail:
	if (errlen)
		snprintf(err, errlen, "manifest line %zu: %s", lineno,
		         rc == SG_ERR_PARSE && lineno == 1 ? "not an ssrfguard manifest header"
		                                          : sg_strerror(rc));
	return rc;
}
