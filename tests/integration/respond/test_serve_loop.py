#!/usr/bin/python3
"""The whole loop, no human: an SSRF attempt on `serve` (embedded responder)
is answered 403, recorded, and the playbook runs on the emulator; the
emulator's state is then checked field by field.  With --dynamodb serve and
its responder keep the incident in a DynamoDB state table (--state-table).

usage: test_serve_loop.py SSRFGUARD [--dynamodb]"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
ENGINE = ("--state-table", "ssrfguard-state") if "--dynamodb" in sys.argv else ()
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-serve-")
srv = None
try:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    conf = os.path.join(work, "respond.conf")
    with open(conf, "w") as f:
        # the embedded responder reads the [respond] section of serve's file
        f.write(f"[respond]\nforensic-instance = {h.FORENSIC}\nreport-dir = {work}/reports\n"
                f"quarantine-profile = {h.QUARANTINE_PROFILE}\n"
                "poll-ms = 50\nstep-backoff-ms = 50\ncapture-timeout = 5\nparallel = 2\n"
                "forensics-wait = 0\n")
    env = emu.env()
    store = os.path.join(work, "incidents.db")
    srv = subprocess.Popen([binary, "serve", "--config", conf, "--listen", f"127.0.0.1:{port}", "--store", store,
                            "--instance-id", h.VICTIM, "--region", "us-east-1", "--az", "us-east-1a",
                            "--no-imds", "--respond", "--log", os.path.join(work, "serve.log"), *ENGINE],
                           env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "err.log"), "w"))
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    t0 = time.time()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/go?url=http://169.254.169.254/latest/meta-data/"
                               "iam/security-credentials/", timeout=5)
        code = 200
    except urllib.error.HTTPError as e:
        code = e.code
        body = e.read().decode()
    h.check(code == 403, f"attack answered {code}")
    deadline = time.time() + 60
    state = None
    while time.time() < deadline:
        out = subprocess.run([binary, "incidents", "--store", store, *ENGINE, "list", "--json"],
                             stdout=subprocess.PIPE,
                             text=True, env=env).stdout
        lst = json.loads(out) if out.strip() else []
        if lst and lst[0]["state"] in ("contained", "failed"):
            state = lst[0]
            break
        time.sleep(0.2)
    elapsed = time.time() - t0
    h.check(state and state["state"] == "contained",
            f"incident contained: {state} {open(os.path.join(work, 'err.log')).read()[-2000:]}")
    print(f"attack -> contained in {elapsed:.2f} s (emulator, fast timings)")
    if state:
        inc = f"INC-{state['id']}"
        h.verify_contained(emu.state(), inc, label="serve loop ")
        h.report_ok(work, inc)
finally:
    if srv:
        h.end(srv, 20)
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
if ENGINE:
    h.check(not os.path.exists(store), "nothing written to the SQLite file with --state-table")
h.finish("respond-serve-loop" + ("-dynamodb" if ENGINE else ""))
