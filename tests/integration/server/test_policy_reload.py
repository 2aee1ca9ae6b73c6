"""test_policy_reload.py — the guard's rules (`policy`, `rule`) read again
without a restart, for /go and the egress proxy alike, by the one reload
that also reads the proxy's roles.  Runs as tests/netns-run python3
test_policy_reload.py; two event loops, so both take the new rules:

  - SIGHUP after the policy file changed changes what /go and the proxy
    allow (generation 2 in the log, /healthz and the metrics);
  - a `rule` added to the --config file is read when the file changes,
    without a signal;
  - a broken policy file keeps the rules in force: the log says why
    (policy_reload, ok false, the file and line), /healthz is degraded
    with policy reload_failed and policy_error, the metrics say so, and the
    file is not tried again until it changes;
  - an upstream connection the proxy kept under the old rules is never
    reused under the new ones (a new connection reaches the upstream);
  - any other setting changed in the --config file is not taken, and says
    so: a config_restart_needed warning naming each one and /healthz's
    restart_needed, until the file is as it was (no such line for a reload
    that changed only the policy and rules).
"""
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, http_get, read_response,  # noqa: E402
                     replace_file, require_netns, tmpdir, wait_until)

require_netns()
up = Upstream("203.0.113.10:80", "203.0.113.11:80")
PX = 3152
tmp = tmpdir("sg-polreload-")
policy = os.path.join(tmp, "policy.rules")


replace_file(policy, "allow 203.0.113.10\n")
srv = Serve({"policy": policy, "proxy_listen": "127.0.0.1:%d" % PX, "workers": 2},
            port=5013, tmp=tmp)


def go(host, n=6):
    """n fresh /go requests (the kernel spreads them over both loops)."""
    return {srv.go("http://%s/hello" % host)[0] for _ in range(n)}


def proxied(s, host):
    """One proxy request on socket s: the status, or 0 if it ended."""
    s.sendall(("GET http://%s/hello HTTP/1.1\r\nHost: %s\r\n\r\n" % (host, host)).encode())
    return read_response(s)[0]


def proxy_status(host):
    with socket.create_connection(("127.0.0.1", PX), timeout=10) as s:
        return proxied(s, host)


def upstream_conns():
    return int(http_get("203.0.113.10", 80, "/stats?conns=1")[2].split()[-1])


def reloads():
    return [d for d in srv.log_lines() if d.get("event") == "policy_reload"]


# ---- the rules at the start ----
check(go("203.0.113.10") == {200}, "v1: /go reaches .10 (the policy file allows it)")
check(go("203.0.113.11") == {403}, "v1: /go may not reach .11")
check(proxy_status("203.0.113.11") == 403, "v1: the proxy may not reach .11")
h = srv.health()
check(h.get("status") == "ok" and h.get("policy") == "ok" and h.get("policy_generation") == 1,
      "healthz: %r" % h)
check(srv.metric("ssrfguard_policy_generation") == 1 and
      srv.metric("ssrfguard_policy_reload_failing") == 0, "metrics at the start")
# a proxy client whose upstream connection is kept for its next request
keep = socket.create_connection(("127.0.0.1", PX), timeout=10)
check(proxied(keep, "203.0.113.10") == 200 and proxied(keep, "203.0.113.10") == 200,
      "the proxy reaches .10 twice on one connection")
conns = upstream_conns()

# ---- SIGHUP after the policy file changed ----
replace_file(policy, "allow 203.0.113.10\nallow 203.0.113.11\n", keep_mtime=True)
srv.p.send_signal(signal.SIGHUP)
wait_until(lambda: any(d.get("ok") for d in reloads()), "the reload is logged")
ok = [d for d in reloads() if d.get("ok")]
check(ok and ok[0].get("trigger") == "SIGHUP" and ok[0].get("generation") == 2,
      "the reload line: %r" % ok)
check(proxied(keep, "203.0.113.10") == 200, "the keep-alive client is still served")
now = upstream_conns()
check(now == conns + 2,  # a new one instead of the kept one; and this /stats call
      "the upstream connection kept under the old rules is not reused: %d -> %d"
      % (conns, now))
