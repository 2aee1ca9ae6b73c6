"""test_proxy.py — `ssrfguard serve --proxy-listen`: the egress proxy, end to
end, with the clients apps really use (curl -x, Python requests, Node's http
and undici's ProxyAgent).

Runs as: tests/netns-run unshare -m python3 test_proxy.py — a private mount
namespace whose /etc/hosts (bind-mounted) maps evilhosts.test to
169.254.169.254 and tls.test/hostsfile.test to TEST-NET hosts, and whose
/etc/resolv.conf points at dns.py (multi.test answers an allowed and the
metadata address at once).  Nothing leaves the namespace: the metadata
address is not even routed here, so a guard bug is a failed check, never a
packet to a metadata service.

What a user relies on, checked here:
  - absolute-form GET/POST/PUT through curl, requests and Node; bodies both
    ways with Content-Length and chunked, large ones intact; keep-alive to
    the client and the upstream connection reused;
  - CONNECT tunnels (TLS verified end to end: no interception) to allowed
    ports only; an idle tunnel closed after proxy_idle_s;
  - metadata attempts refused with 403, a JSON reason and X-Ssrfguard-Reason,
    committed to the store before the answer, by address, by a name that
    resolves to it (hosts file, DNS with a mixed answer), over CONNECT too;
    the service's own listener is never dialled;
  - hygiene: Proxy-Authorization, hop-by-hop and Connection-listed fields,
    client X-Forwarded-* never forwarded; Via marks requests, loops refused;
    malformed framing (two Content-Lengths, CL + TE) refused; an upstream 101,
    or more than 5 interim heads or heads past max_header_bytes,
    answered 502; a chunked answer to an HTTP/1.0 client decoded;
  - roles: Proxy-Authorization users with password hashes, report and
    enforce modes, global deny, a role per Unix socket peer uid; the role in
    log lines, metrics and the stored attempt;
  - the PROXY protocol (v1 and v2): the real client is the one recorded;
  - Node through undici's ProxyAgent (CONNECT for http and https alike).
"""
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, Upstream, check, finish, parse_response, serve_raw,  # noqa: E402
                     private_mounts, replace_file, require_netns, spawn, tmpdir)

require_netns()
private_mounts()
here = os.path.dirname(os.path.abspath(__file__))
tmp = tmpdir("sg-proxy-")

# --- the namespace's names and servers ---
resolv = os.path.join(tmp, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
hosts = os.path.join(tmp, "hosts")
with open("/etc/hosts") as src, open(hosts, "w") as f:
    f.write(src.read() + "\n203.0.113.10 hostsfile.test\n169.254.169.254 evilhosts.test\n"
            "203.0.113.12 tls.test\n203.0.113.13 echo.test\n")
subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
dns = spawn(["/usr/bin/python3", os.path.join(here, "dns.py"), "127.0.0.1", "53",
             os.path.join(tmp, "dns.log")], stdout=subprocess.PIPE)
check(dns.stdout.readline().strip() == b"ready", "DNS server up")

cert, key = os.path.join(tmp, "tls.pem"), os.path.join(tmp, "tls.key")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=tls.test", "-addext", "subjectAltName=DNS:tls.test,IP:203.0.113.12",
                "-keyout", key, "-out", cert], check=True, capture_output=True)
extra = spawn(["/usr/bin/python3", os.path.join(here, "proxy_upstream.py"), cert, key],
              stdout=subprocess.PIPE)
check(extra.stdout.readline().strip() == b"ready", "TLS and echo upstreams up")
up = Upstream("203.0.113.10:80", "203.0.113.11:80", "203.0.113.11:443", "203.0.113.10:8080")

PX = 3128
ALLOW = ["allow 203.0.113.0/24", "allow 127.0.0.1"]
# One loop: kept upstream connections are shared between the clients of a
# loop (test_proxy_ops.py runs the proxy on several); a short drain for the
# tunnels the test leaves open.
srv = Serve({"rule": ALLOW, "proxy_listen": "127.0.0.1:%d" % PX, "workers": 1,
             "proxy_drain_s": 1}, tmp=tmpdir("sg-proxy-a-"))
PROXY = "http://127.0.0.1:%d" % PX


def curl(*args, proxy=PROXY, timeout=20):
    r = subprocess.run(["curl", "-sS", "--max-time", str(timeout), "-x", proxy, *args],
                       capture_output=True)
    return r.returncode, r.stdout, r.stderr


def raw(data, port=PX, timeout=10, read_all=True, path=None):
    """Send bytes to the proxy, return everything it answers until it closes."""
    if path:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
    else:
        s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if not read_all and b"\r\n\r\n" in out:
                break
    except socket.timeout:
        pass
    s.close()
    return out


def attempts(s, where="1=1"):
    return s.sql("SELECT client, category, rule, url, dest, headers, request, incident_id "
                 "FROM attempts WHERE " + where + " ORDER BY id")


# --- absolute-form: curl ---
rc, out, err = curl("-i", "http://203.0.113.10/hello")
st, hd, body = parse_response(out)
check(rc == 0 and st == 200 and body == b"hello from upstream\n", "curl -x GET: %r %r" % (out, err))
rc, out, _ = curl("http://203.0.113.10/big?n=3000000&chunked=1", "-o", "/dev/null",
                  "-w", "%{http_code} %{size_download}")
check(out == b"200 3000000", "chunked 3 MB response streamed intact: %r" % out)
rc, out, _ = curl("http://203.0.113.10/big?n=2000000", "-o", "/dev/null",
                  "-w", "%{http_code} %{size_download}")
check(out == b"200 2000000", "Content-Length 2 MB response intact: %r" % out)
before = int(curl("http://203.0.113.11/stats?conns=1")[1].split()[1])
rc, out, _ = curl("http://203.0.113.11/hello", "http://203.0.113.11/hello",
                  "http://203.0.113.11/stats?conns=1")
