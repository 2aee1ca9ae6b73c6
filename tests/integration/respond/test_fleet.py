#!/usr/bin/python3
"""A fleet on shared state (issue 13): the real binary against the emulator.

1. observe runs are never acted on unasked (SQLite and DynamoDB): `respond
   --observe --instance` dies after opening its incident; when its lease runs
   out a daemon on the same store must not claim it and contain the instance.
   (The old code opened the incident "open", then claimed it: a daemon took it
   over and changed the instance.)
2. three detectors, two responders, one SIGKILLed (DynamoDB): the same
   attacker seen by three detectors is delivered over SQS three times and is
   one incident; the responder that holds it is killed with SIGKILL in the
   middle of the playbook; the other takes it over when the lease expires and
   finishes without repeating a step (the emulator's call log says so); the
   queue ends empty.
3. the daemon's claim search on DynamoDB reads the sparse index of claimable
   incidents, not the table's history, and copes with its lag.

usage: test_fleet.py SSRFGUARD"""
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-fleet-")
procs = []
TABLE = "ssrfguard-state"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/ssrfguard-incidents"
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:ssrfguard-incidents-dlq"
# creating calls: a repeated step would make them again
CREATES = ("CreateSnapshots", "CreateVolume", "AttachVolume", "CreateSecurityGroup", "DetachInstances",
           "SendCommand", "PutRolePolicy", "ReplaceIamInstanceProfileAssociation",
           "ModifyInstanceMetadataOptions")


def fresh():
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    emu.call("DELETE", "/journal")


def wait(cond, seconds, step=0.2):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def table_items(prefix):
    t = emu.state().get("dynamodb", {}).get(TABLE, {"Items": []})
    return [i for i in t["Items"] if i["pk"]["S"].startswith(prefix)]


def incidents_in_table():
    return [{k: list(v.values())[0] for k, v in i.items()} for i in table_items("incident")]


def changes():
    """Changing calls the playbook made (not the store's or the queue's)."""
    return collections.Counter(c["action"] for c in emu.journal()
                               if c.get("service") not in ("dynamodb", "sqs") and c.get("status") == 200
                               and not c["action"].startswith(("Describe", "Get", "List")))


