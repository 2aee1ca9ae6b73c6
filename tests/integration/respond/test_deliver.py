#!/usr/bin/python3
"""The off-box split: a detector store delivers its open incidents over
HTTPS to `respond --listen`, signed with a shared key; the responder
contains the instance.  Undelivered incidents are retried until the
responder is up.  Bad signatures, replays and stale timestamps are refused
(checked with Python's own HMAC: an independent implementation).

usage: test_deliver.py SSRFGUARD"""
import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-deliver-")
procs = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def incidents(store):
    out = subprocess.run([binary, "incidents", "--store", store, "list", "--json"], stdout=subprocess.PIPE,
                         text=True, env=emu.env()).stdout
    return json.loads(out) if out.strip() else []


try:
    key = os.path.join(work, "key")
    with open(key, "w") as f:
        f.write(secrets.token_hex(32))
    cert, tkey = os.path.join(work, "cert.pem"), os.path.join(work, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", tkey, "-out", cert, "-days", "2", "-subj", "/CN=responder",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    port = free_port()
    url = f"https://127.0.0.1:{port}/v1/incidents"
    dstore, rstore = os.path.join(work, "detector.db"), os.path.join(work, "responder.db")

    # the detector has an open incident before the responder exists
    out = subprocess.run([binary, "incidents", "--store", dstore, "open", h.VICTIM, "--reason", "test"],
                         stdout=subprocess.PIPE, text=True, env=emu.env())
    h.check(out.stdout.strip() == "INC-1", f"incidents open: {out.stdout}")
    det = subprocess.Popen([binary, "respond", "--store", dstore, "--deliver-to", url, "--key-file", key,
                            "--ca-bundle", cert, "--detector", "web-1", "--poll-ms", "100"],
                           stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "det.log"), "w"),
                           env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")})
    procs.append(det)
    time.sleep(1.0)
    log = open(os.path.join(work, "det.log")).read()
    h.check("retry" in log, f"detector retries while the responder is down: {log[-500:]}")

    env = emu.env()
    rsp = subprocess.Popen([binary, "respond", "--store", rstore, "--listen", f"127.0.0.1:{port}",
                            "--key-file", key, "--tls-cert", cert, "--tls-key", tkey, "--owner", "rsp",
                            "--forensic-instance", h.FORENSIC, "--forensics-wait", "0", "--poll-ms", "50", "--step-backoff-ms", "50",
                            "--quarantine-profile", h.QUARANTINE_PROFILE,
                            "--capture-timeout", "5", "--report-dir", os.path.join(work, "reports"), "-q"],
                           env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "rsp.log"), "w"))
    procs.append(rsp)
    deadline = time.time() + 60
    state = None
    while time.time() < deadline:
        lst = incidents(rstore) if os.path.exists(rstore) else []
        if lst and lst[0]["state"] in ("contained", "failed"):
            state = lst[0]
            break
        time.sleep(0.3)
    h.check(state is not None and state["state"] == "contained",
            f"responder contained the delivered incident: {state} {open(os.path.join(work, 'rsp.log')).read()[-1500:]}")
    if state:
        h.check(state["instance"] == h.VICTIM and state["source"] == "detector:web-1/1", f"recorded as {state}")
    h.verify_contained(emu.state(), "INC-1", label="delivered ")
    # the detector journaled the acknowledgement and does not send again
    show = subprocess.run([binary, "incidents", "--store", dstore, "show", "1", "--json"],
                          stdout=subprocess.PIPE, text=True, env=env).stdout
    n_before = len(incidents(rstore))
    time.sleep(0.6)
    h.check(len(incidents(rstore)) == n_before == 1, "delivered once")

    # signatures, checked by an independent HMAC
    body = json.dumps({"detector": "t", "incident": 9, "instance_id": "i-0a1b2c3d4e5f60002"}).encode()
    ctx = ssl.create_default_context(cafile=cert)

    def post(ts, nonce, sig, data=body):
        req = urllib.request.Request(url, data=data, method="POST", headers={
            "X-Ssrfguard-Timestamp": ts, "X-Ssrfguard-Nonce": nonce, "X-Ssrfguard-Signature": sig,
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    k = open(key, "rb").read().strip()

    def sign(ts, nonce, data=body):
        return hmac.new(k, b"ssrfguard-v1\n" + ts.encode() + b"\n" + nonce.encode() + b"\n" + data,
                        hashlib.sha256).hexdigest()

    ts, nonce = str(int(time.time())), secrets.token_hex(16)
    good = sign(ts, nonce)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    code, _ = post(ts, nonce, bad)
    h.check(code == 401, f"one changed hex digit refused: {code}")
    code, _ = post(ts, nonce, good, body + b" ")
    h.check(code == 401, f"changed body refused: {code}")
    old = str(int(time.time()) - 3600)
    code, _ = post(old, nonce, sign(old, nonce))
    h.check(code == 401, f"stale timestamp refused: {code}")
    code, text = post(ts, nonce, good)
    h.check(code == 200 and '"incident"' in text, f"good signature accepted: {code} {text}")
    code, text = post(ts, nonce, good)
    h.check(code == 401 and "replay" in text, f"replay refused: {code} {text}")
    n2 = secrets.token_hex(16)
    code, text = post(ts, n2, sign(ts, n2, b"{not json"), b"{not json")
    h.check(code == 400, f"malformed body refused: {code} {text}")
finally:
    for p in procs:
        h.end(p, 10)
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-deliver")
