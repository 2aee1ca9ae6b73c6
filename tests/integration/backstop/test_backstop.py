#!/usr/bin/env python3
"""The kernel backstop, end to end, inside tests/netns-run.

Every metadata address lives on this namespace's loopback, with a honeypot
answering port 80 everywhere.  As the app's uid (setpriv), curl and a plain
Python socket to each metadata address (IPv4, IPv6, IPv4-mapped) must be
refused at once, must never reach the honeypot, and must each become an
attempt naming the uid and the executable; metadata attempts open an
incident.  The app still reaches a TEST-NET host, the service's uid still
fetches the metadata address, installing twice is harmless, and after
`remove` no rule remains.
"""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SG = os.environ["SSRFGUARD"]
APP, SERVICE = 4242, 4343
PY = "/usr/bin/python3"
METADATA = ["169.254.169.254", "169.254.170.2", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23"]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


def as_uid(uid, *args):
    return sh("setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *args)


class Honeypot:
    """Answers 200 on port 80 of every address; counts who got through."""

    def __init__(self):
        self.hits = []
        self.socks = []
        for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, 80))
            s.listen(64)
            self.socks.append(s)
            threading.Thread(target=self.serve, args=(s,), daemon=True).start()

    def serve(self, s):
        while True:
            c, peer = s.accept()
            self.hits.append(c.getsockname()[0])
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nhoneypot")
            c.close()


def setup_addresses():
    for a in METADATA:
        if ":" in a:
            sh("ip", "-6", "addr", "add", a + "/128", "dev", "lo", "nodad")
        else:
            sh("ip", "addr", "add", a + "/32", "dev", "lo")


def url(a):
    return f"http://[{a}]/" if ":" in a else f"http://{a}/"


def main():
    setup_addresses()
    pot = Honeypot()
    tmp = tempfile.mkdtemp(prefix="sg-backstop-")
    os.chmod(tmp, 0o755)
    store = os.path.join(tmp, "incidents.db")
    conf = os.path.join(tmp, "ssrfguard.conf")
    with open(conf, "w") as f:
        f.write(f"store = {store}\nimds = off\ninstance_id = i-0123456789abcdef0\n"
                f"region = eu-west-1\nbackstop_user = {APP}\nbackstop_service_user = {SERVICE}\n")

    r = sh(SG, "backstop", "status", "--config", conf)
    check(r.returncode == 1 and "not installed" in r.stdout, "status before install says not installed")

    watch = subprocess.Popen([SG, "backstop", "watch", "--config", conf],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = watch.stderr.readline()
    check("watching NFLOG group 5150" in line, "watch started: " + line.strip())

    for n in (1, 2):
        r = sh(SG, "backstop", "install", "--config", conf)
        check(r.returncode == 0 and "installed table inet ssrfguard_backstop" in r.stdout,
              f"install #{n}: {r.stdout.strip()} {r.stderr.strip()}")
    r = sh("nft", "list", "tables")
    check(r.stdout.count("ssrfguard_backstop") == 1, "installing twice leaves one table")

    targets = METADATA + ["::ffff:169.254.169.254"]
    for a in targets:
        t0 = time.monotonic()
        r = as_uid(APP, "curl", "-sS", "-m", "5", "-o", "/dev/null", url(a))
        took = time.monotonic() - t0
        check(r.returncode != 0 and took < 0.9, f"app curl {a} refused in {took:.3f}s ({r.stderr.strip()})")

    probe = ("import socket,sys,time\n"
             "for a in sys.argv[1:]:\n"
             "  t=time.monotonic()\n"
             "  try:\n"
             "    socket.create_connection((a,80),timeout=5).close(); print(a,'CONNECTED')\n"
             "  except OSError as e: print(a,'refused',e.errno,round(time.monotonic()-t,3))\n")
    r = as_uid(APP, PY, "-c", probe, *targets)
    for a in targets:
        ok = any(l.startswith(a + " refused") and float(l.split()[-1]) < 0.9 for l in r.stdout.splitlines())
        check(ok, f"app python socket {a} refused at once")

    check(not pot.hits, f"nothing reached the honeypot from the app (hits: {pot.hits})")

    r = as_uid(APP, "curl", "-sS", "-m", "5", "http://203.0.113.10/")
    check(r.returncode == 0 and r.stdout == "honeypot", "app still reaches TEST-NET 203.0.113.10")
    r = as_uid(SERVICE, "curl", "-sS", "-m", "5", "http://169.254.169.254/")
    check(r.returncode == 0 and r.stdout == "honeypot", "service uid still fetches 169.254.169.254")

    r = sh(SG, "backstop", "status", "--config", conf)
    refused = [l for l in r.stdout.splitlines() if "packets refused so far" in l]
    check(r.returncode == 0 and refused and int(refused[0].split(";")[1].split()[0]) >= 2 * len(targets),
          "status shows the counters: " + (refused[0] if refused else r.stdout[-300:]))
    check("a reader records refusals" in r.stdout, "status sees the reader")

    time.sleep(0.5)
    watch.send_signal(2)
    out, err = watch.communicate(timeout=10)
    check(watch.returncode == 0, "watch stopped cleanly: " + err.strip().splitlines()[-1])

    db = sqlite3.connect(store)
    rows = db.execute("SELECT dest, category, rule, headers, client FROM attempts").fetchall()
    attempts = [(d, c, ru, json.loads(h), cl) for d, c, ru, h, cl in rows]
    for a in METADATA:
        dest = f"[{a}]:80" if ":" in a else f"{a}:80"
        for exe in ("curl", "python3"):
            hit = [x for x in attempts if x[0] == dest and x[3]["uid"] == APP
                   and os.path.basename(x[3]["exe"]).startswith(exe) and x[1] == "metadata"]
            check(bool(hit), f"attempt recorded: {exe} -> {dest} with uid {APP} and its executable")
    check(all(x[4] == f"local:uid={APP}" for x in attempts), "attempts name the app's uid as source")
    check(any("curl" in x[3]["cmdline"] and "169.254.169.254" in x[3]["cmdline"] for x in attempts),
          "the command line is recorded")
    inc = db.execute("SELECT state, source, attempts FROM incidents").fetchall()
    check(len(inc) == 1 and inc[0][0] == "open" and inc[0][1] == f"local:uid={APP}",
          f"metadata attempts opened one incident asking for containment: {inc}")

    r = sh(SG, "backstop", "remove")
    check(r.returncode == 0 and "removed" in r.stdout, "remove")
    r = sh("nft", "list", "ruleset")
    check(r.stdout.strip() == "", "no rule remains after remove: " + repr(r.stdout[:200]))
    r = as_uid(APP, "curl", "-sS", "-m", "5", "http://169.254.169.254/")
    check(r.returncode == 0 and r.stdout == "honeypot", "after remove the app reaches the local honeypot again")
    r = sh(SG, "backstop", "remove")
    check(r.returncode == 0 and "nothing to remove" in r.stdout, "remove twice is harmless")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
