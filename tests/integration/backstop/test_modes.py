#!/usr/bin/env python3
"""The backstop's other modes, inside tests/netns-run, with `ssrfguard serve
--backstop on` as the reader:

  serve     serve records the kernel's refusals itself; a looping app is
            coalesced (one attempt per process and destination per window)
  policy    backstop_deny_policy: the policy's denied ranges are refused
            (private, loopback), its allow rules and serve's own listen
            address stay reachable
  proxy     backstop_egress = proxy: only serve's listen address and the
            listed resolver are reachable; everything else is refused and
            recorded as egress outside the proxy
"""
import json
import os
import socket
import sqlite3
import sys
import threading
import time
import urllib.request

from bsharness import (APP, SERVICE, SG, Honeypot, add_addresses, as_uid, check, finish,
                       in_own_netns, probe, sh, spawn, tmpdir, url)

LISTEN = "127.0.0.1:5001"


def write_conf(tmp, extra):
    store = os.path.join(tmp, "incidents.db")
    conf = os.path.join(tmp, "ssrfguard.conf")
    with open(conf, "w") as f:
        f.write(f"[serve]\nlisten = {LISTEN}\nstore = {store}\nimds = off\ninstance_id = i-0123456789abcdef0\n"
                f"region = eu-west-1\nbackstop = on\nbackstop_user = {APP}\n"
                f"backstop_service_user = {SERVICE}\n" + extra)
    return conf, store


def start_serve(conf):
    p = spawn(SG, "serve", "--config", conf)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://{LISTEN}/healthz", timeout=1) as r:
                if r.status == 200:
                    return p
        except OSError:
            time.sleep(0.05)
    check(False, "serve started: " + (p.stderr.read() if p.poll() is not None else "no /healthz"))
    return p


def stop(p):
    p.send_signal(2)
    try:
        p.wait(timeout=20)
    except Exception:
        p.kill()


def attempts(store):
    db = sqlite3.connect(store)
    rows = db.execute("SELECT dest, category, rule, headers FROM attempts").fetchall()
    db.close()
    return [(d, c, r, json.loads(h)) for d, c, r, h in rows]


def serve_mode():
    tmp = tmpdir()
    conf, store = write_conf(tmp, "")
    r = sh(SG, "serve", "--check-config", "--config", conf)
    check(r.returncode == 0 and f'backstop-user = "{APP}"' in r.stdout and "backstop = on" in r.stdout,
          "serve --check-config prints the backstop's settings")
    check(sh(SG, "backstop", "install", "--config", conf).returncode == 0, "serve: install")
    srv = start_serve(conf)
    r = as_uid(APP, "curl", "-sS", "-m", "5", "-o", "/dev/null", url("fd00:ec2::254"))
    check(r.returncode != 0, "serve: app curl to fd00:ec2::254 refused")
    # A looping app: 40 connections from one process to one destination.
    loop = ("import socket\n"
            "for i in range(40):\n"
            "  try: socket.create_connection(('169.254.169.254',80),timeout=5).close()\n"
            "  except OSError: pass\n")
    t0 = time.monotonic()
    r = as_uid(APP, "/usr/bin/python3", "-c", loop)
    took = time.monotonic() - t0
    check(took < 3, f"serve: 40 refused connections took {took:.2f}s (fail fast, also beyond the rate)")
    time.sleep(0.3)
    stop(srv)
    got = attempts(store)
    curl = [a for a in got if a[0] == "[fd00:ec2::254]:80" and a[3]["exe"].endswith("curl")]
    check(len(curl) == 1 and curl[0][1] == "metadata" and curl[0][3]["uid"] == APP,
          f"serve: recorded the curl attempt with uid and executable: {curl}")
    py = [a for a in got if a[0] == "169.254.169.254:80" and "python3" in a[3]["exe"]]
    check(len(py) == 1, f"serve: the looping process is coalesced into {len(py)} attempt(s)")
    db = sqlite3.connect(store)
    inc = db.execute("SELECT state, source FROM incidents").fetchall()
    check(inc == [("open", f"local:uid={APP}")], f"serve: one open incident for the app's uid: {inc}")
    sh(SG, "backstop", "remove")


