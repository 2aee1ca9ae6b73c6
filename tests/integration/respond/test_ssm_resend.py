#!/usr/bin/python3
"""SendCommand has no idempotency token, and ListCommands is eventually
consistent (aws-strictness.md): a responder that crashed between sending a
command and journaling its id must not send it again only because
ListCommands does not list it yet (AUDIT6 L4).  The journal marks "about to
send" first; a rerun that finds the mark looks again, every poll, for up to
30 s, and sends only if the command never shows.

  A. crash right after SendCommand (capture:mid), the command hidden from
     the next 3 reads: the rerun finds it, one capture command in all;
  B. crash after the mark, before sending (capture:sending), the mark
     made 27 s old (as if the rerun came that much later): the rerun looks
     for the rest of the 30 s from the mark, no less and not 30 s again,
     finds nothing, sends once.

usage: test_ssm_resend.py SSRFGUARD"""
import atexit
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-resend-")
atexit.register(shutil.rmtree, work, True)


def fresh():
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)


def age_sending_mark(workdir, seconds):
    """Make the capture step's "about to send" mark (created[*_sending_ms],
    the time in ms) seconds older in the store, as a rerun that much later
    finds it: (its key, the aged mark in ms), or None."""
    db = sqlite3.connect(os.path.join(workdir, "inc.db"))
    try:
        row = db.execute("SELECT data FROM steps WHERE name = 'capture'").fetchone()
        data = json.loads(row[0]) if row else {}
        marks = [k for k, v in data.get("created", {}).items() if k.endswith("_sending_ms") and v]
        if len(marks) != 1:
            return None
        aged = int(data["created"][marks[0]]) - seconds * 1000
        data["created"][marks[0]] = str(aged)
        db.execute("UPDATE steps SET data = ? WHERE name = 'capture'", (json.dumps(data),))
        db.commit()
        return marks[0], aged
    finally:
        db.close()


def captures():
    return [c for c in emu.state()["ssm"]["commands"].values()
            if h.comment_is(c.get("Comment"), "INC-1", "volatile capture")]


try:
    # A. sent, not journaled, not listed yet
    fresh()
    w = tempfile.mkdtemp(prefix="a-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, crash="capture:mid")
    h.check(p.returncode == 77, f"A: crashed right after SendCommand: {p.returncode} {p.stderr[-400:]}")
    sent = captures()
    h.check(len(sent) == 1, f"A: the command was sent: {sent}")
    emu.faults([{"kind": "invisible", "ids": [c["CommandId"] for c in sent], "calls": 3}])
    p = h.respond(binary, emu, w, "--incident", "1")
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"A: resumed: {p.stdout[-400:]} {p.stderr[-400:]}")
    h.check(len(captures()) == 1, f"A: one capture command in all, not {len(captures())}")
    r = h.report_ok(w, "INC-1") or {}
    cap = [s for s in r.get("steps", []) if s["name"] == "capture"]
    h.check(cap and any("already sent by an earlier run" in n for n in cap[0].get("notes", [])),
            f"A: the rerun took the earlier command: {cap and cap[0].get('notes')}")

    # B. marked, never sent
    fresh()
    w = tempfile.mkdtemp(prefix="b-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, crash="capture:sending")
    h.check(p.returncode == 77 and not captures(), f"B: crashed before sending: {p.returncode} {captures()}")
    mark = age_sending_mark(w, 27)
    h.check(mark and mark[0] == "capture_command_sending_ms", f"B: the journal holds the mark: {mark}")
    t0 = time.time()
    # (the capture's deadline counts from its first try: give the wait room)
    p = h.respond(binary, emu, w, "--incident", "INC-1", "--capture-timeout", "90")
    took = time.time() - t0
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"B: resumed: {p.stdout[-400:]} {p.stderr[-400:]}")
    h.check(len(captures()) == 1, f"B: sent once after the wait: {len(captures())}")
    # SendCommand 30 s after the mark (the emulator's journal time is the
    # same wall clock): the 3 s left of them waited out, not a shorter
    # window (it would send at once, 27 s after), not 30 s from the rerun
    sent = [c["time"] * 1000 - (mark[1] if mark else 0) for c in emu.journal()
            if c["action"] == "SendCommand" and "volatile capture" in c["params"].get("Comment", "")]
    h.check(len(sent) == 1 and sent[0] >= 30000 - 50,
            f"B: looked for the command until 30 s after the mark: sent {sent} ms after it")
    h.check(took < 25, f"B: the 30 s count from the mark, not from the rerun ({took:.1f} s)")
    r = h.report_ok(w, "INC-1") or {}
    cap = [s for s in r.get("steps", []) if s["name"] == "capture"]
    h.check(cap and any("was about to send" in n for n in cap[0].get("notes", [])),
            f"B: the report says why it sent: {cap and cap[0].get('notes')}")
finally:
    emu.stop()
h.finish("respond-ssm-resend")
