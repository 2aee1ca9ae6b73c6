/*
 * cmd_check.c — `ssrfguard check`: judge URLs against the policy.
 *
 *   ssrfguard check [OPTIONS] URL...
 *   ssrfguard check [OPTIONS] -        one URL a line on stdin
 *
 * One line per URL on stdout, tab-separated: url, verdict (allow, block or
 * error), category, rule, destination; or one JSON object a line (--json).
 * The echoed url is escaped (common/escape.h: \xHH for control bytes and
 * invalid UTF-8, \\ for a backslash), so a line of output is always one
 * line.  Exit status: 0
 * every URL allowed, 1 something blocked, 2 an input line or the command
 * itself was in error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "commands.h"
#include "opt/cmdline.h"
#include "resolve/resolve.h"
#include "ssrfguard/guard.h"
#include "common/escape.h"
#include "common/jsonstr.h"
#include "guard/text.h"

#define LINE_CAP SG_URL_MAX        /* longer stdin lines are reported and skipped */
#define SG_STR_(x) #x
#define SG_STR(x) SG_STR_(x)
#define POLICY_FILE_MAX (16u << 20)

/*
 * Write s[0..len) as printable text (common/escape.h: controls, DEL, C1
 * and invalid UTF-8 as \xHH, a backslash doubled), so a tab never splits a TSV
 * column and a line is one verdict.  scratch is reused from call to call:
 * a verdict line allocates nothing.
 */
static void put_escaped(FILE *to, sg_buf *scratch, const char *s, size_t len)
{
	sg_buf_reset(scratch);
	if (sg_escape(scratch, s, len, NULL)) {
		fputs("(unprintable: out of memory)", to);
		return;
	}
	fwrite(scratch->p ? scratch->p : "", 1, scratch->len, to);
}

/* Append key (a literal: its quotes, colon and any comma before it) and s
 * to line: s as printable text (as put_escaped) in a JSON string
 * (common/jsonstr.h: only '"' and '\\' change). */
static void json_field(sg_buf *line, sg_buf *scratch, const char *key, const char *s,
                       size_t len)
{
	sg_buf_reset(scratch);
	const char *text = sg_escape(scratch, s, len, NULL) ? "(unprintable: out of memory)"
	                 : scratch->p ? scratch->p : "";
	size_t n = sg_buf_err(scratch) ? strlen(text) : scratch->len;
	sg_buf_puts(line, key);
	sg_json_string(line, text, n);
}

struct ctx {
	sg_policy *policy;
	sg_resolver *resolver;
	bool json;
	bool line_buffered;
	int worst; /* 0, 1 blocked, 2 error */
	sg_buf scratch; /* put_escaped's and json_field's, reused */
	sg_buf line;    /* one --json line, reused */
};

static size_t append_port(char *buf, size_t cap, size_t at, unsigned port)
{
	char d[8];
	size_t n = sizeof d;
	do {
		d[--n] = (char)('0' + port % 10);
		port /= 10;
	} while (port && n > 1);
	d[--n] = ':';
	return sg_put_n(buf, cap, at, d + n, sizeof d - n);
}

/* "host:port=addr", "[v6]:port", "addr:port", "host:port" or "-" (no snprintf:
 * this runs once per verdict). */
static void destination(const sg_verdict *v, char *buf, size_t cap)
{
	size_t hl = strlen(v->host), al = strlen(v->addr), at = 0;
	buf[0] = '\0';
	if (al && (al != hl || memcmp(v->addr, v->host, al) != 0)) {
		at = sg_put_n(buf, cap, at, v->host, hl);
		at = append_port(buf, cap, at, v->port);
		at = sg_put_n(buf, cap, at, "=", 1);
		sg_put_n(buf, cap, at, v->addr, al);
	} else if (al || hl) {
		int v6 = al && memchr(v->addr, ':', al) != NULL;
		if (v6)
			at = sg_put_n(buf, cap, at, "[", 1);
		at = sg_put_n(buf, cap, at, al ? v->addr : v->host, al ? al : hl);
		if (v6)
			at = sg_put_n(buf, cap, at, "]", 1);
		append_port(buf, cap, at, v->port);
	} else {
		sg_put_n(buf, cap, at, "-", 1);
	}
}

