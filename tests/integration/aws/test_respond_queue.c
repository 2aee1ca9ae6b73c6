/*
 * test_respond_queue.c — the responder's SQS intake against the emulator
 * (under tests/netns-run): detector incidents and GuardDuty findings (sent
 * through an EventBridge rule) become incidents in the store, a message
 * delivered twice is one incident, messages are deleted only once
 * recorded, and poison is logged and left for the dead-letter queue; a
 * message whose SenderId may not send it (a web host naming another
 * instance, or forging a finding) is refused the same way, never an
 * incident.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "aws/aws.h"
#include "aws/sqs.h"
#include "emu.h"
#include "respond/queue.h"
#include "test.h"

#define WEB1 "i-0a1b2c3d4e5f60001"
#define WEB2 "i-0a1b2c3d4e5f60002"
#define DELIVERY(n) "{\"detector\":\"web-a\",\"incident\":" #n ",\"instance_id\":\"" WEB1 "\"," \
	"\"region\":\"us-east-1\",\"az\":\"us-east-1a\",\"client\":\"203.0.113.9\"," \
	"\"url\":\"http://169.254.169.254/latest/meta-data/\",\"dest\":\"169.254.169.254:80\"," \
	"\"category\":\"imds\",\"rule\":\"metadata\",\"reason\":\"IMDS\",\"at_ms\":1700000000000}"

static struct logcap logs;
static char store_path[256];
static respond_config rcfg;
/* The case's own queue and its dead-letter queue (use_queue). */
static char queue_name[64], dead_name[80], queue_url[160];

static void log_fn(void *ctx, const char *level, const char *message)
{
	(void)ctx;
	char line[1200];
	snprintf(line, sizeof line, "%s: %s", level, message);
	logcap_fn(&logs, line);
}

/* A client signing as instance iid's own processes do: with the role
 * session its instance profile hands out through IMDS (SenderId
 * "ROLEID:iid"). */
static struct aws_client *client_of(const char *iid)
{
	char body[128];
	snprintf(body, sizeof body, "{\"instance_id\": \"%s\"}", iid);
	json_t *r = emu("POST", "/imds/credentials", body);
	struct aws_credentials cr = {.expiration = 0};
	const char *k = json_string_value(json_object_get(r, "AccessKeyId"));
	const char *sk = json_string_value(json_object_get(r, "SecretAccessKey"));
	const char *tok = json_string_value(json_object_get(r, "Token"));
	CHECKF(k && sk && tok, "credentials of %s", iid);
	snprintf(cr.access_key_id, sizeof cr.access_key_id, "%s", k ? k : "");
	snprintf(cr.secret_access_key, sizeof cr.secret_access_key, "%s", sk ? sk : "");
	snprintf(cr.session_token, sizeof cr.session_token, "%s", tok ? tok : "");
	snprintf(cr.source, sizeof cr.source, "imds");
	json_decref(r);
	return emu_client(&cr, 25000);
}

static void remove_store(void)
{
	char p[300];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", store_path, (const char *[]){"", "-wal", "-shm"}[i]);
		unlink(p);
	}
}

static void setup(void)
{
	sg_buf_init(&logs.all, 0);
	snprintf(store_path, sizeof store_path, "/tmp/sg-queue-test-%d-%lld.db", (int)getpid(),
	         (long long)time(NULL));
	remove_store();
	respond_config_default(&rcfg);
	rcfg.store_path = store_path;
	rcfg.log = log_fn;
}

/* Each case polls a queue of its own, NAME, with dead-letter queue
 * NAME-dlq after 2 receives.  A stopped intake's long poll, ended on the
 * client's side, may still be answered by SQS until its WaitTimeSeconds:
 * on a shared queue it would take the next case's first message and hide
 * it for the last case's visibility timeout (respond_queue_stop). */
static void use_queue(const char *name)
{
	snprintf(queue_name, sizeof queue_name, "%s", name);
	snprintf(dead_name, sizeof dead_name, "%s-dlq", name);
	snprintf(queue_url, sizeof queue_url, "https://sqs.us-east-1.amazonaws.com/123456789012/%s", name);
	char seed[600];
	snprintf(seed, sizeof seed,
	         "{\"sqs_queues\": [{\"QueueName\": \"%s\"}, {\"QueueName\": \"%s\", \"Attributes\": "
	         "{\"RedrivePolicy\": \"{\\\"deadLetterTargetArn\\\": \\\"arn:aws:sqs:us-east-1:123456789012:%s"
	         "\\\", \\\"maxReceiveCount\\\": 2}\"}}]}", dead_name, name, dead_name);
	emu_do("POST", "/seed", seed);
}

