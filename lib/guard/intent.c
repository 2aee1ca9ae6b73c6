/*
 * intent.c — sg_intent_judge(): every other parser's reading of an allowed
 * URL, judged like libcurl's (intent.h).
 */
#include "guard/intent.h"
#include "guard/judge.h"
#include "guard/text.h"
#include "guard/verdict.h"

#define READINGS_MAX 16
#define DECODE_ROUNDS 3

typedef struct readings {
	sg_reading r[READINGS_MAX];
	size_t n;
} readings;

/* Reader ids (rule text) and what a human is told about each. */
static const struct {
	const char *id, *again, *what;
} readers[] = {
	{"libcurl", "libcurl+pct", "libcurl"},
	{"whatwg", NULL, "the WHATWG URL standard (browsers, Node)"}, /* no '%' left */
	{"urllib.parse", "urllib.parse+pct", "Python's urllib.parse"},
	{"urllib.request", "urllib.request+pct", "Python's urllib.request"},
	{"numbers-decimal", NULL, "a lenient parser (decimal parts modulo 256)"},
	{"numbers-octal", NULL, "a lenient parser (octal parts modulo 256)"},
};

static size_t reader_index(const char *id)
{
	for (size_t k = 0; k < sizeof readers / sizeof readers[0]; k++)
		if (!strcmp(readers[k].id, id) || (readers[k].again && !strcmp(readers[k].again, id)))
			return k;
	return 0;
}

static void add_ip(readings *rs, const char *reader, const sg_ip *ip)
{
	if (rs->n < READINGS_MAX)
		rs->n += (size_t)sg_reading_ip(&rs->r[rs->n], reader, ip, NULL, 0);
}

/* The numbers reader and "percent-decoded again" over one reader's host text. */
static void derived(readings *rs, const char *host, size_t len, const char *reader)
{
	sg_ip ip[2];
	const char *what[2];
	size_t n = sg_read_numbers(host, len, ip, what);
	for (size_t k = 0; k < n; k++)
		add_ip(rs, what[k], &ip[k]);
	const char *again = readers[reader_index(reader)].again;
	if (!again || !memchr(host, '%', len))
		return;
	char a[SG_HOST_MAX], b[SG_HOST_MAX];
	size_t alen = len < sizeof a ? len : sizeof a - 1;
	memcpy(a, host, alen);
	for (int round = 0; round < DECODE_ROUNDS && memchr(a, '%', alen); round++) {
		size_t blen = sg_pct_decode(a, alen, b);
		memcpy(a, b, blen);
		alen = blen;
		sg_ip one;
		if (sg_ip_parse(a, alen, &one) == SG_OK) {
			add_ip(rs, again, &one);
			return;
		}
	}
}

/* Every reading but libcurl's own. */
static sg_err read_all(const char *url, size_t len, const sg_host *curl, readings *rs)
{
	size_t first = rs->n;
	int rc = sg_read_whatwg(url, len, &rs->r[rs->n]);
	if (rc < 0)
		return SG_ERR_NOMEM;
	rs->n += (size_t)rc;
	size_t got = 0;
	if (sg_read_urllib(url, len, &rs->r[rs->n], &got) < 0)
		return SG_ERR_NOMEM;
	rs->n += got;
	size_t parsed = rs->n;
	for (size_t k = first; k < parsed; k++) {
		const sg_reading *r = &rs->r[k];
		int seen = 0; /* the same text as an earlier reader's reads the same */
		for (size_t j = first; j < k && !seen; j++)
			seen = rs->r[j].text_len == r->text_len &&
			       !memcmp(rs->r[j].text, r->text, r->text_len);
		if (!seen)
			derived(rs, r->text, r->text_len, r->reader);
	}
	if (!curl->is_ip)
		derived(rs, curl->name, curl->name_len, "libcurl");
	return SG_OK;
}

static int same_as_curl(const sg_reading *r, const sg_host *curl)
{
	if (r->is_ip != curl->is_ip)
		return 0;
	if (r->is_ip)
		return memcmp(&r->ip, &curl->ip, sizeof r->ip) == 0;
	return r->host_len == curl->name_len && !memcmp(r->host, curl->name, r->host_len);
}

/* The verdict one reading gets; 1 if it blocks. */
static int judge_reading(const sg_policy *p, const sg_reading *r, uint16_t port, sg_verdict *v)
{
	if (r->is_ip) {
		sg_judge_ip(p, &r->ip, port, NULL, 0, v);
		return v->action == SG_BLOCK;
	}
	return sg_judge_name(p, r->host, r->host_len, port, v);
}

