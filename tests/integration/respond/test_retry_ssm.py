#!/usr/bin/python3
"""`incidents retry` runs again what failed, over SSM too.

SendCommand has no idempotency token: each call is a new command, and a
command's final Status (Failed, TimedOut, Cancelled, ...) never changes (SSM
API reference, SendCommand, GetCommandInvocation).  So a retry after a
capture or an examination that ended Failed must send a new command, one
that the comment of the first ("ssrfguard KEY volatile capture") cannot be
taken for: the new attempt's comment ends "#2".  A command of an earlier
attempt that succeeded is kept.  A launched forensic instance that was
terminated since is replaced on retry: its RunInstances ClientToken stays
bound to the terminated one (EC2 API reference, "Ensuring idempotency"), so
the new attempt launches with a token of its own.

usage: test_retry_ssm.py SSRFGUARD"""
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-retry-ssm-")
atexit.register(shutil.rmtree, work, True)
EXAMINE_OK = json.dumps({"status": "ok", "findings": 0, "report": "/var/lib/ssrfguard/cases/x/report.json",
                         "report_sha256": "ab" * 32})
FAILED = json.dumps({"status": "failed", "error": "no space left on device"})
LAUNCH = ("--forensic-instance", "", "--forensic-launch-template", "ssrfguard-forensics")


def fresh(scripts, template=False):
    emu.post("/reset", {})
    emu.post("/seed", {"ssm": {"scripts": scripts}})  # before the fleet's: first match wins
    emu.post("/seed", json.load(open(h.FLEET)))
    if template:
        emu.post("/seed", {"ec2": {"launch_templates": [h.FORENSIC_TEMPLATE]}})
    emu.post("/timing", h.FAST_TIMING)
    return tempfile.mkdtemp(prefix="run-", dir=work)


