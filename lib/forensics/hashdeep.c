/* hashdeep.c — hashdeep known-file lists and TSK bodyfiles (see manifest.h). */
#include "forensics/manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/escape.h"

#define HD_MAGIC "%%%% HASHDEEP-1.0"
/* our lists: names raw since 0.2; the older header meant escaped names */
#define HD_OURS "## Invoked from: ssrfguard forensics"
#define HD_RAW_NOTE " (file names raw, as hashdeep writes them)"
#define HD_MAXCOLS 16

sg_err fx_hashdeep_header(sg_buf *out, const char *invocation)
{
	sg_err err = sg_buf_puts(out, HD_MAGIC "\n%%%% size,sha256,filename\n" HD_OURS HD_RAW_NOTE "\n");
	if (!err && invocation) {
		err = sg_buf_puts(out, "## $ ");
		if (!err)
			err = fx_escape(out, invocation, strlen(invocation));
		if (!err)
			err = sg_buf_puts(out, "\n");
	}
	if (!err)
		err = sg_buf_puts(out, "##\n");
	return err;
}

sg_err fx_hashdeep_line(sg_buf *out, const fx_entry *e)
{
	if (e->type != FX_T_FILE || !e->has_hash || e->deleted)
		return SG_OK;
	char hex[FX_SHA256_HEX];
	sg_hex_encode(e->sha256, FX_SHA256_LEN, hex);
	sg_err err = sg_buf_printf(out, "%" PRIu64 ",%s,.", e->size, hex);
	size_t skip = fx_part_prefix_len(e->path, e->path_len);
	if (!err)
		err = sg_buf_append(out, e->path + skip, e->path_len - skip);
	if (!err)
		err = sg_buf_append(out, "\n", 1);
	return err;
}

int fx_hashdeep_detect(const char *text, size_t len)
{
	size_t m = sizeof HD_MAGIC - 1;
	return len >= m && !memcmp(text, HD_MAGIC, m);
}

enum { COL_SIZE, COL_SHA256, COL_FILENAME, COL_OTHER };

static sg_err parse_columns(const char *s, size_t len, int *cols, size_t *ncols)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		if (n == HD_MAXCOLS)
			return SG_ERR_RANGE;
		size_t w = i - start;
		const char *f = s + start;
		if (w == 4 && !memcmp(f, "size", 4))
			cols[n] = COL_SIZE;
		else if (w == 6 && !memcmp(f, "sha256", 6))
			cols[n] = COL_SHA256;
		else if (w == 8 && !memcmp(f, "filename", 8))
			cols[n] = COL_FILENAME;
		else
			cols[n] = COL_OTHER;
		n++;
		start = i + 1;
	}
	int have[3] = {0, 0, 0};
	for (size_t i = 0; i < n; i++)
		if (cols[i] != COL_OTHER)
			have[cols[i]]++;
	if (have[0] != 1 || have[1] != 1 || have[2] != 1 || cols[n - 1] != COL_FILENAME)
		return SG_ERR_PARSE;
	*ncols = n;
	return SG_OK;
}

static sg_err parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 20)
		return SG_ERR_PARSE;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SG_ERR_PARSE;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return SG_ERR_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	return SG_OK;
}

static sg_err name_to_path(const char *name, size_t len, const char *strip, int escaped,
                           fx_entry *e)
{
	size_t sl = strip ? strlen(strip) : 0;
	if (sl && len >= sl && !memcmp(name, strip, sl)) {
		name += sl;
		len -= sl;
	} else if (len >= 2 && name[0] == '.' && name[1] == '/') {
		name++;
		len--;
	}
	char *raw = NULL;
	size_t rawlen = 0;
	/* lists of older versions of this tool are escaped; hashdeep's are raw */
	if (!escaped || fx_unescape(name, len, &raw, &rawlen) != SG_OK) {
		raw = fx_memdup(name, len);
		rawlen = len;
		if (!raw)
			return SG_ERR_NOMEM;
	}
	if (rawlen == 0 || raw[0] != '/') {
		char *p = malloc(rawlen + 2);
		if (!p) {
			free(raw);
			return SG_ERR_NOMEM;
		}
		p[0] = '/';
		memcpy(p + 1, raw, rawlen + 1);
		free(raw);
		raw = p;
		rawlen++;
	}
	if (memchr(raw, 0, rawlen)) {
		free(raw);
		return SG_ERR_PARSE;
	}
	e->path = raw;
	e->path_len = rawlen;
	return SG_OK;
}

/* A line that is no record: the rest of the previous record's name (it
 * held a newline).  SG_ERR_PARSE when there is no record to continue. */
static sg_err continue_name(fx_list *out, int prev_was_record, const char *s, size_t len)
{
	if (!prev_was_record || !out->n)
		return SG_ERR_PARSE;
	fx_entry *e = &out->v[out->n - 1];
	if (memchr(s, 0, len) || e->path_len + 1 + len > FX_LINE_MAX)
		return SG_ERR_PARSE;
	char *p = realloc(e->path, e->path_len + len + 2);
	if (!p)
		return SG_ERR_NOMEM;
	p[e->path_len] = '\n';
	memcpy(p + e->path_len + 1, s, len);
	e->path = p;
	e->path_len += 1 + len;
	p[e->path_len] = 0;
	return SG_OK;
}

