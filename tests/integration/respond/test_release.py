#!/usr/bin/python3
"""incidents release on the terms of real AWS (AUDIT8 H2): a release never
leaves an incident saying "contained" of an instance it un-isolated.

- the Auto Scaling group is at its maximum size (desired == max: detach
  kept the desired capacity, the replacement serves): AttachInstances
  would fail (EC2 Auto Scaling API reference, AttachInstances; the emulator
  models it, tests/emulator/services/autoscaling.py), so release reads the
  group first, does not attach, names it under "stays" and releases (exit 0);
  the same for an instance contained with --asg-standby: ExitStandby raises
  the desired capacity too (API reference, ExitStandby), so release leaves
  it in Standby, says so with the way back, and tries no ExitStandby;
- a restore call fails after others changed the instance: the incident is
  "released" with its reason saying "released partly" and what failed, the
  tag says released-partly, exit 1 ("partial" with --json), and release may
  be run again for what failed, which then completes it;
- no security group can be put back: nothing else is touched, the incident
  stays contained (exit 1);
- the instance was terminated (AUDIT8 M3): release changes nothing and
  points to `incidents close N --reason TEXT`, which closes it (actor and
  reason in its history) from any state;
- an ENI whose timeouts were never set gets its type's defaults as EC2
  states them (DescribeInstanceTypes, AUDIT8 M2), ssrfguard's table only
  when that read is refused, and the output says which.

usage: test_release.py SSRFGUARD"""
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
work = tempfile.mkdtemp(prefix="rsp-release-")
atexit.register(shutil.rmtree, work, True)


