/* report_md.c — the examination report as Markdown (see report_md.h). */
#include "forensics/report_md.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/mdtext.h"

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A code span that survives any backticks, pipes and controls in s. */
static sg_err md_code(sg_buf *out, const char *s)
{
	size_t run = 0, best = 0;
	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	sg_err err = SG_OK;
	char tmp[3];
	for (size_t i = 0; i <= best && !err; i++)
		err = sg_buf_append(out, "`", 1);
	if (!err)
		err = sg_buf_append(out, " ", 1);
	size_t slashes = 0; /* backslashes just written: GFM reads "\\|" as "\\" and a cell's end */
	for (const char *p = s; *p && !err; p++) {
		if (*p == '|' && slashes % 2)
			err = sg_buf_append(out, "\\", 1);
		if (!err)
			err = sg_buf_puts(out, sg_md_code_byte((unsigned char)*p, tmp));
		slashes = *p == '\\' ? slashes + 1 : 0;
	}
	if (!err)
		err = sg_buf_append(out, " ", 1);
	for (size_t i = 0; i <= best && !err; i++)
		err = sg_buf_append(out, "`", 1);
	return err;
}

/* Plain text from the evidence (common/mdtext.h): no table broken, no
 * link, HTML or control byte let through. */
static sg_err md_text(sg_buf *out, const char *s)
{
	sg_err err = SG_OK;
	char tmp[3];
	for (const char *p = s; *p && !err; p++)
		err = sg_buf_puts(out, sg_md_byte((unsigned char)*p, tmp));
	return err;
}

/* pre, then s (dflt when NULL) as md_text writes it, then post. */
static sg_err md_field(sg_buf *out, const char *pre, const char *s, const char *dflt,
                       const char *post)
{
	sg_err err = sg_buf_puts(out, pre);
	if (!err)
		err = md_text(out, s ? s : dflt);
	return err ? err : sg_buf_puts(out, post);
}

static sg_err md_kv(sg_buf *out, const char *label, const char *value, int code)
{
	if (!value)
		return SG_OK;
	sg_err err = sg_buf_printf(out, "| %s | ", label);
	if (!err)
		err = code ? md_code(out, value) : md_text(out, value);
	if (!err)
		err = sg_buf_puts(out, " |\n");
	return err;
}

/* lead, then the strings of a, separated by "; ". */
static sg_err md_list_inline(sg_buf *out, const char *lead, const json_t *a)
{
	sg_err err = sg_buf_puts(out, lead);
	size_t k;
	const json_t *c;
	json_array_foreach(a, k, c) {
		if (!err && k)
			err = sg_buf_puts(out, "; ");
		if (!err && json_is_string(c))
			err = md_text(out, json_string_value(c));
	}
	return err;
}

/* The line an examiner reads first: is this the whole truth? */
static sg_err md_status(sg_buf *out, const json_t *o)
{
	const char *st = jstr(o, "status");
	if (!st)
		return SG_OK;
	const json_t *y = json_object_get(o, "yara");
	int yara = json_is_object(y) && (!jstr(y, "scope") || strcmp(jstr(y, "scope"), "off"));
	if (!strcmp(st, "complete"))
		return sg_buf_puts(out, yara ? "**Status: complete** — every file system was walked, "
		                              "every regular file hashed and every file YARA selected "
		                              "scanned to its end.\n\n"
		                            : "**Status: complete** — every file system was walked and "
		                              "every regular file hashed.\n\n");
	sg_err err = sg_buf_printf(out, "**Status: %s**", !strcmp(st, "failed") ? "FAILED" : "INCOMPLETE");
	if (!err && jstr(o, "error")) {
		err = sg_buf_puts(out, " — ");
		if (!err)
			err = md_text(out, jstr(o, "error"));
	}
	if (!err && json_array_size(json_object_get(o, "incomplete")))
		err = md_list_inline(out, " — ", json_object_get(o, "incomplete"));
	if (!err)
		err = sg_buf_puts(out, !strcmp(st, "failed") ? "\n\n"
		                      : ". What this report lists is true, but it is not everything "
		                        "on the evidence.\n\n");
	return err;
}

