#!/usr/bin/python3
"""Crash at every step boundary and in the middle of every step, then
resume: the same final state as a clean run, no duplicates, no second ASG
decrement.  The crash is the test hook SSRFGUARD_RESPOND_CRASH=STEP:PHASE
(_exit(77) with no cleanup: what kill -9 leaves); a few real SIGKILLs at
random moments follow.  With --dynamodb the same runs keep their state in a
DynamoDB table on the emulator (--state-table) instead of SQLite: a
responder killed anywhere resumes (or is taken over) from the table without
repeating a step.  With --evidence every run also sends the capture to the
evidence bucket and takes the memory image (--evidence-bucket, --memory):
the output objects are read back and the memory command, which has no
idempotency token either, is sent once; --quick then crashes at the one
point only the comment lookup covers, between the memory command's
SendCommand and its journal write (capture:change-2).

usage: test_crash.py SSRFGUARD [--quick] [--dynamodb] [--evidence]"""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
quick = "--quick" in sys.argv
ENGINE = ("--state-table", "ssrfguard-state") if "--dynamodb" in sys.argv else ()
STEPS = ["record", "tag", "imds", "revoke", "preserve", "asg", "lb", "snapshot", "capture", "isolate",
         "strip", "forensics", "finish"]
PHASES = ["start", "mid", "end"]
EVIDENCE = ("--memory", "--evidence-bucket", "ir-evidence") if "--evidence" in sys.argv else ()
MEMORY_BYTES = 256 * 1024

emu = h.Emulator()
fleet = __import__("json").load(open(h.FLEET))


def fresh():
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    if EVIDENCE:
        emu.post("/seed", {"s3_buckets": ["ir-evidence"],
                           "ssm": {"scripts": [{"match": "avml --compress", "memory_bytes": MEMORY_BYTES}]}})
    emu.post("/timing", h.FAST_TIMING)
    emu.call("DELETE", "/journal")


def evidence_ok(work, label):
    """With --evidence: the capture read back from the bucket and the memory
    image kept, each command sent once."""
    if not EVIDENCE:
        return
    r = h.report_ok(work, "INC-1") or {}
    cap, mem = r.get("capture", {}), r.get("memory", {})
    h.check(re.match(f"s3://ir-evidence/ssrfguard/{h.aws_key('INC-1')}/capture/", str(cap.get("stdout_object", ""))),
            f"{label}: capture read back from the bucket: {cap}")
    h.check(mem.get("match") is True and mem.get("bytes") == MEMORY_BYTES, f"{label}: memory image kept: {mem}")
    sent = [c["params"].get("Comment") for c in emu.journal() if c["action"] == "SendCommand" and not c.get("error")]
    for what in ("volatile capture", "memory"):
        n = sum(h.comment_is(c, "INC-1", what) for c in sent)
        h.check(n == 1, f"{label}: the {what} command sent {n} times")


