#!/usr/bin/python3
"""Volatile capture on the terms of real AWS: the SSM agent signs with the
instance profile's credentials, so the revocation cuts it off too (the
emulator models this: tests/emulator/services/ssm_agent.py).

Without a quarantine profile the capture step asks
DescribeInstanceInformation first, sends nothing to an agent that cannot
poll, and fails with a note that says why and what to configure; the rest
of the playbook goes on (outcome partial).  With one, the capture is
delivered after the deny (test_e2e.py checks that path).

SSM shows only the first 24,000 characters of stdout; the whole output
exists only in S3 (OutputS3BucketName).  With --evidence-bucket the
capture's SHA-256 is that of the object the agent wrote; without, a long
output is marked truncated and no hash that looks complete is recorded.

usage: test_capture.py SSRFGUARD"""
import atexit
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-capture-")
atexit.register(shutil.rmtree, work, True)
try:
    # (the step waits for the agent until --capture-timeout: 1 s is enough
    # to see it ConnectionLost)
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--capture-timeout", "1", quarantine_profile=None)
    h.check(p.returncode != 0 and "INC-1 partial" in p.stdout, f"outcome partial: {p.stdout} {p.stderr}")
    r = h.report_ok(work, "INC-1", "partial")
    if r:
        cap = [s for s in r["steps"] if s["name"] == "capture"][0]
        h.check(cap["state"] == "failed", f"capture failed: {cap}")
        res = cap.get("result", "")
        h.check("ConnectionLost" in res and "--quarantine-profile" in res, f"capture says why: {res}")
        apis = [c["api"] for c in cap.get("calls", [])]
        h.check("ssm:DescribeInstanceInformation" in apis, f"agent checked: {apis}")
        h.check("ssm:SendCommand" not in apis, f"nothing sent to an agent that cannot poll: {apis}")
        h.check(cap["attempts"] == 1, f"not retried: the agent stays cut off: {cap['attempts']}")
        h.check("capture" not in r, "no capture output claimed")
        others = {s["name"]: s["state"] for s in r["steps"]}
        h.check(others.get("isolate") == "done" and others.get("strip") == "done",
                f"containment went on: {others}")
    st = emu.state()
    caps = [c for c in st["ssm"]["commands"].values() if h.comment_is(c.get("Comment"), "INC-1", "volatile capture")]
    h.check(not caps, f"no capture command sent: {caps}")

    # a long output: 30,000 characters on stdout, more than SSM shows
    big = "".join(f"line {i:05d} of the process table\n" for i in range(1000))[:30000]
    want = hashlib.sha256(big.encode()).hexdigest()

    def fresh(extra):
        # the fleet without its own script rule (first match wins), then ours
        fleet = json.load(open(h.FLEET))
        fleet["ssm"]["scripts"] = []
        emu.post("/reset", {})
        emu.post("/seed", fleet)
        emu.post("/seed", extra)
        emu.post("/timing", h.FAST_TIMING)

    def capture_of(workdir, inc="INC-1"):
        r = h.report_ok(workdir, inc)
        return (r or {}).get("capture", {}), r

    script = {"ssm": {"scripts": [{"match": "### 1", "stdout": big}]}}
    fresh({**script, "s3_buckets": ["ir-evidence"]})
    w2 = tempfile.mkdtemp(prefix="rsp-capture-", dir=work)
    p = h.respond(binary, emu, w2, "--instance", h.VICTIM, "--evidence-bucket", "ir-evidence")
    h.check(p.returncode == 0, f"bucket run: {p.stdout} {p.stderr[-800:]}")
    cap, r = capture_of(w2)
    h.check(cap.get("stdout_sha256") == want, f"whole stdout hashed from the object: {cap.get('stdout_sha256')}")
    h.check(cap.get("stdout_bytes") == len(big), f"whole size: {cap.get('stdout_bytes')}")
    h.check(re.match(f"s3://ir-evidence/ssrfguard/{h.aws_key('INC-1')}/capture/", str(cap.get("stdout_object", ""))),
            f"object named: {cap.get('stdout_object')}")
    h.check(not cap.get("stdout_truncated"), "not marked truncated")
    h.check(len(cap.get("stdout", "")) == 24000, f"SSM showed 24,000: {len(cap.get('stdout', ''))}")
    cmds = [c for c in emu.state()["ssm"]["commands"].values()
            if h.comment_is(c.get("Comment"), "INC-1", "volatile capture")]
    h.check(cmds and cmds[0].get("OutputS3BucketName") == "ir-evidence", f"OutputS3BucketName sent: {cmds}")
    h.check(cmds and cmds[0]["Parameters"].get("executionTimeout") == ["5"],
            f"executionTimeout = --capture-timeout: {cmds and cmds[0]['Parameters']}")
    md = open(h.report_path(w2, "INC-1", "md")).read()
    h.check(want in md and "s3://ir-evidence/" in md, "report names the hash and the object")
    # stderr was empty, so the agent uploaded no object; S3 answers the
    # responder's documented role (no s3:ListBucket) 403, not 404 (AUDIT8 M1)
    step = [s for s in (r or {}).get("steps", []) if s["name"] == "capture"]
    notes = " ".join(str(n) for n in (step[0].get("notes") or []) if step) if step else ""
    h.check(step and "not read" not in notes and "authentication" not in notes,
            f"an empty stream's missing object is no failure: {notes[:400]}")
    h.check(cap.get("stderr_sha256") == hashlib.sha256(b"").hexdigest() and cap.get("stderr_bytes") == 0,
            f"the empty stderr hashed as empty: {cap.get('stderr_sha256')} {cap.get('stderr_bytes')}")
    s3get = [c for c in emu.journal() if c.get("action") in ("GetObject", "HeadObject")
             and c.get("error") == "AccessDenied"]
    h.check(s3get, "the emulator answered the missing stderr object 403 AccessDenied")

    fresh(script)
    w3 = tempfile.mkdtemp(prefix="rsp-capture-", dir=work)
    p = h.respond(binary, emu, w3, "--instance", h.VICTIM)
    h.check(p.returncode == 0, f"no-bucket run: {p.stdout} {p.stderr[-800:]}")
    cap, r = capture_of(w3)
    h.check(cap.get("stdout_truncated") is True, f"truncation recorded: {sorted(cap)}")
    h.check("stdout_sha256" not in cap, "no hash that looks complete")
    h.check(cap.get("stdout_shown_sha256") == hashlib.sha256(big[:24000].encode()).hexdigest(),
            "the shown part's hash, named as such")
    step = [s for s in (r or {}).get("steps", []) if s["name"] == "capture"]
    h.check(step and "--evidence-bucket" in step[0].get("result", ""), f"says what to configure: {step}")
    md = open(h.report_path(w3, "INC-1", "md")).read()
    h.check("truncated by SSM" in md, "report says truncated")

    # an output larger than any reply the client keeps (16 MiB): the object
    # is streamed through the digest, so its hash and size are still whole
    size = 20 * 1024 * 1024 + 7
    lines, n = [], 0
    while n < size:
        lines.append("%015d\n" % len(lines))
        n += 16
    huge = "".join(lines)[:size].encode()
    fresh({"ssm": {"scripts": [{"match": "### 1", "stdout_bytes": size}]}, "s3_buckets": ["ir-evidence"]})
    w4 = tempfile.mkdtemp(prefix="rsp-capture-", dir=work)
    p = h.respond(binary, emu, w4, "--instance", h.VICTIM, "--evidence-bucket", "ir-evidence")
    h.check(p.returncode == 0, f"large-output run: {p.stdout} {p.stderr[-800:]}")
    cap, r = capture_of(w4)
    h.check(cap.get("stdout_bytes") == size and cap.get("stdout_sha256") == hashlib.sha256(huge).hexdigest(),
            f"20 MiB output hashed whole from the object: {cap.get('stdout_bytes')} {cap.get('stdout_sha256')}")

    # a capture cancelled by someone else while it runs: Cancelling is on
    # its way to Cancelled (botocore ssm CommandInvocationStatus), so the
    # step waits for the final status rather than taking Cancelling for one
    import threading
    import time
    import botocore.session
    ssm = botocore.session.get_session().create_client(
        "ssm", region_name="us-east-1", endpoint_url=emu.url,
        aws_access_key_id=h.CREDS["AWS_ACCESS_KEY_ID"], aws_secret_access_key=h.CREDS["AWS_SECRET_ACCESS_KEY"])

    def cancel_when_running():
        deadline = time.time() + 30
        while time.time() < deadline:
            run = [c for c in emu.state()["ssm"]["commands"].values()
                   if h.comment_is(c.get("Comment"), "INC-1", "volatile capture") and c.get("Status") == "InProgress"]
            if run:
                ssm.cancel_command(CommandId=run[0]["CommandId"])
                return
            time.sleep(0.05)
    fresh({"ssm": {"scripts": [{"match": "### 1", "stdout": "partial\n", "seconds": 20}]}})
    emu.post("/timing", dict(h.FAST_TIMING, ssm_seconds=2))     # Cancelling lasts 2 s
    t = threading.Thread(target=cancel_when_running)
    t.start()
    w5 = tempfile.mkdtemp(prefix="rsp-capture-", dir=work)
    p = h.respond(binary, emu, w5, "--instance", h.VICTIM, "--capture-timeout", "30")
    t.join()
    r = h.report_ok(w5, "INC-1", "partial") or {}
    cap = r.get("capture", {})
    step = [s for s in r.get("steps", []) if s["name"] == "capture"]
    h.check(cap.get("status") == "Cancelled" and step and "capture ended Cancelled" in step[0].get("result", ""),
            f"the final status recorded, not Cancelling: {cap.get('status')} {step and step[0].get('result')}")
finally:
    emu.stop()
h.finish("respond-capture")
