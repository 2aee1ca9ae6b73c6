/* test_roles.c — the roles file and role verdicts (lib/proxy/roles.h), and
 * the PROXY protocol header (lib/proxy/ppheader.h). */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxy/ppheader.h"
#include "proxy/roles.h"

static const char roles_file[] =
	"# roles\n"
	"[global]\n"
	"deny = *.corp.example\n"
	"allow = status.example.org\n"
	"role_header = X-Role\n"
	"message = ask #egress\n"
	"[role ci]\n"
	"mode = enforce\n"
	"allow = *.github.com, registry.npmjs.org\n"
	"deny = gist.github.com\n"
	"rule = allow 10.20.0.0/16\n"
	"ports = 443, 22\n"
	/* sha256("pw") */
	"users = bot:30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4, anon\n"
	"[role watch]\n"
	"mode = report\n"
	"uids = 1001\n"
	"certs = Watch.Example.Internal\n"
	"[ role open1 ]\n"
	"mode = open\n";

TEST(parse_and_judge)
{
	px_roles rs;
	char err[200], why[160];
	memset(&rs, 0, sizeof rs);
	CHECKF(px_roles_parse(&rs, roles_file, sizeof roles_file - 1, err, sizeof err) == SG_OK,
	       "%s", err);
	CHECK_INT(rs.n, 3);
	CHECK_STR(rs.role_header, "X-Role");
	const px_role *ci = px_roles_find(&rs, "ci"), *w = px_roles_find(&rs, "watch"),
	              *o = px_roles_find(&rs, "open1");
	CHECK(ci && w && o);
	if (!ci || !w || !o)
		return;
	CHECK_INT(ci->rules.n, 1);
	CHECK(px_role_port_ok(ci, 22) && !px_role_port_ok(ci, 80));
	CHECK(px_role_port_ok(w, 80) && px_role_port_ok(w, 443) && !px_role_port_ok(w, 8080));
	int bad = 0;
	CHECK(px_roles_by_user(&rs, "bot", "pw", &bad) == ci && !bad);
	CHECK(px_roles_by_user(&rs, "bot", "nope", &bad) == NULL && bad);
	CHECK(px_roles_by_user(&rs, "anon", "whatever", &bad) == ci);
	CHECK(px_roles_by_user(&rs, "bo", "pw", &bad) == NULL && !bad);
	CHECK(px_roles_by_uid(&rs, 1001) == w && px_roles_by_uid(&rs, 0) == NULL);
	const char *names[] = {"nobody", "WATCH.example.internal"};
	CHECK(px_roles_by_cert(&rs, names, 2) == w);
	CHECK(px_roles_by_cert(&rs, names, 1) == NULL);
	CHECK_INT(px_roles_judge(&rs, ci, "api.github.com", 443, why, sizeof why), PX_ACL_ALLOW);
	CHECK_INT(px_roles_judge(&rs, ci, "github.com", 443, why, sizeof why), PX_ACL_DENY);
	CHECK_INT(px_roles_judge(&rs, ci, "gist.github.com", 443, why, sizeof why), PX_ACL_DENY);
	CHECK(strstr(why, "deny gist.github.com") != NULL);
	CHECK_INT(px_roles_judge(&rs, ci, "status.example.org", 443, why, sizeof why), PX_ACL_ALLOW);
	CHECK_INT(px_roles_judge(&rs, w, "anything.test", 443, why, sizeof why), PX_ACL_REPORT);
	CHECK_INT(px_roles_judge(&rs, o, "anything.test", 443, why, sizeof why), PX_ACL_ALLOW);
	CHECK_INT(px_roles_judge(&rs, o, "db.corp.example", 443, why, sizeof why), PX_ACL_DENY);
	CHECK_INT(px_roles_judge(&rs, w, "db.corp.example", 443, why, sizeof why), PX_ACL_DENY);
	px_roles_free(&rs);
}