def retry(w):
    return subprocess.run([binary, "incidents", "--store", os.path.join(w, "inc.db"), "retry", "INC-1"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=emu.env())


def commands(what):
    """SSM commands of INC-1 whose comment is `what` of some attempt:
    [(attempt, command)], attempt 1 without a number."""
    out = []
    for c in emu.state()["ssm"]["commands"].values():
        m = re.fullmatch(f"ssrfguard {h.aws_key('INC-1')} {re.escape(what)}( #([0-9]+))?", c.get("Comment", ""))
        if m:
            out.append((int(m.group(2) or 1), c))
    return sorted(out, key=lambda a: a[0])


def exam_failed_on_launched():
    """Run 1 with a forensic instance launched from the template and an
    examination that fails once: (workdir, [the forensic instance])."""
    w = fresh([{"match": "forensics examine", "exit_code": 2, "stdout": FAILED + "\n", "once": True},
               {"match": "forensics examine", "stdout": EXAMINE_OK + "\n"}], template=True)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--forensics-wait", "30", *LAUNCH)
    h.check("INC-1 partial" in p.stdout, f"run 1 partial: {p.stdout[-900:]} {p.stderr[-600:]}")
    first = [i["InstanceId"] for i in emu.state()["ec2"]["instances"].values()
             if h.tags(i).get("ssrfguard:role") == "forensics"]
    h.check(len(first) == 1, f"one forensic instance launched: {first}")
    return w, first


def step(w, name):
    r = h.report_ok(w, "INC-1") or {}
    return next((s for s in r.get("steps", []) if s["name"] == name), {})


try:
    # 1. the volatile capture ended Failed; the cause is fixed; retry
    w = fresh([{"match": "uname -a", "instance_id": h.VICTIM, "exit_code": 1, "stdout": "boom", "once": True}])
    p = h.respond(binary, emu, w, "--instance", h.VICTIM)
    h.check("INC-1 partial" in p.stdout and "capture ended Failed" in p.stdout,
            f"run 1: capture ended Failed: {p.stdout[-900:]}")
    h.check([a for a, _ in commands("volatile capture")] == [1], f"one capture sent: {commands('volatile capture')}")
    r = retry(w)
    h.check(r.returncode == 0 and "open again" in r.stdout, f"retried: {r.returncode} {r.stdout} {r.stderr}")
    p = h.respond(binary, emu, w, "--incident", "1")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"run 2 contained: {p.stdout[-900:]} {p.stderr[-600:]}")
    sent = commands("volatile capture")
    h.check([a for a, _ in sent] == [1, 2], f"the capture sent again as attempt #2: {[c['Comment'] for _, c in sent]}")
    cap = step(w, "capture")
    h.check(cap.get("state") == "done", f"capture done: {cap.get('state')} {cap.get('result')}")
    created = cap.get("created", {})
    h.check(sent and created.get("capture_command#2") == sent[-1][1]["CommandId"]
            and created.get("capture_command") == sent[0][1]["CommandId"],
            f"both attempts journaled: {created}")
    h.check(any("ended Failed: attempt 2 sends it again" in n for n in cap.get("notes", [])),
            f"the report says why it was sent again: {cap.get('notes')}")

    # 2. the examination ended Failed (exit 2, "failed"); retry: a new
    #    command on the same forensic instance, the evidence volumes kept
    w = fresh([{"match": "forensics examine", "exit_code": 2, "stdout": FAILED + "\n", "once": True},
               {"match": "forensics examine", "stdout": EXAMINE_OK + "\n"}])
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--forensics-wait", "30")
    h.check("INC-1 partial" in p.stdout and "no space left on device" in p.stdout,
            f"run 1: the examination failed: {p.stdout[-900:]}")
    vols1 = sorted(v["VolumeId"] for v in emu.state()["ec2"]["volumes"].values() if h.tags(v).get("IncidentId") == "INC-1")
    h.check(retry(w).returncode == 0, "retried")
    p = h.respond(binary, emu, w, "--incident", "1", "--forensics-wait", "30")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"run 2 contained: {p.stdout[-900:]} {p.stderr[-600:]}")
    sent = commands("forensics")
    h.check([a for a, _ in sent] == [1, 2] and all(c["InstanceIds"] == [h.FORENSIC] for _, c in sent),
            f"the examination sent again as #2: {[(c['Comment'], c['InstanceIds']) for _, c in sent]}")
    vols2 = sorted(v["VolumeId"] for v in emu.state()["ec2"]["volumes"].values() if h.tags(v).get("IncidentId") == "INC-1")
    h.check(vols1 == vols2 and len(vols1) == 2, f"the same evidence volumes: {vols1} {vols2}")
    f = step(w, "forensics")
    h.check(f.get("state") == "done" and "examined" in (f.get("result") or ""), f"examined: {f.get('result')}")
    h.check([c for c in emu.journal() if c["action"] == "SendCommand" and
             "volatile capture" in c["params"].get("Comment", "")].__len__() == 1,
            "the capture that succeeded is not sent again")

    # 3. the launched forensic instance was terminated since (a Spot
    #    interruption, an administrator) and the examination failed: the
    #    retry launches another with a new ClientToken and examines there
    w, first = exam_failed_on_launched()
    if first:
        emu.post("/ec2/terminate", {"instance_id": first[0]})
        h.wait(lambda: emu.state()["ec2"]["instances"][first[0]]["State"]["Name"] == "terminated", 10)
    h.check(retry(w).returncode == 0, "retried")
    p = h.respond(binary, emu, w, "--incident", "1", "--forensics-wait", "30", *LAUNCH)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"run 2 contained: {p.stdout[-900:]} {p.stderr[-600:]}")
    st = emu.state()
    fx = [i for i in st["ec2"]["instances"].values() if h.tags(i).get("ssrfguard:role") == "forensics"]
    live = [i["InstanceId"] for i in fx if i["State"]["Name"] == "running"]
    h.check(len(fx) == 2 and len(live) == 1 and live[0] not in first, f"another instance launched: {fx}")
    runs = [c["params"].get("ClientToken") for c in emu.journal() if c["action"] == "RunInstances"]
    h.check(len(runs) == 2 and len(set(runs)) == 2, f"a ClientToken per attempt: {runs}")
    vols = [v for v in st["ec2"]["volumes"].values() if h.tags(v).get("IncidentId") == "INC-1"]
    h.check(len(vols) == 2 and all(a["InstanceId"] in live for v in vols for a in v["Attachments"])
            and all(v["Attachments"] for v in vols), f"the evidence volumes attached to it: {vols}")
    sent = commands("forensics")
    h.check([a for a, _ in sent] == [1, 2] and sent[-1][1]["InstanceIds"] == live,
            f"examined there: {[(c['Comment'], c['InstanceIds']) for _, c in sent]}")

    # 4. the same, but retried at once while the terminated forensic
    #    instance is still shutting-down (EC2 user guide, "Amazon EC2
    #    instance state changes": shutting-down, then terminated), holding
    #    the evidence volumes until it is terminated: the retry launches
    #    another at once, waits for the volumes to be released (saying so),
    #    and examines there
    w, first = exam_failed_on_launched()
    emu.post("/timing", {"shutdown_seconds": 6})
    if first:
        emu.post("/ec2/terminate", {"instance_id": first[0]})
    h.check(first and emu.state()["ec2"]["instances"][first[0]]["State"]["Name"] == "shutting-down",
            f"the forensic instance is shutting-down: {first}")
    h.check(retry(w).returncode == 0, "retried")
    p = h.respond(binary, emu, w, "--incident", "1", "--forensics-wait", "30", *LAUNCH)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"run 2 contained: {p.stdout[-1200:]} {p.stderr[-600:]}")
    h.check(re.search(r"forensics +waiting +evidence volume vol-[0-9a-f]+ is attached to "
                      + re.escape(first[0] if first else "?") + r" \(shutting-down\)", p.stdout),
            f"the wait is shown as it happens: {p.stdout[-1200:]}")
    st = emu.state()
    fx = [i for i in st["ec2"]["instances"].values() if h.tags(i).get("ssrfguard:role") == "forensics"]
    live = [i["InstanceId"] for i in fx if i["State"]["Name"] == "running"]
    h.check(len(fx) == 2 and len(live) == 1 and live[0] not in first, f"another instance launched: {fx}")
    vols = [v for v in st["ec2"]["volumes"].values() if h.tags(v).get("IncidentId") == "INC-1"]
    h.check(len(vols) == 2 and all(v["Attachments"] and v["Attachments"][0]["InstanceId"] in live for v in vols),
            f"the same two evidence volumes, attached to it: {vols}")
    f = step(w, "forensics")
    notes = f.get("notes", [])
    h.check(f.get("state") == "done" and any("(shutting-down): waiting until" in n for n in notes)
            and any(first and n.endswith(f"released by {first[0]} (terminated)") for n in notes),
            f"the report says it waited, and for what: {notes}")
finally:
    emu.stop()
h.finish("respond-retry-ssm")
