#!/usr/bin/python3
"""Incidents contained per minute by 1, 2 and 4 responders sharing one
DynamoDB state table, against 200 victim instances on the emulator (issue 13).

    tests/netns-run /usr/bin/python3 bench/fleet/bench.py build/cli/ssrfguard [N] [RESPONDERS...]

For each responder count: a fresh emulator world with N instances (each with
its own role and instance profile, so that revocations do not share a
policy), N open incidents recorded in a fresh table with `ssrfguard
incidents --state-table T open`, then that many `ssrfguard respond
--state-table T --once` processes started together (default flags but the
ones the emulator needs: no forensic instance, no volatile capture, short
waits); the clock stops when the last one exits.  Printed side by side:
time to contain all, incidents per minute, the speed-up over one responder,
and the proof that no step ran twice: every incident contained, exactly one
snapshot of each victim volume in the emulator's state, no incident claimed
twice.
"""
import collections
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "respond"))
import harness as h  # noqa: E402

binary = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
COUNTS = [int(x) for x in sys.argv[3:]] or [1, 2, 4]
# API latency as AWS's, roughly: tens of ms for DynamoDB, ~100 ms for the
# control-plane calls (EC2, IAM, Auto Scaling, ...); the emulator alone answers
# in about 1 ms, which would make this a benchmark of its CPU
LATENCY = [{"kind": "delay", "service": "dynamodb", "seconds": 0.01},
           {"kind": "delay", "seconds": 0.08}]
TIMING = {"snapshot_seconds": 0.2, "attach_seconds": 0.1, "metadata_seconds": 0.1, "ssm_seconds": 0.1,
          "deregistration_delay_seconds": 0.1, "table_seconds": 0.2, "volume_seconds": 0.1}


def world(n):
    w = json.load(open(h.FLEET))
    ec2 = w["ec2"]
    for i in range(n):
        iid = f"i-0b{i:015x}"
        ec2["instances"].append({
            "InstanceId": iid, "SubnetId": "subnet-0a000000000000001", "InstanceType": "t3.small",
            "Tags": {"Name": f"bench-{i}"}, "IamInstanceProfile": f"bench-profile-{i}",
            "NetworkInterfaces": [{"NetworkInterfaceId": f"eni-0b{i:015x}", "Groups": ["sg-0a000000000000001"],
                                   "PrivateIpAddress": f"10.0.{1 + i // 250}.{10 + i % 240}"}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "VolumeId": f"vol-0b{i:015x}", "Size": 8}]})
        w["iam"]["roles"].append({"RoleName": f"bench-role-{i}"})
        w["iam"]["instance_profiles"].append({"InstanceProfileName": f"bench-profile-{i}",
                                              "Roles": [f"bench-role-{i}"]})
    return w


def items(emu, table):
    t = emu.state().get("dynamodb", {}).get(table, {"Items": []})
    return [{k: list(v.values())[0] for k, v in i.items()} for i in t["Items"]]


def run(emu, seed, responders):
    emu.post("/reset", {})
    emu.post("/seed", seed)
    emu.post("/timing", TIMING)
    env = emu.env()
    table = f"bench-{responders}"
    ids = [f"i-0b{i:015x}" for i in range(N)]
    for iid in ids:
        p = subprocess.run([binary, "incidents", "--state-table", table, "open", iid, "--reason", "bench"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit(f"incidents open {iid}: {p.stderr}")
    emu.call("DELETE", "/journal")
    emu.faults(LATENCY)
    cmd = [binary, "respond", "--state-table", table, "--once", "-q", "--store", "/nonexistent/unused.db",
           "--quarantine-profile", h.QUARANTINE_PROFILE, "--skip", "capture", "--poll-ms", "50",
           "--step-backoff-ms", "50", "--aws-backoff-ms", "20"]
    t0 = time.monotonic()
    procs = [subprocess.Popen(cmd + ["--owner", f"r{k}"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for k in range(responders)]
    errs = [p.communicate()[1] for p in procs]
    dt = time.monotonic() - t0
    emu.clear_faults()
    bad = [(k, p.returncode, e[-300:]) for k, (p, e) in enumerate(zip(procs, errs)) if p.returncode != 0]
    rows = items(emu, table)
    incs = [r for r in rows if r["pk"] == "incident"]
    contained = sum(1 for r in incs if r["state"] == "contained")
    claims = collections.Counter(r["pk"] for r in rows if r["pk"].startswith("inc#") and
                                 r["sk"].startswith("hist#") and r["to"] == "containing")
    # the emulator's state (its call log keeps only the last 20,000 calls):
    # one snapshot per victim volume, however many responders ran
    snaps = collections.Counter(sn["VolumeId"] for sn in emu.state()["ec2"]["snapshots"].values()
                                if sn["VolumeId"].startswith("vol-0b"))
    return {"responders": responders, "seconds": dt, "contained": contained, "incidents": len(incs),
            "twice_claimed": sum(1 for v in claims.values() if v > 1),
            "snapshots": sum(snaps.values()), "snapshot_repeats": sum(v - 1 for v in snaps.values() if v > 1),
            "errors": bad}


def main():
    emu = h.Emulator()
    seed = world(N)
    try:
        results = [run(emu, seed, k) for k in COUNTS]
    finally:
        emu.stop()
    base = results[0]["seconds"]
    print(f"fleet: {N} incidents on {N} instances, one DynamoDB state table on the emulator, "
          f"`respond --state-table T --once` x R (4 workers each, the default); "
          f"API latency 80 ms (DynamoDB 10 ms)")
    print(f"{'responders':>10} {'contain all':>12} {'incidents/min':>14} {'speed-up':>9} "
          f"{'contained':>10} {'claimed twice':>14} {'snapshots':>10} {'repeated':>9}")
    ok = True
    for r in results:
        print(f"{r['responders']:>10} {r['seconds']:>11.1f}s {N / r['seconds'] * 60:>14.0f} "
              f"{base / r['seconds']:>8.2f}x {r['contained']:>6}/{r['incidents']:<3} {r['twice_claimed']:>14} "
              f"{r['snapshots']:>10} {r['snapshot_repeats']:>9}")
        ok &= (r["contained"] == N == r["incidents"] and r["snapshots"] == N and not r["snapshot_repeats"]
               and not r["twice_claimed"] and not r["errors"])
        for e in r["errors"]:
            print(f"  responder {e[0]} exited {e[1]}: {e[2]}")
    print("no step ran twice" if ok else "FAILED: not every incident contained exactly once")
    sys.exit(0 if ok else 1)


main()
