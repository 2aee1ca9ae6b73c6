#!/usr/bin/python3
"""The off-box split: a detector store delivers its open incidents over
HTTPS to `respond --listen`, signed with its own key (derived from the
responder's master key for its instance: `respond --derive-key`); the
responder contains the instance.  A detector holding a valid key for one
instance that names another is refused (403), as is a delivery naming no
sender; `--listen-keys shared` (one key, no sender check) is explicit and
says so at start.  Undelivered incidents are retried until the
responder is up.  Bad signatures, replays and stale timestamps are refused
(checked with Python's own HMAC: an independent implementation), and the
listener's GET /healthz counts each refusal under its reason.  During a key
rotation (--previous-key-file) a host's key from the old master and from
the new one are both taken, the old one logged and counted apart.

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
    key = os.path.join(work, "key")  # the responder's master key
    with open(key, "w") as f:
        f.write(secrets.token_hex(32))
    dkey = os.path.join(work, "detector.key")  # the web host's own key
    with open(dkey, "w") as f:
        r = subprocess.run([binary, "respond", "--key-file", key, "--derive-key", h.VICTIM], stdout=f,
                           stderr=subprocess.PIPE, text=True)
    h.check(r.returncode == 0, f"--derive-key: {r.returncode} {r.stderr}")
    r = subprocess.run([binary, "respond", "--key-file", key, "--derive-key", "i-../x"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h.check(r.returncode == 2 and not r.stdout and "not an instance id" in r.stderr,
            f"--derive-key of a malformed id: {r.returncode} {r.stdout!r} {r.stderr}")
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
    det = subprocess.Popen([binary, "respond", "--store", dstore, "--deliver-to", url, "--key-file", dkey,
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

    # signatures and derived keys, checked by an independent HMAC and HKDF (RFC 5869)
    other = "i-0a1b2c3d4e5f60002"
    ctx = ssl.create_default_context(cafile=cert)

    def body_for(instance, incident=9):
        return json.dumps({"detector": "t", "incident": incident, "instance_id": instance}).encode()

    body = body_for(h.VICTIM)

    def post(ts, nonce, sig, data=body, sender=h.VICTIM, to=url):
        hdrs = {"X-Ssrfguard-Timestamp": ts, "X-Ssrfguard-Nonce": nonce, "X-Ssrfguard-Signature": sig,
                "Content-Type": "application/json"}
        if sender is not None:
            hdrs["X-Ssrfguard-Sender"] = sender
        req = urllib.request.Request(to, data=data, method="POST", headers=hdrs)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    master = open(key, "rb").read().strip()

    def derived(sender):
        prk = hmac.new(b"ssrfguard-detector-key-v1", master, hashlib.sha256).digest()
        return hmac.new(prk, sender.encode() + b"\x01", hashlib.sha256).hexdigest().encode()

    h.check(open(dkey, "rb").read().strip() == derived(h.VICTIM), "--derive-key is HKDF-SHA256 of the master")
    k = derived(h.VICTIM)

    def sign(ts, nonce, data=body, k=k):
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
    code, text = post(ts, nonce, good, sender=None)
    h.check(code == 401 and "X-Ssrfguard-Sender" in text, f"no sender refused: {code} {text}")
    code, text = post(ts, nonce, good, sender=other)
    h.check(code == 401, f"a key used under another sender's name refused: {code} {text}")
    code, text = post(ts, nonce, sign(ts, nonce, k=master))
    h.check(code == 401, f"the master key itself is no detector's key: {code} {text}")
    code, text = post(ts, nonce, good)
    h.check(code == 200 and '"incident"' in text, f"good signature accepted: {code} {text}")
    code, text = post(ts, nonce, good)
    h.check(code == 401 and "replay" in text, f"replay refused: {code} {text}")
    n2 = secrets.token_hex(16)
    code, text = post(ts, n2, sign(ts, n2, b"{not json"), b"{not json")
    h.check(code == 400, f"malformed body refused: {code} {text}")

    # the compromised web host: a valid key, naming another instance
    n_before = len(incidents(rstore))
    evil = body_for(other, 10)
    n3 = secrets.token_hex(16)
    code, text = post(ts, n3, sign(ts, n3, evil), evil)
    h.check(code == 403 and "its own instance" in text, f"another instance refused: {code} {text}")
    time.sleep(0.3)
    lst = incidents(rstore)
    h.check(len(lst) == n_before and all(i["instance"] != other for i in lst),
            f"nothing recorded for {other}: {lst}")
    log = open(os.path.join(work, "rsp.log")).read()
    h.check(f"refused for its sender (1 so far): it names instance {other}" in log and
            f"delivery from {h.VICTIM}" in log, f"the refusal is logged with its sender: {log[-800:]}")
    h.check(rsp.poll() is None, "the responder still runs")

    # GET /healthz counts what the listener took and refused, by reason
    def healthz(to=url):
        try:
            with urllib.request.urlopen(to.replace("/v1/incidents", "/healthz"), context=ctx, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, {}
    code, hz = healthz()
    h.check(code == 200 and hz.get("status") == "ok" and hz.get("keys") == "derived"
            and hz.get("accepted") == 2,
            f"/healthz: the detector's delivery and the good one taken: {code} {hz}")
    h.check(hz.get("refused") == {"no_sender": 1, "bad_signature": 4, "stale": 1, "replayed": 1,
                                  "malformed": 1, "other_instance": 1, "busy": 0},
            f"/healthz: each refusal counted under its reason: {hz.get('refused')}")

    # --listen-keys shared: explicit, said at start, the sender unchecked
    port2 = free_port()
    url2 = f"https://127.0.0.1:{port2}/v1/incidents"
    shared = subprocess.Popen([binary, "respond", "--store", os.path.join(work, "shared.db"), "--listen",
                               f"127.0.0.1:{port2}", "--listen-keys", "shared", "--key-file", key,
                               "--tls-cert", cert, "--tls-key", tkey, "--owner", "shared", "--observe",
                               "--poll-ms", "50", "-q"], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(work, "shared.log"), "w"))
    procs.append(shared)
    deadline = time.time() + 20
    while time.time() < deadline and "listening on" not in open(os.path.join(work, "shared.log")).read():
        time.sleep(0.1)
    slog = open(os.path.join(work, "shared.log")).read()
    h.check("sender of a delivery is not checked" in slog, f"shared mode warns at start: {slog[-600:]}")
    n4 = secrets.token_hex(16)
    code, text = post(ts, n4, sign(ts, n4, evil, k=master), evil, sender=None, to=url2)
    h.check(code == 200, f"shared mode takes the shared key's delivery: {code} {text}")

    # a key rotation: the new master in --key-file, the old one in
    # --previous-key-file; hosts still on their old key are taken (logged,
    # counted), hosts on their new key too, any other key is not
    new_master = os.path.join(work, "master.new")
    with open(new_master, "w") as f:
        f.write(secrets.token_hex(32))
    bad = subprocess.run([binary, "respond", "--store", os.path.join(work, "x.db"), "--listen", "127.0.0.1:1",
                          "--key-file", key, "--previous-key-file", key, "--tls-cert", cert, "--tls-key", tkey],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=30)
    h.check(bad.returncode == 2 and "same key as --key-file" in bad.stderr,
            f"a previous key equal to the key is refused: {bad.returncode} {bad.stderr[-300:]}")
    bad = subprocess.run([binary, "respond", "--store", os.path.join(work, "x.db"), "--key-file", key,
                          "--previous-key-file", key, "--deliver-to", url], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, timeout=30)
    h.check(bad.returncode == 2 and "--previous-key-file belongs to --listen" in bad.stderr,
            f"--previous-key-file without --listen: {bad.returncode} {bad.stderr[-300:]}")
    port3 = free_port()
    url3 = f"https://127.0.0.1:{port3}/v1/incidents"
    rot_log = os.path.join(work, "rotation.log")
    rot = subprocess.Popen([binary, "respond", "--store", os.path.join(work, "rotation.db"), "--listen",
                            f"127.0.0.1:{port3}", "--key-file", new_master, "--previous-key-file", key,
                            "--tls-cert", cert, "--tls-key", tkey, "--owner", "rotation", "--observe",
                            "--poll-ms", "50", "-q"], env=env, stdout=subprocess.DEVNULL, stderr=open(rot_log, "w"))
    procs.append(rot)
    deadline = time.time() + 20
    while time.time() < deadline and "listening on" not in open(rot_log).read():
        time.sleep(0.1)
    new_key = subprocess.run([binary, "respond", "--key-file", new_master, "--derive-key", h.VICTIM],
                             stdout=subprocess.PIPE, text=True).stdout.strip().encode()
    ts = str(int(time.time()))
    n5, n6, n7 = (secrets.token_hex(16) for _ in range(3))
    code, text = post(ts, n5, sign(ts, n5, k=k), to=url3)
    h.check(code == 200, f"a host still on its old key is taken during the rotation: {code} {text}")
    code, text = post(ts, n5, sign(ts, n5, k=k), to=url3)
    h.check(code == 401 and "replay" in text, f"... once (its nonce remembered): {code} {text}")
    code, text = post(ts, n6, sign(ts, n6, k=new_key), to=url3)
    h.check(code == 200, f"a host on its new key is taken: {code} {text}")
    code, text = post(ts, n7, sign(ts, n7, k=derived("i-0a1b2c3d4e5f60002")), to=url3)
    h.check(code == 401, f"a key of neither master is refused: {code} {text}")
    code, hz = healthz(url3)
    h.check(hz.get("previous_key") is True and hz.get("accepted") == 2 and hz.get("accepted_previous_key") == 1
            and hz.get("refused", {}).get("bad_signature") == 1 and hz.get("refused", {}).get("replayed") == 1,
            f"/healthz counts the old-key deliveries apart: {code} {hz}")
    rlog = open(rot_log).read()
    h.check(f"delivery from {h.VICTIM} (detector t, its incident 9) signed with the previous key (1 so far)"
            in rlog and "key rotation" in rlog, f"the old-key delivery is logged with its sender: {rlog[-800:]}")
    n8 = secrets.token_hex(16)
    code, text = post(ts, n8, sign(ts, n8, k=new_key), to=url)
    h.check(code == 401, f"a listener on the old master alone takes no key of the new one: {code} {text}")
finally:
    for p in procs:
        h.end(p, 10)
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-deliver")