keep.close()
check(go("203.0.113.11") == {200}, "v2 after SIGHUP: /go reaches .11")
check(proxy_status("203.0.113.11") == 200, "v2 after SIGHUP: the proxy reaches .11")

# ---- a rule added to the config file, no signal ----
with open(srv.conf) as f:
    conf = f.read()
replace_file(policy, "allow 203.0.113.11\n", keep_mtime=True)  # read with the config file
replace_file(srv.conf, conf + "rule = allow 203.0.113.10\n")
wait_until(lambda: any(d.get("generation") == 3 for d in reloads()),
           "the config file read on change")
check(reloads()[-1].get("trigger") == "file_changed", "read on change: %r" % reloads()[-1])
check(go("203.0.113.10") == {200} and go("203.0.113.11") == {200},
      "v3: the config file's new rule and the policy file's both hold")
replace_file(srv.conf, conf)
wait_until(lambda: any(d.get("generation") == 4 for d in reloads()), "the rule removed on change")
check(go("203.0.113.10") == {403} and go("203.0.113.11") == {200},
      "v4: without the config file's rule, .10 is refused again")

# ---- a broken policy file: the rules before stay in force ----
replace_file(policy, "allow 203.0.113.11\nallow not/an/address\n", keep_mtime=True)
srv.p.send_signal(signal.SIGHUP)
wait_until(lambda: srv.health().get("policy") == "reload_failed", "healthz shows the failed reload")
h = srv.health()
check(h.get("status") == "degraded" and policy in h.get("policy_error", "") and
      h.get("policy_generation") == 4, "healthz degraded, and why: %r" % h)
wait_until(lambda: any(not d.get("ok") for d in reloads()), "the failed reload is logged")
fails = [d for d in reloads() if not d.get("ok")]
check(len(fails) == 1 and policy in fails[0].get("error", "") and
      fails[0].get("level") == "error" and "stay in force" in fails[0].get("message", ""),
      "the failed reload logged: %r" % fails)
check(srv.metric("ssrfguard_policy_reload_failing") == 1 and
      srv.metric('ssrfguard_policy_reloads_total{result="error"}') == 1 and
      srv.metric('ssrfguard_policy_reloads_total{result="ok"}') == 3, "the metrics say so")
check(go("203.0.113.11") == {200} and go("203.0.113.10") == {403},
      "the rules before (v4) still hold")
time.sleep(2.5)  # two polls: the file is not read again until it changes
check(len([d for d in reloads() if not d.get("ok")]) == 1, "a bad file is not retried")

# ---- a good file ends the failed state ----
replace_file(policy, "allow 203.0.113.10\n")
wait_until(lambda: srv.health().get("policy") == "ok", "a good file ends the failed state")
check(srv.health().get("status") == "ok" and srv.metric("ssrfguard_policy_reload_failing") == 0,
      "healthz and metrics ok again")
check(go("203.0.113.10") == {200} and go("203.0.113.11") == {403}, "v5 holds")


def restart_lines():
    return [d for d in srv.log_lines() if d.get("event") == "config_restart_needed"]


# ---- settings a reload does not take: named, not silently ignored ----
check(restart_lines() == [] and "restart_needed" not in srv.health(),
      "no restart named while only the policy and rules changed: %r" % restart_lines())
replace_file(srv.conf, conf + "store_busy_ms = 1234\nworkers = 3\n")
wait_until(lambda: any(d.get("generation") == 6 for d in reloads()), "the config file read again")
lines = restart_lines()
check(len(lines) == 1 and lines[0].get("settings") == "store-busy-ms,workers" and
      lines[0].get("level") == "warning" and lines[0].get("trigger") == "file_changed" and
      "restart" in lines[0].get("message", ""), "each setting not taken is named: %r" % lines)
h = srv.health()
check(h.get("restart_needed") == "store-busy-ms,workers", "healthz names them: %r" % h)
check(go("203.0.113.10") == {200}, "the rules still reload with them")
replace_file(srv.conf, conf)
wait_until(lambda: any(d.get("generation") == 7 for d in reloads()), "the file as it was")
check("restart_needed" not in srv.health() and len(restart_lines()) == 1,
      "as it was: nothing left to restart for: %r" % srv.health())
check(srv.stop() == 0, "clean exit after SIGTERM (no sanitizer report)")
finish()
