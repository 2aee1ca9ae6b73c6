#!/usr/bin/python3
"""corpus_test.py SSRFGUARD CORPUS.tsv PINS POLICY — the whole corpus through
`ssrfguard check --json -` in one run; every URL's verdict and category must
match.  Prints each mismatch (a miss: attack allowed; a false positive:
legitimate URL blocked; or a wrong category) and a summary; exit 1 on any.
Runs under tests/netns-run: names resolve only through the pins."""
import json
import subprocess
import sys

exe, corpus, pins_path, policy = sys.argv[1:5]
rows = []
with open(corpus, encoding="utf-8") as f:
    for line in f:
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        verdict, cat, url, src = line.split("\t")
        rows.append((verdict, cat, url, src))
args = [exe, "check", "--json", "--policy", policy]
with open(pins_path, encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            args += ["--resolve", line]
args.append("-")
stdin = "".join(r[2] + "\n" for r in rows).encode("utf-8")
proc = subprocess.run(args, input=stdin, capture_output=True, timeout=300)
if proc.returncode not in (0, 1):
    print(f"ssrfguard exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    sys.exit(1)
out = [json.loads(l) for l in proc.stdout.decode("utf-8").splitlines()]
if len(out) != len(rows):
    print(f"expected {len(rows)} verdicts, got {len(out)}")
    sys.exit(1)
misses = fps = wrongcat = 0
for (verdict, cat, url, src), got in zip(rows, out):
    if got["verdict"] != verdict:
        kind = "MISS (attack allowed)" if verdict == "block" else "FALSE POSITIVE"
        if verdict == "block":
            misses += 1
        else:
            fps += 1
    elif got["category"] != cat:
        kind = "WRONG CATEGORY"
        wrongcat += 1
    else:
        continue
    print(f"{kind}: {url!r} [{src}] want {verdict}/{cat}, got {got['verdict']}/{got['category']} "
          f"rule={got['rule']} dest={got['destination']}")
n_allow = sum(1 for r in rows if r[0] == "allow")
print(f"corpus: {len(rows)} URLs ({n_allow} legitimate, {len(rows) - n_allow} attacks): "
      f"{misses} misses, {fps} false positives, {wrongcat} wrong categories")
if proc.returncode != (1 if len(rows) > n_allow else 0):
    print(f"exit status {proc.returncode} does not say 'something was blocked'")
    sys.exit(1)
sys.exit(1 if misses or fps or wrongcat else 0)
