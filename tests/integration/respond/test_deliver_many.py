#!/usr/bin/python3
"""A detector delivers every open incident, however many: one_pass once
read the newest 1000 (one store page) and never reached the rest, so after
a burst of more than 1000 the oldest were never handed over (each stays
open on the detector: delivery does not change its state, so it never
left the first page).

The SQLite store holds 2,100 incidents written straight to it
(dashboard-seed), about half of them open; `respond --deliver-to QUEUE
--once` must send each open one to SQS once, the oldest included, and a
second pass nothing.  The DynamoDB state table (the emulator's paged
Query) holds 1,050 open incidents among 1,100: each is sent once.

usage: test_deliver_many.py SSRFGUARD DASHBOARD_SEED [--dynamodb]
(--dynamodb: the DynamoDB part only, about 30 s of SQS sends and
transactions through the emulator; suite heavy)"""
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
DYNAMODB = sys.argv[3:] == ["--dynamodb"]
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/ssrfguard-incidents"
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="deliver-many-")


def sqlite_store():
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



def dynamodb_store():
    # the DynamoDB state table: 1,050 open incidents among 1,100, read a
    # store page (1000) at a time, each a Query followed through
    # LastEvaluatedKey (API reference, Query: at most 1 MB or Limit items a
    # page; the emulator pages so, tests/emulator/services/dynamodb.py)
    TABLE, many = "ssrfguard-deliver-many", 1100

    def S(v):
        return {"S": str(v)}

    def N(v):
        return {"N": str(v)}

    def item(iid, state):
        at = 1700000000000 + iid
        return {"pk": S("incident"), "sk": S("%020d" % iid), "id": N(iid), "state": S(state),
                "state_reason": S("seeded"), "state_ms": N(at), "source": S(f"10.{iid // 250}.{iid % 250}.1"),
                "join_key": S(f"source:10.{iid}"), "category": S("metadata"), "rule": S("metadata-ipv4"),
                "dest": S("169.254.169.254:80"), "instance_id": S("i-0e%015d" % iid), "region": S("us-east-1"),
                "az": S("us-east-1a"), "contain": N(1), "observe": N(0), "attempts": N(1), "opened_ms": N(at),
                "updated_ms": N(at), "lease_owner": S(""), "lease_until_ms": N(0)}

    states = {i: "open" if i % 22 else "contained" for i in range(1, many + 1)}
    items = [item(i, st) for i, st in states.items()]
    items += [{"pk": S("meta"), "sk": S("counter"), "next_id": N(many)},
              {"pk": S("meta"), "sk": S("identity"), "store_id": S("0123456789abcdef"),
               "first_keyed": N(1), "created_ms": N(1700000000000)},
              {"pk": S("meta"), "sk": S("holders"), "at_ms": N(1700000000000)}]
    emu.post("/seed", {"sqs_queues": [{"QueueName": "ssrfguard-incidents-ddb"}], "dynamodb_tables": [{
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "Items": items}]})
    env = emu.env()
    env["AWS_REGION"] = "us-east-1"
    t0 = time.monotonic()
    d = subprocess.run([B, "respond", "--state-table", TABLE, "--deliver-to", QUEUE + "-ddb", "--detector",
                        "web-1", "--once"], env=env, capture_output=True, text=True, timeout=240)
    h.check(d.returncode == 0, f"deliver --once (DynamoDB): {d.returncode} {d.stderr[-600:]}")
    want = sorted(i for i, st in states.items() if st == "open")
    emu.call("DELETE", "/journal")  # a few thousand calls: the state's dump stays small
    msgs = emu.state()["sqs"]["ssrfguard-incidents-ddb"]["messages"]
    sent = sorted(json.loads(m["Body"])["incident"] for m in msgs)
    print(f"DynamoDB: {len(want)} open incidents delivered in {time.monotonic() - t0:.1f} s", flush=True)
    h.check(sent == want, f"DynamoDB: each open incident sent once, the oldest too: {len(sent)} of {len(want)}, "
                          f"oldest sent {sent[:3]}")


try:
    dynamodb_store() if DYNAMODB else sqlite_store()
finally:
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-deliver-many")
