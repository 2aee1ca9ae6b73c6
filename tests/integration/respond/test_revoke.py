#!/usr/bin/python3
"""The revocation on the terms of real IAM: a role's inline policies total
at most 10,240 characters (whitespace not counted; LimitExceeded beyond), so
the responder keeps one policy per role, "ssrfguard-revoke", updated in
place: one statement per contained instance, never one policy per incident.

- two incidents on two instances sharing the role: one policy, two
  statements; a second incident on the first instance replaces its
  statement instead of adding one;
- a role whose other inline policies leave no room: the deny is not sent,
  the step fails at once and says why;
- AWS's clock 10 minutes ahead of ours: every request is refused as
  expired until the client corrects its clock from the replies' Date (as
  the SDKs do), and the cut-off is written in AWS's time, so that a
  session stolen in the last minutes is denied too.

usage: test_revoke.py SSRFGUARD"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
OTHER = "i-0a1b2c3d4e5f60002"
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-revoke-")
atexit.register(shutil.rmtree, work, True)


def statements(st):
    pols = st["iam"]["roles"][h.ROLE]["Policies"]
    return list(pols), pols.get("ssrfguard-revoke", {}).get("Statement", [])


try:
    w = tempfile.mkdtemp(prefix="case-", dir=work)
    for inst in (h.VICTIM, OTHER):
        p = h.respond(binary, emu, w, "--instance", inst, "--skip", "forensics")
        h.check(p.returncode == 0 and "contained" in p.stdout, f"{inst}: {p.stdout[-800:]}")
    names, stmts = statements(emu.state())
    h.check(names == ["ssrfguard-revoke"], f"one policy for the role: {names}")
    h.check(len(stmts) == 2, f"one statement per instance: {len(stmts)}")
    # release the first and contain it again: its statement is replaced
    env = emu.env()
    subprocess.run([binary, "incidents", "--store", os.path.join(w, "inc.db"), "release", "1"], env=env,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--skip", "forensics")
    h.check(p.returncode == 0 and "INC-3 contained" in p.stdout, f"again: {p.stdout[-800:]}")
    names, stmts = statements(emu.state())
    h.check(len(stmts) == 2, f"still one statement per instance: {len(stmts)}")

    # no room left in the role
    fleet = json.load(open(h.FLEET))
    big = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::bucket-{i:04d}/some/long/prefix/for/objects/*"} for i in range(100)]}
    for r in fleet["iam"]["roles"]:
        if r["RoleName"] == h.ROLE:
            r["Policies"] = {"app": big}
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    emu.post("/timing", h.FAST_TIMING)
    w = tempfile.mkdtemp(prefix="case-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM)
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"full role: {p.stdout[-800:]}")
    r = h.report_ok(w, "INC-1", "partial")
    if r:
        rv = [s for s in r["steps"] if s["name"] == "revoke"][0]
        h.check(rv["state"] == "failed" and "10240" in rv.get("result", ""), f"says why: {rv}")
        h.check(rv["attempts"] == 1, "not retried")
        h.check(not [c for c in rv.get("calls", []) if c["api"] == "iam:PutRolePolicy"], "nothing sent")
    names, _ = statements(emu.state())
    h.check(names == ["app"], f"the role's own policy untouched: {names}")

    # AWS's clock ten minutes ahead
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    emu.post("/clock", {"skew": 600})
    w = tempfile.mkdtemp(prefix="case-", dir=work)
    t0 = time.time()
    p = h.respond(binary, emu, w, "--instance", h.VICTIM)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"skewed: {p.stdout[-800:]} {p.stderr[-800:]}")
    _, stmts = statements(emu.state())
    cut = stmts[0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] if stmts else ""
    cut_s = time.mktime(time.strptime(cut, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone if cut else 0
    h.check(cut_s >= t0 + 600 - 5, f"cut-off in AWS's time: {cut} vs local {time.strftime('%H:%M:%S', time.gmtime(t0))}")
    emu.post("/clock", {"skew": 0})
finally:
    emu.stop()
h.finish("respond-revoke")
