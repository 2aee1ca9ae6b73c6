"""test_serve.py — `ssrfguard serve` end to end, inside tests/netns-run.

Allowed fetches, every attack class blocked with its incident, redirects
judged hop by hop, credentials across origins, proxy variables ignored,
limits (size, time, headers) -> 502/504, the 403 in JSON and HTML without
echoing input, incident joining and severities, malformed HTTP, /healthz,
/metrics, logs, SIGTERM draining.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, require_netns,  # noqa: E402
                     send_raw, spawn, wait_port)
import corpus  # noqa: E402

require_netns()

UP = "203.0.113.10"
UP2 = "203.0.113.11"
up = Upstream(UP + ":80", UP2 + ":80", "[2001:db8::10]:80")

RULES = ["allow 203.0.113.0/24", "allow 2001:db8::/32"]
srv = Serve({"rule": RULES, "max_body": 1048576, "total_timeout_ms": 1500, "store_busy_ms": 300,
             "max_header_bytes": 16384, "max_redirects": 3, "client_timeout_s": 3},
            env={"http_proxy": "http://203.0.113.19:9", "HTTP_PROXY": "http://203.0.113.19:9",
                 "https_proxy": "http://203.0.113.19:9", "ALL_PROXY": "http://203.0.113.19:9"})

# ---- allowed fetches -------------------------------------------------------
st, h, body = srv.go("http://%s/hello" % UP)
check(st == 200 and body == b"hello from upstream\n", "allowed fetch: %r %r" % (st, body))
check(h.get("content-type") == "text/plain", "upstream content type passed on: %r" % h)
check(h.get("content-security-policy") == "sandbox", "fetched content is sandboxed")
st, _, body = srv.go("http://[2001:db8::10]/hello")
check(st == 200 and body == b"hello from upstream\n", "allowed IPv6 fetch: %r" % st)
st, _, body = srv.go("http://%s/nope" % UP)
check(st == 404, "upstream status passed on: %r" % st)
st, _, body = srv.go("http://%s/redirect?to=/hello" % UP)
check(st == 200 and body == b"hello from upstream\n", "relative redirect followed: %r" % st)
st, _, body = srv.go("http://%s/redirect?to=http://%s/hello&code=307" % (UP, UP2))
check(st == 200, "cross-origin 307 to an allowed host followed: %r" % st)
check(srv.sql("SELECT count(*) FROM attempts")[0][0] == 0, "no incident for allowed fetches")
_, _, c0 = srv.go("http://%s/stats?conns=1" % UP2)
for i in range(20):
    srv.go("http://%s/hello" % UP2)
_, _, c1 = srv.go("http://%s/stats?conns=1" % UP2)
n0, n1 = int(c0.split()[-1]), int(c1.split()[-1])
check(n1 - n0 <= 1, "upstream connections reused across requests: %d new for 21 fetches" % (n1 - n0))

# ---- every attack class: 403, incident committed, evidence ----------------
n_before = 0
for url, cat in corpus.ATTACKS:
    st, h, body = srv.go(url, source="203.0.113.12")
    ok = check(st == 403, "attack %r answered %r %r" % (url, st, body[:200]))
    if not ok:
        continue
    doc = json.loads(body)
    inc = doc.get("incident")
    rows = srv.sql("SELECT category, url, hop, client, instance_id, region, az FROM attempts "
                   "WHERE incident_id = ? ORDER BY id DESC LIMIT 1", inc)
    check(rows and rows[0][0] == cat, "attack %r: category %r, want %r" % (url, rows, cat))
    check(rows and rows[0][3] == "203.0.113.12", "attempt records the client address")
    check(rows and rows[0][4:] == ("i-0123456789abcdef0", "us-east-1", "us-east-1a"),
          "attempt records the instance identity: %r" % (rows,))
    check(doc.get("category") == cat, "403 names the category for %r" % url)
n_attacks = srv.sql("SELECT count(*) FROM attempts WHERE client = '203.0.113.12'")[0][0]
check(n_attacks == len(corpus.ATTACKS), "every attack has its attempt: %d of %d"
      % (n_attacks, len(corpus.ATTACKS)))
incs = srv.sql("SELECT id, state, attempts FROM incidents WHERE source = '203.0.113.12'")
check(len(incs) == 1 and incs[0][2] == len(corpus.ATTACKS),
      "repeated attempts by one source join one incident: %r" % incs)
check(incs and incs[0][1] == "open", "metadata attempts ask for containment: %r" % incs)

# ---- severities: non-metadata only logs; metadata escalates ---------------
st, _, body = srv.go("http://127.0.0.1:22/", source="203.0.113.13")
doc = json.loads(body)
check(st == 403 and "blocked and logged" in doc["message"], "loopback is blocked and logged")
inc = doc["incident"]
check(srv.sql("SELECT state FROM incidents WHERE id = ?", inc) == [("logged",)],
      "a loopback attempt opens a logged incident")
st, _, body = srv.go("http://169.254.169.254/latest/meta-data/", source="203.0.113.13")
doc = json.loads(body)
check(doc["incident"] == inc and "containment queued" in doc["message"], "escalation joins")
check(srv.sql("SELECT state FROM incidents WHERE id = ?", inc) == [("open",)],
      "a metadata attempt escalates the logged incident to open")
hist = srv.sql("SELECT from_s, to_s FROM history WHERE incident_id = ? ORDER BY id", inc)
check(hist == [("", "logged"), ("logged", "open")], "escalation is in the history: %r" % hist)

# ---- redirects judged at every hop ---------------------------------------
for target, cat in [("http://169.254.169.254/latest/meta-data/iam/", "metadata"),
                    ("http://[::ffff:a9fe:a9fe]/", "metadata"),
                    ("http://127.0.0.1:5001/healthz", "loopback"),
                    ("file:///etc/passwd", "scheme"),
                    ("gopher://203.0.113.10:70/_x", "scheme")]:
    st, _, body = srv.go("http://%s/redirect?to=%s" % (UP, target), source="203.0.113.14")
    ok = check(st == 403, "redirect to %r blocked: %r %r" % (target, st, body[:120]))
    if ok:
        inc = json.loads(body)["incident"]
        row = srv.sql("SELECT hop, category FROM attempts WHERE incident_id = ? "
                      "ORDER BY id DESC LIMIT 1", inc)
        check(row == [(1, cat)], "redirect to %r: blocked at hop 1 as %s: %r" % (target, cat, row))
# two allowed hops, then the metadata service at hop 3
chain = "http://%s/redirect?to=http://%s/redirect%%3Fto=http://169.254.169.254/" % (UP, UP2)
st, _, body = srv.go(chain, source="203.0.113.14")
check(st == 403, "chained redirect blocked")
row = srv.sql("SELECT hop FROM attempts WHERE client = '203.0.113.14' ORDER BY id DESC LIMIT 1")
check(row == [(2,)], "chained redirect blocked at hop 2: %r" % row)
loop = "http://%s/redirect?to=/redirect%%3Fto=/redirect%%253Fto=/redirect%%25253Fto=/hello" % UP
st, _, body = srv.go(loop)
check(st == 502 and b"too many redirects" in body, "more than max_redirects: 502 %r" % body)

# ---- credentials and cookies --------------------------------------------
st, _, body = srv.go("http://user:secret@%s/headers" % UP, headers={"Cookie": "session=abc",
                                                               "Authorization": "Bearer t"})
check(st == 200 and b"Authorization: Basic" in body, "URL credentials sent to their origin")
check(b"session=abc" not in body and b"Bearer" not in body,
      "client cookies/authorization never forwarded: %r" % body)
st, _, body = srv.go("http://user:secret@%s/redirect?to=http://%s/headers" % (UP, UP2))
check(st == 200 and b"Authorization" not in body, "credentials dropped across origins: %r" % body)
st, _, body = srv.go("http://user:secret@%s/redirect?to=/headers" % UP)
check(st == 200 and b"Authorization: Basic" in body, "credentials kept on the same origin")

# proxy variables were set for the service: the fetches above went direct.
st, _, body = srv.go("http://%s/hello" % UP2)
check(st == 200, "proxy environment ignored: %r %r" % (st, body[:100]))

# ---- limits -> 502 / 504 -------------------------------------------------
t = time.time()
st, _, body = srv.go("http://%s/big?n=5000000" % UP)
check(st == 502 and b"larger than 1048576" in body, "oversized (Content-Length): %r %r" % (st, body))
st, _, body = srv.go("http://%s/big?n=5000000&chunked=1" % UP)
check(st == 502 and b"larger than 1048576" in body, "oversized (chunked): %r %r" % (st, body))
st, _, body = srv.go("http://%s/big?n=1048576" % UP)
check(st == 200 and len(body) == 1048576, "exactly max_body passes: %r %d" % (st, len(body)))
st, _, body = srv.go("http://%s/bighdr?n=100000" % UP)
check(st == 502 and b"headers larger" in body, "oversized headers: %r %r" % (st, body))
t = time.time()
st, _, body = srv.go("http://%s/slow?ms=5000" % UP)
el = time.time() - t
check(st == 504 and 1.2 < el < 3.5, "slow upstream: 504 after total_timeout: %r %.2fs" % (st, el))
t = time.time()
st, _, body = srv.go("http://%s/drip?ms=200" % UP)
el = time.time() - t
check(st == 504 and el < 3.5, "dripping upstream: 504: %r %.2fs" % (st, el))
st, _, body = srv.go("http://203.0.113.99/")
check(st == 502, "unreachable upstream: 502: %r %r" % (st, body))
st, _, body = srv.go("http://%s:1/" % UP)
check(st == 502 and b"connect" in body, "refused upstream: 502: %r %r" % (st, body))

# ---- TLS is verified ------------------------------------------------------
tls = os.path.join(srv.tmp, "tls")
os.makedirs(tls)
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=203.0.113.15", "-addext", "subjectAltName=IP:203.0.113.15",
                "-keyout", tls + "/key.pem", "-out", tls + "/cert.pem"],
               check=True, capture_output=True)
tls_srv = spawn(["/usr/bin/python3", "-c", """
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header('Content-Type','text/plain'); self.end_headers()
        self.wfile.write(b'tls hello\\n')
    def log_message(self, *a): pass
