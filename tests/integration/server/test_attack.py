"""test_attack.py — `ssrfguard serve` stays up and keeps its evidence when
attacked (issue 11, "Availability under attack"), inside tests/netns-run.

Descriptors run out, pipelining slow readers, slow readers of big answers,
clients that leave mid-fetch, the service fetching itself (its own listener,
a request it sent coming back), upstream 1xx framing, conflicting
Content-Length, long binary headers in the evidence.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, http_get, parse_response,  # noqa: E402
                     quote, require_netns, send_raw, serve_raw)

require_netns()

UP = "203.0.113.10"
RULES = ["allow 203.0.113.0/24"]
up = Upstream(UP + ":80")


def rss_kb(p):
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(p):
    with open("/proc/%d/stat" % p.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw(port, data, timeout=3.0, source=None):
    return send_raw(port, data, timeout, source)


def healthz_ok(port, tries=5, timeout=2.0):
    for _ in range(tries):
        try:
            st, _, body = http_get("127.0.0.1", port, "/healthz", timeout=timeout)
            if st == 200:
                return True
        except OSError:
            pass
    return False


# ---- descriptors run out -----------------------------------------------------
# 256 descriptors in all; 600 idle clients.  The service must neither spin nor
# flood its log, and /healthz must keep answering.
fd = Serve({"rule": RULES, "max_concurrent": 16}, port=5011, start=False)
fd.args = ["prlimit", "--nofile=256:256", *fd.args]
fd.start()
idle = []
for i in range(600):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", 5011))
    except BlockingIOError:
        pass
    idle.append(c)
time.sleep(0.5)
t0 = cpu_s(fd.p)
time.sleep(2.0)
busy = cpu_s(fd.p) - t0
check(busy < 0.6, "600 idle clients at a 256-descriptor limit: no spinning (%.2f s CPU in 2 s)"
      % busy)
t = time.time()
check(healthz_ok(5011), "/healthz answers while 600 idle clients hold the service")
check(time.time() - t < 5, "/healthz answered in %.1f s" % (time.time() - t))
st, _, body = http_get("127.0.0.1", 5011, "/metrics")
m = {ln.split()[0]: float(ln.split()[1]) for ln in body.decode().splitlines()
     if ln and not ln.startswith("#")}
limit = m.get("ssrfguard_client_connections_limit", 0)
check(0 < limit < 256, "the connection limit is below the descriptor limit: %r" % limit)
check(m.get("ssrfguard_client_connections", 1e9) <= limit + 64,
      "connections held within the limit: %r" % m.get("ssrfguard_client_connections"))
check(m.get("ssrfguard_idle_clients_evicted_total", 0) > 0, "idle clients evicted for room")
for c in idle:
    c.close()
check(fd.stop() == 0, "drained and exited 0 after the idle clients")
size = os.path.getsize(fd.log)
stderr = fd.p.stderr.read()
check(size < 64 * 1024 and len(stderr) < 4096,
      "nothing logged per failed accept (log %d bytes, stderr %d bytes)" % (size, len(stderr)))
check(b"Error from accept" not in stderr, "no libevent accept warnings: %r" % stderr[:200])

# One Serve for the rest.
srv = Serve({"rule": RULES, "max_concurrent": 2, "max_body": 16 << 20,
             "max_reply_bytes": 24 << 20, "max_request_bytes": 16384,
             "total_timeout_ms": 8000, "proxy_listen": "127.0.0.1:3128"})

# ---- pipelining while reading slowly -----------------------------------------
base = rss_kb(srv.p)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", 5001))
s.settimeout(0.2)
req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 2000
sent = 0
t = time.time()
while time.time() - t < 3:
    try:
        sent += s.send(req)
    except socket.timeout:
        pass
grown = rss_kb(srv.p) - base
check(sent < 32 << 20, "a pipelining client that does not read is not read either (%d MB taken)"
      % (sent >> 20))
check(grown < 32 << 10, "memory bounded under pipelining: +%d MB" % (grown >> 10))
s.close()
check(healthz_ok(5001), "/healthz after the pipelining client")

# ---- slow readers of big answers: one budget for all -------------------------
base = rss_kb(srv.p)
slow = []
for i in range(6):
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.connect(("127.0.0.1", 5001))
    c.sendall(("GET /go?url=%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
               % quote("http://%s/big?n=12000000" % UP)).encode())
    slow.append(c)
time.sleep(4)
grown = rss_kb(srv.p) - base
check(grown < 60 << 10, "6 slow readers of 12 MB answers hold +%d MB (budget 24 MiB)"
      % (grown >> 10))
codes = []
for c in slow:
    c.settimeout(20)
    data = b""
    try:
        while True:
            d = c.recv(1 << 20)
            if not d:
                break
            data += d
    except socket.timeout:
        pass
    c.close()
    codes.append(parse_response(data)[0])
check(503 in codes and 200 in codes, "over the budget: 503, within it: 200: %r" % codes)

# ---- a client that leaves mid-fetch frees its slot ---------------------------
for i in range(2):  # max_concurrent = 2
    c = socket.create_connection(("127.0.0.1", 5001))
    c.sendall(("GET /go?url=%s HTTP/1.1\r\nHost: x\r\n\r\n"
               % quote("http://%s/slow?ms=6000" % UP)).encode())
    time.sleep(0.1)
    c.close()
t = time.time()
st, _, body = srv.go("http://%s/hello" % UP, timeout=10)
check(st == 200 and time.time() - t < 2,
      "abandoned fetches cancelled: the next one ran at once (%r after %.1f s)"
      % (st, time.time() - t))
time.sleep(0.3)
gone = [ln for ln in srv.log_lines() if ln.get("decision") == "client_gone"]
check(len(gone) == 2 and all(ln["status"] == 499 for ln in gone),
      "each abandoned fetch logged as client_gone: %r" % gone)

# ---- framing -------------------------------------------------------------------
out = raw(5001, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
          b"Content-Length: 26\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n")
check(out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 400"),
      "conflicting Content-Length: one 400, never two requests: %r" % out[:120])
out = raw(5001, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n"
          b"Transfer-Encoding: chunked\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n")
check(out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 400"),
      "Content-Length with Transfer-Encoding: one 400: %r" % out[:120])
out = raw(5001, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
          b"Content-Length: 5\r\nConnection: close\r\n\r\nhello")
check(out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 200"),
      "the same Content-Length twice is one request: %r" % out[:120])


serve_raw(("203.0.113.11", 8101), b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\n"
          b"Connection: Upgrade\r\n\r\nRAW STREAM AFTER THE SWITCH", linger=0.3)
serve_raw(("203.0.113.11", 8102), b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n"
          b"Content-Length: 5\r\n\r\nhello", linger=0.3)
st, _, body = srv.go("http://203.0.113.11:8101/")
check(st == 502 and b"RAW STREAM" not in body, "upstream 101: 502, stream not passed: %r %r"
      % (st, body[:100]))
st, _, body = srv.go("http://203.0.113.11:8102/")
check(st == 502, "upstream 1xx other than 100: 502: %r %r" % (st, body[:100]))

# ---- the service fetching itself ----------------------------------------------
wild = Serve({"rule": RULES, "listen": "0.0.0.0:5012"}, port=5012)
for host in ("203.0.113.12", "203.0.113.19"):
    st, _, body = wild.go("http://%s:5012/healthz" % host)
    check(st == 403, "a wildcard listener's own port on %s is refused: %r %r"
          % (host, st, body[:100]))
rows = wild.sql("SELECT rule FROM attempts")
check(len(rows) == 2 and all(r[0] == "self:listener" for r in rows),
      "each refusal recorded with rule self:listener: %r" % rows)
st, _, body = wild.go("http://%s/hello" % UP)
check(st == 200, "other ports of local addresses still fetched: %r" % st)
check(wild.stop() == 0, "wildcard service exits 0")

st, _, body = srv.go("http://%s/headers" % UP)
via = [ln.split(":", 1)[1].strip() for ln in body.decode().splitlines()
       if ln.lower().startswith("via:")]
check(len(via) == 1 and "ssrfguard-" in via[0], "outbound requests carry a Via mark: %r" % via)
if via:
    st, _, body = srv.get("/go?url=" + quote("http://%s/hello" % UP), headers={"Via": via[0]})
    check(st == 508, "a request the service sent, come back: 508: %r %r" % (st, body[:100]))
    st, _, _ = srv.get("/healthz", headers={"Via": "1.1 ssrfguard-0000000000000000"})
    check(st == 200, "another instance's Via mark is no loop: %r" % st)

# ---- evidence: each header cut on its own -------------------------------------
junk = bytes(c for c in range(1, 32) if c not in (10, 13)) * 100 + "é".encode() * 300
h = ("GET /go?url=%s HTTP/1.1\r\nHost: x\r\nUser-Agent: " % quote("http://169.254.169.254/")
     ).encode() + junk + b"\r\nReferer: " + junk + b"\r\nAccept: " + junk + \
    b"\r\nX-Forwarded-For: 198.51.100.7, 10.1.2.3\r\nConnection: close\r\n\r\n"
out = raw(5001, h, timeout=10, source="203.0.113.15")
check(out.startswith(b"HTTP/1.1 403"), "blocked with long binary headers: %r" % out[:80])
rows = srv.sql("SELECT headers FROM attempts WHERE client = '203.0.113.15'")
check(len(rows) == 1, "one attempt recorded: %r" % len(rows))
if rows:
    hs = json.loads(rows[0][0])
    check(hs.get("X-Forwarded-For") == "198.51.100.7, 10.1.2.3",
          "forwarding header kept whole: %r" % hs.get("X-Forwarded-For"))
    check(all(hs.get(k, "").endswith("...") for k in ("User-Agent", "Referer", "Accept")),
          "each long header cut on its own, marked: %r" % {k: len(v) for k, v in hs.items()})
    check("truncated" not in hs, "no whole-object truncation: %r" % list(hs))

# ---- evidence: the address a balancer appended survives -----------------------
# A balancer appends the peer it saw at the end of X-Forwarded-For, or adds a
# field of its own; X-Real-IP is set (a second one: the balancer's).  That last
# entry is the only record of the attacker behind it, whatever the attacker
# wrote before it.  The same for /go and the egress proxy.
REAL = "198.51.100.23"
padded = "1.1.1.1, " * 70 + REAL  # 643 bytes: over the cap
forwarded = [("two X-Forwarded-For fields",
              [("X-Forwarded-For", "10.9.9.9"), ("X-Forwarded-For", REAL)],
              lambda v: v == "10.9.9.9, " + REAL),
             ("a padded X-Forwarded-For",
              [("X-Forwarded-For", padded)],
              lambda v: v.startswith("1.1.1.1, ") and v.endswith(", " + REAL) and
              "..." in v and len(v) <= 515),
             ("a padded first field and a second",
              [("X-Forwarded-For", padded), ("X-Forwarded-For", "203.0.113.99")],
              lambda v: v.endswith(REAL + ", 203.0.113.99") and "..." in v)]
for route, port, line in (("/go", 5001, "GET /go?url=%s HTTP/1.1\r\nHost: x\r\n"
                           % quote("http://169.254.169.254/")),
                          ("proxy", 3128, "GET http://169.254.169.254/ HTTP/1.1\r\n")):
    for i, (what, fields, ok) in enumerate(forwarded):
        src = "127.0.1.%d" % (10 + i + (10 if route == "proxy" else 0))
        extra = "X-Real-IP: 10.8.8.8\r\nX-Real-IP: %s\r\n" % REAL if i == 0 else ""
        head = line + "".join("%s: %s\r\n" % f for f in fields) + extra + \
            "Connection: close\r\n\r\n"
        out = raw(port, head.encode(), source=src)
        check(out.startswith(b"HTTP/1.1 403"), "%s, %s: blocked: %r" % (route, what, out[:60]))
        rows = srv.sql("SELECT headers FROM attempts WHERE client = ?", src)
        hs = json.loads(rows[0][0]) if rows else {}
        check(ok(hs.get("X-Forwarded-For", "")), "%s, %s: the last entry kept: %r"
              % (route, what, hs.get("X-Forwarded-For")))
        if extra:
            check(hs.get("X-Real-IP") == REAL, "%s: the last X-Real-IP kept: %r"
                  % (route, hs.get("X-Real-IP")))

check(srv.stop() == 0, "service exits 0 after the attacks")

# ---- evidence and disk: repeated attempts aggregated, store and log capped ----
cap = Serve({"rule": RULES, "store_sync": "normal", "store_detail_max": 5,
             "store_max_bytes": 400000, "log_max_bytes": 100000}, port=5013)
long_url = "http://169.254.169.254/latest/meta-data/?" + "a" * 7800
for i in range(150):
    st, _, body = cap.go(long_url, source="203.0.113.16")
    if st != 403:
        check(False, "repeated attempt %d answered 403: %r %r" % (i, st, body[:100]))
        break
rows = cap.sql("SELECT attempts, (SELECT count(*) FROM attempts a WHERE a.incident_id = i.id) "
               "FROM incidents i WHERE source = '203.0.113.16'")
check(rows == [(150, 5)], "150 attempts of one source: all counted, 5 stored in detail: %r"
      % rows)
st, _, body = cap.get("/healthz")
check(st == 200 and json.loads(body)["status"] == "ok", "store below its cap: ok: %r" % body)
statuses = []
for i in range(2, 80):  # distinct sources: each opens its own incident
    st, _, body = cap.go(long_url, source="127.0.0.%d" % i)
    statuses.append((st, json.loads(body).get("incident") if st == 403 else None))
check(all(st == 403 and inc for st, inc in statuses),
      "every attempt past the cap still blocked naming its incident: %r"
      % [x for x in statuses if x[0] != 403 or not x[1]][:3])
n_inc = cap.sql("SELECT count(*) FROM incidents")[0][0]
check(n_inc == 79, "every source has its incident: %d" % n_inc)
size = cap.sql("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")[0][0]
check(size < 400000 + 64 * 1024, "the store stops growing at its cap: %d bytes" % size)
st, _, body = cap.get("/healthz")
h = json.loads(body)
check(st == 200 and h["status"] == "degraded" and h.get("warnings"),
      "/healthz says the store is at its cap: %r" % body)
st, _, body = cap.get("/metrics")
check(b"ssrfguard_store_near_cap 2" in body, "metrics say the store is at its cap")
check(b"ssrfguard_attempts_aggregated_total 0" not in body, "aggregated attempts counted")
check(cap.stop() == 0, "capped service exits 0")
logs = [cap.log, cap.log + ".1"]
sizes = [os.path.getsize(x) if os.path.exists(x) else -1 for x in logs]
check(sizes[1] > 0 and all(x < 100000 + 70000 for x in sizes),
      "the log rotates at log_max_bytes: %r" % sizes)

finish()
