"""test_reuse.py — nothing of one /go request reaches the next through the
libcurl easy handles the service reuses (fetch.c: a finished job's handle
goes back to its loop's pool and the next job takes it).

Runs as: tests/netns-run unshare -m python3 test_reuse.py — a private mount
namespace whose /etc/resolv.conf points the service's resolver at dns.py
(as test_rebind.py).  One event loop (workers = 1) and one request at a time:
the pool is a stack, so every request below runs on the handle the one
before it used.  Checked, each right after a request that left something
behind in the handle:
- credentials from one URL's userinfo are never sent with the next URL,
  whether it has the same origin, another origin or a name;
- a name's judged, pinned answer never answers for the next lookup of the
  name: a name that now resolves to the metadata address is blocked (and
  recorded) and the upstream sees no request, and the next allowed answer is
  fetched again;
- after an answer cut for its size or its headers, the next answer is whole;
- a connection libcurl keeps open is reused only by a request whose judged
  answer holds the address it is connected to: a name that resolved to A
  and now resolves to B is fetched from B, never over the kept connection
  to A (fetch.c: CURLOPT_CONNECT_TO names the judged set);
- the same for the egress proxy's kept upstream connections (a client's
  own keep-alive one and the pool): each request on one client connection
  is resolved and judged again, a name that now resolves to the metadata
  address is refused, and one that now resolves to B is fetched from B.
"""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, http_get, private_mounts,  # noqa: E402
                     read_response, require_netns, spawn, tmpdir)

require_netns()
private_mounts()
tmp = tmpdir("sg-reuse-")
resolv = os.path.join(tmp, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
dnslog = os.path.join(tmp, "dns.log")
here = os.path.dirname(os.path.abspath(__file__))
dns = spawn(["/usr/bin/python3", os.path.join(here, "dns.py"), "127.0.0.1", "53", dnslog],
            stdout=subprocess.PIPE)
check(dns.stdout.readline().strip() == b"ready", "DNS server up")

UP, UP2 = "203.0.113.10", "203.0.113.11"
up = Upstream(UP + ":80", UP2 + ":80")
PX = 3153
srv = Serve({"rule": ["allow 203.0.113.0/24"], "dns_cache_s": 0, "workers": 1,
             "max_body": 100000, "max_header_bytes": 16384,
             "proxy_listen": "127.0.0.1:%d" % PX}, tmp=tmp)


def upstream_requests():
    st, _, body = http_get(UP, 80, "/stats")
    check(st == 200, "upstream stats: %r" % st)
    return int(body.split()[-1])


# ---- credentials --------------------------------------------------------
for url in ("http://%s/headers" % UP, "http://%s/headers" % UP2, "http://public.test/headers"):
    st, _, body = srv.go("http://user:secret@%s/headers" % UP)
    check(st == 200 and b"Authorization: Basic" in body,
          "URL credentials sent to their own origin: %r %r" % (st, body))
    st, _, body = srv.go(url)
    check(st == 200 and b"hello" not in body, "fetched %s: %r" % (url, st))
    check(b"Authorization" not in body and b"secret" not in body,
          "the previous request's credentials not sent to %s: %r" % (url, body))

# ---- pins ----------------------------------------------------------------
# rebind.test answers 203.0.113.10 and 169.254.169.254 alternately (TTL 0).
codes = []
before = upstream_requests()
for _ in range(8):
    st, _, body = srv.go("http://rebind.test/hello", source="203.0.113.17")
    codes.append(st)
    if st == 403:
        check(json.loads(body)["category"] == "metadata", "blocked as metadata: %r" % body)
    else:
        check(st == 200 and body == b"hello from upstream\n", "allowed answer fetched: %r" % st)
after = upstream_requests()
with open(dnslog) as f:
    answers = [ln.split()[-1] for ln in f if ln.startswith("rebind.test")]
check(len(answers) == 8 and answers.count("169.254.169.254") == 4,
      "the name was looked up for every request and alternated: %r" % answers)
check(codes.count(403) == 4 and codes.count(200) == 4,
      "each metadata answer blocked, each public one fetched: %r" % codes)
check(after - before == 1 + 4, "the upstream saw only the allowed fetches (and one stats "
      "request): %d" % (after - before))
rows = srv.sql("SELECT count(*) FROM attempts WHERE client = '203.0.113.17'")
check(rows == [(4,)], "every blocked request recorded: %r" % rows)

# ---- kept connections follow the judged answer -----------------------------
# swap.test answers 203.0.113.10 and 203.0.113.11 alternately (TTL 0); each
# address has its own upstream process on port 8081, so each one's counters
# say which address really served a request.
side = {UP: Upstream(UP + ":8081"), UP2: Upstream(UP2 + ":8081")}


def side_stats(addr):
    st, _, body = http_get(addr, 8081, "/stats")
    check(st == 200, "upstream %s stats: %r" % (addr, st))
    req = int(body.split()[-1])
    st, _, body = http_get(addr, 8081, "/stats?conns=1")
    return req, int(body.split()[-1])


with open(dnslog) as f:
    seen = sum(1 for ln in f if ln.startswith("swap.test"))
served = []
for i in range(6):
    before = {a: side_stats(a) for a in side}
    st, _, body = srv.go("http://swap.test:8081/hello")
    check(st == 200 and body == b"hello from upstream\n", "swap.test fetched: %r %r" % (st, body))
    after = {a: side_stats(a) for a in side}
    # every /stats pair adds 2 requests and 2 connections of the test's own
    got = [a for a in side if after[a][0] - before[a][0] - 2 > 0]
    served.append(got)
with open(dnslog) as f:
    answers = [ln.split()[-1] for ln in f if ln.startswith("swap.test")][seen:]
check(len(answers) == 6, "swap.test looked up for every request: %r" % answers)
check(served == [[a] for a in answers],
      "each request served by the address its own lookup judged (answers %r, served %r)"
      % (answers, served))


def proxied(s, url):
    """One request through the proxy on socket s: (status, body), or
    (0, b"") if the proxy closed the connection."""
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % url).encode())
    return read_response(s)


