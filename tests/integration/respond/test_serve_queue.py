#!/usr/bin/python3
"""`serve` on both sides of the fleet queue.

The web host runs `serve --deliver-to QUEUE_URL` (the detector side, no
playbook): a blocked metadata fetch becomes an incident that is kept in its
store and retried while the queue does not exist yet, then sent once when it
does.  The responder host runs `serve --respond on` with `queue = URL` in its
[respond] section: it takes the detector's incident and contains the instance,
and takes GuardDuty findings from the EventBridge rule as its per-type
configuration says (a C&C finding observed, its type's default; a spambot
finding ignored by a `guardduty-action` rule of the config file).  Both queues end empty and both services stop
cleanly.

usage: test_serve_queue.py SSRFGUARD"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
ROOT = h.ROOT
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-serve-queue-")
procs = []
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/ssrfguard-incidents"
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:ssrfguard-incidents-dlq"
WEB2 = "i-0a1b2c3d4e5f60002"


free_port, wait = h.free_port, h.wait


def serve(name, conf, *args, env=None):
    port = free_port()
    store = os.path.join(work, name + ".db")
    log = os.path.join(work, name + ".log")
    p = subprocess.Popen([binary, "serve", "--config", conf, "--listen", f"127.0.0.1:{port}", "--store", store,
                          "--region", "us-east-1", "--az", "us-east-1a", "--no-imds", "--log", log, *args],
                         env=env or emu.env(), stdout=subprocess.DEVNULL, stderr=open(log + ".err", "w"))
    procs.append(p)
    h.check(wait(lambda: healthz(port) is not None, 10), f"{name} answers /healthz")
    return p, port, store, log


def healthz(port):
    try:
        return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b"{}")
    except (OSError, ValueError):
        return None


def step(store, incident, name):
    db = sqlite3.connect(store)
    row = db.execute("SELECT status, data, attempts FROM steps WHERE incident_id = ? AND name = ?",
                     (incident, name)).fetchone()
    db.close()
    return row


def incidents(store):
    out = subprocess.run([binary, "incidents", "--store", store, "list", "--json"], stdout=subprocess.PIPE,
                         text=True, env=emu.env()).stdout
    return json.loads(out) if out.strip() else []


def depth(name):
    return len(emu.state()["sqs"].get(name, {}).get("messages", []))


def sent_messages():
    return [c for c in emu.journal() if c.get("action") == "SendMessage" and not c.get("error")]


def stop(p, what):
    p.terminate()
    try:
        h.check(p.wait(timeout=30) == 0, f"{what} stops cleanly")
    except subprocess.TimeoutExpired:
        p.kill()
        h.check(False, f"{what} stops within 30 s")


LONG_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/?" + "a" * 2100

try:
    # --- the detector: serve --deliver-to, while the queue does not exist yet
    dconf = os.path.join(work, "detector.conf")
    with open(dconf, "w") as f:
        f.write("[respond]\ndetector = web-1\npoll-ms = 100\n")
    det, dport, dstore, dlog = serve("detector", dconf, "--instance-id", h.VICTIM, "--deliver-to", QUEUE,
                                     env=emu.instance_env(h.VICTIM))   # the web host's own profile
    try:
        # the attacker pads the URL past the delivery's url field (2047 bytes):
        # that must never cost the containment (AUDIT8 H1)
        urllib.request.urlopen(f"http://127.0.0.1:{dport}/go?url=" + LONG_URL, timeout=5)
        code, body = 200, ""
    except urllib.error.HTTPError as e:
        code, body = e.code, e.read().decode()
    h.check(code == 403, f"the attack is answered 403 ({code})")
    h.check('"containment":"queued"' in body.replace(" ", ""), f"the 403 says containment queued: {body}")
    h.check(wait(lambda: (step(dstore, 1, "deliver") or ("",))[0] == "retry", 15),
            f"no queue yet: the delivery is journaled for retry: {step(dstore, 1, 'deliver')}")
    row = step(dstore, 1, "deliver")
    h.check(row is not None and "NonExistentQueue" in json.loads(row[1]).get("error", ""),
            f"the retry says why: {row}")
    h.check([i["id"] for i in incidents(dstore)] == [1], "the incident stays in the detector's store")

    # --- the queue and its dead-letter queue appear, with the rule of docs/fleet.md
    env = emu.env()
    emu.post("/seed", {"sqs_queues": [
        {"QueueName": "ssrfguard-incidents-dlq"},
        {"QueueName": "ssrfguard-incidents", "Attributes": {"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 2}), "VisibilityTimeout": "5"}}]})
    h.guardduty_rule(env, "ssrfguard-incidents")
    h.check(wait(lambda: (step(dstore, 1, "deliver") or ("",))[0] == "done", 20),
            f"sent once the queue exists: {step(dstore, 1, 'deliver')} {open(dlog).read()[-600:]}")
    row = step(dstore, 1, "deliver")
    h.check(row is not None and json.loads(row[1]).get("message_id"), f"SQS's message id journaled: {row}")
    h.check(depth("ssrfguard-incidents") == 1, "one message on the queue")
    dlines = [json.loads(x) for x in open(dlog) if x.strip()]
    h.check(any(x.get("event") == "respond" and "INC-1 -> SQS message" in x.get("message", "")
                for x in dlines), "the delivery is a JSON line of serve's log")

    # --- the responder: serve --respond on, [respond] queue = URL
    rconf = os.path.join(work, "responder.conf")
    with open(rconf, "w") as f:
        f.write(f"[respond]\nqueue = {QUEUE}\nforensic-instance = {h.FORENSIC}\n"
                f"quarantine-profile = {h.QUARANTINE_PROFILE}\n"
                "poll-ms = 50\nstep-backoff-ms = 50\ncapture-timeout = 5\nforensics-wait = 0\n"
                "guardduty-action = Backdoor:EC2/Spambot=ignore\n")
    rsp, rport, rstore, rlog = serve("responder", rconf, "--instance-id", "i-0f0000000000000f9", "--respond")

    def contained():
        lst = incidents(rstore) if os.path.exists(rstore) else []
        return lst and lst[0]["state"] in ("contained", "failed")
    h.check(wait(contained, 60), f"the responder took and ran the detector's incident: {open(rlog).read()[-1500:]}")
    lst = incidents(rstore)
    h.check(lst and lst[0]["state"] == "contained" and lst[0]["instance"] == h.VICTIM
            and lst[0]["source"] == "detector:web-1/1", f"contained from the queue: {lst}")
    h.verify_contained(emu.state(), "INC-1", label="serve queue ")
    urls = [r[0] for r in sqlite3.connect(rstore).execute("SELECT url FROM attempts WHERE incident_id = 1")]
    h.check(len(urls) == 1 and urls[0].startswith(LONG_URL[:1900]) and urls[0].endswith("...[cut]")
            and len(urls[0]) <= 2047, f"the long URL is kept, cut to fit and marked: {[u[-40:] for u in urls]}")
    h.check(wait(lambda: depth("ssrfguard-incidents") == 0, 10), "the queue ends empty")

    # --- GuardDuty findings (documented shape) on web-2: a spambot finding the
    # config's rule ignores, then a C&C finding its type's default observes
    sample = json.load(open(os.path.join(ROOT, "tests", "data", "guardduty", "backdoor_cc_dns.json")))
    detail = sample["detail"]
    detail["resource"]["instanceDetails"]["instanceId"] = WEB2
    spam = json.loads(json.dumps(detail))
    spam["type"], spam["id"] = "Backdoor:EC2/Spambot", "c0ffee0000000000000000000000spam"
    for d in (spam, detail):
        emu.post("/events", {"Source": "aws.guardduty", "DetailType": "GuardDuty Finding",
                             "Detail": json.dumps(d)})
    h.check(wait(lambda: len(incidents(rstore)) == 2, 20), f"the finding is taken: {open(rlog).read()[-800:]}")
    gd = [i for i in incidents(rstore) if i["instance"] == WEB2]
    h.check(gd and gd[0]["state"] == "logged" and gd[0]["source"] == "guardduty:" + detail["id"],
            f"observed (its type's rule), nothing contained: {gd}")
    h.check(wait(lambda: depth("ssrfguard-incidents") == 0, 10), "the queue ends empty again")
    h.check(depth("ssrfguard-incidents-dlq") == 0, "nothing in the dead-letter queue")
    h.check(wait(lambda: "Backdoor:EC2/Spambot (severity 8.0) on " + WEB2 + ": ignored by config"
                 in open(rlog).read(), 10), f"the spambot finding ignored: {open(rlog).read()[-800:]}")
    h.check(len(incidents(rstore)) == 2, "the ignored finding opened nothing")
    rlines = [json.loads(x) for x in open(rlog) if x.strip()]
    h.check(any("queue: message" in x.get("message", "") and "observe, new" in x.get("message", "")
                for x in rlines), "the intake's lines are JSON lines of serve's log")
    health = healthz(rport)
    h.check(health and health.get("status") == "ok", f"the responder is healthy: {health}")

    # the detector never sends an acknowledged incident again
    time.sleep(0.5)
    h.check(len(sent_messages()) == 1, f"one SendMessage in all: {len(sent_messages())}")
    stop(det, "the detector")
    stop(rsp, "the responder")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-serve-queue")
