/* test_decode.c — XML/JSON reply decoding, error shapes and their mapping. */
#include <stdlib.h>

#include "aws/awserr.h"
#include "aws/ddb.h"
#include "aws/json.h"
#include "aws/xml.h"
#include "test.h"

TEST(xml_navigation)
{
	const char *doc =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<DescribeVolumesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
		"  <requestId>r-1</requestId>\n"
		"  <volumeSet>\n"
		"    <item><volumeId>vol-1</volumeId><size>8</size><encrypted>true</encrypted></item>\n"
		"    <item><volumeId>vol-2</volumeId><size>16</size><tag/></item>\n"
		"  </volumeSet>\n"
		"  <note><![CDATA[a <b> & c]]> &amp; d</note>\n"
		"</DescribeVolumesResponse>";
	struct aws_xml *r = NULL;
	CHECK_INT(aws_xml_parse(doc, strlen(doc), NULL, &r), SG_OK);
	if (!r)
		return;
	CHECK_STR(r->name, "DescribeVolumesResponse");
	CHECK_STR(aws_xml_str(r, "requestId"), "r-1");
	CHECK_INT(aws_xml_count(aws_xml_child(r, "volumeSet")), 2);
	CHECK_STR(aws_xml_str(r, "volumeSet/item/volumeId"), "vol-1");
	CHECK(aws_xml_bool(r, "volumeSet/item/encrypted"));
	const struct aws_xml *second = aws_xml_next(aws_xml_get(r, "volumeSet/item"));
	CHECK_STR(aws_xml_str(second, "size"), "16");
	CHECK_STR(aws_xml_str(second, "tag"), "");
	CHECK(aws_xml_next(second) == NULL);
	CHECK(aws_xml_str(r, "volumeSet/item/nope") == NULL);
	CHECK(aws_xml_str(NULL, "x") == NULL);
	CHECK_STR(aws_xml_str_or(r, "missing", "dflt"), "dflt");
	CHECK_STR(aws_xml_str(r, "note"), "a <b> & c & d");
	aws_xml_free(r);
}

TEST(xml_refusals)
{
	static const struct {
		const char *label, *doc;
		sg_err want;
	} rows[] = {
		{"empty", "", SG_ERR_PARSE},
		{"not xml", "hello", SG_ERR_PARSE},
		{"unclosed", "<a><b></a>", SG_ERR_PARSE},
		{"two roots", "<a/><b/>", SG_ERR_PARSE},
		{"doctype", "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", SG_ERR_PARSE},
		{"billion laughs",
		 "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
		 "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><l>&b;</l>",
		 SG_ERR_PARSE},
		{"external entity", "<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>", SG_ERR_PARSE},
		{"undeclared entity", "<a>&x;</a>", SG_ERR_PARSE},
		{"ok", "<a><b>1</b></a>", SG_OK},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct aws_xml *r = NULL;
		sg_err rc = aws_xml_parse(rows[i].doc, strlen(rows[i].doc), NULL, &r);
		CHECKF(rc == rows[i].want, "%s: got %d", rows[i].label, rc);
		CHECKF((rc == SG_OK) == (r != NULL), "%s: out", rows[i].label);
		aws_xml_free(r);
	}
}

TEST(xml_limits)
{
	/* depth */
	char deep[4096];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(deep + n, sizeof deep - n, "<a>");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(deep + n, sizeof deep - n, "</a>");
	struct aws_xml *r = NULL;
	CHECK_INT(aws_xml_parse(deep, n, NULL, &r), SG_ERR_RANGE);
	struct aws_xml_limits lim = {.max_depth = 200};
	CHECK_INT(aws_xml_parse(deep, n, &lim, &r), SG_OK);
	aws_xml_free(r);
	/* size */
	lim = (struct aws_xml_limits){.max_bytes = 10};
	CHECK_INT(aws_xml_parse("<a>0123456789</a>", 17, &lim, &r), SG_ERR_RANGE);
	/* element count */
	lim = (struct aws_xml_limits){.max_elements = 3};
	CHECK_INT(aws_xml_parse("<a><b/><b/><b/></a>", 19, &lim, &r), SG_ERR_RANGE);
	CHECK_INT(aws_xml_parse("<a><b/><b/></a>", 15, &lim, &r), SG_OK);
	aws_xml_free(r);
}

