#!/usr/bin/python3
"""`respond --preflight` against the emulator with keys that lack some
permissions: every denied action is named with the step that needs it, the
exit status is 1, and nothing changes; with a key that may do everything
the run passes (exit 0, "0 denied").  The emulator refuses a key's `deny`
actions with UnauthorizedOperation, DryRun included, after checking the
SigV4 signature as for any call; iam:SimulatePrincipalPolicy answers from the
same deny lists (and a role's inline Deny statements) for the calls that have
no DryRun; a key that may not simulate leaves those calls "not checked".

usage: test_preflight.py SSRFGUARD"""
import atexit
import os
import json
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


def key(name, deny, role=None):
    akid = "AKIAPREFLIGHT" + name
    secret = "preflight-secret-" + name
    c = {"access_key_id": akid, "secret_access_key": secret,
         "arn": f"arn:aws:iam::123456789012:user/{name.lower()}", "deny": deny}
    env = {"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret}
    if role:  # a role session, as on an instance with the responder's role
        c.update(arn=f"arn:aws:sts::123456789012:assumed-role/{role}/preflight", role=role,
                 session_token="preflight-token-" + name)
        env["AWS_SESSION_TOKEN"] = c["session_token"]
    emu.post("/credentials", c)
    return env


def preflight(env, *extra):
    # no quarantine profile: strip disassociates (the calls checked below)
    return h.respond(binary, emu, work, "--preflight", "--instance", h.VICTIM, *extra, extra_env=env,
                     quarantine_profile=None)


def line_of(out, api, step):
    """The one check line for (step, api): its status word, or None."""
    found = [ln.split()[0] for ln in out.splitlines()
             if re.match(r"\s+\S+\s+step %s\s+%s \(" % (re.escape(step), re.escape(api)), ln)]
    return found[0] if len(found) == 1 else None


before = emu.state()

# ---- a fully permitted key: passes, nothing denied ----------------------
p = preflight(None)
h.check(p.returncode == 0, f"permitted: exit 0: {p.returncode} {p.stdout} {p.stderr}")
h.check("0 denied" in p.stdout and "these credentials lack" not in p.stdout, f"permitted: nothing denied: {p.stdout}")
for step, api in (("tag", "ec2:CreateTags"), ("imds", "ec2:ModifyInstanceMetadataOptions"),
                  ("preserve", "ec2:ModifyInstanceAttribute"), ("snapshot", "ec2:CreateSnapshots"),
                  ("isolate", "ec2:CreateSecurityGroup"), ("isolate", "ec2:ModifyNetworkInterfaceAttribute"),
                  ("forensics", "ec2:CreateVolume"), ("forensics", "ec2:AttachVolume"),
                  ("finish", "ec2:CreateTags")):
    h.check(line_of(p.stdout, api, step) == "ok", f"permitted: {step} {api} checked ok: {p.stdout}")
NO_DRYRUN = (("revoke", "iam:PutRolePolicy"), ("asg", "autoscaling:DetachInstances"),
             ("lb", "elasticloadbalancing:DeregisterTargets"),
             ("lb", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer"),
             ("capture", "ssm:SendCommand"), ("strip", "ec2:DisassociateIamInstanceProfile"),
             ("forensics", "ssm:SendCommand"), ("capture", "ssm:GetCommandInvocation"))
READS = (("record", "ec2:DescribeAddresses"), ("record", "autoscaling:DescribeAutoScalingInstances"),
         ("record", "ec2:GetConsoleOutput"), ("record", "ec2:GetConsoleScreenshot"),
         ("capture", "ssm:DescribeInstanceInformation"), ("isolate", "ec2:DescribeInstanceTypes"))
for step, api in NO_DRYRUN:
    h.check(line_of(p.stdout, api, step) == "ok" and
            re.search(r"step %s\s+%s \(.*\): allowed \(simulated\)" % (step, re.escape(api)), p.stdout),
            f"permitted: {step} {api} simulated, allowed: {p.stdout}")
for step, api in READS:
    h.check(line_of(p.stdout, api, step) == "ok" and
            re.search(r"step %s\s+%s \(.*\): allowed \(read\)" % (step, re.escape(api)), p.stdout),
            f"permitted: the read {step} {api} made, allowed: {p.stdout}")
h.check("0 not checked" in p.stdout, f"permitted: every call checked: {p.stdout}")

TAGS_ON_CREATE = {("snapshot", "ec2:CreateTags on CreateSnapshots"),
                  ("isolate", "ec2:CreateTags on CreateSecurityGroup"),
                  ("forensics", "ec2:CreateTags on CreateVolume")}
for step, api in TAGS_ON_CREATE:
    h.check(line_of(p.stdout, api, step) == "ok", f"permitted: {step} {api}: the tags at creation ok: {p.stdout}")

# ---- a key denied three actions: each named with every step needing it --
# (tags given at creation need ec2:CreateTags too, so AWS refuses the tagged
# creates of snapshot, isolate and forensics as well: their DryRuns carry a
# tag as the real calls do, and AWS's answer does not say which permission
# is missing; sent again without the tags they pass, so the create is
# allowed and ec2:CreateTags on that create is what is missing)
deny = ["ec2:ModifyInstanceMetadataOptions", "ec2:CreateTags", "ec2:AttachVolume"]
TAGGED_CREATES = {("snapshot", "ec2:CreateSnapshots"), ("isolate", "ec2:CreateSecurityGroup"),
                  ("forensics", "ec2:CreateVolume")}
DENIED3 = {("imds", "ec2:ModifyInstanceMetadataOptions"), ("tag", "ec2:CreateTags"),
           ("snapshot", "ec2:CreateTags"), ("isolate", "ec2:CreateTags"), ("forensics", "ec2:CreateTags"),
           ("finish", "ec2:CreateTags"), ("forensics", "ec2:AttachVolume")} | TAGS_ON_CREATE
p = preflight(key("DENY3", deny))
out = p.stdout
h.check(p.returncode == 1, f"denied: exit status 1: {p.returncode} {out} {p.stderr}")
h.check(re.search(r"preflight: \d+ ok, 10 denied, 0 other", out) is not None,
        f"denied: 10 (step, action) pairs denied: {out}")
for step, api in sorted(DENIED3):
    h.check(line_of(out, api, step) == "DENIED", f"denied: {step} {api} is DENIED: {out}")
for step, api in sorted(TAGGED_CREATES):
    h.check(line_of(out, api, step) == "ok" and
            re.search(r"step %s\s+%s \(.*\): allowed without its tags" % (step, re.escape(api)), out),
            f"denied: {step} {api} itself is allowed (without its tags): {out}")
for step, api in sorted(TAGS_ON_CREATE):
    create = api.split(" on ")[1]
    h.check(re.search(r"DENIED\s+step %s\s+%s \(.*\): UnauthorizedOperation: grant ec2:CreateTags with "
                      r"ec2:CreateAction = %s\n" % (step, re.escape(api), create), out),
            f"denied: {step}: the tags at creation name ec2:CreateTags with ec2:CreateAction: {out}")
for step, api in (("preserve", "ec2:ModifyInstanceAttribute"), ("isolate", "ec2:ModifyNetworkInterfaceAttribute")):
    h.check(line_of(out, api, step) == "ok", f"denied: {step} {api} still ok: {out}")
lacks = out.split("these credentials lack", 1)[1] if "these credentials lack" in out else ""
h.check("ec2:ModifyInstanceMetadataOptions, needed by step imds\n" in lacks,
        f"summary: metadata options blocks imds: {lacks}")
h.check("ec2:CreateTags, needed by steps tag, snapshot, isolate, forensics, finish\n" in lacks,
        f"summary: CreateTags blocks tag, snapshot, isolate, forensics and finish: {lacks}")
h.check("ec2:AttachVolume, needed by step forensics\n" in lacks, f"summary: AttachVolume blocks forensics: {lacks}")
for step, api in sorted(TAGS_ON_CREATE):
    h.check("%s, needed by step %s\n" % (api, step) in lacks, f"summary: {api} blocks {step}: {lacks}")
h.check(len([ln for ln in lacks.splitlines() if ", needed by step" in ln]) == 6,
        f"summary: each denied action once: {lacks}")

# --json: the same answer as one object a script can read
p = preflight(key("DENY3", deny), "--json")
doc = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
h.check(p.returncode == 1 and doc.get("counts", {}).get("denied") == 10 and
        doc.get("lacking", {}).get("ec2:CreateTags") == ["tag", "snapshot", "isolate", "forensics", "finish"] and
        {(c["step"], c["api"]) for c in doc.get("calls", []) if c["result"] == "denied"} == DENIED3,
        f"--json: one object, the same denials: {p.returncode} {p.stdout[:800]}")

# The emulator really refused them (signature checked, UnauthorizedOperation),
# and every changing call was a DryRun (the tagged creates twice: with their
# tags, refused, and without, allowed).
calls = [c for c in emu.journal() if c["access_key"] == "AKIAPREFLIGHTDENY3"]
refused = {c["action"] for c in calls if c["error"] == "UnauthorizedOperation"}
h.check(refused == {a.split(":")[1] for a in deny} | {api.split(":")[1] for _, api in TAGGED_CREATES},
        f"emulator refused exactly the denied actions and the tagged creates: {refused}")
changing = [c for c in calls if not c["action"].startswith(("Describe", "Get", "List", "Simulate"))]
h.check(changing and all(c["params"].get("DryRun") is True for c in changing),
        f"every changing call carried DryRun: {[(c['action'], c['params'].get('DryRun')) for c in changing]}")

# ---- create-denied and tags-denied told apart ---------------------------
# tags allowed at creation except on CreateVolume: only that is missing
p = preflight(key("ONVOLUME", [{"Action": "ec2:CreateTags", "CreateAction": "CreateVolume"}]))
out = p.stdout
lacks = out.split("these credentials lack", 1)[1] if "these credentials lack" in out else ""
h.check(p.returncode == 1 and re.search(r"preflight: \d+ ok, 1 denied, 0 other errors, 0 not checked", out)
        and [ln.strip() for ln in lacks.splitlines() if ", needed by step" in ln] ==
        ["ec2:CreateTags on CreateVolume, needed by step forensics"],
        f"tags on CreateVolume denied: exit 1, that one need named: {p.returncode} {out} {p.stderr}")
h.check(line_of(out, "ec2:CreateVolume", "forensics") == "ok" and
        line_of(out, "ec2:CreateTags on CreateVolume", "forensics") == "DENIED" and
        all(line_of(out, "ec2:CreateTags", st) == "ok" for st in ("tag", "snapshot", "isolate", "forensics", "finish")),
        f"the create allowed, its tags not, every CreateTags of its own allowed: {out}")
# the create itself denied: said so, its tags not guessed
p = preflight(key("NOVOLUME", ["ec2:CreateVolume"]))
out = p.stdout
lacks = out.split("these credentials lack", 1)[1] if "these credentials lack" in out else ""
h.check(p.returncode == 1 and line_of(out, "ec2:CreateVolume", "forensics") == "DENIED" and
        "UnauthorizedOperation, without its tags too: ec2:CreateVolume itself is denied" in out and
        line_of(out, "ec2:CreateTags on CreateVolume", "forensics") == "-" and
        "ec2:CreateVolume, needed by step forensics\n" in lacks and "CreateTags" not in lacks,
        f"CreateVolume denied: the create named, not its tags: {p.returncode} {out}")
# the user guide's example policy: tags at creation only, never on existing resources
p = preflight(key("ONLYONCREATE", [{"Action": "ec2:CreateTags", "CreateAction": None}]), "--json")
doc = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
res = {(c["step"], c["api"]): c["result"] for c in doc.get("calls", [])}
h.check(p.returncode == 1 and
        doc.get("lacking", {}).get("ec2:CreateTags") == ["tag", "snapshot", "isolate", "forensics", "finish"] and
        all(res.get(k) == "ok" for k in TAGS_ON_CREATE | TAGGED_CREATES) and
        not any(k.startswith("ec2:CreateTags on") for k in doc.get("lacking", {})),
        f"CreateTags of its own denied, at creation allowed: {p.returncode} {p.stdout[:1500]}")

# ---- calls without DryRun: denied by the simulation, named with their steps
p = preflight(key("DENYSIM", ["autoscaling:DetachInstances", "ssm:SendCommand"]))
out = p.stdout
h.check(p.returncode == 1 and re.search(r"preflight: \d+ ok, 3 denied, 0 other errors, 0 not checked", out),
        f"simulated denials: exit 1, 3 denied: {p.returncode} {out} {p.stderr}")
for step, api in (("asg", "autoscaling:DetachInstances"), ("capture", "ssm:SendCommand"),
                  ("forensics", "ssm:SendCommand")):
    h.check(line_of(out, api, step) == "DENIED" and
            re.search(r"step %s\s+%s \(.*\): explicitDeny \(simulated\)" % (step, re.escape(api)), out),
            f"simulated: {step} {api} denied: {out}")
lacks = out.split("these credentials lack", 1)[1] if "these credentials lack" in out else ""
h.check("autoscaling:DetachInstances, needed by step asg\n" in lacks and
        "ssm:SendCommand, needed by steps capture, forensics\n" in lacks,
        f"simulated: summary names the actions and their steps: {lacks}")
sim = {c["params"]["ActionNames"][0]: c["params"] for c in emu.journal()
       if c["access_key"] == "AKIAPREFLIGHTDENYSIM" and c["action"] == "SimulatePrincipalPolicy"}
h.check(set(sim) == {api for _, api in NO_DRYRUN} and
        all(s["PolicySourceArn"] == "arn:aws:iam::123456789012:user/denysim" for s in sim.values()),
        f"one simulation per action, of the caller's own principal: {sim}")
# scoped as docs/iam-policy.json scopes them: the role, the instance and the document
h.check(sim.get("iam:PutRolePolicy", {}).get("ResourceArns") == [f"arn:aws:iam::123456789012:role/{h.ROLE}"],
        f"PutRolePolicy simulated on the role: {sim.get('iam:PutRolePolicy')}")
h.check(sim.get("ssm:SendCommand", {}).get("ResourceArns") ==
        [f"arn:aws:ec2:us-east-1:123456789012:instance/{h.VICTIM}",
         "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"],
        f"SendCommand simulated on the instance and the document: {sim.get('ssm:SendCommand')}")

# ---- a role session is simulated as its role (ARN from iam:GetRole) -------
p = preflight(key("ROLESESS", ["iam:PutRolePolicy"], role=h.ROLE))
h.check(p.returncode == 1 and line_of(p.stdout, "iam:PutRolePolicy", "revoke") == "DENIED"
        and "iam:PutRolePolicy, needed by step revoke\n" in p.stdout,
        f"role session: PutRolePolicy denied for revoke: {p.returncode} {p.stdout} {p.stderr}")
sim = [c for c in emu.journal() if c["access_key"] == "AKIAPREFLIGHTROLESESS" and c["action"] == "SimulatePrincipalPolicy"]
h.check(sim and all(c["params"]["PolicySourceArn"] == f"arn:aws:iam::123456789012:role/{h.ROLE}" for c in sim),
        f"role session: the role was simulated, not the session: {sim}")

# ---- a key that may not simulate: those calls stay "not checked", said why
p = preflight(key("NOSIM", ["iam:SimulatePrincipalPolicy"]))
h.check(p.returncode == 0 and re.search(r"0 denied, 0 other errors, 8 not checked", p.stdout)
        and "iam:SimulatePrincipalPolicy: AccessDenied" in p.stdout,
        f"no simulation: DryRun checks pass, the rest not checked, and why: {p.returncode} {p.stdout}")
for step, api in NO_DRYRUN:
    h.check(line_of(p.stdout, api, step) == "-", f"no simulation: {step} {api} not checked: {p.stdout}")

# ---- the reads the playbook makes: made now, a refusal named with its step
p = preflight(key("DENYREAD", ["ec2:DescribeAddresses", "ssm:DescribeInstanceInformation"]), "--json")
doc = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
reads = {(c["step"], c["api"]): c for c in doc.get("calls", []) if c.get("method") == "read"}
h.check(p.returncode == 1 and reads.get(("record", "ec2:DescribeAddresses"), {}).get("result") == "denied"
        and reads.get(("capture", "ssm:DescribeInstanceInformation"), {}).get("result") == "denied"
        and reads.get(("record", "ec2:GetConsoleOutput"), {}).get("result") == "ok"
        and doc.get("lacking", {}).get("ssm:DescribeInstanceInformation") == ["capture"],
        f"denied reads: named by step, method read: {p.returncode} {p.stdout[:1500]}")

# ---- the quarantine profile: iam:PassRole on its role (simulated for EC2),
# and what its SSM agent needs of that role; the evidence bucket and key
qrole = "arn:aws:iam::123456789012:role/ssrfguard-quarantine-role"
p = h.respond(binary, emu, work, "--preflight", "--instance", h.VICTIM, "--json",
              "--evidence-bucket", "evidence-bkt", "--evidence-kms-key", "1234abcd-12ab-34cd-56ef-1234567890ab",
              extra_env=key("DENYPASS", ["iam:PassRole", "kms:CreateGrant"]))
doc = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
calls = doc.get("calls", [])
passes = [c for c in calls if c["api"] == "iam:PassRole"]
h.check(p.returncode == 1 and {c["step"] for c in passes} == {"revoke", "strip"} and
        all(c["result"] == "denied" and c["method"] == "simulated" for c in passes),
        f"PassRole: denied for each step that swaps the profile: {p.returncode} {passes} {p.stderr}")
sims = [c["params"] for c in emu.journal() if c["access_key"] == "AKIAPREFLIGHTDENYPASS"
        and c["action"] == "SimulatePrincipalPolicy"]
pr = [s_ for s_ in sims if s_["ActionNames"] == ["iam:PassRole"]]
h.check(pr and pr[0].get("ResourceArns") == [qrole] and
        pr[0].get("ContextEntries") == [{"ContextKeyName": "iam:PassedToService",
                                          "ContextKeyValues": ["ec2.amazonaws.com"], "ContextKeyType": "string"}],
        f"PassRole simulated on the quarantine role, passed to EC2: {pr}")
agent = {s_["ActionNames"][0]: s_ for s_ in sims if s_["PolicySourceArn"] == qrole}
h.check(set(agent) == {"ssm:UpdateInstanceInformation", "ec2messages:GetMessages",
                       "ssmmessages:CreateControlChannel", "s3:PutObject"}
        and agent["s3:PutObject"].get("ResourceArns", [""])[0].startswith("arn:aws:s3:::evidence-bkt/ssrfguard/"),
        f"the quarantine role simulated for its agent and the bucket: {sorted(agent)}")
kms = [c for c in calls if c["api"].startswith("kms:")]
h.check(len(kms) == 6 and all(c["step"] == "forensics" for c in kms) and
        [c["result"] for c in kms if c["api"] == "kms:CreateGrant"] == ["denied"] and
        all(c["result"] == "ok" for c in kms if c["api"] != "kms:CreateGrant"),
        f"the KMS actions EBS needs of the evidence key, one denied: {kms}")
ksim = [s_ for s_ in sims if s_["ActionNames"] == ["kms:Decrypt"]]
h.check(ksim and ksim[0].get("ResourceArns") ==
        ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
        f"KMS simulated on the key's ARN: {ksim}")
h.check(any(c["api"] == "s3:GetObject" and c["result"] == "ok" for c in calls),
        f"the responder may read the bucket: {[c for c in calls if c['api'].startswith('s3:')]}")

# the quarantine role refuses the agent's upload: the capture would be lost
emu.post("/seed", {"iam": {"roles": [{"RoleName": "ssrfguard-quarantine-role", "Policies": {
    "no-upload": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}]}}}]}})
p = h.respond(binary, emu, work, "--preflight", "--instance", h.VICTIM,
              "--evidence-bucket", "evidence-bkt")
h.check(p.returncode == 1 and re.search(r"DENIED\s+step capture\s+s3:PutObject \(evidence-bkt\) as " +
                                        re.escape(qrole) + r": explicitDeny \(simulated\)", p.stdout),
        f"the quarantine role's refused upload is named: {p.returncode} {p.stdout}")

# ---- a step turned off is not checked: its denial does not matter --------
p = preflight(key("DENYFX", ["ec2:AttachVolume", "ec2:CreateVolume"]), "--forensic-instance", "")
h.check(p.returncode == 0 and "forensics" not in p.stdout.split("by step", 1)[1],
        f"no forensic instance: forensics not planned, not checked: {p.returncode} {p.stdout} {p.stderr}")

# ---- nothing changed in the emulator's world ------------------------------
after = emu.state()
for k in ("instances", "security_groups", "volumes", "snapshots", "network_interfaces"):
    h.check(after["ec2"][k] == before["ec2"][k], f"preflight changed nothing: ec2.{k}")
h.finish("respond-preflight")