static sg_err md_filesystems(sg_buf *out, const json_t *ev)
{
	const json_t *fss = json_object_get(ev, "filesystems");
	size_t i;
	const json_t *fs;
	sg_err err = sg_buf_puts(out, "\n#### File systems\n\n| # | partition | type | method | "
	                             "journal | entries | files hashed | cannot see |\n"
	                             "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
	json_array_foreach(fss, i, fs) {
		if (err)
			break;
		const json_t *part = json_object_get(fs, "partition");
		char pbuf[24] = "whole device";
		if (json_is_integer(part))
			snprintf(pbuf, sizeof pbuf, "%" JSON_INTEGER_FORMAT, json_integer_value(part));
		err = sg_buf_printf(out, "| %zu | %s | ", i, pbuf);
		if (!err)
			err = md_text(out, jstr(fs, "type") ? jstr(fs, "type") : "?");
		if (!err)
			err = sg_buf_puts(out, " | ");
		if (!err)
			err = md_text(out, jstr(fs, "method") ? jstr(fs, "method") : "?");
		if (!err)
			err = md_field(out, " | **", jstr(fs, "journal"), "unknown", "**");
		if (!err)
			err = sg_buf_printf(out, " | %" JSON_INTEGER_FORMAT " | %" JSON_INTEGER_FORMAT " | ",
			                    json_integer_value(json_object_get(fs, "entries")),
			                    json_integer_value(json_object_get(fs, "files_hashed")));
		const json_t *cs = json_object_get(fs, "cannot_see");
		size_t k;
		const json_t *c;
		json_array_foreach(cs, k, c) {
			if (err)
				break;
			if (k)
				err = sg_buf_puts(out, "; ");
			if (!err && json_is_string(c))
				err = md_text(out, json_string_value(c));
		}
		if (!err && jstr(fs, "error")) {
			err = sg_buf_puts(out, " **error:** ");
			if (!err)
				err = md_text(out, jstr(fs, "error"));
		}
		if (!err && json_array_size(json_object_get(fs, "incomplete")))
			err = md_list_inline(out, " **INCOMPLETE:** ", json_object_get(fs, "incomplete"));
		if (!err && jstr(fs, "walk_warnings")) {
			err = sg_buf_puts(out, " (walk: ");
			if (!err)
				err = md_text(out, jstr(fs, "walk_warnings"));
			if (!err)
				err = sg_buf_puts(out, ")");
		}
		if (!err)
			err = sg_buf_puts(out, " |\n");
	}
	return err;
}

/* One file system's deleted entries (what a freed inode or MFT record
 * still tells); the names are the intruder's, escaped in the JSON and
 * shown as code spans. */
static sg_err md_deleted_fs(sg_buf *out, size_t index, const json_t *fs)
{
	const json_t *del = json_object_get(fs, "deleted_entries");
	json_int_t more = json_integer_value(json_object_get(fs, "deleted_omitted"));
	if (!json_array_size(del) && more <= 0)
		return SG_OK;
	sg_err err = sg_buf_printf(out, "\n#### Deleted entries of file system %zu: %" JSON_INTEGER_FORMAT
	                                " (names and metadata; contents not hashed)\n\n| path | inode | "
	                                "type | size | mtime | ctime | btime |\n| --- | --- | --- | --- "
	                                "| --- | --- | --- |\n", index,
	                           (json_int_t)json_array_size(del) + (more > 0 ? more : 0));
	size_t i;
	const json_t *d;
	json_array_foreach(del, i, d) {
		if (err)
			break;
		err = sg_buf_puts(out, "| ");
		if (!err)
			err = md_code(out, jstr(d, "path") ? jstr(d, "path") : "");
		if (!err)
			err = sg_buf_printf(out, " | %" JSON_INTEGER_FORMAT " | ",
			                    json_integer_value(json_object_get(d, "inode")));
		if (!err)
			err = md_text(out, jstr(d, "type") ? jstr(d, "type") : "");
		if (!err)
			err = sg_buf_printf(out, " | %" JSON_INTEGER_FORMAT " | ",
			                    json_integer_value(json_object_get(d, "size")));
		static const char *const times[] = {"mtime", "ctime", "btime"};
		for (size_t k = 0; k < 3 && !err; k++) {
			err = md_text(out, jstr(d, times[k]) ? jstr(d, times[k]) : "");
			if (!err)
				err = sg_buf_puts(out, k < 2 ? " | " : " |\n");
		}
	}
	if (!err && more > 0)
		err = sg_buf_printf(out, "\n… and %" JSON_INTEGER_FORMAT " more (not listed)\n", more);
	return err;
}

static sg_err md_deleted(sg_buf *out, const json_t *ev)
{
	size_t i;
	const json_t *fs;
	sg_err err = SG_OK;
	json_array_foreach(json_object_get(ev, "filesystems"), i, fs) {
		if (!err)
			err = md_deleted_fs(out, i, fs);
	}
	return err;
}

/* What the findings may miss (a journal not clean), before them. */
static sg_err md_caveats(sg_buf *out, const json_t *ev)
{
	size_t i;
	const json_t *c;
	sg_err err = SG_OK;
	json_array_foreach(json_object_get(ev, "caveats"), i, c) {
		if (!err && json_is_string(c))
			err = md_field(out, "**Caveat:** ", json_string_value(c), "", "\n\n");
	}
	return err;
}

static sg_err md_findings(sg_buf *out, const json_t *ev)
{
	const json_t *sum = json_object_get(ev, "summary");
	const json_t *fs = json_object_get(ev, "findings");
	sg_err err = SG_OK;
	if (!json_is_array(fs)) {
		err = sg_buf_puts(out, "\n#### Findings\n\n");
		if (!err)
			err = md_caveats(out, ev);
		return err ? err : sg_buf_puts(out, "No baseline was given: no comparison.\n");
	}
	err = sg_buf_printf(out, "\n#### Findings: %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
	                         " of special interest)\n\n",
	                    json_integer_value(json_object_get(sum, "findings")),
	                    json_integer_value(json_object_get(sum, "interesting")));
	if (!err)
		err = md_caveats(out, ev);
	const json_t *by = json_object_get(sum, "by_class");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)by, k, v) {
		if (err)
			break;
		if (json_integer_value(v))
			err = md_field(out, "- ", k, "", ": ");
		if (!err && json_integer_value(v))
			err = sg_buf_printf(out, "%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
	}
	if (!err && json_array_size(fs))
		err = sg_buf_puts(out, "\n| class | path | interest | detail |\n| --- | --- | --- | --- |\n");
	size_t i;
	const json_t *f;
	json_array_foreach(fs, i, f) {
		if (err)
			break;
		err = md_field(out, "| ", jstr(f, "class"), "?", " | ");
		if (!err && jstr(f, "from")) {
			err = md_code(out, jstr(f, "from"));
			if (!err)
				err = sg_buf_puts(out, " → ");
		}
		if (!err)
			err = md_code(out, jstr(f, "path") ? jstr(f, "path") : "");
		if (!err)
			err = sg_buf_puts(out, " | ");
		if (!err)
			err = md_text(out, jstr(f, "interest") ? jstr(f, "interest") : "");
		if (!err)
			err = sg_buf_puts(out, " | ");
		if (!err)
			err = md_text(out, jstr(f, "detail") ? jstr(f, "detail") : "");
		if (!err)
			err = sg_buf_puts(out, " |\n");
	}
	return err;
}

