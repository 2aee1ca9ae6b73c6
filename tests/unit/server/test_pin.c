/* test_pin.c — the judged address set, CURLOPT_RESOLVE pin lines and the
 * judged-set cache (src/server/pin.h): table-driven. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "server/pin.h"
#include "ssrfguard/guard.h"
#include "test.h"

static pin_sa sa_of(const char *txt, uint16_t port)
{
	pin_sa a;
	memset(&a, 0, sizeof a);
	if (inet_pton(AF_INET, txt, &a.in4.sin_addr) == 1) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(port);
	} else if (inet_pton(AF_INET6, txt, &a.in6.sin6_addr) == 1) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
	}
	return a;
}

static socklen_t len_of(const pin_sa *a)
{
	return a->sa.sa_family == AF_INET ? sizeof a->in4 : sizeof a->in6;
}

static void fill(pin_set *set, const char *const *addrs)
{
	set->n = 0;
	for (size_t i = 0; addrs[i]; i++) {
		pin_sa a = sa_of(addrs[i], 80);
		pin_set_add(set, &a.sa, len_of(&a));
	}
}

TEST(set_add_has)
{
	pin_set set = {0};
	pin_sa v4 = sa_of("203.0.113.10", 80), v4b = sa_of("203.0.113.10", 443);
	pin_sa v6 = sa_of("2001:db8::10", 80), mapped = sa_of("::ffff:203.0.113.10", 80);
	CHECK_INT(pin_set_add(&set, &v4.sa, len_of(&v4)), 0);
	CHECK_INT(pin_set_add(&set, &v4b.sa, len_of(&v4b)), 1); /* port ignored */
	CHECK_INT(pin_set_add(&set, &v6.sa, len_of(&v6)), 0);
	CHECK_INT((int)set.n, 2);
	CHECK(pin_set_has(&set, &v4b.sa, len_of(&v4b)));
	CHECK(pin_set_has(&set, &v6.sa, len_of(&v6)));
	CHECK(!pin_set_has(&set, &mapped.sa, len_of(&mapped))); /* dialled as given */
	pin_sa other = sa_of("169.254.169.254", 80);
	CHECK(!pin_set_has(&set, &other.sa, len_of(&other)));
	CHECK(!pin_set_has(&set, &v4.sa, 4)); /* short length never matches */
	struct sockaddr un = {.sa_family = AF_UNIX};
	CHECK_INT(pin_set_add(&set, &un, sizeof un), -1);
	CHECK_INT(pin_set_add(&set, &v6.sa, 8), -1);
	/* full: PIN_ADDRS distinct addresses, then -1 */
	pin_set full = {0};
	char t[32];
	for (int i = 0; i < PIN_ADDRS; i++) {
		snprintf(t, sizeof t, "203.0.113.%d", i + 1);
		pin_sa a = sa_of(t, 80);
		CHECK_INT(pin_set_add(&full, &a.sa, len_of(&a)), 0);
	}
	CHECK_INT(pin_set_add(&full, &other.sa, len_of(&other)), -1);
	pin_sa again = sa_of("203.0.113.1", 1);
	CHECK_INT(pin_set_add(&full, &again.sa, len_of(&again)), 1); /* known beats full */
}

TEST(lines)
{
	static const struct {
		const char *host;
		unsigned port;
		const char *addrs[4];
		const char *want; /* NULL: refused */
	} rows[] = {
		{"pair.test", 80, {"203.0.113.10", "203.0.113.11", "2001:db8::10"},
		 "+pair.test:80:203.0.113.10,203.0.113.11,[2001:db8::10]"},
		{"xn--bcher-kva.example", 443, {"198.51.100.10"}, "+xn--bcher-kva.example:443:198.51.100.10"},
		{"v6.test", 8080, {"::ffff:169.254.169.254"}, "+v6.test:8080:[::ffff:169.254.169.254]"},
		{"empty.test", 80, {NULL}, NULL},
		{"", 80, {"203.0.113.10"}, NULL},
		{"a:b", 80, {"203.0.113.10"}, NULL},    /* would split the pin */
		{"a,b", 80, {"203.0.113.10"}, NULL},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		pin_set set;
		char out[256];
		fill(&set, rows[i].addrs);
		int n = pin_line(out, sizeof out, rows[i].host, rows[i].port, &set);
		if (rows[i].want)
			CHECKF(n == (int)strlen(rows[i].want) && !strcmp(out, rows[i].want),
			       "row %zu: %d %s", i, n, n > 0 ? out : "");
		else
			CHECKF(n == -1, "row %zu: %d", i, n);
	}
	pin_set set;
	const char *one[] = {"203.0.113.10", NULL};
	fill(&set, one);
	char small[12];
	CHECK_INT(pin_line(small, sizeof small, "public.test", 80, &set), -1); /* does not fit */
	char out[64];
	CHECK_INT(pin_unline(out, sizeof out, "public.test", 80), 15);
	CHECK_STR(out, "-public.test:80");
	CHECK_INT(pin_unline(out, sizeof out, "a:b", 80), -1);
	CHECK_INT(pin_unline(small, 5, "public.test", 80), -1);
}

