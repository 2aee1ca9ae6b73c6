#!/usr/bin/env python3
"""The dashboard in a real browser (headless Chromium over the DevTools
protocol on a pipe): sign in through the form, the list renders, one
incident's detail renders with the hostile text as text (no dialog opened,
no element injected) and its tables (AWS calls, evidence, the forensic
findings, YARA matches and persistence places), a change in the store
shows up live; screenshots are kept under the build directory.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BIN, SEED, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "browser-token-0123456789abcdef"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


chromium = shutil.which("chromium")
if not chromium:
    print("SKIP: no chromium (scripts/deps.sh installs it)")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="dashboard-browser-")
store, tokfile = os.path.join(tmp, "incidents.db"), os.path.join(tmp, "token")
with open(tokfile, "w") as f:
    f.write(TOKEN + "\n")
os.chmod(tokfile, 0o600)
subprocess.run([SEED, store], check=True)
dash = subprocess.Popen([BIN, "dashboard", "--listen", "127.0.0.1:0", "--store", store,
                         "--token-file", tokfile], stderr=subprocess.PIPE, text=True)
port = int(json.loads(dash.stderr.readline())["message"].rsplit(":", 1)[1])
base = f"http://127.0.0.1:{port}"

# Chromium reads commands on fd 3 and writes answers on fd 4, NUL-separated.
to_r, to_w = os.pipe()
from_r, from_w = os.pipe()


def child_fds():
    a, b = os.dup(to_r), os.dup(from_w)  # off 3 and 4 first: either may be one of them
    os.dup2(a, 3)
    os.dup2(b, 4)  # inheritable; every other pipe end is close-on-exec


browser = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--remote-debugging-pipe", f"--user-data-dir={tmp}/profile", "--window-size=1280,900",
     "about:blank"],
    preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL, env={**os.environ, "HOME": tmp})
os.close(to_r)
os.close(from_w)
rbuf, next_id, events = b"", 0, []


def send(method, params=None, session=None):
    global next_id, rbuf
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    os.write(to_w, json.dumps(msg).encode() + b"\0")
    while True:
        while b"\0" not in rbuf:
            chunk = os.read(from_r, 65536)
            if not chunk:
                raise RuntimeError("chromium went away")
            rbuf += chunk
        raw, rbuf = rbuf.split(b"\0", 1)
        m = json.loads(raw)
        if m.get("id") == next_id:
            if "error" in m:
                raise RuntimeError(f"{method}: {m['error']}")
            return m.get("result", {})
        events.append(m)


def evaluate(session, expr):
    r = send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                  "awaitPromise": True}, session)
    return r.get("result", {}).get("value")


def wait_for(session, expr, what, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if evaluate(session, expr):
            return True
        time.sleep(0.2)
    check(False, f"timed out waiting: {what}")
    return False


def shot(session, name, whole_page=False):
    data = send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": whole_page},
                session)["data"]
    os.makedirs(SHOTS, exist_ok=True)
    with open(os.path.join(SHOTS, name), "wb") as f:
        f.write(base64.b64decode(data))


try:
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    s = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    send("Page.enable", {}, s)
    send("Runtime.enable", {}, s)
    send("Page.navigate", {"url": base + "/"}, s)
    wait_for(s, "document.readyState === 'complete' && !!document.querySelector('form')",
             "the sign-in form without a token")
    check(evaluate(s, "document.querySelectorAll('#rows tr').length") in (None, 0),
          "no incident shown before signing in")
    evaluate(s, f"document.querySelector('input[name=token]').value = {json.dumps(TOKEN)};"
                "document.querySelector('form').submit(); true")
    wait_for(s, "document.querySelectorAll('#rows tr').length === 2", "the list renders")
    cells = evaluate(s, "[...document.querySelectorAll('#rows tr')].map(r => "
                        "[...r.cells].map(c => c.textContent))") or []
    check(any(r[1] == "open" and r[2] == "i-0123456789abcdef0" and r[3] == "203.0.113.10"
              and r[6] == "1" for r in cells), f"state, instance, source, attempts: {cells}")
    shot(s, "dashboard-list.png")
    hostile = next((r[0] for r in cells if r[3] == "203.0.113.10"), "INC-1")
    evaluate(s, f"location.hash = {json.dumps(hostile)}; true")
    wait_for(s, "!document.getElementById('detail').hidden && "
                "document.getElementById('detail').textContent.includes('Timeline')",
             "the detail renders")
    text = evaluate(s, "document.getElementById('detail').textContent") or ""
    check("<script>alert(3)</script>" in text and "</script><script>alert(4)</script>" in text
          and "onerror=alert(2)" in text, "the hostile URL, reason, header shown as text")
    check("169.254.169.254:80\\x0d\\x0aSet-Cookie: pwned=1" in text and "\r" not in text,
          "control bytes shown as \\xNN, not as a line break")
    calls = evaluate(s, "[...document.querySelectorAll('#calls tbody tr')].map(r => "
                        "[...r.cells].map(c => c.textContent))") or []
    check(len(calls) == 2 and calls[0][2] == "ec2:CreateSnapshot"
          and calls[0][3] == 'vol-"><svg onload=alert(7)>'
          and calls[0][4] == "req-\\x01\\x0d\\x0aX-Evil: 1"
          and calls[0][6] == "FAILED: <img src=x onerror=alert(8)>"
          and calls[1][6] == "ok (polled 3 times)", f"the AWS calls table: {calls}")
    evid = evaluate(s, "[...document.querySelectorAll('#evidence tbody tr')].map(r => "
                       "[...r.cells].map(c => c.textContent))") or []
    check(["snapshot", "snap-</script><script>alert(6)</script>",
           "of vol-<img src=x onerror=alert(5)>", "", ""] in evid
          and any(r[0] == "capture stdout" and r[1] == "s3://evidence/<script>alert(9)</script>"
                  and r[4] == "46" for r in evid)
          and any(r[0] == "examined device" and r[3] == "aabb" for r in evid),
          f"the evidence table: {evid}")
    exam = evaluate(s, "Object.fromEntries(['top_findings', 'yara', 'persistence'].map(k => "
                       "[k, [...document.querySelectorAll('.exam-' + k + ' td')]"
                       ".map(c => c.textContent)]))") or {}
    check("/var/www/<script>alert(11)</script>.php" in exam.get("top_findings", [])
          and "webshell_<script>alert(13)</script>" in exam.get("yara", [])
          and "/etc/cron.d/<img src=x onerror=alert(12)>" in exam.get("persistence", []),
          f"findings, YARA matches and persistence places as tables: {exam}")
    check(evaluate(s, "document.querySelectorAll('#detail script, #detail img, #detail svg, "
                      "#detail b, #detail u, #detail i, #detail [onerror], "
                      "#detail [onload]').length") == 0, "no element injected")
    check(evaluate(s, "document.getElementById('release') === null"),
          "read-only: the page offers no release")
    shot(s, "dashboard-detail.png", whole_page=True)
    subprocess.run([SEED, store], check=True)  # both sources blocked again
    wait_for(s, "[...document.querySelectorAll('#rows tr')].every(r => "
                "r.cells[6].textContent === '2')", "the change shows up live")
    shot(s, "dashboard-live.png")
    dialogs = [e for e in events if e.get("method") == "Page.javascriptDialogOpening"]
    check(not dialogs, f"no script of an attacker ran (dialogs: {dialogs})")
    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"]
    check(not errors, f"no script error: {errors[:1]}")
finally:
    try:
        send("Browser.close")
    except Exception:
        pass
    browser.wait(timeout=10)
    dash.terminate()
    dash.wait(timeout=10)

print("dashboard-browser:", "FAILED %d" % len(failures) if failures else "ok",
      "(screenshots in %s)" % SHOTS)
sys.exit(1 if failures else 0)
