#!/usr/bin/env python3
"""Status that never lies (issue 15): every status an operator reads follows
from what happened.  Each case here was seen saying something untrue.

  - serve --respond on without working credentials: /healthz, /metrics, the
    403 and the log say the responder is failing, and why;
  - serve on a corrupt store: /healthz and /metrics say the store is failing,
    before and after a blocked request (which still gets 503, never a fetch);
    on a store it cannot write (its disk full), the same;
  - incidents show of an incident where no step ran: no "contained", no
    finish time;
  - respond --report-dir that cannot be written, or without credentials:
    exit 2 and no incident a daemon would later act on;
  - respond --observe leaves nothing a daemon claims;
  - incidents release that fails names the failing call, and the instance's
    status tag and the incident's state agree; with --json, open, retry and
    release answer one object saying whether it was done, and why not.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h  # noqa: E402

B = sys.argv[1]
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="honest-")


def run(*args, env=None):
    return subprocess.run([B, *args], env=env or emu.env(), capture_output=True, text=True,
                          timeout=120)


def no_credentials_env():
    env = emu.env()
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(k, None)
    env.update({"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
                "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def incidents(store):
    p = run("incidents", "--store", store, "list", "--json")
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def serve(store, log, *extra, env=None):
    port = free_port()
    p = subprocess.Popen([B, "serve", "--listen", f"127.0.0.1:{port}", "--store", store,
                          "--log", log, "--instance-id", h.VICTIM, "--region", "us-east-1",
                          "--az", "us-east-1a", "--no-imds", *extra],
                         env=env or emu.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, port
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("serve did not start: " + p.stderr.read().decode())


def stop(p):
    p.terminate()
    p.wait(timeout=30)


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return line.split()[-1]
    return None


IMDS = "/go?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/"
try:
    # --- serve --respond on without credentials --------------------------
    store, log = os.path.join(work, "nocreds.db"), os.path.join(work, "nocreds.log")
    p, port = serve(store, log, "--respond", "on", env=no_credentials_env())
    st, body = get(port, "/healthz")
    hz = json.loads(body)
    h.check(st == 503 and hz["status"] == "failing" and hz.get("responder") == "failing" and
            "no credentials" in hz.get("responder_error", ""), f"healthz, responder failing: {body}")
    st, body = get(port, IMDS)
    doc = json.loads(body)
    h.check(st == 403 and doc.get("containment") == "unavailable" and "unavailable" in doc["message"]
            and "started" not in doc["message"], f"the 403 says containment is unavailable: {body}")
    _, m = get(port, "/metrics")
    h.check(metric(m, 'ssrfguard_responder_state{state="failing"}') == "1" and
            metric(m, 'ssrfguard_responder_state{state="running"}') == "0",
            "metrics carry the responder's state")
    h.check(metric(m, 'ssrfguard_build_info{version="%s"}' % run("version").stdout.split()[1])
            == "1", "ssrfguard_build_info")
    stop(p)
    lines = [json.loads(x) for x in open(log) if x.strip()]
    why = [x for x in lines if x.get("event") == "responder_failing"]
    h.check(why and why[0].get("level") == "error" and "no credentials" in why[0]["message"] and
            str(why[0].get("ts")).endswith("Z"), f"the log says why: {why}")
    import re
    bad = [x for x in lines if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$",
                                            str(x.get("ts"))) or x.get("level") not in
           ("debug", "info", "warning", "error")]
    h.check(lines and not bad, f"every log line is JSON with an RFC 3339 ts and a level: {bad[:2]}")
    h.check(any(x.get("event") == "evdns" for x in lines), "evdns's messages join the JSON log")
    listening = [x for x in lines if x.get("event") == "listening"]
    h.check(listening and listening[0].get("version"), "the listening line carries the version")

    # the same service with credentials: everything ok, containment queued
    store, log = os.path.join(work, "ok.db"), os.path.join(work, "ok.log")
    p, port = serve(store, log, "--respond", "on")
    st, body = get(port, "/healthz")
    h.check(st == 200 and json.loads(body).get("responder") == "running", f"healthz ok: {body}")
    stop(p)
    p, port = serve(store, log)
    st, body = get(port, IMDS)
    h.check(st == 403 and json.loads(body).get("containment") == "queued",
            f"no embedded responder: containment queued for a responder daemon: {body}")
    stop(p)

    # --- serve on a corrupt store ------------------------------------------
    store, log = os.path.join(work, "corrupt.db"), os.path.join(work, "corrupt.log")
    p, port = serve(store, log)
    get(port, IMDS)
    stop(p)
    with open(store, "r+b") as f:
        f.seek(4096)
        f.write(b"\xa5" * (os.path.getsize(store) - 4096))
    p, port = serve(store, log)
    st, body = get(port, "/healthz")
    h.check(st == 503 and json.loads(body).get("store") == "failing",
            f"healthz reflects a corrupt store before any write: {body}")
    st, _ = get(port, IMDS)
    h.check(st == 503, "a blocked request still fails closed (503)")
    st, body = get(port, "/healthz")
    h.check(st == 503 and json.loads(body).get("store_error"),  # any loop: the read, or the
            f"healthz still says why the store fails: {body}")      # loop's failed commit
    _, m = get(port, "/metrics")
    h.check(metric(m, "ssrfguard_store_up") == "0", "ssrfguard_store_up 0")
    stop(p)

    # --- serve on a store it cannot write: its disk full --------------------
    full = os.path.join(work, "full")
    os.mkdir(full)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", full], check=True)
    p, port = serve(os.path.join(full, "inc.db"), os.path.join(work, "full.log"))
    st, _ = get(port, IMDS)
    h.check(st == 403, f"blocked and recorded while there is room: {st}")
    with open(os.path.join(full, "filler"), "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    st, _ = get(port, IMDS + "?again")
    h.check(st == 503, f"disk full: a blocked request fails closed (503): {st}")
    st, body = get(port, "/healthz")
    h.check(st == 503 and json.loads(body).get("store") == "failing" and
            json.loads(body).get("store_error"), f"disk full: healthz says the store fails: {body}")
    _, m = get(port, "/metrics")
    h.check(metric(m, "ssrfguard_store_up") == "0", "disk full: ssrfguard_store_up 0")
    stop(p)

    # --- incidents show: no step ran ---------------------------------------
    store = os.path.join(work, "show.db")
    p = run("incidents", "--store", store, "open", h.VICTIM)
    h.check(p.returncode == 0, f"incidents open: {p.stderr}")
    p = run("incidents", "--store", store, "show", "1")
    h.check(p.returncode == 0 and "| Outcome | not started |" in p.stdout and "contained" not in
            p.stdout.split("## Steps")[0].replace("| State | open |", "") and "Finished" not in p.stdout,
            f"show states no outcome that did not happen:\n{p.stdout[:600]}")
    rep = json.loads(run("incidents", "--store", store, "show", "1", "--json").stdout)
    h.check(rep.get("outcome") == "not started" and "finished" not in rep, f"--json too: {rep}")

    # --- respond setup failures record nothing -----------------------------
    store = os.path.join(work, "setup.db")
    p = run("respond", "--store", store, "--instance", h.VICTIM, "--report-dir",
            "/nonexistent/reports", "-q")
    h.check(p.returncode == 2 and "report-dir /nonexistent/reports" in p.stderr and
            "report:" not in p.stdout, f"--report-dir /nonexistent: exit 2: {p.returncode} {p.stdout} {p.stderr}")
    h.check(incidents(store) == [], "no incident after a bad --report-dir")
    # a missing report directory whose parent exists is made, as --help says
    made = os.path.join(work, "new-reports")
    p = run("respond", "--store", store, "--instance", h.VICTIM, "--report-dir", made, "-q",
            env=no_credentials_env())
    h.check(os.path.isdir(made) and os.stat(made).st_mode & 0o777 == 0o750,
            f"--report-dir made 0750: {p.returncode} {p.stderr}")
    m = re.search(r"--report-dir DIR\s(.*?)\n\s*-", run("respond", "--help").stdout, re.S)
    said = " ".join(m.group(1).split()) if m else ""
    h.check("must exist" not in said and "created, mode 0750, if missing" in said,
            f"respond --help says the report directory is made: {said!r}")
    p = run("respond", "--store", store, "--instance", h.VICTIM, "-q", env=no_credentials_env())
    h.check(p.returncode == 2 and "no credentials" in p.stderr,
            f"no credentials: exit 2 with why: {p.returncode} {p.stderr}")
    h.check(incidents(store) == [], "no incident after a setup failure")
    p = run("respond", "--store", store, "--observe", "--instance", h.VICTIM, "-q",
            env=no_credentials_env())
    h.check(p.returncode == 2 and incidents(store) == [], "--observe without credentials: exit 2")
    p = run("respond", "--store", store, "--once", "--json", env=no_credentials_env())
    err = [json.loads(x) for x in p.stderr.splitlines() if x.startswith("{")]
    h.check(p.returncode == 2 and err and len(err) == len(p.stderr.splitlines()) and
            err[0].get("level") == "error" and "no credentials" in err[0].get("message", ""),
            f"respond --json: errors as JSON lines too: {p.stderr}")
    for args in (["--bogus"], ["--json", "--instance", h.VICTIM, "--bogus"]):
        p = run("respond", "--store", store, *args, env=no_credentials_env())
        err = [json.loads(x) for x in p.stderr.splitlines() if x.startswith("{")]
        h.check(p.returncode == 2 and err and len(err) == len(p.stderr.splitlines()) and
                err[0].get("level") == "error" and "'--bogus'" in err[0].get("message", ""),
                f"respond {args}: the daemon's (or --json's) usage error is a JSON line: "
                f"{p.stderr}")
    p = run("respond", "--store", store, "--instance", h.VICTIM, "--bogus")
    h.check(p.returncode == 2 and "Try 'ssrfguard respond --help'" in p.stderr,
            f"respond --instance without --json speaks to people: {p.stderr}")

    # --- observe leaves nothing a daemon acts on ----------------------------
    p = h.respond(B, emu, work, "--observe", "--instance", h.VICTIM, "--json")
    out = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    h.check(p.returncode == 0 and out and len(out) == len(p.stdout.splitlines()) and
            out[-1].get("outcome") == "observed" and re.search(r"/INC-1-[0-9a-f]{16}\.md$", str(out[-1].get("report")))
            and all(str(x.get("ts")).endswith("Z") and x.get("incident") == "INC-1"
                    for x in out[:-1]) and len(out) > 3,
            f"observe --json: progress and result as JSON lines: {p.returncode} {p.stdout[-600:]}")
    seq = max([c["seq"] for c in emu.journal()] or [0])
    p = h.respond(B, emu, work, "--once", "-q")
    acts = [c["action"] for c in emu.journal() if c["seq"] > seq]
    h.check(p.returncode == 0 and not acts, f"a daemon after --observe does nothing: {acts}")
    h.check([i["state"] for i in incidents(os.path.join(work, "inc.db"))] != ["open"],
            "the observed incident is not open")

    # --- release that fails names the call; tag and state agree -------------
    p = h.respond(B, emu, work, "--instance", h.VICTIM, "-q")
    h.check(p.returncode == 0 and "contained" in p.stdout, f"contain: {p.stdout} {p.stderr[-400:]}")
    emu.faults([{"kind": "error", "service": "ec2", "action": "ModifyNetworkInterfaceAttribute",
                 "code": "UnauthorizedOperation", "status": 403, "message": "not allowed"}])
    store = os.path.join(work, "inc.db")
    p = run("incidents", "--store", store, "release", "1")
    h.check(p.returncode == 1 and "ModifyNetworkInterfaceAttribute" in p.stderr and
            "UnauthorizedOperation" in p.stderr, f"release names the failing call: {p.stderr}")
    tag = h.tags(emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")
    state = [i["state"] for i in incidents(store) if i["id"] == 1]
    h.check(tag == "contained" and state == ["contained"], f"tag {tag} and state {state} agree")
    p = run("incidents", "--store", store, "release", "1", "--json")
    out = json.loads(p.stdout or "{}")
    h.check(p.returncode == 1 and out.get("incident") == "INC-1" and out.get("released") is False
            and "ModifyNetworkInterfaceAttribute" in out.get("message", ""),
            f"release --json: one object saying not released, and why: {p.stdout} {p.stderr}")
    emu.clear_faults()
    p = run("incidents", "--store", store, "release", "1", "--json")
    out = json.loads(p.stdout or "{}")
    tag = h.tags(emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")
    state = [i["state"] for i in incidents(store) if i["id"] == 1]
    h.check(p.returncode == 0 and tag == "released" and state == ["released"],
            f"after the fault: released, tag {tag}, state {state}: {p.stderr}")
    h.check(out.get("incident") == "INC-1" and out.get("released") is True and out.get("message"),
            f"release --json: one object saying released: {p.stdout}")
    p = run("incidents", "--store", store, "retry", "1", "--json")
    out = json.loads(p.stdout or "{}")
    h.check(p.returncode == 1 and out.get("retried") is False and out.get("message"),
            f"retry --json of a released incident: refused, and why: {p.stdout} {p.stderr}")
    p = run("incidents", "--store", store, "open", h.VICTIM, "--json")
    out = json.loads(p.stdout or "{}")
    h.check(p.returncode == 0 and out.get("opened") is True and out.get("incident") == "INC-2",
            f"open --json: {p.stdout} {p.stderr}")
finally:
    emu.stop()
h.finish("honest")
