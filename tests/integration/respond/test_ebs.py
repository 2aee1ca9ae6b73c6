#!/usr/bin/python3
"""EBS fails after answering (the emulator models it from the EBS user
guide: "Amazon EBS volume lifecycle"): an evidence volume that ends in
`error` never becomes available, so the forensics step says so at once
(the snapshot is kept) instead of waiting out --snapshot-wait.

usage: test_ebs.py SSRFGUARD"""
import atexit
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-ebs-")
atexit.register(shutil.rmtree, work, True)
try:
    emu.post("/ebs/fail", {"count": 1})
    t0 = time.time()
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--snapshot-wait", "60")
    took = time.time() - t0
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"partial: {p.stdout[-800:]}")
    r = h.report_ok(work, "INC-1", "partial")
    if r:
        f = [s for s in r["steps"] if s["name"] == "forensics"][0]
        h.check(f["state"] == "failed" and "ended in error" in f.get("result", ""), f"says why: {f}")
        h.check(f["attempts"] == 1, "not retried: an errored volume does not come back")
        snap = [s for s in r["steps"] if s["name"] == "snapshot"][0]
        h.check(snap["state"] == "done", "the snapshots stand")
    h.check(took < 45, f"did not wait out --snapshot-wait: {took:.0f} s")
finally:
    emu.stop()
h.finish("respond-ebs")
