/*
 * test_aws_client.c — the client machinery against the emulator (run by
 * with_emulator.py --tls under tests/netns-run): signatures accepted and
 * one-byte changes refused, retries under injected throttling / 500s /
 * dropped connections / slow replies, the credential chain (env, shared
 * files, container endpoint, IMDSv2 with refresh), IMDS identity, endpoint
 * variables, HTTPS with a CA bundle, and no secret in any log or error.
 */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/awserr.h"
#include "aws/aws.h"
#include "aws/ec2.h"
#include "aws/http.h"
#include "aws/imds.h"
#include "aws/sigv4.h"
#include "aws/ssm.h"
#include "aws/sts.h"
#include "emu.h"
#include "test.h"

#define WEB1 "i-0a1b2c3d4e5f60001"
#define VPC "vpc-0a1b2c3d4e5f60001"

/* Everything any client logged, and every error message, for the secrets check. */
static struct logcap cap;
static char secret[256], session_secret[] = "c2Vzc2lvbi1zZWNyZXQtZXhhbXBsZS1rZXktMDAwMQ",
                         session_token[] = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

static void keep_error(const struct aws_error *e)
{
	sg_buf_printf(&cap.all, "%s %s %s\n", e->code, e->message, e->request_id);
}

static struct aws_client *client_with(struct aws_client_opts o, struct aws_error *e)
{
	o.log = logcap_fn;
	o.log_ctx = &cap;
	if (!o.backoff_base_ms)
		o.backoff_base_ms = 5;
	if (!o.timeout_ms)
		o.timeout_ms = 5000;
	struct aws_client *c = NULL;
	sg_err rc = aws_client_new(&o, &c, e);
	keep_error(e);
	CHECKF(rc == SG_OK, "client: %s %s", sg_strerror(rc), e->message);
	return c;
}

static struct aws_client *client(void)
{
	struct aws_client_opts o = {0};
	struct aws_error e;
	return client_with(o, &e);
}

static sg_err whoami(struct aws_client *c, char arn[2048], struct aws_error *e)
{
	struct aws_caller_identity id;
	sg_err rc = c ? aws_sts_get_caller_identity(c, &id, e) : SG_ERR_INVAL;
	keep_error(e);
	if (arn)
		snprintf(arn, 2048, "%s", rc ? "" : id.arn);
	return rc;
}

/* ---------------------------------------------------------------- signing */

/* POST GetCallerIdentity signed with (ak, sk) at time t, then apply a tamper. */
enum tamper { T_NONE, T_SIG_BYTE, T_BODY_BYTE, T_DATE, T_REGION };

static long raw_sts(const char *ak, const char *sk, long long t, enum tamper how,
                    char code[128])
{
	const char *base = getenv("EMULATOR_URL");
	const char *host = base + strlen("http://");
	char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
	char date[17], hash[65], auth[AWS_SIGV4_AUTH_MAX];
	aws_amz_date(t, date);
	aws_sha256_hex(body, strlen(body), hash);
	struct aws_kv h[5] = {{"Host", host},
	                      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
	                      {"X-Amz-Date", date}};
	struct aws_sigv4_request req = {.method = "POST", .path = "/", .headers = h, .nheaders = 3,
	                                .payload_sha256 = hash};
	struct aws_sigv4_signer s = {.access_key_id = ak, .secret_access_key = sk,
	                             .region = how == T_REGION ? "us-west-2" : "us-east-1",
	                             .service = "sts", .amz_date = date};
	if (aws_sigv4_authorization(&s, &req, auth, sizeof auth) != SG_OK)
		return -1;
	if (how == T_SIG_BYTE) {
		char *last = auth + strlen(auth) - 1;
		*last = *last == '0' ? '1' : '0';
	} else if (how == T_BODY_BYTE) {
		body[strlen(body) - 1] = '6'; /* 2011-06-15 -> 2011-06-16 */
	} else if (how == T_DATE) {
		date[15 - 1] = date[14] == '0' ? '1' : '0'; /* one second off */
	}
	h[3] = (struct aws_kv){"Authorization", auth};
	char url[512];
	snprintf(url, sizeof url, "%s/", base);
	struct aws_http_req hr = {.method = "POST", .url = url, .headers = h, .nheaders = 4,
	                          .body = body, .body_len = strlen(body), .timeout_ms = 5000};
	struct aws_http_resp resp;
	enum aws_failure f;
	CURL *curl = curl_easy_init();
	sg_err rc = aws_http_do(curl, &hr, &resp, &f, NULL, 0);
	curl_easy_cleanup(curl);
	if (rc)
		return -1;
	struct aws_error e = {0};
	aws_error_from_xml(resp.body, resp.len, &e);
	snprintf(code, 128, "%s", e.code);
	long status = resp.status;
	aws_http_resp_free(&resp);
	return status;
}