/* The persistence places (persist.h), whatever their hash says. */
static sg_err md_persistence(sg_buf *out, const json_t *ev)
{
	const json_t *pl = json_object_get(ev, "persistence");
	if (!json_is_array(pl))
		return SG_OK;
	sg_err err = sg_buf_printf(out, "\n#### Persistence places: %zu (listed whatever their hash "
	                                "says)\n\n", json_array_size(pl));
	if (!err && json_array_size(pl))
		err = sg_buf_puts(out, "| kind | path | against the baseline | mode | uid | mtime | SHA-256 |\n"
		                      "| --- | --- | --- | --- | --- | --- | --- |\n");
	size_t i;
	const json_t *p;
	json_array_foreach(pl, i, p) {
		if (err)
			break;
		err = sg_buf_puts(out, "| ");
		if (!err)
			err = md_text(out, jstr(p, "kind") ? jstr(p, "kind") : "");
		if (!err)
			err = sg_buf_puts(out, " | ");
		if (!err)
			err = md_code(out, jstr(p, "path") ? jstr(p, "path") : "");
		if (!err)
			err = md_field(out, " | ", jstr(p, "baseline"), "no baseline", " | ");
		if (!err)
			err = md_field(out, "", jstr(p, "mode"), "", "");
		if (!err)
			err = sg_buf_printf(out, " | %" JSON_INTEGER_FORMAT,
			                    json_integer_value(json_object_get(p, "uid")));
		if (!err)
			err = md_field(out, " | ", jstr(p, "mtime"), "", " | ");
		if (!err)
			err = md_field(out, "", jstr(p, "sha256"), "", " |\n");
	}
	json_int_t more = json_integer_value(json_object_get(ev, "persistence_omitted"));
	if (!err && more > 0)
		err = sg_buf_printf(out, "\n… and %" JSON_INTEGER_FORMAT " more (not listed)\n", more);
	return err;
}

