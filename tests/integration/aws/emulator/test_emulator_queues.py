"""SQS as strict as the SQS developer guide (issue 13): visibility timeouts,
long polling, dead-letter redrive, FIFO deduplication; botocore's own client."""
import json
import threading
import time
import unittest

from botocore.exceptions import ClientError

from emutest import EmuTest


class Sqs(EmuTest):
    def err(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        return cm.exception.response["Error"]["Code"]

    def test_visibility_timeout_and_delete(self):
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName="incidents", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
        self.assertEqual(sqs.get_queue_url(QueueName="incidents")["QueueUrl"], url)
        sent = sqs.send_message(QueueUrl=url, MessageBody='{"incident": 1}',
                                MessageAttributes={"kind": {"DataType": "String", "StringValue": "ssrf"}})
        m = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"][0]
        self.assertEqual((m["MessageId"], m["Body"]), (sent["MessageId"], '{"incident": 1}'))
        self.assertEqual(m["MessageAttributes"]["kind"]["StringValue"], "ssrf")
        self.assertEqual(m["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"])
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url))          # in flight: invisible
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=60)
        self.emu.advance(45)
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url))          # extended past 30 s
        self.emu.advance(20)
        again = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
        self.assertEqual(again["Attributes"]["ApproximateReceiveCount"], "2")
        # the older handle deletes nothing (and does not fail); the newest does
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(self.err(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                  VisibilityTimeout=10), "AWS.SimpleQueueService.MessageNotInflight")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
        self.emu.advance(100)
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url))
        self.assertEqual(self.err(sqs.delete_message, QueueUrl=url, ReceiptHandle="forged"),
                         "ReceiptHandleIsInvalid")
        self.assertEqual(self.err(sqs.get_queue_url, QueueName="nope"), "AWS.SimpleQueueService.NonExistentQueue")

    def test_long_polling_answers_when_a_message_arrives(self):
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName="incidents")["QueueUrl"]
        t0 = time.monotonic()
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1))
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)                      # waited
        sender = self.emu.client("sqs")
        threading.Timer(0.5, lambda: sender.send_message(QueueUrl=url, MessageBody="late")).start()
        t0 = time.monotonic()
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
        self.assertEqual(got[0]["Body"], "late")
        self.assertLess(time.monotonic() - t0, 5)                                # answered on arrival
        self.assertEqual(self.err(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=21), "InvalidParameterValue")

    def test_dead_letter_redrive(self):
        sqs = self.client("sqs")
        dlq = sqs.create_queue(QueueName="incidents-dlq")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(QueueName="incidents", Attributes={
            "VisibilityTimeout": "5", "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2})
        })["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="poison")
        for _ in range(2):
            self.assertEqual(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"], "poison")
            self.emu.advance(6)
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url))          # third time: redriven
        self.assertEqual(sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"], "poison")

    def test_fifo_deduplication_and_group_order(self):
        sqs = self.client("sqs")
        self.assertEqual(self.err(sqs.create_queue, QueueName="incidents.fifo"), "InvalidParameterValue")
        url = sqs.create_queue(QueueName="incidents.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        self.assertEqual(self.err(sqs.send_message, QueueUrl=url, MessageBody="a", MessageGroupId="i-1"),
                         "InvalidParameterValue")                               # no dedup id, no content dedup
        first = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="i-1", MessageDeduplicationId="INC-1")
        dup = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="i-1", MessageDeduplicationId="INC-1")
        self.assertEqual(dup["MessageId"], first["MessageId"])
        sqs.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="i-1", MessageDeduplicationId="INC-2")
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([m["Body"] for m in got], ["a"])                         # b waits behind a
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
        b = sqs.receive_message(QueueUrl=url)["Messages"][0]
        self.assertEqual(b["Body"], "b")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=b["ReceiptHandle"])
        self.emu.advance(301)                                                     # the 5-minute window passed
        sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="i-2", MessageDeduplicationId="INC-1")
        self.assertEqual(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                         ["Attributes"]["ApproximateNumberOfMessages"], "1")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
