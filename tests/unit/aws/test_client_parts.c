/* test_client_parts.c — params/form encoding, endpoints, retry policy,
 * credential parsing and the instance view (all pure). */
#include <jansson.h>
#include <stdlib.h>

#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/credsrc.h"
#include "playbook/instance.h"
#include "aws/params.h"
#include "aws/retry.h"
#include "test.h"

TEST(params_encoding)
{
	struct aws_params *p = aws_params_new();
	const char *ids[] = {"i-1", "i-2"};
	const char *vals[] = {"a b", "c/d"};
	struct aws_filter f[] = {{"tag:Name", vals, 2}};
	struct aws_tag tags[] = {{"k=1", "v&2"}};
	aws_params_add(p, "Action", "DescribeInstances");
	aws_params_add_list(p, "InstanceId", ids, 2);
	aws_params_add_filters(p, f, 1);
	aws_params_add_filters(p, f, 1); /* numbering continues: Filter.2 */
	aws_params_add_tags(p, "Tag", tags, 1);
	aws_params_add_bool(p, "DryRun", true);
	char *body = NULL;
	size_t len = 0;
	CHECK_INT(aws_params_encode(p, &body, &len), SG_OK);
	CHECK_STR(body, "Action=DescribeInstances&DryRun=true&Filter.1.Name=tag%3AName&"
	                "Filter.1.Value.1=a%20b&Filter.1.Value.2=c%2Fd&Filter.2.Name=tag%3AName&"
	                "Filter.2.Value.1=a%20b&Filter.2.Value.2=c%2Fd&InstanceId.1=i-1&"
	                "InstanceId.2=i-2&Tag.1.Key=k%3D1&Tag.1.Value=v%262");
	CHECK_INT(len, strlen(body));
	free(body);
	CHECK_INT(aws_params_set(p, "DryRun", "false"), SG_OK);
	CHECK_STR(aws_params_get(p, "DryRun"), "false");
	aws_params_remove(p, "DryRun");
	CHECK(aws_params_get(p, "DryRun") == NULL);
	/* a bad call sticks: every later call and the encoder report it */
	CHECK_INT(aws_params_add(p, "x", NULL), SG_ERR_INVAL);
	CHECK_INT(aws_params_add(p, "y", "z"), SG_ERR_INVAL);
	CHECK_INT(aws_params_encode(p, &body, &len), SG_ERR_INVAL);
	CHECK(body == NULL);
	aws_params_free(p);
	aws_params_free(NULL);
	/* utf-8 is percent-encoded byte by byte */
	p = aws_params_new();
	aws_params_add(p, "Message", "\xe1\x88\xb4~");
	CHECK_INT(aws_params_encode(p, &body, &len), SG_OK);
	CHECK_STR(body, "Message=%E1%88%B4~");
	free(body);
	aws_params_free(p);
}

static const char *fake_env(const char *name)
{
	if (!strcmp(name, "AWS_ENDPOINT_URL_STS"))
		return "http://127.0.0.1:4566/";
	if (!strcmp(name, "AWS_ENDPOINT_URL"))
		return "https://proxy.example:8443";
	return NULL;
}

