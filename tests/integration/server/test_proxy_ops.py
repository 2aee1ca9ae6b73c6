"""test_proxy_ops.py — the egress proxy run as a service, inside tests/netns-run:

  - a proxy listener on every event loop (SO_REUSEPORT), the metrics summed;
  - proxy connections count in max_connections: at the limit the oldest
    idle connection, of the proxy or of /go, is closed for a new one, and a
    busy one (a tunnel) never is;
  - SIGTERM: new connections are refused at once, idle ones closed, an open
    tunnel keeps working and a proxied request in progress finishes, until
    proxy_drain_s; then what is left is cut, and the log says how many;
  - a tunnel that carries traffic still ends at proxy_tunnel_s;
  - a client pipelining requests while never reading its answers is not
    read on once about PX_HIGH_WATER of answers wait for it (refusals: each
    would be an attempt recorded and an answer held), and its answers all
    arrive, in order, once it reads.
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, http_get, require_netns,  # noqa: E402
                     tmpdir, wait_until)

require_netns()
up = Upstream("203.0.113.10:80")
ALLOW = ["allow 203.0.113.0/24"]
PX = 3140


def tunnel(port=PX):
    """A CONNECT tunnel to the upstream, established."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"CONNECT 203.0.113.10:80 HTTP/1.1\r\nHost: 203.0.113.10:80\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        if not b:
            break
        head += b
    check(head.startswith(b"HTTP/1.1 200"), "tunnel established: %r" % head)
    return s


def through(s):
    """One request inside the tunnel: True if the upstream answered."""
    try:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: 203.0.113.10\r\n\r\n")
        got = b""
        while b"hello from upstream\n" not in got:
            b = s.recv(4096)
            if not b:
                return False
            got += b
        return True
    except OSError:
        return False


