/* test_policy.c — policy rules: syntax, errors, matching (lib/guard/policy.c, policy_match.c). */
#include "guard/policy.h"
#include "test.h"

static const struct {
	const char *rule;
	int ok;
	const char *err_has; /* a phrase the error must contain */
} syntax[] = {
	{"allow 203.0.113.0/24", 1, NULL},
	{"deny 10.1.2.0/24", 1, NULL},
	{"  deny   10.1.2.3  ", 1, NULL},
	{"deny 10.1.2.3:8080", 1, NULL},
	{"deny [2001:db8::1]:8080", 1, NULL},
	{"allow [2001:db8::1]", 1, NULL},
	{"allow 2001:db8::/32", 1, NULL},
	{"allow example.com", 1, NULL},
	{"allow *.example.com", 1, NULL},
	{"deny example.com:8443", 1, NULL},
	{"allow b\xc3\xbc" "cher.de", 1, NULL},
	{"scheme ftp", 1, NULL},
	{"scheme HTTP", 1, NULL},
	{"allow 0.0.0.0/0", 1, NULL},
	{"allow ::/0", 1, NULL},
	{"allow", 0, "expected"},
	{"permit 10.0.0.0/8", 0, "unknown keyword"},
	{"deny 10.0.0.0/33", 0, "above 32"},
	{"deny 10.0.0.1/8", 0, "bits set"},
	{"deny 10.0.0.0/x", 0, "prefix length"},
	{"deny 10.1/16", 0, "prefix length needs"},
	{"deny 2130706433", 0, "dotted quad"},
	{"deny [::1", 0, "missing ']'"},
	{"deny [::1]8080", 0, "':PORT'"},
	{"deny [::1]:0", 0, "invalid port"},
	{"deny example.com:99999", 0, "invalid port"},
	{"deny example.com:", 0, "invalid port"},
	{"deny a b", 0, "one target"},
	{"deny *", 0, "invalid host"},
	{"deny ex*ample.com", 0, "invalid host"},
	{"deny user@example.com", 0, "invalid host"},
	{"deny exa$mple.com", 0, "invalid character"},
	{"scheme 1http", 0, "invalid scheme"},
	{"scheme averyveryverylongscheme", 0, "1-15"},
	{"deny 1:2:3:4:5:6:7:8:9", 0, "IPv6"},
	/* Addresses written wrong are errors, not host names (issue 17). */
	{"allow 300.1.1.1", 0, "neither an IP address"},
	{"allow 10.0.0.256", 0, "neither an IP address"},
	{"deny 1.2.3.4.5", 0, "neither an IP address"},
	{"deny 1.2.3.4.5:8080", 0, "neither an IP address"},
	{"deny 10.0.0.256.", 0, "neither an IP address"},
	{"allow example.0x1f", 0, "neither an IP address"},
	{"allow 1.2.3.4.example", 1, NULL},
	{"allow 0x1f.example", 1, NULL},
	{"allow 1e100.net", 1, NULL},
};

TEST(syntax_table)
{
	for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
		sg_policy *p = NULL;
		CHECK(sg_policy_new(&p) == SG_OK);
		char err[128] = "x";
		sg_err e = sg_policy_add(p, syntax[i].rule, strlen(syntax[i].rule), err, sizeof err);
		if (syntax[i].ok) {
			CHECKF(e == SG_OK, "'%s': %s", syntax[i].rule, err);
			CHECKF(err[0] == '\0', "'%s': error text left", syntax[i].rule);
		} else {
			CHECKF(e == SG_ERR_PARSE, "'%s': accepted", syntax[i].rule);
			CHECKF(strstr(err, syntax[i].err_has) != NULL, "'%s': error '%s'", syntax[i].rule, err);
		}
		sg_policy_free(p);
	}
}

static sg_ip ip_of(const char *s)
{
	sg_ip ip = {0};
	sg_ip_parse(s, strlen(s), &ip);
	return ip;
}

/* A copy judges as its source did, and rules added to it stay its own. */
TEST(copy)
{
	sg_policy *p = NULL, *c = NULL, *e = NULL;
	char err[128];
	sg_ip a = ip_of("203.0.113.10"), b = ip_of("198.51.100.7");
	CHECK(sg_policy_new(&p) == SG_OK);
	CHECK(sg_policy_add(p, "allow 203.0.113.0/24", 20, err, sizeof err) == SG_OK);
	CHECK(sg_policy_add(p, "scheme ftp", 10, err, sizeof err) == SG_OK);
	CHECK(sg_policy_copy(p, &c) == SG_OK && c != NULL);
	CHECK(sg_policy_match_ip(c, 0, &a, 80, NULL) != NULL);
	CHECK(sg_policy_scheme_ok(c, "ftp", 3));
	CHECK(sg_policy_add(c, "deny 198.51.100.7", 17, err, sizeof err) == SG_OK);
	CHECK(sg_policy_match_ip(c, 1, &b, 80, NULL) != NULL);
	CHECK(sg_policy_match_ip(p, 1, &b, 80, NULL) == NULL); /* the source unchanged */
	CHECK_INT(p->nrules, 1);
	CHECK_INT(c->nrules, 2);
	sg_policy_free(p); /* the copy owns its rules */
	CHECK(sg_policy_match_ip(c, 0, &a, 80, NULL) != NULL);
	sg_policy_free(c);
	CHECK(sg_policy_new(&p) == SG_OK); /* no rules: nothing to copy but settings */
	CHECK(sg_policy_copy(p, &e) == SG_OK && e->nrules == 0);
	CHECK(sg_policy_add(e, "deny 198.51.100.7", 17, err, sizeof err) == SG_OK);
	CHECK(sg_policy_copy(NULL, &c) == SG_ERR_INVAL && c == NULL);
	sg_policy_free(e);
	sg_policy_free(p);
}

