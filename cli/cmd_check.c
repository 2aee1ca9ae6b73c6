/*
 * cmd_check.c — `ssrfguard check`: judge URLs against the policy.
 *
 *   ssrfguard check [OPTIONS] URL...
 *   ssrfguard check [OPTIONS] -        one URL a line on stdin
 *
 * One line per URL on stdout, tab-separated: url, verdict (allow, block or
 * error), category, rule, destination; or one JSON object a line (--json).
 * The echoed url is escaped (\t \n \r \\ \xNN for control bytes and
 * invalid UTF-8), so a line of output is always one line.  Exit status: 0
 * every URL allowed, 1 something blocked, 2 an input line or the command
 * itself was in error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <unistd.h>

#include "commands.h"
#include "resolve/resolve.h"
#include "ssrfguard/guard.h"
#include "common/utf8.h"

#define LINE_CAP SG_URL_MAX        /* longer stdin lines are reported and skipped */
#define POLICY_FILE_MAX (16u << 20)

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: ssrfguard check [OPTIONS] URL...\n"
	        "       ssrfguard check [OPTIONS] -      (one URL a line on stdin)\n"
	        "\n"
	        "Judge each URL the way the guarded fetcher would: parse it with libcurl,\n"
	        "normalise the host (every IPv4/IPv6 spelling, IDNA, trailing dots), resolve\n"
	        "names and judge every address against the policy (default: only globally\n"
	        "reachable unicast; cloud metadata always blocked).\n"
	        "\n"
	        "Output: one line per URL, tab-separated:\n"
	        "  url  verdict(allow|block|error)  category  rule  destination\n"
	        "\n"
	        "options:\n"
	        "  -r, --resolve HOST:PORT:ADDR[,ADDR]  answer HOST without DNS, as curl does\n"
	        "      --resolve HOST:ADDR[,ADDR]       ... for every port (IPv6 in [brackets])\n"
	        "  -p, --policy FILE        add the rules of a policy file (see docs/guard.md)\n"
	        "      --allow RULE         add 'allow RULE' (CIDR, HOST, *.DOMAIN, HOST:PORT)\n"
	        "      --deny RULE          add 'deny RULE' (an explicit deny beats any allow)\n"
	        "      --allow-scheme NAME  allow another URL scheme (http, https by default)\n"
	        "  -j, --json               one JSON object a line instead of TSV\n"
	        "      --line-buffered      write each verdict as soon as it is judged (the\n"
	        "                           default when stdout is a terminal; otherwise\n"
	        "                           output is block-buffered for batch speed)\n"
	        "  -h, --help               this text\n"
	        "\n"
	        "Input lines longer than %d bytes are reported as errors and skipped.\n"
	        "Exit status: 0 all allowed, 1 something blocked, 2 an error.\n",
	        LINE_CAP);
}

/* Bytes that pass unescaped: printable ASCII but '\\' (and '"' in JSON). */
static int plain(unsigned char c, int json)
{
	return c >= 0x20 && c < 0x7f && c != '\\' && !(json && c == '"');
}

/*
 * Write bytes as escaped, valid UTF-8 text.  Runs of plain bytes go out in
 * one fwrite: a verdict line is a few calls, not one per byte.
 */
static void put_escaped(FILE *to, const char *s, size_t len, int json)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t run = i;
		while (run < len && plain(p[run], json))
			run++;
		if (run > i) {
			fwrite(p + i, 1, run - i, to);
			i = run;
			continue;
		}
		unsigned char c = p[i];
		if (c == '\t' || c == '\n' || c == '\r' || c == '\\' || c == '"') {
			fputc('\\', to);
			fputc(c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : (char)c, to);
			i++;
			continue;
		}
		/* A well-formed UTF-8 sequence passes; anything else is \xNN. */
		size_t n = c >= 0x80 ? sg_utf8_len(p + i, len - i) : 0;
		if (n == 0) {
			fprintf(to, json ? "\\\\x%02x" : "\\x%02x", c);
			i++;
			continue;
		}
		fwrite(p + i, 1, n, to);
		i += n;
	}
}

static void put_json_str(FILE *to, const char *key, const char *s, int comma)
{
	fprintf(to, "%s\"%s\":\"", comma ? "," : "", key);
	put_escaped(to, s, strlen(s), 1);
	fputc('"', to);
}

struct ctx {
	sg_policy *policy;
	sg_resolver *resolver;
	int json;
	int worst; /* 0, 1 blocked, 2 error */
};

/* Append src to buf[at] within cap (always NUL-terminated); the new length. */
static size_t append(char *buf, size_t cap, size_t at, const char *src, size_t n)
{
	if (at + 1 >= cap)
		return at;
	if (n > cap - 1 - at)
		n = cap - 1 - at;
	memcpy(buf + at, src, n);
	buf[at + n] = '\0';
	return at + n;
}

static size_t append_port(char *buf, size_t cap, size_t at, unsigned port)
{
	char d[8];
	size_t n = sizeof d;
	do {
		d[--n] = (char)('0' + port % 10);
		port /= 10;
	} while (port && n > 1);
	d[--n] = ':';
	return append(buf, cap, at, d + n, sizeof d - n);
}

/* "host:port=addr", "[v6]:port", "addr:port", "host:port" or "-" (no snprintf:
 * this runs once per verdict). */
