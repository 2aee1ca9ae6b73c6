#!/usr/bin/python3
"""The forensic instance given with --forensic-instance is checked like a
launched one (AUDIT6 M1): running and its SSM agent Online before any
volume is made for it; and "collection started" is said only once the
invocation has left Pending/Delayed.

  - its agent ConnectionLost (the instance runs, the agent does not poll):
    forensics fails, the note names the agent's status, and no command is
    sent to it;
  - its agent stopped a moment ago, still shown Online (the status follows
    the agent's pings): the command is sent but stays Pending; forensics
    fails with "sent ... still Pending", never "collection started"; the
    journal's intent for the SendCommand is "send the forensic collection
    command" (and the capture's "send the volatile capture command"), what
    the call asks, never "started";
  - a healthy agent: "collection started" (or "ran and ended Success")
    after the invocation was seen past Pending.

usage: test_forensic_agent.py SSRFGUARD"""
import atexit
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-fagent-")
atexit.register(shutil.rmtree, work, True)


def run(label, agent=None):
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    if agent is not None:
        emu.post("/ssm/agent", dict(agent, instance_id=h.FORENSIC))
    w = tempfile.mkdtemp(prefix=label + "-", dir=work)
    return w, h.respond(binary, emu, w, "--instance", h.VICTIM, "--snapshot-wait", "4",
                        "--step-attempts", "1")


def calls_to_forensic(action):
    return [c for c in emu.journal() if c["action"] == action
            and h.FORENSIC in json.dumps(c.get("params") or {})]


def forensics_line(out):
    return "\n".join(l for l in out.splitlines() if " forensics " in l and "..." not in l)


try:
    w, p = run("lost", {"online": False})
    line = forensics_line(p.stdout)
    h.check(p.returncode == 1 and "INC-1 partial" in p.stdout,
            f"agent ConnectionLost: partial, exit 1: {p.returncode} {p.stdout[-600:]} {p.stderr[-300:]}")
    h.check("failed" in line and h.FORENSIC in line and "SSM agent ConnectionLost" in line,
            f"the note names the forensic instance's agent: {line}")
    h.check("collection started" not in p.stdout, f"nothing says started: {line}")
    h.check(calls_to_forensic("SendCommand") == [], "no command sent to an agent that is not Online")
    h.check(calls_to_forensic("AttachVolume") == [], "no volume attached to a forensic instance not ready")

    w, p = run("pending", {"online": False, "ping_lag_seconds": 600})
    line = forensics_line(p.stdout)
    h.check(len(calls_to_forensic("SendCommand")) == 1, "the command is sent (the agent still shows Online)")
    h.check(p.returncode == 1 and "collection started" not in p.stdout,
            f"a Pending invocation is not started: {p.returncode} {line}")
    h.check("failed" in line and "sent" in line and "still Pending" in line,
            f"the note says sent, still Pending: {line}")
    inv = [v for k, v in emu.state()["ssm"]["invocations"].items() if k.endswith("/" + h.FORENSIC)]
    h.check(inv and inv[0]["Status"] == "Pending", f"the emulator holds it Pending: {inv and inv[0]['Status']}")
    # the journal's intent is what the call asks, not what may follow it
    rep = json.load(open(h.report_path(w, "INC-1")))
    sends = [(s["name"], c.get("change")) for s in rep["steps"] for c in s.get("calls", [])
             if c["api"] == "ssm:SendCommand"]
    h.check(("forensics", "send the forensic collection command") in sends
            and ("capture", "send the volatile capture command") in sends
            and not [c for _, c in sends if "started" in (c or "")],
            f"the SendCommand intents say send, never started: {sends}")

    w, p = run("online")
    line = forensics_line(p.stdout)
    # the emulator's command may be over by the first read (the invocation
    # is invisible for its first 0.5 s): "ran and ended Success" is as true
    h.check(p.returncode == 0 and ("collection started (command" in line or "ran and ended Success" in line),
            f"a healthy agent: started: {p.returncode} {line} {p.stderr[-300:]}")
    acts = [c["action"] for c in emu.journal()]
    last_send = max(i for i, a in enumerate(acts) if a == "SendCommand")
    h.check("GetCommandInvocation" in acts[last_send:], "started only after the invocation was read")
finally:
    emu.stop()
h.finish("respond-forensic-agent")
