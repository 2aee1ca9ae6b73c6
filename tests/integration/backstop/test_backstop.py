#!/usr/bin/env python3
"""The kernel backstop, end to end, inside tests/netns-run.

Every metadata address lives on this namespace's loopback, with a honeypot
answering port 80 everywhere.  As the app's uid (setpriv), curl and a plain
Python socket to each metadata address (IPv4, IPv6, IPv4-mapped) must be
refused at once, must never reach the honeypot, and must each become an
attempt naming the uid and the executable; metadata attempts open an
incident.  The app still reaches a TEST-NET host, the service's uid still
fetches the metadata address, installing twice is harmless, and after
`remove` no rule remains.
"""
import json
import os
import sqlite3
import sys
import time

from bsharness import (APP, METADATA, SERVICE, SG, Honeypot, add_addresses, as_uid, check,
                       finish, in_own_netns, probe, sh, spawn, tmpdir, url)


def main():
    if not in_own_netns():
        print("refusing to run outside tests/netns-run")
        return 2
    add_addresses(METADATA)
    pot = Honeypot()
    tmp = tmpdir()
    store = os.path.join(tmp, "incidents.db")
    conf = os.path.join(tmp, "ssrfguard.conf")
    with open(conf, "w") as f:
        f.write(f"[serve]\nstore = {store}\nimds = off\ninstance_id = i-0123456789abcdef0\n"
                f"region = eu-west-1\nbackstop_user = {APP}\nbackstop_service_user = {SERVICE}\n")

    r = sh(SG, "backstop", "status", "--config", conf)
    check(r.returncode == 1 and "not installed" in r.stdout, "status before install says not installed")

    for n in (1, 2):
        r = sh(SG, "backstop", "install", "--config", conf)
        check(r.returncode == 0 and "installed table inet ssrfguard_backstop" in r.stdout,
              f"install #{n}: {r.stdout.strip()} {r.stderr.strip()}")
    r = sh("nft", "list", "tables")
    check(r.stdout.count("ssrfguard_backstop") == 1, "installing twice leaves one table")

    # No reader yet: still refused, after the held SYN's first retransmission.
    t0 = time.monotonic()
    r = as_uid(APP, "curl", "-sS", "-m", "5", "-o", "/dev/null", url("169.254.169.254"))
    took = time.monotonic() - t0
    check(r.returncode != 0 and took < 2.5, f"without a reader the app is refused too, in {took:.2f}s")
    r = sh(SG, "backstop", "status", "--config", conf)
    check("no process holds NFLOG group 5150, the installed table's" in r.stdout and "not recorded" in r.stdout,
          "status says nothing records refusals")
    other = os.path.join(tmp, "other-group.conf")
    with open(other, "w") as f:
        f.write(open(conf).read() + "backstop_group = 5151\n")
    r = sh(SG, "backstop", "status", "--config", other)
    check("no process holds NFLOG group 5150, the installed table's" in r.stdout and
          "the configuration says NFLOG group 5151, the installed table 5150" in r.stdout,
          "status checks the installed table's group, and says the configuration differs: " + r.stdout[-300:])

    watch = spawn(SG, "backstop", "watch", "--config", conf)
    line = watch.stderr.readline()
    check("watching NFLOG group 5150" in line, "watch started: " + line.strip())
    r = sh(SG, "backstop", "watch", "--config", conf)
    check(r.returncode == 2 and "another reader" in r.stderr, "a second reader is refused: " + r.stderr.strip())

    targets = METADATA + ["::ffff:169.254.169.254"]
    for a in targets:
        t0 = time.monotonic()
        r = as_uid(APP, "curl", "-sS", "-m", "5", "-o", "/dev/null", url(a))
        took = time.monotonic() - t0
        check(r.returncode != 0 and took < 0.9, f"app curl {a} refused in {took:.3f}s ({r.stderr.strip()})")

    got = probe(APP, 80, *targets)
    for a in targets:
        ok = a in got and not got[a][0] and got[a][1] < 0.9
        check(ok, f"app python socket {a} refused at once {got.get(a)}")

    # A process whose argv an attacker chose: recorded as printable text.
    from bsharness import PROBE, PY
    as_uid(APP, PY, "-c", PROBE, "80", "169.254.170.2", b"\xffevil\nline<b>|x")

    check(not pot.hits, f"nothing reached the honeypot from the app (hits: {pot.hits})")

    r = as_uid(APP, "curl", "-sS", "-m", "5", "http://203.0.113.10/")
    check(r.returncode == 0 and r.stdout == "honeypot", "app still reaches TEST-NET 203.0.113.10")
    r = as_uid(SERVICE, "curl", "-sS", "-m", "5", "http://169.254.169.254/")
    check(r.returncode == 0 and r.stdout == "honeypot", "service uid still fetches 169.254.169.254")

    r = sh(SG, "backstop", "status", "--config", conf)
    refused = [l for l in r.stdout.splitlines() if "packets refused so far" in l]
    check(r.returncode == 0 and refused and int(refused[0].split(";")[1].split()[0]) >= 2 * len(targets) + 2,
          "status shows the counters: " + (refused[0] if refused else r.stdout[-300:]))
    check("a process holds NFLOG group 5150, the installed table's (which process is not checked" in r.stdout
          and "records refusals" not in r.stdout, "status says only that a process holds the group")

    time.sleep(0.5)
    watch.send_signal(2)
    out, err = watch.communicate(timeout=10)
    check(watch.returncode == 0, "watch stopped cleanly: " + err.strip().splitlines()[-1])
    logged = [line] + (out + err).splitlines()
    parsed = []
    for x in logged:
        try:
            parsed.append(json.loads(x))
        except ValueError:
            parsed.append({})
    check(all(str(d.get("ts", "")).endswith("Z") and d.get("level") and d.get("event")
              for d in parsed), "every line of watch is a JSON log line: %r" % logged[:3])
    check(any(d.get("event") == "backstop" and d.get("result") == "recorded" for d in parsed),
          "each recorded attempt is a line of its own")

    db = sqlite3.connect(store)
    rows = db.execute("SELECT dest, category, rule, headers, client FROM attempts").fetchall()
    attempts = [(d, c, ru, json.loads(h), cl) for d, c, ru, h, cl in rows]
    bad = [x for x in attempts if "uid" not in x[3]]
    check(not bad, f"every attempt carries its evidence: {bad}")
    attempts = [x for x in attempts if "uid" in x[3]]
    for a in METADATA:
        dest = f"[{a}]:80" if ":" in a else f"{a}:80"
        for exe in ("curl", "python3"):
            hit = [x for x in attempts if x[0] == dest and x[3]["uid"] == APP
                   and os.path.basename(x[3]["exe"]).startswith(exe) and x[1] == "metadata"]
            check(bool(hit), f"attempt recorded: {exe} -> {dest} with uid {APP} and its executable")
    check(all(x[4] == f"local:uid={APP}" for x in attempts), "attempts name the app's uid as source")
    check(any("curl" in x[3]["cmdline"] and "169.254.169.254" in x[3]["cmdline"] for x in attempts),
          "the command line is recorded")
    odd = [x for x in attempts if "evil" in x[3]["cmdline"]]
    check(len(odd) == 1 and "\\xffevil\\x0aline" in odd[0][3]["cmdline"],
          "an attacker's argv is recorded escaped: " + (odd[0][3]["cmdline"][-40:] if odd else "none"))
    show = sh(SG, "incidents", "show", "1", "--store", store).stdout
    procs = show.split("## Processes behind the attempts", 1)[-1].split("\n## ", 1)[0]
    rows = [l for l in procs.splitlines() if l.startswith("| 20")]
    check(len(rows) == len(attempts) and any(f"| {APP} |" in l and "curl" in l for l in rows),
          f"incidents show lists each attempt's process (uid, pid, exe): {procs[:600]}")
    check(any("\\\\xffevil\\\\x0aline&lt;b&gt;\\|x" in l for l in rows),
          "the attacker's argv stays text in incidents show: "
          + next((l for l in rows if "evil" in l), "none"))
    inc = db.execute("SELECT state, source, attempts FROM incidents").fetchall()
    check(len(inc) == 1 and inc[0][0] == "open" and inc[0][1] == f"local:uid={APP}"
          and inc[0][2] == len(attempts),
          f"metadata attempts opened one incident asking for containment: {inc}")

    r = sh(SG, "backstop", "remove")
    check(r.returncode == 0 and "removed" in r.stdout, "remove")
    r = sh("nft", "list", "ruleset")
    check(r.stdout.strip() == "", "no rule remains after remove: " + repr(r.stdout[:200]))
    r = as_uid(APP, "curl", "-sS", "-m", "5", "http://169.254.169.254/")
    check(r.returncode == 0 and r.stdout == "honeypot", "after remove the app reaches the local honeypot again")
    r = sh(SG, "backstop", "remove")
    check(r.returncode == 0 and "nothing to remove" in r.stdout, "remove twice is harmless")

    return finish()


if __name__ == "__main__":
    sys.exit(main())
