/* yscan.c — YARA rules over file contents (see yscan.h). */
#include "forensics/yscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yara.h>

#include "forensics/escape.h"
#include "forensics/fx.h"

struct yscan {
	YR_RULES *rules;
	YR_SCANNER *scanner;
	json_t *files;      /* [{"path","sha256","rules"}] */
	size_t nrules;
	int initialized;    /* yr_initialize() succeeded */
	uint8_t *window;    /* the window being scanned */
	size_t window_cap;
};

/* ---- compiling ---- */

typedef struct compile_ctx {
	const char *file;   /* the rule file being compiled */
	const char *text;   /* and its text */
	char first[512];    /* its first error, "FILE:LINE: message" */
	unsigned errors;
} compile_ctx;

static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Does line [p, p + n) hold tok as a whole token? */
static int line_holds(const char *p, size_t n, const char *tok, size_t tl)
{
	for (size_t i = 0; i + tl <= n; i++)
		if (!memcmp(p + i, tok, tl) && (i == 0 || (!ident_char(p[i - 1]) && p[i - 1] != '$')) &&
		    (i + tl == n || !ident_char(p[i + tl])))
			return 1;
	return 0;
}

/* Is line [p, p + n) a rule's header ("[private|global ]*rule NAME")? */
static int rule_header(const char *p, size_t n)
{
	static const char *const words[] = {"private", "global", "rule"};
	size_t i = 0;
	for (;;) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		size_t k, w = 3;
		for (k = 0; k < 3; k++) {
			size_t l = strlen(words[k]);
			if (i + l < n && !memcmp(p + i, words[k], l) && !ident_char(p[i + l]))
				w = k;
		}
		if (w == 3)
			return 0;
		if (w == 2)
			return 1;
		i += strlen(words[w]);
	}
}

/* Does line [p, p + n) hold nothing but blanks, or nothing but "}"? */
static int line_is(const char *p, size_t n, int brace)
{
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r')
			continue;
		if (!brace || p[i] != '}' || seen++)
			return 0;
	}
	return brace ? seen : 1;
}

/*
 * The line of the error libyara reported at line `noticed`.  Its parser
 * reads one token ahead, so an error found when an expression is reduced
 * is noticed at the token after it, which for an expression ending a line
 * is on a later line (often the rule's closing brace):
 *  - a message quoting a name ("undefined string \"$x\"", unreferenced,
 *    duplicated): the nearest line at or before `noticed`, within the same
 *    rule, that holds the name as a token;
 *  - any other error but a syntax error, noticed on a line that is only the
 *    closing "}": the last non-blank line before it, where the condition
 *    ends;
 *  - otherwise `noticed` (a syntax error is at the token it names).
 */
int yscan_error_line(const char *text, int noticed, const char *msg)
{
	if (!text || noticed < 1)
		return noticed;
	const char *q1 = strchr(msg, '"'), *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
	size_t tl = q2 ? (size_t)(q2 - q1 - 1) : 0;
	size_t lines = 1;
	for (const char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	if ((size_t)noticed > lines)
		return noticed; /* not a line of this text */
	const char **start = malloc(((size_t)noticed + 1) * sizeof *start);
	if (!start)
		return noticed;
	int n = 0;
	for (const char *p = text; n < noticed; n++) {
		start[n] = p;
		const char *nl = strchr(p, '\n');
		if (!nl) {
			n++;
			break;
		}
		p = nl + 1;
	}
	int line = noticed, closing = 0;
	for (int l = n; l >= 1; l--) {
		const char *p = start[l - 1], *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (tl) {
			if (line_holds(p, len, q1 + 1, tl)) {
				line = l;
				break;
			}
			if (rule_header(p, len))
				break;
		} else if (l == noticed) {
			closing = n == noticed && line_is(p, len, 1) && strncmp(msg, "syntax error", 12);
			if (!closing)
				break;
		} else if (!line_is(p, len, 0)) {
			line = l;
			break;
		}
	}
	free(start);
	return line;
}

static void on_compile(int level, const char *file_name, int line, const YR_RULE *rule,
                       const char *msg, void *user)
{
	(void)file_name; /* files are added as strings: ours is in c->file */
	(void)rule;
	compile_ctx *c = user;
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	if (c->errors++)
		return;
	int at = yscan_error_line(c->text, line, msg);
	if (at == line)
		snprintf(c->first, sizeof c->first, "%s:%d: %s", c->file, line, msg);
	else
		snprintf(c->first, sizeof c->first, "%s:%d: %s (noticed at line %d)", c->file, at, msg,
		         line);
}

static const char *refuse_include(const char *name, const char *from, const char *ns, void *user)
{
	(void)name;
	(void)from;
	(void)ns;
	(void)user;
	return NULL; /* libyara reports "can't open include file" at its line */
}

static void free_include(const char *p, void *user)
{
	(void)p;
	(void)user;
}

/* The whole rule file, NUL-terminated, at most YSCAN_RULEFILE_MAX bytes. */
static sg_err read_rule_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "yara rules %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)YSCAN_RULEFILE_MAX) {
		snprintf(err, errlen, "yara rules %s: %s", path,
		         S_ISREG(st.st_mode) ? "larger than 16 MiB" : "not a regular file");
		close(fd);
		return SG_ERR_RANGE;
	}
	char *p = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (p && got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!p || got != (size_t)st.st_size) {
		snprintf(err, errlen, "yara rules %s: %s", path, p ? "short read" : "out of memory");
		free(p);
		return p ? SG_ERR_IO : SG_ERR_NOMEM;
	}
	p[got] = 0;
	if (memchr(p, 0, got)) {
		snprintf(err, errlen, "yara rules %s: holds a NUL byte (not a rules file)", path);
		free(p);
		return SG_ERR_PARSE;
	}
	*text = p;
	*len = got;
	return SG_OK;
}

