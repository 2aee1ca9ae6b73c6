#!/usr/bin/env python3
"""The dashboard's health and its log, as a supervisor and on call see them.

- GET (and HEAD) /healthz answers without the token: 200 {"status":"ok",
  "version","store":"ok","release":"read-only"} with the security headers
  and nothing of any incident; on a store that cannot be read (its pages
  past the first overwritten: it opens, its reads fail) it is 503
  "failing" with no error text (the log says why), and the page's API
  says 503 too;
- libevent's own messages are log lines like every other: its complaint
  about a listen address it cannot resolve is a JSON line
  {"level":"warning","event":"libevent"}, and no line on stderr is plain
  text;
- out of descriptors (RLIMIT_NOFILE) and flooded with connections, it
  pauses accepting and says so once ({"event":"accept_paused"}, a line
  per 10 s at most, as serve's) instead of
  libevent's retry-and-warn loop (60,000 lines in a second and a spinning
  core), and answers again once descriptors are free.

usage: test_health.py SSRFGUARD SEED   (under tests/netns-run)"""
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN, SEED = sys.argv[1], sys.argv[2]
TOKEN = "t0ken-for-the-health-test-0123456789abc"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


tmp = tempfile.mkdtemp(prefix="dashboard-health-")
store = os.path.join(tmp, "incidents.db")
tokfile = os.path.join(tmp, "token")
with open(tokfile, "w") as f:
    f.write(TOKEN + "\n")
os.chmod(tokfile, 0o600)
check(subprocess.run([SEED, store]).returncode == 0, "seeding incidents")
NOFILE = 48


def few_descriptors():
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def start(db):
    """The dashboard on db, its descriptors few; its stderr drained on a
    thread (a flood of lines must not stall it) into a list."""
    d = subprocess.Popen([BIN, "dashboard", "--listen", "127.0.0.1:0", "--store", db,
                          "--token-file", tokfile], stderr=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True, preexec_fn=few_descriptors)
    first = d.stderr.readline()
    out = []
    threading.Thread(target=lambda: out.extend(d.stderr), daemon=True).start()
    return d, int(json.loads(first)["message"].rsplit(":", 1)[1]), out


def stop(d, out):
    d.send_signal(signal.SIGTERM)
    try:
        rc = d.wait(timeout=10)
    except subprocess.TimeoutExpired:
        d.kill()
        rc = None
    time.sleep(0.2)
    return rc, out


def req(method, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


p, port, err = start(store)
try:
    # --- /healthz: no token, nothing of an incident --------------------------
    st, hd, body = req("GET", "/healthz")
    h = json.loads(body) if body.startswith(b"{") else {}
    check(st == 200 and h.get("status") == "ok" and h.get("store") == "ok" and
          h.get("release") == "read-only" and h.get("version"),
          f"/healthz without the token: 200 ok: {st} {body!r}")
    check("default-src 'none'" in hd.get("content-security-policy", "") and
          hd.get("content-type") == "application/json" and hd.get("cache-control") == "no-store",
          f"/healthz carries the security headers: {hd}")
    check(b"169.254" not in body and b"i-" not in body and b"INC" not in body,
          f"/healthz says nothing of an incident: {body!r}")
    st, _, body = req("HEAD", "/healthz")
    check(st == 200 and body == b"", f"HEAD /healthz: {st}")
    st, _, _ = req("POST", "/healthz")
    check(st == 401, f"POST /healthz is not health (the token is asked): {st}")
    st, _, _ = req("GET", "/api/incidents")
    check(st == 401, f"the API still wants the token: {st}")

    # --- out of descriptors: one line a second, then it answers again -------
    held = []
    for _ in range(NOFILE + 8):   # more than the descriptors left: accept() fails
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    time.sleep(1.0)
    for s in held:
        s.close()
    time.sleep(0.5)
    st, _, _ = req("GET", "/healthz")
    check(st == 200, f"the dashboard answers again once descriptors are free: {st}")
finally:
    rc, lines = stop(p, err)
check(rc == 0, f"SIGTERM stops it cleanly: {rc}")
paused = [ln for ln in lines if '"event":"accept_paused"' in ln]
check(len(paused) == 1 and all('"level":"warning"' in ln and "Too many open files" in ln and
                                    "accepting paused" in ln for ln in paused),
      f"no descriptor left: said once (a line per 10 s at most), not in a loop: {len(paused)} lines, "
      f"{len(lines)} in all: {lines[:3]}")

# --- a store that cannot be read: 503 failing, and why ----------------------
with open(store, "r+b") as f:
    f.seek(4096)
    f.write(b"\xa5" * (os.path.getsize(store) - 4096))
p, port, err = start(store)
try:
    st, _, body = req("GET", "/healthz")
    h = json.loads(body) if body.startswith(b"{") else {}
    check(st == 503 and h.get("status") == "failing" and h.get("store") == "failing" and
          "store_error" not in h and store.encode() not in body,
          f"an unreadable store: /healthz 503 failing, why only in the log: {st} {body!r}")
    st, _, _ = req("GET", "/api/incidents", {"Authorization": "Bearer " + TOKEN})
    check(st == 503, f"and the list says 503 too: {st}")
finally:
    stop(p, err)
check(any("/healthz failing: cannot read the store" in ln for ln in err),
      f"the log says why the store fails: {err[-3:]}")
lines += err

# --- libevent's own messages: JSON log lines -------------------------------
p = subprocess.run([BIN, "dashboard", "--listen", "nosuchhost.invalid:0", "--store", store,
                    "--token-file", tokfile], capture_output=True, text=True, timeout=30)
check(p.returncode == 2 and '"event":"start"' in p.stderr, f"an unresolvable address: exit 2: {p.stderr}")
lines += p.stderr.splitlines()

lines = [ln.rstrip("\n") for ln in lines]
parsed = []
for ln in lines:
    try:
        parsed.append(json.loads(ln))
    except ValueError:
        parsed.append(None)
plain = [ln for ln, o in zip(lines, parsed) if o is None]
check(not plain, f"every line on stderr is a JSON log line: {plain[:5]}")
lib = [o for o in parsed if o and o.get("event") == "libevent"]
check(lib and all(o.get("level") == "warning" and o.get("ts", "").endswith("Z") and
                  o.get("message", "").startswith("getaddrinfo: ") for o in lib),
      f"libevent's complaint about the address is a log line: {lines[-5:]}")
print("dashboard-health:", "FAILED %d" % len(failures) if failures else "ok")
sys.exit(1 if failures else 0)
