#!/usr/bin/python3
"""`ssrfguard forensics examine --evidence-bucket B` against the AWS emulator
(tests/emulator), inside tests/netns-run: the custody log's head and the
report's hashes are written to S3 through the project's AWS client, and a
write that fails is an honest status, never "ok".

Checked: the object is where the result line says, holds exactly the head
and report hashes the result line and the log hold, its SHA-256 is the one
reported, and `verify-log --expect-head` passes against the head read back
from S3; an edit of the log's last line is caught against it.  A missing
bucket and a key S3 does not know give exit 3, status "incomplete", the
anchor "failed" with S3's reason, and the report still written.

usage: test_anchor.py SSRFGUARD_BINARY
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))
from control import Emulator  # noqa: E402

failures = []


def check(cond, what, detail=""):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)
        if detail:
            print("   ", str(detail)[:2000], flush=True)
    return cond


def last_json(text):
    try:
        return json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}


def main():
    sg = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="sg-fxanchor-")
    try:
        run(sg, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("all checks passed")


def run(sg, work):
    tree = os.path.join(work, "tree")
    os.makedirs(os.path.join(tree, "etc"))
    with open(os.path.join(tree, "etc", "hostname"), "w") as f:
        f.write("web-1\n")
    img = os.path.join(work, "ev.img")
    with open(img, "wb") as f:
        f.truncate(4 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", tree, img], check=True,
                   env={"PATH": "/usr/sbin:/sbin:/usr/bin:/bin"})
    with Emulator.start() as emu:
        s3 = emu.client("s3")
        s3.create_bucket(Bucket="evidence-b")
        env = dict(os.environ)
        env.update(emu.env())
        env["HOME"] = work
        env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(work, "no-credentials")
        env["AWS_CONFIG_FILE"] = os.path.join(work, "no-config")
        env["SSRFGUARD_AWS_BACKOFF_BASE_MS"] = "10"

        def examine(out, bucket, env_over=None):
            e = dict(env)
            e.update(env_over or {})
            return subprocess.run([sg, "forensics", "examine", "--device", img, "--out", out,
                                   "--incident", "INC-7/x", "--evidence-bucket", bucket,
                                   "--no-device-hash"], env=e, capture_output=True, text=True,
                                  timeout=120)

        # --- written: what the result line says is in the bucket
        out = os.path.join(work, "case")
        p = examine(out, "evidence-b")
        res = last_json(p.stdout)
        a = res.get("custody_anchor") or {}
        check(p.returncode == 0 and res.get("status") == "ok", "anchor written: exit 0, ok",
              p.stdout + p.stderr)
        check(a.get("status") == "written" and a.get("bucket") == "evidence-b",
              "the result line says written, and where", a)
        key = a.get("key", "")
        check(key.startswith("ssrfguard-custody/INC-7_x/") and key.endswith(".json"),
              "the key names the incident (characters S3 would need encoded made '_')", key)
        body = b""
        try:
            body = s3.get_object(Bucket="evidence-b", Key=key)["Body"].read()
        except Exception as exc:  # noqa: BLE001
            check(False, "the object is in the bucket", exc)
        rec = json.loads(body or b"{}")
        check(rec.get("custody_head") == res.get("custody_head"),
              "the object holds the head the result line gives", (rec, res.get("custody_head")))
        check(rec.get("report_json_sha256") == res.get("report_sha256")
              and rec.get("report_md_sha256") == res.get("report_md_sha256"),
              "the object holds the report's hashes", rec)
        check(hashlib.sha256(body).hexdigest() == a.get("sha256"), "the object's SHA-256 is the one reported")
        with open(os.path.join(out, "report.json"), "rb") as f:
            check(hashlib.sha256(f.read()).hexdigest() == rec.get("report_json_sha256"),
                  "the report on disk hashes to what the bucket holds")
        log = os.path.join(out, "custody.log")
        v = subprocess.run([sg, "forensics", "verify-log", "--expect-head", rec.get("custody_head", ""), log],
                           capture_output=True, text=True, timeout=60)
        check(v.returncode == 0, "verify-log --expect-head (the head from S3) passes", v.stdout + v.stderr)
        with open(log) as f:
            lines = f.read().splitlines(True)
        lines[-1] = lines[-1].replace("examine-done", "examine-DONE")
        with open(log, "w") as f:
            f.writelines(lines)
        v = subprocess.run([sg, "forensics", "verify-log", "--expect-head", rec.get("custody_head", ""), log],
                           capture_output=True, text=True, timeout=60)
        check(v.returncode != 0, "an edit of the log's last line is caught against the head in S3",
              v.stdout + v.stderr)

        # --- failures: never ok, the reason named, the report still there
        for name, bucket, over, reason in (
                ("no such bucket", "no-such-bucket-x", None, "NoSuchBucket"),
                ("a key S3 does not know", "evidence-b",
                 {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 40}, "")):
            out = os.path.join(work, "case-" + name.replace(" ", "-"))
            p = examine(out, bucket, over)
            res = last_json(p.stdout)
            a = res.get("custody_anchor") or {}
            check(p.returncode == 3 and res.get("status") == "incomplete",
                  name + ": exit 3, status incomplete (never ok)", p.stdout + p.stderr)
            check(a.get("status") == "failed" and reason in a.get("error", ""),
                  name + ": the anchor failed, with S3's reason", a)
            check("evidence bucket" in res.get("error", ""), name + ": the result's error says so",
                  res.get("error"))
            check(os.path.exists(os.path.join(out, "report.json")), name + ": the report is still written")

        # --- a bucket name S3 cannot have: refused before anything is read
        p = subprocess.run([sg, "forensics", "examine", "--device", img, "--out", os.path.join(work, "bad"),
                            "--evidence-bucket", "Bad_Bucket"], env=env, capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 2 and "--evidence-bucket" in p.stderr and not os.path.exists(os.path.join(work, "bad")),
              "a bad bucket name: a usage error, nothing examined", p.stdout + p.stderr)


if __name__ == "__main__":
    main()