TEST(matching)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	static const char file[] =
		"# test policy\n"
		"allow 203.0.113.0/24   # the tests' internet\n"
		"\n"
		"deny 203.0.113.7\n"
		"deny 203.0.113.8:25\n"
		"allow *.corp.example\n"
		"deny bad.corp.example\n"
		"allow [2001:db8::1]:443\n";
	char err[128];
	CHECK(sg_policy_parse(p, file, sizeof file - 1, err, sizeof err) == SG_OK);
	CHECK_INT(p->nrules, 6);

	const struct {
		const char *addr;
		uint16_t port;
		int deny;
		const char *want; /* rule text or NULL */
		int exact;
	} rows[] = {
		{"203.0.113.10", 80, 0, "policy:allow 203.0.113.0/24", 0},
		{"203.0.113.7", 80, 1, "policy:deny 203.0.113.7", 1},
		{"203.0.113.8", 25, 1, "policy:deny 203.0.113.8:25", 1},
		{"203.0.113.8", 80, 1, NULL, 0},
		{"203.0.114.1", 80, 0, NULL, 0},
		{"2001:db8::1", 443, 0, "policy:allow [2001:db8::1]:443", 1},
		{"2001:db8::1", 80, 0, NULL, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		sg_ip ip = ip_of(rows[i].addr);
		int exact = -1;
		const sg_rule *r = sg_policy_match_ip(p, rows[i].deny, &ip, rows[i].port, &exact);
		if (!rows[i].want) {
			CHECKF(r == NULL, "%s:%u matched %s", rows[i].addr, rows[i].port, r ? r->text : "");
			continue;
		}
		CHECKF(r && !strcmp(r->text, rows[i].want) && exact == rows[i].exact,
		       "%s:%u got %s exact=%d", rows[i].addr, rows[i].port, r ? r->text : "(none)", exact);
	}
	int exact = -1;
	const sg_rule *r = sg_policy_match_name(p, 0, "a.corp.example", 14, 80, &exact);
	CHECK(r && exact == 0);
	CHECK(sg_policy_match_name(p, 0, "corp.example", 12, 80, NULL) == NULL); /* not the apex */
	CHECK(sg_policy_match_name(p, 0, "xcorp.example", 13, 80, NULL) == NULL);
	r = sg_policy_match_name(p, 1, "bad.corp.example", 16, 80, &exact);
	CHECK(r && exact == 1);
	CHECK(sg_policy_scheme_ok(p, "https", 5));
	CHECK(!sg_policy_scheme_ok(p, "ftp", 3));
	sg_policy_free(p);
}

TEST(file_errors_name_the_line)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	static const char file[] = "allow 203.0.113.0/24\n# fine\ndeny 10.0.0.0/99\nallow 8.8.8.8\n";
	char err[128];
	CHECK(sg_policy_parse(p, file, sizeof file - 1, err, sizeof err) == SG_ERR_PARSE);
	CHECKF(strstr(err, "line 3") != NULL, "%s", err);
	CHECK_INT(p->nrules, 1); /* rules before the bad line stay */
	/* A NUL inside a file is an error, not a silent end. */
	CHECK(sg_policy_parse(p, "deny 1.2.3.4\0x\n", 15, err, sizeof err) == SG_ERR_PARSE);
	CHECK(sg_policy_parse(NULL, "", 0, err, sizeof err) == SG_ERR_INVAL);
	/* Rule text is canonical: no tabs or runs of spaces reach output columns. */
	CHECK(sg_policy_add(p, "deny\t \t10.9.0.0/16  ", 20, err, sizeof err) == SG_OK);
	CHECK_STR(p->rules[p->nrules - 1].text, "policy:deny 10.9.0.0/16");
	CHECK(sg_policy_new(NULL) == SG_ERR_INVAL);
	sg_policy_free(p);
	sg_policy_free(NULL);
}

/* A file saved with a UTF-8 byte-order mark reads as the same rules (issue 17). */
TEST(file_with_byte_order_mark)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	static const char file[] = "\xef\xbb\xbf" "allow 203.0.113.0/24\r\ndeny 203.0.113.7\r\n";
	char err[128] = "";
	CHECKF(sg_policy_parse(p, file, sizeof file - 1, err, sizeof err) == SG_OK, "%s", err);
	CHECK_INT(p->nrules, 2);
	CHECK_STR(p->rules[0].text, "policy:allow 203.0.113.0/24");
	/* Only at the very start: a BOM inside a line is still an error. */
	CHECK(sg_policy_parse(p, "deny 10.0.0.1\n\xef\xbb\xbf" "deny 10.0.0.2\n", 31, err,
	                      sizeof err) == SG_ERR_PARSE);
	CHECKF(strstr(err, "line 2") != NULL, "%s", err);
	sg_policy_free(p);
}

TEST_MAIN(syntax_table, matching, copy, file_errors_name_the_line, file_with_byte_order_mark)
