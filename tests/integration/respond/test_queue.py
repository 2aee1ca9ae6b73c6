#!/usr/bin/python3
"""The fleet hand-off, whole: a GuardDuty finding goes through an EventBridge
rule to SQS, `ssrfguard respond --queue URL` takes it, contains the instance
the finding names and leaves the queue empty; the same finding delivered again
joins the same incident; a malformed message is logged and left to the
dead-letter queue.

usage: test_queue.py SSRFGUARD"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import botocore.session

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-queue-")
procs = []
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/ssrfguard-incidents"
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:ssrfguard-incidents-dlq"
FINDING = {"id": "5ec5f1e2b3c4d5e6f708192a3b4c5d6e", "accountId": "123456789012", "region": "us-east-1",
           "type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "severity": 8,
           "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
               "principalId": "AROAEXAMPLEID:" + h.VICTIM, "userType": "AssumedRole"}},
           "service": {"resourceRole": "TARGET|<b>x</b>", "eventFirstSeen": "2026-12-04T14:58:02.000Z",
                       "eventLastSeen": "2026-12-04T15:01:40.000Z", "count": 2}}


def incidents(store):
    out = subprocess.run([binary, "incidents", "--store", store, "list", "--json"], stdout=subprocess.PIPE,
                         text=True, env=emu.env()).stdout
    return json.loads(out) if out.strip() else []


def depth(name):
    return len(emu.state()["sqs"][name]["messages"])


wait = h.wait


try:
    env = emu.env()
    emu.post("/seed", {"sqs_queues": [
        {"QueueName": "ssrfguard-incidents-dlq"},
        {"QueueName": "ssrfguard-incidents", "Attributes": {"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 2}), "VisibilityTimeout": "2"}}]})
    # the rule of docs/fleet.md, as an operator puts it
    h.guardduty_rule(env, "ssrfguard-incidents")

    store = os.path.join(work, "responder.db")
    rlog = os.path.join(work, "rsp.log")
    rsp = subprocess.Popen([binary, "respond", "--store", store, "--queue", QUEUE, "--owner", "rsp",
                            "--forensic-instance", h.FORENSIC, "--forensics-wait", "0", "--poll-ms", "50", "--step-backoff-ms", "50",
                            "--quarantine-profile", h.QUARANTINE_PROFILE, "--capture-timeout", "5", "-q"],
                           env=env, stdout=subprocess.DEVNULL, stderr=open(rlog, "w"))
    procs.append(rsp)
    emu.post("/events", {"Source": "aws.guardduty", "DetailType": "GuardDuty Finding",
                         "Detail": json.dumps(FINDING)})

    def settled():
        lst = incidents(store) if os.path.exists(store) else []
        return lst and lst[0]["state"] in ("contained", "failed")
    h.check(wait(settled, 60), f"the finding's incident ran: {open(rlog).read()[-1500:]}")
    lst = incidents(store)
    h.check(len(lst) == 1 and lst[0]["state"] == "contained", f"contained: {lst}")
    if lst:
        h.check(lst[0]["instance"] == h.VICTIM and lst[0]["source"] == "guardduty:" + FINDING["id"],
                f"recorded as {lst[0]}")
    h.verify_contained(emu.state(), "INC-1", label="guardduty ")
    # `incidents show` prints the finding, escaped
    show = subprocess.run([binary, "incidents", "--store", store, "show", "1"], stdout=subprocess.PIPE,
                          text=True, env=env).stdout
    for want in ["## GuardDuty finding", "- type: `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS`",
                 "- severity: `8.0`", "- finding id: `" + FINDING["id"] + "`", "- account: `123456789012`",
                 "- region: `us-east-1`", "- resource: `AccessKey`", "- instance: `" + h.VICTIM + "`",
                 "- principal: `AROAEXAMPLEID:" + h.VICTIM + "`",
                 "- resource role: `TARGET\\|&lt;b&gt;x&lt;/b&gt;`",
                 "- first seen: `2026-12-04T14:58:02.000Z`", "- last seen: `2026-12-04T15:01:40.000Z`"]:
        h.check(want in show, f"incidents show has {want!r}: {show[:1500]}")
    h.check("<b>" not in show, "the finding's text is escaped")
    h.check(wait(lambda: depth("ssrfguard-incidents") == 0, 10), "the queue ends empty")

    # GuardDuty sends the same finding again (its count grew): one incident still
    emu.post("/events", {"Source": "aws.guardduty", "DetailType": "GuardDuty Finding",
                         "Detail": json.dumps(FINDING)})
    h.check(wait(lambda: depth("ssrfguard-incidents") == 0 and "joined" in open(rlog).read(), 30),
            f"the repeat was taken: {open(rlog).read()[-800:]}")
    h.check(len(incidents(store)) == 1, f"one incident: {incidents(store)}")

    # poison: logged, left, redriven to the DLQ by the queue's policy
    sqs = botocore.session.get_session().create_client(
        "sqs", region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    sqs.send_message(QueueUrl=QUEUE, MessageBody="{\"source\": \"aws.guardduty\", \"detail-type\": 7}")
    h.check(wait(lambda: depth("ssrfguard-incidents-dlq") == 1, 30),
            f"poison ends in the DLQ: {open(rlog).read()[-800:]}")
    log = open(rlog).read()
    h.check("left to the dead-letter policy" in log and "not a GuardDuty Finding" in log,
            f"poison logged with its reason: {log[-800:]}")
    h.check(len(incidents(store)) == 1, "poison opened nothing")
    # a detector hands its incident over on the same queue, acknowledged by SQS once
    dstore = os.path.join(work, "detector.db")
    web2 = "i-0a1b2c3d4e5f60002"
    out = subprocess.run([binary, "incidents", "--store", dstore, "open", web2, "--reason", "test"],
                         stdout=subprocess.PIPE, text=True, env=env)
    h.check(out.stdout.strip() == "INC-1", f"incidents open: {out.stdout}")
    for _ in range(2):   # the second pass must not send again
        det = subprocess.run([binary, "respond", "--store", dstore, "--deliver-to", QUEUE, "--detector",
                              "web-1", "--once"], env=emu.instance_env(web2), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, timeout=30)
        h.check(det.returncode == 0, f"deliver --once: {det.stderr}")
    h.check(det.stderr == "", f"nothing sent the second time: {det.stderr}")
    h.check(wait(lambda: "detector:web-1/1 on " + web2 + ": INC-2 (new)" in open(rlog).read(), 30),
            f"the responder took the detector's incident: {open(rlog).read()[-800:]}")
    h.check(wait(lambda: depth("ssrfguard-incidents") == 0, 10), "the queue ends empty again")
    db = sqlite3.connect(dstore)
    row = db.execute("SELECT status, data FROM steps WHERE incident_id = 1 AND name = 'deliver'").fetchone()
    db.close()
    h.check(row is not None and row[0] == "done" and json.loads(row[1]).get("message_id"),
            f"the detector journaled SQS's acknowledgement: {row}")
    # SIGTERM during the 20 s long poll: the receive in flight ends at once
    t0 = time.monotonic()
    rsp.terminate()
    h.check(rsp.wait(timeout=40) == 0, f"stops cleanly: {open(rlog).read()[-500:]}")
    h.check(time.monotonic() - t0 < 5, f"stops within the long poll: {time.monotonic() - t0:.1f} s")
    bad = [x for x in open(rlog).read().splitlines() if not h.json_log_line(x)]
    h.check(not bad, f"every line of the queue intake's log is a JSON log line: {bad[:3]}")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-queue-e2e")
