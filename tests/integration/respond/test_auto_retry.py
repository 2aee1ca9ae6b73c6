#!/usr/bin/python3
"""The responder retries a transient failure by itself; a permanent one
stays failed for the operator, and the step says which it was.

A command's final status never changes (SSM API reference,
GetCommandInvocation): a capture cut at its run limit (TimedOut,
ExecutionTimedOut) is sent again by the engine's own new attempt, as "#2",
in the same run.  Throttling beyond the AWS client's own retries is tried
again after a backoff, up to --step-attempts; AccessDenied and an invalid
parameter are not retried at all.

usage: test_auto_retry.py SSRFGUARD"""
import atexit
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
work = tempfile.mkdtemp(prefix="rsp-auto-retry-")
atexit.register(shutil.rmtree, work, True)


def fresh(scripts=(), faults=()):
    emu.clear_faults()
    emu.post("/reset", {})
    emu.post("/seed", {"ssm": {"scripts": list(scripts)}})  # before the fleet's: first match wins
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    if faults:
        emu.faults(list(faults))
    return tempfile.mkdtemp(prefix="run-", dir=work)


def step(w, name):
    path = h.report_path(w, "INC-1")
    r = json.load(open(path)) if h.check(os.path.exists(path), f"report {path}") else {}
    return next((s for s in r.get("steps", []) if s["name"] == name), {})


def calls(action, errors_only=False):
    return [c for c in emu.journal() if c["action"] == action and (not errors_only or c.get("error"))]


try:
    # 1. the capture runs past its limit once (the cause passes).  The
    #    step's wait (--capture-timeout from the send) ends before the run
    #    limit (from the delivery), so attempt 2 takes the same command,
    #    still running, and sees it end TimedOut; attempt 3 sends it again,
    #    as "#3", in the same run: contained
    w = fresh([{"match": "uname -a", "instance_id": h.VICTIM, "seconds": 60, "once": True}])
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--step-attempts", "3")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout,
            f"contained in one run: {p.returncode} {p.stdout[-1500:]} {p.stderr[-600:]}")
    sent = sorted(c["Comment"] for c in emu.state()["ssm"]["commands"].values()
                  if "volatile capture" in c.get("Comment", ""))
    h.check(len(sent) == 2 and re.fullmatch(f"ssrfguard {h.aws_key('INC-1')} volatile capture", sent[0])
            and sent[1] == sent[0] + " #3", f"the capture sent once more, as #3: {sent}")
    h.check(re.search(r"capture +retry +attempt 2 failed \(capture ended TimedOut.*transient; attempt 3", p.stdout),
            f"the retry is shown as it happens: {p.stdout[-1500:]}")
    cap = step(w, "capture")
    h.check(cap.get("state") == "done" and cap.get("attempts") == 3 and cap.get("attempt") == 3,
            f"capture done at its third try: {cap}")
    created = cap.get("created", {})
    h.check(created.get("capture_command#2") == created.get("capture_command")
            and created.get("capture_command#3") not in (None, created.get("capture_command")),
            f"attempt 2 took the running command, attempt 3 a new one: {created}")
    notes = cap.get("notes", [])
    h.check(any(n.startswith("attempt 1 failed (capture still InProgress") for n in notes)
            and any(n.startswith("attempt 2 failed (capture ended TimedOut") for n in notes),
            f"the report keeps the failed attempts: {notes}")

    # 2. AccessDenied: permanent, one call, no retry; the step says so
    w = fresh(faults=[{"kind": "error", "service": "autoscaling", "action": "DetachInstances",
                       "code": "AccessDenied", "status": 403, "message": "not authorized"}])
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--step-attempts", "3")
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"partial: {p.stdout[-1200:]}")
    h.check(len(calls("DetachInstances")) == 1, f"AccessDenied asked once: {len(calls('DetachInstances'))}")
    asg = step(w, "asg")
    h.check(asg.get("state") == "failed" and "AccessDenied" in (asg.get("result") or "")
            and "[permanent: not retried]" in asg["result"] and asg.get("failure") == "permanent"
            and asg.get("attempts") == 1, f"asg failed, permanent: {asg}")
    h.check("retry   attempt" not in p.stdout, f"no retry shown: {p.stdout[-1200:]}")

    # 3. an invalid parameter: permanent too
    w = fresh(faults=[{"kind": "error", "service": "ec2", "action": "ModifyInstanceMetadataOptions",
                       "code": "InvalidParameterValue", "status": 400, "message": "bad hop limit"}])
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--step-attempts", "3")
    imds = step(w, "imds")
    h.check(imds.get("state") == "failed" and "[permanent: not retried]" in (imds.get("result") or "")
            and len(calls("ModifyInstanceMetadataOptions")) == 1, f"imds failed at once: {imds}")

    # 4. throttling that outlasts the client's retries, then passes: the
    #    engine's backoff outlasts it, contained
    w = fresh(faults=[{"kind": "throttle", "service": "autoscaling", "action": "DetachInstances", "count": 3}])
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--aws-max-attempts", "2", "--step-attempts", "3")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"throttled, then contained: {p.stdout[-1200:]}")
    asg = step(w, "asg")
    h.check(asg.get("state") == "done" and asg.get("attempts") == 2 and "failure" not in asg,
            f"asg done at its second try: {asg}")

    # 5. throttling that never passes: transient, given up after
    #    --step-attempts tries, and said so
    w = fresh(faults=[{"kind": "throttle", "service": "autoscaling", "action": "DetachInstances"}])
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--aws-max-attempts", "1", "--step-attempts", "2")
    asg = step(w, "asg")
    h.check(asg.get("state") == "failed" and "[transient: failed 2 attempts in this run]" in (asg.get("result") or "")
            and asg.get("failure") == "transient" and len(calls("DetachInstances")) == 2,
            f"asg failed after 2 tries: {asg} {len(calls('DetachInstances'))}")
finally:
    emu.stop()
h.finish("respond-auto-retry")