def policy_mode(pot):
    tmp = tmpdir()
    conf, store = write_conf(tmp, "backstop_deny_policy = on\nrule = allow 203.0.113.0/24\n")
    r = sh(SG, "backstop", "install", "--config", conf)
    check(r.returncode == 0, "policy: install " + r.stdout.strip() + r.stderr.strip())
    srv = start_serve(conf)
    got = probe(APP, 80, "10.1.2.3", "127.0.0.1", "203.0.113.10", "169.254.169.254")
    check(got.get("10.1.2.3", (True,))[0] is False, f"policy: private 10.1.2.3 refused {got.get('10.1.2.3')}")
    check(got.get("127.0.0.1", (True,))[0] is False, "policy: loopback 127.0.0.1:80 refused")
    check(got.get("203.0.113.10", (False,))[0] is True, "policy: allowed 203.0.113.10 reachable")
    r = as_uid(APP, "curl", "-sS", "-m", "5", f"http://{LISTEN}/healthz")
    check(r.returncode == 0 and "ok" in r.stdout, "policy: the app still reaches serve's listen address")
    time.sleep(0.3)
    stop(srv)
    cats = {a[0]: a[1] for a in attempts(store)}
    check(cats.get("10.1.2.3:80") == "private" and cats.get("127.0.0.1:80") == "loopback"
          and cats.get("169.254.169.254:80") == "metadata",
          f"policy: each refusal recorded with the guard's own category: {cats}")
    db = sqlite3.connect(store)
    states = db.execute("SELECT state FROM incidents").fetchall()
    check(states == [("open",)], f"policy: the metadata attempt made the incident ask for containment: {states}")
    sh(SG, "backstop", "remove")


def udp_echo(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))

    def run():
        while True:
            data, peer = s.recvfrom(512)
            s.sendto(data, peer)
    threading.Thread(target=run, daemon=True).start()


def proxy_mode():
    tmp = tmpdir()
    conf, store = write_conf(tmp, "backstop_egress = proxy\nbackstop_dns = 198.51.100.10\n")
    r = sh(SG, "backstop", "install", "--config", conf)
    check(r.returncode == 0, "proxy: install " + r.stdout.strip() + r.stderr.strip())
    srv = start_serve(conf)
    udp_echo("198.51.100.10", 53)
    udp_echo("203.0.113.11", 53)
    got = probe(APP, 80, "203.0.113.10")
    check(got.get("203.0.113.10", (True,))[0] is False, "proxy: direct egress to 203.0.113.10 refused")
    r = as_uid(APP, "curl", "-sS", "-m", "5", f"http://{LISTEN}/healthz")
    check(r.returncode == 0 and "ok" in r.stdout, "proxy: the app reaches the proxy")
    dns = ("import socket,sys\n"
           "for a in sys.argv[1:]:\n"
           "  s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(1)\n"
           "  try: s.sendto(b'q',(a,53)); s.recv(10); print(a,'answered')\n"
           "  except OSError as e: print(a,'refused',e.errno)\n")
    r = as_uid(APP, "/usr/bin/python3", "-c", dns, "198.51.100.10", "203.0.113.11")
    check("198.51.100.10 answered" in r.stdout, "proxy: the listed resolver answers: " + r.stdout.strip())
    check("203.0.113.11 refused" in r.stdout, "proxy: another resolver is refused")
    r = as_uid(SERVICE, "curl", "-sS", "-m", "5", "http://203.0.113.10/")
    check(r.returncode == 0 and r.stdout == "honeypot", "proxy: the service itself still reaches 203.0.113.10")
    time.sleep(0.3)
    stop(srv)
    eg = [a for a in attempts(store) if a[0] == "203.0.113.10:80"]
    check(len(eg) == 1 and eg[0][2] == "backstop:egress-proxy-only" and eg[0][1] == "denied",
          f"proxy: the refusal is recorded as egress outside the proxy: {eg}")
    db = sqlite3.connect(store)
    states = db.execute("SELECT state FROM incidents").fetchall()
    check(states and all(s == ("logged",) for s in states),
          f"proxy: non-metadata refusals are logged, not contained (contain = metadata): {states}")
    sh(SG, "backstop", "remove")


def main():
    if not in_own_netns():
        print("refusing to run outside tests/netns-run")
        return 2
    add_addresses(["169.254.169.254", "fd00:ec2::254", "10.1.2.3"])
    pot = Honeypot()
    serve_mode()
    policy_mode(pot)
    proxy_mode()
    r = sh("nft", "list", "ruleset")
    check(r.stdout.strip() == "", "no rule remains")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
