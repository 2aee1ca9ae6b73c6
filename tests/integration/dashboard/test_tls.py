#!/usr/bin/env python3
"""The dashboard over HTTPS with client certificates, driven by curl, against
the AWS emulator (for a release):

- setup errors: client CA without a TLS listener, CRL without CA, a broken
  certificate file, neither token nor client CA;
- with --client-ca (and its CRL) and no token: a certificate of the CA is
  served; none, a revoked one, one of another CA (same name) and plain HTTP
  are refused at the handshake, and each refused certificate is logged;
- a release from a certificate names its subject as the operator: in the
  log line and as the actor in the incident's timeline;
- with both a token and a client CA, each is required;
- the CRL replaced while the dashboard runs: a bad file (SIGHUP) keeps the
  one in force and says why in the log; a new CRL revoking carol is picked
  up when the file changes, and carol is refused without a restart.
"""
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h  # noqa: E402

B = sys.argv[1]
TOKEN = "tls-token-0123456789abcdef"
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="dash-tls-")
pki = os.path.join(work, "pki")
os.mkdir(pki)
store, tokfile = os.path.join(work, "inc.db"), os.path.join(work, "token")
with open(tokfile, "w") as f:
    f.write(TOKEN)
os.chmod(tokfile, 0o600)
P = lambda n: os.path.join(pki, n)  # noqa: E731
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def ossl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=pki)


def make_ca(name, subj):
    ossl("req", "-x509", *EC, "-days", "2", "-subj", subj, "-keyout", name + ".key",
         "-out", name + ".pem")


def issue(who, subj, ca="ca"):
    ossl("req", *EC, "-subj", subj, "-keyout", who + ".key", "-out", who + ".csr")
    ossl("x509", "-req", "-in", who + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
         "-CAcreateserial", "-days", "2", "-out", who + ".pem")


make_ca("ca", "/CN=ssrfguard operators CA")
make_ca("other", "/CN=ssrfguard operators CA")  # same name, another key
ossl("req", "-x509", *EC, "-days", "2", "-subj", "/CN=127.0.0.1",
     "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "srv.key", "-out", "srv.pem")
ALICE = "/O=ssrfguard ops/CN=alice <on call>"
issue("alice", ALICE)
issue("revoked", "/O=ssrfguard ops/CN=mallory")
issue("foreign", ALICE, ca="other")
with open(P("ca.cnf"), "w") as f:
    f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
            "default_md = sha256\ndefault_crl_days = 2\n")
open(P("index.txt"), "w").close()
with open(P("crlnumber"), "w") as f:
    f.write("01\n")
ossl("ca", "-config", "ca.cnf", "-revoke", "revoked.pem", "-keyfile", "ca.key", "-cert", "ca.pem")
ossl("ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem",
     "-out", "crl.pem")
TLS = ["--tls-cert", P("srv.pem"), "--tls-key", P("srv.key")]
CA = ["--client-ca", P("ca.pem"), "--client-crl", P("crl.pem")]
procs = []


def start(*extra):
    p = subprocess.Popen([B, "dashboard", "--listen", "127.0.0.1:0", "--store", store, *extra],
                         env=emu.env(), stderr=subprocess.PIPE, text=True)
    procs.append(p)
    return p, int(json.loads(p.stderr.readline())["message"].rsplit(":", 1)[1])


def log_events(path, event):
    """The lines of the log file at path with this event."""
    with open(path) as f:
        return [x for x in map(json.loads, filter(str.strip, f)) if x.get("event") == event]


def wait_log(path, event, count, timeout=10):
    """The count-th line with this event of the log at path, else {}."""
    end = time.time() + timeout
    while time.time() < end:
        lines = log_events(path, event)
        if len(lines) >= count:
            return lines[count - 1]
        time.sleep(0.1)
    return {}


def refused(what, rc_want, text, *args):
    r = subprocess.run([B, "dashboard", "--listen", "127.0.0.1:0", "--store", store, *args],
                       capture_output=True, text=True, timeout=20)
    h.check(r.returncode == rc_want and text in r.stderr,
            f"{what}: exit {r.returncode} (want {rc_want}), says {text!r}: {r.stderr}")


