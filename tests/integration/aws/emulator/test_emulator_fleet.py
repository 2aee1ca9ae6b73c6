"""The fleet services of issue 13, through botocore's own clients: SQS
(visibility timeouts, long polling, dead-letter redrive, FIFO deduplication),
DynamoDB (conditional writes, queries on the keys)."""
import json
import threading
import time
import unittest

from botocore.exceptions import ClientError

from emutest import EmuTest


class Sqs(EmuTest):
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


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


class Dynamo(EmuTest):
    def table(self):
        ddb = self.client("dynamodb")
        d = ddb.create_table(TableName="incidents", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                   {"AttributeName": "sk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}])["TableDescription"]
        self.assertEqual(d["TableStatus"], "CREATING")
        self.assertEqual(self.err(ddb.put_item, TableName="incidents", Item={"pk": S("i-1"), "sk": S("x")}),
                         "ResourceNotFoundException")
        self.emu.advance(1)
        self.assertEqual(ddb.describe_table(TableName="incidents")["Table"]["TableStatus"], "ACTIVE")
        return ddb

    def test_conditional_writes_make_one_claim(self):
        ddb = self.table()
        claim = dict(TableName="incidents", Item={"pk": S("i-1"), "sk": S("claim"), "owner": S("r1"), "lease": N(100)},
                     ConditionExpression="attribute_not_exists(pk) OR lease < :now",
                     ExpressionAttributeValues={":now": N(50)})
        ddb.put_item(**claim)
        claim["Item"] = dict(claim["Item"], owner=S("r2"))
        self.assertEqual(self.err(ddb.put_item, **claim), "ConditionalCheckFailedException")
        got = ddb.get_item(TableName="incidents", Key={"pk": S("i-1"), "sk": S("claim")}, ConsistentRead=True)
        self.assertEqual(got["Item"]["owner"], S("r1"))                           # unchanged
        # the lease expired: a takeover passes the same condition
        claim["ExpressionAttributeValues"] = {":now": N(150)}
        ddb.put_item(**claim)
        # update with a condition and counters
        out = ddb.update_item(TableName="incidents", Key={"pk": S("i-1"), "sk": S("claim")},
                              UpdateExpression="SET #s = :s, attempts = if_not_exists(attempts, :zero) + :one "
                                               "REMOVE lease",
                              ConditionExpression="#o = :me", ExpressionAttributeNames={"#s": "state", "#o": "owner"},
                              ExpressionAttributeValues={":s": S("running"), ":zero": N(0), ":one": N(1),
                                                         ":me": S("r2")}, ReturnValues="ALL_NEW")["Attributes"]
        self.assertEqual((out["state"], out["attempts"], "lease" in out), (S("running"), N(1), False))
        self.assertEqual(self.err(ddb.update_item, TableName="incidents", Key={"pk": S("i-1"), "sk": S("claim")},
                                  UpdateExpression="SET #s = :s", ConditionExpression="#o = :me",
                                  ExpressionAttributeNames={"#s": "state", "#o": "owner"},
                                  ExpressionAttributeValues={":s": S("done"), ":me": S("r1")}),
                         "ConditionalCheckFailedException")
        # placeholders given but not used, and key type mismatches, are refused as DynamoDB does
        self.assertEqual(self.err(ddb.put_item, TableName="incidents", Item={"pk": S("i-2"), "sk": S("a")},
                                  ExpressionAttributeValues={":x": N(1)}), "ValidationException")
        self.assertEqual(self.err(ddb.put_item, TableName="incidents", Item={"pk": N(2), "sk": S("a")}),
                         "ValidationException")
        ddb.delete_item(TableName="incidents", Key={"pk": S("i-1"), "sk": S("claim")},
                        ConditionExpression="attribute_exists(pk)")
        self.assertNotIn("Item", ddb.get_item(TableName="incidents", Key={"pk": S("i-1"), "sk": S("claim")},
                                              ConsistentRead=True))

    def test_query_on_the_keys(self):
        ddb = self.table()
        for i in range(5):
            ddb.put_item(TableName="incidents", Item={"pk": S("i-1"), "sk": S(f"step#{i}"), "n": N(i)})
        ddb.put_item(TableName="incidents", Item={"pk": S("i-2"), "sk": S("step#0"), "n": N(9)})
        q = dict(TableName="incidents", KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                 ExpressionAttributeValues={":p": S("i-1"), ":s": S("step#")}, ConsistentRead=True)
        items = ddb.query(**q)["Items"]
        self.assertEqual([x["sk"]["S"] for x in items], [f"step#{i}" for i in range(5)])
        page = ddb.query(Limit=2, ScanIndexForward=False, **q)
        self.assertEqual([x["sk"]["S"] for x in page["Items"]], ["step#4", "step#3"])
        f = ddb.query(FilterExpression="n >= :min", **dict(q, ExpressionAttributeValues={
            ":p": S("i-1"), ":s": S("step#"), ":min": N(3)}))
        self.assertEqual((f["Count"], f["ScannedCount"]), (2, 5))
        # ExclusiveStartKey is a position: the item it names may be gone since
        ddb.delete_item(TableName="incidents", Key={"pk": S("i-1"), "sk": S("step#3")})
        rest = ddb.query(Limit=10, ScanIndexForward=False, ExclusiveStartKey=page["LastEvaluatedKey"], **q)
        self.assertEqual([x["sk"]["S"] for x in rest["Items"]], ["step#2", "step#1", "step#0"])
        self.assertNotIn("LastEvaluatedKey", rest)
        # a page cut by Limit has a LastEvaluatedKey even when nothing follows
        # ("it does not necessarily mean that there is more data")
        full = ddb.query(Limit=4, **q)
        self.assertEqual((full["Count"], "LastEvaluatedKey" in full), (4, True))
        self.assertEqual(ddb.query(ExclusiveStartKey=full["LastEvaluatedKey"], **q)["Items"], [])
        # below a sort key, newest first: the store's list pages this way
        below = ddb.query(TableName="incidents", KeyConditionExpression="pk = :p AND sk < :b",
                          ExpressionAttributeValues={":p": S("i-1"), ":b": S("step#2")},
                          ScanIndexForward=False, ConsistentRead=True)
        self.assertEqual([x["sk"]["S"] for x in below["Items"]], ["step#1", "step#0"])
        self.assertEqual(self.err(ddb.query, TableName="incidents", KeyConditionExpression="sk = :s",
                                  ExpressionAttributeValues={":s": S("step#0")}), "ValidationException")

    def test_eventually_consistent_reads_lag(self):
        """DynamoDB developer guide, "DynamoDB read consistency": only
        ConsistentRead=true is sure to see a write just completed."""
        ddb = self.table()
        key = {"pk": S("incident"), "sk": S("1")}
        ddb.put_item(TableName="incidents", Item=dict(key, state=S("open")))
        ddb.update_item(TableName="incidents", Key=key, UpdateExpression="SET #s = :c",
                        ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":c": S("containing")})
        self.assertEqual(ddb.get_item(TableName="incidents", Key=key, ConsistentRead=True)["Item"]["state"],
                         S("containing"))
        self.assertNotEqual(ddb.get_item(TableName="incidents", Key=key).get("Item", {}).get("state"),
                            S("containing"))
        q = dict(TableName="incidents", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("incident")})
        self.assertNotEqual([x["state"] for x in ddb.query(**q)["Items"]], [S("containing")])
        self.assertEqual([x["state"] for x in ddb.query(ConsistentRead=True, **q)["Items"]], [S("containing")])
        self.emu.advance(2)
        self.assertEqual(ddb.get_item(TableName="incidents", Key=key)["Item"]["state"], S("containing"))

    def test_global_secondary_index_is_sparse_projected_and_eventually_consistent(self):
        """DynamoDB developer guide, "Using Global Secondary Indexes": sparse,
        projected, eventually consistent only."""
        ddb = self.client("dynamodb")
        ddb.create_table(TableName="gsi", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "cl")],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         GlobalSecondaryIndexes=[{"IndexName": "claimable", "KeySchema": [
                             {"AttributeName": "cl", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["state"]}}])
        self.emu.advance(1)
        ix = ddb.describe_table(TableName="gsi")["Table"]["GlobalSecondaryIndexes"][0]
        self.assertEqual((ix["IndexName"], ix["IndexStatus"]), ("claimable", "ACTIVE"))
        for i, cl in ((1, True), (2, False), (3, True)):
            item = {"pk": S("incident"), "sk": S(f"{i:05d}"), "state": S("open"), "big": S("x" * 10)}
            if cl:
                item["cl"] = S("1")
            ddb.put_item(TableName="gsi", Item=item)
        q = dict(TableName="gsi", IndexName="claimable", KeyConditionExpression="cl = :c",
                 ExpressionAttributeValues={":c": S("1")})
        self.assertEqual(ddb.query(**q)["Items"], [])                 # not propagated yet
        self.assertEqual(self.err(ddb.query, ConsistentRead=True, **q), "ValidationException")
        self.emu.advance(1.5)
        items = ddb.query(**q)["Items"]
        self.assertEqual([x["sk"]["S"] for x in items], ["00001", "00003"])     # sparse, in index order
        self.assertEqual(set(items[0]), {"pk", "sk", "cl", "state"})         # INCLUDE: no "big"
        ddb.update_item(TableName="gsi", Key={"pk": S("incident"), "sk": S("00001")}, UpdateExpression="REMOVE cl")
        self.assertEqual([x["sk"]["S"] for x in ddb.query(**q)["Items"]], ["00001", "00003"])   # still, for a while
        self.emu.advance(1.5)
        page = ddb.query(Limit=1, **q)
        self.assertEqual([x["sk"]["S"] for x in page["Items"]], ["00003"])
        self.assertEqual(self.err(ddb.query, **dict(q, IndexName="nope")), "ValidationException")

    def test_item_size_and_query_pages(self):
        """400 KB items (quotas page); 1 MB query pages with LastEvaluatedKey
        without Limit ("Paginating table query results")."""
        ddb = self.table()
        big = "x" * (400 * 1024 - 40)
        self.assertEqual(self.err(ddb.put_item, TableName="incidents",
                                  Item={"pk": S("p"), "sk": S("big"), "data": S(big + "x" * 100)}),
                         "ValidationException")
        for i in range(4):
            ddb.put_item(TableName="incidents", Item={"pk": S("p"), "sk": S(f"{i}"), "data": S(big)})
        q = dict(TableName="incidents", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("p")},
                 ConsistentRead=True)
        first = ddb.query(**q)
        self.assertEqual(len(first["Items"]), 2)
        second = ddb.query(ExclusiveStartKey=first["LastEvaluatedKey"], **q)
        self.assertEqual([x["sk"]["S"] for x in second["Items"]], ["2", "3"])
        self.assertNotIn("LastEvaluatedKey", second)
        # the 1 MB counts what is read before the filter: a page may match
        # nothing and still go on
        f = dict(q, FilterExpression="attribute_not_exists(#d)", ExpressionAttributeNames={"#d": "data"})
        first = ddb.query(**f)
        self.assertEqual((first["Items"], first["ScannedCount"], "LastEvaluatedKey" in first), ([], 2, True))
        second = ddb.query(ExclusiveStartKey=first["LastEvaluatedKey"], **f)
        self.assertEqual((second["Items"], second["ScannedCount"], "LastEvaluatedKey" in second), ([], 2, False))
        self.assertEqual(self.err(ddb.update_item, TableName="incidents", Key={"pk": S("p"), "sk": S("0")},
                                  UpdateExpression="SET more = :m", ExpressionAttributeValues={":m": S("y" * 200)}),
                         "ValidationException")

    def test_transactions_all_or_nothing(self):
        """TransactWriteItems (API reference): a failed condition cancels
        every action, with one CancellationReason per action; a
        ClientRequestToken makes a resend a no-op."""
        ddb = self.table()
        inc = {"pk": S("incident"), "sk": S("7")}
        ptr = {"pk": S("active"), "sk": S("instance:i-1")}
        tx = [{"Put": {"TableName": "incidents", "Item": dict(inc, state=S("open")),
                       "ConditionExpression": "attribute_not_exists(pk)"}},
              {"Put": {"TableName": "incidents", "Item": dict(ptr, incident=N(7)),
                       "ConditionExpression": "attribute_not_exists(pk)"}}]
        ddb.transact_write_items(TransactItems=tx, ClientRequestToken="t1")
        ddb.transact_write_items(TransactItems=tx, ClientRequestToken="t1")          # resend: a no-op
        try:
            ddb.transact_write_items(TransactItems=tx, ClientRequestToken="t2")
            self.fail("a second incident for one key")
        except ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], "TransactionCanceledException")
            self.assertEqual([r["Code"] for r in e.response["CancellationReasons"]],
                             ["ConditionalCheckFailed", "ConditionalCheckFailed"])
        self.assertEqual(self.err(ddb.transact_write_items, TransactItems=tx[:1], ClientRequestToken="t1"),
                         "IdempotentParameterMismatchException")
        # one failing check leaves the other action undone
        tx2 = [{"Update": {"TableName": "incidents", "Key": inc, "UpdateExpression": "SET #s = :c",
                           "ExpressionAttributeNames": {"#s": "state"}, "ExpressionAttributeValues": {":c": S("x")}}},
               {"ConditionCheck": {"TableName": "incidents", "Key": ptr,
                                   "ConditionExpression": "incident = :other",
                                   "ExpressionAttributeValues": {":other": N(8)}}}]
        self.assertEqual(self.err(ddb.transact_write_items, TransactItems=tx2), "TransactionCanceledException")
        self.assertEqual(ddb.get_item(TableName="incidents", Key=inc, ConsistentRead=True)["Item"]["state"], S("open"))
        self.assertEqual(self.err(ddb.transact_write_items, TransactItems=[tx2[0], tx2[0]]), "ValidationException")

    def test_transaction_size_limits(self):
        """TransactWriteItems (API reference): at most 100 actions, and the
        items at most 4 MB together, each refused whole."""
        ddb = self.table()
        big = [{"Put": {"TableName": "incidents",
                        "Item": {"pk": S("big"), "sk": S(str(i)), "v": S("x" * 390000)}}} for i in range(11)]
        self.assertEqual(self.err(ddb.transact_write_items, TransactItems=big), "ValidationException")
        self.assertEqual(ddb.query(TableName="incidents", KeyConditionExpression="pk = :p",
                                   ExpressionAttributeValues={":p": S("big")}, ConsistentRead=True)["Count"], 0)
        ddb.transact_write_items(TransactItems=big[:10])     # 3.9 MB: within the limit
        many = [{"Put": {"TableName": "incidents", "Item": {"pk": S("many"), "sk": S(str(i))}}} for i in range(101)]
        self.assertEqual(self.err(ddb.transact_write_items, TransactItems=many), "ValidationException")
        ddb.transact_write_items(TransactItems=many[:100])

    def test_fault_skips_the_first_calls(self):
        """A rule with skip lets the first matching calls through: the
        second transaction of a batch fails, the first lands."""
        ddb = self.table()
        self.emu.fault(kind="error", service="dynamodb", action="TransactWriteItems", skip=1, count=1,
                       code="AccessDeniedException", status=400)
        one = [{"Put": {"TableName": "incidents", "Item": {"pk": S("f"), "sk": S("1")}}}]
        two = [{"Put": {"TableName": "incidents", "Item": {"pk": S("f"), "sk": S("2")}}}]
        ddb.transact_write_items(TransactItems=one)
        self.assertEqual(self.err(ddb.transact_write_items, TransactItems=two), "AccessDeniedException")
        ddb.transact_write_items(TransactItems=two)          # the rule was used up

    def test_throughput_exceeded_is_injected(self):
        ddb = self.table()
        self.emu.fault(kind="throttle", service="dynamodb", action="GetItem", count=1,
                       code="ProvisionedThroughputExceededException")
        key = {"pk": S("a"), "sk": S("b")}
        self.assertEqual(self.err(ddb.get_item, TableName="incidents", Key=key),
                         "ProvisionedThroughputExceededException")
        self.assertNotIn("Item", ddb.get_item(TableName="incidents", Key=key))   # the rule was used up


