/* test_sigv4.c — AWS's SigV4 test-suite vectors (tests/data/sigv4/) and the
 * signer's refusals. */
#include <stdlib.h>

#include "aws/sigv4.h"
#include "test.h"

#ifndef SIGV4_DIR
#error "SIGV4_DIR must name tests/data/sigv4"
#endif

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 16);
	size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

#define MAXH 16
#define MAXQ 16

/* Parse a vector, sign it without its Authorization, compare. */
static void run_vector(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.req", SIGV4_DIR, name);
	size_t len = 0;
	char *text = slurp(path, &len);
	CHECKF(text != NULL, "%s: cannot read", path);
	if (!text)
		return;
	char *body = strstr(text, "\n\n");
	CHECKF(body != NULL, "%s: no blank line", name);
	if (!body) {
		free(text);
		return;
	}
	*body = '\0';
	body += 2;

	/* request line: METHOD SP target SP HTTP/1.1 (the target may hold spaces) */
	char *line_end = strchr(text, '\n');
	*line_end = '\0';
	char *method = text;
	char *sp = strchr(method, ' ');
	*sp = '\0';
	char *target = sp + 1;
	char *ver = strrchr(target, ' ');
	*ver = '\0';
	char *query = strchr(target, '?');
	struct aws_kv q[MAXQ];
	size_t nq = 0;
	if (query) {
		*query++ = '\0';
		for (char *pair = query; pair && *pair && nq < MAXQ;) {
			char *amp = strchr(pair, '&');
			if (amp)
				*amp = '\0';
			char *eq = strchr(pair, '=');
			if (eq)
				*eq = '\0';
			q[nq].name = pair;
			q[nq].value = eq ? eq + 1 : "";
			nq++;
			pair = amp ? amp + 1 : NULL;
		}
	}

	struct aws_kv h[MAXH];
	size_t nh = 0;
	const char *want = NULL;
	const char *date = NULL;
	for (char *l = line_end + 1; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		char *colon = strchr(l, ':');
		if (colon && nh < MAXH) {
			*colon = '\0';
			if (!strcmp(l, "Authorization")) {
				want = colon + 1;
			} else {
				h[nh].name = l;
				h[nh].value = colon + 1;
				if (!strcasecmp(l, "X-Amz-Date"))
					date = colon + 1;
				nh++;
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	CHECKF(want && date, "%s: no Authorization/X-Amz-Date", name);
	char hash[65];
	aws_sha256_hex(body, strlen(body), hash);
	struct aws_sigv4_request req = {
		.method = method, .path = target, .query = q, .nquery = nq,
		.headers = h, .nheaders = nh, .payload_sha256 = hash,
	};
	struct aws_sigv4_signer s = {
		.access_key_id = "AKIDEXAMPLE",
		.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		.region = "us-east-1", .service = "service", .amz_date = date,
	};
	char auth[AWS_SIGV4_AUTH_MAX];
	sg_err rc = aws_sigv4_authorization(&s, &req, auth, sizeof auth);
	CHECKF(rc == SG_OK, "%s: rc %d", name, rc);
	if (want)
		CHECKF(!strcmp(auth, want), "%s:\n got  %s\n want %s", name, auth, want);
	free(text);
}

TEST(vectors)
{
	size_t len;
	char *list = slurp(SIGV4_DIR "/LIST", &len);
	CHECK(list != NULL);
	if (!list)
		return;
	int n = 0;
	for (char *l = list; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (*l) {
			run_vector(l);
			n++;
		}
		l = nl ? nl + 1 : NULL;
	}
	CHECKF(n >= 15, "only %d vectors", n);
	free(list);
}

/* The canonical request of the form-encoded POST, as AWS prints it. */
TEST(canonical_request_text)
{
	struct aws_kv h[] = {
		{"Content-Type", "application/x-www-form-urlencoded"},
		{"Host", "example.amazonaws.com"},
		{"X-Amz-Date", "20150830T123600Z"},
	};
	char hash[65];
	aws_sha256_hex("Param1=value1", 13, hash);
	struct aws_sigv4_request req = {.method = "POST", .path = "/", .headers = h,
	                                .nheaders = 3, .payload_sha256 = hash};
	char *creq = NULL;
	CHECK_INT(aws_sigv4_canonical_request(&req, &creq), SG_OK);
	CHECK_STR(creq, "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
	                "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	                "content-type;host;x-amz-date\n"
	                "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
	free(creq);
}

TEST(refusals)
{
	char hash[65];
	aws_sha256_hex("", 0, hash);
	struct aws_kv bad_value[] = {{"Host", "a\r\nX-Evil: 1"}};
	struct aws_kv bad_name[] = {{"Ho st", "a"}};
	struct aws_kv ok[] = {{"Host", "a"}, {"X-Amz-Date", "20150830T123600Z"}};
	struct {
		const char *label;
		struct aws_kv *h;
		const char *path, *date, *region;
		sg_err want;
	} rows[] = {
		{"CRLF in value", bad_value, "/", "20150830T123600Z", "us-east-1", SG_ERR_INVAL},
		{"space in name", bad_name, "/", "20150830T123600Z", "us-east-1", SG_ERR_INVAL},
		{"relative path", ok, "x", "20150830T123600Z", "us-east-1", SG_ERR_INVAL},
		{"bad date", ok, "/", "2015-08-30", "us-east-1", SG_ERR_INVAL},
		{"slash in region", ok, "/", "20150830T123600Z", "us/east", SG_ERR_INVAL},
		{"fine", ok, "/", "20150830T123600Z", "us-east-1", SG_OK},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct aws_sigv4_request req = {.method = "GET", .path = rows[i].path,
		                                .headers = rows[i].h, .nheaders = rows[i].h == ok ? 2 : 1,
		                                .payload_sha256 = hash};
		struct aws_sigv4_signer s = {.access_key_id = "AKID", .secret_access_key = "S",
		                             .region = rows[i].region, .service = "ec2",
		                             .amz_date = rows[i].date};
		char auth[AWS_SIGV4_AUTH_MAX];
		CHECKF(aws_sigv4_authorization(&s, &req, auth, sizeof auth) == rows[i].want, "%s",
		       rows[i].label);
	}
	/* Too small an output buffer is a range error, not a truncated header. */
	struct aws_sigv4_request req = {.method = "GET", .path = "/", .headers = ok, .nheaders = 2,
	                                .payload_sha256 = hash};
	struct aws_sigv4_signer s = {.access_key_id = "AKID", .secret_access_key = "S",
	                             .region = "us-east-1", .service = "ec2",
	                             .amz_date = "20150830T123600Z"};
	char small[40];
	CHECK_INT(aws_sigv4_authorization(&s, &req, small, sizeof small), SG_ERR_RANGE);
	CHECK_STR(small, "");
}

TEST(amz_date)
{
	char d[17];
	CHECK_INT(aws_amz_date(1440938160, d), SG_OK);
	CHECK_STR(d, "20150830T123600Z");
	CHECK_INT(aws_amz_date(-1, d), SG_ERR_RANGE);
}

TEST_MAIN(vectors, canonical_request_text, refusals, amz_date)