/* One record line s[0..llen) of the ncols columns cols into out. */
static sg_err parse_record(const char *s, size_t llen, const int *cols, size_t ncols,
                           const char *strip, int escaped, fx_list *out)
{
	sg_err rc = SG_OK;
	fx_entry e;
	memset(&e, 0, sizeof e);
	e.type = FX_T_FILE;
	size_t fstart = 0;
	for (size_t c = 0; c < ncols && !rc; c++) {
		size_t fend;
		if (c + 1 == ncols) {
			fend = llen;
		} else {
			const char *comma = memchr(s + fstart, ',', llen - fstart);
			if (!comma) {
				rc = SG_ERR_PARSE;
				break;
			}
			fend = (size_t)(comma - s);
		}
		const char *f = s + fstart;
		size_t w = fend - fstart;
		if (cols[c] == COL_SIZE)
			rc = parse_size(f, w, &e.size);
		else if (cols[c] == COL_SHA256)
			rc = sg_hex_decode(f, w, e.sha256, FX_SHA256_LEN);
		else if (cols[c] == COL_FILENAME)
			rc = w ? name_to_path(f, w, strip, escaped, &e) : SG_ERR_PARSE;
		fstart = fend + 1;
	}
	e.has_hash = 1;
	if (!rc)
		rc = fx_list_push(out, &e);
	fx_entry_clear(&e);
	return rc;
}

sg_err fx_hashdeep_parse(const char *text, size_t len, const char *strip,
                         fx_list *out, fx_hashdeep_info *info, char *err, size_t errlen)
{
	int cols[HD_MAXCOLS];
	size_t ncols = 0, lineno = 0, pos = 0;
	int prev_record = 0;
	sg_err rc = SG_OK;
	if (errlen)
		err[0] = 0;
	memset(info, 0, sizeof *info);
	if (!fx_hashdeep_detect(text, len)) {
		lineno = 1;
		rc = SG_ERR_PARSE;
		goto fail;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *s = text + pos;
		size_t llen = end - pos;
		lineno++;
		pos = end + 1;
		if (llen && s[llen - 1] == '\r')
			llen--;
		if (llen > FX_LINE_MAX) {
			rc = SG_ERR_RANGE;
			goto fail;
		}
		if (llen == sizeof HD_OURS - 1 && !memcmp(s, HD_OURS, llen))
			info->escaped = 1;
		if (llen == 0 || s[0] == '#') {
			prev_record = 0;
			continue;
		}
		if (llen >= 5 && !memcmp(s, "%%%% ", 5)) {
			if (lineno == 1)
				continue;
			if ((rc = parse_columns(s + 5, llen - 5, cols, &ncols)))
				goto fail;
			continue;
		}
		if (!ncols) {
			rc = SG_ERR_PARSE;
			goto fail;
		}
		rc = parse_record(s, llen, cols, ncols, strip, info->escaped, out);
		if ((rc == SG_ERR_PARSE || rc == SG_ERR_RANGE) && !info->escaped) {
			rc = continue_name(out, prev_record, s, llen);
			info->joined += rc == SG_OK;
		}
		if (rc == SG_ERR_PARSE || rc == SG_ERR_RANGE) {
			if (!info->skipped++)
				info->first_skipped = lineno;
			prev_record = 0;
			rc = SG_OK;
			continue;
		}
		if (rc)
			goto fail;
		prev_record = 1;
	}
	if (!ncols) {
		rc = SG_ERR_PARSE;
		goto fail;
	}
	return SG_OK;
fail:
	if (errlen)
		snprintf(err, errlen, "hashdeep list line %zu: %s", lineno, sg_strerror(rc));
	return rc;
}

void fx_mode_string(const fx_entry *e, char out[16])
{
	static const char tc[FX_T__COUNT] = {'r', 'd', 'l', 'p', 'c', 'b', 's', '-'};
	char t = tc[(unsigned)e->type < FX_T__COUNT ? e->type : FX_T_OTHER];
	uint32_t m = e->mode;
	char *p = out;
	*p++ = t;
	*p++ = '/';
	*p++ = t == 'r' ? '-' : t;
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		*p++ = (m & (0400u >> i)) ? rwx[i] : '-';
	if (m & 04000)
		out[5] = (m & 0100) ? 's' : 'S';
	if (m & 02000)
		out[8] = (m & 010) ? 's' : 'S';
	if (m & 01000)
		out[11] = (m & 01) ? 't' : 'T';
	*p = 0;
}

sg_err fx_bodyfile_line(sg_buf *out, const fx_entry *e)
{
	char mode[16];
	fx_mode_string(e, mode);
	sg_err err = sg_buf_puts(out, "0|");
	if (!err)
		err = fx_escape(out, e->path, e->path_len);
	if (!err && e->type == FX_T_LINK && e->target) {
		err = sg_buf_puts(out, " -> ");
		if (!err)
			err = fx_escape(out, e->target, e->target_len);
	}
	if (!err && e->deleted)
		err = sg_buf_puts(out, " (deleted)");
	if (!err)
		err = sg_buf_printf(out,
		                    "|%" PRIu64 "|%s|%" PRIu32 "|%" PRIu32 "|%" PRIu64 "|%" PRId64
		                    "|%" PRId64 "|%" PRId64 "|%" PRId64 "\n",
		                    e->inode, mode, e->uid, e->gid, e->size,
		                    e->atime.set ? e->atime.sec : 0,
		                    e->mtime.set ? e->mtime.sec : 0,
		                    e->ctime.set ? e->ctime.sec : 0,
		                    e->btime.set ? e->btime.sec : 0);
	return err;
}
