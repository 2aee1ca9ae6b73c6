#!/usr/bin/python3
"""incidents close sets the instance's status tag to closed, and says
honestly when it could not:

- a contained instance still running: ssrfguard:status=closed (CreateTags,
  after the incident is closed), exit 0;
- CreateTags refused: the incident is closed all the same, the close is
  partial (exit 1, "partial": true), the message names the failed call and
  the command that sets the tag, the tag still says contained;
- the instance terminated (still visible): its tag is left, said so, no
  CreateTags tried;
- the instance gone (InvalidInstanceID.NotFound: EC2 forgets a terminated
  instance within about an hour, EC2 API reference, DescribeInstances; the
  emulator models it): no tag to change, said so, exit 0;
- an incident containment never tagged: nothing on AWS is called.

usage: test_close.py SSRFGUARD"""
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
work = tempfile.mkdtemp(prefix="rsp-close-")
atexit.register(shutil.rmtree, work, True)


def fresh(contain=True, **timing):
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", {**h.FAST_TIMING, **timing})
    w = tempfile.mkdtemp(prefix="case-", dir=work)
    if contain:
        p = h.respond(binary, emu, w, "--instance", h.VICTIM)
        h.check(p.returncode == 0 and "INC-1 contained" in p.stdout,
                f"contained: {p.stdout[-800:]} {p.stderr[-800:]}")
    return w


def incidents(w, *args):
    return subprocess.run([binary, "incidents", "--store", os.path.join(w, "inc.db"), *args], env=emu.env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)


def close(w):
    p = incidents(w, "close", "1", "--reason", "case over", "--json")
    return p.returncode, json.loads(p.stdout or "{}")


def state(w):
    rows = json.loads(incidents(w, "list", "--json").stdout or "[]")
    return {r["id"]: r for r in rows}.get(1, {}).get("state")


def status_tag():
    return h.tags(emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")


def changes_since(seq):
    return [c["action"] for c in emu.journal() if c["seq"] > seq and not c["action"].startswith("Describe")]


def last_seq():
    return max([c["seq"] for c in emu.journal()] or [0])


try:
    # 1. still running: the tag says closed
    w = fresh()
    rc, out = close(w)
    msg = out.get("message", "")
    h.check(rc == 0 and out.get("closed") is True and out.get("partial") is False
            and f"INC-1 closed (it was contained); instance {h.VICTIM}: status tag ssrfguard:status=closed" in msg,
            f"closed, tag set, said so: {rc} {out}")
    h.check(state(w) == "closed" and status_tag() == "closed", f"state and tag closed: {state(w)} {status_tag()}")
    hist = json.loads(incidents(w, "show", "1", "--json").stdout or "{}").get("history", [])
    h.check(any(x.get("step") == "close" and x.get("to") == "done" and "status tag" in x.get("reason", "")
                for x in hist), f"the history keeps the close step: {hist[-3:]}")

    # 2. CreateTags refused: closed, partly; the way to set it by hand
    w = fresh()
    emu.faults([{"kind": "error", "service": "ec2", "action": "CreateTags", "code": "UnauthorizedOperation",
                 "status": 403, "message": "not allowed"}])
    rc, out = close(w)
    msg = out.get("message", "")
    h.check(rc == 1 and out.get("closed") is True and out.get("partial") is True,
            f"exit 1, closed and partial: {rc} {out}")
    h.check("was not set: CreateTags failed (UnauthorizedOperation" in msg and
            f"aws ec2 create-tags --resources {h.VICTIM} --tags Key=ssrfguard:status,Value=closed" in msg,
            f"the failed call and the command: {msg}")
    h.check(state(w) == "closed" and status_tag() == "contained",
            f"closed all the same, the tag unchanged: {state(w)} {status_tag()}")
    emu.clear_faults()

    # 3. terminated, still visible: the tag is left, said so; 4. gone: EC2
    # no longer knows it (forgotten 1 s after it terminated)
    for visible, said in ((3600, "is terminated (DescribeInstances): its status tag was left as it is"),
                          (1, "is gone (InvalidInstanceID.NotFound): no status tag to change")):
        w = fresh(terminated_visible_seconds=visible)
        emu.post("/ec2/terminate", {"instance_id": h.VICTIM})
        emu.post("/advance", {"seconds": 4})  # shutting-down -> terminated (-> gone)
        seq = last_seq()
        rc, out = close(w)
        h.check(rc == 0 and out.get("partial") is False and f"instance {h.VICTIM} {said}" in out.get("message", ""),
                f"said so: {rc} {out}")
        h.check(changes_since(seq) == [] and state(w) == "closed",
                f"no CreateTags: {changes_since(seq)} {state(w)}")

    # 5. never contained: nothing on AWS is asked
    w = fresh(contain=False)
    p = incidents(w, "open", h.VICTIM)
    h.check(p.returncode == 0, f"opened: {p.stdout} {p.stderr}")
    seq = last_seq()
    rc, out = close(w)
    h.check(rc == 0 and f"containment never tagged instance {h.VICTIM}: nothing on AWS was changed"
            in out.get("message", ""), f"never tagged, said so: {rc} {out}")
    h.check([c for c in emu.journal() if c["seq"] > seq] == [], "no AWS call at all")
finally:
    emu.stop()
h.finish("respond-close")
