#!/usr/bin/python3
"""One instance, one holder (DynamoDB state table): the real binary against the
emulator, with more incidents than any list reads (docs/fleet.md, "Which
incident holds an instance").

1. upgrade: a table written by the old version (no holder items) holds a
   contained incident INC-1 for the victim under another join key (a serve
   incident, by source), and 1000 newer contained incidents of other
   instances.  `respond --instance VICTIM` must merge its incident into INC-1
   and change nothing on AWS.  (The old check read the newest 1000 incidents
   per state and missed INC-1: it contained the instance a second time.)
2. two responders at once: twelve open incidents name the victim under twelve
   join keys, beside 1000 contained incidents of other instances; two daemons
   (`respond --once`, four incidents in parallel each) run together.  Exactly
   one incident is contained, the eleven others are closed as merged into it,
   and every creating AWS call ran as often as in one clean run.
3. release ends the hold: after `incidents release`, a new incident about the
   victim contains it again.

usage: test_hold.py SSRFGUARD"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-hold-")
TABLE = "ssrfguard-state"
OTHERS = 1000
CREATES = ("CreateSnapshots", "CreateVolume", "AttachVolume", "CreateSecurityGroup", "DetachInstances",
           "SendCommand", "PutRolePolicy", "ReplaceIamInstanceProfileAssociation",
           "ModifyInstanceMetadataOptions")


def S(v):
    return {"S": str(v)}


def N(v):
    return {"N": str(v)}


def incident(iid, state, instance, join_key, at):
    """An incident item as docs/fleet.md's "Items" has it."""
    item = {"pk": S("incident"), "sk": S("%020d" % iid), "id": N(iid), "state": S(state),
            "state_reason": S("seeded"), "state_ms": N(at), "source": S(join_key.split(":", 1)[1]),
            "join_key": S(join_key), "category": S("metadata"), "rule": S("metadata-ipv4"),
            "dest": S("169.254.169.254:80"), "instance_id": S(instance), "region": S("us-east-1"),
            "az": S("us-east-1a"), "contain": N(1), "observe": N(0), "attempts": N(1),
            "opened_ms": N(at), "updated_ms": N(at), "lease_owner": S(""), "lease_until_ms": N(0)}
    if state == "open":
        item["claimable"] = S("1")
    return item


def table(items, next_id):
    """The table as ssrfguard creates it, holding items (no holder items:
    what the old version wrote)."""
    items = items + [{"pk": S("meta"), "sk": S("counter"), "next_id": N(next_id)}]
    items += [{"pk": S("active"), "sk": S(i["join_key"]["S"]), "incident": i["id"]} for i in items
              if i.get("state", {}).get("S") in ("open", "contained")]
    return {"dynamodb_tables": [{
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "claimable")],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": "claimable",
            "KeySchema": [{"AttributeName": "claimable", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["id", "state", "lease_until_ms"]}}],
        "Items": items}]}


def others(first):
    return [incident(first + n, "contained", "i-0e%015d" % n, "instance:i-0e%015d" % n, 1700000000000 + n)
            for n in range(OTHERS)]


def fresh(seed=None):
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    if seed:
        emu.post("/seed", seed)
    emu.post("/timing", h.FAST_TIMING)
    emu.call("DELETE", "/journal")


def changes():
    """Changing calls the playbook made (not the store's)."""
    return collections.Counter(c["action"] for c in emu.journal()
                               if c.get("service") != "dynamodb" and c.get("status") == 200
                               and not c["action"].startswith(("Describe", "Get", "List")))


def incidents():
    t = emu.state()["dynamodb"][TABLE]["Items"]
    return {int(i["id"]["N"]): {k: list(v.values())[0] for k, v in i.items()}
            for i in t if i["pk"]["S"] == "incident"}


def reference():
    """The creating calls of one clean run."""
    fresh()
    wdir = tempfile.mkdtemp(prefix="rsp-ref-", dir=work)
    p = h.respond(binary, emu, wdir, "--instance", h.VICTIM, "--state-table", TABLE, "-q")
    h.check(p.returncode == 0, f"clean run: {p.stdout} {p.stderr[-800:]}")
    return changes()