static void intent_block(const sg_reading *r, const sg_verdict *seen, const sg_host *curl,
                         sg_verdict *out)
{
	out->action = SG_BLOCK;
	out->category = SG_CAT_INTENT;
	out->needs_resolve = 0;
	size_t at = sg_put(out->rule, sizeof out->rule, 0, "intent:");
	at = sg_put(out->rule, sizeof out->rule, at, r->reader);
	at = sg_put(out->rule, sizeof out->rule, at, ":");
	sg_put(out->rule, sizeof out->rule, at, sg_category_name(seen->category));
	size_t k = reader_index(r->reader);
	at = sg_put(out->reason, sizeof out->reason, 0, readers[k].what);
	if (readers[k].again && !strcmp(readers[k].again, r->reader))
		at = sg_put(out->reason, sizeof out->reason, at, ", decoding '%' once more,");
	at = sg_put(out->reason, sizeof out->reason, at, " reads: ");
	at = sg_put(out->reason, sizeof out->reason, at, seen->reason);
	at = sg_put(out->reason, sizeof out->reason, at, "; libcurl reads ");
	sg_put_n(out->reason, sizeof out->reason, at, curl->name,
	         curl->name_len < 64 ? curl->name_len : 64);
	/* addr stays libcurl's: the destination is what would be connected to. */
}

/*
 * The fast path: a URL "scheme://HOST[:digits]" followed by nothing, '/',
 * '?' or '#', where HOST is exactly libcurl's host text — the canonical
 * dotted quad, "[canonical IPv6]", or a plain name.  Every reader then
 * reads libcurl's host: no userinfo, '\', '%', tab, non-ASCII or upper
 * case to read differently; a canonical quad has no leading zeros and no
 * part above 255 for the numbers reader; a plain name's last label is no
 * number for the WHATWG IPv4 parser.  (fuzz_url.c checks this claim.)
 */
static int lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A name every reader reads as it is: lower-case letters, digits, '-' and
 * single dots, its last label neither all digits nor "0x..." (no reader
 * takes it for a number). */
static int plain_name(const char *s, size_t len)
{
	size_t last = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (i == last || i + 1 == len)
				return 0;
			last = i + 1;
		} else if (!lower_alnum(s[i]) && s[i] != '-') {
			return 0;
		}
	}
	if (len == 0 || (len - last >= 2 && s[last] == '0' && s[last + 1] == 'x'))
		return 0;
	for (size_t i = last; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 1;
	return 0;
}

int sg_intent_plain(const char *url, size_t len, const sg_host *h)
{
	size_t i = 0;
	while (i < len && url[i] >= 'a' && url[i] <= 'z')
		i++;
	if (i == 0 || len - i < 3 || memcmp(url + i, "://", 3) != 0)
		return 0;
	i += 3;
	/* The authority is exactly libcurl's host text (its canonical address
	 * text, or a plain name)... */
	int v6 = h->is_ip && h->ip.v6;
	if (!h->is_ip && !plain_name(h->name, h->name_len))
		return 0;
	if (v6 && (i == len || url[i++] != '['))
		return 0;
	if (len - i < h->name_len || memcmp(url + i, h->name, h->name_len) != 0)
		return 0;
	i += h->name_len;
	if (v6 && (i == len || url[i++] != ']'))
		return 0;
	/* ...then an optional ":digits", then the end, '/', '?' or '#'. */
	if (i < len && url[i] == ':') {
		size_t d = ++i;
		while (i < len && url[i] >= '0' && url[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i == len || url[i] == '/' || url[i] == '?' || url[i] == '#';
}

sg_err sg_intent_judge(const sg_policy *p, const char *url, size_t len, const sg_host *h,
                       sg_verdict *out)
{
	readings rs;
	rs.n = 0;
	if (out->action != SG_ALLOW || p->intent_off || sg_intent_plain(url, len, h))
		return SG_OK;
	if (read_all(url, len, h, &rs) != SG_OK) {
		sg_verdict_block(out, SG_CAT_MALFORMED, "guard:nomem", "out of memory");
		return SG_ERR_NOMEM;
	}
	for (size_t k = 0; k < rs.n; k++) {
		if (same_as_curl(&rs.r[k], h))
			continue;
		sg_verdict seen = *out;
		if (judge_reading(p, &rs.r[k], out->port, &seen)) {
			intent_block(&rs.r[k], &seen, h, out);
			return SG_OK;
		}
	}
	return SG_OK;
}