FINDING = {"schemaVersion": "2.0", "accountId": "123456789012", "region": "us-east-1",
           "type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "severity": 8,
           "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
               "principalId": "AROAEXAMPLE:i-0a1b2c3d4e5f60001", "userType": "AssumedRole"}}}


class Events(EmuTest):
    def test_guardduty_finding_reaches_the_queue_through_a_rule(self):
        sqs, events = self.client("sqs"), self.client("events")
        url = sqs.create_queue(QueueName="incidents")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="guardduty-ssrf", EventPattern=json.dumps({
            "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"],
            "detail": {"type": [{"prefix": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration"},
                                "UnauthorizedAccess:EC2/MetadataDNSRebind"],
                       "severity": [{"numeric": [">=", 4]}]}}))
        events.put_targets(Rule="guardduty-ssrf", Targets=[{"Id": "q", "Arn": arn}])
        # no queue policy: EventBridge may not send (the delivery fails)
        self.emu.aws_event(Source="aws.guardduty", DetailType="GuardDuty Finding", Detail=json.dumps(FINDING))
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))
        rule_arn = events.describe_rule(Name="guardduty-ssrf")["Arn"]

        def policy(source_arn, effect="Allow", extra=()):
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [
                {"Effect": effect, "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                 "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}}}, *extra]})})
        policy(rule_arn.replace("guardduty-ssrf", "another-rule"))   # allows another rule only
        self.emu.aws_event(Source="aws.guardduty", DetailType="GuardDuty Finding", Detail=json.dumps(FINDING))
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))
        policy(rule_arn, extra=[{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": arn,
                                 "Condition": {"Bool": {"aws:SecureTransport": "true"}}}])   # denied
        self.emu.aws_event(Source="aws.guardduty", DetailType="GuardDuty Finding", Detail=json.dumps(FINDING))
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))
        delivered = self.emu.state()["events"]["delivered"]
        self.assertEqual([d["ok"] for d in delivered], [False, False, False])
        self.assertIn("queue policy", delivered[0]["error"])
        # the policy of docs/fleet.md (and a TLS-only Deny, which a service's delivery passes)
        policy(rule_arn, extra=[{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": arn,
                                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])
        self.emu.aws_event(Source="aws.guardduty", DetailType="GuardDuty Finding", Detail=json.dumps(FINDING))
        low = dict(FINDING, severity=2)
        self.emu.aws_event(Source="aws.guardduty", DetailType="GuardDuty Finding", Detail=json.dumps(low))
        other = dict(FINDING, type="Recon:EC2/PortProbeUnprotectedPort")
        self.emu.aws_event(Source="aws.guardduty", DetailType="GuardDuty Finding", Detail=json.dumps(other))
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(len(got), 1)                                     # only the matching one
        env = json.loads(got[0]["Body"])
        self.assertEqual((env["source"], env["detail-type"], env["detail"]["type"], env["account"]),
                         ("aws.guardduty", "GuardDuty Finding", FINDING["type"], "123456789012"))
        # applications may not pose as AWS services
        out = events.put_events(Entries=[{"Source": "aws.guardduty", "DetailType": "GuardDuty Finding",
                                          "Detail": json.dumps(FINDING)}])
        self.assertEqual((out["FailedEntryCount"], out["Entries"][0]["ErrorCode"]),
                         (1, "NotAuthorizedForSourceException"))
        out = events.put_events(Entries=[{"Source": "ssrfguard.detector", "DetailType": "x", "Detail": "{"}])
        self.assertEqual(out["Entries"][0]["ErrorCode"], "MalformedDetail")
        with self.assertRaises(ClientError) as cm:
            events.put_rule(Name="bad", EventPattern=json.dumps({"source": "aws.guardduty"}))
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidEventPatternException")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