# the proxy: one keep-alive client, the same name, the answer moving
keep = socket.create_connection(("127.0.0.1", PX), timeout=10)
with open(dnslog) as f:
    seen = sum(1 for ln in f if ln.startswith("swap.test"))
served = []
for i in range(6):
    before = {a: side_stats(a) for a in side}
    st, body = proxied(keep, "http://swap.test:8081/hello")
    check(st == 200 and body == b"hello from upstream\n", "proxy: swap.test fetched: %r" % st)
    after = {a: side_stats(a) for a in side}
    served.append([a for a in side if after[a][0] - before[a][0] - 2 > 0])
with open(dnslog) as f:
    answers = [ln.split()[-1] for ln in f if ln.startswith("swap.test")][seen:]
check(len(answers) == 6, "proxy: swap.test looked up for every request: %r" % answers)
check(served == [[a] for a in answers],
      "proxy: each request on one keep-alive connection served by the address its own "
      "lookup judged, never by the connection kept to the other (answers %r, served %r)"
      % (answers, served))
codes = []
for _ in range(6):
    st, body = proxied(keep, "http://rebind.test/hello")
    if st == 0:  # a refusal may close the connection: a new one, as a client would
        keep.close()
        keep = socket.create_connection(("127.0.0.1", PX), timeout=10)
        st, body = proxied(keep, "http://rebind.test/hello")
    codes.append(st)
    if st == 403:
        check(json.loads(body)["category"] == "metadata", "proxy: blocked as metadata: %r" % body)
check(codes.count(403) == 3 and codes.count(200) == 3,
      "proxy: each metadata answer refused, never served by the kept connection: %r" % codes)
keep.close()
for a in side:
    side[a].stop()

# ---- per-answer limits ---------------------------------------------------
st, _, body = srv.go("http://%s/big?n=200000" % UP)
check(st == 502 and b"larger than" in body, "oversized body: %r %r" % (st, body[:100]))
st, _, body = srv.go("http://%s/hello" % UP)
check(st == 200 and body == b"hello from upstream\n", "next answer whole: %r %r" % (st, body))
st, _, body = srv.go("http://%s/bighdr?n=20000" % UP)
check(st == 502 and b"headers larger" in body, "oversized headers: %r %r" % (st, body[:100]))
st, _, body = srv.go("http://%s/big?n=99999" % UP)
check(st == 200 and body == b"x" * 99999, "next answer whole: %r %d" % (st, len(body)))

srv.stop()
finish()