after = int(out.split()[-1])
check(out.startswith(b"hello from upstream\nhello from upstream\n") and after - before <= 1,
      "keep-alive: three requests on one client connection used one upstream connection "
      "(%d new)" % (after - before))
n0 = int(curl("http://203.0.113.11/stats?conns=1")[1].split()[1])
curl("http://203.0.113.11/hello")
n1 = int(curl("http://203.0.113.11/stats?conns=1")[1].split()[1])
check(n1 == n0, "upstream connections are pooled between clients: %d new for two more "
      "clients" % (n1 - n0))
rc, out, _ = curl("-I", "http://203.0.113.10/big?n=1000")
check(rc == 0 and b"200" in out.split(b"\r\n")[0], "HEAD answered without a body: %r" % out)

# bodies up: Content-Length and chunked, large
blob = os.urandom(3 * 1024 * 1024)
with open(os.path.join(tmp, "blob"), "wb") as f:
    f.write(blob)
rc, out, _ = curl("--data-binary", "@" + os.path.join(tmp, "blob"), "http://echo.test/echo")
doc = json.loads(out or b"{}")
check(doc.get("len") == len(blob) and doc.get("sha256") == hashlib.sha256(blob).hexdigest() and
      not doc.get("chunked"), "POST 3 MB (Content-Length) arrives intact: %r" % doc.get("len"))
rc, out, _ = curl("-T", os.path.join(tmp, "blob"), "-H", "Transfer-Encoding: chunked",
                  "http://echo.test/echo")
doc = json.loads(out or b"{}")
check(doc.get("len") == len(blob) and doc.get("chunked") and doc.get("method") == "PUT",
      "PUT 3 MB chunked arrives intact and chunked: %r" % {k: doc.get(k) for k in ("len", "chunked")})

# --- hygiene ---
hdrs = {"Proxy-Authorization": "Basic dXNlcjpzZWNyZXQ=", "X-Forwarded-For": "10.9.9.9",
        "X-Forwarded-Host": "evil", "Forwarded": "for=10.9.9.9", "Connection": "X-Secret",
        "X-Secret": "hop", "Keep-Alive": "timeout=5", "X-App": "kept"}
req = "GET http://echo.test/headers HTTP/1.1\r\nHost: echo.test\r\n" + \
      "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "Connection: close\r\n\r\n"
st, _, body = parse_response(raw(req.encode()))
seen = {k.lower(): v for k, v in json.loads(body or b"{}").get("headers", {}).items()}
via = seen.get("via", "")
check(st == 200 and seen.get("x-app") == "kept" and
      re.fullmatch(r"1\.1 ssrfguard-[0-9a-f]{16}", via),
      "ordinary fields forwarded, Via added with this instance's mark: %r" % seen)
st, _, body = srv.go("http://echo.test/headers")
check(st == 200 and json.loads(body or b"{}").get("headers", {}).get("Via") == via,
      "/go's hops carry the same Via mark as the proxy's requests: %r" % body[:300])
for k in ("proxy-authorization", "x-forwarded-for", "x-forwarded-host", "forwarded",
          "x-secret", "keep-alive"):
    check(k not in seen, "%s never forwarded" % k)
out = raw(b"GET http://echo.test/headers HTTP/1.1\r\nHost: x\r\nVia: 1.0 lb, " +
          via.encode() + b"\r\n\r\n")
