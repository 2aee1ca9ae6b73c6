#!/usr/bin/python3
"""`ssrfguard forensics examine|discover --incident ID --from-tags` against the
AWS emulator (tests/emulator), inside tests/netns-run.

The emulator holds a forensic instance with volumes the way the responder
leaves them (tags IncidentId, ssrfguard:source-snapshot/-volume/device,
attached); a fake sysfs tree (--sysfs-root) gives each attached volume an NVMe
serial, and --dev-root points the devices at small ext4 images built here.
Checked: exactly the incident's volumes are examined (not another incident's,
not a volume tagged by hand elsewhere), the report carries the tag-derived
fields, pagination, the --instance-id override, and clear errors with exit 2
(no credentials, AccessDenied, nothing found, a volume attached elsewhere, a
device that never appears; and one that appears during --wait-device).

usage: test_tags.py SSRFGUARD_BINARY
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))
from control import Emulator  # noqa: E402

FLEET = os.path.join(ROOT, "tests", "emulator", "scenarios", "fleet.json")
WEB1 = "i-0a1b2c3d4e5f60001"
WEB2 = "i-0a1b2c3d4e5f60002"
FX = "i-0f000000000000f0f"       # our forensic instance (room for many attachments)
ROLE = "forensics-role"
S1, S2 = "3f9a2c1b0d4e5f60", "0123456789abcdef"   # two stores' identities

failures = []


def check(cond, what, detail=""):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)
        if detail:
            print("   ", str(detail)[:2000], flush=True)
    return cond


def vol(n):
    return "vol-0%016x" % n


def ev_tags(inc, n):
    return {"IncidentId": inc, "ssrfguard:source-snapshot": "snap-0%016x" % (0x5000 + n),
            "ssrfguard:source-volume": "vol-0%016x" % (0x9000 + n), "ssrfguard:device": "/dev/xvd" + "abcdefghij"[n % 10]}


def main():
    sg = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="sg-fxtags-")
    t0 = time.monotonic()
    try:
        run(sg, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{time.monotonic() - t0:.1f}s", flush=True)
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("all checks passed")


def make_image(work, name, files):
    tree = os.path.join(work, "tree-" + name)
    os.makedirs(tree)
    for rel, data in files.items():
        p = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(data)
    img = os.path.join(work, name + ".img")
    with open(img, "wb") as f:
        f.truncate(4 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", tree, "-L", name, img], check=True,
                   env={"PATH": "/usr/sbin:/sbin:/usr/bin:/bin", "E2FSPROGS_FAKE_TIME": "1700000000"})
    return img


class Box:
    """The forensic instance's view: sysfs serials and /dev nodes."""

    def __init__(self, work):
        self.sys = os.path.join(work, "sys")
        self.dev = os.path.join(work, "dev")
        os.makedirs(os.path.join(self.sys, "block"))
        os.makedirs(self.dev)
        self.n = 1
        # the root volume and a non-NVMe device, as on a real box
        self.plug("vol-0f0000000000000ff", None)
        os.makedirs(os.path.join(self.sys, "block", "loop0"))

    def plug(self, volume_id, image):
        name = "nvme%dn1" % self.n
        self.n += 1
        d = os.path.join(self.sys, "block", name, "device")
        os.makedirs(d)
        with open(os.path.join(d, "serial"), "w") as f:
            f.write(volume_id.replace("-", "") + "\n")
        if image:
            os.symlink(image, os.path.join(self.dev, name))
        return "%s/%s" % (self.dev, name)


