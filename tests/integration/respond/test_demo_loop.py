#!/usr/bin/env python3
"""The main job's whole loop (scripts/demo-respond.sh, issue 16): an SSRF
attempt is blocked, the responder contains the victim on the AWS emulator,
its root volume -- a real ext4 image with an intruder's traces
(scripts/demo-victim.sh) -- is carried by snapshot -> volume -> attach to
the forensic instance, where the SSM command really runs `ssrfguard
forensics examine`; the examination's result joins the incident and the
demo ends by showing the findings.  Asserts that each of those happened:
the webshell and the other plants among the incident's findings, the
report's SHA-256 that of the file written on the forensic side, the device
hash that of the victim's image (the bytes arrived), the custody log
intact up to the head the incident recorded.  Then, while the emulator is
still up, an examiner re-examines the incident over SSM Run Command on the
forensic instance, finding the evidence by the responder's tags
(--from-tags, the instance's own role over IMDS) and given no
--incident-time: the timeline window comes from the volume's
ssrfguard:incident-time tag the responder wrote, and is the one the
responder's own command line gave.  And a `serve` that dies at start makes run.sh and demo-respond.sh
stop with the reason, claiming nothing.  Runs under tests/netns-run.

usage: test_demo_loop.py SSRFGUARD
       test_demo_loop.py SSRFGUARD --reexamine DIR   (demo-respond.sh's DEMO_THEN)"""