/* "webshells" from ".../webshells.yar"; letters, digits and '_' kept. */
static void namespace_of(const char *path, char *ns, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t o = 0;
	for (const char *p = base; *p && *p != '.' && o + 1 < len; p++)
		ns[o++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		          (*p >= '0' && *p <= '9') ? *p : '_';
	ns[o] = 0;
	if (!o)
		snprintf(ns, len, "rules");
}

/* The namespace of the next file: its base name, made unique. */
static void unique_namespace(const char *path, const json_t *files, char *ns, size_t len)
{
	char base[48];
	namespace_of(path, base, sizeof base);
	snprintf(ns, len, "%s", base);
	for (int k = 2; k < 10000; k++) {
		size_t i;
		const json_t *f;
		int used = 0;
		json_array_foreach(files, i, f) used |= !strcmp(json_string_value(json_object_get(f, "namespace")), ns);
		if (!used)
			return;
		snprintf(ns, len, "%s_%d", base, k);
	}
}

static sg_err add_rule_file(YR_COMPILER *yc, compile_ctx *cc, const char *path, json_t *files,
                            char *err, size_t errlen)
{
	char *text = NULL, ns[64];
	size_t len = 0;
	sg_err rc = read_rule_file(path, &text, &len, err, errlen);
	if (rc)
		return rc;
	uint8_t md[FX_SHA256_LEN];
	char hex[FX_SHA256_HEX];
	fx_sha256(text, len, md);
	sg_hex_encode(md, FX_SHA256_LEN, hex);
	unique_namespace(path, files, ns, sizeof ns);
	cc->file = path;
	cc->text = text;
	int nerr = yr_compiler_add_string(yc, text, ns);
	cc->text = NULL;
	free(text);
	if (nerr || cc->errors) {
		if (cc->errors > 1)
			snprintf(err, errlen, "yara rules %s (and %u more errors)", cc->first,
			         cc->errors - 1);
		else
			snprintf(err, errlen, "yara rules %s", cc->first[0] ? cc->first : path);
		return SG_ERR_PARSE;
	}
	json_array_append_new(files, json_pack("{s:s,s:s,s:s}", "path", path, "namespace", ns,
	                                             "sha256", hex));
	return SG_OK;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_rule_name(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && ((l > 4 && !strcmp(n + l - 4, ".yar")) ||
	                       (l > 5 && !strcmp(n + l - 5, ".yara")));
}

/* The rule files of directory dir, sorted, as malloc'd paths. */
static sg_err list_dir(const char *dir, char ***out, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "yara rules %s: %s", dir, strerror(errno));
		return SG_ERR_IO;
	}
	char **v = NULL;
	size_t k = 0;
	sg_err rc = SG_OK;
	struct dirent *de;
	while ((de = readdir(d)) && !rc) {
		if (!is_rule_name(de->d_name))
			continue;
		if (k == YSCAN_RULEFILES_MAX) {
			snprintf(err, errlen, "yara rules %s: more than %d rule files", dir,
			         YSCAN_RULEFILES_MAX);
			rc = SG_ERR_RANGE;
			break;
		}
		char **nv = realloc(v, (k + 1) * sizeof *v);
		size_t plen = strlen(dir) + strlen(de->d_name) + 2;
		char *p = nv ? malloc(plen) : NULL;
		if (nv)
			v = nv;
		if (!p) {
			rc = SG_ERR_NOMEM;
			break;
		}
		snprintf(p, plen, "%s/%s", dir, de->d_name);
		v[k++] = p;
	}
	closedir(d);
	if (!rc && !k) {
		snprintf(err, errlen, "yara rules %s: no *.yar or *.yara files", dir);
		rc = SG_ERR_NOTFOUND;
	}
	if (rc) {
		for (size_t i = 0; i < k; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	qsort(v, k, sizeof *v, cmp_name);
	*out = v;
	*n = k;
	return SG_OK;
}

static sg_err add_path(YR_COMPILER *yc, compile_ctx *cc, const char *path, json_t *files,
                       char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "yara rules %s: %s", path, strerror(errno));
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode))
		return add_rule_file(yc, cc, path, files, err, errlen);
	char **v = NULL;
	size_t n = 0;
	sg_err rc = list_dir(path, &v, &n, err, errlen);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = add_rule_file(yc, cc, v[i], files, err, errlen);
		free(v[i]);
	}
	free(v);
	return rc;
}

