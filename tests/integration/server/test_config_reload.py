"""test_config_reload.py — which settings a reload takes, and that it names
the others truthfully.  Runs as tests/netns-run python3 test_config_reload.py.

  - `contain` is reloaded with the guard's rules (SIGHUP or a changed
    --config file): a metadata attempt asks for containment before, not
    after `contain = none`, on every loop; no restart is named for it;
  - the embedded responder's [respond] settings of the same files are
    compared too: one changed is named (config_restart_needed and /healthz
    restart_needed as respond.NAME), and no longer once the file is as it
    was.  (The responder here has no AWS to reach: it is "failing", which
    changes nothing of this.)
  - the limits and timeouts are reloaded too, on every loop, and never
    named for a restart: after `max_body = 10000` a 20,000-byte body is
    refused (502), after `client_timeout_s = 1` idle clients are closed in
    about a second, and so are the proxy's after `proxy_idle_s = 1`, after
    `max_connections = 8` each of the two loops
    counts its share, 4 (ssrfguard_client_connections_limit is the sum of
    what each loop publishes), and idle connections over it are closed
    while a new client still gets an answer; the file as it was, the limit
    is back.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, replace_file, require_netns,  # noqa: E402
                     tmpdir, wait_until)

require_netns()
tmp = tmpdir("sg-cfgreload-")
AWS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
       "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
UP = "203.0.113.10"
up = Upstream(UP + ":80")
PROXY_PORT = 5015
srv = Serve({"workers": 2, "respond": "on", "rule": ["allow 203.0.113.0/24"],
             "proxy_listen": "127.0.0.1:%d" % PROXY_PORT}, env=AWS, port=5014, tmp=tmp,
            start=False)
with open(srv.conf) as f:
    serve_conf = "[serve]\n" + f.read()
RESPOND = "[respond]\nreport_dir = %s\npoll_ms = 1000\n" % os.path.join(tmp, "reports")
replace_file(srv.conf, serve_conf + RESPOND)
srv.start()


def reloads():
    return [d for d in srv.log_lines() if d.get("event") == "policy_reload" and d.get("ok")]


def restart_lines():
    return [d for d in srv.log_lines() if d.get("event") == "config_restart_needed"]


def containment(n=6):
    """What n metadata attempts say of containment (both loops answer)."""
    out = set()
    for _ in range(n):
        code, _, body = srv.go("http://169.254.169.254/latest/meta-data/")
        check(code == 403, "the metadata address is refused: %d" % code)
        out.add(json.loads(body).get("containment"))
    return out


before = containment()
check(before and "none" not in before, "contain = metadata (default): containment asked: %r" % before)

# ---- contain: reloaded ----
replace_file(srv.conf, serve_conf + "contain = none\n" + RESPOND)
wait_until(lambda: len(reloads()) >= 1, "the config file read again")
check(containment() == {"none"}, "after contain = none, no loop asks for containment")
check(restart_lines() == [] and "restart_needed" not in srv.health(),
      "contain needs no restart: %r" % restart_lines())

# ---- [respond]: compared, named ----
replace_file(srv.conf, serve_conf + "contain = none\n" + RESPOND.replace("1000", "2500"))
wait_until(lambda: len(reloads()) >= 2, "the config file read again")
lines = restart_lines()
check(len(lines) == 1 and lines[0].get("settings") == "respond.poll-ms",
      "the responder's changed setting is named: %r" % lines)
check(srv.health().get("restart_needed") == "respond.poll-ms", "healthz names it: %r" % srv.health())
replace_file(srv.conf, serve_conf + RESPOND)
wait_until(lambda: len(reloads()) >= 3, "the file as it was")
check("restart_needed" not in srv.health() and len(restart_lines()) == 1,
      "as it was: nothing left to restart for: %r" % srv.health().get("restart_needed"))
check(containment() == before, "contain as it was, containment asked again")

# ---- the limits and timeouts: reloaded on every loop ----
BIG = "http://%s/big?n=20000" % UP


def limit_sum():
    return srv.metric("ssrfguard_client_connections_limit")


def still_open(socks):
    n = 0
    for s in socks:
        try:
            n += s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n


def idle_clients(n, port=srv.port):
    out = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.settimeout(None)  # blocking: MSG_DONTWAIT's EAGAIN says "open"
        out.append(s)
    return out


check({srv.go(BIG)[0] for _ in range(6)} == {200}, "max_body 8 MiB: a 20,000-byte body passes")
auto = limit_sum()
check(auto is not None and auto > 100, "max_connections 0: what the descriptors leave: %r" % auto)
socks, proxied = idle_clients(6), idle_clients(6, PROXY_PORT)
time.sleep(2.5)
check(still_open(socks) == 6, "client_timeout_s 10: idle clients stay past 2.5 s")
check(still_open(proxied) == 6, "proxy_idle_s 60: idle proxy clients stay past 2.5 s")
for s in socks + proxied:
    s.close()

replace_file(srv.conf, serve_conf + "max_body = 10000\nclient_timeout_s = 1\nproxy_idle_s = 1\n" +
             RESPOND)
wait_until(lambda: len(reloads()) >= 4, "the config file read again")
check(reloads()[3].get("limits") == "max-body,client-timeout-s,proxy-idle-s",
      "the reload names the limits it changed: %r" % reloads()[3])
check(all("limits" not in r for r in reloads()[:3]), "and none when it changed none")
answers = [srv.go(BIG) for _ in range(8)]
check(all(a[0] == 502 and b"larger than 10000 bytes" in a[2] for a in answers),
      "max_body 10000 by reload: refused, whichever loop answers: %r" % [a[0] for a in answers])
socks, proxied = idle_clients(8), idle_clients(8, PROXY_PORT)
wait_until(lambda: still_open(socks) == 0, "client_timeout_s 1 by reload: idle clients closed",
           timeout=8)  # 10 s before the reload
wait_until(lambda: still_open(proxied) == 0, "proxy_idle_s 1 by reload: idle proxy clients closed",
           timeout=8)  # 60 s before the reload
for s in socks + proxied:
    s.close()
check(len(restart_lines()) == 1 and "restart_needed" not in srv.health(),
      "the limits need no restart: %r" % restart_lines()[1:])

replace_file(srv.conf, serve_conf + "max_connections = 8\n" + RESPOND)
wait_until(lambda: len(reloads()) >= 5, "the config file read again")
check(reloads()[4].get("limits") == "max-body,client-timeout-s,max-connections,proxy-idle-s",
      "back to the defaults but max_connections: all four named: %r" % reloads()[4])
wait_until(lambda: limit_sum() == 8, "max_connections 8 by reload: each loop's share is 4")
socks = idle_clients(30)
wait_until(lambda: still_open(socks) <= 8, "idle connections over the new limit are closed")
check(srv.health().get("status") == "ok", "a new client still gets a place and an answer")
check(still_open(socks) <= 8, "and the idle ones stay within it: %d" % still_open(socks))
for s in socks:
    s.close()
check(len(restart_lines()) == 1 and "restart_needed" not in srv.health(),
      "max_connections needs no restart: %r" % restart_lines()[1:])
replace_file(srv.conf, serve_conf + RESPOND)
wait_until(lambda: len(reloads()) >= 6, "the file as it was")
wait_until(lambda: limit_sum() == auto, "max_connections 0 again: the limit is back")
check(srv.go(BIG)[0] == 200, "max_body as it was")
check(srv.stop() == 0, "clean exit after SIGTERM (no sanitizer report)")
up.stop()
finish()