static void emit(struct ctx *c, const char *url, size_t len, const char *verdict,
                 const char *category, const char *rule, const char *dest,
                 const sg_verdict *v)
{
	if (c->json) {
		sg_buf *l = &c->line, *t = &c->scratch;
		sg_buf_reset(l);
		json_field(l, t, "{\"url\":", url, len);
		json_field(l, t, ",\"verdict\":", verdict, strlen(verdict));
		json_field(l, t, ",\"category\":", category, strlen(category));
		json_field(l, t, ",\"rule\":", rule, strlen(rule));
		json_field(l, t, ",\"destination\":", dest, strlen(dest));
		if (v) {
			json_field(l, t, ",\"scheme\":", v->scheme, strlen(v->scheme));
			json_field(l, t, ",\"host\":", v->host, strlen(v->host));
			json_field(l, t, ",\"addr\":", v->addr, strlen(v->addr));
			sg_buf_printf(l, ",\"port\":%u", v->port);
			json_field(l, t, ",\"reason\":", v->reason, strlen(v->reason));
		}
		sg_buf_puts(l, "}\n");
		if (sg_buf_err(l)) {
			fputs("{\"error\":\"out of memory\"}\n", stdout);
			fprintf(stderr, "ssrfguard check: out of memory writing a verdict\n");
			c->worst = 2;
			return;
		}
		fwrite(l->p, 1, l->len, stdout);
		return;
	}
	put_escaped(stdout, &c->scratch, url, len);
	const char *const fields[] = {verdict, category, rule, dest};
	for (size_t i = 0; i < 4; i++) {
		fputc('\t', stdout);
		fputs(fields[i], stdout);
	}
	fputc('\n', stdout);
}

static void input_error(struct ctx *c, const char *url, size_t len, const char *rule)
{
	emit(c, url, len, "error", "malformed", rule, "-", NULL);
	c->worst = 2;
}

static void check_one(struct ctx *c, const char *url, size_t len)
{
	sg_verdict v1, v;
	if (len == 0) {
		input_error(c, url, len, "input:empty-line");
		return;
	}
	sg_err e = sg_check_url(c->policy, url, len, &v1);
	if (e == SG_OK)
		e = sg_resolver_check(c->resolver, c->policy, &v1, &v);
	if (e != SG_OK) {
		fprintf(stderr, "ssrfguard check: %s\n", sg_strerror(e));
		input_error(c, url, len, "guard:error");
		return;
	}
	char dest[SG_HOST_MAX + SG_ADDR_MAX + 16];
	destination(&v, dest, sizeof dest);
	emit(c, url, len, v.action == SG_ALLOW ? "allow" : "block",
	     sg_category_name(v.category), v.rule, dest, &v);
	if (v.action == SG_BLOCK && c->worst < 1)
		c->worst = 1;
}

/* One stdin line: total bytes long, the first n of them in line. */
static void check_line(struct ctx *c, char *line, size_t n, size_t total, size_t lineno)
{
	if (n && line[n - 1] == '\r' && total == n)
		n--; /* CRLF input */
	if (total > LINE_CAP) {
		char rule[96];
		snprintf(rule, sizeof rule, "input:line-too-long(line %zu, %zu bytes > %d)", lineno,
		         total, LINE_CAP);
		input_error(c, line, n < 64 ? n : 64, rule);
	} else {
		check_one(c, line, n);
	}
}

/*
 * stdin, one URL a line, read(2) in blocks of what is there (a coprocess's
 * line is judged as soon as it arrives) and split with memchr; a line over
 * LINE_CAP is skipped, never buffered whole.
 */