/* Rules per file, for the record: each rule's namespace is its file's. */
static void count_per_file(yscan *y)
{
	size_t i;
	json_t *f;
	json_array_foreach(y->files, i, f) {
		const char *ns = json_string_value(json_object_get(f, "namespace"));
		json_int_t n = 0;
		const YR_RULE *r;
		yr_rules_foreach(y->rules, r) {
			if (!strcmp(r->ns->name, ns))
				n++;
		}
		json_object_set_new(f, "rules", json_integer(n));
	}
	const YR_RULE *r;
	yr_rules_foreach(y->rules, r) y->nrules++;
}

sg_err yscan_load(const char *const *paths, size_t npaths, int timeout_s, yscan **out,
                  char *err, size_t errlen)
{
	*out = NULL;
	yscan *y = calloc(1, sizeof *y);
	YR_COMPILER *yc = NULL;
	compile_ctx cc = {0};
	sg_err rc = SG_ERR_NOMEM;
	if (!y || !(y->files = json_array()))
		goto fail;
	if (yr_initialize() != ERROR_SUCCESS) {
		snprintf(err, errlen, "libyara cannot initialise");
		rc = SG_ERR_IO;
		goto fail;
	}
	y->initialized = 1;
	if (yr_compiler_create(&yc) != ERROR_SUCCESS)
		goto fail;
	yr_compiler_set_callback(yc, on_compile, &cc);
	yr_compiler_set_include_callback(yc, refuse_include, free_include, NULL);
	if (yr_compiler_define_string_variable(yc, "filename", "") ||
	    yr_compiler_define_string_variable(yc, "filepath", "") ||
	    yr_compiler_define_string_variable(yc, "extension", ""))
		goto fail;
	for (size_t i = 0; i < npaths; i++)
		if ((rc = add_path(yc, &cc, paths[i], y->files, err, errlen)))
			goto fail;
	rc = SG_ERR_NOMEM;
	if (yr_compiler_get_rules(yc, &y->rules) != ERROR_SUCCESS ||
	    yr_scanner_create(y->rules, &y->scanner) != ERROR_SUCCESS)
		goto fail;
	yr_compiler_destroy(yc);
	yr_scanner_set_timeout(y->scanner, timeout_s);
	count_per_file(y);
	*out = y;
	return SG_OK;
fail:
	if (rc == SG_ERR_NOMEM && !err[0])
		snprintf(err, errlen, "yara rules: out of memory");
	if (yc)
		yr_compiler_destroy(yc);
	yscan_free(y);
	return rc;
}

size_t yscan_rule_count(const yscan *y)
{
	return y->nrules;
}

json_t *yscan_describe(const yscan *y)
{
	return json_pack("{s:O,s:I}", "rule_files", y->files, "rules", (json_int_t)y->nrules);
}

