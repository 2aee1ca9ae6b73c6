#!/usr/bin/env python3
"""Release from the dashboard, against the AWS emulator: read-only by
default; with --allow-release only a same-origin request with the CSRF
token and the typed confirmation releases, and the instance's tag and the
incident's state then both say released (nothing changes before).  Close
(AUDIT8 M3) sits behind the same guards and needs a reason."""
import http.client
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h  # noqa: E402

B = sys.argv[1]
TOKEN = "release-token-0123456789abcdef"
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="dash-release-")
store, tokfile = os.path.join(work, "inc.db"), os.path.join(work, "token")
with open(tokfile, "w") as f:
    f.write(TOKEN)
os.chmod(tokfile, 0o600)
procs = []


def start(*extra):
    p = subprocess.Popen([B, "dashboard", "--listen", "127.0.0.1:0", "--store", store,
                          "--token-file", tokfile, *extra], env=emu.env(),
                         stderr=subprocess.PIPE, text=True)
    procs.append(p)
    return int(json.loads(p.stderr.readline())["message"].rsplit(":", 1)[1])


def req(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body,
              headers={"Authorization": "Bearer " + TOKEN, **(headers or {})})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data or b"null")


def tag():
    return h.tags(emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")


try:
    p = h.respond(B, emu, work, "--instance", h.VICTIM, "-q")
    h.check(p.returncode == 0 and tag() == "contained", f"contained first: {p.stderr[-300:]}")

    ro = start()
    st, sess = req(ro, "GET", "/api/session")
    h.check(st == 200 and sess == {"release": False, "csrf": ""}, f"read-only session: {sess}")
    st, _ = req(ro, "POST", "/api/incidents/1/release", {"X-CSRF-Token": "x"},
                json.dumps({"confirm": "INC-1"}))
    h.check(st == 403, f"read-only: no release: {st}")

    rw = start("--allow-release")
    st, sess = req(rw, "GET", "/api/session")
    csrf = sess.get("csrf", "")
    h.check(st == 200 and sess.get("release") is True and len(csrf) == 64,
            f"--allow-release session: {sess}")
    good = json.dumps({"confirm": "INC-1"})
    for what, hdrs, body, want in [
            ("no CSRF token", {}, good, 403),
            ("a wrong CSRF token", {"X-CSRF-Token": csrf[:-1] + ("1" if csrf[-1] == "0" else "0")}, good, 403),
            ("another origin", {"X-CSRF-Token": csrf, "Origin": "http://evil.example"}, good, 403),
            ("no confirmation", {"X-CSRF-Token": csrf}, "{}", 400),
            ("the wrong incident confirmed", {"X-CSRF-Token": csrf},
             json.dumps({"confirm": "INC-2"}), 400),
            ("not JSON", {"X-CSRF-Token": csrf}, "confirm=INC-1", 400),
            ("a confirmation said twice", {"X-CSRF-Token": csrf},
             '{"confirm":"INC-2","confirm":"INC-1"}', 400)]:
        st, _ = req(rw, "POST", "/api/incidents/1/release", hdrs, body)
        h.check(st == want, f"{what}: {st}, want {want}")
    h.check(tag() == "contained", f"nothing released by a refused request: {tag()}")
    st, _ = req(rw, "GET", "/api/incidents/1/release")
    h.check(st == 404, f"GET is not a release: {st}")

    st, out = req(rw, "POST", "/api/incidents/1/release",
                  {"X-CSRF-Token": csrf, "Origin": f"http://127.0.0.1:{rw}"}, good)
    h.check(st == 200 and out.get("released") is True, f"released: {st} {out}")
    st, d = req(rw, "GET", "/api/incidents/1")
    h.check(tag() == "released" and d["incident"]["state"] == "released",
            f"tag {tag()} and state {d['incident']['state']} both released")
    h.check(any(x["to"] == "released" and x["actor"] == "operator:dashboard"
                for x in d["history"]), "the timeline names the dashboard as the actor")
    st, out = req(rw, "POST", "/api/incidents/1/release", {"X-CSRF-Token": csrf}, good)
    h.check(st == 409 and out.get("released") is False and out.get("message"),
            f"a second release is refused and says why: {st} {out}")

    # close (AUDIT8 M3): the same guards, and a reason
    st, _ = req(ro, "POST", "/api/incidents/1/close", {"X-CSRF-Token": "x"},
                json.dumps({"confirm": "INC-1", "reason": "done"}))
    h.check(st == 403, f"read-only: no close: {st}")
    closing = json.dumps({"confirm": "INC-1", "reason": "case over: instance terminated"})
    for what, hdrs, body, want in [
            ("no CSRF token", {}, closing, 403),
            ("another origin", {"X-CSRF-Token": csrf, "Origin": "http://evil.example"}, closing, 403),
            ("the wrong incident confirmed", {"X-CSRF-Token": csrf},
             json.dumps({"confirm": "INC-2", "reason": "x"}), 400),
            ("a confirmation said twice", {"X-CSRF-Token": csrf},
             '{"confirm":"INC-2","confirm":"INC-1","reason":"x"}', 400),
            ("no reason", {"X-CSRF-Token": csrf}, json.dumps({"confirm": "INC-1"}), 400),
            ("a reason with control characters", {"X-CSRF-Token": csrf},
             json.dumps({"confirm": "INC-1", "reason": "a\nb"}), 400)]:
        st, _ = req(rw, "POST", "/api/incidents/1/close", hdrs, body)
        h.check(st == want, f"close, {what}: {st}, want {want}")
    st, d = req(rw, "GET", "/api/incidents/1")
    h.check(d["incident"]["state"] == "released", f"nothing closed by a refused request: {d['incident']['state']}")
    st, out = req(rw, "POST", "/api/incidents/1/close",
                  {"X-CSRF-Token": csrf, "Origin": f"http://127.0.0.1:{rw}"}, closing)
    h.check(st == 200 and out.get("closed") is True, f"closed: {st} {out}")
    st, d = req(rw, "GET", "/api/incidents/1")
    h.check(d["incident"]["state"] == "closed" and
            any(x["to"] == "closed" and x["actor"] == "operator:dashboard" and
                x["reason"] == "closed by an operator: case over: instance terminated" for x in d["history"]),
            f"closed, who and why in the timeline: {d['incident']['state']} {d['history'][-1:]}")
    st, out = req(rw, "POST", "/api/incidents/1/close", {"X-CSRF-Token": csrf}, closing)
    h.check(st == 409 and out.get("closed") is False and "already closed" in out.get("message", ""),
            f"a second close is refused and says why: {st} {out}")
finally:
    for p in procs:
        p.terminate()
        rc = p.wait(timeout=10)
        h.check(rc == 0, f"the dashboard stops cleanly: {rc}: {p.stderr.read()[-2000:]}")
    emu.stop()
h.finish("dashboard-release")
