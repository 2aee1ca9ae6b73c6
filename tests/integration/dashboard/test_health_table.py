#!/usr/bin/python3
"""The dashboard's /healthz on a fleet's DynamoDB table (AUDIT7 M2): a probe
is one small read, never the incident list, and says nothing of why it fails.

- 20 probes of GET /healthz cost no Query of the table (the list of every
  incident ever, strongly consistent, paged: what each probe read before)
  and at most one GetItem each, eventually consistent;
- with the table's reads refused (AccessDenied from the emulator: the
  message names the account and role), /healthz is 503 {"status":
  "failing","store":"failing"} and its body carries no error text, while
  the log says why, once, not once per probe;
- a signed-in page's live updates read its page each second, but count
  every incident (the whole partition) only when a newer incident appears:
  4 s of watching cost at most one full count, and an incident opened
  meanwhile arrives with the new total.

usage: test_health_table.py SSRFGUARD   (under tests/netns-run)"""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h   # noqa: E402
from sse import next_list   # noqa: E402

BIN = sys.argv[1]
TABLE = "ssrfguard-health"
TOKEN = "t0ken-for-the-health-table-test-0123456789"
work = tempfile.mkdtemp(prefix="dash-health-table-")
tokfile = os.path.join(work, "token")
with open(tokfile, "w") as f:
    f.write(TOKEN + "\n")
os.chmod(tokfile, 0o600)
emu = h.Emulator()
env = emu.env()
for iid in ("i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"):
    r = subprocess.run([BIN, "incidents", "--state-table", TABLE, "open", iid, "--reason", "test"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    h.check(r.returncode == 0, f"an incident in the table: {r.stdout} {r.stderr}")

d = subprocess.Popen([BIN, "dashboard", "--listen", "127.0.0.1:0", "--state-table", TABLE, "--token-file",
                      tokfile], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
first = d.stderr.readline()
port = int(json.loads(first)["message"].rsplit(":", 1)[1])
lines = []
threading.Thread(target=lambda: lines.extend(d.stderr), daemon=True).start()


def get(path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def calls(action, since):
    return [c for c in emu.journal() if c["action"] == action and c["seq"] > since]


try:
    mark = max([c["seq"] for c in emu.journal()] or [0])
    for _ in range(20):
        st, body = get("/healthz")
        h.check(st == 200 and json.loads(body).get("store") == "ok", f"/healthz ok: {st} {body!r}")
    q, g = calls("Query", mark), calls("GetItem", mark)
    h.check(not q, f"20 probes read no incident list: {len(q)} Query calls")
    h.check(len(g) <= 20 and all(not c["params"].get("ConsistentRead") for c in g),
            f"at most one eventually consistent GetItem a probe: {[c['params'] for c in g][:2]}")

    def full_counts(since):   # a Query of the partition with no Limit: the count
        return [c for c in calls("Query", since) if "Limit" not in c["params"]]

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("GET", "/api/events", headers={"Authorization": "Bearer " + TOKEN})
    ev = c.getresponse()
    h.check(ev.status == 200, f"a signed-in event stream: {ev.status}")
    h.check((next_list(ev) or {}).get("total") == 2, "the stream starts with its page: 2 incidents")
    mark = max([c["seq"] for c in emu.journal()] or [0])
    time.sleep(4)
    n = len(full_counts(mark))
    h.check(n <= 1, f"4 s of live updates count the incidents at most once: {n} full Queries")
    r = subprocess.run([BIN, "incidents", "--state-table", TABLE, "open", "i-0a1b2c3d4e5f60003", "--reason",
                        "test"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    h.check(r.returncode == 0, f"a third incident: {r.stdout} {r.stderr}")
    got = next_list(ev) or {}
    h.check(got.get("total") == 3 and len(got.get("incidents", [])) == 3,
            f"the new incident arrives live with the new total: {got.get('total')}")
    c.close()

    emu.faults([{"kind": "error", "service": "dynamodb", "action": "GetItem", "code": "AccessDeniedException",
                 "status": 400,
                 "message": "User: arn:aws:sts::123456789012:assumed-role/secret-role/x is not authorized",
                 "count": 100}])
    for _ in range(5):
        st, body = get("/healthz")
        o = json.loads(body) if body.startswith(b"{") else {}
        h.check(st == 503 and o.get("status") == "failing" and o.get("store") == "failing",
                f"a table it cannot read: 503 failing: {st} {body!r}")
        h.check(b"secret-role" not in body and b"123456789012" not in body and b"store_error" not in body
                and b"AccessDenied" not in body, f"the unauthenticated body says nothing of why: {body!r}")
    emu.clear_faults()
    st, body = get("/healthz")
    h.check(st == 200, f"and ok again: {st} {body!r}")
finally:
    d.send_signal(signal.SIGTERM)
    try:
        d.wait(timeout=10)
    except subprocess.TimeoutExpired:
        d.kill()
    time.sleep(0.2)
    emu.stop()
why = [ln for ln in lines if "/healthz failing" in ln]
h.check(len(why) == 1 and "secret-role" in why[0] and '"level":"error"' in why[0],
        f"the log says why, once for five failing probes: {why}")
h.check(any("/healthz: store ok again" in ln for ln in lines), f"and when it is over: {lines[-3:]}")
h.finish("dashboard-health-table")
