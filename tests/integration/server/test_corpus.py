"""test_corpus.py — the guard's whole corpus (tests/data/guard/corpus.tsv)
through the running service, inside tests/netns-run + a mount namespace.

Names are answered by dns.py from the corpus's pins (the same names and
addresses `ssrfguard check --resolve` uses), so the service's own resolver
and its socket hook see what the guard's tests see.  Expected answers:
  block/malformed      400 (an unparsable url is the caller's error)
  block/unresolved     502 (nothing to connect to; no incident)
  block/any other      403 with an incident of that category (or, for at
                       most 3, 400 when libcurl itself refuses the URL the
                       guard could read: never connected, no incident)
  allow/*              never 403 and no incident (these hosts are not
                       reachable in the namespace: 502/504, or 200)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, check, finish, private_mounts, require_netns,  # noqa: E402
                     spawn, tmpdir)

require_netns()
private_mounts()
here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "..", "data", "guard")
tmp = tmpdir("sg-corpus-")
resolv = os.path.join(tmp, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
dns = spawn(["/usr/bin/python3", os.path.join(here, "dns.py"), "127.0.0.1", "53",
                        os.path.join(tmp, "dns.log"), os.path.join(data, "corpus.pins")],
                       stdout=subprocess.PIPE)
check(dns.stdout.readline().strip() == b"ready", "DNS server up")

srv = Serve({"policy": os.path.join(data, "corpus.policy"), "total_timeout_ms": 3000,
             "connect_timeout_ms": 1000}, tmp=tmp)
rows = []
with open(os.path.join(data, "corpus.tsv"), encoding="utf-8") as f:
    for ln in f:
        if ln.startswith("#") or not ln.strip():
            continue
        verdict, cat, url = ln.rstrip("\n").split("\t")[:3]
        rows.append((verdict, cat, url))
check(len(rows) > 400, "corpus loaded: %d" % len(rows))

bad = []
curl_refused = []
n_block = 0
for i, (verdict, cat, url) in enumerate(rows):
    src = "127.0.%d.%d" % (10 + i // 250, 1 + i % 250)   # one source per URL
    st, _, body = srv.go(url, source=src)
    got = srv.sql("SELECT category FROM attempts WHERE client = ?", src)
    if verdict == "allow":
        ok = st != 403 and not got
    elif cat == "malformed":
        ok = st == 400 and not got
    elif cat == "unresolved":
        ok = st == 502 and not got
    elif st == 400 and b"libcurl cannot use this URL" in body and not got:
        # the guard reads it (e.g. fullwidth letters mapped by UTS 46), libcurl
        # refuses it: never connected, answered 400, no incident.  Counted.
        curl_refused.append(url)
        ok = True
    else:
        n_block += 1
        ok = st == 403 and json.loads(body).get("category") == cat and got == [(cat,)]
    if not ok:
        bad.append((verdict, cat, url, st, body[:160], got))
for b in bad[:25]:
    print("MISMATCH", b, file=sys.stderr)
check(not bad, "%d of %d corpus URLs answered wrongly by the service" % (len(bad), len(rows)))
check(len(curl_refused) <= 3, "at most 3 blocked URLs refused by libcurl itself: %r"
      % curl_refused)
n_att = srv.sql("SELECT count(*) FROM attempts")[0][0]
check(n_att == n_block, "one attempt per blocked corpus URL: %d of %d" % (n_att, n_block))
print("corpus: %d URLs, %d blocked with incidents, %d refused by libcurl (400, never connected): "
      "%r, %d mismatches" % (len(rows), n_block, len(curl_refused), curl_refused, len(bad)))
srv.stop()
dns.kill()
finish()
