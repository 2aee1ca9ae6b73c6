#!/usr/bin/python3
"""Injected throttling, 500s and dropped connections on the calls the
playbook makes: it still completes, with the same final state and no
duplicates (non-idempotent creates are looked up before they are retried).

usage: test_faults.py SSRFGUARD"""
import os
import shutil
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
        # and a background of random throttling everywhere
        {"kind": "throttle", "rate": 0.1},
    ]
    emu.faults(rules)
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "-q", "--aws-max-attempts", "5")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout,
            f"exit {p.returncode}: {p.stdout} {p.stderr[-2000:]}")
    st = emu.state()
    h.verify_contained(st, "INC-1", label="faults ")
    hit = [r for r in emu.call("GET", "/faults")["faults"] if r["hits"]]
    h.check(len(hit) >= 10, f"only {len(hit)} fault rules were hit: {hit}")
    calls = [c["action"] for c in emu.journal() if not c.get("fault")]
    h.check(calls.count("CreateSnapshots") == 1, f"{calls.count('CreateSnapshots')} snapshot sets made")
    h.check(calls.count("DetachInstances") == 1, f"{calls.count('DetachInstances')} ASG detaches")
    h.report_ok(work, "INC-1")
finally:
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-faults")