/* A matched rule's strings: `$id`@offset `data`; … */
static sg_err md_rule_strings(sg_buf *out, const json_t *strings)
{
	sg_err err = SG_OK;
	size_t k;
	const json_t *st;
	json_array_foreach(strings, k, st) {
		if (err)
			break;
		if (k)
			err = sg_buf_puts(out, "; ");
		if (!err)
			err = md_text(out, jstr(st, "id") ? jstr(st, "id") : "?");
		if (!err)
			err = sg_buf_printf(out, "@%" JSON_INTEGER_FORMAT " ",
			                    json_integer_value(json_object_get(st, "offset")));
		if (!err)
			err = md_code(out, jstr(st, "data") ? jstr(st, "data") : "");
	}
	return err;
}

/* The files YARA did not scan to their end, and why. */
static sg_err md_yara_problems(sg_buf *out, const json_t *y)
{
	const json_t *ps = json_object_get(y, "problems");
	json_int_t n = json_integer_value(json_object_get(y, "incomplete_files"));
	sg_err err = sg_buf_printf(out, " **INCOMPLETE:** %" JSON_INTEGER_FORMAT " not scanned to "
	                           "their end (%" JSON_INTEGER_FORMAT " cut at --yara-max-file, %"
	                           JSON_INTEGER_FORMAT " timed out, %" JSON_INTEGER_FORMAT
	                           " unreadable):\n\n", n,
	                           json_integer_value(json_object_get(y, "truncated")),
	                           json_integer_value(json_object_get(y, "timeouts")),
	                           json_integer_value(json_object_get(y, "unreadable")));
	size_t i;
	const json_t *p;
	json_array_foreach(ps, i, p) {
		if (!err)
			err = sg_buf_puts(out, "- ");
		if (!err)
			err = md_code(out, jstr(p, "path") ? jstr(p, "path") : "");
		if (!err)
			err = sg_buf_puts(out, ": ");
		if (!err)
			err = md_text(out, jstr(p, "why") ? jstr(p, "why") : "");
		if (!err)
			err = sg_buf_puts(out, "\n");
	}
	if (!err && n > (json_int_t)json_array_size(ps))
		err = sg_buf_printf(out, "- and %" JSON_INTEGER_FORMAT " more\n",
		                    n - (json_int_t)json_array_size(ps));
	return err;
}