def closed(s, timeout=3.0):
    """True if the peer closes s within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def upstream_requests():
    return int(http_get("203.0.113.10", 80, "/stats")[2].split()[-1])


def listeners(port):
    ss = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True, text=True)
    return len(ss.stdout.strip().splitlines())


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


# ---- a listener on every loop ----
srv = Serve({"rule": ALLOW, "proxy_listen": "127.0.0.1:%d" % PX, "workers": 2,
             "proxy_drain_s": 3}, tmp=tmpdir("sg-pxops-a-"))
check(listeners(PX) == 2, "two proxy listeners, one a loop")
N = 40
ok = 0
for _ in range(N):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "-x", "http://127.0.0.1:%d" % PX,
                        "http://203.0.113.10/hello"], capture_output=True)
    ok += r.stdout == b"hello from upstream\n"
check(ok == N, "every proxied request answered: %d of %d" % (ok, N))
body = srv.get("/metrics")[2].decode()
check('ssrfguard_proxy_requests_total{role="default",decision="allow"} %d' % N in body,
      "the metrics sum every loop's proxy requests")
served = {ln.get("loop") for ln in srv.log_lines() if ln.get("event") == "proxy_drained"}
check(served == set(), "no drain before SIGTERM")

# ---- SIGTERM: a bounded drain ----
t = tunnel()
idle = socket.create_connection(("127.0.0.1", PX), timeout=5)
before = upstream_requests()
slow = subprocess.Popen(["curl", "-sS", "--max-time", "15", "-x", "http://127.0.0.1:%d" % PX,
                         "-o", "/dev/null", "-w", "%{http_code}",
                         "http://203.0.113.10/slow?ms=1500"], stdout=subprocess.PIPE)
# the slow request is in progress once the upstream has it (+1: this /stats)
wait_until(lambda: upstream_requests() >= before + 3, "the slow request reached the upstream")
t0 = time.time()
srv.p.send_signal(signal.SIGTERM)
wait_until(lambda: listeners(PX) == 0, "draining: the proxy listeners are closed")
check(refused(PX), "draining: a new proxy connection is refused")
check(closed(idle, 5.0), "draining: an idle proxy connection is closed at once")
check(through(t), "draining: the open tunnel still carries traffic")
code = slow.communicate(timeout=15)[0]
check(code == b"200", "draining: the request in progress finished: %r" % code)
check(closed(t, 12.0), "the tunnel is cut at proxy_drain_s")
cut_after = time.time() - t0
# not before proxy_drain_s; the upper bound leaves room for a loaded machine
check(2.5 <= cut_after <= 10, "... after about proxy_drain_s = 3: %.1f s" % cut_after)
try:
    rc = srv.p.wait(10)
except subprocess.TimeoutExpired:
    rc = None
check(rc == 0, "serve exits 0 after the drain: %r" % rc)
drained = [ln for ln in srv.log_lines() if ln.get("event") == "proxy_drained"]
check(len(drained) == 2 and {d["loop"] for d in drained} == {0, 1},
      "each loop logs its drain: %r" % drained)
check(sum(d["tunnels_cut"] for d in drained) == 1 and
      sum(d["requests_cut"] for d in drained) == 0 and
      sum(d["finished"] for d in drained) >= 1,
      "the log counts the cut tunnel and the finished request: %r" % drained)

# ---- proxy connections in max_connections ----
lim = Serve({"rule": ALLOW, "proxy_listen": "127.0.0.1:%d" % (PX + 1), "workers": 1,
             "max_connections": 3, "proxy_drain_s": 1}, port=5002, tmp=tmpdir("sg-pxops-b-"))
t = tunnel(PX + 1)


# Accepted in the order they connect (one listener's queue, first in first
# out), so each is older than the next in the service's list: no pause needed.
a = socket.create_connection(("127.0.0.1", PX + 1), timeout=5)
b = socket.create_connection(("127.0.0.1", PX + 1), timeout=5)
c = socket.create_connection(("127.0.0.1", PX + 1), timeout=5)  # the 4th: over the limit
check(closed(a, 10.0), "at the limit the oldest idle proxy connection is closed")
check(through(t), "a busy proxy connection (a tunnel) is never the one closed")
st, _, body = lim.get("/healthz")
check(st == 200, "/healthz still answers at the limit: %r" % st)
check(closed(b, 10.0), "... in the place of the next oldest idle proxy connection")
body = lim.get("/metrics")[2].decode()
ev = [ln for ln in body.splitlines() if ln.startswith("ssrfguard_idle_clients_evicted_total")]
check(ev and int(ev[0].split()[1]) >= 2, "evictions counted: %r" % ev)
for s in (t, c):
    s.close()
check(lim.stop() == 0, "lim: clean exit after SIGTERM")
doc = [ln for ln in lim.log_lines() if ln.get("event") == "proxy_drained"]
check(len(doc) == 1, "one loop, one drain line: %r" % doc)

# ---- a busy tunnel still ends at proxy_tunnel_s (its whole life) ----
life = Serve({"rule": ALLOW, "proxy_listen": "127.0.0.1:%d" % (PX + 3), "workers": 1,
              "proxy_tunnel_s": 2}, port=5004, tmp=tmpdir("sg-pxops-d-"))
t = tunnel(PX + 3)
t0 = time.time()
busy = 0
while time.time() - t0 < 15 and through(t):
    busy += 1
    time.sleep(0.3)
lived = time.time() - t0
# not before proxy_tunnel_s, though busy; the upper bound leaves room for load
check(busy >= 2 and 1.5 <= lived <= 10,
      "a tunnel carrying traffic is cut at proxy_tunnel_s = 2: %.1f s, %d exchanges"
      % (lived, busy))
t.close()
check(life.stop() == 0, "life: clean exit after SIGTERM")

# ---- pipelining refusals, never reading: the client is no longer read ----
# Over a Unix socket: its buffers are fixed (TCP on loopback may go on
# taking a little from a peer that reads nothing, which would blur the stop).
pipe_sock = os.path.join(tmpdir("sg-pxops-s-"), "px.sock")
pipe = Serve({"rule": ALLOW, "proxy_listen": "unix:" + pipe_sock, "workers": 1,
              "store_detail_max": 5}, port=5003, tmp=tmpdir("sg-pxops-c-"))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
# a large send buffer (root in the namespace: SO_SNDBUFFORCE): the client can
# queue far more requests than the service may answer ahead of it
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_SNDBUFFORCE", 32), 8 << 20)
s.connect(pipe_sock)
s.settimeout(0.2)
one = b"GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: x\r\n\r\n"
sent = 0
t0 = time.time()
while time.time() - t0 < 3:
    try:
        sent += s.send(one * 200)
    except socket.timeout:
        pass


def blocked_count(srv):
    body = srv.get("/metrics")[2].decode()
    ln = [x for x in body.splitlines()
          if x.startswith('ssrfguard_proxy_requests_total{role="default",decision="block"}')]
    return int(ln[0].split()[1]) if ln else -1


# Once the kernel's buffers toward the client are full, about PX_HIGH_WATER
# more waits in the service and nothing more is read: the count stops (it
# would go on to every request sent, answers piling up, if the client were
# read on).
counts = [blocked_count(pipe)]
t0 = time.time()
while time.time() - t0 < 20 and (len(counts) < 3 or counts[-1] != counts[-3]):
    time.sleep(0.5)
    counts.append(blocked_count(pipe))
held = counts[-1]
check(len(counts) >= 3 and counts[-1] == counts[-3],
      "no more requests of the client are read while it does not read: %r" % counts[-6:])
check(0 < held < sent // len(one) // 2, "answers held for it: %d refusals, of %d sent"
      % (held, sent // len(one)))
s.settimeout(10)
got = b""
t0 = time.time()
while got.count(b"HTTP/1.1 403") < held + 100 and time.time() - t0 < 20:
    try:
        d = s.recv(1 << 20)
    except socket.timeout:
        break
    if not d:
        break
    got += d
check(got.count(b"HTTP/1.1 403") >= held + 100,
      "once it reads, its pipelined requests are read and answered on: %d answers"
      % got.count(b"HTTP/1.1 403"))
s.close()
check(pipe.stop() == 0, "pipe: clean exit after SIGTERM")
up.stop()
finish()