TEST(token)
{
	pin_set a, a2, b, ab, ba, v6;
	const char *aa[] = {"203.0.113.10", NULL}, *bb[] = {"203.0.113.11", NULL};
	const char *abv[] = {"203.0.113.10", "203.0.113.11", NULL};
	const char *bav[] = {"203.0.113.11", "203.0.113.10", NULL};
	const char *v6v[] = {"::ffff:203.0.113.10", NULL};
	char ta[PIN_TOKEN_SIZE], ta2[PIN_TOKEN_SIZE], tb[PIN_TOKEN_SIZE], tab[PIN_TOKEN_SIZE],
	     tba[PIN_TOKEN_SIZE], t6[PIN_TOKEN_SIZE];
	fill(&a, aa);
	fill(&a2, aa);
	fill(&b, bb);
	fill(&ab, abv);
	fill(&ba, bav);
	fill(&v6, v6v);
	CHECK_INT(pin_token(ta, sizeof ta, &a), 0);
	CHECK_INT(pin_token(ta2, sizeof ta2, &a2), 0);
	CHECK_INT(pin_token(tb, sizeof tb, &b), 0);
	CHECK_INT(pin_token(tab, sizeof tab, &ab), 0);
	CHECK_INT(pin_token(tba, sizeof tba, &ba), 0);
	CHECK_INT(pin_token(t6, sizeof t6, &v6), 0);
	CHECK(strlen(ta) == PIN_TOKEN_SIZE - 1 && !strncmp(ta, "sgpin-", 6) &&
	      strspn(ta + 6, "0123456789abcdef") == 32);
	CHECK_STR(ta, ta2);                  /* the same set, the same name */
	CHECK(strcmp(ta, tb) != 0);          /* another answer, another name */
	CHECK(strcmp(ta, tab) != 0 && strcmp(tab, tba) != 0);
	CHECK(strcmp(ta, t6) != 0);          /* a mapped address is not its IPv4 */
	char line[256];                      /* and it is a name a pin accepts */
	CHECK(pin_line(line, sizeof line, ta, 80, &a) > 0);
	pin_set none = {0};
	CHECK_INT(pin_token(ta, sizeof ta, &none), -1);
	CHECK_INT(pin_token(ta, PIN_TOKEN_SIZE - 1, &a), -1);
}

TEST(cache)
{
	dnsc *c = dnsc_new(4);
	pin_set a, b, got;
	const char *aa[] = {"203.0.113.10", "2001:db8::10", NULL};
	const char *bb[] = {"203.0.113.11", NULL};
	fill(&a, aa);
	fill(&b, bb);
	CHECK(c != NULL);
	CHECK(!dnsc_get(c, "a.test", 0, &got));
	dnsc_put(c, "a.test", &a, 1000);
	CHECK(dnsc_get(c, "a.test", 999, &got) && got.n == 2 && !memcmp(&got, &a, sizeof a));
	CHECK(!dnsc_get(c, "a.test", 1000, &got));   /* expired */
	CHECK(!dnsc_get(c, "A.test", 0, &got));      /* exact, normalised names only */
	dnsc_put(c, "a.test", &b, 2000);             /* a new judgement replaces */
	CHECK(dnsc_get(c, "a.test", 1500, &got) && got.n == 1);
	pin_set none = {0};
	dnsc_put(c, "b.test", &none, 5000);           /* empty sets are never cached */
	CHECK(!dnsc_get(c, "b.test", 0, &got));
	char longname[SG_HOST_MAX + 8];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	dnsc_put(c, longname, &a, 5000);             /* too long: ignored */
	CHECK(!dnsc_get(c, longname, 0, &got));
	/* many names in few slots: every hit is the right name's set */
	for (int i = 0; i < 50; i++) {
		char n[32];
		snprintf(n, sizeof n, "n%d.test", i);
		dnsc_put(c, n, i % 2 ? &a : &b, 10000);
	}
	int hits = 0;
	for (int i = 0; i < 50; i++) {
		char n[32];
		snprintf(n, sizeof n, "n%d.test", i);
		if (dnsc_get(c, n, 0, &got)) {
			hits++;
			CHECKF(got.n == (i % 2 ? 2u : 1u), "n%d", i);
		}
	}
	CHECK(hits >= 1 && hits <= 4);
	dnsc_free(c);
	dnsc_free(NULL);
	CHECK(dnsc_new(0) == NULL);
}

TEST_MAIN(set_add_has, lines, token, cache)
