"""test_loops.py — `ssrfguard serve` as several event loops (workers), inside
tests/netns-run: connections spread over the loops, the metrics count every
loop, blocked attempts of every loop are committed before their 403, the
address cannot be taken twice, SIGTERM drains every loop, and with one loop
per allowed CPU each loop is kept on its own CPU (pin_loops).
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Serve, Upstream, check, finish, require_netns, spawn  # noqa: E402

require_netns()

UP = "203.0.113.10"
up = Upstream(UP + ":80")
srv = Serve({"rule": ["allow 203.0.113.0/24"], "workers": 4, "store_sync": "normal"})

N = 60
ok = sum(srv.go("http://%s/hello" % UP)[0] == 200 for _ in range(N))
check(ok == N, "every allowed fetch answered: %d of %d" % (ok, N))
blocked = [srv.go("http://169.254.169.254/latest/meta-data/", source="203.0.113.17")
           for _ in range(N)]
check(all(st == 403 for st, _, _ in blocked), "every blocked attempt answered 403")
rows = srv.sql("SELECT attempts FROM incidents WHERE source = '203.0.113.17'")
check(rows == [(N,)], "every loop's blocked attempts committed to one incident: %r" % rows)

st, _, body = srv.get("/metrics")
text = body.decode()
check('ssrfguard_requests_total{route="go",code="200"} %d' % N in text,
      "the metrics count the fetches of every loop")
check('ssrfguard_requests_total{route="go",code="403"} %d' % N in text,
      "the metrics count the blocks of every loop")
lines = srv.log_lines()
listening = [ln for ln in lines if ln.get("event") == "listening"]
check(listening and listening[0].get("loops") == 4, "four loops listening: %r" % listening)

# The address is taken: a second service refuses to start, rather than
# sharing the port through SO_REUSEPORT.
other = Serve({"rule": ["allow 203.0.113.0/24"], "workers": 2}, start=False)
p = spawn(other.args, env=other.env, stderr=subprocess.PIPE)
try:
    rc = p.wait(10)
except subprocess.TimeoutExpired:
    p.kill()
    rc = None
check(rc not in (0, None), "a second service on the same address fails: rc %r" % rc)
check(b"cannot bind" in p.stderr.read(), "and says why")

rc = srv.stop()
check(rc == 0, "SIGTERM drains every loop and exits 0: %r" % rc)
lines = srv.log_lines()
drained = {ln.get("loop") for ln in lines if ln.get("event") == "draining"}
check(drained == {0, 1, 2, 3}, "every loop drained: %r" % drained)
check(lines[-1].get("event") == "stopped", "stopped after all loops: %r" % lines[-1])
cpus = sorted(os.sched_getaffinity(0))
check(not [ln for ln in lines if ln.get("event") == "loops_pinned"] or len(cpus) == 4,
      "4 loops on %d CPUs are not pinned" % len(cpus))


def pinned_threads(pid):
    """{tid: cpu} of the process's threads kept on one CPU."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            mask = os.sched_getaffinity(int(tid))
        except OSError:
            continue
        if len(mask) == 1:
            out[int(tid)] = next(iter(mask))
    return out


def pin_line(serve):
    for _ in range(100):
        got = [ln for ln in serve.log_lines() if ln.get("event", "").startswith("loops_")]
        if got:
            return got
        time.sleep(0.05)
    return []


# Default workers: one loop per CPU this process may use, each on its own.
if len(cpus) >= 2:
    one = Serve({"rule": ["allow 203.0.113.0/24"]}, port=5003)
    check(one.go("http://%s/hello" % UP, timeout=10)[0] == 200, "one loop per CPU serves")
    got = pin_line(one)
    want = ",".join(str(c) for c in cpus)
    check(len(got) == 1 and got[0].get("loops") == len(cpus) and got[0].get("cpus") == want,
          "loops_pinned names the %d CPUs in loop order: %r" % (len(cpus), got))
    threads = pinned_threads(one.p.pid)
    check(sorted(threads.values()) == cpus and threads.get(one.p.pid) == cpus[0],
          "each loop thread on its own CPU, loop 0 on the first: %r" % threads)
    check(one.stop() == 0, "the pinned service stops")
    off = Serve({"rule": ["allow 203.0.113.0/24"], "pin_loops": "off"}, port=5004)
    check(off.go("http://%s/hello" % UP, timeout=10)[0] == 200, "unpinned loops serve")
    check(not pinned_threads(off.p.pid), "pin_loops off: no thread kept on one CPU")
    check(not [ln for ln in off.log_lines() if ln.get("event", "").startswith("loops_")],
          "pin_loops off: no pinning logged")
    check(off.stop() == 0, "the unpinned service stops")
finish()