TEST(endpoints)
{
	static const struct {
		enum aws_service svc;
		const char *region, *override;
		int use_env;
		const char *url, *sign;
	} rows[] = {
		{AWS_EC2, "us-east-1", NULL, 0, "https://ec2.us-east-1.amazonaws.com", "us-east-1"},
		{AWS_AUTOSCALING, "eu-west-1", NULL, 0, "https://autoscaling.eu-west-1.amazonaws.com",
		 "eu-west-1"},
		{AWS_ELBV2, "eu-west-1", NULL, 0,
		 "https://elasticloadbalancing.eu-west-1.amazonaws.com", "eu-west-1"},
		{AWS_IAM, "eu-west-1", NULL, 0, "https://iam.amazonaws.com", "us-east-1"},
		{AWS_IAM, "cn-northwest-1", NULL, 0, "https://iam.cn-north-1.amazonaws.com.cn",
		 "cn-north-1"},
		{AWS_IAM, "us-gov-east-1", NULL, 0, "https://iam.us-gov.amazonaws.com", "us-gov-west-1"},
		{AWS_EC2, "cn-north-1", NULL, 0, "https://ec2.cn-north-1.amazonaws.com.cn", "cn-north-1"},
		{AWS_STS, "eu-west-1", NULL, 0, "https://sts.eu-west-1.amazonaws.com", "eu-west-1"},
		{AWS_SSM, "ap-south-1", NULL, 0, "https://ssm.ap-south-1.amazonaws.com", "ap-south-1"},
		{AWS_STS, "eu-west-1", NULL, 1, "http://127.0.0.1:4566", "eu-west-1"},
		{AWS_EC2, "eu-west-1", NULL, 1, "https://proxy.example:8443", "eu-west-1"},
		{AWS_IAM, "eu-west-1", NULL, 1, "https://proxy.example:8443", "us-east-1"},
		{AWS_STS, "eu-west-1", "http://x:1", 1, "http://x:1", "eu-west-1"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char url[256], sign[64];
		sg_err rc = aws_endpoint_resolve(rows[i].svc, rows[i].region, rows[i].override,
		                                 rows[i].use_env ? fake_env : NULL, url, sizeof url,
		                                 sign, sizeof sign);
		CHECKF(rc == SG_OK && !strcmp(url, rows[i].url) && !strcmp(sign, rows[i].sign),
		       "row %zu: %s %s", i, url, sign);
	}
	char url[256], sign[64];
	CHECK_INT(aws_endpoint_resolve(AWS_EC2, "us-east-1/../x", NULL, NULL, url, sizeof url, sign,
	                               sizeof sign),
	          SG_ERR_INVAL);
	CHECK_INT(aws_endpoint_resolve(AWS_EC2, "us-east-1", "ftp://x", NULL, url, sizeof url, sign,
	                               sizeof sign),
	          SG_ERR_INVAL);
	CHECK_INT(aws_endpoint_resolve(AWS_EC2, "us-east-1", NULL, NULL, url, 10, sign, sizeof sign),
	          SG_ERR_RANGE);
}

TEST(retry_policy)
{
	struct aws_retry r;
	unsigned d;
	aws_retry_init(&r, 3, 1000, 20000);
	/* full jitter under an exponential ceiling */
	CHECK(aws_retry_next(&r, 1, AWS_FAIL_THROTTLE, true, 0.5, &d));
	CHECK_INT(d, 500);
	CHECK(aws_retry_next(&r, 2, AWS_FAIL_TRANSIENT, true, 0.5, &d));
	CHECK_INT(d, 1000);
	CHECK(!aws_retry_next(&r, 3, AWS_FAIL_THROTTLE, true, 0.5, &d)); /* attempts used up */
	aws_retry_init(&r, 10, 1000, 20000);
	CHECK(aws_retry_next(&r, 9, AWS_FAIL_THROTTLE, true, 0.999, &d));
	CHECK(d <= 20000 && d > 19000); /* capped */
	/* non-idempotent: only proof of non-processing is retried */
	CHECK(aws_retry_next(&r, 1, AWS_FAIL_THROTTLE, false, 0, &d));
	CHECK(aws_retry_next(&r, 1, AWS_FAIL_CONNECT, false, 0, &d));
	CHECK(!aws_retry_next(&r, 1, AWS_FAIL_TRANSIENT, false, 0, &d));
	CHECK(!aws_retry_next(&r, 1, AWS_FAIL_IO, false, 0, &d));
	CHECK(!aws_retry_next(&r, 1, AWS_FAIL_FATAL, true, 0, &d));
	/* the quota drains under a storm and refills on success */
	aws_retry_init(&r, 100, 1, 1);
	int granted = 0;
	for (int i = 0; i < 200; i++)
		granted += aws_retry_next(&r, 1, AWS_FAIL_IO, true, 0, &d);
	CHECK_INT(granted, 50); /* 500 / 10 */
	aws_retry_success(&r);
	CHECK(aws_retry_next(&r, 1, AWS_FAIL_THROTTLE, true, 0, &d));
}

TEST(ini_files)
{
	const char *ini = "# comment\n[default]\naws_access_key_id=AKIADEFAULT\n"
	                  "region = us-east-1\n\n[profile ir]\n  region   =   eu-west-1  \r\n"
	                  "; another\n[ir]\naws_access_key_id = AKIAIR\n[broken\n";
	char out[64];
	CHECK_INT(aws_ini_get(ini, strlen(ini), "default", "aws_access_key_id", out, sizeof out),
	          SG_OK);
	CHECK_STR(out, "AKIADEFAULT");
	CHECK_INT(aws_ini_get(ini, strlen(ini), "profile ir", "region", out, sizeof out), SG_OK);
	CHECK_STR(out, "eu-west-1");
	CHECK_INT(aws_ini_get(ini, strlen(ini), "ir", "aws_access_key_id", out, sizeof out), SG_OK);
	CHECK_STR(out, "AKIAIR");
	CHECK_INT(aws_ini_get(ini, strlen(ini), "ir", "region", out, sizeof out), SG_ERR_PARSE);
	CHECK_INT(aws_ini_get(ini, 60, "nope", "region", out, sizeof out), SG_ERR_NOTFOUND);
	CHECK_INT(aws_ini_get(ini, strlen(ini), "default", "aws_access_key_id", out, 5), SG_ERR_RANGE);
}

TEST(credential_documents)
{
	static const struct {
		const char *label, *doc;
		sg_err want;
		long long exp;
	} rows[] = {
		{"imds",
		 "{\"Code\":\"Success\",\"LastUpdated\":\"2026-11-25T17:00:00Z\",\"Type\":\"AWS-HMAC\","
		 "\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
		 "\"Expiration\":\"2026-11-25T23:00:00Z\"}",
		 SG_OK, 1795647600LL},
		{"container", "{\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
		              "\"Expiration\":\"2026-11-25T23:00:00.123Z\"}",
		 SG_OK, 1795647600LL},
		{"static", "{\"AccessKeyId\":\"AKIAX\",\"SecretAccessKey\":\"s\"}", SG_OK, 0},
		{"failed", "{\"Code\":\"Failed\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}",
		 SG_ERR_PROTOCOL, 0},
		{"no secret", "{\"AccessKeyId\":\"A\"}", SG_ERR_PROTOCOL, 0},
		{"bad time", "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"soon\"}",
		 SG_ERR_PROTOCOL, 0},
		{"newline in key", "{\"AccessKeyId\":\"A\\nB\",\"SecretAccessKey\":\"s\"}",
		 SG_ERR_PROTOCOL, 0},
		{"not json", "AccessKeyId=A", SG_ERR_PROTOCOL, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct aws_credentials c;
		sg_err rc = aws_credentials_from_json(rows[i].doc, strlen(rows[i].doc), "imds", &c);
		CHECKF(rc == rows[i].want, "%s: rc %d", rows[i].label, rc);
		if (rc == SG_OK)
			CHECKF(c.expiration == rows[i].exp, "%s: exp %lld", rows[i].label, c.expiration);
		else
			CHECKF(c.secret_access_key[0] == '\0', "%s: not wiped", rows[i].label);
	}
	long long t;
	CHECK_INT(aws_parse_iso8601("1970-01-01T00:00:00Z", &t), SG_OK);
	CHECK_INT(t, 0);
	CHECK_INT(aws_parse_iso8601("2000-02-29T12:00:00+00:00", &t), SG_OK);
	CHECK_INT(t, 951825600LL);
	CHECK_INT(aws_parse_iso8601("2000-13-01T00:00:00Z", &t), SG_ERR_PARSE);
	/* describe never shows the secret */
	struct aws_credentials c = {0};
	snprintf(c.access_key_id, sizeof c.access_key_id, "AKIAIOSFODNN7EXAMPLE");
	snprintf(c.secret_access_key, sizeof c.secret_access_key, "TOPSECRET");
	snprintf(c.source, sizeof c.source, "env");
	char d[128];
	aws_credentials_describe(&c, d, sizeof d);
	CHECK(strstr(d, "TOPSECRET") == NULL && strstr(d, "IOSFODNN7EXAM") == NULL);
	CHECK(strstr(d, "AKIA") != NULL && strstr(d, "MPLE") != NULL);
	aws_credentials_wipe(&c);
	CHECK_STR(c.secret_access_key, "");
}

TEST(instance_view)
{
	const char *doc =
		"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
		"<instanceId>i-1</instanceId><instanceState><name>running</name></instanceState>"
		"<placement><availabilityZone>us-east-1a</availabilityZone></placement>"
		"<vpcId>vpc-1</vpcId><privateIpAddress>10.0.0.5</privateIpAddress>"
		"<groupSet><item><groupId>sg-1</groupId><groupName>web</groupName></item></groupSet>"
		"<rootDeviceName>/dev/xvda</rootDeviceName>"
		"<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-1"
		"</volumeId><status>attached</status><deleteOnTermination>true</deleteOnTermination>"
		"</ebs></item></blockDeviceMapping>"
		"<iamInstanceProfile><arn>arn:aws:iam::1:instance-profile/p</arn></iamInstanceProfile>"
		"<networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId>"
		"<privateIpAddress>10.0.0.5</privateIpAddress><privateIpAddressesSet><item>"
		"<privateIpAddress>10.0.0.5</privateIpAddress></item><item><privateIpAddress>10.0.0.6"
		"</privateIpAddress></item></privateIpAddressesSet><ipv6AddressesSet><item><ipv6Address>"
		"2001:db8::5</ipv6Address></item></ipv6AddressesSet><attachment><attachmentId>a-1"
		"</attachmentId><deviceIndex>0</deviceIndex></attachment><groupSet><item><groupId>"
		"sg-1</groupId><groupName>web</groupName></item></groupSet>"
		"<connectionTrackingConfiguration><tcpEstablishedTimeout>3600</tcpEstablishedTimeout>"
		"<udpStreamTimeout>120</udpStreamTimeout><udpTimeout>45</udpTimeout>"
		"</connectionTrackingConfiguration></item>"
		"</networkInterfaceSet><tagSet><item><key>aws:autoscaling:groupName</key><value>asg"
		"</value></item></tagSet><metadataOptions><state>applied</state><httpTokens>optional"
		"</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit>"
		"</metadataOptions></item></instancesSet></item></reservationSet>"
		"</DescribeInstancesResponse>";
	struct aws_xml *r = NULL;
	CHECK_INT(aws_xml_parse(doc, strlen(doc), NULL, &r), SG_OK);
	pb_instance *v = pb_instance_new();
	CHECK_INT(pb_instance_decode(v, r, "i-2"), SG_ERR_NOTFOUND);
	CHECK_INT(pb_instance_decode(v, r, "i-1"), SG_OK);
	if (v) {
		CHECK_STR(v->state, "running");
		CHECK_STR(v->asg, "asg");
		CHECK_INT(v->hop_limit, 2);
		CHECK_INT(v->n_enis, 1);
		CHECK_INT(v->enis[0].conntrack_tcp_established_s, 3600);
		CHECK_INT(v->enis[0].conntrack_udp_stream_s, 120);
		CHECK_INT(v->enis[0].conntrack_udp_s, 45);
		CHECK_STR(v->enis[0].groups[0], "sg-1");
		CHECK_STR(v->enis[0].group_names[0], "web");
		CHECK(v->volumes[0].delete_on_termination);
		CHECK(v->volumes[0].root);
		CHECK_STR(v->public_ip, "");
		CHECK_INT(v->enis[0].n_addrs, 3);
		CHECK(pb_instance_matches_target(v, "10.0.0.6"));
		CHECK(pb_instance_matches_target(v, "2001:db8::5"));
		CHECK(!pb_instance_matches_target(v, "10.0.0.7"));
		CHECK_INT(pb_instance_add_registration(v, "target-group", "arn:tg", "i-1", 80, "",
		                                       "healthy"),
		          SG_OK);
		CHECK_INT(pb_instance_add_registration(v, "classic-elb", "web-elb", "i-1", 0, "", ""),
		          SG_OK);
		CHECK_STR(v->targets[0].health, "healthy");
		CHECK_STR(v->elbs[0], "web-elb");
		char *json = pb_instance_to_json(v);
		json_t *j = json ? json_loads(json, 0, NULL) : NULL;
		CHECK_STR(json_string_value(json_object_get(j, "asg")), "asg");
		CHECK_INT(json_array_size(json_object_get(j, "targets")), 1);
		json_decref(j);
		free(json);
	}
	pb_instance_free(v);
	aws_xml_free(r);
}

/* The container URI rule, the SSO token cache and the portal's reply. */
TEST(credential_sources)
{
	char why[160];
	static const struct {
		const char *uri;
		bool ok;
	} uris[] = {
		{"http://127.0.0.1:8080/creds", true},
		{"http://127.9.9.9/creds", true},
		{"http://[::1]:80/v1/credentials", true},
		{"http://localhost/creds", true},
		{"http://169.254.170.2/v2/credentials/x", true},
		{"http://169.254.170.23/v1/credentials", true},
		{"http://[fd00:ec2::23]/v1/credentials", true},
		{"https://creds.example.com/x", true},
		{"http://203.0.113.10/creds", false},
		{"http://localhost:@203.0.113.10/creds", false},   /* userinfo, host elsewhere */
		{"http://127.0.0.1.example.com/creds", false},     /* a name, not loopback */
		{"http://169.254.169.254/latest/meta-data/", false}, /* IMDS is not the endpoint */
		{"http://[fd00:ec2::254]/", false},
		{"ftp://127.0.0.1/creds", false},
		{"not a url", false},
	};
	for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++)
		CHECKF(aws_container_uri_allowed(uris[i].uri, why, sizeof why) == uris[i].ok, "%s",
		       uris[i].uri);

	char name[46];
	CHECK_INT(aws_sso_cache_name("my-sso", name), SG_OK);
	CHECK_STR(name, "0ad374308c5a4e22f723adf10145eafad7c4031c.json"); /* sha1, as botocore */

	char token[64];
	long long exp = 0;
	const char *doc = "{\"accessToken\": \"tok-1\", \"expiresAt\": \"2026-12-04T18:00:00Z\", "
	                  "\"region\": \"us-east-1\"}";
	CHECK_INT(aws_sso_cache_token(doc, strlen(doc), token, sizeof token, &exp), SG_OK);
	CHECK_STR(token, "tok-1");
	CHECK(exp == 1796407200LL);
	const char *bad[] = {"{}", "{\"accessToken\": \"a b\", \"expiresAt\": \"2026-12-04T18:00:00Z\"}",
	                     "{\"accessToken\": \"t\", \"expiresAt\": \"soon\"}", "[1]", "{"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECKF(aws_sso_cache_token(bad[i], strlen(bad[i]), token, sizeof token, &exp) != SG_OK,
		       "%s", bad[i]);
	CHECK_INT(aws_sso_cache_token(doc, strlen(doc), token, 4, &exp), SG_ERR_RANGE);

	struct aws_credentials c;
	const char *reply = "{\"roleCredentials\": {\"accessKeyId\": \"ASIA1\", \"secretAccessKey\": "
	                    "\"s3cr3t\", \"sessionToken\": \"tok\", \"expiration\": 1796407200123}}";
	CHECK_INT(aws_sso_credentials_from_json(reply, strlen(reply), &c), SG_OK);
	CHECK_STR(c.access_key_id, "ASIA1");
	CHECK_STR(c.source, "sso");
	CHECK(c.expiration == 1796407200LL);
	const char *noexp = "{\"roleCredentials\": {\"accessKeyId\": \"A\", \"secretAccessKey\": \"s\", "
	                    "\"sessionToken\": \"t\"}}";
	CHECK_INT(aws_sso_credentials_from_json(noexp, strlen(noexp), &c), SG_ERR_PROTOCOL);
	CHECK_STR(c.secret_access_key, "");
}

/* DescribeInstanceTypes' networkInfo/connectionTrackingConfiguration (EC2 API
 * reference, DefaultConnectionTrackingConfiguration): all three or nothing. */
TEST(instance_type_conntrack_defaults)
{
	static const struct {
		const char *cfg;
		bool ok;
		int tcp, stream, udp;
	} rows[] = {
		{"<defaultTcpEstablishedTimeout>350</defaultTcpEstablishedTimeout><defaultUdpTimeout>30"
		 "</defaultUdpTimeout><defaultUdpStreamTimeout>180</defaultUdpStreamTimeout>",
		 true, 350, 180, 30},
		{"<defaultTcpEstablishedTimeout>432000</defaultTcpEstablishedTimeout>"
		 "<defaultUdpStreamTimeout>180</defaultUdpStreamTimeout>", false, 432000, 180, 0},
		{"<defaultTcpEstablishedTimeout>x</defaultTcpEstablishedTimeout><defaultUdpTimeout>30"
		 "</defaultUdpTimeout><defaultUdpStreamTimeout>180</defaultUdpStreamTimeout>",
		 false, 0, 180, 30},
		{"", false, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char doc[600];
		snprintf(doc, sizeof doc, "<DescribeInstanceTypesResponse><instanceTypeSet><item>"
		         "<instanceType>c8i.large</instanceType><networkInfo>"
		         "<connectionTrackingConfiguration>%s</connectionTrackingConfiguration>"
		         "</networkInfo></item></instanceTypeSet></DescribeInstanceTypesResponse>",
		         rows[i].cfg);
		struct aws_xml *r = NULL;
		CHECK_INT(aws_xml_parse(doc, strlen(doc), NULL, &r), SG_OK);
		pb_eni e = {0};
		CHECKF(pb_conntrack_type_decode(aws_xml_get(r, "instanceTypeSet/item"), &e) == rows[i].ok &&
		               e.conntrack_tcp_established_s == rows[i].tcp &&
		               e.conntrack_udp_stream_s == rows[i].stream && e.conntrack_udp_s == rows[i].udp,
		       "row %zu: %d/%d/%d", i, e.conntrack_tcp_established_s, e.conntrack_udp_stream_s,
		       e.conntrack_udp_s);
		aws_xml_free(r);
	}
	pb_eni e = {0};
	CHECK(!pb_conntrack_type_decode(NULL, &e)); /* no item: the fallback */
}

TEST_MAIN(params_encoding, endpoints, retry_policy, ini_files, credential_documents,
          instance_view, credential_sources, instance_type_conntrack_defaults)