/* Destination entries: names, suffixes, addresses and ranges, with ports. */
TEST(destinations)
{
	static const char file[] =
		"[global]\n"
		"deny = 10.20.9.0/24, *.corp.example:25\n"
		"[role db]\n"
		"mode = enforce\n"
		"allow = 10.20.0.0/16:5432, api.example.com:8443, *.Svc.Example, 203.0.113.10\n"
		"allow = [2001:db8::/32]:443, 2001:db8:1::5, [2001:db8:2::7]\n"
		"deny = 10.20.1.1\n";
	static const struct {
		const char *host;
		unsigned port;
		px_acl want;
	} rows[] = {
		{"10.20.3.4", 5432, PX_ACL_ALLOW},   /* in the range, on its port */
		{"10.20.3.4", 5433, PX_ACL_DENY},    /* another port */
		{"10.21.0.1", 5432, PX_ACL_DENY},    /* outside the range */
		{"10.20.9.9", 5432, PX_ACL_DENY},    /* the global deny range first */
		{"10.20.1.1", 5432, PX_ACL_DENY},    /* the role's deny address */
		{"api.example.com", 8443, PX_ACL_ALLOW},
		{"api.example.com", 443, PX_ACL_DENY},
		{"a.svc.example", 80, PX_ACL_ALLOW}, /* any port, written in upper case */
		{"svc.example", 80, PX_ACL_DENY},
		{"203.0.113.10", 80, PX_ACL_ALLOW},  /* an address: every port */
		{"203.0.113.11", 80, PX_ACL_DENY},
		{"2001:db8:5::1", 443, PX_ACL_ALLOW},
		{"[2001:db8:5::1]", 443, PX_ACL_ALLOW}, /* bracketed as in a URL */
		{"2001:db8:5::1", 80, PX_ACL_DENY},
		{"2001:db8:1:0::5", 80, PX_ACL_ALLOW},  /* an address matches any spelling */
		{"2001:db8:2::7", 22, PX_ACL_ALLOW},
		{"mail.corp.example", 25, PX_ACL_DENY},
		{"10.20.3.4.example", 5432, PX_ACL_DENY}, /* a name is no address */
	};
	px_roles rs;
	char err[200], why[160];
	memset(&rs, 0, sizeof rs);
	CHECKF(px_roles_parse(&rs, file, sizeof file - 1, err, sizeof err) == SG_OK, "%s", err);
	const px_role *db = px_roles_find(&rs, "db");
	CHECK(db != NULL);
	for (size_t i = 0; db && i < sizeof rows / sizeof rows[0]; i++) {
		px_acl got = px_roles_judge(&rs, db, rows[i].host, rows[i].port, why, sizeof why);
		CHECKF(got == rows[i].want, "%s port %u: %d (%s)", rows[i].host, rows[i].port, (int)got,
		       why);
	}
	CHECK_INT(px_roles_judge(&rs, db, "10.20.9.9", 5432, why, sizeof why), PX_ACL_DENY);
	CHECK(strstr(why, "global deny 10.20.9.0/24") != NULL);
	px_roles_free(&rs);
	static const char *const bad[] = {
		"allow = api.example.com:0\n", "allow = api.example.com:65536\n",
		"allow = api.example.com:http\n", "allow = 10.0.0.0/33\n", "allow = 10.0.0.0/\n",
		"allow = 2001:db8::/129\n", "allow = [2001:db8::1\n", "allow = [10.0.0.1]:80\n",
		"allow = [2001:db8::1]80\n", "allow = fe80::1%eth0\n", "allow = a*.example\n",
		"allow = *example\n", "allow = user@host\n", "allow = name/path\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "[role x]\n%s", bad[i]);
		memset(&rs, 0, sizeof rs);
		CHECKF(px_roles_parse(&rs, text, strlen(text), err, sizeof err) != SG_OK,
		       "accepted: %s", bad[i]);
		px_roles_free(&rs);
	}
}

TEST(parse_errors)
{
	static const char *bad[] = {
		"mode = open\n",                 /* before a section */
		"[role]\n",                      /* no name */
		"[role a b]\n",                  /* bad name */
		"[role a]\nmode = strict\n",
		"[role a]\nports = 0\n",
		"[role a]\nports = 70000\n",
		"[role a]\nuids = -1\n",
		"[role a]\nallow = a*b\n",
		"[role a]\nallow = a/b\n",
		"[role a]\nusers = u:abc\n",
		"[role a]\ncolour = red\n",
		"[global]\nrole_header = a b\n",
		"[role a]\n[role a]\n",
		"[role a]\nallow\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		px_roles rs;
		char err[200] = "";
		memset(&rs, 0, sizeof rs);
		CHECKF(px_roles_parse(&rs, bad[i], strlen(bad[i]), err, sizeof err) != SG_OK,
		       "row %zu accepted", i);
		CHECKF(strncmp(err, "line ", 5) == 0, "row %zu: error names the line: %s", i, err);
		px_roles_free(&rs);
	}
}

TEST(proxy_protocol)
{
	struct sockaddr_storage ss;
	int local;
	size_t used;
	const char *why;
	const char v1[] = "PROXY TCP4 198.51.100.7 10.0.0.1 40000 3128\r\nGET";
	CHECK_INT(px_pp_parse((const unsigned char *)v1, sizeof v1 - 1, &ss, &local, &used, &why), PX_OK);
	CHECK(!local && used == sizeof v1 - 4 && ss.ss_family == AF_INET);
	char t[64];
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, t, sizeof t);
	CHECK_STR(t, "198.51.100.7");
	const char v16[] = "PROXY TCP6 2001:db8::7 ::1 1 2\r\n";
	CHECK_INT(px_pp_parse((const unsigned char *)v16, sizeof v16 - 1, &ss, &local, &used, &why), PX_OK);
	CHECK(ss.ss_family == AF_INET6);
	const char unk[] = "PROXY UNKNOWN\r\n";
	CHECK_INT(px_pp_parse((const unsigned char *)unk, sizeof unk - 1, &ss, &local, &used, &why), PX_OK);
	CHECK(local);
	CHECK_INT(px_pp_parse((const unsigned char *)"PROXY TCP4 1.2.3", 16, &ss, &local, &used, &why),
	          PX_MORE);
	static const char *bad1[] = {"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
	                             "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
	                             "GET / HTTP/1.1\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 70000\r\n"};
	for (size_t i = 0; i < sizeof bad1 / sizeof bad1[0]; i++)
		CHECKF(px_pp_parse((const unsigned char *)bad1[i], strlen(bad1[i]), &ss, &local, &used,
		                   &why) == PX_BAD, "%s", bad1[i]);
	unsigned char v2[28] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
	                        0x21, 0x11, 0x00, 0x0c, 198, 51, 100, 8, 10, 0, 0, 1, 0x9c, 0x40, 0x0c, 0x38};
	CHECK_INT(px_pp_parse(v2, sizeof v2, &ss, &local, &used, &why), PX_OK);
	CHECK(!local && used == 28 && ntohs(((struct sockaddr_in *)&ss)->sin_port) == 40000);
	CHECK_INT(px_pp_parse(v2, 20, &ss, &local, &used, &why), PX_MORE);
	v2[13] = 0x12; /* UDP */
	CHECK_INT(px_pp_parse(v2, sizeof v2, &ss, &local, &used, &why), PX_BAD);
	v2[12] = 0x20; /* LOCAL */
	CHECK_INT(px_pp_parse(v2, sizeof v2, &ss, &local, &used, &why), PX_OK);
	CHECK(local);
}

TEST_MAIN(parse_and_judge, destinations, parse_errors, proxy_protocol)