/* The YARA matches of one source, with what was and was not scanned. */
static sg_err md_yara(sg_buf *out, const json_t *ev)
{
	const json_t *y = json_object_get(ev, "yara");
	if (!y)
		return SG_OK;
	const char *scope = jstr(y, "scope");
	if (scope && !strcmp(scope, "off"))
		return sg_buf_puts(out, "\n#### YARA\n\nNot run (--yara-scope off).\n");
	const json_t *ms = json_object_get(y, "matches");
	sg_err err = sg_buf_printf(out, "\n#### YARA matches: %zu file%s\n\n",
	                           json_array_size(ms), json_array_size(ms) == 1 ? "" : "s");
	if (!err)
		err = md_field(out, "Scope **", scope, "?", "** (");
	if (!err)
		err = md_text(out, jstr(y, "selection") ? jstr(y, "selection") : "");
	if (!err)
		err = sg_buf_printf(out, "): %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
		                    " selected files scanned",
		                    json_integer_value(json_object_get(y, "scanned")),
		                    json_integer_value(json_object_get(y, "selected")));
	json_int_t orphans = json_integer_value(json_object_get(y, "orphans"));
	json_int_t deleted = json_integer_value(json_object_get(y, "deleted"));
	if (!err && (orphans > 0 || deleted > 0))
		err = sg_buf_puts(out, " (");
	if (!err && orphans > 0)
		err = sg_buf_printf(out, "%" JSON_INTEGER_FORMAT " orphan inode%s%s", orphans,
		                    orphans == 1 ? "" : "s", deleted > 0 ? ", " : "");
	if (!err && deleted > 0)
		err = sg_buf_printf(out, "%" JSON_INTEGER_FORMAT " deleted file%s", deleted,
		                    deleted == 1 ? "" : "s");
	if (!err && (orphans > 0 || deleted > 0))
		err = sg_buf_puts(out, ")");
	if (!err)
		err = sg_buf_printf(out, ", %" JSON_INTEGER_FORMAT " bytes",
		                    json_integer_value(json_object_get(y, "bytes")));
	int whole = !jstr(y, "status") || !strcmp(jstr(y, "status"), "complete");
	if (!err)
		err = sg_buf_puts(out, whole ? ", each to its end." : ".");
	if (!err && !whole)
		err = md_yara_problems(out, y);
	if (!err)
		err = sg_buf_puts(out, "\n");
	if (!err && json_array_size(ms))
		err = sg_buf_puts(out, "\n| path | finding | rule | description | matched |\n"
		                      "| --- | --- | --- | --- | --- |\n");
	size_t i, k;
	const json_t *m, *r;
	json_array_foreach(ms, i, m) {
		json_array_foreach(json_object_get(m, "rules"), k, r) {
			if (err)
				break;
			err = sg_buf_puts(out, "| ");
			if (!err)
				err = md_code(out, jstr(m, "path") ? jstr(m, "path") : "");
			if (!err && json_is_true(json_object_get(m, "orphan")))
				err = sg_buf_printf(out, " (orphan inode %" JSON_INTEGER_FORMAT ")",
				                    json_integer_value(json_object_get(m, "inode")));
			else if (!err && json_is_true(json_object_get(m, "deleted")))
				err = sg_buf_printf(out, " (deleted, inode %" JSON_INTEGER_FORMAT ")",
				                    json_integer_value(json_object_get(m, "inode")));
			if (!err)
				err = md_field(out, " | ", jstr(m, "class"), "", " | **");
			if (!err)
				err = md_text(out, jstr(r, "namespace") ? jstr(r, "namespace") : "");
			if (!err)
				err = sg_buf_puts(out, ".");
			if (!err)
				err = md_text(out, jstr(r, "rule") ? jstr(r, "rule") : "");
			if (!err)
				err = sg_buf_puts(out, "** | ");
			if (!err)
				err = md_text(out, jstr(json_object_get(r, "meta"), "description")
				                       ? jstr(json_object_get(r, "meta"), "description") : "");
			if (!err)
				err = sg_buf_puts(out, " | ");
			if (!err)
				err = md_rule_strings(out, json_object_get(r, "strings"));
			if (!err)
				err = sg_buf_puts(out, " |\n");
		}
	}
	return err;
}

