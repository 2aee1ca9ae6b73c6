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
	CHECK_INT(px_roles_judge(&rs, ci, "api.github.com", why, sizeof why), PX_ACL_ALLOW);
	CHECK_INT(px_roles_judge(&rs, ci, "github.com", why, sizeof why), PX_ACL_DENY);
	CHECK_INT(px_roles_judge(&rs, ci, "gist.github.com", why, sizeof why), PX_ACL_DENY);
	CHECK(strstr(why, "deny gist.github.com") != NULL);
	CHECK_INT(px_roles_judge(&rs, ci, "status.example.org", why, sizeof why), PX_ACL_ALLOW);
	CHECK_INT(px_roles_judge(&rs, w, "anything.test", why, sizeof why), PX_ACL_REPORT);
	CHECK_INT(px_roles_judge(&rs, o, "anything.test", why, sizeof why), PX_ACL_ALLOW);
	CHECK_INT(px_roles_judge(&rs, o, "db.corp.example", why, sizeof why), PX_ACL_DENY);
	CHECK_INT(px_roles_judge(&rs, w, "db.corp.example", why, sizeof why), PX_ACL_DENY);
	px_roles_free(&rs);
	CHECK(px_host_match("*", "x") && px_host_match("*.a.b", "c.a.b") &&
	      !px_host_match("*.a.b", "a.b") && !px_host_match("*.a.b", "xa.b"));
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

TEST_MAIN(parse_and_judge, parse_errors, proxy_protocol)