/* The intake on the case's queue (use_queue), long polls of 1 s. */
static respond_queue *start_intake(int visibility_s)
{
	respond_queue_config qc = {.queue_url = queue_url, .rcfg = &rcfg,
	                           .visibility_s = visibility_s, .wait_s = 1};
	pb_gd_config_default(&qc.guardduty);
	respond_queue *q = NULL;
	char msg[512];
	CHECKF(respond_queue_start(&qc, &q, msg, sizeof msg) == SG_OK, "start: %s", msg);
	return q;
}

static size_t queue_depth(const char *name)
{
	json_t *s = emu("GET", "/state", NULL);
	json_t *q = json_object_get(json_object_get(s, "sqs"), name);
	size_t n = json_array_size(json_object_get(q, "messages"));
	if (!q)
		n = (size_t)-1;
	json_decref(s);
	return n;
}

static bool wait_for(bool (*cond)(void), int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (cond())
			return true;
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	return cond();
}

static size_t incidents(int state)
{
	store *st = NULL;
	char msg[256];
	if (store_open(store_path, NULL, &st, msg, sizeof msg))
		return 0;
	store_incident *arr = NULL;
	size_t n = 0;
	store_list(st, state, 0, 0, &arr, &n);
	store_incidents_free(arr, n);
	store_close(st);
	return n;
}

