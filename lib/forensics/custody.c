/* custody.c — hash-chained custody log (see custody.h). */
#include "forensics/custody.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/jsonload.h"

#define CUSTODY_LINE_MAX (64u << 10)

sg_err fx_custody_entry(sg_buf *out, const fx_custody_state *st, const char *time,
                        const char *who, const char *action, const char *subject,
                        const fx_custody_hash *hashes, size_t nhashes,
                        uint8_t new_head[FX_SHA256_LEN])
{
	if (nhashes > FX_CUSTODY_MAX_HASHES || (nhashes && !hashes))
		return SG_ERR_INVAL;
	char prev[FX_SHA256_HEX];
	sg_hex_encode(st->head, FX_SHA256_LEN, prev);
	sg_err err = SG_ERR_NOMEM;
	char *line = NULL;
	json_t *h = json_object();
	json_t *o = json_object();
	if (!h || !o)
		goto fail;
	for (size_t i = 0; i < nhashes; i++)
		if (!hashes[i].name || json_object_set_new(h, hashes[i].name,
		                                           json_string(hashes[i].hex ? hashes[i].hex : "")))
			goto fail;
	if (json_object_set_new(o, "seq", json_integer((json_int_t)(st->entries + 1))) ||
	    json_object_set_new(o, "time", json_string(time ? time : "")) ||
	    json_object_set_new(o, "who", json_string(who ? who : "")) ||
	    json_object_set_new(o, "action", json_string(action ? action : "")) ||
	    json_object_set_new(o, "subject", json_string(subject ? subject : "")) ||
	    json_object_set(o, "hashes", h) ||
	    json_object_set_new(o, "prev", json_string(prev)))
		goto fail;
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!line)
		goto fail;
	size_t len = strlen(line);
	if (len > CUSTODY_LINE_MAX) {
		err = SG_ERR_RANGE;
		goto fail;
	}
	if (new_head && (err = fx_sha256(line, len, new_head)))
		goto fail;
	if ((err = sg_buf_append(out, line, len)) || (err = sg_buf_append(out, "\n", 1)))
		goto fail;
	err = SG_OK;
fail:
	free(line);
	json_decref(h);
	json_decref(o);
	return err;
}

static sg_err bad(fx_custody_state *st, uint64_t line, sg_err err, const char *msg)
{
	st->bad_line = line;
	snprintf(st->msg, sizeof st->msg, "line %" PRIu64 ": %s", line, msg);
	return err;
}

static int str_field(json_t *o, const char *key)
{
	return json_is_string(json_object_get(o, key));
}

sg_err fx_custody_verify(const char *text, size_t len, fx_custody_state *st)
{
	memset(st, 0, sizeof *st);
	size_t pos = 0;
	uint64_t lineno = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		lineno++;
		if (!nl)
			return bad(st, lineno, SG_ERR_CORRUPT, "incomplete last line (torn write?)");
		size_t llen = (size_t)(nl - (text + pos));
		const char *s = text + pos;
		pos += llen + 1;
		if (llen == 0 || llen > CUSTODY_LINE_MAX)
			return bad(st, lineno, SG_ERR_PARSE, llen ? "line too long" : "empty line");
		json_t *o = NULL;
		if (sg_json_load_bounded(s, llen, CUSTODY_LINE_MAX, 0, "custody entry", &o, NULL, 0))
			return bad(st, lineno, SG_ERR_PARSE, "not a JSON object");
		json_t *seq = json_object_get(o, "seq");
		json_t *prev = json_object_get(o, "prev");
		int shape = json_is_integer(seq) && json_is_string(prev) && str_field(o, "time") &&
		            str_field(o, "who") && str_field(o, "action") && str_field(o, "subject") &&
		            json_is_object(json_object_get(o, "hashes"));
		uint8_t p[FX_SHA256_LEN];
		int prev_ok = shape && !sg_hex_decode(json_string_value(prev), json_string_length(prev),
		                                 p, FX_SHA256_LEN);
		json_int_t seqv = shape ? json_integer_value(seq) : 0;
		json_decref(o);
		if (!shape || !prev_ok)
			return bad(st, lineno, SG_ERR_PARSE, "not a custody entry");
		if (seqv < 1 || (uint64_t)seqv != st->entries + 1)
			return bad(st, lineno, SG_ERR_CORRUPT, "sequence number out of order");
		if (memcmp(p, st->head, FX_SHA256_LEN))
			return bad(st, lineno, SG_ERR_CORRUPT,
			           "prev does not match the previous entry's hash");
		sg_err err = fx_sha256(s, llen, st->head);
		if (err)
			return err;
		st->entries++;
	}
	return SG_OK;
}

/* The entry o says what the anchor implies of the one that logs it. */
static int entry_says(const json_t *o, const fx_custody_anchor *a)
{
	const char *action = json_string_value(json_object_get(o, "action"));
	const char *who = json_string_value(json_object_get(o, "who"));
	const char *time = json_string_value(json_object_get(o, "time"));
	return (!a->action[0] || (action && !strcmp(action, a->action))) &&
	       (!a->who[0] || (who && !strcmp(who, a->who))) &&
	       (!a->not_before[0] || (time && strcmp(time, a->not_before) >= 0));
}

sg_err fx_custody_check_anchor(const char *text, size_t len, const fx_custody_anchor *a,
                               char *msg, size_t msglen)
{
	size_t pos = 0;
	uint64_t lineno = 0;
	int anchored = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		if (!nl)
			break;
		const char *s = text + pos;
		size_t llen = (size_t)(nl - s);
		pos += llen + 1;
		lineno++;
		if (lineno == a->entries) {
			uint8_t md[FX_SHA256_LEN];
			char hex[FX_SHA256_HEX];
			if (fx_sha256(s, llen, md))
				return SG_ERR_NOMEM;
			sg_hex_encode(md, FX_SHA256_LEN, hex);
			anchored = !strcmp(hex, a->head);
			if (!anchored)
				break;
		} else if (anchored && lineno > a->entries) {
			/* a duplicate key (two actions, two hashes) is no entry: each
			 * reader of the log would see another one */
			json_t *o = NULL;
			sg_json_load_bounded(s, llen, CUSTODY_LINE_MAX, 0, "custody entry", &o, NULL, 0);
			const char *r = json_string_value(json_object_get(
				json_object_get(o, "hashes"), a->logged_as ? a->logged_as : "report_json_sha256"));
			int logged = r && !strcmp(r, a->report_sha256);
			int edited = logged && !entry_says(o, a);
			json_decref(o);
			if (edited) {
				snprintf(msg, msglen, "entry %" PRIu64 " logs this record but not with the "
				         "action, examiner or time it implies: it was edited", lineno);
				return SG_ERR_CORRUPT;
			}
			if (logged)
				return SG_OK;
		}
	}
	snprintf(msg, msglen, anchored ? "no entry after line %" PRIu64 " records this record's "
	                                 "hash: the record or the entries after it were changed"
	                               : "entry %" PRIu64 " is not the one the record names: "
	                                 "the log was rewritten or cut before it",
	         a->entries);
	return SG_ERR_CORRUPT;
}
