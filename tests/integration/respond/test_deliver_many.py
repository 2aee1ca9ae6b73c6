#!/usr/bin/python3
"""A detector delivers every open incident, however many: one_pass once
read the newest 1000 (one store page) and never reached the rest, so after
a burst of more than 1000 the oldest were never handed over (each stays
open on the detector: delivery does not change its state, so it never
left the first page).

The SQLite store holds 2,100 incidents written straight to it
(dashboard-seed), about half of them open; `respond --deliver-to QUEUE
--once` must send each open one to SQS once, the oldest included, and a
second pass nothing.

usage: test_deliver_many.py SSRFGUARD DASHBOARD_SEED"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

B, SEED = sys.argv[1], sys.argv[2]
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/ssrfguard-incidents"
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="deliver-many-")
try:
    emu.post("/seed", {"sqs_queues": [{"QueueName": "ssrfguard-incidents"}]})
    store = os.path.join(work, "detector.db")
    subprocess.run([SEED, store, "2100"], check=True)
    p = subprocess.run([B, "incidents", "--store", store, "--state", "open", "list", "--json"],
                       capture_output=True, text=True, timeout=60)
    opened = sorted(r["id"] for r in json.loads(p.stdout or "[]"))
    h.check(len(opened) > 1000, f"more than one store page of open incidents: {len(opened)}")

    def deliver():
        t0 = time.monotonic()
        d = subprocess.run([B, "respond", "--store", store, "--deliver-to", QUEUE, "--detector", "web-1",
                            "--once"], env=emu.env(), capture_output=True, text=True, timeout=240)
        h.check(d.returncode == 0, f"deliver --once: {d.returncode} {d.stderr[-600:]}")
        return d, time.monotonic() - t0

    d, took = deliver()
    print(f"first pass: {len(opened)} open incidents delivered in {took:.1f} s", flush=True)
    msgs = emu.state()["sqs"]["ssrfguard-incidents"]["messages"]
    sent = sorted(json.loads(m["Body"])["incident"] for m in msgs)
    h.check(sent == opened, f"each open incident sent once, the oldest too: {len(sent)} of {len(opened)}, "
                            f"oldest sent {sent[:3]}, oldest open {opened[:3]}")
    db = sqlite3.connect(store)
    done = db.execute("SELECT count(*) FROM steps WHERE name = 'deliver' AND status = 'done'").fetchone()[0]
    db.close()
    h.check(done == len(opened), f"each acknowledgement journaled: {done} of {len(opened)}")
    d, _ = deliver()
    h.check(d.stderr == "" and len(emu.state()["sqs"]["ssrfguard-incidents"]["messages"]) == len(opened),
            f"the second pass sends nothing: {d.stderr[-400:]}")
finally:
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-deliver-many")
