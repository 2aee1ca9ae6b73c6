#!/usr/bin/env python3
"""guardduty_rule.py QUEUE_NAME — put the EventBridge rule of docs/fleet.md
(GuardDuty findings to the incident queue) with botocore, the way an operator's
CLI would (botocore 1.29 reads neither AWS_REGION nor AWS_ENDPOINT_URL itself); run by test_respond_queue under with_emulator.py."""
import json
import os
import sys

import botocore.session

name = sys.argv[1]
s = botocore.session.get_session()
kw = dict(region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["AWS_ENDPOINT_URL"])
sqs, events = s.create_client("sqs", **kw), s.create_client("events", **kw)
url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
events.put_rule(Name="ssrfguard-guardduty", EventPattern=json.dumps({
    "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}))
events.put_targets(Rule="ssrfguard-guardduty", Targets=[{"Id": "incidents", "Arn": arn}])