TEST(signatures)
{
	const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
	long long now = (long long)time(NULL);
	char code[128];
	CHECK_INT(raw_sts(ak, sk, now, T_NONE, code), 200);
	static const struct {
		const char *label;
		enum tamper how;
	} rows[] = {
		{"one signature byte", T_SIG_BYTE},
		{"one body byte", T_BODY_BYTE},
		{"one X-Amz-Date byte", T_DATE},
		{"wrong scope region", T_REGION},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		long st = raw_sts(ak, sk, now, rows[i].how, code);
		CHECKF(st == 403 || st == 400, "%s: HTTP %ld", rows[i].label, st);
		CHECKF(aws_error_classify(code, (int)st) == SG_ERR_AUTH, "%s: code %s", rows[i].label,
		       code);
	}
	char wrong[256];
	snprintf(wrong, sizeof wrong, "%s", sk);
	wrong[0] = wrong[0] == 'x' ? 'y' : 'x';
	CHECK_INT(raw_sts(ak, wrong, now, T_NONE, code), 403);
	CHECK_STR(code, "SignatureDoesNotMatch");
	CHECK(raw_sts(ak, sk, now - 3600, T_NONE, code) >= 400);
	CHECKF(aws_error_classify(code, 403) == SG_ERR_AUTH, "stale date: %s", code);
	CHECK(raw_sts("AKIAUNKNOWNKEY000000", sk, now, T_NONE, code) >= 400);
	CHECK_STR(code, "InvalidClientTokenId");
}

static long long an_hour_ago(void *ctx)
{
	(void)ctx;
	return (long long)time(NULL) - 3600;
}

TEST(client_refusals)
{
	struct aws_error e;
	/* wrong secret: refused, not retried, and the secret is nowhere */
	struct aws_credentials bad = {0};
	snprintf(bad.access_key_id, sizeof bad.access_key_id, "%s", getenv("AWS_ACCESS_KEY_ID"));
	snprintf(bad.secret_access_key, sizeof bad.secret_access_key, "wrong-%.100s", secret);
	struct aws_client_opts o = {.credentials = &bad};
	struct aws_client *c = client_with(o, &e);
	CHECK_INT(whoami(c, NULL, &e), SG_ERR_AUTH);
	CHECK_STR(e.code, "SignatureDoesNotMatch");
	CHECK_INT(e.attempts, 1);
	aws_client_free(c);
	/* a clock an hour slow: refused as expired, corrected from the reply's
	 * Date header (as the SDKs do) and sent once more */
	c = client();
	aws_client_set_clock(c, an_hour_ago, NULL);
	CHECK_INT(whoami(c, NULL, &e), SG_OK);
	CHECK_INT(e.attempts, 2);
	long long off = aws_client_now(c) - an_hour_ago(NULL);
	CHECK(off > 3590 && off < 3610);
	aws_client_free(c);
	/* session credentials: the token is signed and accepted */
	struct aws_credentials sess = {0};
	snprintf(sess.access_key_id, sizeof sess.access_key_id, "ASIAEXAMPLESESSION01");
	snprintf(sess.secret_access_key, sizeof sess.secret_access_key, "%s", session_secret);
	snprintf(sess.session_token, sizeof sess.session_token, "%s", session_token);
	o.credentials = &sess;
	c = client_with(o, &e);
	char arn[2048];
	CHECK_INT(whoami(c, arn, &e), SG_OK);
	CHECK_STR(arn, "arn:aws:sts::123456789012:assumed-role/ssrfguard-ir/responder");
	aws_client_free(c);
	/* the same key without its token is refused */
	sess.session_token[0] = '\0';
	c = client_with(o, &e);
	CHECK_INT(whoami(c, NULL, &e), SG_ERR_AUTH);
	aws_client_free(c);
	/* params a typed call could not build are refused unsent, and freed */
	c = client();
	struct aws_xml *r = (struct aws_xml *)&e; /* reset to NULL */
	struct aws_params *p = aws_params_new();
	aws_params_add(p, "", "no name");
	CHECK_INT(aws_query_take(c, AWS_STS, "GetCallerIdentity", NULL, p, 0, &r, &e), SG_ERR_INVAL);
	CHECK(r == NULL && strstr(e.message, "GetCallerIdentity: bad parameters"));
	CHECK_INT(e.attempts, 0);
	CHECK_INT(aws_query_take(c, AWS_STS, "GetCallerIdentity", NULL, NULL, 0, &r, &e), SG_ERR_NOMEM);
	aws_client_free(c);
}

