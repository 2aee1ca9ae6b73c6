#!/usr/bin/python3
"""`respond --memory`: memory acquisition over SSM into the evidence bucket.
The emulator's instance side runs the documented command (docs/respond.md,
"Memory"): AVML's image, its SHA-256 and size printed on the instance, then
`aws s3 cp` signed with the instance's (quarantine) role session.  The
responder hashes the object as it streams and records it only when it is
what the instance hashed; an upload the role may not make, and an object
that differs from what was hashed, fail the capture step with a note (the
volatile capture and the containment stand).

usage: test_memory.py SSRFGUARD"""
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
work = tempfile.mkdtemp(prefix="rsp-memory-")
atexit.register(shutil.rmtree, work, True)
SIZE = 3 * 1024 * 1024 + 5


def image():
    lines, n = [], 0
    while n < SIZE:
        lines.append("%015d\n" % len(lines))
        n += 16
    return "".join(lines)[:SIZE].encode()


def fresh(memory_rule, quarantine_policy=None):
    fleet = json.load(open(h.FLEET))
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    emu.post("/seed", {"s3_buckets": ["ir-evidence"],
                       "ssm": {"scripts": [dict({"match": "avml --compress"}, **memory_rule)]}})
    if quarantine_policy:
        emu.post("/seed", {"iam": {"roles": [{"RoleName": "ssrfguard-quarantine-role",
                                              "Policies": {"no-upload": quarantine_policy}}]}})
    emu.post("/timing", h.FAST_TIMING)


def run(*extra):
    w = tempfile.mkdtemp(prefix="run-", dir=work)
    return w, h.respond(binary, emu, w, "--instance", h.VICTIM, *extra)


try:
    # --memory needs a bucket to put the image in
    w, p = run("--memory")
    h.check(p.returncode == 2 and "--evidence-bucket" in p.stderr, f"usage error: {p.returncode} {p.stderr}")

    want = hashlib.sha256(image()).hexdigest()
    fresh({"memory_bytes": SIZE})
    w, p = run("--memory", "--evidence-bucket", "ir-evidence")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"contained: {p.stdout[-600:]} {p.stderr[-600:]}")
    r = h.report_ok(w, "INC-1")
    mem = (r or {}).get("memory", {})
    h.check(mem.get("sha256") == want and mem.get("bytes") == SIZE and mem.get("match") is True
            and mem.get("instance_sha256") == want and mem.get("tool") == "avml",
            f"the image hashed from the object, as the instance hashed it: {mem}")
    h.check(re.fullmatch(f"s3://ir-evidence/ssrfguard/{h.aws_key('INC-1')}/memory/{h.VICTIM}.lime.compressed",
                         mem.get("object") or ""),
            f"the object is named: {mem.get('object')}")
    cmds = [c for c in emu.state()["ssm"]["commands"].values() if h.comment_is(c.get("Comment"), "INC-1", "memory")]
    text = "\n".join(cmds[0]["Parameters"]["commands"]) if cmds else ""
    h.check(len(cmds) == 1 and "avml --compress" in text and "sha256sum" in text and "aws s3 cp" in text
            and "trap 'rm -f" in text and cmds[0]["Parameters"].get("executionTimeout") == ["1800"],
            f"one documented command, with executionTimeout: {cmds and cmds[0]['Parameters']}")
    calls = [c["action"] for c in emu.journal()]
    h.check(calls.index("SendCommand") < calls.index("ModifyNetworkInterfaceAttribute"),
            "memory taken before isolation (capture comes first)")

    # the object is not what the instance hashed: not evidence, and said so
    fresh({"memory_bytes": SIZE, "memory_tamper": True})
    w, p = run("--memory", "--evidence-bucket", "ir-evidence")
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"partial: {p.stdout[-600:]}")
    r = h.report_ok(w, "INC-1", "partial")
    cap = [s for s in (r or {}).get("steps", []) if s["name"] == "capture"]
    h.check(cap and cap[0]["state"] == "failed" and "not what the instance hashed" in cap[0].get("result", ""),
            f"the mismatch is the step's result: {cap and cap[0].get('result')}")
    h.check((r or {}).get("memory", {}).get("match") is False, f"recorded as no match: {(r or {}).get('memory')}")
    h.check((r or {}).get("capture", {}).get("stdout_sha256"), "the volatile capture stands")
    others = {s["name"]: s["state"] for s in (r or {}).get("steps", [])}
    h.check(others.get("isolate") == "done", f"containment went on: {others}")

    # the quarantine role may not upload: the AWS CLI's refusal is the note
    fresh({"memory_bytes": SIZE}, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}]})
    w, p = run("--memory", "--evidence-bucket", "ir-evidence")
    r = h.report_ok(w, "INC-1", "partial")
    cap = [s for s in (r or {}).get("steps", []) if s["name"] == "capture"]
    h.check(cap and "AccessDenied" in cap[0].get("result", "") and "memory acquisition ended Failed"
            in cap[0].get("result", ""), f"the refused upload is the step's result: {cap and cap[0].get('result')}")
finally:
    emu.stop()
h.finish("respond-memory")
