#!/usr/bin/python3
"""`skip = STEP` turns a step off; the outcome says what that means
(AUDIT5 M2).  A containing step turned off (imds, revoke, isolate, strip)
ends "partial", exit status 1, with the step named: state "off" in the
report, the incident's reason, the report's "outcome_why" and the end
notification.  A step that contains nothing (capture) turned off still
ends "contained", exit 0, its state "off" and not "skipped" (which means
nothing to do).

usage: test_skip.py SSRFGUARD"""
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
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-skip-")
atexit.register(shutil.rmtree, work, True)


def run(*skips):
    fleet = json.load(open(h.FLEET))
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    emu.post("/timing", h.FAST_TIMING)
    w = tempfile.mkdtemp(prefix="-".join(skips) + "-", dir=work)
    conf = os.path.join(w, "ssrfguard.conf")
    with open(conf, "w") as f:
        f.write("[respond]\n" + "".join(f"skip = {s}\n" for s in skips))
    return w, h.respond(binary, emu, w, "--config", conf, "--instance", h.VICTIM)


def show(w):
    p = subprocess.run([binary, "incidents", "--store", os.path.join(w, "inc.db"), "show", "1", "--json"],
                       stdout=subprocess.PIPE, text=True, env=emu.env())
    return json.loads(p.stdout) if p.returncode == 0 else {}


def listed(w):
    p = subprocess.run([binary, "incidents", "--store", os.path.join(w, "inc.db"), "list", "--json"],
                       stdout=subprocess.PIPE, text=True, env=emu.env())
    return json.loads(p.stdout) if p.returncode == 0 else []


try:
    w, p = run("isolate")
    h.check(p.returncode == 1, f"isolate off: exit 1, got {p.returncode}: {p.stdout[-600:]} {p.stderr[-400:]}")
    h.check("contained" not in p.stdout.replace("not contained", ""), f"nothing says contained: {p.stdout[-600:]}")
    h.check("INC-1 partial" in p.stdout, f"the outcome is partial: {p.stdout[-400:]}")
    h.check("isolate   off" in p.stdout and "turned off in config" in p.stdout, f"progress: {p.stdout}")
    acts = [c["action"] for c in emu.journal()]
    h.check("ModifyNetworkInterfaceAttribute" not in acts, "isolation was not attempted")
    r = h.report_ok(w, "INC-1", "partial")
    steps = {s["name"]: s["state"] for s in (r or {}).get("steps", [])}
    h.check(steps.get("isolate") == "off" and steps.get("strip") == "done", f"isolate off, the rest ran: {steps}")
    h.check((r or {}).get("outcome_why") == "isolate turned off", f"the report says why: {(r or {}).get('outcome_why')}")
    md = open(h.report_path(w, "INC-1", "md")).read()
    h.check("| Why | isolate turned off |" in md, f"the Markdown report says why: {md[:600]}")
    inc = listed(w)
    h.check(inc and inc[0]["state"] == "failed" and inc[0]["reason"] == "playbook ended partial: isolate turned off",
            f"the incident's reason names the step: {inc}")
    tag = h.tags(emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")
    h.check(tag == "partial", f"the instance's status tag: {tag}")
    s = show(w)
    h.check(s.get("outcome") == "partial" and s.get("outcome_why") == "isolate turned off",
            f"incidents show --json: {s.get('outcome')} {s.get('outcome_why')}")

    w, p = run("capture")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout,
            f"capture off contains nothing: still contained, exit 0: {p.returncode} {p.stdout[-600:]}")
    r = h.report_ok(w, "INC-1", "contained")
    steps = {s["name"]: s["state"] for s in (r or {}).get("steps", [])}
    h.check(steps.get("capture") == "off" and steps.get("isolate") == "done", f"capture off: {steps}")
    h.check("outcome_why" not in (r or {}), "no why for contained")

    for skip, needer, why in (("asg", "isolate", "the ASG ignores termination protection"),
                              ("snapshot", "forensics", "forensics works on the snapshots")):
        t = time.monotonic()
        w, p = run(skip)
        took = time.monotonic() - t
        want = f"isolate needs asg" if skip == "asg" else "forensics needs snapshot"
        h.check(p.returncode == 2 and want in p.stderr and why in p.stderr and f"skip {needer} too" in p.stderr,
                f"{skip} off alone is a usage error: {p.returncode} {p.stdout[-300:]} {p.stderr[-400:]}")
        h.check("contained" not in p.stdout and "contained" not in p.stderr, f"{skip}: nothing says contained")
        h.check(emu.journal() == [], f"{skip} off alone: no AWS call: {[c['action'] for c in emu.journal()]}")
        h.check(took < 5, f"{skip} off alone is refused at once: {took:.1f} s")

    w, p = run("asg", "isolate")
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout,
            f"asg and isolate off: partial, exit 1: {p.returncode} {p.stdout[-600:]} {p.stderr[-400:]}")
    acts = [c["action"] for c in emu.journal()]
    h.check("ModifyNetworkInterfaceAttribute" not in acts and "DetachInstances" not in acts,
            f"asg and isolate off: neither the group nor the network changed: {acts}")
finally:
    emu.stop()
h.finish("respond-skip")
