/*
 * test_aws_sqs.c — the typed SQS calls against the emulator (run by
 * with_emulator.py under tests/netns-run): send, long-poll receive,
 * visibility extension, delete, FIFO deduplication, redrive to the
 * dead-letter queue, and the refusals a caller must tell apart.
 */
#include <stdlib.h>
#include <time.h>

#include "aws/aws.h"
#include "aws/sqs.h"
#include "emu.h"
#include "test.h"

#define Q(name) "https://sqs.us-east-1.amazonaws.com/123456789012/" name

static void seed_queues(void)
{
	emu_do("POST", "/seed",
	       "{\"sqs_queues\": ["
	       "{\"QueueName\": \"incidents-dlq\"},"
	       "{\"QueueName\": \"incidents\", \"Attributes\": {\"VisibilityTimeout\": \"30\","
	       " \"RedrivePolicy\": \"{\\\"deadLetterTargetArn\\\": "
	       "\\\"arn:aws:sqs:us-east-1:123456789012:incidents-dlq\\\", \\\"maxReceiveCount\\\": 2}\"}},"
	       "{\"QueueName\": \"incidents.fifo\", \"Attributes\": {\"FifoQueue\": \"true\"}}]}");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(url_checks)
{
	CHECK(aws_sqs_queue_url_ok(Q("incidents")));
	CHECK(aws_sqs_queue_url_ok(Q("incidents.fifo")));
	CHECK(aws_sqs_queue_url_ok("http://127.0.0.1:4566/123456789012/q"));
	CHECK(!aws_sqs_queue_url_ok("https://sqs.us-east-1.amazonaws.com/12345678901/q"));
	CHECK(!aws_sqs_queue_url_ok(Q("")));
	CHECK(!aws_sqs_queue_url_ok(Q(".fifo")));
	CHECK(!aws_sqs_queue_url_ok(Q("a/b")));
	CHECK(!aws_sqs_queue_url_ok(Q("a b")));
	CHECK(!aws_sqs_queue_url_ok("ftp://sqs.us-east-1.amazonaws.com/123456789012/q"));
	CHECK(!aws_sqs_queue_url_ok(NULL));
	CHECK(aws_sqs_queue_is_fifo(Q("x.fifo")));
	CHECK(!aws_sqs_queue_is_fifo(Q("x")));
}

TEST(send_receive_extend_delete)
{
	struct aws_client *c = emu_client(NULL, 25000);
	struct aws_error e;
	char id[128];
	CHECK_INT(aws_sqs_send(c, Q("incidents"), "{\"incident\": \"INC-1\"}", NULL, NULL, id, &e), SG_OK);
	CHECK(id[0] != '\0');
	struct aws_sqs_message *m = NULL;
	size_t n = 0;
	CHECK_INT(aws_sqs_receive(c, Q("incidents"), 10, 0, 30, &m, &n, &e), SG_OK);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(m[0].message_id, id);
		CHECK_STR(m[0].body, "{\"incident\": \"INC-1\"}");
		CHECK_INT(m[0].receive_count, 1);
		CHECK(m[0].sent_ms > 0);
		/* in flight: invisible to others; extended past its first 30 s */
		CHECK_INT(aws_sqs_change_visibility(c, Q("incidents"), m[0].receipt_handle, 90, &e), SG_OK);
		emu_advance(60);
		struct aws_sqs_message *none = NULL;
		size_t nn = 9;
		CHECK_INT(aws_sqs_receive(c, Q("incidents"), 1, 0, -1, &none, &nn, &e), SG_OK);
		CHECK_INT(nn, 0);
		CHECK(none == NULL);
		CHECK_INT(aws_sqs_delete(c, Q("incidents"), m[0].receipt_handle, &e), SG_OK);
		/* gone: no longer in flight, and never delivered again */
		CHECK_INT(aws_sqs_change_visibility(c, Q("incidents"), m[0].receipt_handle, 10, &e),
		          SG_ERR_STATE);
		CHECK_STR(e.code, "AWS.SimpleQueueService.MessageNotInflight");
		emu_advance(120);
		CHECK_INT(aws_sqs_receive(c, Q("incidents"), 1, 0, -1, &none, &nn, &e), SG_OK);
		CHECK_INT(nn, 0);
	}
	aws_sqs_messages_free(m, n);
	aws_client_free(c);
}

