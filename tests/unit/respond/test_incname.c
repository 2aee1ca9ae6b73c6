/* test_incname.c — incident names: the one reader of "N" / "INC-N" /
 * "INC-N-STORE" and the AWS key. */
#include "playbook/incname.h"
#include "test.h"

#define STORE "3f9a2c1b0d4e5f60"

static const struct {
	const char *text;
	bool allow_store;
	sg_err want;
	int64_t n;
	const char *store;
} cases[] = {
	{"7", false, SG_OK, 7, ""},
	{"INC-7", false, SG_OK, 7, ""},
	{"INC-4611686018427387904", false, SG_OK, INT64_C(4611686018427387904), ""},
	{"INC-4611686018427387905", false, SG_ERR_PARSE, 0, ""},
	{"99999999999999999999999", false, SG_ERR_PARSE, 0, ""},
	{"INC-7-" STORE, true, SG_OK, 7, STORE},
	{"INC-7-" STORE, false, SG_ERR_PARSE, 0, ""},   /* respond, incidents: their own store */
	{"7-" STORE, true, SG_ERR_PARSE, 0, ""},
	{"INC-7-3F9A2C1B0D4E5F60", true, SG_ERR_PARSE, 0, ""},
	{"INC-7-" STORE "0", true, SG_ERR_PARSE, 0, ""},
	{"INC-7-3f9a", true, SG_ERR_PARSE, 0, ""},
	{"INC-7-", true, SG_ERR_PARSE, 0, ""},
	{"0", false, SG_ERR_PARSE, 0, ""},
	{"INC-0", false, SG_ERR_PARSE, 0, ""},
	{"07", false, SG_OK, 7, ""},
	{"INC-0042", false, SG_OK, 42, ""},
	{"000", false, SG_ERR_PARSE, 0, ""},
	{"-7", false, SG_ERR_PARSE, 0, ""},
	{"+7", false, SG_ERR_PARSE, 0, ""},
	{" 7", false, SG_ERR_PARSE, 0, ""},
	{"7 ", false, SG_ERR_PARSE, 0, ""},
	{"inc-7", false, SG_ERR_PARSE, 0, ""},
	{"INC-", false, SG_ERR_PARSE, 0, ""},
	{"INC7", false, SG_ERR_PARSE, 0, ""},
	{"", false, SG_ERR_PARSE, 0, ""},
	{"12x", false, SG_ERR_PARSE, 0, ""},
};

TEST(parse_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pb_incident_ref r;
		char why[96] = "";
		sg_err got = pb_incident_id_parse(cases[i].text, strlen(cases[i].text), cases[i].allow_store,
		                                  &r, why, sizeof why);
		CHECKF(got == cases[i].want, "'%s': got %d (%s)", cases[i].text, got, why);
		CHECKF(r.n == cases[i].n && !strcmp(r.store, cases[i].store), "'%s': %lld '%s'",
		       cases[i].text, (long long)r.n, r.store);
		if (got)
			CHECKF(why[0], "'%s': no reason", cases[i].text);
	}
}

/* The length bounds the read: no NUL needed, nothing past len looked at. */
TEST(parse_reads_only_len)
{
	pb_incident_ref r;
	CHECK_INT(pb_incident_id_parse("INC-12zzz", 6, false, &r, NULL, 0), SG_OK);
	CHECK_INT(r.n, 12);
	CHECK_INT(pb_incident_id_parse(NULL, 0, true, &r, NULL, 0), SG_ERR_PARSE);
}

TEST(names_and_keys)
{
	char name[24], key[PB_INCIDENT_KEY_MAX];
	pb_incident_name(42, name, sizeof name);
	CHECK_STR(name, "INC-42");
	pb_incident_ref r = {.n = 42};
	pb_incident_key(&r, key, sizeof key);
	CHECK_STR(key, "INC-42"); /* an incident from before store identities */
	memcpy(r.store, STORE, sizeof r.store);
	pb_incident_key(&r, key, sizeof key);
	CHECK_STR(key, "INC-42-" STORE);
	r.n = PB_INCIDENT_ID_MAX;
	pb_incident_key(&r, key, sizeof key);
	CHECK(strlen(key) < sizeof key - 1);
	/* a key reads back as itself */
	pb_incident_ref back;
	CHECK_INT(pb_incident_id_parse(key, strlen(key), true, &back, NULL, 0), SG_OK);
	CHECK(back.n == r.n && !strcmp(back.store, STORE));
}

TEST(store_ids)
{
	CHECK(pb_store_id_ok(STORE));
	CHECK(!pb_store_id_ok(""));
	CHECK(!pb_store_id_ok(NULL));
	CHECK(!pb_store_id_ok("3f9a2c1b0d4e5f6"));
	CHECK(!pb_store_id_ok("3f9a2c1b0d4e5f600"));
	CHECK(!pb_store_id_ok("3f9a2c1b0d4e5g60"));
}

TEST_MAIN(parse_table, parse_reads_only_len, names_and_keys, store_ids)