/* What changed around the incident, newest first, findings and YARA in bold. */
static sg_err md_window(sg_buf *out, const json_t *ev)
{
	const json_t *w = json_object_get(ev, "incident_window");
	if (!w)
		return SG_OK;
	sg_err err = md_field(out, "\n#### Around the incident (", jstr(w, "incident_time"), "?",
	                      "): changes from ");
	if (!err)
		err = md_field(out, "", jstr(w, "from"), "?", " on, newest first\n\n");
	if (!err)
		err = sg_buf_printf(out, "%" JSON_INTEGER_FORMAT " events in the window, the newest %"
		                    JSON_INTEGER_FORMAT " listed.  M = modified, A = accessed, C = "
		                    "changed, B = born; findings and YARA matches in bold.\n\n"
		                    "| time (UTC) | | path | finding | YARA |\n"
		                    "| --- | --- | --- | --- | --- |\n",
		                    json_integer_value(json_object_get(w, "events_in_window")),
		                    json_integer_value(json_object_get(w, "events_listed")));
	size_t i, k;
	const json_t *t, *y;
	json_array_foreach(json_object_get(w, "events"), i, t) {
		if (err)
			break;
		const char *what = jstr(t, "what") ? jstr(t, "what") : "";
		char up[2] = {what[0] >= 'a' && what[0] <= 'z' ? (char)(what[0] - 32) : what[0], 0};
		int hot = jstr(t, "finding") || json_array_size(json_object_get(t, "yara"));
		err = md_field(out, hot ? "| **" : "| ", jstr(t, "time"), "", hot ? "** | " : " | ");
		if (!err)
			err = md_field(out, "", up, "", " | ");
		if (!err && json_is_true(json_object_get(t, "after_incident")))
			err = sg_buf_puts(out, "(after) ");
		if (!err)
			err = md_code(out, jstr(t, "path") ? jstr(t, "path") : "");
		if (!err)
			err = md_field(out, jstr(t, "finding") ? " | **" : " | ", jstr(t, "finding"), "",
			               jstr(t, "finding") ? "** | " : " | ");
		json_array_foreach(json_object_get(t, "yara"), k, y) {
			if (!err)
				err = sg_buf_puts(out, k ? ", **" : "**");
			if (!err && json_is_string(y))
				err = md_text(out, json_string_value(y));
			if (!err)
				err = sg_buf_puts(out, "**");
		}
		if (!err)
			err = sg_buf_puts(out, " |\n");
	}
	return err;
}

static sg_err md_timeline(sg_buf *out, const json_t *ev)
{
	const json_t *tl = json_object_get(ev, "timeline");
	if (!json_array_size(tl))
		return SG_OK;
	sg_err err = sg_buf_puts(out, "\n#### Timeline (newest changes first; m = modified, c = "
	                             "changed, b = born)\n\n| time (UTC) | | path |\n| --- | --- | --- |\n");
	size_t i;
	const json_t *t;
	json_array_foreach(tl, i, t) {
		if (err)
			break;
		err = md_field(out, "| ", jstr(t, "time"), "", " | ");
		if (!err)
			err = md_field(out, "", jstr(t, "what"), "", " | ");
		if (!err)
			err = md_code(out, jstr(t, "path") ? jstr(t, "path") : "");
		if (!err)
			err = sg_buf_puts(out, " |\n");
	}
	return err;
}

