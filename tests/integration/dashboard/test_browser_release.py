#!/usr/bin/env python3
"""Release through the page in headless Chromium (cdp.py), against the AWS
emulator, as an operator does it: sign in, open the contained incident,
press Release, see the confirmation (what will happen, on which
instance), cancel once (nothing sent), then type the incident's name and
confirm.  The page then says released and so do the list, the store
(`incidents list`) and the instance's ssrfguard:status tag; the one POST
carried the session's CSRF token, the dashboard's own Origin and the
sign-in cookie.  Then the Close box: a wrong name is refused (by the page,
and by the server when sent anyway), the right one closes the incident
and the page, the list, the store and the tag say closed.  A read-only
dashboard on the same contained incident offers no release.  Screenshots of
each stage are kept (release-*.png, close-*.png).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import cdp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h  # noqa: E402

BIN, SHOTS = sys.argv[1], sys.argv[2]
TOKEN = "browser-release-token-0123456789"
chromium = shutil.which("chromium")
if not chromium:
    print("SKIP: no chromium (scripts/deps.sh installs it)")
    sys.exit(77)

emu = h.Emulator()
work = tempfile.mkdtemp(prefix="dash-browser-release-")
store, tokfile = os.path.join(work, "inc.db"), os.path.join(work, "token")
with open(tokfile, "w") as f:
    f.write(TOKEN + "\n")
os.chmod(tokfile, 0o600)
procs = []


def start(*extra):
    p = subprocess.Popen([BIN, "dashboard", "--listen", "127.0.0.1:0", "--store", store,
                          "--token-file", tokfile, *extra], env=emu.env(),
                         stderr=subprocess.PIPE, text=True)
    procs.append(p)
    return "http://127.0.0.1:%d" % int(json.loads(p.stderr.readline())["message"]
                                       .rsplit(":", 1)[1])


def tag():
    return h.tags(emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")


def store_state():
    out = subprocess.run([BIN, "incidents", "--store", store, "list", "--json"],
                         capture_output=True, text=True, env=emu.env())
    return {i["id"]: i["state"] for i in json.loads(out.stdout or "[]")}


def api(base, path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def confirm(B, s, box, state, shot):
    """Press the box's confirmation; the page, its detail and the list then
    say state (box: "release" or "close"); what the page answered."""
    B.click(s, f"#{box}-go")
    B.wait_for(s, f"(document.getElementById('{box}-result') || {{}}).textContent"
                  f"?.startsWith('{state}: ')", f"the page says {state}", timeout=60)
    B.wait_for(s, f"document.querySelector('#detail h2').textContent === 'INC-1 \u2014 {state}' "
                  f"&& document.querySelector('#rows tr').cells[1].textContent === '{state}'",
               f"the detail and the list say {state}")
    B.shot(s, shot)
    return B.evaluate(s, f"document.getElementById('{box}-result').textContent") or ""


def open_incident(B, base, shot):
    """A new tab (its own cookies) signed in through the form, showing INC-1."""
    s = B.page(network=True, own_cookies=True)
    B.send("Page.navigate", {"url": base + "/"}, s)
    B.wait_for(s, "document.readyState === 'complete' && !!document.querySelector('form')",
               "the sign-in form")
    B.type_text(s, "input[name=token]", TOKEN)
    B.evaluate(s, "document.querySelector('form').submit(); true")
    B.wait_for(s, "document.querySelectorAll('#rows tr').length === 1", "the list renders")
    B.click(s, "#rows tr")  # the list is not redrawn for nothing under the pointer
    B.wait_for(s, "!document.getElementById('detail').hidden && "
                  "document.querySelector('#detail h2').textContent === 'INC-1 \u2014 contained'",
               "INC-1's detail, contained")
    B.shot(s, shot)
    return s


p = h.respond(BIN, emu, work, "--instance", h.VICTIM, "-q")
h.check(p.returncode == 0 and tag() == "contained", f"contained first: {p.stderr[-300:]}")
B = cdp.Browser(chromium, work, SHOTS, h.failures)
try:
    # read-only (the default): the contained incident offers no release
    ro = start()
    s = open_incident(B, ro, "release-readonly.png")
    h.check(B.evaluate(s, "document.getElementById('release') === null && "
                          "document.querySelector('.release') === null"),
            "read-only: the page offers no release")

    rw = start("--allow-release")
    csrf = api(rw, "/api/session")["csrf"]
    s = open_incident(B, rw, "release-offered.png")
    h.check(B.evaluate(s, "!!document.getElementById('release') && "
                          "!document.getElementById('release-confirm')"),
            "--allow-release: a Release button, no confirmation before it is pressed")
    B.click(s, "#release")
    B.wait_for(s, "!!document.getElementById('release-confirm')", "the confirmation opens")
    ask = B.evaluate(s, "document.getElementById('release-confirm').textContent") or ""
    h.check("Release INC-1 (instance %s)?" % h.VICTIM in ask and "revocation policy stays" in ask,
            f"the confirmation says what and where: {ask}")
    h.check(B.evaluate(s, "document.getElementById('release-go').disabled"),
            "nothing to confirm before the name is typed")
    B.click(s, "#release-cancel")
    B.wait_for(s, "!document.getElementById('release-confirm') && "
                  "!document.getElementById('release').disabled", "cancel closes it")

    # a release AWS refuses: the page names the failing call, nothing says released
    emu.faults([{"kind": "error", "service": "ec2", "action": "ModifyNetworkInterfaceAttribute",
                 "code": "UnauthorizedOperation", "status": 403, "message": "not allowed"}])
    B.click(s, "#release")
    B.wait_for(s, "!!document.getElementById('confirm')", "the confirmation opens again")
    B.type_text(s, "#confirm", "INC-1")
    B.click(s, "#release-go")
    B.wait_for(s, "(document.getElementById('release-result') || {}).textContent"
                  "?.startsWith('not released: ')", "the page says not released", timeout=60)
    failed = B.evaluate(s, "document.getElementById('release-result').textContent") or ""
    B.wait_for(s, "!document.getElementById('release').disabled", "a failed release may be retried")
    B.shot(s, "release-failed.png")
    h.check("ModifyNetworkInterfaceAttribute" in failed and "UnauthorizedOperation" in failed,
            f"the page names the failing call: {failed}")
    h.check(B.evaluate(s, "document.querySelector('#detail h2').textContent") ==
            "INC-1 — contained" and tag() == "contained" and store_state().get(1) == "contained",
            f"page, tag ({tag()}) and store ({store_state()}) agree: still contained")
    emu.clear_faults()

    B.click(s, "#release")
    B.wait_for(s, "!!document.getElementById('confirm') && "
                  "!document.getElementById('release-result')",
               "the confirmation opens again, the old answer gone")
    B.type_text(s, "#confirm", "INC-2")
    h.check(B.evaluate(s, "document.getElementById('release-go').disabled"),
            "another incident's name does not confirm")
    B.evaluate(s, "document.getElementById('confirm').select(); true")
    B.type_text(s, "#confirm", "INC-1")
    B.wait_for(s, "!document.getElementById('release-go').disabled",
               "the typed name enables the confirmation")
    B.shot(s, "release-confirm.png")
    h.check(tag() == "contained" and len(B.requests("POST", "/release")) == 1,
            "nothing released or sent before the confirmation")
    result = confirm(B, s, "release", "released", "release-done.png")
    h.check(tag() == "released" and store_state().get(1) == "released",
            f"the tag ({tag()}) and the store ({store_state()}) say released: {result}")
    actors = [x["actor"] for x in api(rw, "/api/incidents/1")["history"] if x["to"] == "released"]
    h.check(actors == ["operator:dashboard"], f"the timeline names the dashboard: {actors}")
    B.wait_event("Network.requestWillBeSentExtraInfo", 0, timeout=5)
    posts = B.requests("POST", "/api/incidents/1/release")
    h.check(len(posts) == 2 and all(
        sent.get("x-csrf-token") == csrf and sent.get("origin") == rw
        and ("ssrfguard_dash=" + TOKEN) in sent.get("cookie", "")
        and json.loads(r.get("postData", "{}")) == {"confirm": "INC-1"} for r, sent in posts),
        f"one POST per confirmation, with the session's CSRF token, own Origin, the cookie: "
        f"{[(r['url'], {k: v for k, v in hd.items() if k != 'cookie'}) for r, hd in posts]}")
    h.check(B.evaluate(s, "document.getElementById('release').disabled"),
            "a released incident is not offered again")

    # Close: the case is over.  Its box opens on the button, asks why and
    # the incident's name; a wrong name is refused (the page keeps the
    # button off, the server answers 400 and changes nothing); the right
    # one closes it and the page, the store and the instance's tag agree.
    B.click(s, "#close")
    B.wait_for(s, "document.getElementById('close-go').offsetParent !== null", "the Close box opens")
    ask = B.evaluate(s, "document.getElementById('close-go').parentElement.textContent") or ""
    h.check("Close INC-1 (instance %s)?" % h.VICTIM in ask and "status tag says closed" in ask,
            f"the Close box says what and where: {ask}")
    B.type_text(s, "#close-reason", "instance terminated after the evidence was taken")
    B.type_text(s, "#close-confirm", "INC-2")
    h.check(B.evaluate(s, "document.getElementById('close-go').disabled"),
            "another incident's name does not confirm the close")
    refused = B.evaluate(s, "fetch('/api/incidents/1/close', {method: 'POST', credentials: 'same-origin', "
                            "headers: {'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf}, "
                            "body: JSON.stringify({confirm: 'INC-2', reason: 'wrong name'})})"
                            ".then(r => r.status)")
    h.check(refused == 400 and store_state().get(1) == "released" and tag() == "released",
            f"a wrong confirmation sent anyway is refused, nothing closed: {refused} {store_state()} {tag()}")
    B.evaluate(s, "document.getElementById('close-confirm').select(); true")
    B.type_text(s, "#close-confirm", "INC-1")
    B.wait_for(s, "!document.getElementById('close-go').disabled", "the typed name enables the close")
    B.shot(s, "close-confirm.png")
    said = confirm(B, s, "close", "closed", "close-done.png")
    h.check("status tag ssrfguard:status=closed" in said and tag() == "closed"
            and store_state().get(1) == "closed",
            f"the page, the tag ({tag()}) and the store ({store_state()}) say closed: {said}")
    hist = api(rw, "/api/incidents/1")["history"]
    h.check([x["reason"] for x in hist if x["to"] == "closed"] ==
            ["closed by an operator: instance terminated after the evidence was taken"],
            f"the timeline keeps the reason: {hist[-2:]}")
    closes = [json.loads(r.get("postData", "{}")) for r, _ in B.requests("POST", "/api/incidents/1/close")]
    h.check(closes[-1:] == [{"confirm": "INC-1", "reason": "instance terminated after the evidence was taken"}],
            f"the page sent the typed name and the reason: {closes}")
    dialogs = [e for e in B.events if e.get("method") == "Page.javascriptDialogOpening"]
    errors = [e for e in B.events if e.get("method") == "Runtime.exceptionThrown"]
    h.check(not dialogs and not errors, f"no dialog, no script error: {dialogs} {errors[:1]}")
finally:
    B.close()
    for p in procs:
        p.terminate()
        rc = p.wait(timeout=10)
        h.check(rc == 0, f"the dashboard stops cleanly: {rc}: {p.stderr.read()[-2000:]}")
    emu.stop()
print("screenshots in", SHOTS)
h.finish("dashboard-browser-release")
