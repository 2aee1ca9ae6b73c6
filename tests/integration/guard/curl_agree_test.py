#!/usr/bin/python3
"""curl_agree_test.py SSRFGUARD CORPUS.tsv — proof that the guard judges the
address libcurl really connects to.

For every http(s) URL of the corpus whose host is an address literal in any
spelling (no DNS involved), the same libcurl, driven by the curl tool in a
UTF-8 locale (so IDNA applies exactly as for a fetcher), is asked to fetch
it; the address in its "Trying ADDR:PORT..." line must be the address
ssrfguard judged.  For every URL ssrfguard calls malformed, curl must not
try to connect anywhere.  (A host with trailing dots is judged as its
address even though libcurl 7.88 sends "127.0.0.1." to DNS: stricter.)
Runs under tests/netns-run: the namespace has
only loopback and no route, so a connect to anything else fails at once
without a packet leaving; loopback connects are refused (nothing listens
on the ports used).
"""
import json
import os
import re
import subprocess
import sys

exe, corpus = sys.argv[1:3]
rows = []
with open(corpus, encoding="utf-8") as f:
    for line in f:
        if line.startswith("#") or not line.strip():
            continue
        rows.append(line.rstrip("\n").split("\t")[2])
urls = [u for u in rows if re.match(r"(?i)https?:", u)]
p = subprocess.run([exe, "check", "--json", "-"], input="".join(u + "\n" for u in urls).encode(),
                   capture_output=True, timeout=300)
verdicts = [json.loads(l) for l in p.stdout.decode().splitlines()]
assert len(verdicts) == len(urls), "one verdict per URL"

env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
trying = re.compile(rb"Trying \[?([0-9A-Fa-f:.]+)\]?:(\d+)\.\.\.")
checked = disagree = 0
for url, v in zip(urls, verdicts):
    literal = v["addr"] and "=" not in v["destination"]
    malformed = v["category"] == "malformed"
    if not literal and not malformed:
        continue
    r = subprocess.run(["curl", "-gsv", "--connect-timeout", "1", "--max-time", "3", "-o", "/dev/null",
                        "--", url], capture_output=True, env=env, timeout=20)
    tried = [(m.group(1).decode(), int(m.group(2))) for m in trying.finditer(r.stderr)]
    checked += 1
    if malformed:
        if tried:
            disagree += 1
            print(f"DISAGREE: {url!r}: ssrfguard says malformed ({v['rule']}), curl tried {tried}")
        continue
    want = (v["addr"], v["port"])
    # "127.0.0.1." is no address to glibc (inet_aton refuses the dot), so
    # libcurl 7.88 asks DNS for it; the guard judges it as the address
    # anyway (stricter): curl trying nothing is agreement enough.
    host_dot = re.match(r"(?i)https?://(?:[^/?#@]*@)?[^/?#]*\.(?::\d+)?(?:[/?#]|$)", url)
    if tried == [] and host_dot:
        continue
    if tried != [want]:
        disagree += 1
        print(f"DISAGREE: {url!r}: ssrfguard judged {want}, curl tried {tried}")
print(f"curl-agree: {checked} URLs compared with libcurl's connect, {disagree} disagreements")
sys.exit(1 if disagree or checked < 300 else 0)