TEST(json_limits)
{
	json_t *j = NULL;
	CHECK_INT(aws_json_parse("{\"a\":[1,2,{\"b\":\"c\"}]}", 21, NULL, &j), SG_OK);
	CHECK(json_is_object(j));
	json_decref(j);
	CHECK_INT(aws_json_parse("{\"a\":1,\"a\":2}", 13, NULL, &j), SG_ERR_PARSE);
	CHECK_INT(aws_json_parse("42", 2, NULL, &j), SG_ERR_PARSE);
	CHECK_INT(aws_json_parse("{", 1, NULL, &j), SG_ERR_PARSE);
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK_INT(aws_json_parse(deep, 200, NULL, &j), SG_ERR_RANGE);
	/* brackets inside strings do not count */
	const char *s = "{\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}";
	CHECK_INT(aws_json_parse(s, strlen(s), NULL, &j), SG_OK);
	json_decref(j);
	struct aws_json_limits lim = {.max_bytes = 4};
	CHECK_INT(aws_json_parse("{\"a\":1}", 7, &lim, &j), SG_ERR_RANGE);
	CHECK(j == NULL);
}

TEST(error_shapes)
{
	static const struct {
		const char *label, *body;
		int json;
		const char *code, *message, *rid;
	} rows[] = {
		{"ec2",
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>"
		 "InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-1' does not exist"
		 "</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID>"
		 "</Response>",
		 0, "InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist",
		 "ea966190-f9aa-478e-9ede-example"},
		{"query",
		 "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>"
		 "Sender</Type><Code>NoSuchEntity</Code><Message>Role x not found</Message></Error>"
		 "<RequestId>4a2e-example</RequestId></ErrorResponse>",
		 0, "NoSuchEntity", "Role x not found", "4a2e-example"},
		{"json",
		 "{\"__type\":\"com.amazonaws.ssm#InvocationDoesNotExist\",\"message\":\"nope\"}", 1,
		 "InvocationDoesNotExist", "nope", "rid-json"},
		{"json plain",
		 "{\"__type\":\"ThrottlingException\",\"Message\":\"Rate exceeded\"}", 1,
		 "ThrottlingException", "Rate exceeded", "rid-json"},
		{"control chars",
		 "<Response><Errors><Error><Code>X</Code><Message>a&#10;b&#9;c</Message></Error>"
		 "</Errors></Response>",
		 0, "X", "a\\x0ab\\x09c", ""},
		{"escape and C1 control",
		 "{\"__type\":\"X\",\"message\":\"\\u001b[2J\\u009b\\\\\"}", 1,
		 "X", "\\x1b[2J\\xc2\\x9b\\\\", "rid-json"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct aws_error e = {0};
		sg_err rc = rows[i].json ? aws_error_from_json(rows[i].body, strlen(rows[i].body),
		                                               "rid-json", &e)
		                         : aws_error_from_xml(rows[i].body, strlen(rows[i].body), &e);
		CHECKF(rc == SG_OK, "%s: rc %d", rows[i].label, rc);
		CHECKF(!strcmp(e.code, rows[i].code), "%s: code %s", rows[i].label, e.code);
		CHECKF(!strcmp(e.message, rows[i].message), "%s: message %s", rows[i].label,
		       e.message);
		CHECKF(!strcmp(e.request_id, rows[i].rid), "%s: rid %s", rows[i].label, e.request_id);
	}
	struct aws_error e = {0};
	CHECK_INT(aws_error_from_xml("<html>502</html>", 16, &e), SG_ERR_PARSE);
	CHECK_INT(aws_error_from_json("oops", 4, NULL, &e), SG_ERR_PARSE);
	/* long messages are truncated, not overflowed */
	char big[4000];
	int n = snprintf(big, sizeof big, "<Response><Errors><Error><Code>C</Code><Message>");
	memset(big + n, 'm', 2000);
	n += 2000;
	n += snprintf(big + n, sizeof big - (size_t)n, "</Message></Error></Errors></Response>");
	CHECK_INT(aws_error_from_xml(big, (size_t)n, &e), SG_OK);
	CHECK_INT(strlen(e.message), sizeof e.message - 1);
}

TEST(error_classes)
{
	static const struct {
		const char *code;
		int status;
		sg_err want;
	} rows[] = {
		{"InvalidInstanceID.NotFound", 400, SG_ERR_NOTFOUND},
		{"InvalidGroup.NotFound", 400, SG_ERR_NOTFOUND},
		{"NoSuchEntity", 404, SG_ERR_NOTFOUND},
		{"TargetGroupNotFound", 400, SG_ERR_NOTFOUND},
		{"InvocationDoesNotExist", 400, SG_ERR_NOTFOUND},
		{"RequestLimitExceeded", 503, SG_ERR_THROTTLED},
		{"Throttling", 400, SG_ERR_THROTTLED},
		{"ThrottlingException", 400, SG_ERR_THROTTLED},
		{"Throttled", 429, SG_ERR_THROTTLED}, /* SNS's own throttling error */
		{"SomethingElse", 429, SG_ERR_THROTTLED},
		{"UnauthorizedOperation", 403, SG_ERR_AUTH},
		{"AccessDenied", 403, SG_ERR_AUTH},
		{"SignatureDoesNotMatch", 403, SG_ERR_AUTH},
		{"InvalidGroup.Duplicate", 400, SG_ERR_EXISTS},
		{"InvalidPermission.Duplicate", 400, SG_ERR_EXISTS},
		{"EntityAlreadyExists", 409, SG_ERR_EXISTS},
		{"IncorrectState", 400, SG_ERR_STATE},
		{"IncorrectInstanceState", 400, SG_ERR_STATE},
		{"VolumeInUse", 400, SG_ERR_STATE},
		{"InternalError", 500, SG_ERR_REMOTE},
		{"ValidationError", 400, SG_ERR_REMOTE},
		{"", 404, SG_ERR_NOTFOUND},
		{"", 429, SG_ERR_THROTTLED},
		{"", 502, SG_ERR_REMOTE},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECKF(aws_error_classify(rows[i].code, rows[i].status) == rows[i].want, "%s/%d",
		       rows[i].code, rows[i].status);
	CHECK(aws_code_is_transient("InternalError"));
	CHECK(!aws_code_is_transient("ValidationError"));
}

/* DynamoDB: items as the state table reads them; a cancelled transaction's
 * reasons (API reference, TransactWriteItems / TransactionCanceledException). */
TEST(dynamodb_items_and_reasons)
{
	json_t *it = json_loads("{\"s\": {\"S\": \"h\\u00e9\"}, \"n\": {\"N\": \"-42\"}, "
	                        "\"f\": {\"N\": \"1.5\"}, \"big\": {\"N\": \"99999999999999999999\"}, "
	                        "\"l\": {\"L\": [{\"S\": \"ab\"}]}}", 0, NULL);
	CHECK(it != NULL);
	CHECK_STR(aws_ddb_str(it, "s"), "h\xc3\xa9");
	CHECK_STR(aws_ddb_str(it, "n"), "");          /* a number is not a string */
	CHECK_STR(aws_ddb_str(it, "none"), "");
	CHECK_INT(aws_ddb_num(it, "n"), -42);
	CHECK_INT(aws_ddb_num(it, "f"), 0);           /* not an integer */
	CHECK_INT(aws_ddb_num(it, "big"), 0);         /* beyond int64 */
	/* names + values: s 1+3+1, n 1+3+1, f 1+3+1, big 3+20+1, l 1+3+(1+2+1) */
	CHECK_INT(aws_ddb_item_size(it), 5 + 5 + 5 + 24 + 8);
	json_decref(it);
	CHECK_INT(aws_ddb_cancel_reason("Transaction cancelled, please refer cancellation reasons for "
	                                "specific reasons [None, ConditionalCheckFailed]"), 1);
	CHECK_INT(aws_ddb_cancel_reason("... [ConditionalCheckFailed, None]"), 0);
	CHECK_INT(aws_ddb_cancel_reason("... [None, TransactionConflict]"), -2);
	CHECK_INT(aws_ddb_cancel_reason("... [None, None]"), -1);
	CHECK_INT(aws_ddb_cancel_reason("no list [ConditionalCheckFailedX]"), -1);
	CHECK_INT(aws_ddb_cancel_reason(""), -1);
	CHECK_INT(aws_ddb_cancel_reason(NULL), -1);
}

TEST_MAIN(xml_navigation, xml_refusals, xml_limits, json_limits, error_shapes, error_classes,
          dynamodb_items_and_reasons)
