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

The cases share nothing: each runs on an emulator of its own (reset and
seeded before it) with a work directory of its own, CRASH_JOBS (default 4)
of them at once, and the clean run alongside on one more.  A case mostly
waits on the emulator's timed transitions, so running them side by side
changes no case, only the wall time.

usage: test_crash.py SSRFGUARD [--quick] [--dynamodb] [--evidence]
env:   CRASH_CASES=STEP:PHASE,...  only these cases
       CRASH_JOBS=N                cases at once (1: one after another)
       SSRFGUARD_TEST_SEED=N       the SIGKILL moments (default 5)"""
import concurrent.futures
import json
import os
import queue
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
JOBS = max(1, int(os.environ.get("CRASH_JOBS", "4")))

fleet = json.load(open(h.FLEET))


def fresh(emu):
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    if EVIDENCE:
        emu.post("/seed", {"s3_buckets": ["ir-evidence"],
                           "ssm": {"scripts": [{"match": "avml --compress", "memory_bytes": MEMORY_BYTES}]}})
    emu.post("/timing", h.FAST_TIMING)
    emu.call("DELETE", "/journal")


def evidence_ok(emu, work, label):
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


def same_as_reference(emu, ref, label):
    """The resumed run's state: contained, and shaped like the clean run's."""
    st = emu.state()
    h.verify_contained(st, "INC-1", label=f"[{label}] ")
    fp = h.fingerprint(st, "INC-1")
    for k in ref:
        h.check(fp[k] == ref[k], f"{label}: {k} differs from the clean run: {fp[k]} vs {ref[k]}")


def crash_case(emu, ref, step, phase):
    fresh(emu)
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
    same_as_reference(emu, ref, label)
    calls = [c["action"] for c in emu.journal()]
    h.check(calls.count("DetachInstances") <= 1, f"{label}: {calls.count('DetachInstances')} ASG detaches")
    h.check(calls.count("CreateSnapshots") == 1, f"{label}: {calls.count('CreateSnapshots')} CreateSnapshots")
    evidence_ok(emu, work, label)
    shutil.rmtree(work, ignore_errors=True)
    return f"{label}: resumed, same state"


def kill_case(emu, clean, at, take_over):
    """A real SIGKILL at a moment of a run (the fraction at of the clean
    run's duration); the incident resumed by the same responder, or
    (take_over) by a different responder (a daemon with its own owner id)
    once the dead one's lease expired."""
    ref, clean_seconds = clean
    delay = at * clean_seconds
    fresh(emu)
    work = tempfile.mkdtemp(prefix="rsp-kill-")
    cmd = [binary, "respond", "--store", os.path.join(work, "inc.db"), "--owner", "respond:test",
           "--forensic-instance", h.FORENSIC, "--report-dir", os.path.join(work, "reports"),
           "--forensics-wait", "0",
           "--quarantine-profile", h.QUARANTINE_PROFILE,
           "--poll-ms", "50", "--step-backoff-ms", "50", "--capture-timeout", "5", "--lease-ms", "1000",
           "--instance", h.VICTIM, "-q", *ENGINE, *EVIDENCE]
    pr = subprocess.Popen(cmd, env=emu.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    pr.send_signal(signal.SIGKILL)
    pr.wait()
    if take_over:
        time.sleep(1.2)
        p = h.respond(binary, emu, work, "--once", "-q", "--owner", "respond:other", *ENGINE, *EVIDENCE)
        p.stdout += "\nINC-1 contained" if p.returncode == 0 else ""
    else:
        p = h.respond(binary, emu, work, "--incident", "1", "-q", *ENGINE, *EVIDENCE)
    label = (f"SIGKILL after {delay:.2f}s ({at:.0%} of the clean run)"
             + (" (taken over by another responder)" if take_over else ""))
    h.check(p.returncode == 0, f"{label}: resume exit {p.returncode}: {p.stdout} {p.stderr[-1500:]}")
    same_as_reference(emu, ref, label)
    shutil.rmtree(work, ignore_errors=True)
    return f"{label}: resumed, same state"


def reference(emu):
    """One clean run: the fingerprint every resumed run must match, and how
    long the run took."""
    fresh(emu)
    work = tempfile.mkdtemp(prefix="rsp-crash-")
    t0 = time.monotonic()
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "-q", *ENGINE, *EVIDENCE)
    seconds = time.monotonic() - t0
    h.check(p.returncode == 0, f"clean run: {p.stdout} {p.stderr[-1500:]}")
    ref = h.fingerprint(emu.state(), "INC-1")
    evidence_ok(emu, work, "clean run")
    shutil.rmtree(work, ignore_errors=True)
    return ref, seconds


def run_all(tasks, emus):
    """Each task (a label and a function of an emulator) on whichever
    emulator is free; its line printed as it ends."""
    free = queue.Queue()
    for e in emus:
        free.put(e)

    def on_free_emulator(fn):
        emu = free.get()
        t0 = time.monotonic()
        try:
            return f"{fn(emu)} ({time.monotonic() - t0:.1f} s)"
        finally:
            free.put(emu)

    with concurrent.futures.ThreadPoolExecutor(len(emus)) as ex:
        running = {ex.submit(on_free_emulator, fn): label for label, fn in tasks}
        for f in concurrent.futures.as_completed(running):
            try:
                h.say(f.result())
            except Exception as e:  # a case that could not run fails, the others go on
                h.check(False, f"{running[f]}: {type(e).__name__}: {e}")


cases = [(s, ph) for s in STEPS for ph in PHASES] + ([("capture", "change-2")] if EVIDENCE else [])
if quick:
    cases = [("asg", "mid"), ("snapshot", "mid"), ("capture", "mid"), ("isolate", "mid"),
             ("forensics", "mid")]
    if EVIDENCE:
        cases = [("capture", "change-2")]
if os.environ.get("CRASH_CASES"):
    cases = [tuple(c.split(":")) for c in os.environ["CRASH_CASES"].split(",")]
# real SIGKILLs at random moments of the run (as fractions of the clean
# run's duration, so that they fall inside it on a fast machine and a slow
# one alike), every other one taken over
rng = random.Random(int(os.environ.get("SSRFGUARD_TEST_SEED", "5")))
kills = [(rng.uniform(0.05, 0.9), i % 2 == 1) for i in range((1 if EVIDENCE else 2) if quick else 4)]


def start_emulators(n):
    """n emulators started side by side; none left running if one fails."""
    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        started = [ex.submit(h.Emulator) for _ in range(n)]
    emus = [f.result() for f in started if not f.exception()]
    if len(emus) < n:
        for e in emus:
            e.stop()
        raise next(f.exception() for f in started if f.exception())
    return emus


# one emulator more than CRASH_JOBS: the clean run's own, so that it runs
# alongside the cases (each waits for its fingerprint only at the end)
emus = start_emulators(min(JOBS, len(cases) + len(kills)) + 1)
try:
    with concurrent.futures.ThreadPoolExecutor(1) as one:
        clean = one.submit(reference, emus[0])
        tasks = [(f"{s}:{ph}", lambda emu, s=s, ph=ph: crash_case(emu, clean.result()[0], s, ph))
                 for s, ph in cases]
        tasks += [(f"SIGKILL at {a:.0%} of the run", lambda emu, a=a, t=t: kill_case(emu, clean.result(), a, t))
                  for a, t in kills]
        run_all(tasks, emus[1:])
finally:
    for e in emus:
        e.stop()
h.finish("respond-crash" + ("-dynamodb" if ENGINE else "") + ("-evidence" if EVIDENCE else ""))
