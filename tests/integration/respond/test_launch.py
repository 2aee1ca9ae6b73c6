#!/usr/bin/python3
"""`respond --forensic-launch-template`: with no forensic instance given, the
forensics step launches one from the launch template (RunInstances with a
ClientToken per incident, tagged at launch), waits until it runs and its SSM
agent registers, then attaches the evidence volumes to it and starts the
examination there.  A crash in the middle of the step and a resume launch
no second instance; --preflight DryRuns the launch, checks iam:PassRole of
the template's profile's role (a key that may not pass it fails the launch
mid-incident, and preflight says so first) and says the attach cannot be
tried before the incident.

usage: test_launch.py SSRFGUARD"""
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
work = tempfile.mkdtemp(prefix="rsp-launch-")
atexit.register(shutil.rmtree, work, True)
TEMPLATE = h.FORENSIC_TEMPLATE
ARGS = ("--forensic-instance", "", "--forensic-launch-template", "ssrfguard-forensics")


def fresh():
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/seed", {"ec2": {"launch_templates": [TEMPLATE]}})
    emu.post("/timing", h.FAST_TIMING)


def launched(st):
    return [i for i in st["ec2"]["instances"].values()
            if h.tags(i).get("IncidentId") == "INC-1" and h.tags(i).get("ssrfguard:role") == "forensics"]


try:
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--forensic-launch-template", "ssrfguard-forensics")
    h.check(p.returncode == 2 and "exclude each other" in p.stderr, f"one or the other: {p.returncode} {p.stderr}")

    fresh()
    w = tempfile.mkdtemp(prefix="run-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, *ARGS, crash="forensics:mid")
    h.check(p.returncode == 77, f"crashed in the middle of forensics: {p.returncode} {p.stderr[-600:]}")
    p = h.respond(binary, emu, w, "--incident", "1", *ARGS)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"resumed, contained: {p.stdout[-600:]} {p.stderr[-600:]}")
    st = emu.state()
    fx = launched(st)
    h.check(len(fx) == 1 and fx[0]["State"]["Name"] == "running", f"one forensic instance launched: {fx}")
    fid = fx[0]["InstanceId"] if fx else "?"
    runs = [c for c in emu.journal() if c["action"] == "RunInstances"]
    h.check(runs and len({c["params"].get("ClientToken") for c in runs}) == 1 and
            all(c["params"].get("LaunchTemplate", {}).get("LaunchTemplateName") == "ssrfguard-forensics"
                for c in runs), f"every launch with the template and one token: {[c['params'] for c in runs]}")
    vols = [v for v in st["ec2"]["volumes"].values() if h.tags(v).get("IncidentId") == "INC-1"]
    h.check(len(vols) == 2 and all(a["InstanceId"] == fid for v in vols for a in v["Attachments"])
            and all(v["Attachments"] for v in vols), f"evidence volumes attached to it: {vols}")
    sent = [c for c in st["ssm"]["commands"].values() if h.comment_is(c.get("Comment"), "INC-1", "forensics")]
    h.check(len(sent) == 1 and sent[0]["InstanceIds"] == [fid], f"the examination runs there: {sent}")
    r = h.report_ok(w, "INC-1")
    f = [s for s in (r or {}).get("steps", []) if s["name"] == "forensics"]
    h.check(f and f[0].get("created", {}).get("forensic_instance") == fid, f"journaled: {f and f[0].get('created')}")

    # preflight: the launch is DryRun, the attach cannot be tried yet
    fresh()
    p = h.respond(binary, emu, w, "--preflight", "--instance", h.VICTIM, "--json", *ARGS)
    doc = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    calls = {(c["step"], c["api"]): c for c in doc.get("calls", [])}
    run = calls.get(("forensics", "ec2:RunInstances"), {})
    att = calls.get(("forensics", "ec2:AttachVolume"), {})
    h.check(run.get("result") == "ok" and run.get("method") == "dryrun", f"launch DryRun: {run}")
    h.check(att.get("result") == "unchecked" and "launched at the incident" in att.get("detail", ""),
            f"attach not tried, and why: {att}")
    h.check(not launched(emu.state()), "preflight launched nothing")
    # the launch passes the template's profile's role: iam:PassRole, simulated
    # for EC2 on that role (found through DescribeLaunchTemplateVersions and
    # GetInstanceProfile, reads made now)
    frole = "arn:aws:iam::123456789012:role/forensics-role"
    tpl = calls.get(("forensics", "ec2:DescribeLaunchTemplateVersions"), {})
    h.check(tpl.get("result") == "ok" and tpl.get("method") == "read", f"template read: {tpl}")
    fpass = [c for c in doc.get("calls", []) if c["step"] == "forensics" and c["api"] == "iam:PassRole"]
    h.check(len(fpass) == 1 and fpass[0]["result"] == "ok" and fpass[0]["method"] == "simulated"
            and fpass[0]["target"] == frole, f"PassRole of the template's role checked: {fpass}")

    # a responder that may pass the quarantine role but not the forensics
    # role: the launch would fail mid-incident, so preflight says so now
    akid, secret = "AKIAPREFLIGHTNOFXPASS", "preflight-secret-nofxpass"
    emu.post("/credentials", {"access_key_id": akid, "secret_access_key": secret,
                              "arn": "arn:aws:iam::123456789012:user/nofxpass",
                              "deny": [{"Action": "iam:PassRole", "Resource": frole}]})
    env = {"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret}
    p = h.respond(binary, emu, w, "--preflight", "--instance", h.VICTIM, "--json", *ARGS, extra_env=env)
    doc = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    passes = {(c["step"], c["result"]) for c in doc.get("calls", []) if c["api"] == "iam:PassRole"}
    h.check(p.returncode == 1 and passes == {("revoke", "ok"), ("strip", "ok"), ("forensics", "denied")}
            and doc.get("lacking", {}).get("iam:PassRole") == ["forensics"],
            f"the forensics role's PassRole denied, the quarantine role's allowed: {p.returncode} {passes} "
            f"{doc.get('lacking')}")
    # ... and the emulator refuses that launch as EC2 does
    w2 = tempfile.mkdtemp(prefix="nopass-", dir=work)
    p = h.respond(binary, emu, w2, "--instance", h.VICTIM, *ARGS, extra_env=env)
    r = h.report_ok(w2, "INC-1", "partial") or {}
    f = [s for s in r.get("steps", []) if s["name"] == "forensics"]
    h.check(p.returncode == 1 and f and f[0]["state"] == "failed" and not launched(emu.state()),
            f"the launch refused for lack of iam:PassRole: {p.returncode} {f}")
finally:
    emu.stop()
h.finish("respond-launch")