void yscan_free(yscan *y)
{
	if (!y)
		return;
	if (y->scanner)
		yr_scanner_destroy(y->scanner);
	if (y->rules)
		yr_rules_destroy(y->rules);
	if (y->initialized)
		yr_finalize();
	json_decref(y->files);
	free(y->window);
	free(y);
}

/* ---- scanning ---- */

typedef struct scan_ctx {
	json_t *matches;
	int failed;
	int too_many;       /* CALLBACK_MSG_TOO_MANY_MATCHES came */
} scan_ctx;

static json_t *esc_json(const void *p, size_t len)
{
	char *s = fx_escape_dup(p, len);
	json_t *j = s ? json_string(s) : NULL;
	free(s);
	return j;
}

static json_t *meta_json(const YR_RULE *r)
{
	json_t *m = json_object();
	const YR_META *meta;
	yr_rule_metas_foreach(r, meta) {
		json_t *v = meta->type == META_TYPE_INTEGER ? json_integer(meta->integer)
		            : meta->type == META_TYPE_BOOLEAN ? json_boolean(meta->integer)
		            : esc_json(meta->string, strlen(meta->string));
		json_object_set_new(m, meta->identifier, v);
	}
	return m;
}

/* libyara 4.2 keeps its YR_MATCH records in an arena without their 8-byte
 * alignment: each is copied out before any field is read. */
static json_t *strings_json(YR_SCAN_CONTEXT *ctx, const YR_RULE *r)
{
	json_t *a = json_array();
	size_t shown = 0;
	const YR_STRING *s;
	yr_rule_strings_foreach(r, s) {
		const void *at = ctx->matches[s->idx].head;
		while (at && shown < YSCAN_SHOW_MATCHES) {
			YR_MATCH m;
			memcpy(&m, at, sizeof m);
			at = m.next;
			if (m.is_private)
				continue;
			shown++;
			size_t dl = m.data_length > 0 ? (size_t)m.data_length : 0;
			json_t *o = json_pack("{s:s,s:I,s:I}", "id", s->identifier, "offset",
			                      (json_int_t)(m.base + m.offset), "length",
			                      (json_int_t)m.match_length);
			json_object_set_new(o, "data", esc_json(m.data, dl < YSCAN_SHOW_BYTES ? dl
			                                                                 : YSCAN_SHOW_BYTES));
			json_array_append_new(a, o);
		}
	}
	return a;
}

static int on_scan(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	scan_ctx *c = user;
	if (msg == CALLBACK_MSG_TOO_MANY_MATCHES)
		c->too_many = 1; /* libyara stops recording that string, and goes on */
	if (msg != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	const YR_RULE *r = data;
	json_t *tags = json_array();
	const char *tag;
	yr_rule_tags_foreach(r, tag) json_array_append_new(tags, json_string(tag));
	json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o}", "rule", r->identifier, "namespace",
	                      r->ns->name, "tags", tags, "meta", meta_json(r), "strings",
	                      strings_json(ctx, r));
	if (!o || json_array_append_new(c->matches, o)) {
		c->failed = 1;
		return CALLBACK_ABORT;
	}
	return CALLBACK_CONTINUE;
}

/* ---- the file's windows, as libyara's memory blocks ---- */

typedef struct windows {
	yscan *y;
	const yscan_input *in;
	uint64_t end;            /* the first end bytes are scanned */
	uint64_t next;           /* the base of the next window */
	int handed;              /* a window was handed over (an empty file has one) */
	uint64_t reached;        /* the end of the furthest window read */
	const char *unreadable;  /* why the first window that failed did */
	YR_MEMORY_BLOCK block;
} windows;

static const uint8_t *window_fetch(YR_MEMORY_BLOCK *b)
{
	windows *w = b->context;
	const char *why = NULL;
	if (b->size && w->in->read(w->in->ctx, b->base, w->y->window, b->size, &why)) {
		if (!w->unreadable)
			w->unreadable = why ? why : "read error";
		return NULL; /* libyara skips the window */
	}
	if (b->base + b->size > w->reached)
		w->reached = b->base + b->size;
	return w->y->window;
}

static YR_MEMORY_BLOCK *window_next(YR_MEMORY_BLOCK_ITERATOR *it)
{
	windows *w = it->context;
	it->last_error = ERROR_SUCCESS;
	if (w->handed && w->next >= w->end)
		return NULL;
	uint64_t left = w->end - w->next;
	w->handed = 1;
	w->block.base = w->next;
	w->block.size = left < YSCAN_WINDOW ? (size_t)left : YSCAN_WINDOW;
	w->block.context = w;
	w->block.fetch_data = window_fetch;
	w->next = left <= YSCAN_WINDOW ? w->end : w->next + (YSCAN_WINDOW - YSCAN_OVERLAP);
	return &w->block;
}