/* The report's own facts: status, incident, examiner, times, YARA rules. */
static sg_err md_head(sg_buf *out, const json_t *r)
{
	sg_err err = sg_buf_puts(out, "# Forensic examination report\n\n");
	if (!err)
		err = md_status(out, r);
	if (!err)
		err = sg_buf_puts(out, "| | |\n| --- | --- |\n");
	if (!err)
		err = md_kv(out, "incident", jstr(r, "incident"), 0);
	if (!err)
		err = md_kv(out, "examiner", jstr(r, "examiner"), 0);
	if (!err)
		err = md_kv(out, "host", jstr(r, "host"), 0);
	if (!err)
		err = md_kv(out, "tool", jstr(r, "tool"), 0);
	if (!err)
		err = md_kv(out, "started", jstr(r, "started"), 0);
	if (!err)
		err = md_kv(out, "finished", jstr(r, "finished"), 0);
	const json_t *it = json_object_get(r, "incident_time");
	if (!err && it) {
		err = md_field(out, "| incident time | ", jstr(it, "time"), "?", " (from ");
		if (!err)
			err = md_text(out, jstr(it, "from") ? jstr(it, "from") : "?");
		if (!err)
			err = sg_buf_puts(out, ") |\n");
	}
	size_t fi;
	const json_t *rf;
	json_array_foreach(json_object_get(json_object_get(r, "yara"), "rule_files"), fi, rf) {
		if (err)
			break;
		err = sg_buf_puts(out, "| YARA rules | ");
		if (!err)
			err = md_code(out, jstr(rf, "path") ? jstr(rf, "path") : "");
		if (!err)
			err = sg_buf_printf(out, " (%" JSON_INTEGER_FORMAT " rules, SHA-256 ",
			                    json_integer_value(json_object_get(rf, "rules")));
		if (!err)
			err = md_field(out, "", jstr(rf, "sha256"), "?", ") |\n");
	}
	return err;
}

/* One evidence volume: where it came from, then each of its sections. */
static sg_err md_evidence(sg_buf *out, const json_t *ev)
{
	sg_err err = sg_buf_puts(out, "\n## Evidence ");
	if (!err)
		err = md_code(out, jstr(ev, "label") ? jstr(ev, "label") : "?");
	if (!err)
		err = sg_buf_puts(out, "\n\n");
	if (!err)
		err = md_status(out, ev);
	if (!err)
		err = sg_buf_puts(out, "| | |\n| --- | --- |\n");
	if (!err)
		err = md_kv(out, "device", jstr(ev, "device"), 1);
	if (!err)
		err = md_kv(out, "volume", jstr(ev, "volume_id"), 0);
	/* where the volume came from (evidence manifest or the responder's tags) */
	static const char *const from[][2] = {
		{"source snapshot", "snapshot_id"}, {"source volume", "source_volume"},
		{"source instance", "source_instance"}, {"source device", "source_device"},
		{"found by", "found_by"}};
	const json_t *src = json_object_get(ev, "source");
	for (size_t k = 0; !err && k < sizeof from / sizeof from[0]; k++)
		err = md_kv(out, from[k][0], jstr(src, from[k][1]), k < 4);
	if (!err)
		err = sg_buf_printf(out, "| size | %" JSON_INTEGER_FORMAT " bytes |\n",
		                    json_integer_value(json_object_get(ev, "size")));
	if (!err)
		err = md_kv(out, "acquisition SHA-256", jstr(ev, "sha256"), 1);
	if (!err)
		err = md_kv(out, "partition table", jstr(json_object_get(ev, "partition_table"),
		                                         "scheme"), 0);
	if (!err)
		err = md_kv(out, "baseline", jstr(json_object_get(ev, "baseline"), "path"), 1);
	if (!err)
		err = md_kv(out, "error", jstr(ev, "error"), 0);
	static sg_err (*const sections[])(sg_buf *, const json_t *) = {
		md_filesystems, md_deleted, md_findings, md_yara, md_persistence, md_window,
		md_timeline};
	for (size_t k = 0; !err && k < sizeof sections / sizeof sections[0]; k++)
		err = sections[k](out, ev);
	return err;
}

sg_err fx_report_markdown(const json_t *r, sg_buf *out)
{
	sg_err err = md_head(out, r);
	size_t i;
	const json_t *ev;
	json_array_foreach(json_object_get(r, "evidence"), i, ev) {
		if (err)
			break;
		err = md_evidence(out, ev);
	}
	const json_t *warns = json_object_get(r, "warnings");
	if (!err && json_array_size(warns)) {
		err = sg_buf_puts(out, "\n## Warnings\n\n");
		const json_t *w;
		json_array_foreach(warns, i, w) {
			if (err)
				break;
			err = sg_buf_puts(out, "- ");
			if (!err && json_is_string(w))
				err = md_text(out, json_string_value(w));
			if (!err)
				err = sg_buf_puts(out, "\n");
		}
	}
	return err;
}
