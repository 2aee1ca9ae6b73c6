#!/usr/bin/python3
"""Volatile capture on the terms of real AWS: the SSM agent signs with the
instance profile's credentials, so the revocation cuts it off too (the
emulator models this: tests/emulator/services/ssm_agent.py).

Without a quarantine profile the capture step asks
DescribeInstanceInformation first, sends nothing to an agent that cannot
poll, and fails with a note that says why and what to configure; the rest
of the playbook goes on (outcome partial).  With one, the capture is
delivered after the deny (test_e2e.py checks that path).

usage: test_capture.py SSRFGUARD"""
import atexit
import os
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
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, quarantine_profile=None)
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
    caps = [c for c in st["ssm"]["commands"].values() if c.get("Comment") == "ssrfguard INC-1 volatile capture"]
    h.check(not caps, f"no capture command sent: {caps}")
finally:
    emu.stop()
h.finish("respond-capture")
