#!/usr/bin/python3
"""Text from the victim reaches the operator escaped and whole (AUDIT5 H2).

The memory command fails on the victim with a first stderr line that
clears the terminal and is cut by the note's limit in the middle of a
two-byte character.  The step's result, its history row, the failure
notification and the progress line must all be there, each printable
UTF-8 with the escape sequence shown as \\x1b, never as the byte.

usage: test_untrusted_notes.py SSRFGUARD"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-notes-")
atexit.register(shutil.rmtree, work, True)
hook = h.Webhook()
hooks, hook_url = hook.got, hook.url

# ESC [2J and 192 'a': 196 bytes raw, 199 escaped; then "é" (2 bytes) and
# "…" (3 bytes), which a cut at 200 bytes splits either way; then a
# second line.
HOSTILE = "\x1b[2J" + "a" * 192 + "\u00e9\u2026 tail\nsecond line"


def printable(s):
    return not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in s)


try:
    fleet = json.load(open(h.FLEET))
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    emu.post("/seed", {"s3_buckets": ["ir-evidence"],
                       "ssm": {"scripts": [{"match": "avml --compress", "stderr": HOSTILE, "exit_code": 1}]}})
    emu.post("/timing", h.FAST_TIMING)
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--memory", "--evidence-bucket", "ir-evidence",
                  "--webhook", hook_url)
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout, f"partial: {p.returncode} {p.stdout[-800:]}")
    h.check("\x1b" not in p.stdout and "\x1b" not in p.stderr, "no ESC byte on the operator's terminal")
    line = [ln for ln in p.stdout.splitlines() if " capture " in ln and "failed" in ln]
    h.check(line and "\\x1b[2J" in line[0] and "memory acquisition ended Failed" in line[0],
            f"the progress line shows the victim's text escaped: {line}")

    store = os.path.join(work, "inc.db")
    show = subprocess.run([binary, "incidents", "--store", store, "show", "1", "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=emu.env())
    h.check(show.returncode == 0, f"incidents show --json: {show.returncode} {show.stderr[-400:]}")
    r = json.loads(show.stdout.decode("utf-8")) if show.returncode == 0 else {}
    cap = [s for s in r.get("steps", []) if s["name"] == "capture"]
    result = cap[0].get("result", "") if cap else ""
    h.check(cap and cap[0]["state"] == "failed", f"the capture step failed: {cap and cap[0]['state']}")
    h.check(result.startswith("memory acquisition ended Failed") and "\\x1b[2J" + "a" * 192 in result
            and printable(result) and "second line" not in result,
            f"the step's result holds the first line, escaped: {result!r}")
    said = " [permanent: not retried]"  # the engine's word on the failure (Failed: not retried)
    h.check(result.endswith(said) and result[:-len(said)].endswith("a" * 192),
            f"cut before the character that does not fit: {result[-40:]!r}")
    rows = [x for x in r.get("history", []) if x.get("step") == "capture" and x.get("to") == "failed"]
    h.check(rows and rows[-1]["reason"] == result, f"the history row is there, with the result: {rows}")
    h.check(all(printable(x.get("reason", "")) for x in r.get("history", [])), "every history row printable")

    fails = [x for x in hooks if x.get("event") == "failure"]
    h.check(fails and "step capture failed" in fails[0]["text"] and "\\x1b[2J" in fails[0]["text"]
            and printable(fails[0]["text"]), f"the webhook got the failure event: {fails}")
    h.check(any(x.get("event") == "end" for x in hooks), f"and the end: {[x.get('event') for x in hooks]}")
    h.check("notification not sent" not in p.stderr, f"no notification lost: {p.stderr[-400:]}")

    md = subprocess.run([binary, "incidents", "--store", store, "show", "1"], stdout=subprocess.PIPE,
                        env=emu.env()).stdout
    h.check(b"\x1b" not in md and b"x1b" in md and b"a" * 192 in md,
            f"the Markdown report shows it escaped too: {md[md.find(b'memory acq'):][:300]}")
finally:
    hook.stop()
    emu.stop()
h.finish("respond-untrusted-notes")
