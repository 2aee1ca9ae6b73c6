/* test_listen.c — the one listening-address parser (lib/common/listen.h). */
#include <stdio.h>
#include <string.h>

#include "common/listen.h"
#include "test.h"

static const struct {
	const char *spec;
	unsigned flags;
	sg_err want;
	const char *host, *port, *path, *why; /* why: a word of the error */
	bool v6;
} rows[] = {
	{.spec = "127.0.0.1:8080", .flags = 0, .want = SG_OK, .host = "127.0.0.1", .port = "8080"},
	{.spec = "localhost:1", .flags = 0, .want = SG_OK, .host = "localhost", .port = "1"},
	{.spec = "my-host.example_1:65535", .flags = 0,
	 .want = SG_OK, .host = "my-host.example_1", .port = "65535"},
	{.spec = "[::1]:8443", .flags = 0,
	 .want = SG_OK, .host = "::1", .port = "8443", .v6 = true},
	{.spec = "[::]:0", .flags = SG_LISTEN_PORT0,
	 .want = SG_OK, .host = "::", .port = "0", .v6 = true},
	{.spec = "[fe80::1%eth0]:80", .flags = 0,
	 .want = SG_OK, .host = "fe80::1%eth0", .port = "80", .v6 = true},
	{.spec = "[::ffff:127.0.0.1]:80", .flags = 0,
	 .want = SG_OK, .host = "::ffff:127.0.0.1", .port = "80", .v6 = true},
	{.spec = "0.0.0.0:0", .flags = SG_LISTEN_PORT0,
	 .want = SG_OK, .host = "0.0.0.0", .port = "0"},
	{.spec = "unix:/run/ssrfguard/proxy.sock", .flags = SG_LISTEN_UNIX,
	 .want = SG_OK, .path = "/run/ssrfguard/proxy.sock"},
	/* refusals */
	{.spec = "127.0.0.1:0", .flags = 0, .want = SG_ERR_PARSE, .why = "1 to 65535"},
	{.spec = "127.0.0.1:65536", .flags = SG_LISTEN_PORT0,
	 .want = SG_ERR_PARSE, .why = "0 to 65535"},
	{.spec = "127.0.0.1:080", .flags = 0, .want = SG_ERR_PARSE, .why = "port"},
	{.spec = "127.0.0.1:+80", .flags = 0, .want = SG_ERR_PARSE, .why = "port"},
	{.spec = "127.0.0.1: 80", .flags = 0, .want = SG_ERR_PARSE, .why = "port"},
	{.spec = "127.0.0.1:", .flags = 0, .want = SG_ERR_PARSE, .why = "port"},
	{.spec = "127.0.0.1", .flags = 0, .want = SG_ERR_PARSE, .why = "want HOST:PORT"},
	{.spec = "", .flags = 0, .want = SG_ERR_PARSE, .why = "want"},
	{.spec = ":8080", .flags = 0, .want = SG_ERR_PARSE, .why = "no host"},
	{.spec = "[]:80", .flags = 0, .want = SG_ERR_PARSE, .why = "want"},
	{.spec = "[::1:80", .flags = 0, .want = SG_ERR_PARSE, .why = "want"},
	{.spec = "::1:80", .flags = 0, .want = SG_ERR_PARSE, .why = "brackets"},
	{.spec = "a b:80", .flags = 0, .want = SG_ERR_PARSE, .why = "cannot be in a host"},
	{.spec = "evil\r\nhost:80", .flags = 0, .want = SG_ERR_PARSE, .why = "cannot be in a host"},
	{.spec = "user@host:80", .flags = 0, .want = SG_ERR_PARSE, .why = "cannot be in a host"},
	{.spec = "[::1]/x:80", .flags = 0, .want = SG_ERR_PARSE, .why = "want"},
	{.spec = "unix:/x", .flags = 0, .want = SG_ERR_PARSE, .why = "not possible here"},
	{.spec = "unix:", .flags = SG_LISTEN_UNIX, .want = SG_ERR_PARSE, .why = "1 to 107"},
	{.spec = "unix:/a\nb", .flags = SG_LISTEN_UNIX, .want = SG_ERR_PARSE, .why = "control"},
};

TEST(parse)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		sg_listen l;
		char err[200] = "";
		sg_err got = sg_listen_parse(rows[i].spec, rows[i].flags, &l, err, sizeof err);
		CHECKF(got == rows[i].want, "row %zu '%s': %d (%s)", i, rows[i].spec, got, err);
		if (got != SG_OK || rows[i].want != SG_OK) {
			CHECKF(!rows[i].why || strstr(err, rows[i].why), "row %zu: %s", i, err);
			continue;
		}
		CHECKF(l.is_unix == (rows[i].path != NULL), "row %zu", i);
		CHECKF(l.v6 == rows[i].v6, "row %zu", i);
		if (rows[i].path)
			CHECKF(!strcmp(l.path, rows[i].path), "row %zu: %s", i, l.path);
		else
			CHECKF(!strcmp(l.host, rows[i].host) && !strcmp(l.port, rows[i].port),
			       "row %zu: '%s' '%s'", i, l.host, l.port);
	}
}

#define A10 "aaaaaaaaaa"
#define A100 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10
#define A400 A100 A100 A100 A100

TEST(long_parts)
{
	char spec[400], err[200];
	sg_listen l;
	snprintf(spec, sizeof spec, "%.253s:80", A400);
	CHECK(sg_listen_parse(spec, 0, &l, err, sizeof err) == SG_OK);
	snprintf(spec, sizeof spec, "%.254s:80", A400);
	CHECK(sg_listen_parse(spec, 0, &l, err, sizeof err) == SG_ERR_PARSE);
	CHECK(strlen(err) < 100); /* the spec is quoted at most 64 bytes */
	snprintf(spec, sizeof spec, "unix:%.107s", A400);
	CHECK(sg_listen_parse(spec, SG_LISTEN_UNIX, &l, err, sizeof err) == SG_OK);
	snprintf(spec, sizeof spec, "unix:%.108s", A400);
	CHECK(sg_listen_parse(spec, SG_LISTEN_UNIX, &l, err, sizeof err) == SG_ERR_PARSE);
	CHECK(sg_listen_parse(NULL, 0, &l, err, sizeof err) == SG_ERR_PARSE);
}

TEST_MAIN(parse, long_parts)
