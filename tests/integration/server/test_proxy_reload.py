"""test_proxy_reload.py — the egress proxy's roles file read again without a
restart.  Runs as tests/netns-run unshare -m python3 test_proxy_reload.py (a
private /etc/hosts maps pooled.test to 203.0.113.10); two event loops, so
both take the new roles:

  - SIGHUP after a role's policy changed on disk changes what the proxy
    allows: its allow list and its guard rules, on new connections and on a
    keep-alive connection opened before; an upstream connection kept under
    the old roles (the client's own, or pooled for any client) is never
    reused under the new ones, whose guard rule now denies its address; a
    removed role's user is 407 from then on;
  - the request counters of a role go on counting across reloads;
  - a broken file keeps the roles in force: the log says why
    (policy_reload, ok false), /healthz is degraded with
    policy reload_failed and policy_error, and the metrics say so;
  - a good file ends that state when the file changes, without a signal;
  - a role header configured by a reload picks the role (unknown: 407) and
    is never forwarded.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, parse_response,  # noqa: E402
                     private_mounts, read_response, replace_file, require_netns, send_raw, tmpdir,
                     wait_until)

require_netns()
private_mounts()
up = Upstream("203.0.113.10:80", "203.0.113.11:80")
PX = 3150
tmp = tmpdir("sg-pxreload-")
roles = os.path.join(tmp, "roles.conf")
hosts = os.path.join(tmp, "hosts")
with open("/etc/hosts") as src, open(hosts, "w") as f:
    f.write(src.read() + "\n203.0.113.10 pooled.test\n")
subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
AUTH = {"ci": "Basic Y2k6eA==", "ops": "Basic b3BzOng="}  # ci:x, ops:x


def write_roles(text, signal_only=False):
    """signal_only: only SIGHUP reads it (harness.replace_file)."""
    replace_file(roles, text, keep_mtime=signal_only)


V1 = """[role ci]
mode = enforce
allow = 203.0.113.10
users = ci
[role ops]
mode = open
rule = deny 203.0.113.11
users = ops
"""
V2 = """[role ci]
mode = enforce
allow = 203.0.113.11
users = ci
[role ops]
mode = open
rule = deny 203.0.113.10
users = ops
"""
V3 = """[role ci]
mode = enforce
allow = 203.0.113.10, 203.0.113.11
users = ci
"""
write_roles(V1)
srv = Serve({"rule": ["allow 203.0.113.0/24"], "proxy_listen": "127.0.0.1:%d" % PX,
             "proxy_roles": roles, "workers": 2}, port=5011, tmp=tmp)


def request(s, who, host):
    """One request on socket s; the status, or 0 if the connection ended."""
    s.sendall(("GET http://%s/hello HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: %s\r\n\r\n"
               % (host, host, AUTH[who])).encode())
    return read_response(s)[0]


def status(who, host):
    s = socket.create_connection(("127.0.0.1", PX), timeout=10)
    try:
        return request(s, who, host)
    finally:
        s.close()


def statuses(who, host, n=6):
    """n fresh connections (the kernel spreads them over both loops)."""
    return {status(who, host) for _ in range(n)}


def reload_lines():
    return [d for d in srv.log_lines() if d.get("event") == "policy_reload"]


CI_ALLOW = 'ssrfguard_proxy_requests_total{role="ci",decision="allow"}'

# ---- the roles at the start ----
check(statuses("ci", "203.0.113.10") == {200}, "v1: ci reaches .10")
check(statuses("ci", "203.0.113.11") == {403}, "v1: ci may not reach .11 (enforce)")
check(statuses("ops", "203.0.113.11") == {403}, "v1: ops's own guard rule denies .11")
check(statuses("ops", "203.0.113.10") == {200}, "v1: ops reaches .10")
h = srv.health()
check(h.get("status") == "ok" and h.get("policy") == "ok", "healthz with roles: %r" % h)
check(srv.metric('ssrfguard_policy_reload_failing') == 0, "metrics: no failed reload")
allowed_before = srv.metric(CI_ALLOW)
check(allowed_before == 6, "ci's allowed requests counted: %r" % allowed_before)
# a keep-alive client of role ci, its upstream kept for the next request
keep = socket.create_connection(("127.0.0.1", PX), timeout=10)
check(request(keep, "ci", "203.0.113.10") == 200, "keep-alive: ci reaches .10")
# role ops's upstream connections to pooled.test (203.0.113.10): one kept by
# a client that stays, others pooled when their clients leave
keep_ops = socket.create_connection(("127.0.0.1", PX), timeout=10)
check(request(keep_ops, "ops", "pooled.test") == 200, "keep-alive: ops reaches pooled.test")
for _ in range(6):
    s = socket.create_connection(("127.0.0.1", PX), timeout=10)
    check(request(s, "ops", "pooled.test") == 200, "ops reaches pooled.test")
    s.close()
wait_until(lambda: srv.metric("ssrfguard_proxy_upstream_idle") >= 1, "upstreams pooled")

# ---- SIGHUP after the file changed: the new roles hold ----
write_roles(V2, signal_only=True)
srv.p.send_signal(signal.SIGHUP)
wait_until(lambda: any(d.get("ok") for d in reload_lines()), "the reload is logged")
ok = [d for d in reload_lines() if d.get("ok")][0]
check(ok.get("roles") == 2 and ok.get("generation") == 2 and ok.get("level") != "error",
      "the reload line: %r" % ok)
check(statuses("ci", "203.0.113.11") == {200}, "v2 after SIGHUP: ci reaches .11")
check(statuses("ci", "203.0.113.10") == {403}, "v2 after SIGHUP: ci no longer reaches .10")
check(statuses("ops", "203.0.113.11") == {200}, "v2: ops's guard rule is gone: .11 reached")
check(request(keep_ops, "ops", "pooled.test") == 403,
      "v2: ops's new rule denies pooled.test's address; the connection kept before is not used")
keep_ops.close()
check(statuses("ops", "pooled.test", 8) == {403}, "v2: no pooled connection of v1 is reused")
check(request(keep, "ci", "203.0.113.10") == 403,
      "the keep-alive connection opened before is judged by the new roles too")
check(request(keep, "ci", "203.0.113.11") == 200, "... and served by them")
keep.close()
check(srv.metric(CI_ALLOW) == allowed_before + 1 + 6 + 1,
      "ci's counter goes on across the reload: %r" % srv.metric(CI_ALLOW))
check(srv.metric('ssrfguard_policy_reloads_total{result="ok"}') == 1, "one good reload counted")
# SIGHUP alone reads the file again (trigger SIGHUP)
srv.p.send_signal(signal.SIGHUP)
wait_until(lambda: any(d.get("trigger") == "SIGHUP" and d.get("generation") == 3
                 for d in reload_lines()), "a SIGHUP reload with an unchanged file")

# ---- a broken file: the roles before stay in force ----
write_roles(V2 + "[role broken]\nmode = sometimes\n", signal_only=True)
srv.p.send_signal(signal.SIGHUP)
wait_until(lambda: srv.health().get("policy") == "reload_failed", "healthz shows the failed reload")
h = srv.health()
check(h.get("status") == "degraded" and "mode" in h.get("policy_error", "") and
      roles in h.get("policy_error", ""), "healthz degraded, and why: %r" % h)
check(srv.get("/healthz")[0] == 200, "a failed reload degrades, it does not fail the service")
# the primary loop writes the log line, maybe after /healthz shows the state
wait_until(lambda: any(not d.get("ok") for d in reload_lines()), "the failed reload is logged")
fails = [d for d in reload_lines() if not d.get("ok")]
check(len(fails) == 1 and "mode" in fails[0].get("error", "") and
      "stay in force" in fails[0].get("message", ""), "the failed reload logged: %r" % fails)
check(srv.metric('ssrfguard_policy_reload_failing') == 1 and
      srv.metric('ssrfguard_policy_reloads_total{result="error"}') == 1,
      "the failed reload in the metrics")
check(statuses("ci", "203.0.113.11") == {200} and statuses("ci", "203.0.113.10") == {403},
      "the roles before (v2) still hold")
time.sleep(2.5)  # the file is not read again until it changes
check(len([d for d in reload_lines() if not d.get("ok")]) == 1, "a bad file is not retried")

# ---- a good file, no signal: read when it changes ----
write_roles(V3)
wait_until(lambda: srv.health().get("policy") == "ok", "a good file ends the failed state")
check(srv.health().get("status") == "ok", "healthz ok again")
wait_until(lambda: reload_lines()[-1].get("ok"), "the good reload is logged")
last = reload_lines()[-1]
check(last.get("trigger") == "file_changed", "read on change: %r" % last)
check(statuses("ci", "203.0.113.10") == {200} and statuses("ci", "203.0.113.11") == {200},
      "v3: ci reaches both")
check(statuses("ops", "203.0.113.10") == {407}, "v3: the removed role's user is refused (407)")
check(srv.metric('ssrfguard_policy_reload_failing') == 0, "metrics: the reload succeeded")
check(srv.metric('ssrfguard_proxy_requests_total{role="ops",decision="allow"}') == 6 + 7 + 6,
      "a removed role's counts stay in the metrics")

# ---- role_header, added by a reload: the client names its role ----
write_roles(V3 + "[global]\nrole_header = X-Ssrfguard-Role\n[role ops]\nmode = enforce\n"
            "allow = 203.0.113.8/30:80\n")
wait_until(lambda: reload_lines()[-1].get("roles") == 2, "the role header's file read on change")


def by_header(role, host, path="/hello"):
    return parse_response(send_raw(PX, (
        "GET http://%s%s HTTP/1.1\r\nHost: %s\r\nX-Ssrfguard-Role: %s\r\n"
        "Connection: close\r\n\r\n" % (host, path, host, role)).encode(), timeout=10))


check(by_header("ops", "203.0.113.11")[0] == 200 and by_header("ops", "203.0.113.12")[0] == 403,
      "the role header picks role ops (enforce, 203.0.113.8/30 on port 80 only)")
st, _, body = by_header("ops", "203.0.113.10:8080")
check(st == 403 and json.loads(body or b"{}").get("rule") == "role:ops",
      "ops: a port its range entry does not name is refused by the role: %r" % body[:200])
check(by_header("nobody", "203.0.113.10")[0] == 407, "a role header naming no role: 407")
st, _, body = by_header("ci", "203.0.113.10", "/headers")
check(st == 200 and b"ssrfguard-role" not in body.lower(),
      "the role header is not forwarded upstream: %r" % body)
check(srv.stop() == 0, "clean exit after SIGTERM (no sanitizer report)")
finish()