def observe_is_never_taken_over(engine):
    fresh()
    wdir = tempfile.mkdtemp(prefix="rsp-observe-", dir=work)
    extra = ("--state-table", TABLE) if engine == "dynamodb" else ()
    p = h.respond(binary, emu, wdir, "--observe", "--instance", h.VICTIM, "-q", *extra, crash="record:end")
    h.check(p.returncode == 77, f"[{engine}] the observe run died at record:end: {p.returncode} "
            f"{p.stderr[-600:]}")
    time.sleep(1.3)   # its lease (1000 ms) has run out
    p = h.respond(binary, emu, wdir, "--once", "--owner", "respond:daemon", "-q", *extra)
    h.check(p.returncode == 0, f"[{engine}] daemon: {p.returncode} {p.stderr[-600:]}")
    made = changes()
    h.check(not made, f"[{engine}] a daemon acted on an observe incident unasked: {dict(made)}")
    inst = emu.state()["ec2"]["instances"][h.VICTIM]
    h.check("IncidentId" not in h.tags(inst), f"[{engine}] the victim was tagged: {h.tags(inst)}")
    show = subprocess.run([binary, "incidents", "--store", os.path.join(wdir, "inc.db"), *extra, "show", "1",
                           "--json"], env=emu.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h.check(show.returncode == 0 and "respond:daemon" not in show.stdout,
            f"[{engine}] the daemon is nowhere in INC-1: {show.stdout[-800:]} {show.stderr[-300:]}")
    print(f"[{engine}] an observe run's incident is never taken over", flush=True)


def responder(name, log):
    cmd = [binary, "respond", "--state-table", TABLE, "--store", os.path.join(work, name + ".db"),
           "--queue", QUEUE, "--owner", name, "--parallel", "1", "--lease-ms", "1500",
           "--forensic-instance", h.FORENSIC, "--forensics-wait", "0", "--quarantine-profile", h.QUARANTINE_PROFILE,
           "--poll-ms", "50", "--step-backoff-ms", "50", "--aws-backoff-ms", "20", "--capture-timeout", "5",
           "-q"]
    p = subprocess.Popen(cmd, env=emu.env(), stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    procs.append(p)
    return p


def reference():
    """The changes of one clean run, one responder, on the same table."""
    fresh()
    wdir = tempfile.mkdtemp(prefix="rsp-ref-", dir=work)
    p = h.respond(binary, emu, wdir, "--instance", h.VICTIM, "--state-table", TABLE, "-q")
    h.check(p.returncode == 0, f"clean run: {p.stdout} {p.stderr[-800:]}")
    return changes()


def three_detectors_two_responders(ref):
    fresh()
    emu.post("/seed", {"sqs_queues": [
        {"QueueName": "ssrfguard-incidents-dlq"},
        {"QueueName": "ssrfguard-incidents", "Attributes": {"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5}), "VisibilityTimeout": "10"}}]})
    env = emu.env()
    # the same attacker through three detectors: each has its own incident
    for n in (1, 2, 3):
        store = os.path.join(work, f"det{n}.db")
        out = subprocess.run([binary, "incidents", "--store", store, "open", h.VICTIM, "--reason",
                              "attacker 203.0.113.9"], env=env, stdout=subprocess.PIPE, text=True)
        h.check(out.stdout.strip() == "INC-1", f"detector {n}: {out.stdout}")
    # slow the playbook down enough to kill it in the middle
    emu.faults([{"kind": "delay", "service": "ec2", "action": "CreateSnapshots", "seconds": 1.0}])
    logs = {n: os.path.join(work, n + ".log") for n in ("r1", "r2")}
    rsp = {n: responder(n, logs[n]) for n in logs}
    denv = emu.instance_env(h.VICTIM)   # three detector processes on the victim, its profile's session
    for n in (1, 2, 3):
        det = subprocess.run([binary, "respond", "--store", os.path.join(work, f"det{n}.db"), "--deliver-to",
                              QUEUE, "--detector", f"web-{n}", "--once"], env=denv, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=30)
        h.check(det.returncode == 0, f"detector {n} delivered: {det.stderr}")

    def mid_playbook():
        return any(c["action"] == "CreateSnapshots" for c in emu.journal())
    h.check(wait(mid_playbook, 60), "the playbook reached its snapshots: " +
            " | ".join(open(f).read()[-400:] for f in logs.values()))
    inc = incidents_in_table()
    h.check(len(inc) == 1, f"one incident for the instance: {inc}")
    holder = inc[0]["lease_owner"].split("/")[0] if inc else ""   # owner/wN: its worker
    h.check(holder in rsp, f"held by a responder: {holder!r}")
    victim = rsp.get(holder) or rsp["r1"]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    other = "r2" if holder == "r1" else "r1"
    emu.clear_faults()

    def settled():
        i = incidents_in_table()
        return i and i[0]["state"] in ("contained", "failed")
    h.check(wait(settled, 90), f"the survivor finished: {open(logs[other]).read()[-1500:]}")
    inc = incidents_in_table()
    h.check(len(inc) == 1 and inc[0]["state"] == "contained", f"contained: {inc}")
    h.check(inc and inc[0]["attempts"] == "3", f"three deliveries joined one incident: {inc}")
    st = emu.state()
    h.verify_contained(st, "INC-1", label="fleet ")
    made = changes()
    for action in CREATES:
        h.check(made[action] == ref[action], f"{action} ran {made[action]} times, "
                f"{ref[action]} in a clean run")
    hist = [{k: list(v.values())[0] for k, v in i.items()} for i in table_items("inc#")
            if i["sk"]["S"].startswith("hist#")]
    took = [x for x in hist if x["to"] == "containing" and f"taken over by {other}/" in x["reason"]]
    h.check(len(took) == 1, f"{other} took INC-1 over once: {[x['reason'] for x in hist if x['to'] == 'containing']}")
    steps = [{k: list(v.values())[0] for k, v in i.items()} for i in table_items("inc#")
             if i["sk"]["S"].startswith("step#")]
    done = {s["sk"][5:]: s["status"] for s in steps}
    for s in ("record", "tag", "snapshot", "isolate", "finish"):
        h.check(done.get(s) in ("done", "skipped"), f"step {s}: {done.get(s)}")
    h.check(wait(lambda: not emu.state()["sqs"]["ssrfguard-incidents"]["messages"], 20),
            "the queue ends empty")
    h.check(not emu.state()["sqs"]["ssrfguard-incidents-dlq"]["messages"], "nothing in the DLQ")
    rsp[other].terminate()
    h.check(rsp[other].wait(timeout=40) == 0, f"{other} stops cleanly: {open(logs[other]).read()[-500:]}")
    print(f"3 detectors, 2 responders: {holder} killed mid-playbook, {other} finished; "
          f"changes {dict(made)}", flush=True)


def create_table_denied():
    """Without dynamodb:CreateTable the error names the missing permission
    and nothing is recorded."""
    fresh()
    emu.faults([{"kind": "error", "service": "dynamodb", "action": "CreateTable", "code": "AccessDeniedException",
                 "status": 400, "message": "User is not authorized to perform: dynamodb:CreateTable"}])
    wdir = tempfile.mkdtemp(prefix="rsp-denied-", dir=work)
    p = h.respond(binary, emu, wdir, "--instance", h.VICTIM, "--state-table", "not-there-yet", "-q")
    emu.clear_faults()
    h.check(p.returncode == 2 and "dynamodb:CreateTable" in p.stderr and "docs/fleet.md" in p.stderr,
            f"CreateTable denied: exit {p.returncode}: {p.stderr[-600:]}")
    h.check(not changes(), f"nothing changed: {dict(changes())}")
    print("CreateTable denied: the error names the permission", flush=True)


def claim_search_reads_the_claimable_index():
    """The daemon's claim search on DynamoDB reads the sparse index of
    claimable incidents, not every incident the table ever held: a table
    with 200 incidents of history (contained) and one open incident.  The
    index is eventually consistent (the emulator's lags 1 s, as DynamoDB's
    GSIs may): a daemon started right after the incident opened finds it
    all the same (it looks again after the index's delay)."""
    fresh()
    wdir = tempfile.mkdtemp(prefix="rsp-claimix-", dir=work)
    extra = ("--state-table", TABLE)
    p = subprocess.run([binary, "incidents", "--store", os.path.join(wdir, "inc.db"), *extra, "open", h.VICTIM],
                       env=emu.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h.check(p.returncode == 0, f"opened: {p.stdout} {p.stderr[-400:]}")
    import botocore.session
    ddb = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", endpoint_url=emu.url,
        aws_access_key_id=h.CREDS["AWS_ACCESS_KEY_ID"], aws_secret_access_key=h.CREDS["AWS_SECRET_ACCESS_KEY"])
    for n in range(1000, 1200):     # history: contained incidents, not claimable
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "incident"}, "sk": {"S": "%020d" % n},
                                            "id": {"N": str(n)}, "state": {"S": "contained"},
                                            "observe": {"N": "0"}, "lease_until_ms": {"N": "0"}})
    emu.call("DELETE", "/journal")
    p = h.respond(binary, emu, wdir, "--once", "--owner", "respond:daemon", "-q", *extra)
    h.check(p.returncode == 0 and changes().get("CreateSnapshots") == 1,
            f"the daemon found and contained the open incident: {p.returncode} {dict(changes())} "
            f"{p.stderr[-600:]}")
    searches = [c["params"] for c in emu.journal() if c["service"] == "dynamodb" and c["action"] == "Query"
                and ":open" in c["params"].get("ExpressionAttributeValues", {})]
    h.check(searches and all(q.get("IndexName") == "claimable" and "ConsistentRead" not in q for q in searches),
            f"every claim search read the claimable index: {[q for q in searches if q.get('IndexName') != 'claimable'][:2]}")
    desc = ddb.describe_table(TableName=TABLE)["Table"]
    h.check([g["IndexName"] for g in desc.get("GlobalSecondaryIndexes", [])] == ["claimable"],
            f"the table was created with the index: {desc.get('GlobalSecondaryIndexes')}")
    print("the claim search reads the claimable index", flush=True)


try:
    claim_search_reads_the_claimable_index()
    create_table_denied()
    observe_is_never_taken_over("sqlite")
    observe_is_never_taken_over("dynamodb")
    three_detectors_two_responders(reference())
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-fleet")
