"""test_rebind.py — DNS rebinding and multi-address answers against a real
DNS server on loopback.

Runs as: tests/netns-run unshare -m python3 test_rebind.py — a private mount
namespace whose /etc/resolv.conf (bind-mounted) points libcurl's resolver
(getaddrinfo) at dns.py on 127.0.0.1:53; its /tmp is a tmpfs of that
namespace (harness.private_mounts), so even a killed run leaves nothing.  The name rebind.test answers
203.0.113.10 and 169.254.169.254 alternately with TTL 0; the service runs
with dns_cache_s = 0 so every request asks again.  Each fetch that resolved
to the metadata address must be blocked (before any connect) and recorded;
each that resolved to the TEST-NET host succeeds.  The service resolves
every name itself (evdns) and pins the judged answer for libcurl: the DNS
server must see exactly one A query per fetch.

Multi-address answers: a name answering an allowed and a denied address in
one reply (A+A, or A plus an AAAA of ::ffff:169.254.169.254 / fd00:ec2::254)
is blocked every time, with all its addresses in the incident, and the
upstream sees no request; the same at a redirect hop.  A name answering only
allowed addresses (two A, one AAAA) is fetched.  No answer: 502, no
incident.  A resolver that never answers: 504 within connect_timeout_ms.
An answer past the resolver's 32 records is read whole and judged, by /go
and by the egress proxy alike.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, http_get, private_mounts,  # noqa: E402
                     require_netns, spawn, tmpdir)

require_netns()
private_mounts()
tmp = tmpdir("sg-rebind-")
tmp2 = tmpdir("sg-rebind2-")
resolv = os.path.join(tmp, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
hosts = os.path.join(tmp, "hosts")
with open("/etc/hosts") as src, open(hosts, "w") as f:
    f.write(src.read() + "\n203.0.113.10 hostsfile.test\n169.254.169.254 evilhosts.test\n")
subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
dnslog = os.path.join(tmp, "dns.log")
here = os.path.dirname(os.path.abspath(__file__))
dns = spawn(["/usr/bin/python3", os.path.join(here, "dns.py"), "127.0.0.1", "53",
                        dnslog], stdout=subprocess.PIPE)
check(dns.stdout.readline().strip() == b"ready", "DNS server up")

up = Upstream("203.0.113.10:80", "203.0.113.11:80", "[2001:db8::10]:80")
srv = Serve({"rule": ["allow 203.0.113.0/24", "allow 2001:db8::10"], "dns_cache_s": 0,
             "proxy_listen": "127.0.0.1:3128"}, tmp=tmp)

codes = []
for i in range(20):
    st, _, body = srv.go("http://rebind.test/hello?close=1", source="203.0.113.17")
    codes.append(st)
    if st == 200:
        check(body == b"hello from upstream\n", "rebind: allowed answer fetched")
    elif st == 403:
        doc = json.loads(body)
        check(doc["category"] == "metadata", "rebind: blocked as metadata: %r" % doc)
    else:
        check(False, "rebind: unexpected %r %r" % (st, body[:200]))

with open(dnslog) as f:
    answers = [ln.split()[-1] for ln in f if ln.startswith("rebind.test")]
internal = answers.count("169.254.169.254")
check(internal >= 5 and answers.count("203.0.113.10") >= 5,
      "the DNS server really alternated: %r" % answers)
check(codes.count(403) == internal, "every internal answer blocked: %d 403s, %d internal answers"
      % (codes.count(403), internal))
check(codes.count(200) == 20 - internal, "every public answer fetched: %r" % codes)
check(len(answers) == 20, "one lookup per fetch (libcurl used the pin, never its own "
      "resolver): %d answers for 20 fetches" % len(answers))
rows = srv.sql("SELECT hop, dest, addrs, category, url FROM attempts WHERE client = '203.0.113.17'")
check(len(rows) == internal, "one attempt per blocked fetch: %d" % len(rows))
check(all(r[0] == 0 and r[2] == '["169.254.169.254"]' and r[3] == "metadata" and
          r[4] == "http://rebind.test/hello?close=1" for r in rows),
      "attempts record the name, the hook's address and the category: %r" % rows[:2])
# The hook, not stage 1, blocked them: the URL names an allowed-looking host.
decs = [d for d in srv.log_lines() if d.get("event") == "decision"]
check(all(d["addrs"] == ["169.254.169.254"] and d["host"] == "rebind.test" for d in decs),
      "decisions show the socket-level verdict for rebind.test: %r" % decs[:1])
# Never a connection to the internal address: the upstream saw exactly the
# allowed fetches (each on a fresh connection: the upstream closes it, so
# every fetch resolves again), and no socket was opened for the blocked ones (the hook
# returned CURL_SOCKET_BAD before connect()).
st, _, body = srv.go("http://public.test/stats")
check(st == 200 and body == b"requests %d\n" % (codes.count(200) + 1),
      "upstream saw only the allowed fetches: %r" % body)

def upstream_requests():
    st, _, body = http_get("203.0.113.10", 80, "/stats")
    return int(body.split()[1])


# ---- multi-address answers: any denied address blocks the name ----------
MULTI = {
    "multi.test": {"203.0.113.10", "169.254.169.254"},
    "multi2.test": {"169.254.169.254", "203.0.113.10"},
    "multi6.test": {"203.0.113.10", "::ffff:169.254.169.254"},
    "multi6b.test": {"203.0.113.10", "fd00:ec2::254"},
}
step = upstream_requests() - upstream_requests()  # what /stats itself adds
before = upstream_requests()
for name in sorted(MULTI):
    for i in range(3):
        st, _, body = srv.go("http://%s/hello?close=1" % name, source="203.0.113.18")
        if check(st == 403, "%s: blocked every time (%d): %r %r" % (name, i, st, body[:200])):
            doc = json.loads(body)
            check(doc["category"] == "metadata" and doc["rule"].startswith("metadata:")
                  and doc["incident"] > 0, "%s: metadata incident: %r" % (name, doc))
check(upstream_requests() - before == -step,
      "the upstream saw no request for a name with a denied answer")
rows = srv.sql("SELECT hop, dest, addrs, category, rule FROM attempts "
               "WHERE client = '203.0.113.18' ORDER BY id")
check(len(rows) == 12, "one attempt per blocked multi-address fetch: %d" % len(rows))
for name in sorted(MULTI):
    mine = [r for r in rows if r[1] == name + ":80"]
    check(len(mine) == 3 and all(r[0] == 0 and r[3] == "metadata" and
                                 set(json.loads(r[2])) == MULTI[name] for r in mine),
          "%s: attempts carry every resolved address: %r" % (name, mine[:1]))
decs = [d for d in srv.log_lines() if d.get("event") == "decision" and d["host"] == "multi6.test"]
check(len(decs) == 3 and all(set(d["addrs"]) == MULTI["multi6.test"] for d in decs),
      "decision lines list both answers: %r" % decs[:1])

# ---- only allowed answers: fetched (two A and an AAAA, all pinned) -------
for i in range(4):
    st, _, body = srv.go("http://pair.test/hello?close=1", source="203.0.113.19")
    check(st == 200 and body == b"hello from upstream\n",
          "pair.test (allowed answers only) fetched: %r %r" % (st, body[:200]))

# The pin also covers the URL's spelling of the name (trailing dot, case):
# libcurl never asks DNS itself.
for u in ("http://public.test./hello?close=1", "http://PUBLIC.Test/hello?close=1"):
    with open(dnslog) as f:
        n0 = sum(1 for ln in f if ln.startswith("public.test A "))
    st, _, body = srv.go(u)
    with open(dnslog) as f:
        n1 = sum(1 for ln in f if ln.startswith("public.test A "))
    check(st == 200 and n1 - n0 == 1, "%s: fetched with one lookup: %r, %d" % (u, st, n1 - n0))
st, _, body = srv.go("http://multi.test./hello?close=1")
check(st == 403, "multi.test. (trailing dot) blocked: %r" % st)

# /etc/hosts is honoured (and answers without a DNS query).
st, _, body = srv.go("http://hostsfile.test/hello?close=1")
check(st == 200 and body == b"hello from upstream\n", "hosts-file name fetched: %r" % st)
st, _, body = srv.go("http://evilhosts.test/hello?close=1")
check(st == 403 and json.loads(body)["category"] == "metadata",
      "hosts-file name of the metadata address blocked: %r %r" % (st, body[:120]))
with open(dnslog) as f:
    check(not [ln for ln in f if "hosts.test" in ln], "hosts-file names never asked DNS")

# ---- a redirect hop to a name with a denied answer ------------------------
before = upstream_requests()
st, _, body = srv.go("http://203.0.113.10/redirect?to=http://multi6b.test/hello",
                     source="203.0.113.16")
check(st == 403, "redirect to multi6b.test blocked at the hop: %r %r" % (st, body[:200]))
rows = srv.sql("SELECT hop, dest, addrs, category FROM attempts WHERE client = '203.0.113.16'")
check(len(rows) == 1 and rows[0][0] == 1 and rows[0][1] == "multi6b.test:80" and
      set(json.loads(rows[0][2])) == MULTI["multi6b.test"] and rows[0][3] == "metadata",
      "blocked at hop 1 with both answers: %r" % rows)
check(upstream_requests() - before == 1 - step,
      "the upstream saw only the redirecting request")

# ---- no answer: a clear 502, not an incident --------------------------------
st, _, body = srv.go("http://nx.test/hello", source="203.0.113.15")
check(st == 502 and b"resolve" in body, "NXDOMAIN: 502 could not resolve: %r %r" % (st, body))
check(srv.sql("SELECT count(*) FROM attempts WHERE client = '203.0.113.15'") == [(0,)],
      "an unresolvable name is not an incident")

# ---- a resolver that never answers: counts against connect_timeout_ms ----
fast = Serve({"rule": ["allow 203.0.113.0/24", "allow 2001:db8::10"],
              "connect_timeout_ms": 400}, port=5002, tmp=tmp2)
import time  # noqa: E402
t = time.monotonic()
st, _, body = fast.go("http://slow.test/hello")
dt = time.monotonic() - t
check(st == 504 and dt < 0.95, "silent resolver: 504 after connect_timeout_ms: %r in %.2fs %r"
      % (st, dt, body))
# The judged-set cache (dns_cache_s default 60): a second fetch of a name
# with only allowed answers does not ask the DNS server again.
with open(dnslog) as f:
    n0 = sum(1 for ln in f if ln.startswith("pair.test A "))
for i in range(2):
    st, _, body = fast.go("http://pair.test/hello?close=1")
    check(st == 200, "pair.test through the cache: %r" % st)
with open(dnslog) as f:
    n1 = sum(1 for ln in f if ln.startswith("pair.test A "))
check(n1 - n0 == 2, "judged answers reused from the cache: %d new A answers (2 = one lookup)"
      % (n1 - n0))
check(fast.stop() == 0, "second serve exits cleanly")

# An answer longer than the resolver keeps (evdns: 32 addresses a family):
# every record is still judged, and the cut recorded.
st, _, body = srv.go("http://many.test/hello?close=1", source="203.0.113.18")
check(st == 403 and json.loads(body).get("category") == "metadata",
      "the 35th of 40 A records is judged: %r %r" % (st, body[:200]))
rows = srv.sql("SELECT reason FROM attempts WHERE client = '203.0.113.18' "
               "ORDER BY id DESC LIMIT 1")
check(len(rows) == 1 and "DNS answer of 40 records" in rows[0][0],
      "the attempt's evidence records the cut: %r" % rows)
st, _, body = srv.go("http://manyok.test/hello?close=1")
check(st == 200, "40 allowed A records: fetched: %r %r" % (st, body[:200]))
# The egress proxy resolves and judges through the same code (dest.c).
px = subprocess.run(["curl", "-sS", "--max-time", "10", "-x", "http://127.0.0.1:3128",
                     "http://many.test/hello"], capture_output=True)
check(b'"category":"metadata"' in px.stdout and b"DNS answer of 40 records" in px.stdout,
      "proxy: the 35th of 40 A records is judged: %r" % px.stdout[:300])
# Each loop writes its own buffered lines (docs/serve.md), so lines of two
# loops reach the file in no fixed order: the requests' order is the ts's.
cuts = sorted((ln for ln in srv.log_lines() if ln.get("event") == "dns_cut"),
              key=lambda ln: ln["ts"])
check(len(cuts) == 3 and all(c["answer_records"] == 40 and c["judged"] for c in cuts)
      and [c["host"] for c in cuts] == ["many.test", "manyok.test", "many.test"],
      "each cut recorded: %r" % cuts)
st, _, body = srv.get("/metrics")
check(b"ssrfguard_dns_answers_cut_total 3" in body, "cuts counted in the metrics")

rc = srv.stop()
check(rc == 0, "serve exits cleanly: %r" % rc)
up.stop()
dns.kill()
finish()
