#!/usr/bin/python3
"""The webhook goes the one HTTP path (src/aws/http.h, AUDIT5 M5): an https
webhook whose certificate a private CA signed is reached with --ca-bundle
(the peer verified, as every AWS call is); without it the certificate is
refused, nothing is sent, and the responder says why.

usage: test_webhook_tls.py SSRFGUARD"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-webhook-")
atexit.register(shutil.rmtree, work, True)
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=hooks", "-addext",
                "subjectAltName=IP:127.0.0.1"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
hook = h.Webhook(cert, key)
hooks, url = hook.got, hook.url


def fresh():
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    hooks.clear()
    return tempfile.mkdtemp(prefix="run-", dir=work)


try:
    w = fresh()
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--webhook", url, "--ca-bundle", cert)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"contained: {p.stdout[-400:]} {p.stderr[-400:]}")
    ev = [x["event"] for x in hooks]
    h.check(ev[:1] == ["start"] and ev[-1:] == ["end"], f"the webhook on the test CA got start and end: {ev}")
    h.check("webhook" not in p.stderr, f"no webhook error: {p.stderr[-400:]}")

    w = fresh()
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--webhook", url)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"contained without it: {p.stdout[-400:]}")
    h.check(hooks == [], f"an unverified webhook gets nothing: {hooks}")
    h.check("INC-1: webhook (start):" in p.stderr and "SSL" in p.stderr,
            f"the responder says why the webhook was not reached: {p.stderr[-600:]}")
finally:
    hook.stop()
    emu.stop()
h.finish("respond-webhook-tls")
