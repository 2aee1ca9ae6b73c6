#!/usr/bin/python3
"""Injected throttling, 500s and dropped connections on the calls the
playbook makes: it still completes, with the same final state and no
duplicates (non-idempotent creates are looked up before they are retried).

usage: test_faults.py SSRFGUARD"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-faults-")
try:
    rules = [
        {"kind": "throttle", "service": "ec2", "action": "DescribeInstances", "count": 3},
        {"kind": "throttle", "service": "autoscaling", "action": "DetachInstances", "count": 2},
        {"kind": "error", "service": "autoscaling", "action": "DescribeAutoScalingInstances", "count": 2},
        {"kind": "error", "service": "ec2", "action": "CreateSnapshots", "count": 1},
        {"kind": "drop", "service": "ec2", "action": "CreateVolume", "count": 1},
        {"kind": "throttle", "service": "ec2", "action": "ModifyNetworkInterfaceAttribute", "count": 2},
        {"kind": "unavailable", "service": "iam", "action": "PutRolePolicy", "count": 1},
        {"kind": "throttle", "service": "ssm", "action": "SendCommand", "count": 2},
        {"kind": "error", "service": "ssm", "action": "GetCommandInvocation", "count": 1},
        {"kind": "error", "service": "elbv2", "action": "DeregisterTargets", "count": 1},
        {"kind": "throttle", "service": "elbv2", "action": "DescribeTargetGroups", "count": 1},
        {"kind": "error", "service": "ec2", "action": "AttachVolume", "count": 1},
        # SNS throttles with its own code, Throttled/429 (botocore sns model)
        {"kind": "throttle", "service": "sns", "action": "Publish", "count": 2},
        # eventual consistency: every new id invisible to the next 2 describes
        {"kind": "invisible", "calls": 2},
        # and a background of random throttling everywhere
        {"kind": "throttle", "rate": 0.1},
    ]
    emu.faults(rules)
    topic = "arn:aws:sns:us-east-1:123456789012:ssrfguard-incidents"
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "-q", "--aws-max-attempts", "5",
                  "--sns-topic", topic)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout,
            f"exit {p.returncode}: {p.stdout} {p.stderr[-2000:]}")
    st = emu.state()
    h.verify_contained(st, "INC-1", label="faults ")
    hit = [r for r in emu.call("GET", "/faults")["faults"] if r["hits"]]
    h.check(len(hit) >= 10, f"only {len(hit)} fault rules were hit: {hit}")
    calls = [c["action"] for c in emu.journal() if not c.get("fault")]
    h.check(calls.count("CreateSnapshots") == 1, f"{calls.count('CreateSnapshots')} snapshot sets made")
    h.check(calls.count("DetachInstances") == 1, f"{calls.count('DetachInstances')} ASG detaches")
    throttled = [c for c in emu.journal() if c["action"] == "Publish" and c.get("error") == "Throttled"]
    subjects = [m.get("Subject") or "" for m in st["sns"]["published"] if m["TopicArn"] == topic]
    h.check(len(throttled) >= 2 and any("contained" in x.lower() or "end" in x.lower() for x in subjects)
            and len(subjects) >= 2, f"notifications published through SNS's Throttled: {throttled} {subjects}")
    h.report_ok(work, "INC-1")

    # a step that keeps failing: the ASG detach.  Isolation needs it, so it
    # is blocked (never run blind); the steps that do not need it still run.
    # Then the operator retries and it completes.
    emu.clear_faults()
    emu.post("/reset", {})
    emu.post("/seed", __import__("json").load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    shutil.rmtree(work, ignore_errors=True)
    work = tempfile.mkdtemp(prefix="rsp-faults-")
    emu.faults([{"kind": "error", "service": "autoscaling", "action": "DetachInstances",
                 "code": "ScalingActivityInProgress", "status": 400, "message": "busy"}])
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--step-attempts", "2")
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"partial run: {p.returncode} {p.stdout[-1500:]}")
    h.check("isolate   blocked (needs asg)" in p.stdout, "isolate blocked by the failed asg step")
    st = emu.state()
    enis = [e for e in st["ec2"]["network_interfaces"].values()
            if (e.get("Attachment") or {}).get("InstanceId") == h.VICTIM]
    h.check(all(g["GroupId"].startswith("sg-0a") for e in enis for g in e["Groups"]),
            "network untouched while the instance is still in its ASG")
    h.check(all(a["IamInstanceProfile"]["Arn"] == h.QUARANTINE_PROFILE
                for a in st["ec2"]["iam_instance_profile_associations"].values()
                if a["InstanceId"] == h.VICTIM and a["State"] == "associated"), "strip (independent) ran")
    h.check(len([x for x in st["ec2"]["snapshots"].values() if h.tags(x).get("IncidentId") == "INC-1"]) == 2,
            "snapshots (independent) ran")
    lst = __import__("json").loads(subprocess.run([binary, "incidents", "--store", os.path.join(work, "inc.db"),
                                                   "list", "--json"], stdout=subprocess.PIPE, text=True).stdout)
    h.check(lst[0]["state"] == "failed", f"incident failed: {lst}")
    emu.clear_faults()
    r = subprocess.run([binary, "incidents", "--store", os.path.join(work, "inc.db"), "retry", "INC-1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h.check(r.returncode == 0, f"retry: {r.stdout} {r.stderr}")
    p = h.respond(binary, emu, work, "--incident", "1", "-q")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"after retry: {p.stdout} {p.stderr[-1000:]}")
    h.verify_contained(emu.state(), "INC-1", label="retried ")

    # SIGTERM while a step waits (snapshots take 60 s here): the daemon
    # stops within seconds and gives the incident back; the next responder
    # resumes it.
    emu.post("/reset", {})
    emu.post("/seed", __import__("json").load(open(h.FLEET)))
    emu.post("/timing", dict(h.FAST_TIMING, snapshot_seconds=60))
    shutil.rmtree(work, ignore_errors=True)
    work = tempfile.mkdtemp(prefix="rsp-faults-")
    store = os.path.join(work, "inc.db")
    subprocess.run([binary, "incidents", "--store", store, "open", h.VICTIM], stdout=subprocess.DEVNULL, check=True)
    env = emu.env()
    d = subprocess.Popen([binary, "respond", "--store", store, "--forensic-instance", h.FORENSIC, "--forensics-wait", "0",
                          "--quarantine-profile", h.QUARANTINE_PROFILE, "--poll-ms", "50",
                          "--capture-timeout", "5", "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    import signal as _signal
    import time as _time
    deadline = _time.time() + 60
    waiting = False
    while _time.time() < deadline and not waiting:
        out = subprocess.run([binary, "incidents", "--store", store, "show", "1", "--json"],
                             stdout=subprocess.PIPE, text=True).stdout
        try:
            rep = __import__("json").loads(out)
            waiting = any(x["name"] == "forensics" and x["state"] == "running" for x in rep["steps"])
        except ValueError:
            pass
        _time.sleep(0.1)
    h.check(waiting, "daemon reached the snapshot wait")
    t0 = _time.time()
    d.send_signal(_signal.SIGTERM)
    try:
        d.wait(timeout=15)
    except subprocess.TimeoutExpired:
        d.kill()
    h.check(_time.time() - t0 < 10 and d.returncode == 0, f"stopped in {_time.time() - t0:.1f}s, exit {d.returncode}")
    lst = __import__("json").loads(subprocess.run([binary, "incidents", "--store", store, "list", "--json"],
                                                  stdout=subprocess.PIPE, text=True).stdout)
    h.check(lst[0]["state"] == "open" and "stopped" in lst[0]["reason"], f"given back: {lst[0]}")
    emu.post("/advance", {"seconds": 120})
    p = h.respond(binary, emu, work, "--once", "-q")
    h.check(p.returncode == 0, f"resumed by the next responder: {p.stderr[-800:]}")
    h.verify_contained(emu.state(), "INC-1", label="after SIGTERM ")
finally:
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-faults")