/* How many times the log says what. */
static int in_log(const char *what)
{
	int n = 0;
	for (const char *p = logs.all.p; p && (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static bool main_queue_empty(void)
{
	return queue_depth(queue_name) == 0;
}

static bool refused_logged(void)
{
	return logs.all.p && strstr(logs.all.p, "left to the dead-letter policy");
}

/* Send body as instance iid's processes would (NULL: as the test's own
 * IAM user). */
static void enqueue_as(const char *iid, const char *body)
{
	struct aws_client *c = iid ? client_of(iid) : emu_client(NULL, 25000);
	struct aws_error e;
	CHECKF(aws_sqs_send(c, queue_url, body, NULL, NULL, NULL, &e) == SG_OK, "send: %s",
	       e.message);
	aws_client_free(c);
}

static void enqueue(const char *body)
{
	enqueue_as(NULL, body);
}

static const char *finding(const char *type, const char *resource, int severity)
{
	static char buf[2048];
	static int seq;
	snprintf(buf, sizeof buf,
	         "{\"Source\": \"aws.guardduty\", \"DetailType\": \"GuardDuty Finding\", \"Detail\": "
	         "\"{\\\"id\\\": \\\"f-%d-%d\\\", \\\"accountId\\\": \\\"123456789012\\\", "
	         "\\\"region\\\": \\\"us-east-1\\\", \\\"type\\\": \\\"%s\\\", \\\"severity\\\": %d, "
	         "\\\"resource\\\": %s}\"}", severity, ++seq, type, severity, resource);
	return buf;
}

TEST(detector_incidents_once_each)
{
	use_queue("detector");
	respond_queue *q = start_intake(30);
	enqueue_as(WEB1, DELIVERY(7));
	enqueue_as(WEB1, DELIVERY(7));   /* the detector's retry: the same incident again */
	enqueue_as(WEB1, DELIVERY(8));
	CHECK(wait_for(main_queue_empty, 15));
	respond_queue_stop(q);
	/* one instance, one incident: the retry and the detector's next incident
	 * about the same instance join it */
	CHECK_INT(incidents(STORE_OPEN), 1);
	/* whichever came first opened it: a standard queue keeps no order (a
	 * receive whose answer was lost hides its messages for 30 s) */
	CHECKF(in_log("detector:web-a/7 on " WEB1 ": INC-1 (") == 2 &&
	       in_log("detector:web-a/8 on " WEB1 ": INC-1 (") == 1 &&
	       in_log(": INC-1 (new)") == 1 && in_log(": INC-1 (joined)") == 2, "%s", logs.all.p);
}

TEST(poison_is_logged_and_left_to_the_dead_letter_queue)
{
	use_queue("poison");
	respond_queue *q = start_intake(1);
	enqueue("{\"detector\": \"web-a\"");
	CHECK(wait_for(refused_logged, 10));
	/* received twice (maxReceiveCount 2), then the next receive redrives it */
	CHECK(wait_for(main_queue_empty, 15));
	respond_queue_stop(q);
	CHECK_INT(queue_depth(dead_name), 1);
	CHECK(strstr(logs.all.p, "(receive 1) refused") != NULL);
	CHECK(strstr(logs.all.p, "detector incident refused") != NULL);
}

static size_t count_of(const char *needle)
{
	size_t n = 0;
	for (const char *p = logs.all.p; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* AUDIT8 L1: on a queue without a redrive policy a refusal made visible at
 * once came straight back, one error line a turn, for the retention. */
TEST(a_queue_without_redrive_is_named_and_refusals_back_off)
{
	static const char warned[] = "the queue has no RedrivePolicy";
	CHECK_INT(count_of(warned), 0); /* the queues with one were not warned about */
	emu_do("POST", "/seed", "{\"sqs_queues\": [{\"QueueName\": \"bare\"}]}");
	char bare[160];
	snprintf(bare, sizeof bare, "https://sqs.us-east-1.amazonaws.com/123456789012/bare");
	respond_queue_config qc = {.queue_url = bare, .rcfg = &rcfg, .visibility_s = 30, .wait_s = 1};
	pb_gd_config_default(&qc.guardduty);
	respond_queue *q = NULL;
	char msg[512];
	CHECKF(respond_queue_start(&qc, &q, msg, sizeof msg) == SG_OK, "start: %s", msg);
	CHECK_INT(count_of(warned), 1);
	CHECK(respond_queue_without_redrive(q));
	size_t before = count_of("refused, left to the dead-letter policy");
	struct aws_client *c = emu_client(NULL, 25000);
	struct aws_error e;
	CHECKF(aws_sqs_send(c, bare, "{\"detector\": \"web-a\"", NULL, NULL, NULL, &e) == SG_OK,
	       "send: %s", e.message);
	aws_client_free(c);
	for (int i = 0; i < 100 && count_of("refused, left to the dead-letter policy") == before; i++)
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	CHECK_INT(count_of("refused, left to the dead-letter policy") - before, 1);
	/* 3 s more: at visibility 0 it came back within each 1 s poll */
	nanosleep(&(struct timespec){3, 0}, NULL);
	respond_queue_stop(q);
	CHECK_INT(count_of("refused, left to the dead-letter policy") - before, 1);
	CHECK_INT(queue_depth("bare"), 1); /* still there, hidden: never dropped */
}

static int64_t attempts_of(int64_t id)
{
	store *st = NULL;
	store_incident inc = {0};
	char msg[256];
	int64_t n = -1;
	if (store_open(store_path, NULL, &st, msg, sizeof msg) == SG_OK && store_get(st, id, &inc) == SG_OK)
		n = inc.attempts;
	store_incident_free(&inc);
	store_close(st);
	return n;
}

static bool three_senders_refused(void)
{
	return logs.all.p && strstr(logs.all.p, "GuardDuty-shaped event from") &&
	       strstr(logs.all.p, "about " WEB1 " from AIDA") && strstr(logs.all.p, "about " WEB1 " from AROA");
}

/* M4 of AUDIT7: a compromised web host (a detector, with sqs:SendMessage)
 * must not make the responder contain another instance, neither by a
 * delivery naming it nor by a forged GuardDuty event. */
TEST(a_sender_reports_only_itself)
{
	use_queue("senders");
	size_t before = incidents(-1);
	respond_queue *q = start_intake(30);
	enqueue_as(WEB2, DELIVERY(9));   /* web-2 names web-1 */
	enqueue(DELIVERY(10));           /* an IAM user is no instance's session either */
	/* as EventBridge delivers a finding, but sent by web-2 itself */
	enqueue_as(WEB2, "{\"version\": \"0\", \"id\": \"e-1\", \"detail-type\": \"GuardDuty "
	           "Finding\", \"source\": \"aws.guardduty\", \"account\": \"123456789012\", "
	           "\"region\": \"us-east-1\", \"detail\": {\"id\": \"forged-1\", \"accountId\": "
	           "\"123456789012\", \"region\": \"us-east-1\", \"type\": "
	           "\"UnauthorizedAccess:EC2/MetadataDNSRebind\", \"severity\": 9, \"resource\": "
	           "{\"resourceType\": \"Instance\", \"instanceDetails\": {\"instanceId\": \"" WEB1
	           "\"}}}}");
	CHECK(wait_for(three_senders_refused, 15));
	CHECK(wait_for(main_queue_empty, 15));   /* each received twice, then redriven */
	respond_queue_stop(q);
	CHECK_INT(incidents(-1), before);   /* none opened, none joined below */
	CHECK_INT(attempts_of(1), 3);
	CHECKF(strstr(logs.all.p, "detector incident about " WEB1 " from AROA") != NULL, "%s",
	       logs.all.p);
	CHECK(strstr(logs.all.p, ":" WEB2 " refused: a detector reports only its own instance") != NULL);
	CHECK(strstr(logs.all.p, "detector incident about " WEB1 " from AIDA") != NULL);
	CHECKF(strstr(logs.all.p, "GuardDuty-shaped event from AROA") != NULL, "%s", logs.all.p);
	CHECK(strstr(logs.all.p, ":" WEB2 " refused: EventBridge sends as its service") != NULL);
	CHECK_INT(queue_depth(dead_name), 3);   /* left for the dead-letter policy */
	CHECK(strstr(logs.all.p, "refused for its sender (6 so far)") != NULL);
}

/* The finding's detail is kept with its incident as step "finding". */
static bool finding_kept(int64_t id, const char *type, const char *names)
{
	store *st = NULL;
	char msg[256];
	if (store_open(store_path, NULL, &st, msg, sizeof msg))
		return false;
	store_step row = {0};
	bool ok = store_step_get(st, id, "finding", &row) == SG_OK && strstr(row.data, type) &&
	          strstr(row.data, names);
	store_step_free(&row);
	store_close(st);
	return ok;
}

/* INC-1 (web-1: three detector deliveries) joined by the web-1 finding;
 * INC-2 opened by the web-2 finding. */
static bool findings_recorded(void)
{
	return incidents(STORE_OPEN) == 2 && attempts_of(1) == 4 && finding_kept(1, "MetadataDNSRebind", WEB1) &&
	       finding_kept(2, "OutsideAWS", "AROAEXAMPLE:" WEB2);
}

static void post_event(const char *body)
{
	json_t *r = emu("POST", "/events", body);
	CHECKF(r && !json_object_get(r, "error"), "event refused: %s", body);
	json_decref(r);
}

TEST(guardduty_findings_through_eventbridge)
{
	/* the rule of docs/fleet.md, put with botocore as an operator would */
	use_queue("findings");
	char cmd[512];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", getenv("GUARDDUTY_RULE"), queue_name);
	CHECK_INT(system(cmd), 0);
	respond_queue *q = start_intake(30);
	/* first (taken before the others): a type whose default is ignore (the
	 * instance only the target of a probe), and a type GuardDuty does not have */
	post_event(finding("Recon:EC2/PortProbeUnprotectedPort",
	       "{\\\"resourceType\\\": \\\"Instance\\\", \\\"instanceDetails\\\": {\\\"instanceId\\\": "
	       "\\\"" WEB1 "\\\"}}", 8));
	post_event(finding("Recon:EC2/NoSuchFinding",
	       "{\\\"resourceType\\\": \\\"Instance\\\", \\\"instanceDetails\\\": {\\\"instanceId\\\": "
	       "\\\"" WEB1 "\\\"}}", 8));
	post_event(finding("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
	       "{\\\"resourceType\\\": \\\"AccessKey\\\", \\\"accessKeyDetails\\\": {\\\"principalId\\\": "
	       "\\\"AROAEXAMPLE:" WEB2 "\\\"}}", 8));
	post_event(finding("UnauthorizedAccess:EC2/MetadataDNSRebind",
	       "{\\\"resourceType\\\": \\\"Instance\\\", \\\"instanceDetails\\\": {\\\"instanceId\\\": "
	       "\\\"" WEB1 "\\\"}}", 5));
	CHECK(wait_for(findings_recorded, 15));
	respond_queue_stop(q);
	/* a GuardDuty finding and a detector incident on one instance are one
	 * incident: the medium finding (observe) joined web-1's open incident */
	CHECK_INT(incidents(STORE_OPEN), 2);
	CHECK_INT(incidents(STORE_LOGGED), 0);
	CHECK(finding_kept(2, "InstanceCredentialExfiltration.OutsideAWS", "AROAEXAMPLE:" WEB2));
	CHECK(finding_kept(1, "MetadataDNSRebind", WEB1));
	CHECK(strstr(logs.all.p, "MetadataDNSRebind (severity 5.0) on " WEB1 ": INC-1 (observe, "
	             "joined)") != NULL);
	CHECKF(strstr(logs.all.p, "OutsideAWS (severity 8.0) on " WEB2 ": INC-") != NULL, "%s",
	       logs.all.p);
	CHECK(strstr(logs.all.p, "MetadataDNSRebind (severity 5.0) on " WEB1) != NULL);
	CHECK(strstr(logs.all.p, "observe") != NULL);
	CHECK(strstr(logs.all.p, "Recon:EC2/PortProbeUnprotectedPort (severity 8.0) on " WEB1
	             ": ignored by config") != NULL);
	CHECK(strstr(logs.all.p, "finding type \"Recon:EC2/NoSuchFinding\" is not one") != NULL);
}

static void teardown(void)
{
	remove_store();
	sg_buf_free(&logs.all);
}

TEST_MAIN(setup, detector_incidents_once_each, poison_is_logged_and_left_to_the_dead_letter_queue,
          a_sender_reports_only_itself, guardduty_findings_through_eventbridge,
          a_queue_without_redrive_is_named_and_refusals_back_off, teardown)
