#!/usr/bin/env python3
"""Every line the long-running commands write is one JSON log line
(logging.h: ts in RFC 3339 UTC, level, event, then message fields):

- the responder daemon (progress on stdout, its messages and the AWS
  client's debug lines on stderr), on an incident it contains;
- the detector side (--deliver-to), retrying a responder that is down;
- the daemon's --listen: libevent's own messages too (its complaint about
  an address it cannot resolve);
- a one-shot `respond --instance` without --json stays text for people.
"""
import os
import subprocess
import sys
import tempfile

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

    p = h.respond(B, emu, work, "--instance", h.VICTIM)
    h.check("INC-1 already contained" in p.stdout and not p.stdout.startswith("{"),
            f"a one-shot run speaks to people: {p.stdout[-300:]}")
finally:
    emu.stop()
h.finish("respond-logs")
