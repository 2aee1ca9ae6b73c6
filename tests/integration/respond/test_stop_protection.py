#!/usr/bin/python3
"""Stop protection (preserve): only the errors that mean "not available
here" are passed over (AUDIT6 L1).  UnsupportedOperation from
DisableApiStop (an older API or instance type) leaves preserve done with
a note; InternalError, still there after the client's retries, fails
preserve (and the run ends partial) instead of being called "older API".

usage: test_stop_protection.py SSRFGUARD"""
import atexit
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-stopprot-")
atexit.register(shutil.rmtree, work, True)


def run(code, status):
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    # preserve's first ModifyInstanceAttribute is termination protection,
    # the second stop protection: that one fails (and its one retry, for
    # an error the client retries); the calls after it pass
    emu.faults([{"kind": "error", "service": "ec2", "action": "ModifyInstanceAttribute", "skip": 1,
                 "count": 2 if status >= 500 else 1, "code": code, "status": status, "message": "from the test"}])
    w = tempfile.mkdtemp(prefix=code + "-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--step-attempts", "1", "--aws-max-attempts", "2")
    emu.clear_faults()
    line = "\n".join(l for l in p.stdout.splitlines() if " preserve " in l and "..." not in l)
    return w, p, line, emu.state()["ec2"]["instances"][h.VICTIM]["Attributes"]


try:
    w, p, line, attrs = run("InternalError", 500)
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout,
            f"InternalError: the run is partial, exit 1: {p.returncode} {p.stdout[-500:]} {p.stderr[-300:]}")
    h.check("failed" in line and "older API" not in line and "InternalError" in line,
            f"preserve failed, naming AWS's error: {line}")
    h.check(attrs["DisableApiStop"] is False, f"stop protection not set: {attrs}")

    w, p, line, attrs = run("UnsupportedOperation", 400)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout,
            f"UnsupportedOperation: still contained: {p.returncode} {p.stdout[-500:]} {p.stderr[-300:]}")
    h.check("done" in line, f"preserve done: {line}")
    h.check("no stop protection" in line, f"the step's note says so: {line}")
    r = json.load(open(h.report_path(w, "INC-1")))
    notes = [n for s in r["steps"] if s["name"] == "preserve" for n in s.get("notes", [])
             if "stop protection" in n]
    h.check(notes == ["stop protection not set (UnsupportedOperation): older API or instance type"],
            f"the report names AWS's code: {notes}")
finally:
    emu.stop()
h.finish("respond-stop-protection")
