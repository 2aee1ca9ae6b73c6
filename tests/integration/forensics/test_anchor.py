#!/usr/bin/python3
"""`ssrfguard forensics examine --evidence-bucket B` against the AWS emulator
(tests/emulator), inside tests/netns-run: the custody log's head and the
report's hashes are written to S3 through the project's AWS client, and a
write that fails is an honest status, never "ok".

Checked: the object is where the result line says, holds exactly the head
and report hashes the log held, its SHA-256 is the one reported; the upload
itself is logged after it (custody-anchored: where, the object's SHA-256,
the head it anchors), and the result line's head is the log's last;
`verify-log --report OBJECT` passes with the object read back from S3, and
catches the removal of the upload's entry and an edit before it.  A missing
bucket and a key S3 does not know give exit 3, status "incomplete", the
anchor "failed" with S3's reason, logged as custody-anchor-failed, and the
report still written.

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
        check(rec.get("custody_head") == a.get("custody_head") and a.get("logged") is True,
              "the object holds the head the result line says it anchors", (rec, a))
        log = os.path.join(out, "custody.log")
        with open(log, "rb") as f:
            raw = f.read().splitlines(True)
        entries = [json.loads(x) for x in raw]
        up = entries[-1] if entries else {}
        check(up.get("action") == "custody-anchored"
              and up.get("subject") == "INC-7/x s3://evidence-b/" + key
              and up.get("hashes", {}).get("anchor_sha256") == a.get("sha256")
              and up.get("hashes", {}).get("custody_head") == rec.get("custody_head"),
              "the upload is logged after it: where, the object's SHA-256, the head", up)
        check(len(entries) == rec.get("custody_entries", 0) + 1
              and hashlib.sha256(raw[-2].rstrip(b"\n")).hexdigest() == rec.get("custody_head"),
              "the object anchors the entry just before the upload's", rec)
        check(hashlib.sha256(raw[-1].rstrip(b"\n")).hexdigest() == res.get("custody_head"),
              "the result line's head is the log's last (the upload's entry)", res.get("custody_head"))
        check(rec.get("report_json_sha256") == res.get("report_sha256")
              and rec.get("report_md_sha256") == res.get("report_md_sha256"),
              "the object holds the report's hashes", rec)
        check(hashlib.sha256(body).hexdigest() == a.get("sha256"), "the object's SHA-256 is the one reported")
        with open(os.path.join(out, "report.json"), "rb") as f:
            check(hashlib.sha256(f.read()).hexdigest() == rec.get("report_json_sha256"),
                  "the report on disk hashes to what the bucket holds")
        obj = os.path.join(work, "anchor.json")
        with open(obj, "wb") as f:
            f.write(body)

        def verify(path, *extra):
            return subprocess.run([sg, "forensics", "verify-log", *extra, path],
                                  capture_output=True, text=True, timeout=60)
        v = verify(log, "--report", obj)
        check(v.returncode == 0, "verify-log --report (the object from S3) passes", v.stdout + v.stderr)
        v = verify(log, "--expect-head", res.get("custody_head", ""))
        check(v.returncode == 0, "verify-log --expect-head (the result line's head) passes",
              v.stdout + v.stderr)
        cut = os.path.join(work, "cut.log")
        with open(cut, "wb") as f:
            f.writelines(raw[:-1])
        v = verify(cut, "--report", obj)
        check(v.returncode == 1, "the upload's entry removed: caught against the object from S3",
              v.stdout + v.stderr)
        edited = os.path.join(work, "edited.log")
        with open(edited, "wb") as f:
            f.writelines(raw[:-2] + [raw[-2].replace(b"examine-done", b"examine-DONE")])
        v = verify(edited, "--report", obj)
        check(v.returncode == 1, "an edit of the anchored entry is caught against the object from S3",
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
            last = {}
            try:
                with open(os.path.join(out, "custody.log")) as f:
                    last = json.loads(f.read().splitlines()[-1])
            except (OSError, ValueError, IndexError):
                pass
            check(last.get("action") == "custody-anchor-failed" and reason in last.get("subject", "")
                  and "s3://" + bucket + "/ssrfguard-custody/" in last.get("subject", ""),
                  name + ": the failed upload is logged, with where and why", last)

        # --- a bucket name S3 cannot have: refused before anything is read
        p = subprocess.run([sg, "forensics", "examine", "--device", img, "--out", os.path.join(work, "bad"),
                            "--evidence-bucket", "Bad_Bucket"], env=env, capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 2 and "--evidence-bucket" in p.stderr and not os.path.exists(os.path.join(work, "bad")),
              "a bad bucket name: a usage error, nothing examined", p.stdout + p.stderr)


if __name__ == "__main__":
    main()