static void destination(const sg_verdict *v, char *buf, size_t cap)
{
	size_t hl = strlen(v->host), al = strlen(v->addr), at = 0;
	buf[0] = '\0';
	if (al && (al != hl || memcmp(v->addr, v->host, al) != 0)) {
		at = append(buf, cap, at, v->host, hl);
		at = append_port(buf, cap, at, v->port);
		at = append(buf, cap, at, "=", 1);
		append(buf, cap, at, v->addr, al);
	} else if (al || hl) {
		int v6 = al && memchr(v->addr, ':', al) != NULL;
		if (v6)
			at = append(buf, cap, at, "[", 1);
		at = append(buf, cap, at, al ? v->addr : v->host, al ? al : hl);
		if (v6)
			at = append(buf, cap, at, "]", 1);
		append_port(buf, cap, at, v->port);
	} else {
		append(buf, cap, at, "-", 1);
	}
}

static void emit(struct ctx *c, const char *url, size_t len, const char *verdict,
                 const char *category, const char *rule, const char *dest,
                 const sg_verdict *v)
{
	if (c->json) {
		fputs("{\"url\":\"", stdout);
		put_escaped(stdout, url, len, 1);
		fputc('"', stdout);
		put_json_str(stdout, "verdict", verdict, 1);
		put_json_str(stdout, "category", category, 1);
		put_json_str(stdout, "rule", rule, 1);
		put_json_str(stdout, "destination", dest, 1);
		if (v) {
			put_json_str(stdout, "scheme", v->scheme, 1);
			put_json_str(stdout, "host", v->host, 1);
			put_json_str(stdout, "addr", v->addr, 1);
			fprintf(stdout, ",\"port\":%u", v->port);
			put_json_str(stdout, "reason", v->reason, 1);
		}
		fputs("}\n", stdout);
		return;
	}
	put_escaped(stdout, url, len, 0);
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

static int load_policy(sg_policy *p, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "ssrfguard check: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *buf = malloc(POLICY_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "ssrfguard check: out of memory\n");
		return -1;
	}
	size_t n = fread(buf, 1, POLICY_FILE_MAX + 1, f);
	int rc = 0;
	if (ferror(f)) {
		fprintf(stderr, "ssrfguard check: %s: read error\n", path);
		rc = -1;
	} else if (n > POLICY_FILE_MAX) {
		fprintf(stderr, "ssrfguard check: %s: larger than %u bytes\n", path, POLICY_FILE_MAX);
		rc = -1;
	} else {
		char err[256];
		sg_err e = sg_policy_parse(p, buf, n, err, sizeof err);
		if (e != SG_OK) {
			fprintf(stderr, "ssrfguard check: %s: %s\n", path,
			        e == SG_ERR_NOMEM ? "out of memory" : err);
			rc = -1;
		}
	}
	free(buf);
	fclose(f);
	return rc;
}

static int add_rule(sg_policy *p, const char *kw, const char *arg)
{
	char rule[1024], err[256];
	int n = snprintf(rule, sizeof rule, "%s %s", kw, arg);
	if (n < 0 || (size_t)n >= sizeof rule) {
		fprintf(stderr, "ssrfguard check: --%s: rule too long\n", kw);
		return -1;
	}
	sg_err e = sg_policy_add(p, rule, (size_t)n, err, sizeof err);
	if (e != SG_OK) {
		fprintf(stderr, "ssrfguard check: --%s %s: %s\n", kw, arg,
		        e == SG_ERR_NOMEM ? "out of memory" : err);
		return -1;
	}
	return 0;
}

enum { OPT_ALLOW = 256, OPT_DENY, OPT_SCHEME, OPT_LINEBUF };

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"resolve", required_argument, NULL, 'r'},
		{"policy", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"allow", required_argument, NULL, OPT_ALLOW},
		{"deny", required_argument, NULL, OPT_DENY},
		{"allow-scheme", required_argument, NULL, OPT_SCHEME},
		{"line-buffered", no_argument, NULL, OPT_LINEBUF},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctx c = {0};
	int rc = 2, opt, line_buffered = 0;
	char err[256];

	if (sg_policy_new(&c.policy) != SG_OK || sg_resolver_new(&c.resolver) != SG_OK) {
		fprintf(stderr, "ssrfguard check: out of memory\n");
		goto fail;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:p:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': {
			sg_err e = sg_resolver_pin(c.resolver, optarg, strlen(optarg), err, sizeof err);
			if (e != SG_OK) {
				fprintf(stderr, "ssrfguard check: %s\n",
				        e == SG_ERR_NOMEM ? "out of memory" : err);
				goto fail;
			}
			break;
		}
		case 'p':
			if (load_policy(c.policy, optarg) != 0)
				goto fail;
			break;
		case 'j':
			c.json = 1;
			break;
		case OPT_ALLOW:
			if (add_rule(c.policy, "allow", optarg) != 0)
				goto fail;
			break;
		case OPT_DENY:
			if (add_rule(c.policy, "deny", optarg) != 0)
				goto fail;
			break;
		case OPT_SCHEME:
			if (add_rule(c.policy, "scheme", optarg) != 0)
				goto fail;
			break;
		case OPT_LINEBUF:
			line_buffered = 1;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto fail;
		default:
			usage(stderr);
			goto fail;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "ssrfguard check: no URL given (use - to read stdin)\n\n");
		usage(stderr);
		goto fail;
	}
	/* Interactive (a terminal, or asked for): each verdict leaves as it is
	 * judged, so check works as a filter or coprocess.  Otherwise (a file, a
	 * pipe in batch) stdio's block buffer: one write per few KiB, not per
	 * line.  Set before any output, as C requires. */
	if (line_buffered || isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "-")) {
			if (check_stdin(&c) != 0)
				c.worst = 2;
		} else {
			check_one(&c, argv[i], strlen(argv[i]));
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ssrfguard check: writing output: %s\n", strerror(errno));
		c.worst = 2;
	}
	rc = c.worst;
fail:
	sg_policy_free(c.policy);
	sg_resolver_free(c.resolver);
	return rc;
}
