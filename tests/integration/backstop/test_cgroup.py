#!/usr/bin/env python3
"""The backstop's cgroup identities, inside `tests/netns-run unshare -m`.

A cgroup v2 hierarchy is mounted on /sys/fs/cgroup in this test's own mount
namespace (where nft resolves cgroup paths) and a scope is made for the
app.  A process in the scope is refused and recorded with its cgroup and
unit, whatever its uid; the same uid outside the scope is not checked.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time

from bsharness import (SG, Honeypot, add_addresses, check, finish, in_own_netns, sh, spawn,
                       tmpdir, url)

UID = 4545


def main():
    if not in_own_netns():
        print("refusing to run outside tests/netns-run")
        return 2
    # tests/netns-run unshare -m: this mount namespace is the test's own.
    if os.environ.get("SG_OWN_MOUNT_NS") != "1" or \
            subprocess.run(["mount", "--make-rprivate", "/"]).returncode != 0:
        print("refusing: run as `netns-run env SG_OWN_MOUNT_NS=1 unshare -m ...`")
        return 2
    if sh("mount", "-t", "cgroup2", "none", "/sys/fs/cgroup").returncode != 0:
        print("skipped: cannot mount cgroup2 here")
        return 77
    scope = f"sg-backstop-test-{os.getpid()}.scope"
    cg = "/sys/fs/cgroup/" + scope
    os.mkdir(cg)
    try:
        return run(scope, cg)
    finally:
        for _ in range(50):
            try:
                os.rmdir(cg)
                break
            except OSError:
                time.sleep(0.1)


def in_scope(cg, *cmd):
    """Run cmd as UID inside the scope."""
    wrapper = f'echo $$ > {cg}/cgroup.procs && exec setpriv --reuid={UID} --regid={UID} --clear-groups "$@"'
    return sh("sh", "-c", wrapper, "sh", *cmd)


def run(scope, cg):
    add_addresses(["169.254.169.254"])
    pot = Honeypot()
    tmp = tmpdir()
    store = os.path.join(tmp, "incidents.db")
    conf = os.path.join(tmp, "ssrfguard.conf")
    with open(conf, "w") as f:
        f.write(f"[serve]\nstore = {store}\nimds = off\nbackstop-cgroup = {scope}\nbackstop-service-user = 4343\n")
    r = sh(SG, "backstop", "install", "--config", conf)
    check(r.returncode == 0, "install with a cgroup identity: " + r.stdout.strip() + r.stderr.strip())
    r = sh("nft", "list", "chain", "inet", "ssrfguard_backstop", "metadata4")
    check(f'socket cgroupv2 level 1 "{scope}" counter' in r.stdout, "the rule names the cgroup")

    watch = spawn(SG, "backstop", "watch", "--config", conf)
    check("watching" in watch.stderr.readline(), "watch started")
    r = in_scope(cg, "curl", "-sS", "-m", "5", "-o", "/dev/null", url("169.254.169.254"))
    check(r.returncode != 0, "a process in the app's cgroup is refused: " + r.stderr.strip())
    check(not pot.hits, "nothing reached the honeypot")
    r = sh("setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups",
           "curl", "-sS", "-m", "5", url("169.254.169.254"))
    check(r.returncode == 0 and r.stdout == "honeypot", "the same uid outside the cgroup is not checked")
    time.sleep(0.3)
    watch.send_signal(2)
    watch.communicate(timeout=10)

    db = sqlite3.connect(store)
    rows = [json.loads(h) for (h,) in db.execute("SELECT headers FROM attempts")]
    check(len(rows) == 1 and rows[0]["cgroup"] == "/" + scope and rows[0]["unit"] == scope
          and rows[0]["uid"] == UID and rows[0]["exe"].endswith("curl"),
          f"recorded with uid, executable, cgroup and unit: {rows}")
    r = sh(SG, "backstop", "remove")
    check(r.returncode == 0, "remove")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
