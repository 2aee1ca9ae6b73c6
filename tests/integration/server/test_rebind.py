"""test_rebind.py — DNS rebinding against a real DNS server on loopback.

Runs as: tests/netns-run unshare -m python3 test_rebind.py — a private mount
namespace whose /etc/resolv.conf (bind-mounted) points libcurl's resolver
(getaddrinfo) at dns.py on 127.0.0.1:53.  The name rebind.test answers
203.0.113.10 and 169.254.169.254 alternately with TTL 0; the service runs
with dns_cache_s = 0 so every request asks again.  Each fetch that resolved
to the metadata address must be blocked at the socket hook (before any
connect) and recorded; each that resolved to the TEST-NET host succeeds.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Serve, Upstream, check, finish, require_netns, spawn  # noqa: E402

require_netns()
tmp = tempfile.mkdtemp(prefix="sg-rebind-")
resolv = os.path.join(tmp, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
subprocess.run(["mount", "--make-rprivate", "/"], check=True)
subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
dnslog = os.path.join(tmp, "dns.log")
here = os.path.dirname(os.path.abspath(__file__))
dns = spawn(["/usr/bin/python3", os.path.join(here, "dns.py"), "127.0.0.1", "53",
                        dnslog], stdout=subprocess.PIPE)
check(dns.stdout.readline().strip() == b"ready", "DNS server up")

up = Upstream("203.0.113.10:80")
srv = Serve({"rule": ["allow 203.0.113.0/24"], "dns_cache_s": 0}, tmp=tmp)

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

# A multi-address answer: whichever address libcurl tries is judged; a
# denied one is never connected to and, if tried, blocks the hop.
st, _, body = srv.go("http://multi.test/hello?close=1", source="203.0.113.18")
check(st in (200, 403), "multi-address answer: %r" % st)
if st == 403:
    check(json.loads(body)["category"] == "metadata", "multi-address: metadata")

rc = srv.stop()
check(rc == 0, "serve exits cleanly: %r" % rc)
up.stop()
dns.kill()
finish()
