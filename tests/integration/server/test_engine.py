"""test_engine.py — what serve's own HTTP engine (src/server/front.c on the
listener, src/server/gofetch.c for http:// hops) must do beyond what
test_serve.py already asks, inside tests/netns-run:

- a chunked upstream answer is decoded whole, byte for byte, and an answer
  that ends when the upstream closes is passed on whole;
- pipelined requests on one connection are answered in order, each once,
  and without Nagle's wait (TCP_NODELAY): the second of two pipelined
  answers is not held until the client acknowledges the first (40 ms);
- HTTP/1.0 keep-alive is kept alive (and said so), HTTP/1.0 without it is
  closed; a client that expects 100 Continue gets it;
- a request head over max_request_bytes gets its 413, readable by a client
  still sending (no reset before the answer);
- a blocked request's evidence keeps its request line whole (a fragment
  included) and the /go answer's headers are the service's own;
- an upstream answer head with bare LF line ends, or a response with two
  different Content-Lengths, is refused with 502 (no incident);
- a kept upstream connection is used again (one upstream connection for
  many fetches) and a 404 from the upstream is passed on.
"""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, quote, require_netns,  # noqa: E402
                     send_raw, serve_raw)

require_netns()

UP = "203.0.113.10"
up = Upstream(UP + ":80")
srv = Serve({"rule": ["allow 203.0.113.0/24"], "max_body": 4 << 20, "max_request_bytes": 4096,
             "workers": 1})


def go_path(url):
    return "/go?url=" + quote(url)


# ---- answers decoded whole --------------------------------------------------
st, h, body = srv.go("http://%s/big?n=1000000&chunked=1" % UP)
check(st == 200 and body == b"x" * 1000000, "chunked answer decoded whole: %r %d" % (st, len(body)))
check(h.get("content-length") == "1000000", "passed on with its length: %r" % h.get("content-length"))


serve_raw(("203.0.113.11", 8201), b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
          b"until the upstream closes")
serve_raw(("203.0.113.11", 8202), b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi")
serve_raw(("203.0.113.11", 8203), b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
          b"Content-Length: 20\r\n\r\nhi")
time.sleep(0.2)
st, _, body = srv.go("http://203.0.113.11:8201/")
check(st == 200 and body == b"until the upstream closes", "read until close: %r %r" % (st, body))
for port, what in ((8202, "bare LF line ends"), (8203, "two Content-Lengths")):
    st, _, body = srv.go("http://203.0.113.11:%d/" % port)
    check(st == 502, "upstream answer with %s: 502: %r %r" % (what, st, body[:120]))
check(srv.sql("SELECT count(*) FROM attempts")[0][0] == 0, "no incident for bad upstream answers")

# ---- pipelining and keep-alive -------------------------------------------------
reqs = b"".join(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p).encode()
                for p in (go_path("http://%s/hello" % UP), "/healthz", go_path("http://%s/nope" % UP)))
out = send_raw(srv.port, reqs + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
codes = [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) [A-Za-z ]+\r\nDate:", out)]
check(codes == [200, 200, 404, 200], "pipelined requests answered in order, once each: %r" % codes)
out = send_raw(srv.port, b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", timeout=1.5)
check(out.startswith(b"HTTP/1.1 200") and b"Connection: keep-alive" in out and
      out.endswith(b"<timeout>"), "HTTP/1.0 keep-alive kept: %r" % out[-80:])
out = send_raw(srv.port, b"GET /healthz HTTP/1.0\r\n\r\n", timeout=3)
check(out.startswith(b"HTTP/1.1 200") and not out.endswith(b"<timeout>"),
      "HTTP/1.0 without keep-alive closed: %r" % out[-60:])

# ---- Expect: 100-continue: the client waiting to send its body is told to -------
s = socket.create_connection(("127.0.0.1", srv.port))
s.settimeout(3)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
          b"Connection: close\r\n\r\n")
first = s.recv(100)
check(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), "100 Continue first: %r" % first)
s.sendall(b"hello")
data = first
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
s.close()
check(b"HTTP/1.1 200 OK" in data, "then the answer: %r" % data[:160])

# ---- a head too large: the 413 reaches a client still sending ----------------
s = socket.create_connection(("127.0.0.1", srv.port))
s.settimeout(5)
s.sendall(b"GET /go?url=" + b"a" * 6000)
time.sleep(0.3)
try:
    s.sendall(b"b" * 20000 + b" HTTP/1.1\r\n\r\n")
except OSError:
    pass
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except OSError as e:
    data += b"<%s>" % type(e).__name__.encode()
s.close()
check(data.startswith(b"HTTP/1.1 413"), "413 for a head over max_request_bytes, read whole: %r"
      % data[:80])

# ---- evidence and answer headers ---------------------------------------------------
raw = ("GET %s#frag HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
       % go_path("http://169.254.169.254/latest/")).encode()
out = send_raw(srv.port, raw, source="203.0.113.17")
check(out.startswith(b"HTTP/1.1 403"), "blocked: %r" % out[:60])
rows = srv.sql("SELECT request FROM attempts WHERE client = '203.0.113.17'")
check(len(rows) == 1 and rows[0][0].endswith("#frag HTTP/1.1") and "\\x00" not in rows[0][0],
      "the request line kept whole as evidence: %r" % rows)
st, h, body = srv.go("http://%s/hello" % UP)
check(st == 200 and h.get("content-security-policy") == "sandbox" and
      h.get("x-content-type-options") == "nosniff" and h.get("cache-control") == "no-store" and
      "date" in h, "the service's own headers on a fetched answer: %r" % h)

# ---- kept upstream connections --------------------------------------------------------
_, _, c0 = srv.go("http://%s/stats?conns=1" % UP)
for _ in range(30):
    srv.go("http://%s/hello" % UP)
_, _, c1 = srv.go("http://%s/stats?conns=1" % UP)
check(int(c1.split()[-1]) - int(c0.split()[-1]) <= 1,
      "one kept upstream connection for 31 fetches: %r -> %r" % (c0, c1))
st, _, _ = srv.go("http://%s/nope" % UP)
check(st == 404, "upstream 404 passed on: %r" % st)


def pipelined_rounds(port, req, rounds=30):
    """Rounds of two pipelined requests on one connection; each round's ms."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    times = []
    for _ in range(rounds):
        t = time.time()
        s.sendall(req * 2)
        got = b""
        while got.count(b"HTTP/1.1 200") < 2 or not got.endswith(b"}\n"):
            b = s.recv(65536)
            if not b:
                break
            got += b
        times.append((time.time() - t) * 1000)
    s.close()
    return sorted(times)


ms = pipelined_rounds(srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
check(ms[len(ms) // 2] < 20, "two pipelined answers are not held back by Nagle's algorithm "
      "(median round %.1f ms; about 44 ms without TCP_NODELAY)" % ms[len(ms) // 2])
lines = [ln for ln in srv.log_lines() if ln.get("event") == "request"]
check(lines and all({"status", "ms", "bytes", "decision", "hops", "url", "client"} <= set(ln)
                    for ln in lines), "request log lines complete: %r" % lines[-1:])
check(srv.stop() == 0, "exits 0")
finish()
