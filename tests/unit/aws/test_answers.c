/* test_answers.c — the per-call decoders of AWS answers (aws/answers.h) on
 * botocore-shaped replies: what each call takes out, and what it refuses. */
#include <stdlib.h>

#include "aws/answers.h"
#include "aws/json.h"
#include "aws/xml.h"
#include "test.h"

static struct aws_xml *xml(const char *s)
{
	struct aws_xml *r = NULL;
	if (aws_xml_parse(s, strlen(s), NULL, &r) != SG_OK)
		abort();
	return r;
}

static json_t *json(const char *s)
{
	json_t *r = NULL;
	if (aws_json_parse(s, strlen(s), NULL, &r) != SG_OK)
		abort();
	return r;
}

TEST(ec2_ids_and_lists)
{
	struct aws_xml *r = xml("<CreateVolumeResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	                        "<volumeId>vol-1234567890abcdef0</volumeId></CreateVolumeResponse>");
	char id[32];
	CHECK_INT(aws_answer_id(r, "volumeId", id, sizeof id), SG_OK);
	CHECK_STR(id, "vol-1234567890abcdef0");
	CHECK_INT(aws_answer_id(r, "volumeId", id, 21), SG_ERR_PROTOCOL); /* does not fit */
	CHECK_STR(id, "");
	CHECK_INT(aws_answer_id(r, "snapshotId", id, sizeof id), SG_ERR_PROTOCOL);
	aws_xml_free(r);

	r = xml("<R><createVolumePermission><item><group>all</group></item>"
	        "<item><userId>123456789012</userId></item></createVolumePermission></R>");
	CHECK(aws_ec2_answer_shared_with(r, "123456789012"));
	CHECK(!aws_ec2_answer_shared_with(r, "210987654321"));
	aws_xml_free(r);

	r = xml("<R><launchTemplateVersionSet><item><launchTemplateData><iamInstanceProfile>"
	        "<name>forensics</name></iamInstanceProfile></launchTemplateData></item>"
	        "</launchTemplateVersionSet></R>");
	char profile[16];
	CHECK_INT(aws_ec2_answer_template_profile(r, profile, sizeof profile), SG_OK);
	CHECK_STR(profile, "forensics");
	CHECK_INT(aws_ec2_answer_template_profile(r, profile, 5), SG_ERR_PROTOCOL);
	aws_xml_free(r);

	r = xml("<R><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>80</fromPort>"
	        "<toPort>80</toPort><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item>"
	        "<item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges></item>"
	        "<item><groups><item><groupId>sg-2a2b3c4d</groupId></item></groups></item>"
	        "</ipPermissions></R>");
	struct aws_params *p = aws_params_new();
	size_t n = 0;
	CHECK_INT(aws_ec2_answer_revoke_params(p, aws_xml_get(r, "ipPermissions"), &n), SG_OK);
	CHECK_INT(n, 2);
	CHECK_STR(aws_params_get(p, "IpPermissions.1.IpRanges.2.CidrIp"), "10.0.0.0/8");
	CHECK_STR(aws_params_get(p, "IpPermissions.1.FromPort"), "80");
	CHECK_STR(aws_params_get(p, "IpPermissions.2.IpProtocol"), "-1");
	CHECK_STR(aws_params_get(p, "IpPermissions.2.Groups.1.GroupId"), "sg-2a2b3c4d");
	aws_params_free(p);
	aws_xml_free(r);
}

TEST(base64_members)
{
	char *out = NULL;
	size_t len = 9;
	CHECK_INT(aws_answer_base64("  QUJD\nRA==\n", &out, &len), SG_ERR_PROTOCOL); /* inner space */
	CHECK_INT(aws_answer_base64(" QUJDRA==\r\n", &out, &len), SG_OK);
	CHECKF(len == 4 && !strcmp(out, "ABCD"), "%zu '%s'", len, out);
	free(out);
	CHECK_INT(aws_answer_base64("", &out, &len), SG_OK);
	CHECK(len == 0 && out && !*out);
	free(out);
	CHECK_INT(aws_answer_base64("QUJ", &out, &len), SG_ERR_PROTOCOL);
	CHECK(out == NULL);
}

TEST(sqs_messages)
{
	struct aws_xml *r = xml(
		"<ReceiveMessageResponse><ReceiveMessageResult><Message><MessageId>m-1</MessageId>"
		"<ReceiptHandle>h-1</ReceiptHandle><Body>{}</Body><Attribute><Name>SentTimestamp"
		"</Name><Value>1238099229000</Value></Attribute><Attribute><Name>"
		"ApproximateReceiveCount</Name><Value>5</Value></Attribute><Attribute><Name>SenderId"
		"</Name><Value>AROAEXAMPLE0000000001:i-0a1b2c3d4e5f60001</Value></Attribute></Message>"
		"<Message><MessageId>m-2</MessageId><ReceiptHandle>h-2</ReceiptHandle><Body>x</Body>"
		"</Message></ReceiveMessageResult></ReceiveMessageResponse>");
	struct aws_sqs_message *m = NULL;
	size_t n = 0;
	CHECK_INT(aws_sqs_answer_messages(aws_xml_child(r, "ReceiveMessageResult"), &m, &n), SG_OK);
	CHECK_INT(n, 2);
	CHECK(m && !strcmp(m[0].message_id, "m-1") && !strcmp(m[0].receipt_handle, "h-1") &&
	      !strcmp(m[0].body, "{}") && m[0].receive_count == 5 && m[0].sent_ms == 1238099229000LL);
	CHECK_STR(m ? m[0].sender_id : "", "AROAEXAMPLE0000000001:i-0a1b2c3d4e5f60001");
	CHECK_STR(m ? m[1].sender_id : "-", "");   /* absent: "", which the intake refuses */
	aws_sqs_messages_free(m, n);
	aws_xml_free(r);
	r = xml("<R><Message><MessageId>a</MessageId><ReceiptHandle>h</ReceiptHandle><Body/>"
	        "<Attribute><Name>ApproximateReceiveCount</Name><Value>-0</Value></Attribute>"
	        "</Message></R>");
	CHECK_INT(aws_sqs_answer_messages(r, &m, &n), SG_ERR_PROTOCOL);
	CHECK(!m && !n);
	aws_xml_free(r);
}

TEST(ssm_iam_dynamodb)
{
	json_t *j = json("{\"Command\":{\"CommandId\":\"0831e1a8\"}}");
	char id[64], status[32];
	CHECK_INT(aws_ssm_answer_command_id(j, id), SG_OK);
	CHECK_STR(id, "0831e1a8");
	json_decref(j);
	j = json("{\"Commands\":[{\"CommandId\":\"a\",\"Comment\":\"x\"},"
	         "{\"CommandId\":\"b\",\"Comment\":\"want\"}]}");
	CHECK(aws_ssm_answer_find(j, "want", id) && !strcmp(id, "b"));
	CHECK(!aws_ssm_answer_find(j, "none", id));
	json_decref(j);
	/* a matching row without a usable id is passed over, not the end */
	j = json("{\"Commands\":[{\"Comment\":\"want\"},{\"CommandId\":\"\",\"Comment\":\"want\"},"
	         "7,{\"CommandId\":\"c\",\"Comment\":\"want\"}]}");
	CHECK(aws_ssm_answer_find(j, "want", id) && !strcmp(id, "c"));
	json_decref(j);
	j = json("{\"Commands\":{\"CommandId\":\"c\",\"Comment\":\"want\"}}"); /* not an array */
	CHECK(!aws_ssm_answer_find(j, "want", id));
	json_decref(j);
	j = json("{\"InstanceInformationList\":[{\"InstanceId\":\"i-1\",\"PingStatus\":\"Online\"}]}");
	CHECK_INT(aws_ssm_answer_ping(j, "i-1", status), SG_OK);
	CHECK_STR(status, "Online");
	CHECK_INT(aws_ssm_answer_ping(j, "i-2", status), SG_ERR_NOTFOUND);
	json_decref(j);
	j = json("{\"InstanceInformationList\":[{\"InstanceId\":\"i-1\"}]}");
	CHECK_INT(aws_ssm_answer_ping(j, "i-1", status), SG_OK); /* listed, no status */
	CHECK_STR(status, "");
	json_decref(j);

	struct aws_xml *r = xml("<R><GetRolePolicyResult><PolicyDocument>%7B%22a%22%3A1%7D"
	                        "</PolicyDocument></GetRolePolicyResult></R>");
	char *doc = NULL;
	CHECK_INT(aws_iam_answer_policy(r, &doc), SG_OK);
	CHECK_STR(doc, "{\"a\":1}");
	free(doc);
	aws_xml_free(r);
	r = xml("<R><GetRolePolicyResult><PolicyDocument>%7B%00%7D</PolicyDocument>"
	        "</GetRolePolicyResult></R>");
	CHECK_INT(aws_iam_answer_policy(r, &doc), SG_ERR_PROTOCOL); /* never cut at the NUL */
	CHECK(doc == NULL);
	aws_xml_free(r);

	j = json("{\"Table\":{\"TableStatus\":\"ACTIVE\",\"GlobalSecondaryIndexes\":"
	         "[{\"IndexName\":\"by-source\",\"IndexStatus\":\"CREATING\"}]}}");
	CHECK_INT(aws_ddb_answer_table_status(j, status), SG_OK);
	CHECK_STR(status, "ACTIVE");
	aws_ddb_answer_index_status(j, "by-source", status);
	CHECK_STR(status, "CREATING");
	aws_ddb_answer_index_status(j, "other", status);
	CHECK_STR(status, "");
	json_decref(j);
	j = json("{\"Table\":{\"GlobalSecondaryIndexes\":[{\"IndexName\":\"by-source\"},"
	         "{\"IndexName\":\"by-source\",\"IndexStatus\":\"ACTIVE\"}]}}");
	aws_ddb_answer_index_status(j, "by-source", status);
	CHECK_STR(status, "ACTIVE");
	json_decref(j);
	const json_t *item = NULL;
	j = json("{\"Item\":[]}");
	CHECK_INT(aws_ddb_answer_item(j, &item), SG_ERR_PROTOCOL);
	json_decref(j);
}

static sg_err count(void *ctx, const json_t *item)
{
	(void)item;
	++*(int *)ctx;
	return SG_OK;
}

TEST(dynamodb_pages)
{
	json_t *j = json("{\"Items\":[{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"b\"}}],"
	                 "\"LastEvaluatedKey\":{\"pk\":{\"S\":\"b\"}}}");
	int n = 0;
	const json_t *next = NULL;
	CHECK_INT(aws_ddb_answer_page(j, count, &n, &next), SG_OK);
	CHECK(n == 2 && next && json_object_get(next, "pk"));
	json_decref(j);
	j = json("{\"Items\":[{\"pk\":{\"S\":\"a\"}},7]}");
	n = 0;
	CHECK_INT(aws_ddb_answer_page(j, count, &n, &next), SG_ERR_PROTOCOL);
	CHECK(n == 1 && !next);
	json_decref(j);
}

TEST_MAIN(ec2_ids_and_lists, base64_members, sqs_messages, ssm_iam_dynamodb, dynamodb_pages)
