#!/usr/bin/python3
"""`respond --preflight` against the emulator with keys that lack some
permissions: every denied action is named with the step that needs it, the
exit status is 1, and nothing changes; with a key that may do everything
the run passes (exit 0, "0 denied").  The emulator refuses a key's `deny`
actions with UnauthorizedOperation, DryRun included, after checking the
SigV4 signature as for any call.

usage: test_preflight.py SSRFGUARD"""
import atexit
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator()
atexit.register(emu.stop)
work = tempfile.mkdtemp(prefix="rsp-preflight-")
atexit.register(shutil.rmtree, work, True)


def key(name, deny):
    akid = "AKIAPREFLIGHT" + name
    secret = "preflight-secret-" + name
    emu.post("/credentials", {"access_key_id": akid, "secret_access_key": secret,
                              "arn": f"arn:aws:iam::123456789012:user/{name.lower()}", "deny": deny})
    return {"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret}


def preflight(env, *extra):
    return h.respond(binary, emu, work, "--preflight", "--instance", h.VICTIM, *extra, extra_env=env)


def line_of(out, api, step):
    """The one check line for (step, api): its status word, or None."""
    found = [ln.split()[0] for ln in out.splitlines()
             if re.match(r"\s+\S+\s+step %s\s+%s \(" % (re.escape(step), re.escape(api)), ln)]
    return found[0] if len(found) == 1 else None


before = emu.state()

# ---- a fully permitted key: passes, nothing denied ----------------------
p = preflight(None)
h.check(p.returncode == 0, f"permitted: exit 0: {p.returncode} {p.stdout} {p.stderr}")
h.check("0 denied" in p.stdout and "the role lacks" not in p.stdout, f"permitted: nothing denied: {p.stdout}")
for step, api in (("tag", "ec2:CreateTags"), ("imds", "ec2:ModifyInstanceMetadataOptions"),
                  ("preserve", "ec2:ModifyInstanceAttribute"), ("snapshot", "ec2:CreateSnapshots"),
                  ("isolate", "ec2:CreateSecurityGroup"), ("isolate", "ec2:ModifyNetworkInterfaceAttribute"),
                  ("forensics", "ec2:CreateVolume"), ("forensics", "ec2:AttachVolume"),
                  ("finish", "ec2:CreateTags")):
    h.check(line_of(p.stdout, api, step) == "ok", f"permitted: {step} {api} checked ok: {p.stdout}")
for step, api in (("revoke", "iam:PutRolePolicy"), ("asg", "autoscaling:DetachInstances"),
                  ("lb", "elasticloadbalancing:DeregisterTargets"), ("capture", "ssm:SendCommand"),
                  ("strip", "ec2:DisassociateIamInstanceProfile")):
    h.check(line_of(p.stdout, api, step) == "-", f"permitted: {step} {api} listed as not checkable: {p.stdout}")

# ---- a key denied three actions: each named with every step needing it --
deny = ["ec2:ModifyInstanceMetadataOptions", "ec2:CreateTags", "ec2:AttachVolume"]
p = preflight(key("DENY3", deny))
out = p.stdout
h.check(p.returncode == 1, f"denied: exit status 1: {p.returncode} {out} {p.stderr}")
h.check(re.search(r"preflight: \d+ ok, 5 denied, 0 other", out) is not None,
        f"denied: 5 (step, action) pairs denied: {out}")
for step, api in (("imds", "ec2:ModifyInstanceMetadataOptions"), ("tag", "ec2:CreateTags"),
                  ("snapshot", "ec2:CreateTags"), ("finish", "ec2:CreateTags"),
                  ("forensics", "ec2:AttachVolume")):
    h.check(line_of(out, api, step) == "DENIED", f"denied: {step} {api} is DENIED: {out}")
for step, api in (("preserve", "ec2:ModifyInstanceAttribute"), ("snapshot", "ec2:CreateSnapshots"),
                  ("forensics", "ec2:CreateVolume"), ("isolate", "ec2:ModifyNetworkInterfaceAttribute")):
    h.check(line_of(out, api, step) == "ok", f"denied: {step} {api} still ok: {out}")
lacks = out.split("the role lacks", 1)[1] if "the role lacks" in out else ""
h.check("ec2:ModifyInstanceMetadataOptions, needed by step imds\n" in lacks,
        f"summary: metadata options blocks imds: {lacks}")
h.check("ec2:CreateTags, needed by steps tag, snapshot, finish\n" in lacks,
        f"summary: CreateTags blocks tag, snapshot and finish: {lacks}")
h.check("ec2:AttachVolume, needed by step forensics\n" in lacks, f"summary: AttachVolume blocks forensics: {lacks}")
h.check(len([ln for ln in lacks.splitlines() if ", needed by step" in ln]) == 3,
        f"summary: each denied action once: {lacks}")

# The emulator really refused them (signature checked, UnauthorizedOperation),
# and every changing call was a DryRun.
calls = [c for c in emu.journal() if c["access_key"] == "AKIAPREFLIGHTDENY3"]
refused = {c["action"] for c in calls if c["error"] == "UnauthorizedOperation"}
h.check(refused == {a.split(":")[1] for a in deny}, f"emulator refused exactly the denied actions: {refused}")
changing = [c for c in calls if not c["action"].startswith(("Describe", "Get", "List"))]
h.check(changing and all(c["params"].get("DryRun") is True for c in changing),
        f"every changing call carried DryRun: {[(c['action'], c['params'].get('DryRun')) for c in changing]}")

# ---- a step turned off is not checked: its denial does not matter --------
p = preflight(key("DENYFX", ["ec2:AttachVolume", "ec2:CreateVolume"]), "--forensic-instance", "")
h.check(p.returncode == 0 and "forensics" not in p.stdout.split("by step", 1)[1],
        f"no forensic instance: forensics not planned, not checked: {p.returncode} {p.stdout} {p.stderr}")

# ---- nothing changed in the emulator's world ------------------------------
after = emu.state()
for k in ("instances", "security_groups", "volumes", "snapshots", "network_interfaces"):
    h.check(after["ec2"][k] == before["ec2"][k], f"preflight changed nothing: ec2.{k}")
h.finish("respond-preflight")