try:
    # the reference: one clean run
    fresh()
    work = tempfile.mkdtemp(prefix="rsp-crash-")
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "-q", *ENGINE, *EVIDENCE)
    h.check(p.returncode == 0, f"clean run: {p.stdout} {p.stderr[-1500:]}")
    ref = h.fingerprint(emu.state(), "INC-1")
    evidence_ok(work, "clean run")
    shutil.rmtree(work, ignore_errors=True)

    cases = [(s, ph) for s in STEPS for ph in PHASES] + ([("capture", "change-2")] if EVIDENCE else [])
    if quick:
        cases = [("asg", "mid"), ("snapshot", "mid"), ("capture", "mid"), ("isolate", "mid"),
                 ("forensics", "mid")]
        if EVIDENCE:
            cases = [("capture", "change-2")]
    if os.environ.get("CRASH_CASES"):
        cases = [tuple(c.split(":")) for c in os.environ["CRASH_CASES"].split(",")]
    for step, phase in cases:
        fresh()
        work = tempfile.mkdtemp(prefix="rsp-crash-")
        label = f"{step}:{phase}"
        p = h.respond(binary, emu, work, "--instance", h.VICTIM, "-q", *ENGINE, *EVIDENCE, crash=label)
        crashed = p.returncode == 77
        # record makes no changing call, and strip finds the quarantine
        # profile already swapped in by revoke: their "mid" points never come
        h.check(crashed or (phase == "mid" and step in ("record", "strip") and p.returncode == 0),
                f"{label}: expected the crash hook, got exit {p.returncode}: {p.stderr[-800:]}")
        p = h.respond(binary, emu, work, "--incident", "1", "-q", *ENGINE, *EVIDENCE)
        h.check(p.returncode == 0 and ("INC-1 contained" in p.stdout or
                                       (not crashed and "INC-1 already contained" in p.stdout)),
                f"{label}: resume exit {p.returncode}: {p.stdout} {p.stderr[-1500:]}")
        st = emu.state()
        h.verify_contained(st, "INC-1", label=f"[{label}] ")
        fp = h.fingerprint(st, "INC-1")
        for k in ref:
            h.check(fp[k] == ref[k], f"{label}: {k} differs from the clean run: {fp[k]} vs {ref[k]}")
        calls = [c["action"] for c in emu.journal()]
        h.check(calls.count("DetachInstances") <= 1, f"{label}: {calls.count('DetachInstances')} ASG detaches")
        h.check(calls.count("CreateSnapshots") == 1, f"{label}: {calls.count('CreateSnapshots')} CreateSnapshots")
        evidence_ok(work, label)
        print(f"{label}: resumed, same state", flush=True)
        shutil.rmtree(work, ignore_errors=True)

    # real SIGKILLs at random moments
    rng = random.Random(int(os.environ.get("SSRFGUARD_TEST_SEED", "5")))
    for i in range((1 if EVIDENCE else 2) if quick else 4):
        fresh()
        work = tempfile.mkdtemp(prefix="rsp-kill-")
        env = emu.env()
        cmd = [binary, "respond", "--store", os.path.join(work, "inc.db"), "--owner", "respond:test",
               "--forensic-instance", h.FORENSIC, "--report-dir", os.path.join(work, "reports"),
               "--forensics-wait", "0",
               "--quarantine-profile", h.QUARANTINE_PROFILE,
               "--poll-ms", "50", "--step-backoff-ms", "50", "--capture-timeout", "5", "--lease-ms", "1000",
               "--instance", h.VICTIM, "-q", *ENGINE, *EVIDENCE]
        pr = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.1, 2.5)
        time.sleep(delay)
        pr.send_signal(signal.SIGKILL)
        pr.wait()
        if i % 2:
            # a different responder (a daemon with its own owner id) takes
            # the incident over once the dead one's lease expired
            time.sleep(1.2)
            p = h.respond(binary, emu, work, "--once", "-q", "--owner", "respond:other", *ENGINE, *EVIDENCE)
            p.stdout += "\nINC-1 contained" if p.returncode == 0 else ""
        else:
            p = h.respond(binary, emu, work, "--incident", "1", "-q", *ENGINE, *EVIDENCE)
        label = f"SIGKILL after {delay:.2f}s" + (" (taken over by another responder)" if i % 2 else "")
        h.check(p.returncode == 0, f"{label}: resume exit {p.returncode}: {p.stdout} {p.stderr[-1500:]}")
        st = emu.state()
        h.verify_contained(st, "INC-1", label=f"[{label}] ")
        fp = h.fingerprint(st, "INC-1")
        for k in ref:
            h.check(fp[k] == ref[k], f"{label}: {k} differs: {fp[k]} vs {ref[k]}")
        print(f"{label}: resumed, same state", flush=True)
        shutil.rmtree(work, ignore_errors=True)
finally:
    emu.stop()
h.finish("respond-crash" + ("-dynamodb" if ENGINE else "") + ("-evidence" if EVIDENCE else ""))
