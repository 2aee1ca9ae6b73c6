#!/usr/bin/python3
"""What `ssrfguard respond` writes for a person (AUDIT6 M4, L5):

  * a usage error on an interactive terminal is the two lines every command
    prints ("ssrfguard respond: ...", "Try 'ssrfguard respond --help'."),
    exit 2 -- also for the daemon's options; a JSON log line only when
    stderr is not a terminal (a daemon's log) or --json/--queue/--listen
    asks for one;
  * --incident takes N and INC-N alike;
  * "held by OWNER": the owner comes from a shared store (any responder's
    text): its control characters are shown escaped, never sent raw.

usage: test_cli_text.py SSRFGUARD"""
import json
import os
import pty
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
work = tempfile.mkdtemp(prefix="rsp-clitext-")


def on_tty(*args):
    """respond ARGS with stderr on a pseudo-terminal: (status, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([binary, "respond", "--store", os.path.join(work, "none.db"), *args],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
                         env={"PATH": os.environ.get("PATH", ""), "AWS_EC2_METADATA_DISABLED": "true"})
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout=30), out.decode(errors="replace").replace("\r\n", "\n")


def piped(*args):
    p = subprocess.run([binary, "respond", "--store", os.path.join(work, "none.db"), *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
                       env={"PATH": os.environ.get("PATH", ""), "AWS_EC2_METADATA_DISABLED": "true"})
    return p.returncode, p.stderr


TWO_LINES = "Try 'ssrfguard respond --help'.\n"
try:
    for args in (("--bogus",), ("--incident", "INC-x"), ("--deliver-to", "https://x/", "--bogus")):
        rc, err = on_tty(*args)
        h.check(rc == 2 and err.startswith("ssrfguard respond: ") and err.endswith(TWO_LINES)
                and len(err.splitlines()) == 2, f"usage error on a terminal {args}: {rc} {err!r}")
    rc, err = on_tty("--incident", "INC-x")
    h.check("'INC-x'" in err and "N or INC-N" in err, f"--incident says what it takes: {err!r}")
    for args in (("--json", "--bogus"), ("--listen", "127.0.0.1:1", "--bogus")):
        rc, err = on_tty(*args)
        line = h.json_log_line(err.strip())
        h.check(rc == 2 and line and line.get("event") == "config", f"asked for JSON {args}: {rc} {err!r}")
    rc, err = piped("--bogus")
    line = h.json_log_line(err.strip())
    h.check(rc == 2 and line and line.get("level") == "error", f"a daemon's log is JSON: {rc} {err!r}")
    rc, err = piped("--instance", "i-0abc", "--bogus")
    h.check(rc == 2 and err.endswith(TWO_LINES), f"an operator's run, piped: the two lines: {err!r}")

    # --- held by an owner whose name carries a terminal's control sequences
    emu = h.Emulator(seeds=(h.FLEET,))
    try:
        w = tempfile.mkdtemp(prefix="held-", dir=work)
        p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--observe")
        h.check("INC-1 observed" in p.stdout, f"an incident to hold: {p.stdout[-300:]} {p.stderr[-300:]}")
        db = sqlite3.connect(os.path.join(w, "inc.db"))
        db.execute("UPDATE incidents SET state = 'containing', lease_owner = ?, lease_until_ms = ? "
                   "WHERE id = 1", ("evil\x1b]0;owned\x07\x1b[2J", int(time.time() * 1000) + 600000))
        db.commit()
        db.close()
        for name in ("INC-1", "1"):
            p = h.respond(binary, emu, w, "--incident", name)
            h.check(p.returncode == 3 and "INC-1 is held by evil\\x1b]0;owned\\x07\\x1b[2J" in p.stderr
                    and "\x1b" not in p.stderr and "\x07" not in p.stderr,
                    f"--incident {name}: held, the owner escaped: {p.returncode} {p.stderr!r}")
    finally:
        emu.stop()
finally:
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-cli-text")