/* ---------------------------------------------------------------- retries */

static size_t count_commands(void)
{
	json_t *s = emu("GET", "/state", NULL);
	size_t n = json_object_size(json_object_get(json_object_get(s, "ssm"), "commands"));
	if (!n)
		n = json_array_size(json_object_get(json_object_get(s, "ssm"), "commands"));
	json_decref(s);
	return n;
}

TEST(retries)
{
	struct aws_client *c = client();
	struct aws_error e;
	const char *ids[] = {WEB1};
	struct aws_xml *r = NULL;

	emu_fault("{\"kind\":\"throttle\",\"action\":\"DescribeInstances\",\"count\":2}");
	CHECK_INT(aws_ec2_describe_instances(c, ids, 1, NULL, 0, &r, &e), SG_OK);
	CHECK_INT(e.attempts, 3);
	aws_xml_free(r);

	emu_fault("{\"kind\":\"throttle\",\"action\":\"DescribeInstances\",\"count\":5}");
	CHECK_INT(aws_ec2_describe_instances(c, ids, 1, NULL, 0, &r, &e), SG_ERR_THROTTLED);
	CHECK_STR(e.code, "RequestLimitExceeded");
	CHECK_INT(e.attempts, 3);
	CHECK(!e.outcome_unknown);
	emu_clear_faults();

	/* 500 on a read: retried */
	emu_fault("{\"kind\":\"error\",\"action\":\"DescribeVolumes\",\"count\":1}");
	CHECK_INT(aws_ec2_describe_volumes(c, NULL, 0, NULL, 0, &r, &e), SG_OK);
	CHECK_INT(e.attempts, 2);
	aws_xml_free(r);
	/* dropped connections on a read: retried (libcurl itself re-sends once
	 * on a reused connection that died, so count on a second drop too) */
	emu_fault("{\"kind\":\"drop\",\"action\":\"DescribeVolumes\",\"count\":2}");
	CHECK_INT(aws_ec2_describe_volumes(c, NULL, 0, NULL, 0, &r, &e), SG_OK);
	CHECK(e.attempts >= 2);
	aws_xml_free(r);
	/* Query-protocol throttling (STS "Throttling") */
	emu_fault("{\"kind\":\"throttle\",\"service\":\"sts\",\"count\":1}");
	CHECK_INT(whoami(c, NULL, &e), SG_OK);
	CHECK_INT(e.attempts, 2);
	/* JSON-protocol throttling (SSM) on a read */
	emu_fault("{\"kind\":\"throttle\",\"action\":\"GetCommandInvocation\",\"count\":1}");
	json_t *j = NULL;
	aws_ssm_get_command_invocation(c, "00000000-0000-0000-0000-000000000000", WEB1, &j, &e);
	CHECK_INT(e.attempts, 2);
	CHECK_STR(e.code, "InvocationDoesNotExist");
	json_decref(j);

	/* a non-idempotent create: a 500 is NOT retried and is reported ambiguous */
	char gid[32];
	emu_fault("{\"kind\":\"error\",\"action\":\"CreateSecurityGroup\",\"count\":1}");
	CHECK_INT(aws_ec2_create_security_group(c, VPC, "q-500", "x", NULL, 0, 0, gid, &e),
	          SG_ERR_REMOTE);
	CHECK_INT(e.attempts, 1);
	CHECK(e.outcome_unknown);
	/* ...but throttling proves it was not processed: retried */
	emu_fault("{\"kind\":\"throttle\",\"action\":\"CreateSecurityGroup\",\"count\":1}");
	CHECK_INT(aws_ec2_create_security_group(c, VPC, "q-throttle", "x", NULL, 0, 0, gid, &e),
	          SG_OK);
	CHECK_INT(e.attempts, 2);
	/* a dropped SendCommand is not re-sent: the command could run twice */
	size_t before = count_commands();
	const char *cmds[] = {"uname -a"};
	char cid[64];
	emu_fault("{\"kind\":\"drop\",\"action\":\"SendCommand\",\"count\":1}");
	struct aws_ssm_command sc = {.instance_ids = ids, .n = 1, .commands = cmds, .ncommands = 1};
	CHECK(aws_ssm_send_command(c, &sc, 0, cid, NULL, &e) != SG_OK);
	CHECK_INT(e.attempts, 1);
	CHECK(e.outcome_unknown);
	CHECK(count_commands() <= before + 1);
	/* CreateVolume carries a ClientToken: a 500 is retried and makes one volume */
	char vol[32] = "";
	struct aws_ec2_volume_spec spec = {.availability_zone = "us-east-1a", .size_gib = 8};
	emu_fault("{\"kind\":\"error\",\"action\":\"CreateVolume\",\"count\":1}");
	CHECK_INT(aws_ec2_create_volume(c, &spec, 0, vol, &e), SG_OK);
	CHECK_INT(e.attempts, 2);
	emu_clear_faults();
	aws_client_free(c);

	/* AWS_MAX_ATTEMPTS */
	setenv("AWS_MAX_ATTEMPTS", "5", 1);
	c = client();
	unsetenv("AWS_MAX_ATTEMPTS");
	emu_fault("{\"kind\":\"throttle\",\"action\":\"DescribeInstances\",\"count\":4}");
	CHECK_INT(aws_ec2_describe_instances(c, ids, 1, NULL, 0, NULL, &e), SG_OK);
	CHECK_INT(e.attempts, 5);
	aws_client_free(c);
	setenv("AWS_MAX_ATTEMPTS", "1", 1);
	c = client();
	unsetenv("AWS_MAX_ATTEMPTS");
	emu_fault("{\"kind\":\"throttle\",\"action\":\"DescribeInstances\",\"count\":1}");
	CHECK_INT(aws_ec2_describe_instances(c, ids, 1, NULL, 0, NULL, &e), SG_ERR_THROTTLED);
	CHECK_INT(e.attempts, 1);
	emu_clear_faults();
	aws_client_free(c);

	/* a slow reply past the timeout is retried on reads */
	struct aws_client_opts o = {.timeout_ms = 700};
	c = client_with(o, &e);
	emu_fault("{\"kind\":\"delay\",\"action\":\"DescribeVolumes\",\"seconds\":2,\"count\":1}");
	CHECK_INT(aws_ec2_describe_volumes(c, NULL, 0, NULL, 0, NULL, &e), SG_OK);
	CHECK_INT(e.attempts, 2);
	emu_clear_faults();
	aws_client_free(c);
}

