#!/usr/bin/env python3
"""guardduty_rule.py QUEUE_NAME — put the EventBridge rule of docs/fleet.md
(GuardDuty findings to the incident queue) and the queue policy that lets
that rule send, with botocore, the way an operator's CLI would (botocore 1.29
reads neither AWS_REGION nor AWS_ENDPOINT_URL itself); run by
test_respond_queue under with_emulator.py, imported by the respond harness."""
import json
import os
import sys

import botocore.session


def put(sqs, events, name, rule="ssrfguard-guardduty"):
    """The rule, its target and the queue policy; returns the rule's ARN."""
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}))["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "incidents", "Arn": arn}])
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})
    return rule_arn


if __name__ == "__main__":
    s = botocore.session.get_session()
    kw = dict(region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    put(s.create_client("sqs", **kw), s.create_client("events", **kw), sys.argv[1])
