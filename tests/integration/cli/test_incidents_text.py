#!/usr/bin/env python3
"""`incidents list` and `incidents release` say only what is true.

  - list (AUDIT5 L2): every stored string of an incident may hold an
    attacker's or a victim's bytes; the table shows them escaped (no control
    byte reaches the terminal) and --json lists the incident, its strings
    made UTF-8, never drops it;
  - respond --incident N of an incident another responder holds (exit 3)
    names the lease's owner escaped, and offers it as --owner only when it
    needs no quoting (AUDIT6 L5: the owner is any responder's text in a
    shared store);
  - release (AUDIT5 L9): the incident's state changes first and the
    ssrfguard:status tag after: when the store cannot take the transition
    (held by another writer here) the tag is not "released"; when the tag
    cannot be set the incident is released all the same, but partly: exit 1
    (respond's `partial` is 1 too), the message on stderr says the tag was
    not set and how to set it, --json says "released": true, "partial":
    true.  Against the AWS emulator, under tests/netns-run.

usage: test_incidents_text.py SSRFGUARD"""
import concurrent.futures
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h  # noqa: E402

B = sys.argv[1]


class Case:
    """One incident's world: an emulator, a work dir and a store of its own,
    so that the cases below run side by side (each mostly waits: on a
    delayed call, on the store's 5 s busy timeout)."""

    def __init__(self):
        self.emu = h.Emulator()
        self.work = tempfile.mkdtemp(prefix="incidents-text-")
        self.store = os.path.join(self.work, "inc.db")

    def run(self, *args):
        return subprocess.run([B, "incidents", "--store", self.store, *args], env=self.emu.env(),
                              capture_output=True, timeout=120)

    def state(self):
        p = self.run("list", "--json")
        return [i["state"] for i in json.loads(p.stdout)] if p.returncode == 0 else None

    def status_tag(self):
        return h.tags(self.emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")

    def contain(self):
        """A fresh world: the emulator seeded again, no store yet, then
        INC-1 contained."""
        self.emu.post("/reset", {})
        self.emu.post("/seed", json.load(open(h.FLEET)))
        self.emu.post("/timing", h.FAST_TIMING)
        for f in os.listdir(self.work):
            if f.startswith("inc.db"):
                os.unlink(os.path.join(self.work, f))
        p = h.respond(B, self.emu, self.work, "--instance", h.VICTIM, "-q")
        h.check(p.returncode == 0 and self.status_tag() == "contained", f"contained: {p.stdout} {p.stderr[-400:]}")

    def release_holding_store(self, service, action):
        """`incidents release 1` with the store's write lock held by another
        writer from the moment the release's call of action is in flight (a
        2 s delay) until the release ends (past its 5 s busy timeout): its
        exit status, stdout and stderr."""
        self.emu.faults([{"kind": "delay", "service": service, "action": action, "seconds": 2, "count": 1}])
        rel = subprocess.Popen([B, "incidents", "--store", self.store, "release", "1"], env=self.emu.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        h.check(h.wait(lambda: any(f.get("hits") for f in self.emu.call("GET", "/faults")["faults"]), 30),
                f"the release reached {action}")
        db = sqlite3.connect(self.store, timeout=10, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        out, err = rel.communicate(timeout=60)
        db.execute("ROLLBACK")
        db.close()
        self.emu.clear_faults()
        return rel.returncode, out.decode() + err.decode()

    def stop(self):
        self.emu.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def held_during_the_tag(case):
    """release: the store is held while the tag is set: they agree"""
    case.contain()
    rc, out = case.release_holding_store("ec2", "CreateTags")
    h.check(case.status_tag() == "released" and case.state() == ["released"],
            f"held during the tag: tag {case.status_tag()} and state {case.state()} agree: {out}")
    h.check(rc == 0 and "the release step's own record was not written" in out,
            f"and the step's record that the held store refused is said: {rc} {out}")


def transition_refused(case):
    """release: the store refuses the transition: no "released" tag"""
    case.contain()
    rc, out = case.release_holding_store("autoscaling", "AttachInstances")   # the last restore call
    h.check(rc == 1 and "could not be marked released" in out and "keeps its status tag" in out,
            f"the failed transition is said: {rc} {out}")
    h.check(case.status_tag() == "contained" and case.state() == ["contained"],
            f"tag {case.status_tag()} and state {case.state()} agree")
    p = case.run("release", "1")
    h.check(p.returncode == 0 and case.status_tag() == "released" and case.state() == ["released"],
            f"again: released, tag {case.status_tag()}, state {case.state()}: {p.stderr}")


def tag_not_set(case, as_json):
    """release: the tag cannot be set: released, partly (exit 1), and said"""
    case.contain()
    case.emu.faults([{"kind": "error", "service": "ec2", "action": "CreateTags", "code": "UnauthorizedOperation",
                      "status": 403, "message": "not allowed"}])
    p = case.run("release", "1", *(["--json"] if as_json else []))
    out, err = p.stdout.decode(), p.stderr.decode()
    said = json.loads(out).get("message", "") if as_json and out.startswith("{") else err
    h.check(p.returncode == 1 and "released, but its status tag was not set" in said and "CreateTags" in said
            and "UnauthorizedOperation" in said and "aws ec2 create-tags" in said,
            f"the tag that was not set is said, exit 1 (partial): {p.returncode} {out!r} {err!r}")
    if as_json:
        o = json.loads(out) if out.startswith("{") else {}
        h.check(o.get("released") is True and o.get("partial") is True and o.get("incident") == "INC-1",
                f"--json: released, partial: {out!r}")
    else:
        h.check(err.startswith("ssrfguard incidents release: INC-1 released, but") and out == "",
                f"the partial release is said on stderr, as every exit 1: {out!r} {err!r}")
    h.check(case.state() == ["released"] and case.status_tag() == "contained",
            f"the incident is released (everything restored), the tag never said so: "
            f"{case.state()} {case.status_tag()}")
    case.emu.clear_faults()


def tag_not_set_json(case):
    """release --json: the tag cannot be set: released, partial"""
    tag_not_set(case, True)


def tag_not_set_then_hostile_list(case):
    """release: the tag cannot be set (said on stderr); then list and show
    with hostile bytes in every stored string, and a held incident's owner"""
    tag_not_set(case, False)
    # --- list: hostile bytes in every stored string --------------------------
    db = sqlite3.connect(case.store)
    db.execute("UPDATE incidents SET instance_id = ?, category = ?, source = ?",
               ("i-\x1b]0;pwn\x07", "cat\x1b[31m", "src\x9b1m\r"))
    # bytes that are not UTF-8, as a store written by anything may hold
    db.execute("UPDATE incidents SET state_reason = CAST(? AS TEXT)", (b"why \x1b[2J \xff\xc3",))
    db.execute("UPDATE history SET reason = CAST(? AS TEXT) WHERE id = (SELECT MAX(id) FROM history)",
               (b"row \xe2\x82",))
    db.commit()
    db.close()
    p = case.run("list")
    h.check(p.returncode == 0, f"list: {p.returncode} {p.stderr}")
    out = p.stdout
    h.check(not any(c < 0x20 and c != 0x0a for c in out) and b"\x7f" not in out and b"\xc2\x9b" not in out,
            f"no control byte in the table: {out!r}")
    h.check(b"why \\x1b[2J \\xff\\xc3" in out and b"i-\\x1b]0;pwn\\x07" in out and b"cat\\x1b[31" in out
            and b"src\\xc2\\x9b1m\\x0d" in out, f"each string shown escaped: {out!r}")
    p = case.run("list", "--json")
    lst = json.loads(p.stdout) if p.returncode == 0 else []
    h.check(len(lst) == 1 and lst[0]["reason"] == "why \x1b[2J \ufffd\ufffd" and lst[0]["instance"] == "i-\x1b]0;pwn\x07",
            f"--json lists the incident, its strings UTF-8: {p.stdout!r} {p.stderr!r}")
    # show: the report is built all the same, the history row kept
    p = case.run("show", "1", "--json")
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    h.check(r.get("state_reason") == "why \x1b[2J \ufffd\ufffd" and r.get("instance") == "i-\x1b]0;pwn\x07"
            and any(x["reason"] == "row \ufffd\ufffd" for x in r.get("history", [])),
            f"incidents show --json: the report and its last history row: {p.stdout[-600:]!r} {p.stderr!r}")
    p = case.run("show", "1")
    h.check(p.returncode == 0 and not any(c < 0x20 and c != 0x0a for c in p.stdout),
            f"incidents show: no control byte in the Markdown: {p.returncode} {p.stderr!r}")

    # --- a held incident: its owner escaped, offered only when plain --------
    for owner, plain in (("respond:web-1:42", True), ("evil\x1b]0;pwn\x07 $(rm -rf ~)", False)):
        db = sqlite3.connect(case.store)
        # as a responder of this version claims: its lease marked (lease_by,
        # schema 5; an unmarked claim is an older responder's, refused)
        db.execute("UPDATE incidents SET state = 'containing', lease_owner = ?1, lease_by = ?1, "
                   "lease_until_ms = ?2", (owner, int(time.time() * 1000) + 3600 * 1000))
        db.commit()
        db.close()
        p = h.respond(B, case.emu, case.work, "--incident", "INC-1")
        err = p.stderr
        h.check(p.returncode == 3 and "INC-1 is held by " in err, f"held: exit 3: {p.returncode} {err!r}")
        if plain:
            h.check(f"--owner {owner} if" in err, f"a plain owner is offered as --owner: {err!r}")
        else:
            h.check("\x1b" not in err and "\x07" not in err and "evil\\x1b]0;pwn\\x07" in err and
                    "--owner evil" not in err and "quoted for your shell" in err,
                    f"a hostile owner escaped, not offered raw: {err!r}")
        # release names the holder too (AUDIT7 L2)
        p = case.run("release", "1")
        said = p.stdout + p.stderr
        h.check(p.returncode != 0 and b"is being contained by " in said and b"\x1b" not in said
                and b"\x07" not in said and (plain or b"evil\\x1b]0;pwn\\x07" in said),
                f"release: the holder named, escaped: {p.returncode} {said!r}")


def in_a_case(fn):
    case = Case()
    try:
        fn(case)
    finally:
        case.stop()


with concurrent.futures.ThreadPoolExecutor(4) as ex:
    for f in [ex.submit(in_a_case, fn) for fn in (held_during_the_tag, transition_refused,
                                                   tag_not_set_then_hostile_list, tag_not_set_json)]:
        f.result()
h.finish("incidents-text")