/* ------------------------------------------------------------- credentials */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A profile whose credentials do not work: refused at aws_client_new,
 * the message naming what (and never the secret). */
static void refused_profile(const char *profile, const char *what, const char *secret)
{
	struct aws_error e;
	struct aws_client_opts o = {.profile = profile, .region = "us-east-1"};
	struct aws_client *c = NULL;
	CHECK_INT(aws_client_new(&o, &c, &e), SG_ERR_AUTH);
	CHECKF(strstr(e.message, what) != NULL, "%s: %s", profile, e.message);
	CHECK(strstr(e.message, secret) == NULL);
	keep_error(&e);
	aws_client_free(c);
}

TEST(credential_chain)
{
	const char *tmp = getenv("TEST_TMPDIR");
	char keep_ak[128], keep_sk[256], path[512], cfg[512], text[2048];
	snprintf(keep_ak, sizeof keep_ak, "%s", getenv("AWS_ACCESS_KEY_ID"));
	snprintf(keep_sk, sizeof keep_sk, "%s", getenv("AWS_SECRET_ACCESS_KEY"));
	struct aws_error e;
	char arn[2048];

	/* 1. environment */
	struct aws_client *c = client();
	CHECK_INT(whoami(c, arn, &e), SG_OK);
	CHECK(strstr(arn, ":user/ssrfguard-responder") != NULL);
	aws_client_free(c);

	/* 2. shared credentials file, profile from AWS_PROFILE */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	snprintf(path, sizeof path, "%s/credentials", tmp);
	snprintf(text, sizeof text,
	         "[default]\naws_access_key_id = AKIANOTVALID00000000\naws_secret_access_key = x\n\n"
	         "# the responder\n[ir]\naws_access_key_id = ASIAEXAMPLESESSION01\n"
	         "aws_secret_access_key = %s\naws_session_token = %s\n",
	         session_secret, session_token);
	write_file(path, text);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	setenv("AWS_PROFILE", "ir", 1);
	c = client();
	CHECK_INT(whoami(c, arn, &e), SG_OK);
	CHECK(strstr(arn, "assumed-role/ssrfguard-ir/responder") != NULL);
	aws_client_free(c);

	/* config file profile (with its region) when the credentials file lacks it */
	snprintf(cfg, sizeof cfg, "%s/config", tmp);
	snprintf(text, sizeof text,
	         "[default]\nregion = eu-west-1\n[profile  cfg]\nregion = us-east-1\n"
	         "aws_access_key_id = %s\naws_secret_access_key = %s\n",
	         keep_ak, keep_sk);
	write_file(cfg, text);
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_PROFILE", "cfg", 1);
	unsetenv("AWS_REGION");
	c = client();
	CHECK_STR(aws_client_region(c), "us-east-1");
	CHECK_INT(whoami(c, arn, &e), SG_OK);
	CHECK(strstr(arn, ":user/ssrfguard-responder") != NULL);
	aws_client_free(c);
	/* credential_process: run as its words say (quotes kept, no shell), its
	 * JSON read from stdout; a failing or babbling process is refused */
	snprintf(text, sizeof text,
	         "[profile proc]\nregion = us-east-1\ncredential_process = /bin/sh -c "
	         "'printf \"{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"%%s\\\", "
	         "\\\"SecretAccessKey\\\": \\\"%%s\\\"}\" \"$0\" \"$1\"' %s %s\n"
	         "[profile proc-fails]\ncredential_process = /bin/sh -c 'exit 3'\n"
	         "[profile proc-babbles]\ncredential_process = /bin/echo not json\n"
	         "[profile proc-v2]\ncredential_process = /bin/echo {\"Version\":2}\n",
	         keep_ak, keep_sk);
	write_file(cfg, text);
	setenv("AWS_PROFILE", "proc", 1);
	c = client();
	CHECK_INT(whoami(c, arn, &e), SG_OK);
	CHECK(strstr(arn, ":user/ssrfguard-responder") != NULL);
	aws_client_free(c);
	refused_profile("proc-fails", "credential_process", keep_sk);
	refused_profile("proc-babbles", "credential_process", keep_sk);
	refused_profile("proc-v2", "credential_process", keep_sk);
	/* role_arn + source_profile: sts:AssumeRole signed with the source's keys */
	snprintf(text, sizeof text,
	         "[profile src]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
	         "[profile ir-role]\nregion = us-east-1\nsource_profile = src\n"
	         "role_arn = arn:aws:iam::123456789012:role/web-fleet-role\n"
	         "role_session_name = responder\n"
	         "[profile no-role]\nsource_profile = src\n"
	         "role_arn = arn:aws:iam::123456789012:role/no-such-role\n"
	         "[profile no-source]\nrole_arn = arn:aws:iam::123456789012:role/web-fleet-role\n",
	         keep_ak, keep_sk);
	write_file(cfg, text);
	setenv("AWS_PROFILE", "ir-role", 1);
	c = client();
	CHECK_INT(whoami(c, arn, &e), SG_OK);
	CHECK(strstr(arn, "assumed-role/web-fleet-role/responder") != NULL);
	aws_client_free(c);
	refused_profile("no-role", "AssumeRole", keep_sk);
	refused_profile("no-source", "role_arn", keep_sk);
	/* an explicitly named, missing profile is an error (no fall-through to IMDS) */
	struct aws_client_opts o = {.profile = "nope", .region = "us-east-1"};
	struct aws_client *none = NULL;
	CHECK_INT(aws_client_new(&o, &none, &e), SG_ERR_AUTH);
	CHECK(strstr(e.message, "nope") != NULL);
	keep_error(&e);
	setenv("AWS_REGION", "us-east-1", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_CONFIG_FILE");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);

	/* 3. container endpoint (the IMDS credential document has the same shape;
	 * this instance still allows IMDSv1 GETs) */
	char full[512];
	snprintf(full, sizeof full, "%s/latest/meta-data/iam/security-credentials/web-fleet-role",
	         getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", full, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer test-token", 1);
	c = client();
	CHECK_INT(whoami(c, arn, &e), SG_OK);
	CHECK(strstr(arn, "assumed-role/web-fleet-role") != NULL);
	aws_client_free(c);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://203.0.113.10/creds", 1);
	CHECK_INT(aws_client_new(NULL, &none, &e), SG_ERR_AUTH); /* not loopback/https */
	keep_error(&e);
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");

	/* 4. IMDSv2 role credentials (refresh: see imds_refresh) */
	c = client();
	CHECK_INT(whoami(c, arn, &e), SG_OK);
	CHECK(strstr(arn, "assumed-role/web-fleet-role/" WEB1) != NULL);
	aws_client_free(c);

	/* IMDS is reached directly even when proxy variables name a proxy
	 * (a closed port here): a proxy must never see its tokens. */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
	struct imds_identity direct;
	CHECK_INT(imds_identity_get(NULL, &direct), SG_OK);
	CHECK_STR(direct.instance_id, WEB1);
	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");

	/* AWS_EC2_METADATA_DISABLED ends the chain without a packet */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	CHECK_INT(aws_client_new(NULL, &none, &e), SG_ERR_AUTH);
	keep_error(&e);
	struct imds_identity id;
	CHECK_INT(imds_identity_get(NULL, &id), SG_ERR_UNSUPPORTED);
	unsetenv("AWS_EC2_METADATA_DISABLED");

	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	setenv("AWS_ACCESS_KEY_ID", keep_ak, 1);
	setenv("AWS_SECRET_ACCESS_KEY", keep_sk, 1);
}

/* A client clock that sits just before the IMDS credentials expire. */
static long long clock_value;
static long long fixed_clock(void *ctx)
{
	(void)ctx;
	return clock_value;
}

TEST(imds_refresh)
{
	char keep_ak[128], keep_sk[256];
	snprintf(keep_ak, sizeof keep_ak, "%s", getenv("AWS_ACCESS_KEY_ID"));
	snprintf(keep_sk, sizeof keep_sk, "%s", getenv("AWS_SECRET_ACCESS_KEY"));
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	struct aws_error e;
	struct aws_client *c = client();
	struct aws_credentials first;
	CHECK_INT(imds_role_credentials(NULL, &first), SG_OK);
	CHECK(first.expiration > (long long)time(NULL));
	CHECK(first.session_token[0] != '\0');
	/* far from expiry: no refresh */
	clock_value = (long long)time(NULL);
	aws_client_set_clock(c, fixed_clock, NULL);
	CHECK_INT(whoami(c, NULL, &e), SG_OK);
	CHECK(!cap.all.p || !strstr(cap.all.p, "credentials refreshed"));
	/* inside the 5-minute window: the client fetches new ones before signing */
	emu_do("POST", "/imds/rotate", "{}");
	clock_value = first.expiration - 120;
	aws_client_set_clock(c, fixed_clock, NULL);
	/* sign with the real time again so the request is not stale, but the
	 * refresh decision saw the late clock */
	sg_err rc = whoami(c, NULL, &e);
	CHECK(cap.all.p && strstr(cap.all.p, "credentials refreshed from imds"));
	(void)rc;
	aws_client_set_clock(c, NULL, NULL);
	CHECK_INT(whoami(c, NULL, &e), SG_OK);
	/* the service says the token expired before our clock does (the
	 * emulator's clock jumps 7 h): refreshed and re-sent once */
	emu_advance(7 * 3600);
	CHECK_INT(whoami(c, NULL, &e), SG_OK);
	CHECK(strstr(cap.all.p, "credentials expired early; resending") != NULL);
	CHECK_INT(e.attempts, 2);
	aws_credentials_wipe(&first);
	aws_client_free(c);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	setenv("AWS_ACCESS_KEY_ID", keep_ak, 1);
	setenv("AWS_SECRET_ACCESS_KEY", keep_sk, 1);
}

TEST(imds_identity)
{
	struct imds_identity id;
	CHECK_INT(imds_identity_get(NULL, &id), SG_OK);
	CHECK_STR(id.instance_id, WEB1);
	CHECK_STR(id.region, "us-east-1");
	CHECK_STR(id.availability_zone, "us-east-1a");
	CHECK_STR(id.account_id, "123456789012");
	char *body = NULL;
	size_t len = 0;
	CHECK_INT(imds_get(NULL, "/latest/meta-data/instance-id", &body, &len), SG_OK);
	CHECK(body && !strcmp(body, WEB1));
	free(body);
	CHECK_INT(imds_get(NULL, "/latest/meta-data/no-such-thing", &body, &len), SG_ERR_NOTFOUND);
	/* nothing listens there: a clean network error, quickly */
	struct imds_opts dead = {.endpoint = "http://127.0.0.1:9", .timeout_ms = 300, .attempts = 1};
	CHECK_INT(imds_identity_get(&dead, &id), SG_ERR_NETWORK);
	/* region from IMDS when nothing else names one */
	char keep[64];
	snprintf(keep, sizeof keep, "%s", getenv("AWS_REGION"));
	unsetenv("AWS_REGION");
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	struct aws_client *c = client();
	CHECK_STR(aws_client_region(c), "us-east-1");
	aws_client_free(c);
	unsetenv("AWS_CONFIG_FILE");
	setenv("AWS_REGION", keep, 1);
}

/* --------------------------------------------------------------- endpoints */

TEST(endpoints_and_tls)
{
	struct aws_error e;
	/* a per-service variable beats the global one */
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9", 1);
	struct aws_client_opts o = {.connect_timeout_ms = 500};
	struct aws_client *c = client_with(o, &e);
	CHECK_STR(aws_client_endpoint(c, AWS_STS), "http://127.0.0.1:9");
	CHECK_INT(whoami(c, NULL, &e), SG_ERR_NETWORK);
	CHECK_INT(e.attempts, 3); /* could not connect: certainly unsent, retried */
	CHECK_INT(aws_ec2_describe_volumes(c, NULL, 0, NULL, 0, NULL, &e), SG_OK);
	aws_client_free(c);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	c = client_with(o, &e);
	CHECK_STR(aws_client_endpoint(c, AWS_STS), "https://sts.us-east-1.amazonaws.com");
	aws_client_free(c); /* built, never called: no packet leaves the namespace */
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL_STS");

	/* HTTPS: verified against the test CA; refused without it, not retried */
	const char *tls = getenv("EMULATOR_TLS_URL");
	CHECK(tls != NULL);
	if (!tls)
		return;
	struct aws_client_opts t = {.endpoint_url = tls, .ca_bundle = getenv("TEST_CA_BUNDLE")};
	c = client_with(t, &e);
	CHECK_INT(whoami(c, NULL, &e), SG_OK);
	aws_client_free(c);
	t.ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
	c = client_with(t, &e);
	CHECK_INT(whoami(c, NULL, &e), SG_ERR_NETWORK);
	CHECK_INT(e.attempts, 1);
	CHECK(strstr(e.message, "certificate") || strstr(e.message, "SSL"));
	aws_client_free(c);
}

TEST(dry_run)
{
	struct aws_client *c = client();
	struct aws_error e;
	CHECK_INT(aws_ec2_set_disable_api_termination(c, WEB1, true, AWS_CALL_DRY_RUN, &e), SG_OK);
	CHECK_STR(e.code, "DryRunOperation");
	aws_client_free(c);
	/* a caller without the permission: "you may not", nothing sent twice */
	emu_do("POST", "/credentials",
	       "{\"access_key_id\":\"AKIADENIEDEXAMPLE001\",\"secret_access_key\":\"denied-secret\","
	       "\"deny\":[\"ec2:ModifyInstanceAttribute\"]}");
	struct aws_credentials denied = {0};
	snprintf(denied.access_key_id, sizeof denied.access_key_id, "AKIADENIEDEXAMPLE001");
	snprintf(denied.secret_access_key, sizeof denied.secret_access_key, "denied-secret");
	struct aws_client_opts o = {.credentials = &denied};
	c = client_with(o, &e);
	CHECK_INT(aws_ec2_set_disable_api_termination(c, WEB1, true, AWS_CALL_DRY_RUN, &e),
	          SG_ERR_AUTH);
	CHECK_STR(e.code, "UnauthorizedOperation");
	CHECK_INT(e.attempts, 1);
	/* not an EC2 call: refused locally */
	struct aws_params *p = aws_params_new();
	CHECK_INT(aws_query(c, AWS_STS, "GetCallerIdentity", p, AWS_CALL_DRY_RUN, NULL, &e),
	          SG_ERR_INVAL);
	/* an EC2 action without DryRun in its model: refused locally */
	aws_params_add(p, "AssociationId", "iip-assoc-0000000000000000");
	CHECK_INT(aws_query(c, AWS_EC2, "DisassociateIamInstanceProfile", p, AWS_CALL_DRY_RUN, NULL,
	                    &e),
	          SG_ERR_UNSUPPORTED);
	aws_params_free(p);
	aws_client_free(c);
}

/* Runs last: nothing any client logged or reported holds a secret. */
TEST(no_secrets_anywhere)
{
	CHECK(cap.lines > 10);
	const char *all = cap.all.p ? cap.all.p : "";
	CHECK(strstr(all, secret) == NULL);
	CHECK(strstr(all, session_secret) == NULL);
	CHECK(strstr(all, session_token) == NULL);
	CHECK(strstr(all, "Signature=") == NULL);
	if (getenv("TEST_SHOW_LOG"))
		fputs(all, stderr);
}

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sg_buf_init(&cap.all, 0);
	snprintf(secret, sizeof secret, "%s", getenv("AWS_SECRET_ACCESS_KEY"));
}

TEST_MAIN(setup, signatures, client_refusals, retries, credential_chain, imds_refresh,
          imds_identity, endpoints_and_tls, dry_run, no_secrets_anywhere)
