#!/usr/bin/python3
"""A wall-clock step in the middle of an incident ends none of its waits.

chrony steps the clock of an EC2 instance at boot or after a suspend, the
moment a responder may be running there.  Its waits are counted on the
monotonic clock (src/common/clock.h), so a step changes only the times it
records.  The asg step waits while the group's target groups drain the
instance (here 12 s, with --asg-wait 2: a 14 s wait); 3 s into the run the
responder's wall clock steps one hour ahead (wallstep.c, an LD_PRELOAD
shim).  The incident must still be contained once the drain is over, not
given up as "still InService after 14 s"; the calls journaled after the
step show the stepped wall clock (the shim did step it).

usage: test_clock_step.py SSRFGUARD WALLSTEP_SO"""
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

binary, shim = sys.argv[1], sys.argv[2]
STEP_MS = 3600 * 1000
step_env = {"LD_PRELOAD": shim, "SG_TEST_WALL_STEP_MS": str(STEP_MS), "SG_TEST_WALL_STEP_AFTER_MS": "3000"}
if os.environ.get("ASAN_OPTIONS"):  # the shim is loaded before the ASan runtime
    step_env["ASAN_OPTIONS"] = os.environ["ASAN_OPTIONS"] + ":verify_asan_link_order=0"

# the shim steps what a process reads of CLOCK_REALTIME, and nothing else
probe = subprocess.run([sys.executable, "-c", "import time; print(time.time(), time.monotonic())"],
                       env={**os.environ, **step_env, "SG_TEST_WALL_STEP_AFTER_MS": "0"},
                       stdout=subprocess.PIPE, text=True)
wall, mono = (float(v) for v in probe.stdout.split())
h.check(abs(wall - time.time() - STEP_MS / 1000) < 60, f"the shim steps the wall clock: {wall} vs {time.time()}")
h.check(abs(mono - time.monotonic()) < 60, "the shim leaves the monotonic clock alone")

emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-clock-")
atexit.register(shutil.rmtree, work, True)
try:
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", {**h.FAST_TIMING, "deregistration_delay_seconds": 12})
    started_ms = time.time() * 1000
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--asg-wait", "2", "--step-attempts", "1",
                  extra_env=step_env)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout,
            f"contained across a wall-clock step: {p.stdout[-1500:]} {p.stderr[-1500:]}")
    h.check("after its target groups drained it" in p.stdout, "the asg step waited for the drain")
    h.verify_contained(emu.state(), "INC-1", label="stepped ")
    r = h.report_ok(work, "INC-1")
    if r:
        asg = {s["name"]: s for s in r["steps"]}["asg"]
        ats = [max(c.get("at", 0), c.get("last_at", 0)) for c in asg.get("calls", [])]
        h.check(ats and max(ats) > started_ms + STEP_MS - 60000,
                f"calls after the step are journaled at the stepped wall time: {ats[-3:]}")
finally:
    emu.stop()
h.finish("respond-clock-step")