static int check_stdin(struct ctx *c)
{
	enum { BLOCK = 1 << 16 };
	char *line = malloc(LINE_CAP + 1), *block = malloc(BLOCK);
	int rc = 0;
	if (!line || !block) {
		fprintf(stderr, "ssrfguard check: out of memory\n");
		rc = -1;
		goto done;
	}
	size_t n = 0, total = 0, lineno = 0;
	for (;;) {
		ssize_t r = read(STDIN_FILENO, block, BLOCK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "ssrfguard check: reading stdin: %s\n", strerror(errno));
			rc = -1;
			break;
		}
		if (r == 0)
			break;
		size_t got = (size_t)r;
		for (size_t i = 0; i < got;) {
			const char *nl = memchr(block + i, '\n', got - i);
			size_t seg = (nl ? (size_t)(nl - block) : got) - i;
			size_t take = seg < LINE_CAP - n ? seg : LINE_CAP - n;
			memcpy(line + n, block + i, take);
			n += take;
			total += seg;
			i += seg;
			if (!nl)
				break;
			i++;
			check_line(c, line, n, total, ++lineno);
			n = total = 0;
		}
	}
	if (total)
		check_line(c, line, n, total, ++lineno); /* no final newline */
done:
	free(line);
	free(block);
	return rc;
}

static sg_err load_policy(void *dst, const opt_def *d, const opt_value *v, char *err,
                          size_t errlen)
{
	struct ctx *c = dst;
	const char *path = v->text;
	(void)d;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SG_ERR_IO;
	}
	char *buf = malloc(POLICY_FILE_MAX + 1);
	sg_err e = SG_ERR_NOMEM;
	char msg[256];
	size_t n = buf ? fread(buf, 1, POLICY_FILE_MAX + 1, f) : 0;
	if (!buf)
		snprintf(err, errlen, "out of memory");
	else if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		e = SG_ERR_IO;
	} else if (n > POLICY_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, POLICY_FILE_MAX);
		e = SG_ERR_RANGE;
	} else if ((e = sg_policy_parse(c->policy, buf, n, msg, sizeof msg)) != SG_OK)
		snprintf(err, errlen, "%s: %s", path, e == SG_ERR_NOMEM ? "out of memory" : msg);
	free(buf);
	fclose(f);
	return e;
}

/* --allow, --deny, --allow-scheme: the policy rule "allow ARG", ... */
static sg_err add_rule(void *dst, const opt_def *d, const opt_value *v, char *err, size_t errlen)
{
	struct ctx *c = dst;
	const char *kw = !strcmp(d->name, "allow-scheme") ? "scheme" : d->name;
	char rule[1024], msg[256];
	int n = snprintf(rule, sizeof rule, "%s %s", kw, v->text);
	if (n < 0 || (size_t)n >= sizeof rule) {
		snprintf(err, errlen, "%s: rule too long", d->name);
		return SG_ERR_RANGE;
	}
	sg_err e = sg_policy_add(c->policy, rule, (size_t)n, msg, sizeof msg);
	if (e != SG_OK)
		snprintf(err, errlen, "%s %.64s: %s", d->name, v->text,
		         e == SG_ERR_NOMEM ? "out of memory" : msg);
	return e;
}

static sg_err add_pin(void *dst, const opt_def *d, const opt_value *v, char *err, size_t errlen)
{
	struct ctx *c = dst;
	char msg[256];
	sg_err e = sg_resolver_pin(c->resolver, v->text, strlen(v->text), msg, sizeof msg);
	if (e != SG_OK)
		snprintf(err, errlen, "%s: %s", d->name, e == SG_ERR_NOMEM ? "out of memory" : msg);
	return e;
}

