#!/usr/bin/python3
"""Two stores, one AWS account: each store counts its incidents from INC-1,
and AWS must never mix them (AUDIT6 H1).  Each store has an identity of its
own; an incident's AWS key is INC-N-STORE (ClientTokens, SSM comments, S3
prefixes) and its resources are tagged IncidentId=INC-N and
ssrfguard:store=STORE, every tag filter asking for both:

  * the second store's INC-1 makes its evidence volumes from exactly its
    own snapshots, never from the first store's INC-1 snapshots;
  * its examination is a new SSM command on the forensic instance, not the
    first INC-1's command found again by its comment;
  * from a launch template, each INC-1 gets a forensic instance of its own
    (a ClientToken per store and incident, not per INC-N);
  * the store's identity is kept: a store opened again keeps it, and its
    INC-2 gets the same suffix;
  * the report files are named by the key: two stores sharing one report
    directory each write their own INC-1-STORE.json and .md, and an
    incident opened before its store had an identity (in flight across the
    upgrade) keeps INC-N.json.

usage: test_two_stores.py SSRFGUARD"""
import atexit
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
OTHER = "i-0a1b2c3d4e5f60002"
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-stores-")
atexit.register(shutil.rmtree, work, True)
TEMPLATE = h.FORENSIC_TEMPLATE
KEY = re.compile(r"INC-1-([0-9a-f]{16})")


def fresh():
    """The fleet, its forensic instance with room for several incidents'
    evidence volumes (the fleet's has 6 attachments, its ENI and 3 disks
    used)."""
    fleet = json.load(open(h.FLEET))
    for i in fleet["ec2"]["instances"]:
        if i["InstanceId"] == h.FORENSIC:
            i["AttachmentLimit"] = 16
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    emu.post("/seed", {"ec2": {"launch_templates": [TEMPLATE]}})
    emu.post("/timing", h.FAST_TIMING)


def since(seq, action):
    return [c for c in emu.journal() if c["seq"] > seq and c["action"] == action]


def last_seq():
    j = emu.journal()
    return j[-1]["seq"] if j else 0


def store_of(workdir):
    """The store identity the incident's report names (its AWS key)."""
    p = h.report_path(workdir, "INC-1")
    r = json.load(open(p)) if os.path.exists(p) else {}
    m = KEY.fullmatch(r.get("aws_key", ""))
    return m.group(1) if m else None