s = http.server.HTTPServer(('203.0.113.15', 443), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()
""", tls + "/cert.pem", tls + "/key.pem"])
wait_port("203.0.113.15", 443)
st, _, body = srv.go("https://203.0.113.15/")
check(st == 502 and b"TLS" in body, "unverifiable TLS upstream refused: %r %r" % (st, body))

# ---- an upstream that closes idle keep-alive connections ---------------------
# The service parks an idle upstream socket's event instead of dropping it;
# when the upstream hangs up, the parked socket must leave epoll (no busy
# loop) and the next fetch must open a fresh connection (no hang).
idle_srv = spawn(["/usr/bin/python3", "-c", """
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    timeout = 0.3  # hang up on a connection idle this long
    def do_GET(self):
        self.send_response(200); self.send_header('Content-Type','text/plain')
        self.send_header('Content-Length','11'); self.end_headers()
        self.wfile.write(b'idle hello\\n')
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(('203.0.113.16', 80), H).serve_forever()
"""])
wait_port("203.0.113.16", 80)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


for round_ in range(3):
    t = time.monotonic()
    st, _, body = srv.go("http://203.0.113.16/idle")
    check(st == 200 and body == b"idle hello\n" and time.monotonic() - t < 1.0,
          "fetch %d from an upstream that hangs up idle connections: %r %r" % (round_, st, body))
    time.sleep(0.6)  # the upstream closes the idle connection
c0 = cpu_seconds(srv.p.pid)
time.sleep(1.0)
spent = cpu_seconds(srv.p.pid) - c0
check(spent < 0.2, "no busy loop on a hung-up idle upstream connection: %.2f CPU s in 1 s" % spent)
idle_srv.kill()
idle_srv.wait()

# ---- the 403 page never echoes input; HTML by Accept ----------------------
evil = "http://169.254.169.254/<script>alert(1)</script>\"'&"
st, h, body = srv.go(evil, headers={"Accept": "text/html,application/xhtml+xml"})
check(st == 403 and h.get("content-type", "").startswith("text/html"), "HTML alert by Accept")
check(b"<script>" not in body and b"alert(1)" not in body, "HTML alert echoes no input")
check(b"containment queued" in body and b"incident <strong>#" in body, "HTML names incident")
st, h, body = srv.go(evil, headers={"Accept": "application/json"})
check(st == 403 and h.get("content-type") == "application/json", "JSON for API clients")
check(b"<script>" not in body, "JSON alert echoes no input")

# ---- bad requests -----------------------------------------------------------
for path, what in [("/go", "missing url"), ("/go?url=", "empty url"),
                   ("/go?url=http://a/&url=http://b/", "repeated url"),
                   ("/go?url=http%3A%2F%2F203.0.113.10%00.evil/", "NUL byte"),
                   ("/go?url=http%3A%2F%2F%5B%3A%3A1", "unparsable url"),
                   ("/go?url=" + "a" * 30000, "huge url")]:
    st, _, body = srv.get(path)
    check(st in (400, 413, 414), "%s: 4xx, got %r %r" % (what, st, body[:100]))


def raw(data, read=True):
    return send_raw(srv.port, data, read=read)


for data, what in [(b"BLAH\r\n\r\n", "garbage request line"),
                   (b"GET / HTTP/9.9\r\n\r\n", "bad version"),
                   (b"GET /go?url=x HTTP/1.1\r\nHost: a\r\nX: " + b"y" * 20000 + b"\r\n\r\n",
                    "oversized headers"),
                   (b"GET /go HTTP/1.1\r\nHost\r\n\r\n", "header without colon"),
                   (b"\x00\xff\xfe\r\n\r\n", "binary junk"),
                   (b"POST /go?url=http://203.0.113.10/hello HTTP/1.1\r\nHost: a\r\n"
                    b"Content-Length: 99999999\r\n\r\n", "huge body")]:
    out = raw(data)
    check(b"<timeout>" not in out and (out == b"" or out.startswith(b"HTTP/1.")) and
          b" 200 " not in out[:20], "%s: refused or closed, got %r" % (what, out[:80]))
st, _, _ = srv.get("/healthz")
check(st == 200, "still healthy after malformed input")

# ---- slow-loris ---------------------------------------------------------------
loris = []
t_loris = time.time()
for i in range(200):
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"GET /go?url=http://203.0.113.10/hello HTTP/1.1\r\nHost: x\r\n")
    loris.append(s)
t = time.time()
st, _, body = srv.go("http://%s/hello" % UP)
check(st == 200 and time.time() - t < 1.0, "served while 200 slow-loris clients hang")
# each one dropped: wait for it (until client_timeout_s and some), no longer
deadline = time.time() + 10
closed, first_after = 0, None
for s in loris:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        got = s.recv(100)
        if got == b"" or got.startswith(b"HTTP/1.1 408"):
            closed += 1
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
    if first_after is None:
        first_after = time.time() - t_loris
    s.close()
check(closed == 200, "slow-loris clients dropped after client_timeout_s: %d/200" % closed)
check(first_after >= 2.5, "... not before client_timeout_s (3 s): the first after %.1f s" % first_after)

# A trickling client (one byte every 0.4 s resets any idle timer) still has
# to deliver its request head within client_timeout_s (3 s here).
trickle = socket.create_connection(("127.0.0.1", srv.port))
head = b"GET /go?url=http://203.0.113.10/hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
t = time.time()
dropped_after = None
for i in range(len(head)):
    try:
        trickle.sendall(head[i:i + 1])
        trickle.settimeout(0.4)
        if trickle.recv(100) == b"":
            dropped_after = time.time() - t
            break
    except socket.timeout:
        continue
    except (BrokenPipeError, ConnectionResetError):
        dropped_after = time.time() - t
        break
trickle.close()
check(dropped_after is not None and dropped_after < 6.0,
      "trickling slow-loris client dropped by the head deadline: %r" % dropped_after)

# ---- /healthz, /metrics, logs ---------------------------------------------------
st, _, body = srv.get("/healthz")
check(st == 200 and json.loads(body)["status"] == "ok", "/healthz")
st, h, body = srv.get("/metrics")
text = body.decode()
check(st == 200 and h.get("content-type", "").startswith("text/plain"), "/metrics")
check('ssrfguard_requests_total{route="go",code="403"}' in text, "metrics count 403s")
mline = [ln for ln in text.splitlines() if ln.startswith('ssrfguard_blocked_total{category="metadata"}')]
n_meta = srv.sql("SELECT count(*) FROM attempts WHERE category = 'metadata'")[0][0]
check(mline and int(mline[0].split()[-1]) == n_meta, "blocks by category = attempts: %r %d"
      % (mline, n_meta))
dl = [ln for ln in text.splitlines() if ln.startswith("ssrfguard_slow_clients_dropped_total")]
check(dl and int(dl[0].split()[-1]) >= 1, "dropped slow clients counted: %r" % dl)
check("ssrfguard_fetch_duration_seconds_bucket" in text and "ssrfguard_incidents_open" in text,
      "latency histogram and open incidents exported")
# a Prometheus histogram: cumulative buckets, never decreasing, +Inf = count
hb = [int(ln.split()[-1]) for ln in text.splitlines()
      if ln.startswith("ssrfguard_fetch_duration_seconds_bucket")]
hc = [int(ln.split()[-1]) for ln in text.splitlines()
      if ln.startswith("ssrfguard_fetch_duration_seconds_count")]
check(hb and hc and hc[0] > 0 and all(a <= b for a, b in zip(hb, hb[1:])) and hb[-1] == hc[0]
      and hb[-2] > 0, "latency buckets cumulative up to the count: %r %r" % (hb, hc))
st, _, _ = srv.get("/nothing")
check(st == 404, "unknown route 404")
logs = srv.log_lines()
reqs = [ln for ln in logs if ln.get("event") == "request"]
decs = [ln for ln in logs if ln.get("event") == "decision"]
check(len(decs) == srv.sql("SELECT count(*) FROM attempts")[0][0],
      "one decision line per blocked attempt")
check(all("status" in r and "ms" in r and "client" in r for r in reqs), "request lines complete")
check(any(r.get("incident") and r["status"] == 403 for r in reqs), "request line names incident")

# ---- the store is locked by someone else: still blocked, never fetched ----
lock = spawn(["/usr/bin/python3", "-c", """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
print('locked', flush=True)
time.sleep(30)
""", srv.db], stdout=subprocess.PIPE)
check(lock.stdout.readline().strip() == b"locked", "store locked by another process")
st, _, body = srv.go("http://169.254.169.254/latest/meta-data/", source="203.0.113.19")
check(st == 503 and b"could not be recorded" in body,
      "store unavailable: the attempt is still blocked (503), never fetched: %r %r" % (st, body))
lock.kill()
lock.wait()
st, _, body = srv.go("http://169.254.169.254/latest/meta-data/", source="203.0.113.19")
check(st == 403, "store back: blocked with an incident again: %r" % st)
st, _, body = srv.get("/metrics")
check(b"ssrfguard_store_errors_total 1" in body, "the failed commit is counted")

# ---- SIGTERM drains ---------------------------------------------------------
res = {}


def slow_fetch():
    res["r"] = srv.go("http://%s/slow?ms=800" % UP)


th = threading.Thread(target=slow_fetch)
th.start()
time.sleep(0.3)
srv.p.send_signal(signal.SIGTERM)
time.sleep(0.1)
refused = False
try:
    socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
except OSError:
    refused = True
check(refused, "no new connections while draining")
th.join(10)
check(res.get("r", (0,))[0] == 200, "in-flight fetch finished during drain: %r" % (res.get("r"),))
rc = srv.p.wait(10)
check(rc == 0, "clean exit after SIGTERM: %r" % rc)
tls_srv.kill()

# ---- drain_s bounds the wait: an endless fetch does not hold the exit ----
s3 = Serve({"rule": RULES, "drain_s": 1, "total_timeout_ms": 60000}, port=5004)
res3 = {}


def endless():
    try:
        res3["r"] = s3.go("http://%s/drip?ms=300" % UP, timeout=20)
    except OSError as e:
        res3["r"] = e


th = threading.Thread(target=endless)
th.start()
time.sleep(0.5)
t = time.time()
s3.p.send_signal(signal.SIGTERM)
rc = s3.p.wait(15)
el = time.time() - t
th.join(20)
check(rc == 0 and 0.8 < el < 4, "drain timeout ends the process cleanly: rc %r after %.1fs" % (rc, el))
check(any(ln.get("event") == "drain_timeout" for ln in s3.log_lines()), "drain timeout logged")

# ---- identity from IMDSv2 (a double on a TEST-NET address) ---------------------
imds_log = os.path.join(srv.tmp, "imds.log")
imds = spawn(["/usr/bin/python3", "-c", """
import http.server, json, sys
log = open(sys.argv[1], 'a')
class H(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        log.write('PUT %s %s\\n' % (self.path, self.headers.get('X-aws-ec2-metadata-token-ttl-seconds'))); log.flush()
        self.send_response(200); self.end_headers(); self.wfile.write(b'TOKEN123')
    def do_GET(self):
        log.write('GET %s %s\\n' % (self.path, self.headers.get('X-aws-ec2-metadata-token'))); log.flush()
        if self.headers.get('X-aws-ec2-metadata-token') != 'TOKEN123':
            self.send_response(401); self.end_headers(); return
        doc = {'instanceId': 'i-0feedfacecafe0001', 'region': 'eu-west-1', 'availabilityZone': 'eu-west-1b'}
        self.send_response(200); self.end_headers(); self.wfile.write(json.dumps(doc).encode())
    def log_message(self, *a): pass
http.server.HTTPServer(('203.0.113.16', 80), H).serve_forever()
""", imds_log])
wait_port("203.0.113.16", 80)
s2 = Serve({"rule": RULES, "instance_id": None, "region": None, "az": None, "imds": "on",
            "contain": "loopback,private"},
           env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://203.0.113.16",
                "AWS_REGION": ""}, port=5002)
st, _, body = s2.go("http://169.254.169.254/latest/meta-data/iam/security-credentials/")
check(st == 403, "blocked with IMDS identity")
row = s2.sql("SELECT instance_id, region, az FROM attempts")
check(row == [("i-0feedfacecafe0001", "eu-west-1", "eu-west-1b")],
      "identity from IMDSv2, never from the request: %r" % row)
with open(imds_log) as f:
    calls = f.read().split("\n")
# severities are configurable: here loopback/private ask for containment,
# metadata is only logged
st, _, body = s2.go("http://169.254.169.254/", source="203.0.113.18")
check(st == 403 and "blocked and logged" in json.loads(body)["message"], "contain list honoured")
inc = json.loads(body)["incident"]
check(s2.sql("SELECT state FROM incidents WHERE id = ?", inc) == [("logged",)],
      "metadata only logged when not in contain: %r" % s2.sql("SELECT state FROM incidents"))
st, _, body = s2.go("http://10.1.2.3/", source="203.0.113.19")
check(st == 403 and "containment queued" in json.loads(body)["message"], "private contains")
check(s2.sql("SELECT state FROM incidents WHERE id = ?", json.loads(body)["incident"])
      == [("open",)], "a configured severity opens a containment incident")
check(calls[0].startswith("PUT /latest/api/token") and
      calls[1].startswith("GET /latest/dynamic/instance-identity/document TOKEN123"),
      "IMDSv2: token PUT, then GET with the token: %r" % calls)
s2.stop()
imds.kill()

up.stop()
finish()
