#!/usr/bin/python3
"""`respond --share-snapshots-with ACCOUNT --share-kms-key ARN`: the evidence
snapshots go to a separate forensic account.  The victim's volumes are
encrypted with the AWS managed key, whose snapshots EBS refuses to share
(EBS user guide, "Share an Amazon EBS snapshot"): without a key the step
refuses, saying why, and shares nothing; with a customer managed key each
snapshot is copied under it and the copy shared, never the original.  A
crash right after the copies, or between a CopySnapshot and its journal
write, and a resume copy once and share once; the report lists the shares.

usage: test_share.py SSRFGUARD"""
import atexit
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-share-")
atexit.register(shutil.rmtree, work, True)
ACCOUNT = "210987654321"
KEY_ID = "0f0f0f0f-1111-4222-8333-444455556666"


def fresh():
    emu.post("/reset", {})
    fleet = json.load(open(h.FLEET))
    victim = [i for i in fleet["ec2"]["instances"] if i["InstanceId"] == h.VICTIM][0]
    # its volumes encrypted under the AWS managed key aws/ebs (no KmsKeyId of ours)
    emu.post("/seed", {"ec2": {"volumes": [{"VolumeId": b["VolumeId"], "Size": b["Size"], "Encrypted": True}
                                           for b in victim["BlockDeviceMappings"]]}})
    emu.post("/seed", fleet)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*",
         "Principal": {"AWS": f"arn:aws:iam::{fleet['account_id']}:root"}},
        {"Effect": "Allow", "Resource": "*", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ReEncrypt*",
                    "kms:GenerateDataKeyWithoutPlaintext"]}]}
    emu.post("/seed", {"kms_keys": [{"KeyId": KEY_ID, "Policy": json.dumps(policy)}]})
    emu.post("/timing", h.FAST_TIMING)
    return f"arn:aws:kms:{fleet['region']}:{fleet['account_id']}:key/{KEY_ID}"


def snapshots(st):
    return st["ec2"]["snapshots"].values()


def shared(s):
    return [p.get("UserId") for p in s.get("_create_volume_permissions", [])]


try:
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--share-kms-key", "arn:aws:kms:x")
    h.check(p.returncode == 2 and "needs --share-snapshots-with" in p.stderr, f"key alone: {p.stderr}")
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--share-snapshots-with", "21098765432")
    h.check(p.returncode == 2 and "12-digit" in p.stderr, f"bad account: {p.stderr}")

    # no key: the snapshots under aws/ebs cannot be shared; said, nothing shared
    fresh()
    w = tempfile.mkdtemp(prefix="nokey-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, "--share-snapshots-with", ACCOUNT)
    r = json.load(open(h.report_path(w, "INC-1")))
    f = [s for s in r["steps"] if s["name"] == "forensics"]
    # AWS shows a default-encrypted snapshot's KmsKeyId as the aws/ebs key's
    # ARN: the refusal names that key
    ebs_key = [k["Arn"] for k in emu.state()["kms"]["keys"].values() if k["KeyManager"] == "AWS"]
    h.check(f and f[0]["state"] == "failed" and "--share-kms-key" in f[0].get("result", "")
            and ebs_key and ebs_key[0] in f[0].get("result", ""), f"refused, saying why and naming aws/ebs: {f}")
    h.check(not any(shared(s) for s in snapshots(emu.state())), "nothing shared")

    # with the key: crash after the copies, resume; one copy each, shared once
    arn = fresh()
    w = tempfile.mkdtemp(prefix="key-", dir=work)
    args = ("--share-snapshots-with", ACCOUNT, "--share-kms-key", arn)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, *args, crash="forensics:share-copied")
    h.check(p.returncode == 77, f"crashed after a copy: {p.returncode} {p.stderr[-600:]}")
    p = h.respond(binary, emu, w, "--incident", "1", *args)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"resumed: {p.stdout[-600:]} {p.stderr[-600:]}")
    st = emu.state()
    originals = [s for s in snapshots(st) if h.tags(s).get("IncidentId") == "INC-1"]
    copies = [s for s in snapshots(st) if re.fullmatch(h.aws_key("INC-1"), h.tags(s).get("ssrfguard:share-incident", ""))]
    h.check(len(originals) == 2 and not any(shared(s) for s in originals), f"originals not shared: {originals}")
    h.check(len(copies) == 2 and all(s["KmsKeyId"] == arn and s["Encrypted"] and s["State"] == "completed"
                                     and shared(s) == [ACCOUNT] for s in copies),
            f"one copy each, under the key, shared: {copies}")
    h.check({h.tags(s)["ssrfguard:copy-of"] for s in copies} == {s["SnapshotId"] for s in originals},
            "a copy of each original")
    calls = emu.journal()
    h.check(len([c for c in calls if c["action"] == "CopySnapshot"]) == 2, "copied once each")
    h.check(len([c for c in calls if c["action"] == "ModifySnapshotAttribute"]) == 2, "shared once each")
    r = h.report_ok(w, "INC-1")
    got = {(x["source"], x["shared"], x["kms_key"], x["account"]) for x in (r or {}).get("shares", [])}
    h.check(got == {(h.tags(s)["ssrfguard:copy-of"], s["SnapshotId"], arn, ACCOUNT) for s in copies},
            f"the report says it: {r and r.get('shares')}")
    md = open(h.report_path(w, "INC-1", "md")).read()
    h.check("## Shared with a forensic account" in md and all(s["SnapshotId"] in md for s in copies),
            "the Markdown report too")

    # a crash between CopySnapshot and its journal write (the step's first
    # change: crash point "mid"): CopySnapshot has no ClientToken, so only
    # the copy's tags can find it; the resume must not copy again
    arn = fresh()
    w = tempfile.mkdtemp(prefix="mid-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM, *args, crash="forensics:mid")
    h.check(p.returncode == 77, f"crashed after the first CopySnapshot: {p.returncode} {p.stderr[-600:]}")
    h.check(len([c for c in emu.journal() if c["action"] == "CopySnapshot"]) == 1,
            "the crash came right after the first copy")
    p = h.respond(binary, emu, w, "--incident", "1", *args)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"resumed: {p.stdout[-600:]} {p.stderr[-600:]}")
    st = emu.state()
    copies = [s for s in snapshots(st) if re.fullmatch(h.aws_key("INC-1"), h.tags(s).get("ssrfguard:share-incident", ""))]
    h.check(len(copies) == 2 and all(shared(s) == [ACCOUNT] for s in copies),
            f"still one copy per snapshot, each shared: {copies}")
    calls = emu.journal()
    h.check(len([c for c in calls if c["action"] == "CopySnapshot"]) == 2, "two copies in all, not three")
    h.check(len([c for c in calls if c["action"] == "ModifySnapshotAttribute"]) == 2, "shared once each")

    # preflight: the share calls and the share key's KMS actions are checked (simulated:
    # no snapshot exists before the incident to DryRun them on)
    fresh()
    p = h.respond(binary, emu, w, "--preflight", "--instance", h.VICTIM, "--json", *args)
    doc = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    calls = {(c["api"], c["target"]) for c in doc.get("calls", []) if c["step"] == "forensics"
             and c["result"] == "ok"}
    for api in ("ec2:CopySnapshot", "ec2:ModifySnapshotAttribute", "ec2:DescribeSnapshotAttribute"):
        h.check(any(a == api for a, _ in calls), f"preflight checks {api}: {doc.get('calls')}")
    h.check(("kms:CreateGrant", arn) in calls, f"preflight checks the share key: {calls}")
finally:
    emu.stop()
h.finish("respond-share")
