/*
 * test_jsonload.c — sg_json_load_bounded (common/jsonload.h), the one
 * bounded JSON reader: size and depth caps before jansson, duplicate keys
 * refused with a message naming the key, an object at the top; and the
 * readers built on it (instance record, report, --listen delivery, AWS
 * replies, custody logs and records, evidence manifests, policy documents,
 * the responder's stored rows) refuse a duplicate key the same way, where
 * it could decide something.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "aws/json.h"
#include "common/jsonload.h"
#include "forensics/custlog.h"
#include "forensics/custody.h"
#include "forensics/evmanifest.h"
#include "playbook/instance.h"
#include "playbook/report.h"
#include "playbook/revoke.h"
#include "respond/listen.h"
#include "respond/rsp.h"

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

/* _any: the same checks, any value at the top (a YARA rule-name list). */
TEST(any_value_at_the_top)
{
	json_t *j = NULL;
	const char *names = "[\"ns.rule\",\"ns.other\"]";
	CHECK_INT(sg_json_load_bounded_any(names, strlen(names), 100, 0, "yara", &j, NULL, 0), SG_OK);
	CHECK(json_is_array(j) && json_array_size(j) == 2);
	json_decref(j);
	char msg[200] = "";
	const char *dup = "[{\"a\":1,\"a\":2}]";
	CHECK_INT(sg_json_load_bounded_any(dup, strlen(dup), 100, 0, "yara", &j, msg, sizeof msg),
	          SG_ERR_PARSE);
	CHECKF(strstr(msg, "yara: duplicate object key") != NULL, "%s", msg);
	CHECK_INT(sg_json_load_bounded_any(names, strlen(names), 5, 0, "yara", &j, NULL, 0),
	          SG_ERR_RANGE);
	CHECK_INT(sg_json_load_bounded_any("[[[1]]]", 7, 100, 2, "yara", &j, NULL, 0), SG_ERR_RANGE);
	CHECK(j == NULL);
}

#define HEX64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/*
 * Where a duplicate key could decide something, it is refused: jansson
 * keeps the last value, another reader (a person, another tool) may take
 * the first.  Each of these was accepted before (flags 0).
 */
TEST(a_duplicate_key_decides_nothing)
{
	/* The custody entry that logs a record: "report-replaced" to one
	 * reader, "examine-done" to jansson.  Not the entry the record needs. */
	sg_buf log = {0};
	fx_custody_state st = {0};
	uint8_t head[FX_SHA256_LEN];
	fx_custody_hash h = {"report_json_sha256", HEX64};
	CHECK_INT(fx_custody_entry(&log, &st, "2026-01-01T00:00:00Z", "me", "start", "s", NULL, 0,
	                           head), SG_OK);
	fx_custody_anchor a = {.entries = 1, .report_sha256 = HEX64, .action = "examine-done",
	                       .who = "me"};
	sg_hex_encode(head, FX_SHA256_LEN, a.head);
	CHECK_INT(fx_custody_verify(log.p, log.len, &st), SG_OK);
	sg_buf good = {0}, twice = {0};
	sg_buf_append(&good, log.p, log.len);
	CHECK_INT(fx_custody_entry(&good, &st, "2026-01-01T00:00:01Z", "me", "examine-done", "s", &h,
	                           1, NULL), SG_OK);
	char msg[200] = "";
	CHECK_INT(fx_custody_check_anchor(good.p, good.len, &a, msg, sizeof msg), SG_OK);
	sg_buf_append(&twice, log.p, log.len);
	sg_buf_puts(&twice, "{\"seq\":2,\"time\":\"2026-01-01T00:00:01Z\",\"who\":\"me\","
	                    "\"action\":\"report-replaced\",\"action\":\"examine-done\","
	                    "\"subject\":\"s\",\"hashes\":{\"report_json_sha256\":\"" HEX64 "\"},"
	                    "\"prev\":\"" HEX64 "\"}\n");
	CHECK_INT(fx_custody_check_anchor(twice.p, twice.len, &a, msg, sizeof msg), SG_ERR_CORRUPT);
	sg_buf_free(&log);
	sg_buf_free(&good);
	sg_buf_free(&twice);

	/* A report naming two statuses: which entry action checks it? */
	char path[] = "/tmp/test_jsonload_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	const char *rep = "{\"custody\":{\"head_before_report\":\"" HEX64 "\","
	                  "\"entries_before_report\":1},\"status\":\"failed\","
	                  "\"status\":\"complete\",\"examiner\":\"me\"}";
	CHECK(write(fd, rep, strlen(rep)) == (ssize_t)strlen(rep));
	close(fd);
	fx_custody_anchor from;
	CHECK_INT(custlog_anchor_from_file(path, &from, msg, sizeof msg), SG_ERR_PARSE);
	CHECKF(strstr(msg, "record: duplicate object key") != NULL, "%s", msg);
	unlink(path);

	/* A stored row (a fleet's shared table): the record of what to restore. */
	CHECK(rsp_row_json("{\"instance\":{\"id\":\"i-1\"},\"instance\":{\"id\":\"i-2\"}}") ==
	      NULL);
	json_t *row = rsp_row_json("{\"instance\":{\"id\":\"i-1\"}}");
	CHECK(json_is_object(row));
	json_decref(row);
	CHECK(rsp_row_json("") == NULL && rsp_row_json(NULL) == NULL);

	/* Refused before too, and still: a policy document, an evidence manifest. */
	char *out = NULL;
	CHECK_INT(pb_revoke_merge("{\"Version\":\"2012-10-17\",\"Statement\":[],\"Statement\":[]}",
	                          "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
	                          "2026-01-01T00:00:00Z", 0, &out), SG_ERR_PARSE);
	CHECK(out == NULL);
	json_t *vols = NULL;
	const char *ev = "{\"incident\":\"INC-1\",\"incident\":\"INC-2\",\"volumes\":[{}]}";
	CHECK_INT(fx_evidence_parse(ev, strlen(ev), "INC-2", &vols, msg, sizeof msg), SG_ERR_PARSE);
	CHECK(vols == NULL);
}

TEST_MAIN(accepts_an_object, refusals_say_why, every_reader_refuses_duplicates,
          any_value_at_the_top, a_duplicate_key_decides_nothing)
