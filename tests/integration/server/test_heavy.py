"""test_heavy.py — load and crash proofs for `ssrfguard serve` (suite heavy).

1. 1,000 concurrent clients (RLIMIT_NOFILE raised): each holds its own
   connection open at the same time; 800 allowed fetches and 200 attacks
   from 200 different sources.  Every one gets its right answer; every
   attack has its incident.
2. kill -9 during a burst of attacks, three rounds: after each restart on the
   same store, every attack that was answered 403 has its attempt (unique
   URL) and the database passes integrity_check.
"""
import json
import os
import resource
import selectors
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Serve, Upstream, check, finish, http_get, parse_response, quote  # noqa
from harness import require_netns  # noqa: E402

require_netns()
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
up = Upstream("203.0.113.10:80")
RULES = ["allow 203.0.113.0/24"]

# ---- 1,000 concurrent clients -------------------------------------------------
srv = Serve({"rule": RULES, "max_concurrent": 128, "client_timeout_s": 60,
             "total_timeout_ms": 30000})
N = 1000
sel = selectors.DefaultSelector()
conns = []
for i in range(N):
    s = socket.socket()
    if i % 5 == 0:   # attacks, each from its own source address 127.0.x.y
        src = "127.0.%d.%d" % (1 + i // 250, 1 + i % 250)
        s.bind((src, 0))
        path = "/go?url=" + quote("http://169.254.169.254/latest/meta-data/?c=%d" % i)
    else:
        path = "/go?url=" + quote("http://203.0.113.10/hello?c=%d" % i)
    s.connect(("127.0.0.1", srv.port))
    conns.append((s, path, i % 5 == 0))
check(len(conns) == N, "1000 connections open at once")
# every connection is open before any request is sent
for s, path, _ in conns:
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    s.setblocking(False)
bufs = {}
for k, (s, path, attack) in enumerate(conns):
    sel.register(s, selectors.EVENT_READ, k)
    bufs[k] = b""
open_left = N
deadline = time.time() + 120
while open_left and time.time() < deadline:
    for key, _ in sel.select(timeout=1):
        k = key.data
        try:
            chunk = key.fileobj.recv(65536)
        except BlockingIOError:
            continue
        if chunk:
            bufs[k] += chunk
        else:
            sel.unregister(key.fileobj)
            key.fileobj.close()
            open_left -= 1
check(open_left == 0, "all 1000 clients answered (%d left)" % open_left)
ok_allowed = ok_blocked = 0
incidents = set()
for k, (s, path, attack) in enumerate(conns):
    st, h, body = parse_response(bufs[k])
    if attack and st == 403:
        ok_blocked += 1
        incidents.add(json.loads(body)["incident"])
    elif not attack and st == 200 and body == b"hello from upstream\n":
        ok_allowed += 1
check(ok_allowed == 800, "800 allowed fetches served: %d" % ok_allowed)
check(ok_blocked == 200, "200 attacks blocked: %d" % ok_blocked)
check(len(incidents) == 200, "one incident per attacking source: %d" % len(incidents))
check(srv.sql("SELECT count(*) FROM attempts")[0][0] == 200, "200 attempts committed")
check(srv.stop() == 0, "clean exit after the load")

# ---- kill -9 during a burst of attacks ----------------------------------------
answered = []
lock = threading.Lock()
stop = threading.Event()


def attacker(tid, round_):
    n = 0
    while not stop.is_set():
        url = "http://169.254.169.254/latest/meta-data/?r=%d&t=%d&n=%d" % (round_, tid, n)
        n += 1
        try:
            st, _, body = http_get("127.0.0.1", 5003, "/go?url=" + quote(url), timeout=5,
                                   source="127.0.9.%d" % (tid + 1))
        except OSError:
            continue
        if st == 403:
            with lock:
                answered.append((url, json.loads(body)["incident"]))


# store_detail_max 0: every attempt keeps its row, so each answer can be
# matched to its own (the default aggregates past 100 per incident).
crash = Serve({"rule": RULES, "store_detail_max": 0}, port=5003)
for round_ in range(3):
    if round_:
        crash.start()
    stop.clear()
    threads = [threading.Thread(target=attacker, args=(t, round_)) for t in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.7)
    crash.p.send_signal(signal.SIGKILL)
    crash.p.wait()
    stop.set()
    for t in threads:
        t.join()
crash.start()   # the store opens after three crashes
rows = dict(crash.sql("SELECT url, incident_id FROM attempts"))
missing = [u for u, inc in answered if rows.get(u) != inc]
check(len(answered) > 300, "a real burst was answered before the kills: %d" % len(answered))
check(not missing, "every answered attack has its incident after kill -9: %d missing, e.g. %r"
      % (len(missing), missing[:3]))
counted = crash.sql("SELECT coalesce(sum(attempts), 0) FROM incidents")[0][0]
check(counted >= len(answered), "every answered attack counted in its incident: %d < %d"
      % (counted, len(answered)))
check(crash.sql("PRAGMA integrity_check") == [("ok",)], "store integrity after kill -9")
st, _, _ = crash.go("http://169.254.169.254/", source="127.0.9.1")
check(st == 403, "serving again after the crashes")
crash.stop()
up.stop()
print("answered before kills: %d" % len(answered))
finish()
