/* exam_result.c — the examination's one-line result (see exam_int.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/exam_int.h"

/*
 * The result line travels through SSM, whose GetCommandInvocation shows
 * only the first 24,000 characters of stdout: each list in it is a digest
 * of the report's, in the report's order (special interest first), while
 * it fits its budget in bytes, shared by the sources of the examination.
 * The rest are counted in "..._omitted"; report.json has them all.
 */
enum { FINDINGS_BYTES = 9000, YARA_BYTES = 4000, PERSISTENCE_BYTES = 4000,
       INCOMPLETE_BYTES = 2000 };

/* The objects of all cut to the keys named (NULL-terminated), while they fit. */
static json_t *digest(const json_t *all, const char *const *keys, size_t budget, size_t *omitted)
{
	json_t *top = json_array();
	size_t used = 0, i;
	json_t *f;
	*omitted = 0;
	json_array_foreach(all, i, f)
	{
		json_t *d = json_object();
		for (size_t k = 0; d && keys[k]; k++) {
			json_t *v = json_object_get(f, keys[k]);
			if (v)
				json_object_set(d, keys[k], v);
		}
		char *t = d ? json_dumps(d, JSON_COMPACT) : NULL;
		size_t len = t ? strlen(t) + 1 : SIZE_MAX;
		free(t);
		if (!d || *omitted || len > budget - used) {
			json_decref(d);
			++*omitted;
			continue;
		}
		used += len;
		json_array_append_new(top, d);
	}
	return top;
}

/* [{"path","class","rules":["namespace.rule",…]}] of the YARA matches. */
static json_t *yara_files(const json_t *matches)
{
	json_t *a = json_array();
	size_t i, k;
	const json_t *m, *rule;
	json_array_foreach(matches, i, m) {
		json_t *names = json_array();
		json_array_foreach(json_object_get(m, "rules"), k, rule) {
			char n[300];
			snprintf(n, sizeof n, "%s.%s", json_string_value(json_object_get(rule, "namespace")),
			         json_string_value(json_object_get(rule, "rule")));
			json_array_append_new(names, json_string(n));
		}
		json_array_append_new(a, json_pack("{s:O,s:O,s:o}", "path", json_object_get(m, "path"),
		                                   "class", json_object_get(m, "class"), "rules", names));
	}
	return a;
}

void exam_result_source(json_t *r, const json_t *evj, size_t nsrc)
{
	size_t share = nsrc > 1 ? nsrc : 1;
	static const char *const fkeys[] = {"class", "path", "interest", "detail", NULL};
	static const char *const ykeys[] = {"path", "class", "rules", NULL};
	static const char *const pkeys[] = {"kind", "path", "baseline", NULL};
	size_t omitted;
	const json_t *all = json_object_get(evj, "findings");
	if (json_is_array(all)) {
		jset(r, "findings", json_integer((json_int_t)json_array_size(all)));
		jset(r, "top_findings", digest(all, fkeys, FINDINGS_BYTES / share, &omitted));
		jset(r, "findings_omitted", json_integer((json_int_t)omitted));
	}
	const json_t *y = json_object_get(evj, "yara");
	if (y) {
		json_t *files = yara_files(json_object_get(y, "matches"));
		json_t *o = json_object();
		static const char *const keep[] = {"scope", "status", "scanned"};
		for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) /* scope off: only "scope" */
			if (json_object_get(y, keep[k]))
				jset(o, keep[k], json_incref(json_object_get(y, keep[k])));
		jset(o, "matched", json_integer((json_int_t)json_array_size(files)));
		jset(o, "matches", digest(files, ykeys, YARA_BYTES / share, &omitted));
		jset(o, "matches_omitted", json_integer((json_int_t)omitted));
		json_decref(files);
		jset(r, "yara", o);
	}
	const json_t *pl = json_object_get(evj, "persistence");
	if (json_is_array(pl)) {
		jset(r, "persistence", digest(pl, pkeys, PERSISTENCE_BYTES / share, &omitted));
		jset(r, "persistence_omitted",
		     json_integer((json_int_t)omitted +
		                  json_integer_value(json_object_get(evj, "persistence_omitted"))));
	}
}

void exam_result_incomplete(json_t *r, const json_t *why, size_t nsrc)
{
	if (!json_array_size(why))
		return;
	size_t budget = INCOMPLETE_BYTES / (nsrc > 1 ? nsrc : 1), used = 0, omitted = 0, i;
	const json_t *w;
	json_t *a = json_array();
	json_array_foreach(why, i, w) {
		char *t = json_dumps(w, JSON_ENCODE_ANY);
		size_t len = t ? strlen(t) + 1 : SIZE_MAX;
		free(t);
		if (omitted || len > budget - used) {
			omitted++;
			continue;
		}
		used += len;
		json_array_append(a, (json_t *)w);
	}
	jset(r, "incomplete", a);
	jset(r, "incomplete_omitted", json_integer((json_int_t)omitted));
}

void exam_print_error(const char *msg)
{
	json_t *o = json_object();
	jset(o, "status", json_string("error"));
	jset(o, "error", json_string(msg));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
	fprintf(stderr, "ssrfguard forensics: %s\n", msg);
}

const char *exam_who(const exam_opts *o, char *buf, size_t len)
{
	if (o->examiner)
		return o->examiner;
	custlog_whoami(buf, len);
	return buf;
}

