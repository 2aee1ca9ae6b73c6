#!/usr/bin/python3
"""The forensic instance's device slots (/dev/sdf .. /dev/sdz) on an
instance with many volumes (a Nitro type may have up to 128 EBS attachments:
EC2 user guide, "Amazon EBS volume limits for Amazon EC2 instances"): every
slot in use is seen however many volumes come before it, and when none is
free the forensics step says so before any AttachVolume, instead of offering
a slot in use (AWS: "Attachment point ... is already in use").

usage: test_device_slots.py SSRFGUARD"""
import atexit
import json
import os
import shutil
import string
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-slots-")
atexit.register(shutil.rmtree, work, True)

# 70 volumes: the root, 48 two-letter names (no slot of f..z), then every
# one of /dev/sdf .. /dev/sdz, last in the mapping (DescribeInstances lists
# it by device name: /dev/sdba .. /dev/sdcv come before /dev/sdf)
devices = ["/dev/sda1"] + [f"/dev/sd{a}{b}" for a in "bc" for b in string.ascii_lowercase][:48] + \
          [f"/dev/sd{c}" for c in string.ascii_lowercase[5:]]
fleet = json.load(open(h.FLEET))
for inst in fleet["ec2"]["instances"]:
    if inst["InstanceId"] == h.FORENSIC:
        inst["AttachmentLimit"] = 128
        inst["BlockDeviceMappings"] = [{"DeviceName": d, "Size": 1} for d in devices]
try:
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    emu.post("/timing", h.FAST_TIMING)
    p = h.respond(binary, emu, work, "--instance", h.VICTIM)
    h.check("INC-1 partial" in p.stdout and "no free device slot" in p.stdout,
            f"forensics failed, saying why: {p.stdout[-900:]} {p.stderr[-400:]}")
    attach = [c for c in emu.journal() if c["action"] == "AttachVolume"]
    h.check(not attach, f"no slot in use offered: {[(c['params'], c.get('error')) for c in attach]}")
    r = h.report_ok(work, "INC-1", "partial") or {}
    f = next((s for s in r.get("steps", []) if s["name"] == "forensics"), {})
    h.check(f.get("state") == "failed" and "/dev/sdf to /dev/sdz are all in use" in (f.get("result") or ""),
            f"the step's result: {f.get('state')} {f.get('result')}")
finally:
    emu.stop()
h.finish("respond-device-slots")
