#!/usr/bin/python3
"""Auto Scaling on the terms of real AWS (the emulator models each point from
the Auto Scaling user guide: tests/emulator/services/autoscaling.py):

- a detach waits while the group's target groups drain the instance (the
  longest deregistration_delay.timeout_seconds, 300 s by default): the asg
  step waits --asg-wait plus that delay instead of timing out;
- an instance the group is terminating (Terminating:Wait) cannot be kept:
  the step fails at once and says so, isolation is blocked, the evidence
  steps still run;
- --asg-standby puts the instance in Standby (kept, not health-checked, no
  detach), isolation goes on, and release brings it back with ExitStandby.

usage: test_asg.py SSRFGUARD"""
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
work = tempfile.mkdtemp(prefix="rsp-asg-")
atexit.register(shutil.rmtree, work, True)


def fresh(fleet=None, **timing):
    emu.post("/reset", {})
    emu.post("/seed", fleet or json.load(open(h.FLEET)))
    emu.post("/timing", {**h.FAST_TIMING, **timing})
    return tempfile.mkdtemp(prefix="case-", dir=work)


def member(st):
    g = st["autoscaling"]["web-asg"]
    return [i for i in g["Instances"] if i["InstanceId"] == h.VICTIM]


try:
    # 1. draining: web-ips keeps the default delay, here 6 s; --asg-wait 2
    w = fresh(deregistration_delay_seconds=6)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--asg-wait", "2", "--step-attempts", "1")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"drained: {p.stdout[-1500:]}")
    h.check("after its target groups drained it" in p.stdout, "the note says why it waited")
    h.verify_contained(emu.state(), "INC-1", label="drained ")

    # 2. Terminating:Wait: the group is terminating it
    fleet = json.load(open(h.FLEET))
    g = fleet["autoscaling_groups"][0]
    g["Instances"] = [{"InstanceId": h.VICTIM, "LifecycleState": "Terminating:Wait"}, "i-0a1b2c3d4e5f60002"]
    w = fresh(fleet)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM)
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"terminating: {p.stdout[-1500:]}")
    r = h.report_ok(w, "INC-1", "partial")
    if r:
        st = {s["name"]: s for s in r["steps"]}
        h.check(st["asg"]["state"] == "failed" and "terminating" in st["asg"].get("result", ""),
                f"asg says why: {st['asg']}")
        h.check(st["asg"]["attempts"] == 1, "not retried: nothing can keep it")
        h.check(st["isolate"]["state"] == "blocked", f"isolate blocked: {st['isolate']['state']}")
        h.check(st["snapshot"]["state"] == "done", "evidence still taken")
    calls = [c["action"] for c in emu.journal()]
    h.check("DetachInstances" not in calls, "no detach attempted from Terminating:Wait")

    # 3. --asg-standby, then release
    w = fresh()
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--asg-standby")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"standby: {p.stdout[-1500:]}")
    st = emu.state()
    m = member(st)
    h.check(m and m[0]["LifecycleState"] == "Standby", f"in Standby: {m}")
    h.check(st["autoscaling"]["web-asg"]["DesiredCapacity"] == 2, "desired capacity kept (a replacement)")
    calls = [c["action"] for c in emu.journal()]
    h.check("EnterStandby" in calls and "DetachInstances" not in calls, "standby, not detach")
    env = emu.env()
    import subprocess
    out = subprocess.run([binary, "incidents", "--store", os.path.join(w, "inc.db"), "release", "1"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h.check(out.returncode == 0, f"release: {out.stdout} {out.stderr}")
    m = member(emu.state())
    h.check(m and m[0]["LifecycleState"] in ("Pending", "InService"), f"out of Standby: {m}")
finally:
    emu.stop()
h.finish("respond-asg")
