#!/usr/bin/env python3
"""`serve` with `backstop = on` and `respond = on` together, inside
tests/netns-run (the rules never touch the host), against the AWS emulator:

- the app's uid connects to 169.254.169.254 directly (no /go): the kernel
  refuses it, the backstop's reader records the attempt with its process
  and wakes the embedded responder, which contains this instance;
- the honeypot on the metadata address never sees the app;
- `incidents show` names the process behind the attempt;
- every line of serve's log is a JSON log line.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

from bsharness import (APP, METADATA, SERVICE, SG, Honeypot, add_addresses, as_uid, check,
                       finish, in_own_netns, sh, spawn, tmpdir)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h  # noqa: E402

LISTEN = "127.0.0.1:5011"


def incidents(store, env):
    out = subprocess.run([SG, "incidents", "--store", store, "list", "--json"],
                         capture_output=True, text=True, env=env).stdout
    return json.loads(out) if out.strip() else []


def main():
    if not in_own_netns():
        print("SKIP: not inside tests/netns-run")
        return 77
    add_addresses(METADATA)
    pot = Honeypot()
    emu = h.Emulator()
    tmp = tmpdir()
    store, conf, log = (os.path.join(tmp, n) for n in ("incidents.db", "ssrfguard.conf", "serve.log"))
    with open(conf, "w") as f:
        f.write(f"[serve]\nlisten = {LISTEN}\nstore = {store}\nlog = {log}\nimds = off\n"
                f"instance_id = {h.VICTIM}\nregion = us-east-1\naz = us-east-1a\n"
                f"backstop = on\nbackstop_user = {APP}\nbackstop_service_user = {SERVICE}\n"
                f"respond = on\n\n[respond]\nforensic-instance = {h.FORENSIC}\n"
                f"quarantine-profile = {h.QUARANTINE_PROFILE}\nreport-dir = {tmp}/reports\n"
                "poll-ms = 50\nstep-backoff-ms = 50\ncapture-timeout = 5\n"
                "forensics-wait = 0\n")  # no examiner on the emulator here
    env = emu.env()
    try:
        r = sh(SG, "backstop", "install", "--config", conf)
        check(r.returncode == 0, "install: " + r.stdout.strip() + r.stderr.strip())
        srv = spawn(SG, "serve", "--config", conf, env=env)
        up = False
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://{LISTEN}/healthz", timeout=1) as r:
                    up = r.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        check(up, "serve is up with the backstop and the responder: " +
              (srv.stderr.read() if srv.poll() is not None else ""))

        r = as_uid(APP, "curl", "-sS", "-m", "5", "-o", "/dev/null", "http://169.254.169.254/")
        check(r.returncode != 0, "the app's direct connect to metadata is refused")
        check(not pot.hits, f"nothing reached the honeypot: {pot.hits}")

        state, deadline = None, time.time() + 90
        while time.time() < deadline:
            lst = incidents(store, env)
            if lst and lst[0]["state"] in ("contained", "failed"):
                state = lst[0]
                break
            time.sleep(0.3)
        check(state is not None and state["state"] == "contained"
              and state["source"] == f"local:uid={APP}" and state["instance"] == h.VICTIM,
              f"the backstop's attempt was contained by the embedded responder: {state}")
        tag = h.tags(emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")
        check(tag == "contained", f"the instance is tagged contained: {tag}")
        show = sh(SG, "incidents", "show", "1", "--store", store).stdout
        procs = show.split("## Processes behind the attempts", 1)[-1].split("\n## ", 1)[0]
        check(f"| {APP} |" in procs and "curl" in procs,
              f"incidents show names the process: {procs[:400]}")

        srv.send_signal(2)
        srv.wait(timeout=30)
        check(srv.returncode == 0, f"serve stops cleanly: {srv.returncode}")
        lines = open(log).read().splitlines()
        bad = [x for x in lines if not h.json_log_line(x)]
        check(lines and not bad, f"every line of serve's log is a JSON log line: {bad[:3]}")
        events = {json.loads(x).get("event") for x in lines if h.json_log_line(x)}
        check("respond" in events, f"the responder's lines are in serve's log: {sorted(events)}")
    finally:
        emu.stop()
        sh(SG, "backstop", "remove")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
