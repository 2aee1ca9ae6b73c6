#!/usr/bin/python3
"""intent_test.py READERS SSRFGUARD WHATWG.json INTENT.tsv — attack intent.

1. read_whatwg.c against the WHATWG URL standard's own test data (a subset of
   web-platform-tests url/resources/urltestdata.json, source named in the
   file): every expected failure is no reading, every expected hostname is
   the reading (an address compared as bytes).
2. read_urllib.c against python3 itself, on every URL of both files:
   urllib.parse.urlsplit(url).hostname and urllib.request.Request(url).host
   through http.client.HTTPConnection, then what Python's socket layer does
   with the host (the idna codec for non-ASCII, getaddrinfo for numbers:
   here with AI_NUMERICHOST, so nothing is looked up).  A host holding '@'
   never resolves and counts as no reading.
3. read_numbers.c against Python's int() on each part, modulo 256.
4. `ssrfguard check` on INTENT.tsv: attack URLs block as category intent
   with the named reader; legitimate URLs stay allowed; "intent off" turns
   the readings off.  Names resolve only through --resolve pins.
"""
import http.client
import ipaddress
import json
import socket
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

readers_exe, exe, whatwg_file, intent_file = sys.argv[1:5]
failures = 0


def expect(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def read_all(urls):
    """Run intent_readers over urls: one dict of reader -> (kind, value) each."""
    data = "".join(u.encode("utf-8", "surrogatepass").hex() + "\n" for u in urls)
    p = subprocess.run([readers_exe], input=data.encode(), capture_output=True, timeout=60)
    if p.returncode != 0:
        print("intent_readers failed:", p.stderr.decode())
        sys.exit(1)
    out = []
    for line in p.stdout.decode("utf-8").split("\n")[:-1]:
        d = {}
        for field in line.split("\t"):
            k, v = field.split("=", 1)
            if k == "numbers":
                d[k] = v.split(",") if v else []
            else:
                kind, val = v.split(":", 1)
                d[k] = (kind, val)
        out.append(d)
    expect(len(out) == len(urls), f"one output line per URL ({len(out)} != {len(urls)})")
    return out


def packed(addr):
    return ipaddress.ip_address(addr.split("%")[0]).packed


def same(mine, want):
    """mine, want: (kind, value); addresses compare as bytes."""
    if mine[0] != want[0]:
        return False
    if mine[0] == "ip":
        return packed(mine[1]) == packed(want[1])
    return mine[1] == want[1]


# ---- 1. WHATWG ----
vectors = [v for v in json.load(open(whatwg_file, encoding="utf-8")) if isinstance(v, dict)]
got = read_all([v["input"] for v in vectors])
for v, g in zip(vectors, got):
    mine = g["whatwg"]
    if v.get("failure"):
        expect(mine[0] == "none", f"whatwg {v['input']!r}: a failure, read as {mine}")
        continue
    h = v["hostname"]
    if h.startswith("["):
        want = ("ip", h[1:-1])
    else:
        try:
            want = ("ip", str(ipaddress.IPv4Address(h)))
        except ValueError:
            want = ("name", h.rstrip("."))
    expect(same(mine, want), f"whatwg {v['input']!r}: want {want}, read {mine}")


# ---- 2. Python's urllib, asked directly ----
def python_connects_to(host):
    if not host or "@" in host:
        return ("none", "")
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        return ("none", "")
    try:
        info = socket.getaddrinfo(ascii_host, 80, type=socket.SOCK_STREAM,
                                  flags=socket.AI_NUMERICHOST)
        return ("ip", info[0][4][0])
    except (socket.gaierror, UnicodeError, ValueError):
        pass
    name = ascii_host.lower().rstrip(".")
    return ("name", name) if name else ("none", "")


def python_parse(url):
    try:
        return python_connects_to(urllib.parse.urlsplit(url).hostname)
    except ValueError:
        return ("none", "")


def python_request(url):
    try:
        req = urllib.request.Request(url)
        if not req.host:
            return ("none", "")  # urlopen: URLError('no host given')
        conn = http.client.HTTPConnection(req.host)
        # putrequest() refuses the path as http.client._validate_path does.
        if http.client._contains_disallowed_url_pchar_re.search(req.selector):
            return ("none", "")
        return python_connects_to(conn.host)
    except (ValueError, http.client.HTTPException, UnicodeError):
        return ("none", "")


rows = []
with open(intent_file, encoding="utf-8") as f:
    for line in f:
        if line.startswith("#") or not line.strip():
            continue
        rows.append(line.rstrip("\n").split("\t"))
urls = [v["input"] for v in vectors if "\x00" not in v["input"]] + [r[2] for r in rows]
got = read_all(urls)
for u, g in zip(urls, got):
    for reader, oracle in (("urllib.parse", python_parse), ("urllib.request", python_request)):
        want = oracle(u)
        expect(same(g[reader], want), f"{reader} {u!r}: python reads {want}, ours {g[reader]}")

# ---- 3. lenient numbers ----
def lenient(host):
    parts = host.rstrip(".").split(".")
    if len(parts) != 4 or not all(p.isdigit() and p.isascii() and len(p) <= 32 for p in parts):
        return []
    dec = [int(p) % 256 for p in parts]
    octal = [int(p, 8) % 256 if len(p) > 1 and p[0] == "0" and set(p) <= set("01234567")
             else int(p) % 256 for p in parts]
    out = [".".join(map(str, dec))]
    if octal != dec:
        out.append(".".join(map(str, octal)))
    return out


for u, g in zip(urls, got):
    host = g["urllib.parse"][1] if g["urllib.parse"][0] != "none" else ""
    try:
        raw = urllib.parse.urlsplit(u).hostname or ""
    except ValueError:
        raw = ""
    if raw.isascii():
        expect(g["numbers"] == lenient(raw), f"numbers {u!r}: want {lenient(raw)}, got {g['numbers']}")

# ---- 4. ssrfguard check ----
def check(args, urls):
    p = subprocess.run([exe, "check"] + args + ["-"], input="".join(u + "\n" for u in urls).encode(),
                       capture_output=True, timeout=120)
    return [l.split("\t") for l in p.stdout.decode("utf-8").split("\n")[:-1]]


pins = ["--resolve", "example.com:93.184.216.34", "--resolve", "www.example.com:93.184.216.34",
        "--resolve", "evil.example:198.51.100.7", "--allow", "198.51.100.0/24"]
out = check(pins, [r[2] for r in rows])
expect(len(out) == len(rows), "one verdict per intent.tsv row")
for r, o in zip(rows, out):
    verdict, category, reader, url = r[0], r[1], r[3], r[2]
    expect(o[1] == verdict and o[2] == category, f"{url!r}: want {verdict} {category}, got {o[1:4]}")
    if category == "intent":
        expect(o[3].startswith(f"intent:{reader}:"), f"{url!r}: want reader {reader}, rule {o[3]}")
with tempfile.NamedTemporaryFile("w", suffix=".policy") as pf:
    pf.write("intent off\n")
    pf.flush()
    off = check(pins + ["--policy", pf.name], [r[2] for r in rows if r[1] == "intent"])
    expect(all(o[2] != "intent" for o in off), f"intent off: {[o[2] for o in off]}")

print("intent:", "ok" if not failures else f"{failures} failures")
sys.exit(1 if failures else 0)