TEST(long_poll_waits_then_returns_empty)
{
	struct aws_client *c = emu_client(NULL, 25000);
	struct aws_error e;
	struct aws_sqs_message *m = NULL;
	size_t n = 0;
	double t0 = now_s();
	CHECK_INT(aws_sqs_receive(c, Q("incidents"), 1, 2, -1, &m, &n, &e), SG_OK);
	double waited = now_s() - t0;
	CHECK_INT(n, 0);
	CHECKF(waited >= 1.8 && waited < 10, "waited %.2f s", waited);
	CHECK_INT(aws_sqs_receive(c, Q("incidents"), 1, 21, -1, &m, &n, &e), SG_ERR_INVAL);
	CHECK_INT(aws_sqs_receive(c, Q("incidents"), 11, 0, -1, &m, &n, &e), SG_ERR_INVAL);
	aws_client_free(c);
}

TEST(poison_goes_to_the_dead_letter_queue)
{
	struct aws_client *c = emu_client(NULL, 25000);
	struct aws_error e;
	CHECK_INT(aws_sqs_send(c, Q("incidents"), "poison", NULL, NULL, NULL, &e), SG_OK);
	for (unsigned i = 1; i <= 2; i++) {
		struct aws_sqs_message *m = NULL;
		size_t n = 0;
		CHECK_INT(aws_sqs_receive(c, Q("incidents"), 1, 0, 0, &m, &n, &e), SG_OK);
		CHECK_INT(n, 1);
		if (n)
			CHECK_INT(m[0].receive_count, i);
		aws_sqs_messages_free(m, n);
	}
	struct aws_sqs_message *m = NULL;
	size_t n = 0;
	CHECK_INT(aws_sqs_receive(c, Q("incidents"), 1, 0, 0, &m, &n, &e), SG_OK);
	CHECK_INT(n, 0);   /* third receive: redriven */
	CHECK_INT(aws_sqs_receive(c, Q("incidents-dlq"), 1, 0, 30, &m, &n, &e), SG_OK);
	CHECK_INT(n, 1);
	if (n) {
		CHECK_STR(m[0].body, "poison");
		CHECK_INT(aws_sqs_delete(c, Q("incidents-dlq"), m[0].receipt_handle, &e), SG_OK);
	}
	aws_sqs_messages_free(m, n);
	aws_client_free(c);
}

TEST(fifo_deduplicates)
{
	struct aws_client *c = emu_client(NULL, 25000);
	struct aws_error e;
	char a[128], b[128];
	CHECK_INT(aws_sqs_send(c, Q("incidents.fifo"), "x", NULL, "INC-1", a, &e), SG_ERR_INVAL);
	CHECK_INT(aws_sqs_send(c, Q("incidents.fifo"), "x", "i-1", "INC-1", a, &e), SG_OK);
	CHECK_INT(aws_sqs_send(c, Q("incidents.fifo"), "x", "i-1", "INC-1", b, &e), SG_OK);
	CHECK_STR(a, b);
	CHECK_INT(aws_sqs_send(c, Q("incidents.fifo"), "x", "i-1", "bad id", b, &e), SG_ERR_INVAL);
	struct aws_sqs_message *m = NULL;
	size_t n = 0;
	CHECK_INT(aws_sqs_receive(c, Q("incidents.fifo"), 10, 0, 30, &m, &n, &e), SG_OK);
	CHECK_INT(n, 1);
	if (n)
		CHECK_INT(aws_sqs_delete(c, Q("incidents.fifo"), m[0].receipt_handle, &e), SG_OK);
	aws_sqs_messages_free(m, n);
	aws_client_free(c);
}

TEST(refusals)
{
	struct aws_client *c = emu_client(NULL, 25000);
	struct aws_error e;
	CHECK_INT(aws_sqs_send(c, Q("nope"), "x", NULL, NULL, NULL, &e), SG_ERR_NOTFOUND);
	CHECK_STR(e.code, "AWS.SimpleQueueService.NonExistentQueue");
	CHECK_INT(aws_sqs_delete(c, Q("incidents"), "forged", &e), SG_ERR_INVAL);
	CHECK_STR(e.code, "ReceiptHandleIsInvalid");
	CHECK_INT(aws_sqs_send(c, Q("incidents"), "", NULL, NULL, NULL, &e), SG_ERR_INVAL);
	char *big = malloc(AWS_SQS_MAX_BODY + 2);
	if (big) {
		memset(big, 'a', AWS_SQS_MAX_BODY + 1);
		big[AWS_SQS_MAX_BODY + 1] = '\0';
		CHECK_INT(aws_sqs_send(c, Q("incidents"), big, NULL, NULL, NULL, &e), SG_ERR_INVAL);
		free(big);
	}
	aws_client_free(c);
}

TEST_MAIN(url_checks, seed_queues, send_receive_extend_delete, long_poll_waits_then_returns_empty,
          poison_goes_to_the_dead_letter_queue, fifo_deduplicates, refusals)
