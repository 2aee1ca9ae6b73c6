#!/usr/bin/env python3
"""ssrfguard dashboard, as an operator and as an attacker meet it.

- it refuses to start without a private token file of a sane token, or
  without a store; it logs the port it really listens on (JSON line);
- every request without the token gets 401 and only the sign-in form; the
  token works as a bearer header and as the cookie the form sets;
- the list and one incident's detail carry what the store holds (state,
  instance, source, attempts, attempts' URLs, timeline, report);
- hostile incidents (markup, quotes, control bytes, invalid UTF-8, CRLF in
  a destination) come out as well-formed JSON text: no raw control byte,
  no invalid UTF-8, no "</" and nothing in any response header;
- live updates: the event stream starts with the newest page of the list
  and sends it again when the store changes;
- more incidents than a page (1,205): /api/incidents lists every one, and
  /api/page pages through them all (total, the next page's id), none
  twice, none left out; a malformed page parameter is 400;
- every response carries the strict CSP; the page has no inline script and
  its script never uses innerHTML.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import sse

BIN, SEED = sys.argv[1], sys.argv[2]
TOKEN = "t0ken-for-the-dashboard-test-0123456789"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


tmp = tempfile.mkdtemp(prefix="dashboard-")
store = os.path.join(tmp, "incidents.db")
tokfile = os.path.join(tmp, "token")


def write_token(text, mode=0o600):
    with open(tokfile, "w") as f:
        f.write(text)
    os.chmod(tokfile, mode)


def start(*extra):
    return subprocess.Popen([BIN, "dashboard", "--listen", "127.0.0.1:0", "--store", store,
                             "--token-file", tokfile, *extra],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


def refused(why, expect_rc, *extra):
    p = start(*extra)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        check(False, f"{why}: still running")
        return
    check(p.returncode == expect_rc, f"{why}: exit {p.returncode}, want {expect_rc}: {err}")
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    check(lines and len(lines) == len(err.splitlines())
          and all(x.get("level") == "error" and x.get("ts", "").endswith("Z") and x.get("message")
                  for x in lines), f"{why}: says why, as a JSON log line: {err}")


# --- refusals ---------------------------------------------------------------
write_token(TOKEN + "\n")
refused("no store yet", 2)
check(subprocess.run([SEED, store]).returncode == 0, "seeding hostile incidents")
r = subprocess.run([BIN, "dashboard", "--store", store], capture_output=True, text=True)
check(r.returncode == 2 and "--token-file" in r.stderr, f"no --token-file: usage error: {r.stderr}")
write_token(TOKEN, 0o644)
refused("a world-readable token file", 2)
write_token("short\n")
refused("a short token", 2)
write_token("has a space in it, far too open\n")
refused("a token with spaces", 2)
refused("a bad listen address", 2, "--listen", "nowhere")
write_token(TOKEN + "\n")

# --- serving ----------------------------------------------------------------
p = start()
line = p.stderr.readline()
try:
    ev = json.loads(line)
except ValueError:
    ev = {}
version = subprocess.run([BIN, "version"], capture_output=True, text=True).stdout.split()[-1]
check(ev.get("event") == "listening" and ev.get("level") == "info" and "ts" in ev
      and ev.get("version") == version, f"a JSON listening line with the version: {line!r}")
port = int(ev.get("message", ":0").rsplit(":", 1)[1])


def req(method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheaders(), data


BEARER = {"Authorization": "Bearer " + TOKEN}
CSP_MUST = ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"]


def common_headers(what, headers):
    h = {k.lower(): v for k, v in headers}
    csp = h.get("content-security-policy", "")
    check(all(x in csp for x in CSP_MUST), f"{what}: strict CSP: {csp}")
    check(h.get("x-content-type-options") == "nosniff", f"{what}: nosniff")
    check(h.get("cache-control") == "no-store", f"{what}: no-store")
    blob = "\n".join(f"{k}: {v}" for k, v in headers).lower()
    check("pwned" not in blob and "set-cookie" not in h,
          f"{what}: no incident text in any header: {blob}")


# every path without a valid token: 401 and the form, no data
for path in ["/", "/app.js", "/api/incidents", "/api/incidents/1"]:
    for hdrs in [{}, {"Authorization": "Bearer " + TOKEN[:-1] + "X"},
                 {"Authorization": "Bearer " + TOKEN + "X"}, {"Authorization": "Basic " + TOKEN},
                 {"Cookie": "ssrfguard_dash=" + TOKEN[:-1]}, {"Cookie": "other=" + TOKEN}]:
        st, hd, body = req("GET", path, hdrs)
        check(st == 401 and b"<form" in body and b"169.254" not in body,
              f"GET {path} with {hdrs}: 401 and the form, got {st}")
        common_headers(f"401 {path}", hd)

# the page, its script and style, behind the token
st, hd, page = req("GET", "/", BEARER)
check(st == 200 and b"<table" in page, f"the page: {st}")
common_headers("page", hd)
check(page.count(b"<script") == page.count(b"<script src="), "no inline script in the page")
st, hd, js = req("GET", "/app.js", BEARER)
check(st == 200 and b"textContent" in js and b"innerHTML" not in js and b"outerHTML" not in js
      and b"insertAdjacentHTML" not in js and b"document.write" not in js,
      "the script fills the DOM with textContent only")
check(dict((k.lower(), v) for k, v in hd).get("content-type", "").startswith("text/javascript"),
      "app.js served as JavaScript")
st, hd, _ = req("GET", "/app.css", {"Cookie": "a=b; ssrfguard_dash=" + TOKEN})
check(st == 200, f"the cookie is a token too: {st}")

# the list
st, hd, raw = req("GET", "/api/incidents", BEARER)
common_headers("list", hd)


def well_formed(what, raw):
    try:
        raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        check(False, f"{what}: invalid UTF-8 in the response: {e}")
    check(not any(b < 0x20 for b in raw), f"{what}: no raw control byte")
    check(b"</" not in raw, f"{what}: no '</' (cannot close a script element)")


well_formed("list", raw)
lst = json.loads(raw)
check(st == 200 and len(lst) == 2, f"two incidents listed: {lst}")
by_source = {i["source"]: i for i in lst}
a = by_source.get("203.0.113.10", {})
check(a.get("state") == "open" and a.get("instance") == "i-0123456789abcdef0"
      and a.get("attempts") == 1 and a.get("category") == "metadata",
      f"state, instance, attempts of the containment incident: {a}")
check(by_source.get("203.0.113.11", {}).get("state") == "logged", "the logged incident")
check(a.get("dest") == "169.254.169.254:80\r\nSet-Cookie: pwned=1",
      f"the CRLF destination kept as text: {a.get('dest')!r}")

# one incident's detail
st, hd, raw = req("GET", f"/api/incidents/{a.get('id')}", BEARER)
common_headers("detail", hd)
well_formed("detail", raw)
d = json.loads(raw)
at = d["attempts"][0] if d.get("attempts") else {}
check(at.get("url") == "http://169.254.169.254/<script>alert(3)</script>\"'\x01\x1b[31m"
      "\ufffd\ufffd\ufffd\ufffd", f"the hostile URL, invalid bytes as U+FFFD: {at.get('url')!r}")
check(at.get("reason") == "</script><script>alert(4)</script>", "the hostile reason as text")
check('"><img src=x onerror=alert(2)>' in at.get("headers", ""), "the hostile header as text")
check(any(h["to"] == "open" for h in d.get("history", [])), f"the timeline: {d.get('history')}")
check(isinstance(d.get("report"), dict), f"the report: {str(d.get('report'))[:200]}")
check(d.get("incident", {}).get("id") == a.get("id"), "the detail is of the incident asked")
check("x-evil" not in "\n".join(k.lower() for k, _ in hd), "a CRLF in a request id is no header")

# the detail's tables: AWS calls in time order, evidence, the examination
calls = d.get("calls", [])
check([c.get("api") for c in calls] == ["ec2:CreateSnapshot", "ssm:SendCommand"],
      f"every AWS call, oldest first: {calls}")
c0 = calls[0] if calls else {}
check(c0.get("step") == "snapshot" and c0.get("target") == 'vol-"><svg onload=alert(7)>'
      and c0.get("request_id") == "req-\x01\r\nX-Evil: 1" and c0.get("change") == "<b>snapshot</b>"
      and c0.get("outcome") == "FAILED: <img src=x onerror=alert(8)>"
      and c0.get("at_ms") == 1796400000000, f"a failed call, its hostile text as text: {c0}")
check(len(calls) == 2 and calls[1].get("outcome") == "ok (polled 3 times)",
      f"a polled call: {calls[1:]}")
ev = {(e.get("kind"), e.get("object")): e for e in d.get("evidence", [])}
snap = ev.get(("snapshot", "snap-</script><script>alert(6)</script>"), {})
check(snap.get("detail") == "of vol-<img src=x onerror=alert(5)>", f"a snapshot: {ev}")
check(ev.get(("volume", "vol-<u>2</u>"), {}).get("detail") == "from snap-1, attached at /dev/sdh\r\n",
      "a volume and where it is attached")
out = ev.get(("capture stdout", "s3://evidence/<script>alert(9)</script>"), {})
check(out.get("sha256", "").startswith("5698fe1c") and out.get("bytes") == 46,
      f"the capture's S3 object and hash: {out}")
err = ev.get(("capture stderr", "SSM command cmd-<i>1</i>"), {})
check("truncated" in err.get("detail", "") and err.get("bytes") is None,
      f"a stream SSM cut is marked, no complete hash claimed: {err}")
check(ev.get(("forensic report", "/cases/<script>alert(10)</script>"), {}).get("sha256") == "ffee"
      and ev.get(("examined device", "vol-<b>x</b>"), {}).get("sha256") == "aabb",
      "the forensic report and the examined device with their hashes")
x = (d.get("forensics") or {}).get("examination", {})
e0 = (x.get("evidence") or [{}])[0]
check(e0.get("yara", {}).get("matches", [{}])[0].get("rules") == ["webshell_<script>alert(13)</script>"]
      and e0.get("persistence", [{}])[0].get("path") == "/etc/cron.d/<img src=x onerror=alert(12)>"
      and e0.get("top_findings", [{}])[0].get("detail") == "\x1b[31m",
      f"the examination's findings, YARA matches and persistence places: {e0}")
st, _, raw2 = req("GET", f"/api/incidents/{by_source['203.0.113.11']['id']}", BEARER)
d2 = json.loads(raw2)
check(d2.get("calls") == [] and d2.get("evidence") == [] and d2.get("forensics") is None,
      f"an incident without steps: empty tables: {d2.get('calls')} {d2.get('evidence')}")

for path, want in [("/api/incidents/999", 404), ("/api/incidents/abc", 404),
                   ("/api/incidents/-1", 404), ("/api/incidents/1/x", 404), ("/nope", 404)]:
    st, _, _ = req("GET", path, BEARER)
    check(st == want, f"GET {path}: {st}, want {want}")
st, _, _ = req("POST", "/api/incidents", BEARER, body="x")
check(st == 405, f"POST to the API: {st}, want 405 (read-only)")

# live updates: the stream starts with the list, and a change in the store
# (the same sources blocked again) arrives as a new list
st, _, _ = req("GET", "/api/events")
check(st == 401, f"the event stream needs the token too: {st}")
c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
c.request("GET", "/api/events", headers=BEARER)
ev = c.getresponse()
common_headers("events", ev.getheaders())
check(ev.status == 200 and ev.getheader("Content-Type") == "text/event-stream",
      f"an event stream: {ev.status} {ev.getheader('Content-Type')}")


def next_list(resp):
    return sse.next_list(resp, lambda line: well_formed("event", line))


first = next_list(ev)
check(first == {"incidents": lst, "total": 2, "older": None},
      f"the stream starts with the newest page, as the API gives it: {first}")
check(subprocess.run([SEED, store]).returncode == 0, "the same sources blocked again")
second = (next_list(ev) or {}).get("incidents")
check(second and {i["source"]: i["attempts"] for i in second} ==
      {"203.0.113.10": 2, "203.0.113.11": 2}, f"the change arrives live: {second}")
c.close()
# a new stream gets the list once, not again at the next reads of the store
# while nothing changes (a needless redraw takes the operator's click away),
# also when the store changed while nobody listened
time.sleep(1.5)  # the closed stream is gone
check(subprocess.run([SEED, store]).returncode == 0, "blocked again while nobody listens")
raw = socket.create_connection(("127.0.0.1", port), timeout=1)
raw.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            TOKEN.encode() + b"\r\n\r\n")
got, end = b"", time.time() + 3.5
while time.time() < end:
    try:
        chunk = raw.recv(65536)
    except socket.timeout:
        continue
    if not chunk:
        break
    got += chunk
raw.close()
check(got.count(b"event: incidents") == 1,
      f"one list in 3.5 s of a store that does not change: {got.count(b'event: incidents')}")

# sign-in form: the token sets an HttpOnly SameSite=Strict cookie; a wrong one does not
form = {"Content-Type": "application/x-www-form-urlencoded"}
st, hd, _ = req("POST", "/login", form, body="token=" + TOKEN[:-1] + "Z")
check(st == 401 and "set-cookie" not in {k.lower() for k, _ in hd}, f"wrong sign-in: {st}")
st, hd, _ = req("POST", "/login", form, body="token=" + TOKEN)
h = {k.lower(): v for k, v in hd}
cookie = h.get("set-cookie", "")
check(st == 303 and h.get("location") == "/" and "HttpOnly" in cookie
      and "SameSite=Strict" in cookie, f"sign-in: {st} {cookie}")

# a stream still open at the stop ends with it (under ASan: nothing leaks)
held = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
held.request("GET", "/api/events", headers=BEARER)
check(next_list(held.getresponse()) is not None, "a second stream starts")
p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=10)
except subprocess.TimeoutExpired:
    p.kill()
    rc = None
tail = p.stderr.read()
held.close()
check(rc == 0, f"SIGTERM stops it cleanly: {rc}: {tail[-3000:]}")

# More incidents than a page, and than the 1000 the list once stopped at
# (silently): every one is listed, and the pages reach every one.
MANY = 1203
check(subprocess.run([SEED, store, str(MANY)]).returncode == 0, f"{MANY} more incidents seeded")
p = start()
port = int(json.loads(p.stderr.readline())["message"].rsplit(":", 1)[1])
st, _, raw = req("GET", "/api/incidents", BEARER)
well_formed("the whole list", raw)
every = json.loads(raw) if st == 200 else []
ids = [i["id"] for i in every]
check(len(ids) == MANY + 2 and ids == sorted(set(ids), reverse=True),
      f"/api/incidents lists all {MANY + 2}, newest first: {len(ids)}")
paged, before, pages = [], None, 0
while pages < 10:
    st, hd, raw = req("GET", "/api/page" + (f"?before={before}" if before else ""), BEARER)
    common_headers("page", hd)
    well_formed("page", raw)
    pg = json.loads(raw) if st == 200 else {}
    pages += 1
    check(pg.get("total") == MANY + 2, f"each page says how many there are: {pg.get('total')}")
    paged += [i["id"] for i in pg.get("incidents", [])]
    before = pg.get("older")
    if not before:
        break
    check(before == paged[-1], f"the next page starts below the last shown: {before} {paged[-1:]}")
check(pages == 3 and paged == ids, f"three pages of 500 reach every incident once: {pages} {len(paged)}")
st, _, raw = req("GET", f"/api/page?before={ids[10]}&limit=3", BEARER)
pg = json.loads(raw) if st == 200 else {}
check([i["id"] for i in pg.get("incidents", [])] == ids[11:14] and pg.get("older") == ids[13],
      f"a page below an id, of a chosen size: {pg.get('older')}")
st, _, raw = req("GET", f"/api/page?before={ids[-1]}", BEARER)
pg = json.loads(raw) if st == 200 else {}
check(pg.get("incidents") == [] and pg.get("older") is None, f"below the oldest: nothing more: {pg}")
for q in ("before=abc", "before=0", "before=-1", "limit=0", "limit=1001", "limit=5x", "page=2",
          "before=1&before=2x", "before=" + "9" * 30):
    st, _, raw = req("GET", "/api/page?" + q, BEARER)
    check(st == 400 and b"before and limit" in raw, f"GET /api/page?{q}: {st} {raw[:80]}")
st, _, _ = req("GET", "/api/page")
check(st == 401, f"a page needs the token too: {st}")
st, _, _ = req("GET", "/api/events?before=x", BEARER)
check(st == 400, f"a live page of a malformed id: {st}")
c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
c.request("GET", f"/api/events?before={ids[600]}&limit=5", headers=BEARER)
pg = next_list(c.getresponse()) or {}
check([i["id"] for i in pg.get("incidents", [])] == ids[601:606] and pg.get("total") == MANY + 2,
      f"the live stream of an older page carries that page: {pg.get('older')}")
c.close()
p.send_signal(signal.SIGTERM)
check(p.wait(timeout=10) == 0, "stopped")

print("dashboard:", "FAILED %d" % len(failures) if failures else "ok")
sys.exit(1 if failures else 0)
