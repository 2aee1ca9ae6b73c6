/*
 * test_jsonload.c — sg_json_load_bounded (common/jsonload.h), the one
 * bounded JSON reader: size and depth caps before jansson, duplicate keys
 * refused with a message naming the key, an object at the top; and the
 * readers built on it (instance record, report, --listen delivery, AWS
 * replies) refuse a duplicate key the same way.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "aws/json.h"
#include "common/jsonload.h"
#include "playbook/instance.h"
#include "playbook/report.h"
#include "respond/listen.h"

static sg_err load(const char *s, size_t max, unsigned depth, char *msg, size_t msglen)
{
	json_t *j = NULL;
	sg_err err = sg_json_load_bounded(s, strlen(s), max, depth, "doc", &j, msg, msglen);
	CHECKF((err == SG_OK) == (j != NULL), "%s: out set on error", s);
	json_decref(j);
	return err;
}

TEST(accepts_an_object)
{
	char msg[200] = "x";
	CHECK_INT(load("{\"a\":[1,{\"b\":\"c\"}]}", 100, 0, msg, sizeof msg), SG_OK);
	CHECK_STR(msg, "");
}

TEST(refusals_say_why)
{
	static const struct {
		const char *in;
		size_t max;
		unsigned depth;
		sg_err want;
		const char *msg;
	} rows[] = {
		{"{\"a\":1,\"a\":2}", 100, 0, SG_ERR_PARSE, "doc: duplicate object key"},
		{"{\"o\":{\"k\":1,\"k\":1}}", 100, 0, SG_ERR_PARSE, "doc: duplicate object key"},
		{"{\"a\":1}", 6, 0, SG_ERR_RANGE, "doc larger than 6 bytes"},
		{"{\"a\":[[[1]]]}", 100, 3, SG_ERR_RANGE, "doc nested deeper than 3"},
		{"[]", 100, 0, SG_ERR_PARSE, "doc: not a JSON object"},
		{"42", 100, 0, SG_ERR_PARSE, "doc: "},
		{"{", 100, 0, SG_ERR_PARSE, "doc: "},
		{"", 100, 0, SG_ERR_PARSE, "doc: "},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char msg[200] = "";
		CHECK_INT(load(rows[i].in, rows[i].max, rows[i].depth, msg, sizeof msg), rows[i].want);
		CHECKF(!strncmp(msg, rows[i].msg, strlen(rows[i].msg)), "%s: %s", rows[i].in, msg);
	}
	/* brackets inside strings are not nesting */
	CHECK_INT(load("{\"a\":\"[[[[[[\\\"[[[[\"}", 100, 2, NULL, 0), SG_OK);
	CHECK_INT(load("{\"a\":[[1]]}", 100, 3, NULL, 0), SG_OK);
	json_t *j = (json_t *)1;
	CHECK_INT(sg_json_load_bounded(NULL, 1, 10, 0, "doc", &j, NULL, 0), SG_ERR_INVAL);
}

/* Every reader built on it refuses a duplicate key and says so. */
TEST(every_reader_refuses_duplicates)
{
	char msg[200] = "";
	pb_instance *inst = NULL;
	const char *rec = "{\"id\":\"i-1\",\"id\":\"i-2\"}";
	CHECK_INT(pb_instance_from_json(rec, strlen(rec), &inst, msg, sizeof msg), SG_ERR_PARSE);
	CHECK(inst == NULL);
	CHECKF(strstr(msg, "record: duplicate object key") != NULL, "%s", msg);

	char *md = NULL;
	const char *rep = "{\"incident\":\"INC-1\",\"outcome\":\"contained\",\"outcome\":\"failed\"}";
	CHECK_INT(pb_report_markdown(rep, strlen(rep), &md, msg, sizeof msg), SG_ERR_PARSE);
	CHECK(md == NULL);
	CHECKF(strstr(msg, "report: duplicate object key") != NULL, "%s", msg);

	respond_delivery d;
	const char *del = "{\"detector\":\"a\",\"incident\":1,\"instance_id\":\"i-1\","
	                  "\"instance_id\":\"i-2\"}";
	CHECK_INT(respond_delivery_parse(del, strlen(del), &d, msg, sizeof msg), SG_ERR_PARSE);
	CHECKF(strstr(msg, "body: duplicate object key") != NULL, "%s", msg);

	json_t *j = NULL;
	CHECK_INT(aws_json_parse("{\"a\":1,\"a\":2}", 13, NULL, &j), SG_ERR_PARSE);
	CHECK(j == NULL);
}

TEST_MAIN(accepts_an_object, refusals_say_why, every_reader_refuses_duplicates)