check(out.startswith(b"HTTP/1.1 508"), "a request that already passed us is a loop: %r" % out[:40])
out = raw(b"GET http://echo.test/headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          b"Via: 1.1 ssrfguard-0123456789abcdef\r\n\r\n")
check(out.startswith(b"HTTP/1.1 200"),
      "another ssrfguard's mark is no loop (proxies may be chained): %r" % out[:40])
st, _, body = srv.go("http://echo.test/headers", headers={"Via": via})
check(st == 508, "/go refuses a request carrying the proxy's mark: %r" % st)
out = raw(b"POST http://echo.test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
          b"Content-Length: 4\r\n\r\nabcd")
check(out.startswith(b"HTTP/1.1 400"), "conflicting Content-Length: 400: %r" % out[:40])
out = raw(b"POST http://echo.test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
check(out.startswith(b"HTTP/1.1 400"), "Content-Length with chunked: 400: %r" % out[:40])
out = raw(b"GET http://echo.test/upgrade HTTP/1.1\r\nHost: x\r\n\r\n")
check(out.startswith(b"HTTP/1.1 502") and b"raw stream" not in out,
      "an upstream 101 is answered 502, its stream never relayed: %r" % out[:60])
# endless interim heads: at most 5 relayed, then 502; all heads within max_header_bytes
serve_raw(("203.0.113.10", 8081), b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" * 5000,
          linger=30)
out = raw(b"GET http://203.0.113.10:8081/ HTTP/1.1\r\nHost: x\r\n\r\n", timeout=10)
check(out.count(b"HTTP/1.1 103 ") == 5 and b"HTTP/1.1 502" in out and out.endswith(b"}\n"),
      "an upstream's endless 1xx heads: 5 relayed, then 502: %r" % out[-200:])
big = b"HTTP/1.1 103 Early Hints\r\nLink: <" + b"a" * 30000 + b">\r\n\r\n"
serve_raw(("203.0.113.10", 8082), big * 3 + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
          linger=30)
out = raw(b"GET http://203.0.113.10:8082/ HTTP/1.1\r\nHost: x\r\n\r\n", timeout=10)
check(out.count(b"HTTP/1.1 103 ") == 2 and b"HTTP/1.1 502" in out and b"\r\n\r\nok" not in out,
      "1xx heads past max_header_bytes together: 502: %r" % out[-200:])
# the upstream's framing (RFC 9112 6.1, 6.3): a Content-Length beside chunked
# is removed before relaying (a client framing by it would read another
# message); a transfer coding other than chunked is neither decoded nor can
# be passed on truthfully: 502, and the same rule for requests (400)
serve_raw(("203.0.113.10", 8083), b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", linger=5)
out = raw(b"GET http://203.0.113.10:8083/ HTTP/1.1\r\nHost: x\r\n\r\n", timeout=2)
head, _, body = out.partition(b"\r\n\r\n")
check(out.startswith(b"HTTP/1.1 200") and b"content-length" not in head.lower() and
      b"transfer-encoding: chunked" in head.lower() and body == b"5\r\nhello\r\n0\r\n\r\n",
      "upstream Content-Length with chunked: relayed chunked, the Content-Length removed: %r"
      % out)
for port, coding in ((8084, b"gzip, chunked"), (8085, b"gzip")):
    serve_raw(("203.0.113.10", port), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: " + coding +
              b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    out = raw(b"GET http://203.0.113.10:%d/ HTTP/1.1\r\nHost: x\r\n\r\n" % port)
    check(out.startswith(b"HTTP/1.1 502") and b"a transfer coding other than chunked" in out
          and b"hello" not in out, "upstream Transfer-Encoding: %s: 502 with the reason: %r"
          % (coding.decode(), out[:300]))
out = raw(b"POST http://echo.test/echo HTTP/1.1\r\nHost: x\r\n"
          b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
check(out.startswith(b"HTTP/1.1 400"), "request Transfer-Encoding: gzip, chunked: 400: %r"
      % out[:40])
# an upstream body malformed at its first chunk: nothing of it has left, so
# the client gets a 502 with the reason (not an empty reply), and the log the
# status really sent; malformed after the head left: the head and data, a cut
# connection, and a log line that says so
bad_chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=\"a\r\nb\"\r\nhello\r\n"
serve_raw(("203.0.113.10", 8086), bad_chunk + b"0\r\n\r\n")
for minor in (1, 0):  # relayed chunked, and decoded for an HTTP/1.0 client
    out = raw(b"GET http://203.0.113.10:8086/ HTTP/1.%d\r\nHost: x\r\n\r\n" % minor)
    check(out.startswith(b"HTTP/1.1 502") and b"malformed chunked body" in out and
          b"HTTP/1.1 200" not in out, "HTTP/1.%d client, an upstream body malformed at its "
          "first chunk: 502 with the reason: %r" % (minor, out[:300]))
serve_raw(("203.0.113.10", 8087), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"5\r\nhello\r\n", later=[(0.5, b"zz\r\n")], linger=2)
out = raw(b"GET http://203.0.113.10:8087/ HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
check(out.startswith(b"HTTP/1.1 200") and out.endswith(b"5\r\nhello\r\n"),
      "a body malformed after the head left: the head and the data, then the close: %r" % out)
lines = [d for d in srv.log_lines() if d.get("event") == "request" and
         d.get("target") in ("http://203.0.113.10:8086/", "http://203.0.113.10:8087/")]
check([(d.get("status"), d.get("decision")) for d in lines] ==
      [(502, "error"), (502, "error"), (200, "error")] and
      all("malformed chunked body" in d.get("why", "") for d in lines) and
      "connection cut" in lines[-1].get("why", ""),
      "each logged with the status really sent and why: %r" % lines)
whys = [d.get("why", "") for d in srv.log_lines()
        if d.get("event") == "request" and d.get("status") == 502]
check(any("more than 5 interim" in w for w in whys) and
      any("larger than max_header_bytes" in w for w in whys),
      "each 502 says why in the log: %r" % whys)
# a chunked answer to an HTTP/1.0 client: its data only, ended by the close
out = raw(b"GET http://203.0.113.10/big?n=300000&chunked=1 HTTP/1.0\r\nHost: x\r\n\r\n")
head, _, body = out.partition(b"\r\n\r\n")
check(out.startswith(b"HTTP/1.1 200") and b"chunked" not in head.lower() and
      b"connection: close" in head.lower() and body == b"x" * 300000,
      "HTTP/1.0 client: a chunked answer relayed decoded, whole, then closed: %r %d"
      % (head, len(body)))
rc, out, _ = curl("-0", "http://203.0.113.10/big?n=5000&chunked=1")
check(rc == 0 and out == b"x" * 5000, "curl -0 (HTTP/1.0) reads a chunked answer: %d" % len(out))
out = raw(b"GET https://tls.test/hello HTTP/1.1\r\nHost: tls.test\r\n\r\n")
check(out.startswith(b"HTTP/1.1 400"), "https in absolute-form: 400 (no interception): %r" % out[:40])
out = raw(b"GET /hello HTTP/1.1\r\nHost: 203.0.113.10\r\n\r\n")
check(out.startswith(b"HTTP/1.1 400"), "origin-form to the proxy: 400: %r" % out[:40])
two = (b"GET http://203.0.113.10/hello HTTP/1.1\r\nHost: a\r\n\r\n"
       b"GET http://203.0.113.10/stats HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
out = raw(two)
check(out.count(b"HTTP/1.1 200") == 2 and out.index(b"hello from") < out.index(b"requests "),
      "pipelined requests answered in order: %r" % out[-80:])

# --- refusals: metadata by address, by name, over CONNECT ---
rc, out, _ = curl("-i", "http://169.254.169.254/latest/meta-data/iam/security-credentials/")
st, hd, body = parse_response(out)
rows = attempts(srv)
doc = json.loads(body or b"{}")
check(st == 403 and doc.get("category") == "metadata" and doc.get("role") == "default" and
      hd.get("x-ssrfguard-reason", "").startswith("metadata:") and doc.get("incident"),
      "metadata by address: 403 JSON + X-Ssrfguard-Reason: %r %r" % (st, hd))
# one refusal document for /go and the proxy (text.h): containment as true
# as /go's, plus the reason and the role the proxy's clients may know
check(doc.get("error") == "ssrf_blocked" and doc.get("containment") == "queued" and
      doc.get("message") == "SSRF attempt detected; blocked, recorded, containment queued" and
      "metadata service" in doc.get("reason", "") and
      set(doc) == {"error", "message", "containment", "incident", "category", "rule", "reason",
                   "role"}, "the proxy's refusal is /go's document: %r" % doc)
check(len(rows) == 1 and rows[0][1] == "metadata" and rows[0][7] == doc.get("incident") and
      json.loads(rows[0][5]).get("ssrfguard_role") == "default",
      "the attempt was committed before the 403 (role in its evidence): %r" % rows)

# --- evidence: each header cut on its own, the forwarding ones always kept ---
junk = bytes(range(0x80, 0x100)) * 12  # 1.5 KB of bytes that are no UTF-8 (obs-text)
out = raw(b"GET http://169.254.169.254/evidence-test HTTP/1.1\r\nHost: x\r\nUser-Agent: " +
          junk + b"\r\nReferer: " + junk + b"\r\nOrigin: " + junk + b"\r\nAccept: " + junk +
          b"\r\nX-Forwarded-For: 198.51.100.7, 10.1.2.3\r\nConnection: close\r\n\r\n")
check(out.startswith(b"HTTP/1.1 403"), "refused with long binary headers: %r" % out[:60])
rows = srv.sql("SELECT headers FROM attempts WHERE url LIKE '%evidence-test%'")
try:
    hs = json.loads(rows[0][0]) if rows else {}
except ValueError:
    hs = {"unparsable": rows[0][0][-80:]}
check(hs.get("X-Forwarded-For") == "198.51.100.7, 10.1.2.3" and
      hs.get("ssrfguard_role") == "default",
      "the forwarding header and the role kept whole: %r" % {k: v[:40] for k, v in hs.items()})
check(all(hs.get(k, "").endswith("...") for k in ("User-Agent", "Referer", "Origin", "Accept")),
      "each long header cut on its own, marked: %r" % {k: len(v) for k, v in hs.items()})
# the classic parser-confusion target: stored and logged as sent, escaped once
# (a backslash as \\), never twice (an analyst replays what is stored)
bs = "http://203.0.113.10\\@169.254.169.254/bs\\test"
out = raw(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % bs).encode())
once = bs.replace("\\", "\\\\")
rows = srv.sql("SELECT url FROM attempts WHERE url LIKE '%/bs%test'")
logged = [d.get("url") for d in srv.log_lines()
          if d.get("event") == "decision" and "/bs" in d.get("url", "")]
check(out.startswith(b"HTTP/1.1 403") and rows == [(once,)] and logged == [once],
      "a backslash target stored and logged escaped once: %r %r %r" % (out[:40], rows, logged))
for target, what in (("169.254.169.254:443", "CONNECT to the metadata address"),
                     ("evilhosts.test:443", "CONNECT to a name in /etc/hosts resolving to it"),
                     ("multi.test:443", "CONNECT to a name whose DNS answer mixes it in"),
                     ("[::ffff:169.254.169.254]:443", "CONNECT to its IPv4-mapped IPv6 form")):
    n0 = len(attempts(srv))
    out = raw(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
    st, hd, body = parse_response(out)
    rows = attempts(srv)
    check(st == 403 and json.loads(body or b"{}").get("category") == "metadata" and
          len(rows) == n0 + 1 and rows[-1][1] == "metadata" and rows[-1][6].startswith("CONNECT "),
          "%s: refused and recorded: %r %r" % (what, out[:80], rows[-1:]))
for url in ("http://evilhosts.test/latest/meta-data/", "http://multi.test/",
            "http://[fd00:ec2::254]/latest/", "http://instance-data/latest/"):
    n0 = len(attempts(srv))
    rc, out, _ = curl("-i", url)
    st, hd, body = parse_response(out)
    check(st == 403 and len(attempts(srv)) == n0 + 1,
          "absolute-form %s: refused and recorded: %r" % (url, out[:120]))
# an answer past the resolver's 32 records: every record judged, the cut said
n0 = len(attempts(srv))
out = raw(b"CONNECT many.test:443 HTTP/1.1\r\nHost: many.test:443\r\n\r\n")
st, hd, body = parse_response(out)
rows = srv.sql("SELECT reason, addrs FROM attempts ORDER BY id")
check(st == 403 and json.loads(body or b"{}").get("category") == "metadata" and
      len(rows) == n0 + 1 and "DNS answer of 40 records" in rows[-1][0] and
      "169.254.169.254" in rows[-1][1],
      "CONNECT to a name whose 35th of 40 records is the metadata address: refused, the cut "
      "recorded, the address in the evidence: %r %r" % (body[:300], rows[-1:]))
rc, out, _ = curl("-s", "-o", "/dev/null", "-w", "%{http_code}", "http://manyok.test/hello")
check(out != b"403", "40 allowed records: not refused: %r" % out)
incs = srv.sql("SELECT COUNT(*), MIN(state) FROM incidents WHERE source = '127.0.0.1'")
check(incs[0][0] == 1 and incs[0][1] == "open", "every attempt joined one open incident: %r" % incs)
rc, out, _ = curl("-i", "http://127.0.0.1:5001/healthz")
st, hd, body = parse_response(out)
check(st == 403 and b"self:listener" in body, "the service's own listener is never dialled: %r" % out)
rc, out, _ = curl("-i", "http://127.0.0.1:%d/" % PX)
check(parse_response(out)[0] == 403, "nor the proxy's own port")

# --- CONNECT: ports, TLS end to end, timeouts ---
rc, out, err = curl("--cacert", cert, "https://tls.test/hello")
check(rc == 0 and out == b"hello over tls\n", "curl https through CONNECT, TLS verified: %r %r"
      % (out, err))
out = raw(b"CONNECT 203.0.113.11:80 HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
check(out.startswith(b"HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200") and
      out.endswith(b"hello from upstream\n"),
      "bytes sent right behind the CONNECT head reach the upstream: %r" % out[-60:])
out = raw(b"CONNECT 203.0.113.10:8080 HTTP/1.1\r\nHost: x\r\n\r\n")
st, _, body = parse_response(out)
check(st == 403 and b"ports" in body, "CONNECT to a port the role does not allow: %r" % out[:200])

# --- Python requests ---
import requests  # noqa: E402

sess = requests.Session()
sess.trust_env = False
prox = {"http": PROXY, "https": PROXY}
r = sess.get("http://203.0.113.10/hello", proxies=prox, timeout=10)
check(r.status_code == 200 and r.text == "hello from upstream\n", "requests: http GET")
r = sess.get("https://tls.test/hello", proxies=prox, verify=cert, timeout=10)
check(r.status_code == 200 and r.text == "hello over tls\n", "requests: https via CONNECT")


def gen():
    for _ in range(64):
        yield b"x" * 16384


r = sess.post("http://echo.test/echo", data=gen(), proxies=prox, timeout=10)
check(r.status_code == 200 and r.json()["len"] == 64 * 16384 and r.json()["chunked"],
      "requests: a streamed (chunked) upload: %r" % r.text[:100])
r = sess.get("http://169.254.169.254/latest/meta-data/", proxies=prox, timeout=10)
check(r.status_code == 403 and r.json()["category"] == "metadata" and
      "X-Ssrfguard-Reason" in r.headers, "requests: metadata refused")
try:
    sess.get("https://evilhosts.test/", proxies=prox, verify=cert, timeout=10)
    check(False, "requests: https to a metadata name must fail")
except requests.exceptions.ProxyError as e:
    check("403" in str(e), "requests: CONNECT to a metadata name refused with 403: %s" % e)

# --- Node (its own http module: absolute-form and CONNECT + TLS) ---
node_js = r"""
const http = require('http'), tls = require('tls'), fs = require('fs');
const [port, ca] = [Number(process.argv[1]), fs.readFileSync(process.argv[2])];
const out = {};
function get(path) {
  return new Promise((ok) => {
    http.get({host: '127.0.0.1', port, path, headers: {Host: new URL(path).host}}, (res) => {
      let b = ''; res.on('data', (d) => b += d); res.on('end', () => ok([res.statusCode, b]));
    }).on('error', (e) => ok([0, String(e)]));
  });
}
function connect(target) {
  return new Promise((ok) => {
    const req = http.request({host: '127.0.0.1', port, method: 'CONNECT', path: target});
    req.on('connect', (res, sock) => {
      if (res.statusCode !== 200) { sock.destroy(); return ok([res.statusCode, '']); }
      const t = tls.connect({socket: sock, servername: 'tls.test', ca}, () => {
        t.write('GET /hello HTTP/1.1\r\nHost: tls.test\r\nConnection: close\r\n\r\n');
      });
      let b = ''; t.on('data', (d) => b += d); t.on('end', () => ok([200, b]));
      t.on('error', (e) => ok([-1, String(e)]));
    });
    req.on('error', (e) => ok([0, String(e)]));
    req.end();
  });
}
(async () => {
  out.get = await get('http://203.0.113.10/hello');
  out.meta = await get('http://169.254.169.254/latest/meta-data/');
  out.tls = await connect('tls.test:443');
  out.tlsmeta = await connect('evilhosts.test:443');
  console.log(JSON.stringify(out));
})();
"""
r = subprocess.run(["node", "-e", node_js, str(PX), cert], capture_output=True, timeout=30)
doc = json.loads(r.stdout or b"{}")
check(doc.get("get") == [200, "hello from upstream\n"], "node: http GET via the proxy: %r" % doc)
check(doc.get("meta", [0])[0] == 403, "node: metadata refused: %r" % doc.get("meta"))
check(doc.get("tls", [0, ""])[0] == 200 and doc["tls"][1].endswith("hello over tls\n"),
      "node: TLS through CONNECT: %r" % doc.get("tls"))
check(doc.get("tlsmeta", [0])[0] == 403, "node: CONNECT to a metadata name refused")

# --- Node with undici's ProxyAgent (the agent Node's docs point to; Debian's
# node-undici): every request tunnelled through CONNECT ---
undici_js = r"""
const {ProxyAgent, request} = require('undici');
const fs = require('fs');
const [proxy, ca] = [process.argv[1], fs.readFileSync(process.argv[2])];
const agent = new ProxyAgent({uri: proxy, requestTls: {ca, servername: 'tls.test'}});
async function get(url) {
  try {
    const r = await request(url, {dispatcher: agent});
    return [r.statusCode, await r.body.text()];
  } catch (e) { return [0, String(e)]; }
}
(async () => {
  const out = {};
  out.http = await get('http://203.0.113.10/hello');
  out.tls = await get('https://tls.test/hello');
  out.meta = await get('http://169.254.169.254/latest/meta-data/');
  console.log(JSON.stringify(out));
  await agent.close();
})();
"""
tunnels = sum(1 for d in srv.log_lines() if d.get("method") == "CONNECT")
r = subprocess.run(["node", "-e", undici_js, PROXY, cert], capture_output=True, timeout=30,
                   env=dict(os.environ, NODE_PATH="/usr/share/nodejs"))
doc = json.loads(r.stdout or b"{}")
check(doc.get("http") == [200, "hello from upstream\n"],
      "undici ProxyAgent: http through the proxy: %r %r" % (doc, r.stderr[-300:]))
check(doc.get("tls") == [200, "hello over tls\n"], "undici ProxyAgent: https: %r" % doc)
meta = doc.get("meta", [200, ""])
check(meta[0] == 0 and "Proxy response !== 200" in meta[1],  # undici 5 hides the code
      "undici ProxyAgent: the metadata tunnel refused: %r" % meta)
def undici_tunnels():
    """undici's tunnels in the log (a tunnel's line is written when it ends)."""
    return [d for d in srv.log_lines() if d.get("method") == "CONNECT"][tunnels:]


end = time.time() + 10
while time.time() < end and not any(d.get("target") == "tls.test:443" for d in undici_tunnels()):
    time.sleep(0.05)
connects = undici_tunnels()
check(any(d.get("target") == "169.254.169.254:80" and d.get("status") == 403 for d in connects)
      and any(d.get("target") == "tls.test:443" and d.get("status") == 200 for d in connects),
      "undici's tunnels are in the proxy's log, the metadata one refused: %r" % connects)

# --- metrics and logs name the role ---
st, _, body = srv.get("/metrics")
check(b'ssrfguard_proxy_requests_total{role="default",decision="block"}' in body and
      b"ssrfguard_proxy_tunnels_total" in body, "proxy metrics by role")
lines = [d for d in srv.log_lines() if d.get("route") == "proxy"]
check(lines and all(d.get("role") == "default" for d in lines), "every proxy log line names the role")
check(all(d.get("role") == "default" for d in srv.log_lines() if d.get("event") == "decision"
          and "CONNECT" not in d.get("url", "")), "decision lines name the role")
check(srv.stop() == 0, "srv: clean exit after SIGTERM (no sanitizer report)")

# --- roles ---
pw = hashlib.sha256(b"s3cret").hexdigest()
roles = os.path.join(tmp, "roles.conf")
with open(roles, "w") as f:
    f.write("""# test roles
[global]
deny = *.blocked.test
message = ask the platform team
[role ci]
mode = enforce
allow = 203.0.113.10, echo.test
users = ci:%s
[role watcher]
mode = report
users = watcher
uids = %d
[role default]
mode = open
""" % (pw, os.getuid()))
sock = os.path.join(tmp, "proxy.sock")
srv2 = Serve({"rule": ALLOW, "proxy_listen": "127.0.0.1:%d" % PX, "proxy_roles": roles},
             port=5002, tmp=tmpdir("sg-proxy-b-"))
rc, out, _ = curl("-U", "ci:s3cret", "http://203.0.113.10/hello")
check(out == b"hello from upstream\n", "role ci: allowed host: %r" % out)
rc, out, _ = curl("-i", "-U", "ci:s3cret", "http://203.0.113.11/hello")
st, hd, body = parse_response(out)
doc = json.loads(body or b"{}")
check(st == 403 and doc.get("category") == "denied" and doc.get("role") == "ci" and
      doc.get("message") == "ask the platform team",
      "role ci (enforce): a host off its allow list refused with the message: %r" % out)
rc, out, _ = curl("-i", "-U", "ci:wrong", "http://203.0.113.10/hello")
check(parse_response(out)[0] == 407, "wrong password: 407")
rc, out, _ = curl("-i", "-U", "nobody:x", "http://203.0.113.10/hello")
check(parse_response(out)[0] == 407, "unknown user: 407")
rc, out, _ = curl("-U", "watcher:any", "http://203.0.113.11/hello")
check(out == b"hello from upstream\n", "role watcher (report): allowed, reported")
rc, out, _ = curl("-i", "http://www.blocked.test/")
check(parse_response(out)[0] == 403, "global deny refuses the default role too")
rc, out, _ = curl("-i", "-U", "watcher:any", "http://169.254.169.254/")
check(parse_response(out)[0] == 403, "report mode never opens the metadata service")
rows = attempts(srv2)
check(any(json.loads(r[5]).get("ssrfguard_role") == "ci" and r[1] == "denied" for r in rows),
      "the stored attempt names role ci: %r" % [r[5] for r in rows])
rep = [d for d in srv2.log_lines() if d.get("decision") == "report"]
check(rep and rep[0].get("role") == "watcher" and "not on its allow list" in rep[0].get("why", ""),
      "report decision logged with its role and why: %r" % rep)
check(srv2.stop() == 0, "srv2: clean exit after SIGTERM (no sanitizer report)")

srv3 = Serve({"rule": ALLOW, "proxy_listen": "unix:" + sock, "proxy_roles": roles},
             port=5003, tmp=tmpdir("sg-proxy-c-"))
out = raw(b"GET http://203.0.113.11/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          path=sock)
check(out.startswith(b"HTTP/1.1 200"), "unix socket: served: %r" % out[:40])
lines = [d for d in srv3.log_lines() if d.get("route") == "proxy"]
check(lines and lines[-1].get("role") == "watcher" and lines[-1]["client"].startswith("unix:uid="),
      "unix socket: the peer uid picks the role: %r" % lines[-1:])
check(srv3.stop() == 0, "srv3: clean exit after SIGTERM (no sanitizer report)")

# --- PROXY protocol, and an idle tunnel ---
srv4 = Serve({"rule": ALLOW, "proxy_listen": "127.0.0.1:%d" % PX, "proxy_protocol": "on",
              "proxy_idle_s": 1}, port=5004, tmp=tmpdir("sg-proxy-d-"))
out = raw(b"PROXY TCP4 198.51.100.77 127.0.0.1 40000 3128\r\n"
          b"GET http://169.254.169.254/ HTTP/1.1\r\nHost: x\r\n\r\n", read_all=False)
v2 = (b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c" + socket.inet_aton("198.51.100.78") +
      socket.inet_aton("127.0.0.1") + (40001).to_bytes(2, "big") + (3128).to_bytes(2, "big"))
out2 = raw(v2 + b"CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: x\r\n\r\n")
srcs = [r[0] for r in attempts(srv4)]
check(out.startswith(b"HTTP/1.1 403") and out2.startswith(b"HTTP/1.1 403") and
      srcs == ["198.51.100.77", "198.51.100.78"],
      "PROXY v1 and v2: the real client is judged and recorded: %r" % srcs)
out = raw(b"GET http://203.0.113.10/hello HTTP/1.1\r\nHost: x\r\n\r\n")
check(out == b"", "no PROXY header: the connection is closed, never served: %r" % out[:40])
s = socket.create_connection(("127.0.0.1", PX))
s.sendall(b"PROXY TCP4 198.51.100.79 127.0.0.1 1 2\r\nCONNECT 203.0.113.11:443 HTTP/1.1\r\n"
          b"Host: x\r\n\r\n")
s.settimeout(10)
t0 = time.time()
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
s.close()
check(got.startswith(b"HTTP/1.1 200") and time.time() - t0 < 5,
      "an idle tunnel is closed after proxy_idle_s (%.1f s)" % (time.time() - t0))
check(srv4.stop() == 0, "srv4: clean exit after SIGTERM (no sanitizer report)")

# --- TLS listener, client certificates, CRL ---
pki = tmpdir("sg-proxy-pki-")


def ossl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=pki)


ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=test client CA",
     "-keyout", "ca.key", "-out", "ca.pem")
ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
     "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "srv.key", "-out", "srv.pem")
for who in ("ci-bot", "revoked", "stranger"):
    ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + who, "-keyout", who + ".key",
         "-out", who + ".csr")
    ossl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-days", "2", "-out", who + ".pem")
with open(os.path.join(pki, "ca.cnf"), "w") as f:
    f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
            "default_md = sha256\ndefault_crl_days = 2\n")
open(os.path.join(pki, "index.txt"), "w").close()
with open(os.path.join(pki, "crlnumber"), "w") as f:
    f.write("01\n")
ossl("ca", "-config", "ca.cnf", "-revoke", "revoked.pem", "-keyfile", "ca.key", "-cert", "ca.pem")
ossl("ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem", "-out", "crl.pem")
with open(roles) as f:
    text = f.read()
with open(roles, "w") as f:
    f.write(text.replace("[role ci]\n", "[role ci]\ncerts = ci-bot, revoked\n"))
P = lambda n: os.path.join(pki, n)  # noqa: E731
srv6 = Serve({"rule": ALLOW, "proxy_listen": "127.0.0.1:%d" % PX, "proxy_roles": roles,
              "proxy_tls_cert": P("srv.pem"), "proxy_tls_key": P("srv.key"),
              "proxy_client_ca": P("ca.pem"), "proxy_client_crl": P("crl.pem")},
             port=5006, tmp=tmpdir("sg-proxy-f-"))
HP = "https://127.0.0.1:%d" % PX


def tls_curl(who, *args):
    extra = ["--proxy-cert", P(who + ".pem"), "--proxy-key", P(who + ".key")] if who else []
    return curl("--proxy-cacert", P("srv.pem"), *extra, *args, proxy=HP)


rc, out, err = tls_curl("ci-bot", "http://203.0.113.10/hello")
check(rc == 0 and out == b"hello from upstream\n", "TLS listener + client cert: served: %r %r"
      % (out, err))
rc, out, err = tls_curl("ci-bot", "--cacert", cert, "https://tls.test/hello")
check(rc != 0 or out != b"hello over tls\n", "role ci (enforce) may not reach tls.test: %r" % out)
rc, out, err = tls_curl("ci-bot", "-i", "http://169.254.169.254/")
check(parse_response(out)[0] == 403, "metadata refused over the TLS listener too")
rc, out, err = tls_curl("revoked", "http://203.0.113.10/hello")
check(rc != 0 and out == b"", "a revoked client certificate is refused: rc %d %r" % (rc, err))
rc, out, err = tls_curl(None, "http://203.0.113.10/hello")
check(rc != 0 and out == b"", "no client certificate: refused: rc %d" % rc)
rc, out, err = tls_curl("stranger", "-i", "http://203.0.113.10/hello")
check(parse_response(out)[0] == 407, "a valid certificate naming no role: 407: %r %r" % (out[:40], err))
lines = srv6.log_lines()
tls_errs = [d.get("error", "") for d in lines if d.get("event") == "proxy_tls"]
check(any("revoked" in e for e in tls_errs), "the revoked handshake is logged: %r" % tls_errs)
check(any(d.get("route") == "proxy" and d.get("role") == "ci" and d.get("status") == 200
          for d in lines), "the certificate picked role ci")


# --- the CRL reloaded without a restart: a bad file keeps the old one ---
def tls_reloads():
    return [d for d in srv6.log_lines() if d.get("event") == "proxy_tls_reload"]


def wait_tls_reload(n, what, timeout=10.0):
    """Until the n-th reload is logged (its state is in force before its
    line is written); that line.  Waits for the event, never a fixed time."""
    end = time.time() + timeout
    while time.time() < end:
        lines = tls_reloads()
        if len(lines) >= n:
            return lines[n - 1]
        time.sleep(0.05)
    check(False, "%s: %r" % (what, tls_reloads()))
    return {}


# A bad CRL file, no signal: read once when it changes, then never again.
replace_file(P("crl.pem"), b"-----BEGIN X509 CRL-----\nnot a CRL\n-----END X509 CRL-----\n")
fail = wait_tls_reload(1, "the bad CRL file is read when it changes")
check(fail.get("ok") is False and fail.get("trigger") == "file_changed" and
      "proxy_client_crl" in fail.get("error", ""), "the failed reload is logged: %r" % fail)
doc = json.loads(srv6.get("/healthz")[2])
check(doc.get("status") == "degraded" and doc.get("proxy_tls") == "reload_failed" and
      "proxy_client_crl" in doc.get("proxy_tls_error", ""), "healthz: degraded, and why: %r" % doc)
body = srv6.get("/metrics")[2]
check(b"ssrfguard_proxy_tls_reload_failing 1" in body and
      b'ssrfguard_proxy_tls_reloads_total{result="error"} 1' in body,
      "the failed reload in the metrics")
rc, out, err = tls_curl("ci-bot", "http://203.0.113.10/hello")
check(rc == 0 and out == b"hello from upstream\n", "old CRL in force: ci-bot still served")
rc, out, err = tls_curl("revoked", "http://203.0.113.10/hello")
check(rc != 0 and out == b"", "old CRL in force: revoked still refused")
# ci-bot revoked after the start: the new CRL is picked up when the file
# changes (no signal), and ci-bot's next connection is refused.
ossl("ca", "-config", "ca.cnf", "-revoke", "ci-bot.pem", "-keyfile", "ca.key", "-cert", "ca.pem")
ossl("ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem", "-out",
     "crl.new")
os.replace(P("crl.new"), P("crl.pem"))
good = wait_tls_reload(2, "the good CRL file is read when it changes")
check(good.get("ok") is True and good.get("trigger") == "file_changed",
      "one reload per change, the bad file never retried: %r" % tls_reloads())
doc = json.loads(srv6.get("/healthz")[2])
check(doc.get("proxy_tls") == "ok" and doc.get("status") == "ok",
      "a good CRL file ends the failed state: %r" % doc)
rc, out, err = tls_curl("ci-bot", "http://203.0.113.10/hello")
check(rc != 0 and out == b"", "ci-bot, revoked after the start, refused after the reload: rc %d"
      % rc)
body = srv6.get("/metrics")[2]
check(b"ssrfguard_proxy_tls_reload_failing 0" in body, "metrics: the reload succeeded")
# The client CA rotated (a new CA and its CRL), SIGHUP: a certificate of the
# new CA is served, one of the old CA no longer is.
os.makedirs(os.path.join(pki, "ca2"))
ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days",
     "2", "-subj", "/CN=second client CA", "-keyout", "ca2.key", "-out", "ca2.pem")
ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
     "-subj", "/CN=ci-bot", "-keyout", "cb2.key", "-out", "cb2.csr")
ossl("x509", "-req", "-in", "cb2.csr", "-CA", "ca2.pem", "-CAkey", "ca2.key", "-CAcreateserial",
     "-days", "2", "-out", "cb2.pem")
with open(os.path.join(pki, "ca2.cnf"), "w") as f:
    f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = ca2/index.txt\ncrlnumber = ca2/crlnumber\n"
            "default_md = sha256\ndefault_crl_days = 2\n")
open(os.path.join(pki, "ca2/index.txt"), "w").close()
with open(os.path.join(pki, "ca2/crlnumber"), "w") as f:
    f.write("01\n")
ossl("ca", "-config", "ca2.cnf", "-gencrl", "-keyfile", "ca2.key", "-cert", "ca2.pem", "-out",
     "crl2.pem")
os.replace(P("ca2.pem"), P("ca.pem"))
os.replace(P("crl2.pem"), P("crl.pem"))
# the poll may read the files between the two replaces too; the SIGHUP's
# reload, after both, reads both
seen = len(tls_reloads())
srv6.p.send_signal(signal.SIGHUP)
end = time.time() + 10
while time.time() < end and not any(d.get("trigger") == "SIGHUP" for d in tls_reloads()[seen:]):
    time.sleep(0.05)
hup = [d for d in tls_reloads()[seen:] if d.get("trigger") == "SIGHUP"]
check(hup and hup[0].get("ok") is True, "the SIGHUP reload of the new CA: %r" % tls_reloads())
rc, out, err = tls_curl("cb2", "http://203.0.113.10/hello")
check(rc == 0 and out == b"hello from upstream\n", "a certificate of the new client CA is "
      "served after the reload: %r %r" % (out, err))
rc, out, err = tls_curl("stranger", "http://203.0.113.10/hello")
check(rc != 0 and out == b"", "a certificate of the old client CA is refused: rc %d" % rc)
check(srv6.stop() == 0, "srv6: clean exit after SIGTERM (no sanitizer report)")

# --- descriptors run out: accepting pauses, no log flood, service recovers ---
srv5 = Serve({"rule": ALLOW, "proxy_listen": "127.0.0.1:%d" % PX}, port=5005,
             tmp=tmpdir("sg-proxy-e-"), start=False)
srv5.args = ["prlimit", "--nofile=64", *srv5.args]
srv5.start()
hold = []
for _ in range(120):
    try:
        hold.append(socket.create_connection(("127.0.0.1", PX), timeout=2))
    except OSError:
        break
time.sleep(1.5)
# Proxy connections count in max_connections (16 a loop here): idle ones
# are evicted for new ones, and when descriptors run out first, accept
# pauses; either way the log stays small and /healthz gets a place.
st, _, body = srv5.get("/metrics", timeout=10)
check(st == 200, "/metrics answers during the flood: %r" % st)
ev = [ln for ln in body.decode().splitlines()
      if ln.startswith("ssrfguard_idle_clients_evicted_total")]
evicted = int(ev[0].split()[1]) if ev else 0
size = os.path.getsize(srv5.log)
pauses = [d for d in srv5.log_lines() if d.get("event") == "accept_paused"]
check((pauses or evicted > 0) and size < 100000, "descriptors short: %d idle connections "
      "evicted, accept paused and logged %d times (%d log bytes), not once per failed accept"
      % (evicted, len(pauses), size))
for h in hold:
    h.close()
time.sleep(0.5)
rc, out, _ = curl("http://203.0.113.10/hello")
check(out == b"hello from upstream\n", "after the flood the proxy serves again: %r" % out)
check(srv5.stop() == 0, "srv5: clean exit after SIGTERM (no sanitizer report)")
finish()