import hashlib
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SG = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FORENSIC = "i-0f0000000000000f1"
TAG_FROM = "the responder's tag ssrfguard:incident-time"
PLANTED = {("added", "/var/www/html/.thumb.php"), ("added", "/etc/cron.d/sysupdate"),
           ("modified", "/usr/bin/ps"), ("modified", "/home/ec2-user/.ssh/authorized_keys"),
           ("added", "/var/tmp/.ICE-x")}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def reexamine(keep):
    """DEMO_THEN: the playbook is over, the evidence volume still attached
    to the forensic instance.  An examiner runs the examination again there
    through SSM Run Command (the emulator runs it for real, as it ran the
    responder's), this time by the incident's tags and without
    --incident-time; its invocation goes to DIR/reexamine.json."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))
    from control import Emulator
    urls = json.load(open(os.environ["DEMO_READY"]))
    emu = Emulator(urls["aws"], urls.get("imds"))
    emu.imds(instance_id=FORENSIC)          # this instance's metadata, and its role
    out = os.path.join(keep, "forensic-host", "cases", "INC-1-by-tags")
    cmd = (f"AWS_ENDPOINT_URL={urls['aws']} AWS_EC2_METADATA_SERVICE_ENDPOINT={urls['imds']}/ "
           f"{SG} forensics examine --incident INC-1 --from-tags --progress off --wait-device 10 "
           '--sysfs-root "$EMULATOR_SYSFS_ROOT" --dev-root "$EMULATOR_DEV_ROOT" '
           f"--baseline {keep}/baseline.jsonl --out {out} --custody-log {out}.custody.log "
           "--examiner ssm:examiner --no-device-hash")
    ssm = emu.client("ssm")
    cid = ssm.send_command(InstanceIds=[FORENSIC], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": [cmd]})["Command"]["CommandId"]
    inv = {}
    for _ in range(600):
        time.sleep(0.1)
        try:
            inv = ssm.get_command_invocation(CommandId=cid, InstanceId=FORENSIC)
        except ssm.exceptions.InvocationDoesNotExist:
            continue   # not yet: as AWS says for a moment after SendCommand
        if inv["Status"] not in ("Pending", "InProgress", "Delayed"):
            break
    inv.pop("ResponseMetadata", None)
    with open(os.path.join(keep, "reexamine.json"), "w") as f:
        json.dump(inv, f, default=str)


class Hook(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hook.got.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


class DemoLoop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="demo-loop-")
        cls.dir = cls.tmp.name
        hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=hook.serve_forever, daemon=True).start()
        env = dict(os.environ, SSRFGUARD=SG, DEMO_KEEP=cls.dir, SSRFGUARD_IN_NETNS="1",
                   DEMO_WEBHOOK=f"http://127.0.0.1:{hook.server_address[1]}/hook",
                   DEMO_THEN=f"/usr/bin/python3 {os.path.abspath(__file__)} {SG} --reexamine {cls.dir}")
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "demo-respond.sh")], env=env,
                           capture_output=True, text=True, timeout=240)
        hook.shutdown()
        cls.out, cls.err, cls.rc = p.stdout, p.stderr, p.returncode
        q = subprocess.run([SG, "incidents", "--store", os.path.join(cls.dir, "incidents.db"), "show",
                            "1", "--json"], capture_output=True, text=True, timeout=30)
        cls.inc = json.loads(q.stdout) if q.returncode == 0 else {}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def exam(self):
        self.assertEqual(self.rc, 0, self.err[-3000:])
        fx = self.inc.get("forensics")
        self.assertIsNotNone(fx, "no forensic examination in the incident:\n" + self.out[-3000:])
        self.assertEqual(fx["ssm_status"], "Success", fx)
        return fx["examination"]

    def test_the_findings_join_the_incident(self):
        ex = self.exam()
        self.assertEqual(ex["status"], "ok", ex)
        self.assertRegex(ex["incident"], r"^INC-1-[0-9a-f]{16}$")  # its AWS key
        [ev] = ex["evidence"]
        got = {(f["class"], f["path"]) for f in ev["top_findings"]}
        self.assertEqual(got, PLANTED)      # the clean files are not findings
        self.assertEqual(ev["findings"], 5)
        self.assertEqual(ev["findings_omitted"], 0)
        shell = next(f for f in ev["top_findings"] if f["path"] == "/var/www/html/.thumb.php")
        self.assertEqual(shell["interest"], "web root")
        # YARA read the new and changed files: the webshell and the cron downloader match
        y = ev["yara"]
        self.assertEqual((y["scope"], y["status"], y["scanned"]), ("changed", "complete", 5), y)
        self.assertEqual({(m["path"], tuple(m["rules"])) for m in y["matches"]},
                         {("/var/www/html/.thumb.php", ("webshells.php_webshell_request_exec",)),
                          ("/etc/cron.d/sysupdate", ("persistence.cron_download_and_execute",))})
        # the persistence places reach the incident too
        self.assertEqual({(p["path"], p["kind"], p["baseline"]) for p in ev["persistence"]},
                         {("/etc/crontab", "cron", "unchanged"),
                          ("/etc/cron.d/sysupdate", "cron", "added"),
                          ("/home/ec2-user/.ssh/authorized_keys", "ssh authorized_keys", "modified"),
                          ("/var/tmp/.ICE-x", "setuid/setgid", "added")})
        step = next(s for s in self.inc["steps"] if s["name"] == "forensics")
        self.assertEqual(step["state"], "done")
        self.assertIn("5 finding(s)", step["result"])

    def test_the_bytes_arrived_and_the_report_is_what_was_written(self):
        ex = self.exam()
        [ev] = ex["evidence"]
        self.assertEqual(ev["device_sha256"], sha256(os.path.join(self.dir, "victim.img")))
        self.assertTrue(ex["report"].startswith(os.path.join(self.dir, "forensic-host", "cases", "INC-1")))
        self.assertEqual(sha256(ex["report"]), ex["report_sha256"])
        with open(ex["report"]) as f:
            rep = json.load(f)
        self.assertIn("/var/www/html/.thumb.php", [f["path"] for f in rep["evidence"][0]["findings"]])
        # persistence places, whatever their hash says: the untouched crontab too
        places = {(p["path"], p["kind"], p["baseline"]) for p in rep["evidence"][0]["persistence"]}
        self.assertEqual(places, {("/etc/crontab", "cron", "unchanged"),
                                  ("/etc/cron.d/sysupdate", "cron", "added"),
                                  ("/home/ec2-user/.ssh/authorized_keys", "ssh authorized_keys", "modified"),
                                  ("/var/tmp/.ICE-x", "setuid/setgid", "added")})
        # the timeline around the incident: its time from the responder, the webshell marked
        self.assertEqual(rep["incident_time"]["from"], "--incident-time")
        win = rep["evidence"][0]["incident_window"]
        self.assertTrue(any(e["path"] == "/var/www/html/.thumb.php" and e.get("finding") == "added"
                            and e.get("yara") == ["webshells.php_webshell_request_exec"]
                            for e in win["events"]), win)
        v = subprocess.run([SG, "forensics", "verify-log", ex["custody_log"], "--expect-head",
                            ex["custody_head"], "--report", ex["report"]], capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_the_incident_time_from_the_volume_tag(self):
        ex = self.exam()
        with open(ex["report"]) as f:
            first = json.load(f)
        with open(os.path.join(self.dir, "reexamine.json")) as f:
            inv = json.load(f)
        self.assertEqual(inv["Status"], "Success", inv)
        res = json.loads(inv["StandardOutputContent"].strip().splitlines()[-1])
        self.assertEqual(res["status"], "ok", res)
        with open(res["report"]) as f:
            rep = json.load(f)
        [ev] = rep["evidence"]
        # found by the tags the responder wrote on the volume it made
        self.assertEqual(ev["source"]["found_by"], "tags")
        tagged = ev["source"]["tags"]["ssrfguard:incident-time"]
        self.assertEqual(tagged, self.inc["opened"])   # the incident's detection time
        # the window comes from the tag, and is the responder's own
        self.assertEqual(rep["incident_time"]["from"], TAG_FROM, rep["incident_time"])
        self.assertEqual(rep["incident_time"]["time"], tagged)
        self.assertEqual(rep["incident_time"], dict(first["incident_time"], **{"from": TAG_FROM}))
        win, win1 = ev["incident_window"], first["evidence"][0]["incident_window"]
        self.assertEqual((win["incident_time"], win["from"], win["events_in_window"]),
                         (win1["incident_time"], win1["from"], win1["events_in_window"]))
        self.assertTrue(any(e["path"] == "/var/www/html/.thumb.php" and e.get("finding") == "added"
                            and e.get("yara") == ["webshells.php_webshell_request_exec"]
                            for e in win["events"]), win)
        with open(res["report_md"]) as f:
            self.assertIn(f"| incident time | {tagged} (from {TAG_FROM}) |", f.read())

    def test_the_end_notification_carries_them(self):
        ex = self.exam()
        [end] = [m for m in Hook.got if m["event"] == "end"]
        self.assertEqual(end["text"], "playbook ended: contained; examination ok: 5 finding(s)")
        self.assertEqual(end["forensics"]["examination"], ex)

    def test_the_reports_and_the_demo_show_them(self):
        self.exam()
        [name] = [n for n in os.listdir(os.path.join(self.dir, "reports"))
                  if n.startswith("INC-1-") and n.endswith(".md")]  # INC-1-STORE.md
        with open(os.path.join(self.dir, "reports", name)) as f:
            md = f.read()
        self.assertIn("## Forensic examination", md)
        self.assertIn("| added | /var/www/html/.thumb.php | web root | new file |", md)
        self.assertIn(r"| /var/www/html/.thumb.php | added | webshells.php\_webshell\_request\_exec |", md)
        self.assertIn("| /etc/cron.d/sysupdate | cron | added |", md)
        tail = self.out[self.out.index("== what the intruder left"):]
        self.assertIn("(checked)", tail)
        self.assertRegex(tail, r"added +/var/www/html/\.thumb\.php +web root")
        self.assertRegex(tail, r"YARA +/var/www/html/\.thumb\.php +webshells\.php_webshell_request_exec")


class DeadServe(unittest.TestCase):
    """The scripts print a claim only once it holds: with a `serve` that
    dies at start, run.sh and demo-respond.sh stop with exit status 1, the
    reason and the log's path, and never say "listening" nor show a 403."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="dead-serve-")
        d = cls.tmp.name
        os.makedirs(os.path.join(d, "cli"))
        os.makedirs(os.path.join(d, "tests", "integration", "server"))
        upstream = os.path.join(os.path.dirname(os.path.dirname(SG)), "tests", "integration", "server",
                                "sg-upstream")
        os.symlink(upstream, os.path.join(d, "tests", "integration", "server", "sg-upstream"))
        cls.sg = os.path.join(d, "cli", "ssrfguard")
        with open(cls.sg, "w") as f:
            f.write('#!/bin/sh\nif [ "$1" = serve ]; then echo "serve: simulated start-up failure" >&2; '
                    'exit 1; fi\nexec "%s" "$@"\n' % SG)
        os.chmod(cls.sg, 0o755)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def stops_without_claims(self, name, why, claims):
        """Run scripts/NAME: exit 1, the reason and the log's path on
        stderr with the log's tail, none of the claims on stdout."""
        env = dict(os.environ, SSRFGUARD=self.sg, SSRFGUARD_IN_NETNS="1")
        env.pop("DEMO_KEEP", None)
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", name)], env=env, capture_output=True,
                           text=True, timeout=120)
        kept = p.stderr.rpartition("the demo's files are kept in ")[2].partition(")")[0]
        if kept.startswith("/tmp/ssrfguard-"):
            subprocess.run(["rm", "-rf", kept])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        for c in claims:
            self.assertNotIn(c, p.stdout)
        self.assertRegex(p.stderr, why)
        self.assertIn("simulated start-up failure", p.stderr)

    def test_run_sh(self):
        self.stops_without_claims("run.sh", r"run\.sh: ssrfguard serve did not start listening on "
                                  r"127\.0\.0\.1:5001 \(see /tmp/ssrfguard-demo-\w+/serve\.err",
                                  ["listening", "HTTP"])

    def test_demo_respond_sh(self):
        self.stops_without_claims("demo-respond.sh", r"demo-respond\.sh: ssrfguard serve --respond did not start "
                                  r"listening on 127\.0\.0\.1:5002 \(see /tmp/ssrfguard-respond-demo-\w+/"
                                  r"respond\.log", ["403", "the responder runs the playbook"])

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--reexamine":
        reexamine(sys.argv[2])
        sys.exit(0)
    unittest.main(verbosity=2)
