#!/usr/bin/env python3
"""Every line the long-running commands write is one JSON log line
(logging.h: ts in RFC 3339 UTC, level, event, then message fields):

- the responder daemon (progress on stdout, its messages and the AWS
  client's debug lines on stderr), on an incident it contains;
- the detector side (--deliver-to), retrying a responder that is down;
- the daemon's --listen: libevent's own messages too (its complaint about
  an address it cannot resolve); out of descriptors and flooded with
  connections it pauses accepting, said in one line ("accept_paused"), not
  libevent's retry-and-warn loop;
- a one-shot `respond --instance` without --json stays text for people.
"""
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

B = sys.argv[1]
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-logs-")
store = os.path.join(work, "inc.db")


def all_json(what, text, least=1):
    lines = text.splitlines()
    bad = [x for x in lines if not h.json_log_line(x)]
    h.check(not bad and len(lines) >= least,
            f"{what}: every line a JSON log line ({len(lines)} lines): {bad[:3]}")
    return [h.json_log_line(x) for x in lines if h.json_log_line(x)]


try:
    subprocess.run([B, "incidents", "--store", store, "open", h.VICTIM], check=True,
                   stdout=subprocess.DEVNULL, env=emu.env())
    p = h.respond(B, emu, work, "--once", extra_env={"SSRFGUARD_RESPOND_AWS_LOG": "1"})
    h.check(p.returncode == 0, f"the daemon contained INC-1: {p.stderr[-800:]}")
    out = all_json("daemon stdout", p.stdout, least=10)
    err = all_json("daemon stderr", p.stderr, least=10)
    h.check(any(x["event"] == "progress" and x.get("incident") == "INC-1"
                and "contained" in x.get("message", "") for x in out),
            f"progress names the incident: {out[-3:]}")
    h.check(any(x["event"] == "aws" and x["level"] == "debug" for x in err),
            f"the AWS client's lines join: {err[:2]}")

    key = os.path.join(work, "key")
    with open(key, "w") as f:
        f.write("k" * 40)
    os.chmod(key, 0o600)
    dstore = os.path.join(work, "detector.db")
    subprocess.run([B, "incidents", "--store", dstore, "open", h.VICTIM], check=True,
                   stdout=subprocess.DEVNULL)
    d = subprocess.run([B, "respond", "--store", dstore, "--deliver-to",
                        "https://127.0.0.1:9/v1/incidents", "--key-file", key, "--detector",
                        "web-1", "--once"], capture_output=True, text=True, timeout=60)
    lines = all_json("deliver", d.stdout + d.stderr)
    h.check(any(x["event"] == "deliver" and x["level"] == "warning" and "retry" in x["message"]
                for x in lines), f"the retry is a warning line: {lines}")

    cert, tkey = os.path.join(work, "cert.pem"), os.path.join(work, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", tkey, "-out", cert, "-days", "2", "-subj", "/CN=responder"],
                   check=True, capture_output=True)
    r = subprocess.run([B, "respond", "--store", store, "--listen", "nosuchhost.invalid:8443",
                        "--key-file", key, "--tls-cert", cert, "--tls-key", tkey, "--once"],
                       capture_output=True, text=True, timeout=60, env=emu.env())
    lines = all_json("daemon --listen", r.stderr)
    h.check(r.returncode == 2 and any(x["event"] == "libevent" and x["level"] == "warning" and
                                      x["message"].startswith("getaddrinfo: ") for x in lines),
            f"libevent's own warning is a log line: {r.returncode} {r.stderr}")

    port = h.free_port()
    few = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))  # noqa: E731
    d = subprocess.Popen([B, "respond", "--store", store, "--listen", f"127.0.0.1:{port}",
                          "--key-file", key, "--tls-cert", cert, "--tls-key", tkey, "--poll-ms", "200"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=emu.env(),
                         preexec_fn=few)
    lines = []
    threading.Thread(target=lambda: lines.extend(d.stderr), daemon=True).start()
    h.check(h.wait(lambda: any("listening on" in x for x in lines), 30), f"the daemon listens: {lines}")
    held = []
    try:
        for _ in range(80):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(1.5)
    finally:
        for c in held:
            c.close()
        d.terminate()
        d.wait(timeout=20)
    time.sleep(0.2)
    paused = [x for x in lines if '"event":"accept_paused"' in x]
    all_json("daemon --listen, out of descriptors", "".join(lines))
    h.check(len(paused) == 1 and "Too many open files" in paused[0] and len(lines) < 40,
            f"no descriptor left: one accept_paused line, no flood ({len(lines)} lines): {lines[:4]}")

    p = h.respond(B, emu, work, "--instance", h.VICTIM)
    h.check("INC-1 already contained" in p.stdout and not p.stdout.startswith("{"),
            f"a one-shot run speaks to people: {p.stdout[-300:]}")
finally:
    emu.stop()
h.finish("respond-logs")
