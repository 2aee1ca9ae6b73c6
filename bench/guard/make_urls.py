#!/usr/bin/env python3
"""make_urls.py N [userinfo] — N literal-address URLs a line (deterministic),
the input of bench/guard/bench_check.sh: public, private, loopback and
metadata addresses in several spellings, IPv6, ports, paths and queries; no
names (a name would time the resolver, not the parser).  With "userinfo"
every URL carries "user:pw@", so no URL takes the intent readers' fast path
(their worst case)."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
userinfo = "user:pw@" if len(sys.argv) > 2 and sys.argv[2] == "userinfo" else ""
rnd = random.Random(17)
paths = ["/", "/index.html", "/latest/meta-data/", "/api/v1/items?id=42&sort=asc",
         "/webhook?token=abc123", "/img/logo.png", "/a/b/c/d?x=%20y#frag"]
out = sys.stdout
for i in range(n):
    k = i % 10
    a, b, c, d = (rnd.randrange(256) for _ in range(4))
    p = rnd.choice(paths)
    if k < 4:
        host = f"{rnd.randrange(1, 224)}.{b}.{c}.{d}"
    elif k == 4:
        host = f"10.{b}.{c}.{d}"
    elif k == 5:
        host = "169.254.169.254"
    elif k == 6:
        host = f"[2001:db8:{a:x}::{d:x}]"
    elif k == 7:
        host = f"192.168.{c}.{d}:{rnd.randrange(1, 65536)}"
    elif k == 8:
        host = f"0x{a:02x}{b:02x}{c:02x}{d:02x}"
    else:
        host = "127.0.0.1:8080"
    scheme = "https" if rnd.random() < 0.5 else "http"
    out.write(f"{scheme}://{userinfo}{host}{p}\n")