try:
    # --- the forensic instance given: snapshots and the examination ---------
    fresh()
    w1, w2 = (tempfile.mkdtemp(prefix=f"store{i}-", dir=work) for i in (1, 2))
    p = h.respond(binary, emu, w1, "--instance", h.VICTIM)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"store 1: INC-1 contained: {p.stdout[-600:]} {p.stderr[-600:]}")
    s1 = store_of(w1)
    h.check(s1 is not None, "store 1's report names its AWS key INC-1-STORE")
    mark = last_seq()
    # store 2 writes its reports where store 1 wrote its own
    p = h.respond(binary, emu, w2, "--instance", OTHER, report_dir=os.path.join(w1, "reports"))
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"store 2: INC-1 contained: {p.stdout[-600:]} {p.stderr[-600:]}")
    both = sorted(os.listdir(os.path.join(w1, "reports")))
    keys = sorted({n.rsplit(".", 1)[0] for n in both})
    h.check(len(both) == 4 and len(keys) == 2 and all(KEY.fullmatch(k) for k in keys)
            and f"INC-1-{s1}" in keys, f"one report dir, two stores' INC-1: four files: {both}")
    s2 = next((KEY.fullmatch(k).group(1) for k in keys if k != f"INC-1-{s1}"), None)
    h.check(s2 is not None and s2 != s1, f"two stores, two identities: {s1} {s2}")
    for s, inst in ((s1, h.VICTIM), (s2, OTHER)):
        rp = os.path.join(w1, "reports", f"INC-1-{s}")
        r = json.load(open(rp + ".json")) if os.path.exists(rp + ".json") else {}
        md = open(rp + ".md").read() if os.path.exists(rp + ".md") else ""
        h.check(r.get("aws_key") == f"INC-1-{s}" and r.get("instance") == inst and inst in md,
                f"INC-1-{s}.json and .md are that store's INC-1 (instance {inst}): {r.get('aws_key')} {r.get('instance')}")
    h.check(f"reports/INC-1-{s2}.md" in p.stdout, f"respond names its own report: {p.stdout[-300:]}")
    st = emu.state()
    own = {sid for sid, s in st["ec2"]["snapshots"].items()
           if h.tags(s).get("ssrfguard:source-instance") == OTHER}
    h.check(own and all(h.tags(st["ec2"]["snapshots"][s]).get("ssrfguard:store") == s2 for s in own),
            f"store 2's snapshots tagged with its identity: {own}")
    made = [c["params"].get("SnapshotId") for c in since(mark, "CreateVolume")]
    h.check(made and set(made) == own, f"store 2's INC-1 made volumes from exactly its own snapshots {own}: {made}")
    sends = [c["params"] for c in emu.journal() if c["action"] == "SendCommand"
             and h.FORENSIC in (c["params"].get("InstanceIds") or [])]
    comments = [s.get("Comment") for s in sends]
    h.check(len(sends) == 2 and comments == [f"ssrfguard INC-1-{s1} forensics", f"ssrfguard INC-1-{s2} forensics"],
            f"two examinations sent to the forensic instance: {comments}")
    h.check(all(f"--incident INC-1-{s} " in " ".join(c["params"]["Parameters"]["commands"])
                for c, s in zip([c for c in emu.journal() if c["action"] == "SendCommand"
                                 and h.FORENSIC in (c["params"].get("InstanceIds") or [])], (s1, s2))),
            "each examination is named by its incident's key")
    other_vols = [v for v in st["ec2"]["volumes"].values()
                  if h.tags(v).get("ssrfguard:store") == s2 and h.tags(v).get("IncidentId") == "INC-1"]
    h.check(other_vols and all(h.tags(v).get("ssrfguard:source-snapshot") in own for v in other_vols),
            f"store 2's evidence volumes: {[h.tags(v) for v in other_vols]}")

    # the identity is the store's: opened again, INC-2 carries the same one
    # (the forensic instance has no attachment left by now: partial is fine)
    p = h.respond(binary, emu, w1, "--instance", OTHER)
    h.check(re.search(r"INC-2 (contained|partial)", p.stdout), f"store 1: INC-2: {p.stdout[-400:]} {p.stderr[-400:]}")
    r2 = json.load(open(h.report_path(w1, "INC-2")))
    h.check(r2.get("aws_key") == f"INC-2-{s1}", f"INC-2's key keeps store 1's identity: {r2.get('aws_key')}")

    # a store whose identity cannot be read (damaged) runs nothing: its keys
    # could be another store's
    db = sqlite3.connect(os.path.join(w1, "inc.db"))
    db.execute("DELETE FROM meta")
    db.commit()
    db.close()
    mark = last_seq()
    p = h.respond(binary, emu, w1, "--instance", OTHER)
    changes = [c["action"] for c in emu.journal() if c["seq"] > mark and not c["action"].startswith(("Describe", "Get", "List"))]
    h.check(p.returncode != 0 and "identity cannot be read" in p.stderr and not changes,
            f"no identity, no playbook: {p.returncode} {p.stderr[-300:]} {changes}")

    # --- launch template: a forensic instance per store's INC-1 ---------------
    fresh()
    args = ("--forensic-instance", "", "--forensic-launch-template", "ssrfguard-forensics")
    w3, w4 = (tempfile.mkdtemp(prefix=f"store{i}-", dir=work) for i in (3, 4))
    p = h.respond(binary, emu, w3, "--instance", h.VICTIM, *args)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"store 3: {p.stdout[-600:]} {p.stderr[-600:]}")
    p = h.respond(binary, emu, w4, "--instance", OTHER, *args)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"store 4: {p.stdout[-600:]} {p.stderr[-600:]}")
    runs = [c for c in emu.journal() if c["action"] == "RunInstances" and c.get("status") == 200]
    tokens = {c["params"].get("ClientToken") for c in runs}
    h.check(len(runs) == 2 and len(tokens) == 2, f"two launches, two ClientTokens: {[c['params'] for c in runs]}")
    fx = [i for i in emu.state()["ec2"]["instances"].values() if h.tags(i).get("ssrfguard:role") == "forensics"]
    h.check(len(fx) == 2 and len({h.tags(i).get("ssrfguard:store") for i in fx}) == 2,
            f"two forensic instances, one per store: {[(i['InstanceId'], h.tags(i)) for i in fx]}")

    # --- an incident older than its store's identity keeps INC-N.json ------
    # (opened by an older version, in flight across the upgrade: its key is
    # INC-N, and so is its report's name, beside the keyed ones)
    fresh()
    w5 = tempfile.mkdtemp(prefix="store5-", dir=work)
    h.respond(binary, emu, w5, "--preflight", "--instance", h.VICTIM)  # makes the store
    db = sqlite3.connect(os.path.join(w5, "inc.db"))
    n = db.execute("UPDATE meta SET value = '99' WHERE key = 'first_keyed'").rowcount
    db.commit()
    db.close()
    h.check(n == 1, "test store: every incident below 99 is older than its identity")
    shared = os.path.join(w1, "reports")
    before = json.load(open(os.path.join(shared, f"INC-1-{s1}.json")))
    p = h.respond(binary, emu, w5, "--instance", h.VICTIM, report_dir=shared)
    old = json.load(open(os.path.join(shared, "INC-1.json"))) \
        if os.path.exists(os.path.join(shared, "INC-1.json")) else {}
    h.check(re.search(r"INC-1 (contained|partial)", p.stdout) and old.get("aws_key") == "INC-1"
            and os.path.exists(os.path.join(shared, "INC-1.md")),
            f"the old incident's report keeps INC-1.json: {old.get('aws_key')} {sorted(os.listdir(shared))} "
            f"{p.stdout[-300:]} {p.stderr[-300:]}")
    h.check(json.load(open(os.path.join(shared, f"INC-1-{s1}.json"))) == before,
            "store 1's INC-1 report is untouched")
finally:
    emu.stop()
h.finish("respond-two-stores")