static const opt_def check_opts[] = {
	{.type = OPT_LIST, .name = "resolve", .short_name = 'r', .arg = "HOST:PORT:ADDR[,ADDR]",
	 .set = add_pin,
	 .help = "answer HOST without DNS, as curl does; HOST:ADDR[,ADDR] for every port (IPv6 in "
	         "[brackets]); repeatable"},
	{.type = OPT_LIST, .name = "policy", .short_name = 'p', .arg = "FILE", .set = load_policy,
	 .help = "add the rules of a policy file (see docs/guard.md); repeatable"},
	{.type = OPT_LIST, .name = "allow", .arg = "RULE", .set = add_rule,
	 .help = "add 'allow RULE' (CIDR, HOST, *.DOMAIN, HOST:PORT); repeatable"},
	{.type = OPT_LIST, .name = "deny", .arg = "RULE", .set = add_rule,
	 .help = "add 'deny RULE' (an explicit deny beats any allow); repeatable"},
	{.type = OPT_LIST, .name = "allow-scheme", .arg = "NAME", .set = add_rule,
	 .help = "allow another URL scheme (http, https by default); repeatable"},
	{.type = OPT_SWITCH, .name = "json", .short_name = 'j', .dflt = "off",
	 .off = offsetof(struct ctx, json), .help = "one JSON object a line instead of TSV"},
	{.type = OPT_SWITCH, .name = "line-buffered", .dflt = "off",
	 .off = offsetof(struct ctx, line_buffered),
	 .help = "write each verdict as soon as it is judged (the default when stdout is a "
	         "terminal; otherwise output is block-buffered for batch speed)"},
	{.type = OPT_END},
};

const opt_command check_command = {
	.name = "check",
	.synopsis = "[OPTIONS] URL...\n[OPTIONS] -",
	.summary = "judge URLs against the policy, print verdicts",
	.about = "Judge each URL the way the guarded fetcher would: parse it with libcurl, normalise "
	         "the host (every IPv4/IPv6 spelling, IDNA, trailing dots), resolve names and judge "
	         "every address against the policy (default: only globally reachable unicast over "
	         "http and https; cloud metadata always blocked).  A URL libcurl allows is also read "
	         "as the WHATWG URL standard (browsers, Node), Python's urllib, lenient dotted-number "
	         "parsers and a second percent-decoding would read it; a reading that reaches "
	         "metadata or an internal address blocks it as category intent (policy rule "
	         "'intent off' turns this off).  With -, URLs are read one a line from standard "
	         "input.\n\n"
	         "Output: one line per URL, tab-separated: url, verdict (allow, block or error), "
	         "category, rule, destination; the url is escaped (\\xHH for control bytes, C1 "
	         "controls and invalid UTF-8, \\\\ for a backslash), so a line of output is "
	         "always one line.",
	.opts = check_opts,
	.epilog = "Input lines longer than " SG_STR(LINE_CAP) " bytes are reported as errors and "
	          "skipped.\n\n"
	          "Exit status: 0 all allowed, 1 something blocked, 2 an error.",
	.words = "-",
};

int cmd_check(int argc, char **argv)
{
	struct ctx c = {0};
	int rc = 2, npos = 0;
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);

	if (!pos || sg_policy_new(&c.policy) != SG_OK || sg_resolver_new(&c.resolver) != SG_OK) {
		fprintf(stderr, "ssrfguard check: out of memory\n");
		goto fail;
	}
	if (!cmdline_begin(&check_command, &c, argc, argv, pos, &npos, &rc))
		goto fail;
	if (npos == 0) {
		rc = cmdline_usage_error(&check_command, "no URL given (use - to read stdin)");
		goto fail;
	}
	/* Interactive (a terminal, or asked for): each verdict leaves as it is
	 * judged, so check works as a filter or coprocess.  Otherwise (a file, a
	 * pipe in batch) stdio's block buffer: one write per few KiB, not per
	 * line.  Set before any output, as C requires. */
	if (c.line_buffered || isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < npos; i++) {
		if (!strcmp(pos[i], "-")) {
			if (check_stdin(&c) != 0)
				c.worst = 2;
		} else {
			check_one(&c, pos[i], strlen(pos[i]));
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ssrfguard check: writing output: %s\n", strerror(errno));
		c.worst = 2;
	}
	rc = c.worst;
fail:
	free(pos);
	sg_policy_free(c.policy);
	sg_resolver_free(c.resolver);
	sg_buf_free(&c.scratch);
	sg_buf_free(&c.line);
	return rc;
}