def curl(port, path, who=None, *args, scheme="https"):
    cmd = ["curl", "-sS", "--max-time", "20", "--cacert", P("srv.pem"), "-w", "\n%{http_code}"]
    if who:
        cmd += ["--cert", P(who + ".pem"), "--key", P(who + ".key")]
    r = subprocess.run([*cmd, *args, f"{scheme}://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True, timeout=30)
    body, _, code = r.stdout.rpartition("\n")
    return r.returncode, int(code or 0), body


CONTEXTS = {}


def tls_get(port, who, session=None):
    """GET /api/incidents over a TLS connection of its own (Python's ssl),
    resuming session when given: (reply, session, was it resumed)."""
    if who not in CONTEXTS:  # a session resumes only in the context that made it
        CONTEXTS[who] = ssl.create_default_context(cafile=P("srv.pem"))
        CONTEXTS[who].load_cert_chain(P(who + ".pem"), P(who + ".key"))
    ctx = CONTEXTS[who]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1", session=session) as t:
            t.sendall(b"GET /api/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Connection: close\r\n\r\n")
            data = b""
            while True:
                chunk = t.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data, t.session, t.session_reused


try:
    p = h.respond(B, emu, work, "--instance", h.VICTIM, "-q")
    h.check(p.returncode == 0, f"contained first: {p.stderr[-300:]}")

    refused("a client CA without TLS", 2, "--client-ca and --client-crl need --tls-cert", *CA)
    refused("a CRL without a CA", 2, "--client-crl needs --client-ca", *TLS,
            "--client-crl", P("crl.pem"), "--token-file", tokfile)
    refused("a broken certificate file", 2, "--tls-cert " + P("ca.key"), "--tls-cert",
            P("ca.key"), "--tls-key", P("srv.key"), *CA)
    refused("a key of another certificate", 2, "--tls-key", *TLS[:2], "--tls-key",
            P("ca.key"), *CA)
    refused("neither token nor CA", 2, "--token-file FILE or --client-ca FILE", *TLS)

    dash, port = start(*TLS, *CA, "--allow-release")
    rc, code, body = curl(port, "/api/incidents", "alice")
    h.check(rc == 0 and code == 200 and json.loads(body)[0]["instance"] == h.VICTIM,
            f"alice's certificate: the list: {rc} {code} {body[:200]}")
    for who, what in [(None, "no certificate"), ("revoked", "a revoked certificate"),
                      ("foreign", "a certificate of another CA with the same names")]:
        rc, code, body = curl(port, "/api/incidents", who)
        h.check(rc != 0 and code == 0 and h.VICTIM not in body, f"{what}: refused: {rc} {code}")
    # a second connection resumes the verified session (browsers do): served
    first, session, _ = tls_get(port, "alice")
    try:
        again, _, reused = tls_get(port, "alice", session)
    except ssl.SSLError as e:  # what a server without a session id context does
        again, reused = repr(e).encode(), False
    h.check(first.startswith(b"HTTP/1.1 200") and again.startswith(b"HTTP/1.1 200") and reused,
            f"a resumed TLS session is served: {again[:40]!r} reused={reused}")
    rc, code, body = curl(port, "/api/incidents", scheme="http")
    h.check(code != 200 and h.VICTIM not in body, f"plain HTTP: refused: {rc} {code}")
    rc, code, body = curl(port, "/login", "alice", "-d", "token=" + TOKEN)
    h.check(code in (404, 405), f"no sign-in form without a token: {code}")

    rc, code, body = curl(port, "/api/session", "alice")
    csrf = json.loads(body).get("csrf", "") if code == 200 else ""
    confirm = json.dumps({"confirm": "INC-1"})
    rc, code, body = curl(port, "/api/incidents/1/release", "alice", "-X", "POST",
                          "-H", "X-CSRF-Token: " + csrf, "-H", "Content-Type: application/json",
                          "-H", f"Origin: http://127.0.0.1:{port}", "-d", confirm)
    h.check(code == 403, f"an http:// origin is another origin over TLS: {code}")
    rc, code, body = curl(port, "/api/incidents/1/release", "alice", "-X", "POST",
                          "-H", "X-CSRF-Token: " + csrf, "-H", "Content-Type: application/json",
                          "-H", f"Origin: https://127.0.0.1:{port}", "-d", confirm)
    h.check(code == 200 and json.loads(body).get("released") is True,
            f"alice releases INC-1: {code} {body}")
    want_actor = "operator:CN=alice \\<on call\\>,O=ssrfguard ops"
    rc, code, body = curl(port, "/api/incidents/1", "alice")
    hist = json.loads(body).get("history", []) if code == 200 else []
    h.check(any(x["to"] == "released" and x["actor"] == want_actor for x in hist),
            f"the timeline names the certificate's subject: {[x['actor'] for x in hist]}")

    show = subprocess.run([B, "incidents", "show", "1", "--store", store], capture_output=True,
                          text=True)
    changes = show.stdout.split("## State changes", 1)[-1]
    h.check("| operator:CN=alice \\\\&lt;on call\\\\&gt;,O=ssrfguard ops |" in changes,
            f"incidents show names alice as who released: {changes[-600:]}")

    dash.terminate()
    h.check(dash.wait(timeout=10) == 0, "the dashboard stops cleanly")
    log = [json.loads(x) for x in dash.stderr.read().splitlines() if x.strip()]
    rel = [x for x in log if x.get("event") == "release"]
    h.check(rel and all(x.get("operator") == want_actor and x.get("incident") == "INC-1"
                        for x in rel),
            f"the release is logged with the operator: {rel}")
    tls = " ".join(x["message"] for x in log if x.get("event") == "tls")
    h.check("certificate revoked" in tls and "mallory" in tls,
            f"the revoked certificate is logged: {tls}")
    h.check("unable to get local issuer certificate" in tls or "signature failure" in tls,
            f"the foreign certificate is logged: {tls}")
    procs.remove(dash)

    both, port = start(*TLS, *CA, "--token-file", tokfile)
    rc, code, _ = curl(port, "/api/incidents", "alice")
    h.check(code == 401, f"both: a certificate without the token: {code}")
    rc, code, _ = curl(port, "/api/incidents", "alice", "-H", "Authorization: Bearer " + TOKEN)
    h.check(code == 200, f"both: certificate and token: {code}")
    rc, code, _ = curl(port, "/api/incidents", None, "-H", "Authorization: Bearer " + TOKEN)
    h.check(rc != 0 and code == 0, f"both: the token without a certificate: {rc} {code}")
    tls_only, port2 = start(*TLS, "--token-file", tokfile)
    rc, code, out = curl(port2, "/login", None, "-d", "token=" + TOKEN, "-D", "/dev/stdout")
    h.check(code == 303 and "; Secure" in out, f"over TLS the cookie is Secure: {code} {out}")
    rc, code, _ = curl(port2, "/api/incidents", None, "-H", "Authorization: Bearer " + TOKEN)
    h.check(code == 200, f"HTTPS with a token alone: {code}")

    # the CRL read again without a restart
    issue("carol", "/O=ssrfguard ops/CN=carol")
    live_crl = P("live.crl")
    ossl("ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem",
         "-out", live_crl)
    live_log = os.path.join(work, "live.log")
    live = subprocess.Popen([B, "dashboard", "--listen", "127.0.0.1:0", "--store", store, *TLS,
                             "--client-ca", P("ca.pem"), "--client-crl", live_crl],
                            stderr=open(live_log, "w"))
    port = int(wait_log(live_log, "listening", 1).get("message", ":0").rsplit(":", 1)[1])
    rc, code, _ = curl(port, "/api/incidents", "carol")
    h.check(code == 200, f"carol is served before her revocation: {rc} {code}")
    first, carol_session, _ = tls_get(port, "carol")
    h.check(first.startswith(b"HTTP/1.1 200"), f"carol over a session to resume: {first[:40]!r}")
    with open(live_crl, "w") as f:
        f.write("-----BEGIN X509 CRL-----\nnot a CRL\n-----END X509 CRL-----\n")
    live.send_signal(signal.SIGHUP)
    reload_line = wait_log(live_log, "tls_reload", 1)
    h.check(reload_line.get("level") == "error"
            and "--client-crl " + live_crl in reload_line.get("message", "")
            and "stay in force" in reload_line.get("message", ""),
            f"a bad CRL on SIGHUP: logged, the one in force kept: {reload_line}")
    rc, code, _ = curl(port, "/api/incidents", "carol")
    rc2, code2, _ = curl(port, "/api/incidents", "revoked")
    h.check(code == 200 and code2 == 0, f"the old CRL still in force: carol {code}, "
            f"mallory {rc2} {code2}")
    ossl("ca", "-config", "ca.cnf", "-revoke", "carol.pem", "-keyfile", "ca.key", "-cert", "ca.pem")
    ossl("ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem",
         "-out", P("live.new"))
    os.replace(P("live.new"), live_crl)
    end = time.time() + 15
    while time.time() < end:
        rc, code, _ = curl(port, "/api/incidents", "carol")
        if code == 0:
            break
        time.sleep(0.3)
    h.check(rc != 0 and code == 0, f"carol, revoked by the new CRL, refused: {rc} {code}")
    try:  # nor may she resume the session of before: the new context has its own keys
        again, _, reused = tls_get(port, "carol", carol_session)
    except (ssl.SSLError, OSError) as e:
        again, reused = repr(e).encode(), False
    h.check(not reused and not again.startswith(b"HTTP/1.1 200"),
            f"carol cannot resume her session after the reload: {again[:80]!r} reused={reused}")
    reload_line = wait_log(live_log, "tls_reload", 2)
    h.check(reload_line.get("level") == "info"
            and reload_line.get("message", "").startswith("file_changed"),
            f"the new CRL read when the file changed: {reload_line}")
    rc, code, _ = curl(port, "/api/incidents", "alice")
    h.check(code == 200 and live.poll() is None,
            f"alice still served, by the same process: {code}")
    live.terminate()
    h.check(live.wait(timeout=10) == 0, "the dashboard stops cleanly after the reloads")
finally:
    for p in procs:
        p.terminate()
        rc = p.wait(timeout=10)
        h.check(rc == 0, f"the dashboard stops cleanly: {rc}: {p.stderr.read()[-2000:]}")
    emu.stop()
h.finish("dashboard-tls")
