#!/usr/bin/env python3
"""The dashboard in a real browser (headless Chromium over the DevTools
protocol on a pipe, cdp.py): sign in through the form, the list renders, one
incident's detail renders with the hostile text as text (no dialog opened,
no element injected) and its tables (AWS calls, evidence, the forensic
findings, YARA matches and persistence places), every step status told
apart without colour (a step turned off is not shown as done), a change in the store
shows up live; 5,002 incidents: the newest page loads quickly (measured),
says which 500 of how many it shows, and its links reach the older pages,
where the hostile sources and destinations are text too and live updates
still arrive; then over HTTPS with a client certificate in the browser's
NSS database (no token: the list renders), and without one (nothing);
screenshots are kept under the build directory.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import cdp

BIN, SEED, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "browser-token-0123456789abcdef"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


chromium = shutil.which("chromium")
if not chromium or not shutil.which("pk12util"):
    print("SKIP: no chromium or NSS tools (scripts/deps.sh installs them)")
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

B = cdp.Browser(chromium, tmp, SHOTS, failures)
try:
    s = B.page()
    B.send("Page.navigate", {"url": base + "/"}, s)
    B.wait_for(s, "document.readyState === 'complete' && !!document.querySelector('form')",
               "the sign-in form without a token")
    check(B.evaluate(s, "document.querySelectorAll('#rows tr').length") in (None, 0),
          "no incident shown before signing in")
    B.evaluate(s, f"document.querySelector('input[name=token]').value = {json.dumps(TOKEN)};"
                  "document.querySelector('form').submit(); true")
    B.wait_for(s, "document.querySelectorAll('#rows tr').length === 2", "the list renders")
    cells = B.evaluate(s, "[...document.querySelectorAll('#rows tr')].map(r => "
                          "[...r.cells].map(c => c.textContent))") or []
    check(any(r[1] == "open" and r[2] == "i-0123456789abcdef0" and r[3] == "203.0.113.10"
              and r[6] == "1" for r in cells), f"state, instance, source, attempts: {cells}")
    B.shot(s, "dashboard-list.png")
    hostile = next((r[0] for r in cells if r[3] == "203.0.113.10"), "INC-1")
    B.evaluate(s, f"location.hash = {json.dumps(hostile)}; true")
    B.wait_for(s, "!document.getElementById('detail').hidden && "
                  "document.getElementById('detail').textContent.includes('Timeline')",
               "the detail renders")
    text = B.evaluate(s, "document.getElementById('detail').textContent") or ""
    check("<script>alert(3)</script>" in text and "</script><script>alert(4)</script>" in text
          and "onerror=alert(2)" in text, "the hostile URL, reason, header shown as text")
    check("169.254.169.254:80\\x0d\\x0aSet-Cookie: pwned=1" in text and "\r" not in text,
          "control bytes shown as \\xNN, not as a line break")
    calls = B.evaluate(s, "[...document.querySelectorAll('#calls tbody tr')].map(r => "
                          "[...r.cells].map(c => c.textContent))") or []
    check(len(calls) == 2 and calls[0][2] == "ec2:CreateSnapshot"
          and calls[0][3] == 'vol-"><svg onload=alert(7)>'
          and calls[0][4] == "req-\\x01\\x0d\\x0aX-Evil: 1"
          and calls[0][6] == "FAILED: <img src=x onerror=alert(8)>"
          and calls[1][6] == "ok (polled 3 times)", f"the AWS calls table: {calls}")
    evid = B.evaluate(s, "[...document.querySelectorAll('#evidence tbody tr')].map(r => "
                         "[...r.cells].map(c => c.textContent))") or []
    check(["snapshot", "snap-</script><script>alert(6)</script>",
           "of vol-<img src=x onerror=alert(5)>", "", ""] in evid
          and any(r[0] == "capture stdout" and r[1] == "s3://evidence/<script>alert(9)</script>"
                  and r[4] == "46" for r in evid)
          and any(r[0] == "examined device" and r[3] == "aabb" for r in evid),
          f"the evidence table: {evid}")
    exam = B.evaluate(s, "Object.fromEntries(['top_findings', 'yara', 'persistence'].map(k => "
                         "[k, [...document.querySelectorAll('.exam-' + k + ' td')]"
                         ".map(c => c.textContent)]))") or {}
    check("/var/www/<script>alert(11)</script>.php" in exam.get("top_findings", [])
          and "webshell_<script>alert(13)</script>" in exam.get("yara", [])
          and "/var/www/<?php eval($_POST['x']); ?>" in exam.get("yara", [])
          and "/etc/cron.d/<img src=x onerror=alert(12)>" in exam.get("persistence", []),
          f"findings, YARA matches and persistence places as tables: {exam}")
    # every step status shown apart, not by colour alone: its word, a mark
    # of its own (hidden from screen readers, which read the word), a border
    # style; `off` (turned off, never attempted) unlike `done`, readable
    # (WCAG AA contrast), and explained in the legend under the table
    steps = B.evaluate(s, "[...document.querySelectorAll('#steps tbody tr')].map(r => {"
                          " const b = r.cells[1].querySelector('.step'), cs = b && getComputedStyle(b);"
                          " return b && {name: r.cells[0].textContent, text: b.textContent,"
                          " cls: b.className, mark: b.firstChild.textContent,"
                          " hidden: b.firstChild.getAttribute('aria-hidden'), border: cs.borderTopStyle,"
                          " color: cs.color, bg: cs.backgroundColor, italic: cs.fontStyle}; })") or []
    by = {x["name"]: x for x in steps if x}
    off, done, skipped = by.get("isolate", {}), by.get("snapshot", {}), by.get("asg", {})
    check(len(by) == len(steps) == 5, f"every step's status is a badge: {steps}")
    check("step-off" in off.get("cls", "") and off.get("text", "").endswith(" off") and
          done.get("text", "").endswith(" done") and skipped.get("text", "").endswith(" skipped"),
          f"the status word is shown: {off} {done} {skipped}")
    check(off.get("mark") and len({off.get("mark"), done.get("mark"), skipped.get("mark")}) == 3 and
          off.get("hidden") == "true", f"off has a mark of its own, hidden from screen readers: {steps}")
    check(off.get("border") == "dashed" and done.get("border") == "solid" and
          off.get("italic") == "italic" and off.get("bg") != done.get("bg"),
          f"off looks unlike done beyond its colour (dashed, italic): {off} {done}")

    def luminance(rgb):
        vals = [int(v) / 255 for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in vals]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for name, x in by.items():
        a, b = sorted((luminance(x["color"]), luminance(x["bg"])), reverse=True)
        check((a + 0.05) / (b + 0.05) >= 4.5, f"{name}'s status is readable (contrast >= 4.5): {x}")
    legend = B.evaluate(s, "[...document.querySelectorAll('#step-legend dt')].map(d => "
                           "[d.textContent, d.nextElementSibling.textContent])") or []
    check(any(t.endswith(" off") and "turned off" in d and "never attempted" in d for t, d in legend)
          and any(t.endswith(" skipped") and "nothing to do" in d for t, d in legend),
          f"the legend says what off and skipped mean: {legend}")
    B.evaluate(s, "document.getElementById('steps').scrollIntoView(); true")
    B.shot(s, "dashboard-steps.png")
    check(B.evaluate(s, "document.querySelectorAll('#detail script, #detail img, #detail svg, "
                        "#detail b, #detail u, #detail i, #detail [onerror], "
                        "#detail [onload]').length") == 0, "no element injected")
    check(B.evaluate(s, "document.getElementById('release') === null"),
          "read-only: the page offers no release")
    B.shot(s, "dashboard-detail.png", whole_page=True)
    subprocess.run([SEED, store], check=True)  # both sources blocked again
    B.wait_for(s, "[...document.querySelectorAll('#rows tr')].every(r => "
                  "r.cells[6].textContent === '2')", "the change shows up live")
    B.shot(s, "dashboard-live.png")
    dialogs = [e for e in B.events if e.get("method") == "Page.javascriptDialogOpening"]
    check(not dialogs, f"no script of an attacker ran (dialogs: {dialogs})")
    errors = [e for e in B.events if e.get("method") == "Runtime.exceptionThrown"]
    check(not errors, f"no script error: {errors[:1]}")
finally:
    B.close()
    dash.terminate()
    dash.wait(timeout=10)

# --- many incidents: the page shows 500 of them, says so, and pages
MANY = 5000
store2 = os.path.join(tmp, "many.db")
subprocess.run([SEED, store2], check=True)
subprocess.run([SEED, store2, str(MANY)], check=True)
TOTAL = MANY + 2
mdash = subprocess.Popen([BIN, "dashboard", "--listen", "127.0.0.1:0", "--store", store2,
                          "--token-file", tokfile], stderr=subprocess.PIPE, text=True)
mbase = "http://127.0.0.1:%d" % int(json.loads(mdash.stderr.readline())["message"].rsplit(":", 1)[1])
SHOWN = "document.getElementById('shown') && document.getElementById('shown').textContent"
HOSTILE_IN_ROWS = ("document.querySelectorAll('#rows script, #rows img, #rows svg, #rows b, "
                   "#rows td *').length")
M = cdp.Browser(chromium, tmp, SHOTS, failures)


def rows_text(s):
    return M.evaluate(s, "[...document.querySelectorAll('#rows tr')].map(r => "
                         "[...r.cells].map(c => c.textContent))") or []


def hostile_rows_are_text(s, where):
    rows = rows_text(s)
    src = [r[3] for r in rows if "onerror=alert(" in r[3]]
    check(len(src) == len(rows) - sum(r[3].startswith("203.0.113.") for r in rows) and src and
          all("<img src=x onerror=alert(" in x and "\\x0d\\x0a" in x and "\ufffd" in x for x in src)
          and all("</td><script>alert(" in r[5] for r in rows if "onerror" in r[3]),
          f"{where}: every hostile source and destination shown as text: {rows[:2]}")
    check(M.evaluate(s, HOSTILE_IN_ROWS) == 0, f"{where}: no element injected into the list")


try:
    s = M.page()
    M.send("Page.navigate", {"url": mbase + "/"}, s)
    M.wait_for(s, "document.readyState === 'complete' && !!document.querySelector('form')",
               "the sign-in form (many)")
    M.evaluate(s, f"document.querySelector('input[name=token]').value = {json.dumps(TOKEN)};"
                  "document.querySelector('form').submit(); true")
    M.wait_for(s, "document.querySelectorAll('#rows tr').length === 500", "the first page (signed in)")
    # the load measured: from the navigation to the first page drawn
    started = time.monotonic()
    M.send("Page.navigate", {"url": mbase + "/"}, s)
    drawn = None
    while time.monotonic() - started < 30:
        try:
            if M.evaluate(s, "document.querySelectorAll('#rows tr').length === 500 && "
                             "!!document.getElementById('shown')"):
                drawn = time.monotonic() - started
                break
        except RuntimeError:
            pass
        time.sleep(0.01)
    print(f"page load with {TOTAL} incidents: {drawn if drawn is None else round(drawn * 1000)} ms "
          "to the first 500 rows drawn", flush=True)
    check(drawn is not None and drawn < 5.0, f"the page loads quickly with {TOTAL} incidents: {drawn}")
    check(M.evaluate(s, SHOWN) == f"showing the newest 500 of {TOTAL} incidents (INC-{TOTAL} to "
          f"INC-{TOTAL - 499})", f"the page says which of how many: {M.evaluate(s, SHOWN)}")
    check(M.evaluate(s, "document.getElementById('newest') === null"), "the newest page links no newer")
    hostile_rows_are_text(s, "the newest page")
    M.shot(s, "dashboard-paged.png")
    M.click(s, "#older")
    M.wait_for(s, f"location.search === '?before={TOTAL - 499}' && "
                  f"document.querySelector('#rows tr') && "
                  f"document.querySelector('#rows tr').cells[0].textContent === 'INC-{TOTAL - 500}'",
               "the older link shows the next 500")
    check(M.evaluate(s, SHOWN) == f"showing 500 of {TOTAL} incidents (INC-{TOTAL - 500} to "
          f"INC-{TOTAL - 999})", f"an older page says which: {M.evaluate(s, SHOWN)}")
    check(M.evaluate(s, "!!document.getElementById('newest') && !!document.getElementById('older')"),
          "an older page links the newest and the next")
    hostile_rows_are_text(s, "an older page")
    M.shot(s, "dashboard-paged-older.png")
    M.send("Page.navigate", {"url": mbase + "/?before=3"}, s)
    M.wait_for(s, "document.querySelectorAll('#rows tr').length === 2 && !!document.getElementById('shown')",
               "the last page: INC-2 and INC-1")
    check(M.evaluate(s, "document.getElementById('older') === null"), "the last page links no older")
    M.click(s, "#rows tr[data-id='1']")
    M.wait_for(s, "!document.getElementById('detail').hidden && "
                  "document.getElementById('detail').textContent.includes('alert(4)')",
               "the hostile incident's detail from the last page")
    check(M.evaluate(s, "document.querySelectorAll('#detail script, #detail img, #detail svg').length") == 0,
          "no element injected into the detail")
    subprocess.run([SEED, store2], check=True)  # INC-1 and INC-2 blocked again
    M.wait_for(s, "[...document.querySelectorAll('#rows tr')].every(r => r.cells[6].textContent === '2')",
               "an older page updates live too")
    dialogs = [e for e in M.events if e.get("method") == "Page.javascriptDialogOpening"]
    check(not dialogs, f"no script of an attacker ran on the pages (dialogs: {dialogs})")
    errors = [e for e in M.events if e.get("method") == "Runtime.exceptionThrown"]
    check(not errors, f"no script error on the pages: {errors[:1]}")
finally:
    M.close()
    mdash.terminate()
    mdash.wait(timeout=10)

# --- client certificates: the operator's certificate in the browser's NSS
# database, picked for the dashboard by the auto-select content setting
pki = os.path.join(tmp, "pki")
os.mkdir(pki)
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]


def run_in(cwd, *args):
    subprocess.run(args, check=True, capture_output=True, cwd=cwd)


run_in(pki, "openssl", "req", "-x509", *EC, "-subj", "/CN=dashboard operators CA",
       "-keyout", "ca.key", "-out", "ca.pem")
run_in(pki, "openssl", "req", "-x509", *EC, "-subj", "/CN=127.0.0.1",
       "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "srv.key", "-out", "srv.pem")
run_in(pki, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-subj", "/O=ssrfguard ops/CN=alice", "-keyout", "alice.key", "-out", "alice.csr")
run_in(pki, "openssl", "x509", "-req", "-in", "alice.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-days", "2", "-out", "alice.pem")
run_in(pki, "openssl", "pkcs12", "-export", "-in", "alice.pem", "-inkey", "alice.key",
       "-out", "alice.p12", "-passout", "pass:")
cdash = subprocess.Popen([BIN, "dashboard", "--listen", "127.0.0.1:0", "--store", store,
                          "--tls-cert", os.path.join(pki, "srv.pem"),
                          "--tls-key", os.path.join(pki, "srv.key"),
                          "--client-ca", os.path.join(pki, "ca.pem")],
                         stderr=subprocess.PIPE, text=True)
cport = int(json.loads(cdash.stderr.readline())["message"].rsplit(":", 1)[1])


def browser_home(name, with_cert):
    home = os.path.join(tmp, name)
    nss = os.path.join(home, ".pki", "nssdb")
    os.makedirs(nss)
    db = "sql:" + nss
    run_in(home, "certutil", "-N", "-d", db, "--empty-password")
    run_in(home, "certutil", "-A", "-d", db, "-n", "dashboard", "-t", "P,,",
           "-i", os.path.join(pki, "srv.pem"))
    if with_cert:
        run_in(home, "pk12util", "-d", db, "-i", os.path.join(pki, "alice.p12"), "-W", "")
        prefs = os.path.join(home, "profile", "Default")
        os.makedirs(prefs)
        pattern = f"https://127.0.0.1:{cport},*"
        with open(os.path.join(prefs, "Preferences"), "w") as f:
            json.dump({"profile": {"content_settings": {"exceptions": {"auto_select_certificate": {
                pattern: {"setting": {"filters": [{"ISSUER": {"CN": "dashboard operators CA"}}]}}
            }}}}}, f)
    return home


for who, with_cert in (("alice", True), ("nobody", False)):
    C = cdp.Browser(chromium, browser_home("home-" + who, with_cert), SHOTS, failures)
    try:
        s = C.page()
        mark = len(C.events)
        C.send("Page.navigate", {"url": f"https://127.0.0.1:{cport}/"}, s)
        # a client certificate is chosen while the page loads: wait for the
        # load of this navigation (not about:blank's) before looking
        started = C.wait_event("Page.frameStartedLoading", mark)
        check(started and C.wait_event("Page.loadEventFired", started, timeout=60),
              f"{who}: the navigation ends")
        if with_cert:
            C.wait_for(s, "document.querySelectorAll('#rows tr').length === 2",
                       "with alice's certificate the list renders, no sign-in form",
                       timeout=40)
            check(C.evaluate(s, "document.querySelector('form') === null"),
                  "no sign-in form: the certificate signed in")
            C.shot(s, "dashboard-certificate.png")
        else:
            time.sleep(2)
            check(C.evaluate(s, "document.getElementById('rows') === null && "
                                "!document.body.textContent.includes('i-0123456789abcdef0')"),
                  "without a certificate the browser gets nothing")
    finally:
        C.close()
cdash.terminate()
cdash.wait(timeout=10)

print("dashboard-browser:", "FAILED %d" % len(failures) if failures else "ok",
      "(screenshots in %s)" % SHOTS)
sys.exit(1 if failures else 0)
