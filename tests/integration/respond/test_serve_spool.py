#!/usr/bin/python3
"""serve on a DynamoDB state table stopped with an attempt whose transaction
never reached the table (the emulator's "drop" fault on every
TransactWriteItems, so nothing of it is in the table): the attempt must not
vanish with the process.  serve keeps it in its spool (beside --store,
STORE.unsettled-serve, written before the 503 leaves) and the next start
settles it: the table then holds it exactly once.

  SIGTERM  an orderly stop tries to settle within --drain-s, then says the
           attempt stays in the spool
  kill -9  nothing said at all: the spool alone carries it
  late     serve killed (-9) with an attempt unsettled, its spool line then
           made 10 minutes old (its token may no longer be honoured: a
           resend could count it twice): the next start reads its attempt
           item back (strongly consistent).  Never landed (the "drop"
           fault): sent again under a new token, recorded once.  Landed
           unanswered ("drop_after"): recorded, not written twice.  A line
           with no attempt item to read back: reported unknown, never
           resent, its URL shown escaped

usage: test_serve_spool.py SSRFGUARD"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
TABLE = "ssrfguard-state"
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="srv-spool-")
store = os.path.join(work, "inc.db")
spool = store + ".unsettled-serve"
log = os.path.join(work, "serve.log")
srv = None
URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


def start():
    global srv, base
    port = h.free_port()
    srv = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--state-table", TABLE,
                            "--store", store, "--drain-s", "1", "--instance-id", h.VICTIM,
                            "--region", "us-east-1", "--az", "us-east-1a", "--no-imds", "--log", log],
                           env=dict(emu.env(), SSRFGUARD_AWS_BACKOFF_BASE_MS="20"), stdout=subprocess.DEVNULL,
                           stderr=open(os.path.join(work, "err.log"), "a"))
    base = f"http://127.0.0.1:{port}"
    h.check(h.wait(lambda: h.http_get(base + "/healthz", 1)[0] == 200, 20), "serve is up")


def lines(event):
    return [x for x in (json.loads(y) for y in open(log) if y.strip().startswith("{"))
            if x.get("event") == event]


def counted():
    items = emu.state().get("dynamodb", {}).get(TABLE, {"Items": []})["Items"]
    return ([int(i["attempts"]["N"]) for i in items if i["pk"]["S"] == "incident"],
            len([i for i in items if i["pk"]["S"].startswith("inc#") and i["sk"]["S"].startswith("att#")]))


def unanswered_then(stop, label, before, want):
    emu.faults([{"kind": "drop", "service": "dynamodb", "action": "TransactWriteItems", "count": 1000}])
    code, body = h.http_get(base + "/go?url=" + URL)
    h.check(code == 503 and "may have been recorded" in body, f"{label}: unsettled: {code} {body}")
    text = open(spool, errors="replace").read() if os.path.exists(spool) else ""
    h.check(text.startswith("ssrfguard-unsettled 1\n") and "/latest/meta-data/iam/" in text
            and "\x1b" not in text, f"{label}: the spool holds it before the answer: {text[:200]!r}")
    stop()
    emu.clear_faults()
    h.check(counted() == before, f"{label}: not in the table yet: {counted()}")
    settled_before = len(lines("settled"))
    start()
    h.check(h.wait(lambda: len(lines("settled")) > settled_before, 15),
            f"{label}: the next start settles it: {open(log).read()[-1500:]}")
    h.check(any("earlier run left unsettled" in x.get("message", "") for x in lines("unsettled")),
            f"{label}: the start says it read the spool back: {lines('unsettled')}")
    h.check(counted() == want, f"{label}: in the table exactly once: {counted()}, want {want}")
    h.check(h.wait(lambda: not os.path.exists(spool), 5), f"{label}: the spool is emptied")


def sigterm():
    srv.send_signal(signal.SIGTERM)
    h.check(srv.wait(20) == 0, "serve stops on SIGTERM")
    said = [x.get("message", "") for x in lines("unsettled")]
    h.check(any("stops with 1 attempts unsettled" in m and "kept in its spool" in m for m in said),
            f"the stop says the attempt stays in the spool: {said}")


def kill9():
    srv.send_signal(signal.SIGKILL)
    srv.wait(20)


def plus(c, k):
    """counted() c with k more attempts in its one incident."""
    return ([c[0][0] + k], c[1] + k)


def late(fault, label, lands):
    """An attempt left unanswered (fault; lands: it took effect), serve
    killed, its spool line aged past the token's window: the next start
    settles it, once."""
    first = counted()
    before, want = plus(first, 1 if lands else 0), plus(first, 1)
    emu.faults([{"kind": fault, "service": "dynamodb", "action": "TransactWriteItems", "count": 1000}])
    code, body = h.http_get(base + "/go?url=" + URL)
    h.check(code == 503 and "may have been recorded" in body, f"{label}: unsettled: {code} {body}")
    kill9()
    emu.clear_faults()
    h.check(counted() == before, f"{label}: the table before: {counted()}, want {before}")
    head, chunk = open(spool).read().split("\n")[:2]
    line = json.loads(chunk)
    line["sent_ms"] -= 600000
    with open(spool, "w") as f:
        f.write(head + "\n" + json.dumps(line) + "\n")
    settled_before = len(lines("settled"))
    start()
    h.check(h.wait(lambda: not os.path.exists(spool), 15), f"{label}: the spool is emptied")
    said = lines("settled")[settled_before:]
    h.check(len(said) == 1 and said[0].get("level") == "info"
            and "recorded, once, in incident 1" in said[0].get("message", ""),
            f"{label}: one settled line, recorded: {said}")
    h.check(counted() == want, f"{label}: in the table exactly once: {counted()}, want {want}")


def late_unreadable():
    first = counted()
    srv.send_signal(signal.SIGTERM)
    srv.wait(20)
    # a join whose attempt was only counted (detail_max): no item to read back
    line = {"table": TABLE, "token": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "sent_ms": int(time.time() * 1000) - 600000,
            "acts": [{"Update": {"TableName": TABLE,
                                 "Key": {"pk": {"S": "incident"}, "sk": {"S": "00000000000000000009"}},
                                 "UpdateExpression": "ADD attempts :k",
                                 "ExpressionAttributeValues": {":k": {"N": "1"}}}}],
            "attempts": [{"at_ms": int(time.time() * 1000) - 600000, "hop": 0, "contain": True, "observe": False,
                          "key": "source:10.9.9.9", "client": "10.9.9.9",
                          "url": "http://169.254.169.254/late\u001b[2J",
                          "plan": {"incident_id": 9, "attempt_id": 0, "opened": False, "escalated": False,
                                   "aggregated": True}}]}
    with open(spool, "w") as f:
        f.write("ssrfguard-unsettled 1\n" + json.dumps(line) + "\n")
    before = len(lines("settled"))
    start()
    h.check(h.wait(lambda: len(lines("settled")) > before, 10), "late: a settled line comes")
    last = lines("settled")[-1] if lines("settled") else {}
    m = last.get("message", "")
    h.check(last.get("level") == "error" and "unknown after 9 minutes" in m
            and "its URL: http://169.254.169.254/late\\x1b[2J" in m and "\x1b" not in m,
            f"late: unknown, never resent, its URL escaped: {last}")
    h.check(counted() == first, f"late: nothing sent: {counted()}, want {first}")
    h.check(h.wait(lambda: not os.path.exists(spool), 5), "late: the spool is emptied")


try:
    start()
    unanswered_then(sigterm, "SIGTERM", ([], 0), ([1], 1))
    unanswered_then(kill9, "kill -9", ([1], 1), ([2], 2))
    late("drop", "late, never landed", False)
    late("drop_after", "late, landed", True)
    late_unreadable()
finally:
    if srv and srv.poll() is None:
        h.end(srv, 20)
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("serve-spool")
