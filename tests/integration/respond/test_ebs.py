#!/usr/bin/python3
"""EBS fails after answering (the emulator models it from the EBS user
guide: "Amazon EBS volume lifecycle"): an evidence volume that ends in
`error` never becomes available; the forensics step records it, deletes it
and makes a new one with a new ClientToken (the old one stays bound to the
deleted volume), at most three times per snapshot, then says so at once
(the snapshot is kept) instead of waiting out --snapshot-wait.  With
--evidence-kms-key the evidence volumes are encrypted under the forensic
key (EBS user guide, "Amazon EBS encryption"); a key the role may not use
makes the volume vanish while creating (AWS accepts CreateVolume), and the
step says so.

usage: test_ebs.py SSRFGUARD"""
import atexit
import json
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
    # one evidence volume ends in error: it is recorded and deleted, and a new
    # one is made with a new ClientToken (the old token stays bound to the
    # deleted volume: EC2 API reference, "Ensuring idempotency")
    emu.post("/ebs/fail", {"count": 1})
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--snapshot-wait", "60")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"contained after one error: {p.stdout[-800:]}")
    r = h.report_ok(work, "INC-1", "contained")
    creates = [c for c in emu.journal() if c["action"] == "CreateVolume" and c["status"] == 200]
    tokens = [c["params"].get("ClientToken") for c in creates]
    by_snap = {}
    for c in creates:
        by_snap.setdefault(c["params"]["SnapshotId"], set()).add(c["params"]["ClientToken"])
    h.check(len(creates) == 3 and len(set(tokens)) == 3 and sorted(len(t) for t in by_snap.values()) == [1, 2],
            f"three volumes for two snapshots, each with its own token: {tokens}")
    vols = [v for v in emu.state()["ec2"]["volumes"].values() if h.tags(v).get("IncidentId") == "INC-1"]
    h.check(len(vols) == 2 and all(v["State"] in ("in-use", "available") for v in vols),
            f"the errored volume deleted, two good ones left: {[(v['VolumeId'], v['State']) for v in vols]}")
    deleted = [c for c in emu.journal() if c["action"] == "DeleteVolume" and c["status"] == 200]
    h.check(len(deleted) == 1, f"the errored volume deleted once: {deleted}")
    if r:
        f = [s for s in r["steps"] if s["name"] == "forensics"][0]
        h.check(f["state"] == "done", f"forensics done: {f}")
        errs = (r.get("data") or {}).get("errored_volumes") or r.get("errored_volumes") or []
        h.check(len(errs) == 1 and errs[0].get("volume") == deleted[0]["params"]["VolumeId"] and
                errs[0].get("deleted") is True and errs[0].get("attempt") == 1,
                f"the errored volume is in the record: {errs} {list(r)}")
        h.check("ended in error" in json.dumps(r), "the report says a volume ended in error")

    # every attempt ends in error: after three per snapshot the step says so
    # at once (the snapshot is kept), without waiting out --snapshot-wait
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    emu.post("/ebs/fail", {"count": 50})
    w = tempfile.mkdtemp(prefix="ebs-exhausted-", dir=work)
    t0 = time.time()
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--snapshot-wait", "60")
    took = time.time() - t0
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"partial: {p.stdout[-800:]}")
    r = h.report_ok(w, "INC-1", "partial")
    if r:
        f = [s for s in r["steps"] if s["name"] == "forensics"][0]
        h.check(f["state"] == "failed" and "ended in error 3 times" in f.get("result", ""), f"says why: {f}")
        snap = [s for s in r["steps"] if s["name"] == "snapshot"][0]
        h.check(snap["state"] == "done", "the snapshots stand")
    h.check(took < 45, f"did not wait out --snapshot-wait: {took:.0f} s")
    left = [v for v in emu.state()["ec2"]["volumes"].values() if h.tags(v).get("IncidentId") == "INC-1"]
    h.check(not left, f"no errored volume left behind: {left}")

    # the forensic KMS key
    KEY = "0f0f0f0f-0000-4000-8000-00000000f0f0"
    for policy, case in ((None, "kms"), ({"Version": "2012-10-17", "Statement": []}, "kms-denied")):
        emu.post("/reset", {})
        emu.post("/seed", json.load(open(h.FLEET)))
        emu.post("/timing", h.FAST_TIMING)
        spec = {"KeyId": KEY}
        if policy is not None:
            spec["Policy"] = json.dumps(policy)
        emu.post("/seed", {"kms_keys": [spec]})
        w = tempfile.mkdtemp(prefix=case + "-", dir=work)
        p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--evidence-kms-key", KEY)
        vols = [v for v in emu.state()["ec2"]["volumes"].values()
                if h.tags(v).get("IncidentId") == "INC-1"]
        if case == "kms":
            h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"kms: {p.stdout[-800:]}")
            h.check(len(vols) == 2 and all(v.get("Encrypted") and KEY in (v.get("KmsKeyId") or "")
                                           for v in vols), f"encrypted under the key: {vols}")
        else:
            h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"denied key: {p.stdout[-800:]}")
            r = h.report_ok(w, "INC-1", "partial")
            f = [s for s in (r or {}).get("steps", []) if s["name"] == "forensics"]
            h.check(f and "vanished" in f[0].get("result", ""), f"says why: {f}")
finally:
    emu.stop()
h.finish("respond-ebs")