static YR_MEMORY_BLOCK *window_first(YR_MEMORY_BLOCK_ITERATOR *it)
{
	windows *w = it->context;
	w->next = 0;
	w->handed = 0;
	return window_next(it);
}

static uint64_t window_file_size(YR_MEMORY_BLOCK_ITERATOR *it)
{
	const windows *w = it->context;
	return w->in->size;
}

static void lower_ext(const char *name, char *ext, size_t len)
{
	const char *dot = strrchr(name, '.');
	size_t o = 0;
	if (dot && dot != name)
		for (const char *p = dot + 1; *p && o + 1 < len; p++)
			ext[o++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
	ext[o] = 0;
}

/* The externals filename, filepath and extension of the file. */
static int define_externals(yscan *y, const char *path, size_t path_len)
{
	char *p = fx_memdup(path, path_len);
	if (!p)
		return ERROR_INSUFFICIENT_MEMORY;
	const char *base = strrchr(p, '/');
	base = base ? base + 1 : p;
	char ext[32];
	lower_ext(base, ext, sizeof ext);
	int rc = yr_scanner_define_string_variable(y->scanner, "filename", base);
	if (!rc)
		rc = yr_scanner_define_string_variable(y->scanner, "filepath", p);
	if (!rc)
		rc = yr_scanner_define_string_variable(y->scanner, "extension", ext);
	free(p);
	return rc;
}

/* A window's worth of memory for a scan of end bytes. */
static int window_ready(yscan *y, uint64_t end)
{
	size_t want = end < YSCAN_WINDOW ? (size_t)end : YSCAN_WINDOW;
	if (!want)
		want = 1;
	if (want <= y->window_cap)
		return 0;
	uint8_t *w = realloc(y->window, want);
	if (!w)
		return -1;
	y->window = w;
	y->window_cap = want;
	return 0;
}

int yscan_whole(const yscan_result *res)
{
	return !res->cut && !res->timed_out && !res->unreadable && !res->too_many_matches;
}

json_t *yscan_scan(yscan *y, const yscan_input *in, yscan_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	windows w = {.y = y, .in = in, .end = in->size < in->limit ? in->size : in->limit};
	YR_MEMORY_BLOCK_ITERATOR it = {.context = &w, .first = window_first, .next = window_next,
	                               .file_size = window_file_size};
	scan_ctx c = {json_array(), 0, 0};
	int rc = c.matches && !window_ready(y, w.end) ? define_externals(y, in->path, in->path_len)
	                                              : ERROR_INSUFFICIENT_MEMORY;
	yr_scanner_set_callback(y->scanner, on_scan, &c);
	if (!rc)
		rc = yr_scanner_scan_mem_blocks(y->scanner, &it);
	if (rc == ERROR_SCAN_TIMEOUT)
		res->timed_out = 1;
	if (rc == ERROR_TOO_MANY_MATCHES)
		c.too_many = 1;
	if (rc == ERROR_SCAN_TIMEOUT || rc == ERROR_TOO_MANY_MATCHES)
		rc = ERROR_SUCCESS;
	if (rc != ERROR_SUCCESS || c.failed) {
		snprintf(err, errlen, rc == ERROR_INSUFFICIENT_MEMORY ? "out of memory"
		                                                       : "libyara error %d", rc);
		json_decref(c.matches);
		return NULL;
	}
	res->scanned = w.reached;
	res->cut = w.end < in->size;
	res->unreadable = w.unreadable;
	res->too_many_matches = c.too_many;
	return c.matches;
}

typedef struct mem_file {
	const uint8_t *p;
} mem_file;

static int read_mem(void *ctx, uint64_t off, uint8_t *buf, size_t len, const char **why)
{
	(void)why;
	const mem_file *m = ctx;
	memcpy(buf, m->p + off, len);
	return 0;
}

json_t *yscan_mem(yscan *y, const uint8_t *buf, size_t len, const char *path, size_t path_len,
                  yscan_result *res, char *err, size_t errlen)
{
	mem_file m = {buf};
	yscan_input in = {path, path_len, len, len, read_mem, &m};
	return yscan_scan(y, &in, res, err, errlen);
}
