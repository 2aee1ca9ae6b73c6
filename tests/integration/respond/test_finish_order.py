#!/usr/bin/python3
"""The end notification follows the reports (AUDIT6 L2).

  - A report that cannot be written (INC-1-STORE.json is a directory, so
    the rename onto it fails) fails finish, and no "end" webhook says
    "playbook ended" of a run whose report is missing; the step's failure
    is notified instead; the incident is contained (it is) but list, show
    and show --json (the dashboard's report) say the finish failed and
    why, never "playbook complete", "in progress" or a report path.
  - With a writable report dir, when the "end" webhook arrives both
    reports already exist.

usage: test_finish_order.py SSRFGUARD"""
import atexit
import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-finish-")
atexit.register(shutil.rmtree, work, True)
got = []  # (event, text, the reports present when it arrived)


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        reports = os.path.join(work, "w", "reports")
        present = sorted(f for f in os.listdir(reports) if os.path.isfile(os.path.join(reports, f))) \
            if os.path.isdir(reports) else []
        got.append((body["event"], body.get("text"), present))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{srv.server_address[1]}/hook"


def run():
    shutil.rmtree(os.path.join(work, "w"), True)
    os.makedirs(os.path.join(work, "w"))
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    del got[:]


try:
    run()
    # the store first (a dry run makes it, and its identity), then its
    # INC-1's report name taken by a directory
    h.respond(binary, emu, os.path.join(work, "w"), "--preflight", "--instance", h.VICTIM)
    db = sqlite3.connect(os.path.join(work, "w", "inc.db"))
    [(sid,)] = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchall()
    db.close()
    os.makedirs(os.path.join(work, "w", "reports", f"INC-1-{sid}.json"))
    p = h.respond(binary, emu, os.path.join(work, "w"), "--instance", h.VICTIM, "--webhook", url,
                  "--step-attempts", "2")
    line = "\n".join(l for l in p.stdout.splitlines() if " finish " in l and "..." not in l)
    h.check(p.returncode != 0 and "failed" in line and "report not written" in line,
            f"finish failed on the report: {p.returncode} {line} {p.stderr[-300:]}")
    h.check(not [e for e in got if e[0] == "end"], f"no end notification without the report: {got}")
    h.check(any(e[0] == "failure" for e in got), f"the failure is notified: {got}")
    # every place that shows the outcome says the finish failed, none that
    # the playbook completed or that a report exists
    inc = [binary, "incidents", "--store", os.path.join(work, "w", "inc.db")]
    env = emu.env()
    lst = json.loads(subprocess.run(inc + ["list", "--json"], env=env, stdout=subprocess.PIPE,
                                    text=True).stdout)
    h.check(lst and lst[0]["state"] == "contained" and "finish step failed" in lst[0]["reason"]
            and "complete" not in lst[0]["reason"], f"list: contained, finish failed: {lst}")
    rep = json.loads(subprocess.run(inc + ["show", "1", "--json"], env=env, stdout=subprocess.PIPE,
                                    text=True).stdout)
    created = [c for st in rep["steps"] for c in (st.get("created") or {})]
    h.check(rep["outcome"] == "contained" and "report not written" in rep.get("outcome_why", "")
            and not [c for c in created if c.startswith("report")],
            f"show --json (the dashboard's report): {rep['outcome']} {rep.get('outcome_why')} {created}")
    md = subprocess.run(inc + ["show", "1"], env=env, stdout=subprocess.PIPE, text=True).stdout
    h.check("| Outcome | contained |" in md and "in progress" not in md and
            "| Why | finish failed: report not written" in md, f"show: {md[:600]}")

    run()
    p = h.respond(binary, emu, os.path.join(work, "w"), "--instance", h.VICTIM, "--webhook", url)
    ends = [e for e in got if e[0] == "end"]
    h.check(p.returncode == 0 and len(ends) == 1 and ends[0][1] == "playbook ended: contained",
            f"one end notification: {p.returncode} {got} {p.stderr[-300:]}")
    h.check(ends and [h.KEY_NAME.sub("INC-1-STORE", n) for n in ends[0][2]] == ["INC-1-STORE.json", "INC-1-STORE.md"],
            f"sent after both reports were written: {ends}")
finally:
    srv.shutdown()
    emu.stop()
h.finish("respond-finish-order")