def run(sg, work):
    imgs = {n: make_image(work, n, {"etc/hostname": n + "\n", "var/www/html/index.php": "<?php ?>\n",
                                    "srv/%s.txt" % n: n * 100})
            for n in ("a1", "a2", "b1", "c1", "d1")}
    box = Box(work)
    with Emulator.start(seed=FLEET, imds=True) as emu:
        emu.seed({"ec2": {"instances": [{
            "InstanceId": FX, "SubnetId": "subnet-0a000000000000001", "InstanceType": "m5.large",
            "IamInstanceProfile": "forensics-profile", "AttachmentLimit": 60,
            "Tags": {"Role": "forensics"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "VolumeId": "vol-0f0000000000000ff"}]}],
            "volumes": (
                [{"VolumeId": vol(0xa1), "Tags": ev_tags("INC-A", 1)},
                 {"VolumeId": vol(0xa2), "Tags": ev_tags("INC-A", 2)},
                 {"VolumeId": vol(0xa9), "Tags": {"IncidentId": "INC-A"}},   # tagged by hand, on web-2
                 {"VolumeId": vol(0xa0), "Tags": ev_tags("INC-A0", 0)},     # a look-alike incident
                 {"VolumeId": vol(0xb1), "Tags": dict(ev_tags("INC-B", 1), **{   # anyone's text
                     # C1 controls (CSI, OSC, ST): XML carries them, terminals obey them
                     "ssrfguard:incident-time": "\u009b2J\u009d0;owned\u009c" + "\u00e9" * 40})},
                 {"VolumeId": vol(0xc1), "Tags": ev_tags("INC-C", 1)},
                 {"VolumeId": vol(0xc2), "Tags": ev_tags("INC-C", 2)},      # attached to web-2
                 {"VolumeId": vol(0xc3), "Tags": ev_tags("INC-C", 3)},      # never attached
                 {"VolumeId": vol(0xd1), "Tags": ev_tags("INC-D", 1)},
                 # two stores' INC-7 (each store counts from INC-1), and one store's INC-8
                 {"VolumeId": vol(0x71), "Tags": dict(ev_tags("INC-7", 1), **{"ssrfguard:store": S1})},
                 {"VolumeId": vol(0x72), "Tags": dict(ev_tags("INC-7", 2), **{"ssrfguard:store": S1})},
                 {"VolumeId": vol(0x73), "Tags": dict(ev_tags("INC-7", 3), **{"ssrfguard:store": S2})},
                 {"VolumeId": vol(0x81), "Tags": dict(ev_tags("INC-8", 1), **{"ssrfguard:store": S1})}]
                + [{"VolumeId": vol(0x100 + i), "Tags": ev_tags("INC-P", i)} for i in range(30)])}})
        emu.imds(instance_id=FX)
        ec2 = emu.client("ec2")
        slots = ("/dev/sd" + a + b for a in "fghijklmnop" for b in "abcdefghijklmnopqrstuvwxyz")

        def attach(v, inst=FX):
            ec2.attach_volume(VolumeId=v, InstanceId=inst, Device=next(slots))
        for v in (0xa1, 0xa2, 0xa0, 0xb1, 0xc1, 0xd1, 0x71, 0x72, 0x73, 0x81):
            attach(vol(v))
        attach(vol(0xa9), WEB2)
        attach(vol(0xc2), WEB2)
        for i in range(30):
            attach(vol(0x100 + i))
        emu.advance(30)   # attaching -> attached
        for v, img in ((0xa1, "a1"), (0xa2, "a2"), (0xb1, "b1"), (0xc1, "c1"), (0xa0, "a1"),
                       (0x71, "a1"), (0x72, "a2"), (0x73, "b1"), (0x81, "c1")):
            box.plug(vol(v), imgs[img])
        for i in range(30):
            box.plug(vol(0x100 + i), imgs["b1"])

        # the forensic instance's own role, over IMDSv2: no keys in the environment
        env = dict(os.environ)
        env.update(emu.env())
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                  "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
            env.pop(k, None)
        env["HOME"] = work
        env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(work, "no-credentials")
        env["AWS_CONFIG_FILE"] = os.path.join(work, "no-config")
        env["SSRFGUARD_AWS_BACKOFF_BASE_MS"] = "10"
        fx = ["--sysfs-root", box.sys, "--dev-root", box.dev]

        def sgrun(*args, env_over=None, wait=0, timeout=60):
            e = dict(env)
            e.update(env_over or {})
            for k, v in list(e.items()):
                if v is None:
                    del e[k]
            argv = [sg, "forensics"] + list(args[:1]) + fx + ["--wait-device", str(wait)] + list(args[1:])
            return subprocess.run(argv, env=e, capture_output=True, text=True, timeout=timeout)

        def out_json(p):
            try:
                return json.loads(p.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                return {}

        # --- examine INC-A: exactly its two volumes, tags in the report
        emu.clear_journal()
        out = os.path.join(work, "case-A")
        p = sgrun("examine", "--incident", "INC-A", "--from-tags", "--out", out, "--workers", "1")
        check(p.returncode == 0, "examine INC-A --from-tags: exit 0", p.stderr)
        res = out_json(p)
        labels = sorted(e.get("label") for e in res.get("evidence", []))
        check(labels == [vol(0xa1), vol(0xa2)], "examine INC-A: exactly the incident's volumes attached here",
              labels)
        report = {}
        if os.path.exists(os.path.join(out, "report.json")):
            with open(os.path.join(out, "report.json")) as f:
                report = json.load(f)
        srcs = {e.get("volume_id"): e for e in report.get("evidence", [])}
        check(sorted(srcs) == [vol(0xa1), vol(0xa2)], "report: the two volumes", sorted(srcs))
        for n, v in ((1, 0xa1), (2, 0xa2)):
            s = srcs.get(vol(v), {}).get("source", {})
            t = ev_tags("INC-A", n)
            check(s.get("snapshot_id") == t["ssrfguard:source-snapshot"]
                  and s.get("source_volume") == t["ssrfguard:source-volume"]
                  and s.get("source_device") == t["ssrfguard:device"]
                  and s.get("found_by") == "tags" and s.get("instance_id") == FX
                  and s.get("tags", {}).get("IncidentId") == "INC-A"
                  and s.get("attachment", {}).get("state") == "attached",
                  f"report: {vol(v)} carries the tag-derived fields", s)
            ev = srcs.get(vol(v), {})
            check(ev.get("filesystems", [{}])[0].get("files") == 3,
                  f"report: {vol(v)} was walked (3 files)", ev.get("filesystems"))
        md = ""
        if os.path.exists(os.path.join(out, "report.md")):
            with open(os.path.join(out, "report.md")) as f:
                md = f.read()
        check("| source volume | ` %s ` |" % ev_tags("INC-A", 2)["ssrfguard:source-volume"] in md
              and "| source snapshot | ` %s ` |" % ev_tags("INC-A", 1)["ssrfguard:source-snapshot"] in md
              and "| found by | tags |" in md, "report.md: the source of each volume", md[:1500])
        calls = [c for c in emu.journal() if c["action"] == "DescribeVolumes"]
        flt = [c["params"] for c in calls]
        check(any("attachment.instance-id" in json.dumps(f) and FX in json.dumps(f) and "INC-A" in json.dumps(f)
                  for f in flt), "DescribeVolumes asked with tag:IncidentId and attachment.instance-id", flt)
        check(all(c.get("status") == 200 for c in calls), "every DescribeVolumes answered 200", calls)

        # --- discover, same answer, without reading the devices
        p = sgrun("discover", "--incident", "INC-A", "--from-tags")
        d = out_json(p)
        got = sorted((e.get("volume_id"), e.get("source", {}).get("source_volume")) for e in d.get("evidence", []))
        check(p.returncode == 0 and got == [(vol(0xa1), ev_tags("INC-A", 1)["ssrfguard:source-volume"]),
                                            (vol(0xa2), ev_tags("INC-A", 2)["ssrfguard:source-volume"])],
              "discover INC-A --from-tags: the two volumes with their source", p.stdout + p.stderr)
        devs = [e.get("device", "") for e in d.get("evidence", [])]
        check(all(x.startswith(box.dev + "/nvme") for x in devs), "discover: devices by NVMe serial", devs)

        # --- two stores' INC-7: the key names one store's; INC-7 alone is ambiguous
        p = sgrun("discover", "--incident", f"INC-7-{S1}", "--from-tags")
        got = sorted(e.get("volume_id") for e in out_json(p).get("evidence", []))
        check(p.returncode == 0 and got == [vol(0x71), vol(0x72)],
              "discover INC-7-STORE: exactly that store's INC-7 volumes", p.stdout + p.stderr)
        p = sgrun("discover", "--incident", "INC-7", "--from-tags")
        check(p.returncode == 2 and "more than one store" in p.stderr and S1 in p.stderr and S2 in p.stderr
              and "--incident INC-7-STORE" in p.stderr,
              "discover INC-7: two stores' incidents refused, both named", p.stderr)
        p = sgrun("discover", "--incident", "8", "--from-tags")
        got = sorted(e.get("volume_id") for e in out_json(p).get("evidence", []))
        check(p.returncode == 0 and got == [vol(0x81)], "discover --incident 8 reads INC-8", p.stdout + p.stderr)

        # --- pagination: 30 volumes, 25 a page
        emu.clear_journal()
        p = sgrun("discover", "--incident", "INC-P", "--from-tags")
        d = out_json(p)
        got = sorted(e.get("volume_id") for e in d.get("evidence", []))
        check(p.returncode == 0 and got == sorted(vol(0x100 + i) for i in range(30)),
              "discover INC-P: all 30 volumes across pages", p.stderr)
        tokens = [c for c in emu.journal() if c["action"] == "DescribeVolumes" and "NextToken" in c["params"]]
        check(len(tokens) >= 2, "pagination: NextToken followed in both lookups", len(tokens))

        # --- --instance-id: another instance; INC-A's volumes are not attached there
        p = sgrun("discover", "--incident", "INC-A", "--from-tags", "--instance-id", WEB1)
        check(p.returncode == 2 and f"not attached to this instance {WEB1}" in p.stderr
              and vol(0xa1) in p.stderr and f"attached to {FX}" in p.stderr,
              "--instance-id override: INC-A volumes named as attached elsewhere", p.stderr)

        # --- a volume of the incident attached elsewhere / not attached: refuse a partial set
        p = sgrun("examine", "--incident", "INC-C", "--from-tags", "--out", os.path.join(work, "case-C"))
        check(p.returncode == 2 and out_json(p).get("status") == "error"
              and f"{vol(0xc2)} (attached to {WEB2}" in p.stderr
              and f"{vol(0xc3)} (not attached, volume available)" in p.stderr
              and vol(0xc1) + " (" not in p.stderr,
              "INC-C: evidence volumes not attached here are named with where they are", p.stderr)
        check(not os.path.exists(os.path.join(work, "case-C", "report.json")), "INC-C: no report written")

        # --- nothing for the incident
        p = sgrun("examine", "--incident", "INC-Z", "--from-tags", "--out", os.path.join(work, "case-Z"))
        check(p.returncode == 2 and f"no EBS volume tagged IncidentId=INC-Z is attached to this instance {FX}"
              in p.stderr, "INC-Z: no volume found, exit 2", p.stderr)

        # --- attached per EC2, but the device never shows up
        p = sgrun("discover", "--incident", "INC-D", "--from-tags", wait=1)
        check(p.returncode == 2 and f"EC2 says volume {vol(0xd1)} is attached to this instance {FX}" in p.stderr
              and "--wait-device" in p.stderr, "INC-D: attached but no device: clear error", p.stderr)
        # ... and the same with the device appearing during --wait-device
        timer = threading.Timer(1.0, lambda: box.plug(vol(0xd1), imgs["d1"]))
        timer.start()
        p = sgrun("discover", "--incident", "INC-D", "--from-tags", wait=20)
        timer.join()
        d = out_json(p)
        check(p.returncode == 0 and [e.get("volume_id") for e in d.get("evidence", [])] == [vol(0xd1)]
              and "waiting up to 20s" in p.stderr, "INC-D: the device appears while waiting", p.stderr)

        # --- a tag is anyone's text: shown escaped on the examiner's terminal
        p = sgrun("examine", "--incident", "INC-B", "--from-tags", "--out", os.path.join(work, "case-B"),
                  "--workers", "1")
        line = [ln for ln in p.stderr.splitlines() if "is not a UTC time" in ln]
        check(p.returncode == 0 and not any(0x80 <= ord(c) < 0xa0 or ord(c) < 0x0a for c in p.stderr) and line
              and '"\\xc2\\x9b2J\\xc2\\x9d0;owned\\xc2\\x9c\u00e9' in line[0],
              "INC-B: the volume's bad incident-time tag shown escaped, ignored", p.stderr[-800:])

        # --- AccessDenied: the role may not call ec2:DescribeVolumes
        iam = emu.client("iam")
        iam.put_role_policy(RoleName=ROLE, PolicyName="no-describe", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "ec2:DescribeVolumes", "Resource": "*"}]}))
        p = sgrun("discover", "--incident", "INC-A", "--from-tags")
        check(p.returncode == 2 and "not permitted" in p.stderr and "ec2:DescribeVolumes" in p.stderr
              and "UnauthorizedOperation" in p.stderr, "AccessDenied: names ec2:DescribeVolumes, exit 2", p.stderr)
        iam.delete_role_policy(RoleName=ROLE, PolicyName="no-describe")

        # --- no credentials anywhere (IMDS off, no keys, no files)
        p = sgrun("discover", "--incident", "INC-A", "--from-tags", "--instance-id", FX,
                  env_over={"AWS_EC2_METADATA_DISABLED": "true"})
        check(p.returncode == 2 and "no AWS credentials" in p.stderr, "no credentials: clear error, exit 2",
              p.stderr)
        # --- IMDS off and no --instance-id, but keys in the environment
        k = {"AWS_ACCESS_KEY_ID": emu.key[0], "AWS_SECRET_ACCESS_KEY": emu.key[1],
             "AWS_EC2_METADATA_DISABLED": "true"}
        p = sgrun("discover", "--incident", "INC-A", "--from-tags", env_over=k)
        check(p.returncode == 2 and "--instance-id" in p.stderr, "IMDS off: asks for --instance-id", p.stderr)
        p = sgrun("discover", "--incident", "INC-A", "--from-tags", "--instance-id", FX, env_over=k)
        check(p.returncode == 0 and len(out_json(p).get("evidence", [])) == 2,
              "keys from the environment and --instance-id: found", p.stderr)

        # --- usage errors
        p = sgrun("discover", "--from-tags")
        check(p.returncode == 2 and "needs --incident" in p.stderr, "--from-tags without --incident", p.stderr)
        p = sgrun("discover", "--incident", "INC-A", "--from-tags", "--volume", vol(0xa1))
        check(p.returncode == 2 and "no --volume" in p.stderr, "--from-tags with --volume refused", p.stderr)
        p = sgrun("discover", "--incident", "INC-NO-MANIFEST-%d" % os.getpid())
        check(p.returncode == 2 and "evidence manifest" in p.stderr and "--from-tags" in p.stderr,
              "no evidence manifest: the error points at --from-tags", p.stderr)
        p = sgrun("discover", "--incident", "INC-*", "--from-tags")
        check(p.returncode == 2 and "wildcards" in p.stderr, "a wildcard incident id is refused", p.stderr)
        p = sgrun("discover", "--incident", "INC-A", "--from-tags", "--instance-id", "i-xyz")
        check(p.returncode == 2 and "not an instance id" in p.stderr, "a bad --instance-id is refused", p.stderr)


if __name__ == "__main__":
    if os.environ.get("SSRFGUARD_IN_NETNS") != "1":
        sys.exit("run me inside tests/netns-run")
    main()