def upgrade_keeps_an_old_holder():
    fresh(table([incident(1, "contained", h.VICTIM, "source:198.51.100.7", 1690000000000)] + others(2),
                OTHERS + 1))
    wdir = tempfile.mkdtemp(prefix="rsp-upgrade-", dir=work)
    p = h.respond(binary, emu, wdir, "--instance", h.VICTIM, "--state-table", TABLE)
    made = changes()
    h.check(p.returncode == 0 and "already handled by INC-1" in p.stdout,
            f"merged into INC-1: {p.returncode} {p.stdout[-600:]} {p.stderr[-600:]}")
    h.check(not made, f"the instance INC-1 holds was contained again: {dict(made)}")
    new = incidents()[OTHERS + 2]
    h.check(new["state"] == "closed" and "INC-1" in new["state_reason"], f"the new incident: {new}")
    print(f"upgrade: INC-1 of the old table still holds {h.VICTIM} behind {OTHERS} newer incidents",
          flush=True)


def two_responders(ref):
    n_victim = 12
    victims = [incident(OTHERS + 1 + n, "open", h.VICTIM, f"source:10.9.0.{n + 1}", 1700000100000 + n)
               for n in range(n_victim)]
    fresh(table(others(1) + victims, OTHERS + n_victim))
    procs = []
    for name in ("respond:a", "respond:b"):
        cmd = [binary, "respond", "--once", "--state-table", TABLE, "--store", os.path.join(work, name + ".db"),
               "--owner", name, "--parallel", "4", "--lease-ms", "5000",
               "--forensic-instance", h.FORENSIC, "--forensics-wait", "0",
               "--quarantine-profile", h.QUARANTINE_PROFILE, "--report-dir", os.path.join(work, "reports"),
               "--poll-ms", "50", "--step-backoff-ms", "50", "--aws-backoff-ms", "20", "--capture-timeout", "5",
               "-q"]
        procs.append(subprocess.Popen(cmd, env=emu.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs):
        h.check(p.returncode == 0, f"responder: {p.returncode} {out[-400:]} {err[-800:]}")
    incs = incidents()
    mine = {i: incs[i] for i in range(OTHERS + 1, OTHERS + 1 + n_victim)}
    contained = [i for i, v in mine.items() if v["state"] == "contained"]
    h.check(len(contained) == 1, f"exactly one contained: {[(i, v['state']) for i, v in mine.items()]}")
    if contained:
        held = f"INC-{contained[0]}"
        merged = [i for i, v in mine.items() if v["state"] == "closed" and held in v["state_reason"]]
        h.check(len(merged) == n_victim - 1, f"the others merged into {held}: "
                f"{[(i, v['state'], v['state_reason']) for i, v in mine.items()]}")
    made = changes()
    for action in CREATES:
        h.check(made[action] == ref[action], f"{action}: {made[action]} calls, a clean run makes {ref[action]}")
    print(f"two responders, {n_victim} incidents of one instance among {OTHERS + n_victim}: one contained it",
          flush=True)
    return contained[0] if contained else 0


def release_ends_the_hold(held):
    env = emu.env()
    rel = subprocess.run([binary, "incidents", "--state-table", TABLE, "release", str(held)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h.check(rel.returncode == 0, f"release: {rel.stdout} {rel.stderr[-600:]}")
    emu.call("DELETE", "/journal")
    wdir = tempfile.mkdtemp(prefix="rsp-again-", dir=work)
    p = h.respond(binary, emu, wdir, "--instance", h.VICTIM, "--state-table", TABLE)
    # the playbook runs again (the forensic instance has no attachment slot
    # left after the first containment: "partial" is the honest outcome)
    h.check(p.returncode in (0, 1) and "already handled" not in p.stdout and "isolate   done" in p.stdout,
            f"a new incident after the release: {p.returncode} {p.stdout[-600:]} {p.stderr[-600:]}")
    h.check(changes()["CreateSnapshots"] == 1, f"contained again: {dict(changes())}")
    print("release ended the hold: the next incident contained the instance again", flush=True)


try:
    ref = reference()
    upgrade_keeps_an_old_holder()
    held = two_responders(ref)
    if held:
        release_ends_the_hold(held)
finally:
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-hold")