def fresh(max_size=None, *respond_args):
    fleet = json.load(open(h.FLEET))
    if max_size is not None:
        for g in fleet["autoscaling_groups"]:
            if g["AutoScalingGroupName"] == "web-asg":
                g["MaxSize"] = max_size
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    emu.post("/timing", h.FAST_TIMING)
    w = tempfile.mkdtemp(prefix="case-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, *respond_args)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"contained: {p.stdout[-800:]} {p.stderr[-800:]}")
    return w


def incidents(w, *args):
    return subprocess.run([binary, "incidents", "--store", os.path.join(w, "inc.db"), *args], env=emu.env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)


def listed(w):
    rows = json.loads(incidents(w, "list", "--json").stdout or "[]")
    return {r["id"]: r for r in rows}.get(1, {})


def victim_groups():
    return sorted(g["GroupId"] for e in emu.state()["ec2"]["network_interfaces"].values()
                  if (e.get("Attachment") or {}).get("InstanceId") == h.VICTIM for g in e["Groups"])


def status_tag():
    return h.tags(emu.state()["ec2"]["instances"][h.VICTIM]).get("ssrfguard:status")


def asg_life():
    m = [i for i in emu.state()["autoscaling"]["web-asg"]["Instances"] if i["InstanceId"] == h.VICTIM]
    return m[0]["LifecycleState"] if m else None


def in_asg():
    return asg_life() is not None


RESTORED = ["sg-0a000000000000001", "sg-0a000000000000002"]

try:
    # 1. the group at its maximum size: not attached, named, released
    w = fresh(max_size=2)
    g = emu.state()["autoscaling"]["web-asg"]
    h.check(g["DesiredCapacity"] == 2 and g["MaxSize"] == 2 and not in_asg(),
            f"contained: detached, the replacement keeps desired == max: {g['DesiredCapacity']}/{g['MaxSize']}")
    seq = max([c["seq"] for c in emu.journal()] or [0])
    p = incidents(w, "release", "1")
    h.check(p.returncode == 0 and "INC-1 released" in p.stdout, f"released: {p.returncode} {p.stdout} {p.stderr}")
    h.check("stays:" in p.stdout and "not back in ASG web-asg (at its max size 2, desired 2" in p.stdout
            and "attach-instances --auto-scaling-group-name web-asg" in p.stdout,
            f"the group is named under stays, with the way back: {p.stdout}")
    acts = [c["action"] for c in emu.journal() if c["seq"] > seq]
    h.check("DescribeAutoScalingGroups" in acts and "AttachInstances" not in acts,
            f"the group read first, no AttachInstances tried: {acts}")
    h.check(victim_groups() == RESTORED and not in_asg(), f"un-isolated, not in the group: {victim_groups()}")
    row = listed(w)
    h.check(row.get("state") == "released" and status_tag() == "released",
            f"the incident and the tag say released: {row} {status_tag()}")

    # ... and in Standby (--asg-standby kept the capacity: a replacement
    # serves): ExitStandby would exceed the max size, so none is tried
    w = fresh(2, "--asg-standby")
    g = emu.state()["autoscaling"]["web-asg"]
    h.check(g["DesiredCapacity"] == 2 and asg_life() == "Standby",
            f"contained in Standby at max: {g['DesiredCapacity']}/{g['MaxSize']} {asg_life()}")
    seq = max([c["seq"] for c in emu.journal()] or [0])
    p = incidents(w, "release", "1")
    h.check(p.returncode == 0 and "INC-1 released;" in p.stdout, f"released: {p.returncode} {p.stdout} {p.stderr}")
    h.check("not back in service in ASG web-asg (still in Standby there" in p.stdout
            and "at its max size 2, desired 2: ExitStandby would exceed it" in p.stdout
            and "aws autoscaling exit-standby --auto-scaling-group-name web-asg --instance-ids "
            + h.VICTIM in p.stdout and "ASG no" in p.stdout,
            f"named under stays, with the way back, never 'ASG web-asg' restored: {p.stdout}")
    acts = [c["action"] for c in emu.journal() if c["seq"] > seq]
    h.check("DescribeAutoScalingGroups" in acts and "ExitStandby" not in acts,
            f"the group read first, no ExitStandby tried: {acts}")
    h.check(victim_groups() == RESTORED and asg_life() == "Standby" and status_tag() == "released",
            f"un-isolated, still in Standby, tag released: {victim_groups()} {asg_life()} {status_tag()}")

    # 2. a restore call fails after the groups went back: released partly
    w = fresh()
    emu.faults([{"kind": "error", "action": "RegisterTargets", "code": "AccessDenied", "status": 403,
                 "message": "not allowed"}])
    p = incidents(w, "release", "1", "--json")
    out = json.loads(p.stdout or "{}")
    msg = out.get("message", "")
    h.check(p.returncode == 1 and out.get("released") is True and out.get("partial") is True,
            f"exit 1, released and partial: {p.returncode} {p.stdout} {p.stderr}")
    h.check("released partly" in msg and "RegisterTargets" in msg and "AccessDenied" in msg
            and "restored: 2 of 2 ENI(s)" in msg and "1 of 4 registration(s)" in msg
            and "run release again" in msg,
            f"the message names what was restored and what failed: {msg}")
    row = listed(w)
    h.check(row.get("state") == "released" and "released partly" in row.get("reason", "")
            and "RegisterTargets" in row.get("reason", ""),
            f"never 'contained' of an un-isolated instance: the state says released, the reason partly: {row}")
    h.check(victim_groups() == RESTORED and status_tag() == "released-partly",
            f"groups back, the tag says released-partly: {victim_groups()} {status_tag()}")
    text = incidents(w, "list").stdout
    h.check("released partly" in text, f"the table shows it: {text}")
    # ... and again once the role may: the rest goes back, fully released
    emu.clear_faults()
    p = incidents(w, "release", "1")
    h.check(p.returncode == 0 and "INC-1 released;" in p.stdout and "4 of 4 registration(s)" in p.stdout,
            f"release again completes it: {p.returncode} {p.stdout} {p.stderr}")
    h.check(listed(w).get("reason") == "released by an operator" and status_tag() == "released",
            f"released wholly: {listed(w)} {status_tag()}")
    p = incidents(w, "release", "1")
    h.check(p.returncode == 1 and "is released" in p.stderr, f"a whole release is not run again: {p.stderr}")

    # 3. no security group can be put back: nothing else touched, contained
    w = fresh()
    emu.faults([{"kind": "error", "service": "ec2", "action": "ModifyNetworkInterfaceAttribute",
                 "code": "UnauthorizedOperation", "status": 403, "message": "not allowed"}])
    seq = max([c["seq"] for c in emu.journal()] or [0])
    p = incidents(w, "release", "1")
    acts = [c["action"] for c in emu.journal() if c["seq"] > seq and not c["action"].startswith("Describe")]
    h.check(p.returncode == 1 and "nothing restored" in p.stderr and "stays contained" in p.stderr,
            f"nothing restored, said so: {p.stderr}")
    h.check(set(acts) == {"ModifyNetworkInterfaceAttribute"},
            f"no other change once the groups could not go back: {acts}")
    h.check(listed(w).get("state") == "contained" and status_tag() == "contained",
            f"still contained, truly: {listed(w)} {status_tag()}")
    emu.clear_faults()

    # 4. the instance was terminated (the usual end of a case, AUDIT8 M3):
    # release says so and changes nothing; close ends the incident
    w = fresh()
    emu.post("/ec2/terminate", {"instance_id": h.VICTIM})
    seq = max([c["seq"] for c in emu.journal()] or [0])
    p = incidents(w, "release", "1")
    changes = [c["action"] for c in emu.journal() if c["seq"] > seq and not c["action"].startswith("Describe")]
    h.check(p.returncode == 1 and ("is shutting-down" in p.stderr or "is terminated" in p.stderr),
            f"release says the instance is gone: {p.returncode} {p.stderr}")
    h.check("nothing to restore" in p.stderr and "ssrfguard incidents close 1 --reason" in p.stderr,
            f"... and points to close: {p.stderr}")
    h.check(changes == [], f"no change tried on a terminated instance: {changes}")
    h.check(listed(w).get("state") == "contained", f"the incident is unchanged: {listed(w)}")
    p = incidents(w, "close", "1")
    h.check(p.returncode == 2 and "--reason" in p.stderr, f"close needs a reason: {p.returncode} {p.stderr}")
    p = incidents(w, "close", "1", "--reason", "bad\x1b[31m")
    h.check(p.returncode == 1 and listed(w).get("state") == "contained",
            f"a reason with control characters is refused: {p.returncode} {p.stderr}")
    p = incidents(w, "close", "INC-1", "--reason", "instance terminated after the evidence was taken", "--json")
    out = json.loads(p.stdout or "{}")
    h.check(p.returncode == 0 and out.get("closed") is True and "INC-1 closed (it was contained)" in out.get("message", ""),
            f"closed: {p.returncode} {p.stdout} {p.stderr}")
    row = listed(w)
    h.check(row.get("state") == "closed" and
            row.get("reason") == "closed by an operator: instance terminated after the evidence was taken",
            f"state closed, the reason recorded: {row}")
    hist = json.loads(incidents(w, "show", "1", "--json").stdout or "{}").get("history", [])
    h.check(any(x.get("to") == "closed" and x.get("actor", "").startswith("operator:") for x in hist),
            f"the history names who closed it: {hist}")
    p = incidents(w, "close", "1", "--reason", "again")
    h.check(p.returncode == 1 and "already closed" in p.stderr, f"closed once: {p.stderr}")
    p = incidents(w, "release", "1")
    h.check(p.returncode == 1 and "is closed" in p.stderr, f"a closed incident is not released: {p.stderr}")

    # 5. the connection-tracking defaults of an ENI never configured come
    # from EC2 (DescribeInstanceTypes, AUDIT8 M2): seeded here unlike
    # ssrfguard's table (432000 s for a t3) to tell the two apart
    w = fresh()
    emu.post("/seed", {"ec2": {"instance_types": {"t3.large": {"DefaultTcpEstablishedTimeout": 350}}}})
    seq = max([c["seq"] for c in emu.journal()] or [0])
    p = incidents(w, "release", "1")
    asked = [c for c in emu.journal() if c["seq"] > seq and c["action"] == "DescribeInstanceTypes"]
    e2 = emu.state()["ec2"]["network_interfaces"]["eni-0a000000000000002"]
    h.check(p.returncode == 0 and "1 at the defaults for t3.large: 350/180/30 s, from DescribeInstanceTypes"
            in p.stdout, f"EC2's defaults, said so: {p.stdout} {p.stderr}")
    h.check(len(asked) == 1 and e2.get("ConnectionTrackingConfiguration") ==
            {"TcpEstablishedTimeout": 350, "UdpStreamTimeout": 180, "UdpTimeout": 30},
            f"one read, its values set: {len(asked)} {e2.get('ConnectionTrackingConfiguration')}")
    # ... the read refused (a role without ec2:DescribeInstanceTypes): the table, said so
    w = fresh()
    emu.faults([{"kind": "error", "service": "ec2", "action": "DescribeInstanceTypes",
                 "code": "UnauthorizedOperation", "status": 403, "message": "not allowed"}])
    p = incidents(w, "release", "1")
    e2 = emu.state()["ec2"]["network_interfaces"]["eni-0a000000000000002"]
    h.check(p.returncode == 0 and "1 at the defaults for t3.large: 432000/180/30 s, from ssrfguard's table "
            "(DescribeInstanceTypes: UnauthorizedOperation)" in p.stdout
            and e2.get("ConnectionTrackingConfiguration", {}).get("TcpEstablishedTimeout") == 432000,
            f"the table as fallback, said so: {p.stdout} {p.stderr}")
    emu.clear_faults()
finally:
    emu.stop()
h.finish("respond-release")
