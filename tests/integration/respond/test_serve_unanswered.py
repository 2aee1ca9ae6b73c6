#!/usr/bin/python3
"""serve on a DynamoDB state table (--state-table) when the incident's
transaction takes effect but no answer ever comes back (the emulator's
drop_after fault on every TransactWriteItems): the store cannot say whether
the attempt was recorded, so serve must not say it was not.  The client
still gets no success (the URL stays blocked, never fetched), and the
answer, the log line and the metric say the attempt may have been recorded
(at most once) — not "could not be recorded; try again" — and in which
incident: the one the table now holds it in (a decision line says so too,
marked unsettled).

Then, the store answering again, serve settles it within seconds (resending
the transaction with its ClientRequestToken): a "settled" log line says it
is recorded, once, in that incident, the metrics count it
(ssrfguard_store_settled_total{outcome="recorded"}) and nothing is left to
settle (ssrfguard_store_unsettled 0, /healthz store_unsettled 0).  And an
attempt whose transaction never reached the table (the "drop" fault) is
written by the settling, once: the incident counts both.

usage: test_serve_unanswered.py SSRFGUARD"""
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
TABLE = "ssrfguard-state"
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="srv-unanswered-")
srv = None


try:
    port = h.free_port()
    log = os.path.join(work, "serve.log")
    srv = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--state-table", TABLE,
                            "--instance-id", h.VICTIM, "--region", "us-east-1", "--az", "us-east-1a",
                            "--no-imds", "--log", log],
                           env=emu.env(), stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "err.log"), "w"))
    base = f"http://127.0.0.1:{port}"
    h.check(h.wait(lambda: h.http_get(base + "/healthz", 1)[0] == 200, 20), "serve is up")
    emu.faults([{"kind": "drop_after", "service": "dynamodb", "action": "TransactWriteItems", "count": 1000}])
    code, body = h.http_get(base + "/go?url=http://169.254.169.254/latest/meta-data/")
    emu.clear_faults()
    h.check(code == 503, f"the blocked URL is never a success: {code} {body}")
    h.check("could not be recorded" not in body and "try again" not in body,
            f"the answer does not say the attempt was not recorded: {body}")
    h.check("may have been recorded" in body, f"the answer says it may have been recorded: {body}")
    # what actually happened: the transaction took effect (drop_after)
    items = emu.state().get("dynamodb", {}).get(TABLE, {"Items": []})["Items"]
    h.check(any(i["pk"]["S"].startswith("incident") for i in items), "the emulator holds the incident")
    held = {int(i["pk"]["S"][4:]) for i in items if i["pk"]["S"].startswith("inc#")}
    h.check(len(held) == 1, f"one incident holds the attempt: {held}")
    inc = next(iter(held)) if held else -1
    h.check(f"in incident {inc}:" in body, f"the answer names incident {inc}: {body}")
    lines = [json.loads(x) for x in open(log) if x.strip().startswith("{")]
    dec = [x for x in lines if x.get("event") == "decision"]
    h.check(len(dec) == 1 and dec[0].get("incident") == inc and dec[0].get("unsettled") == 1,
            f"a decision line names the incident, unsettled: {dec}")
    err = [x for x in lines if x.get("event") == "error" and x.get("what") == "store"]
    h.check(err and err[-1].get("unsettled") == 1 and err[-1].get("not_recorded") == 0,
            f"the log line counts the attempt as unsettled, not as not recorded: {err}")
    metrics = h.http_get(base + "/metrics", 5)[1]
    h.check("ssrfguard_store_unsettled_total 1\n" in metrics,
            "the metric counts the attempt that may have been recorded: "
            + "".join(x + "\n" for x in metrics.splitlines() if "store" in x))

    def settled():
        return [x for x in (json.loads(y) for y in open(log) if y.strip().startswith("{"))
                if x.get("event") == "settled"]

    def attempts_held():
        items = emu.state().get("dynamodb", {}).get(TABLE, {"Items": []})["Items"]
        return [int(i["attempts"]["N"]) for i in items
                if i["pk"]["S"] == "incident" and int(i["id"]["N"]) == inc]

    h.check(h.wait(lambda: len(settled()) == 1, 15), f"a settled line comes: {settled()}")
    s1 = settled()
    h.check(s1 and s1[0].get("level") == "info" and f"recorded, once, in incident {inc}"
            in s1[0].get("message", ""), f"it says recorded, once, in incident {inc}: {s1}")
    metrics = h.http_get(base + "/metrics", 5)[1]
    h.check('ssrfguard_store_settled_total{outcome="recorded"} 1\n' in metrics
            and "ssrfguard_store_unsettled 0\n" in metrics,
            "the metrics count it settled, none left: "
            + "".join(x + "\n" for x in metrics.splitlines() if "settled" in x))
    health = json.loads(h.http_get(base + "/healthz", 5)[1] or "{}")
    h.check(health.get("store_unsettled") == 0, f"/healthz: nothing left to settle: {health}")
    h.check(attempts_held() == [1], f"counted once: {attempts_held()}")

    # a transaction that never reached the table: written by the settling
    emu.faults([{"kind": "drop", "service": "dynamodb", "action": "TransactWriteItems", "count": 1000}])
    code, body = h.http_get(base + "/go?url=http://169.254.169.254/latest/meta-data/")
    emu.clear_faults()
    h.check(code == 503 and "may have been recorded" in body, f"unsettled again: {code} {body}")
    h.check(h.wait(lambda: len(settled()) == 2, 15), f"a second settled line: {settled()}")
    h.check(attempts_held() == [2], f"the incident counts both attempts, once each: {attempts_held()}")
finally:
    if srv:
        h.end(srv, 20)
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("serve-unanswered")
