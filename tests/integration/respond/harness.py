"""Shared helpers for the respond integration tests (run inside tests/netns-run).

Starts the emulator (tests/emulator) on loopback, runs `ssrfguard respond`
against it, and checks the emulator's state after the playbook field by
field.  Debian's /usr/bin/python3 only; no third-party modules.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EMULATOR = os.path.join(ROOT, "tests", "emulator", "emulator.py")
FLEET = os.path.join(ROOT, "tests", "emulator", "scenarios", "fleet.json")
VARIANTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "variants.json")

VICTIM = "i-0a1b2c3d4e5f60001"
FORENSIC = "i-0f0000000000000f1"
# the SSM-only profile swapped in before the revocation (docs/respond.md)
QUARANTINE_PROFILE = "arn:aws:iam::123456789012:instance-profile/ssrfguard-quarantine-profile"
ROLE = "web-fleet-role"
CREDS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
         "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
         "AWS_REGION": "us-east-1"}
# the forensic instance's launch template of --forensic-launch-template
# (the fleet's subnet, the forensics profile the SSM agent may use)
FORENSIC_TEMPLATE = {"LaunchTemplateName": "ssrfguard-forensics", "LaunchTemplateData": {
    "ImageId": "ami-0f0000000000000f1", "InstanceType": "m5.large",
    "IamInstanceProfile": {"Name": "forensics-profile"},
    "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-0a000000000000001",
                           "Groups": ["sg-0f000000000000001"]}]}}
# Every timed transition the playbook waits on, short: each still happens
# (a poll every 50 ms sees the in-between state), the run just waits less.
# (The web-instances target group's own deregistration delay in fleet.json,
# 1 s, wins over deregistration_delay_seconds: the asg step still waits for
# a drain it is told about.)
FAST_TIMING = {"snapshot_seconds": 0.3, "attach_seconds": 0.2, "metadata_seconds": 0.2,
               "ssm_seconds": 0.2, "ssm_visible_seconds": 0.2, "volume_seconds": 0.2,
               "deregistration_delay_seconds": 0.2}

failures = []
_say_lock = threading.Lock()


class Webhook:
    """A webhook receiver on loopback: .url to give --webhook, .got the
    JSON bodies received, in order.  With cert and key it speaks https."""

    def __init__(self, cert=None, key=None):
        import http.server
        import ssl
        import threading
        got = self.got = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                got.append(json.loads(self.rfile.read(n)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"{'https' if cert else 'http'}://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()


def say(line):
    """Print one whole line, flushed: tests running cases on threads do not
    mix their lines."""
    with _say_lock:
        print(line, flush=True)


def check(cond, what):
    if not cond:
        failures.append(what)
        say(f"FAIL: {what}")
    return cond


def finish(name):
    if failures:
        print(f"{name}: {len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print(f"{name}: ok", flush=True)
    sys.exit(0)


class Emulator:
    def __init__(self, seeds=(FLEET,), timing=FAST_TIMING):
        if os.environ.get("SSRFGUARD_IN_NETNS") != "1":
            sys.exit("refusing to run outside tests/netns-run")
        self.dir = tempfile.mkdtemp(prefix="rsp-emu-")
        ready = os.path.join(self.dir, "ready")
        self.log = open(os.path.join(self.dir, "emu.log"), "w")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", EMULATOR, "--port", "0", "--imds-port", "0", "--seed", seeds[0],
             "--ready-file", ready], stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._setup(ready, seeds, timing)
        except BaseException:
            self.stop()     # a seed refused, a timeout: no emulator left behind
            raise

    def _setup(self, ready, seeds, timing):
        # The ready file appears (written whole: os.replace) once it serves.
        # Wait for that or for its exit, never a fixed time: several started
        # side by side on a loaded machine took over 10 s to import
        # (respond-crash-all, load 40); meson's timeout bounds the test.
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                with open(os.path.join(self.dir, "emu.log")) as f:
                    raise RuntimeError("emulator exited %d before it was ready: %s"
                                       % (self.proc.returncode, f.read()[-2000:]))
            time.sleep(0.05)
        with open(ready) as f:
            self.url = json.load(f)["aws"]
        for s in seeds[1:]:
            with open(s) as f:
                self.post("/seed", json.load(f))
        if timing:
            self.post("/timing", timing)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/_emulator" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read().decode())

    def post(self, path, body):
        return self.call("POST", path, body)

    def state(self):
        return self.call("GET", "/state")

    def journal(self):
        return self.call("GET", "/journal")["calls"]

    def faults(self, rules):
        return self.post("/faults", {"rules": rules})

    def clear_faults(self):
        return self.call("DELETE", "/faults")

    def env(self):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("AWS_"):
                del e[k]
        e.update(CREDS)
        e["AWS_ENDPOINT_URL"] = self.url
        e.pop("SSRFGUARD_RESPOND_CRASH", None)
        return e

    def instance_env(self, instance_id):
        """env() signing as a process on instance_id does: with the role
        session its instance profile hands out (SQS's SenderId
        ROLEID:instance_id, as a detector on that host sends)."""
        c = self.post("/imds/credentials", {"instance_id": instance_id})
        e = self.env()
        e.update({"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
                  "AWS_SESSION_TOKEN": c["Token"]})
        return e

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def respond(binary, emu, workdir, *args, crash=None, timeout=120, extra_env=None,
            quarantine_profile=QUARANTINE_PROFILE, report_dir=None):
    env = emu.env()
    if crash:
        env["SSRFGUARD_RESPOND_CRASH"] = crash
    if extra_env:
        env.update(extra_env)
    cmd = [binary, "respond", "--store", os.path.join(workdir, "inc.db"), "--owner", "respond:test",
           "--forensic-instance", FORENSIC, "--report-dir", report_dir or os.path.join(workdir, "reports"),
           "--forensics-wait", "0",  # the emulator runs no examiner here
           *(("--quarantine-profile", quarantine_profile) if quarantine_profile else ()),
           "--poll-ms", "50", "--step-backoff-ms", "50", "--aws-backoff-ms", "20",
           "--capture-timeout", "5", "--lease-ms", "1000", *args]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       text=True)
    return p


KEY_NAME = re.compile(r"INC-[0-9]+-[0-9a-f]{16}")  # an AWS key, as a report file names it


def report_path(workdir, inc, ext="json"):
    """The report file inc ("INC-1") of the responder that ran in workdir:
    reports/KEY.ext, KEY the incident's AWS key (INC-1-STORE; INC-1 for an
    incident older than its store's identity).  The one such file, or the
    name it would have had (so that a check can say it is missing)."""
    d = os.path.join(workdir, "reports")
    names = sorted(n for n in (os.listdir(d) if os.path.isdir(d) else ())
                   if re.fullmatch(f"{re.escape(inc)}(-[0-9a-f]{{16}})?\\.{ext}", n))
    return os.path.join(d, names[0] if len(names) == 1 else f"{inc}-STORE.{ext}")


def aws_key(inc):
    """The regular expression of incident inc's AWS key: INC-N-STORE
    (playbook/incname.h): its SSM comments, S3 prefixes, share tags."""
    return re.escape(inc) + r"-[0-9a-f]{16}"


def comment_is(comment, inc, what):
    """Whether an SSM command's comment is inc's `what` ("forensics", ...)."""
    return bool(re.fullmatch(f"ssrfguard {aws_key(inc)} {re.escape(what)}", comment or ""))


def json_log_line(line):
    """The parsed line when it is one of logging.h's JSON log lines (ts in
    RFC 3339 UTC, a level word, an event), else None."""
    try:
        d = json.loads(line)
    except ValueError:
        return None
    ts = d.get("ts", "") if isinstance(d, dict) else ""
    ok = (re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts)
          and d.get("level") in ("debug", "info", "warning", "error") and d.get("event"))
    return d if ok else None


def end(proc, seconds):
    """SIGTERM to proc, SIGKILL if it has not exited within seconds; its
    exit status (negative: the signal that ended it)."""
    proc.terminate()
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def wait(cond, seconds, step=0.2):
    """Poll cond until it is true or seconds pass; its last answer."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def http_get(url, timeout=30):
    """(status, body) of a GET; (0, why) when no answer came."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def guardduty_rule(env, queue_name):
    """The EventBridge rule of docs/fleet.md to queue_name, with its queue
    policy (tests/integration/aws/guardduty_rule.py)."""
    import botocore.session
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "aws"))
    import guardduty_rule
    s = botocore.session.get_session()
    kw = dict(region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"],
              aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    return guardduty_rule.put(s.create_client("sqs", **kw), s.create_client("events", **kw), queue_name)


def tags(obj):
    t = obj.get("Tags") or obj.get("TagSet") or []
    if isinstance(t, dict):
        return t
    return {x["Key"]: x["Value"] for x in t}


def verify_contained(st, inc, victim=VICTIM, asg="web-asg", desired=2, role=ROLE, forensic=FORENSIC,
                     n_volumes=2, n_enis=2, label="", captured=True):
    """Every field the playbook promises, checked on the emulator's state."""
    L = f"{label}{inc}: "
    ec2 = st["ec2"]
    inst = ec2["instances"][victim]
    a = inst["Attributes"]
    check(a["DisableApiTermination"] is True, L + "termination protection")
    check(a["DisableApiStop"] is True, L + "stop protection")
    check(a["InstanceInitiatedShutdownBehavior"] == "stop", L + "shutdown behaviour stop")
    mo = inst["MetadataOptions"]
    check(mo["HttpTokens"] == "required" and mo["HttpPutResponseHopLimit"] == 1 and mo["State"] == "applied",
          L + f"IMDS hardened and applied: {mo}")
    for b in inst["BlockDeviceMappings"]:
        check(b["Ebs"]["DeleteOnTermination"] is False, L + f"{b['DeviceName']} kept on termination")
    t = tags(inst)
    check(t.get("IncidentId") == inc, L + f"IncidentId tag {t.get('IncidentId')}")
    check(re.fullmatch("[0-9a-f]{16}", t.get("ssrfguard:store", "")), L + f"ssrfguard:store tag {t}")
    check(t.get("InvestigationTicket") == "SSRF_Detected", L + "InvestigationTicket tag")
    check(t.get("ssrfguard:status") == "contained", L + f"status tag {t.get('ssrfguard:status')}")
    # the role's profile gone: only the quarantine profile (or none) is left
    assoc = [x for x in ec2["iam_instance_profile_associations"].values()
             if x["InstanceId"] == victim and x["State"] in ("associated", "associating")]
    check(all(x["IamInstanceProfile"]["Arn"] == QUARANTINE_PROFILE for x in assoc),
          L + f"a profile other than the quarantine profile still associated: {assoc}")
    # network: every ENI only in its VPC's quarantine group, which has no rules
    sgs = ec2["security_groups"]
    enis = [e for e in ec2["network_interfaces"].values()
            if (e.get("Attachment") or {}).get("InstanceId") == victim]
    check(len(enis) == n_enis, L + f"{len(enis)} ENIs, want {n_enis}")
    for e in enis:
        gs = [g["GroupId"] for g in e["Groups"]]
        check(len(gs) == 1, L + f"{e['NetworkInterfaceId']} groups {gs}")
        g = sgs.get(gs[0], {})
        check(tags(g).get("ssrfguard:role") == "quarantine", L + f"{gs[0]} is not the quarantine group")
        check(g.get("VpcId") == e["VpcId"], L + "quarantine group in the ENI's VPC")
        check(g.get("IpPermissions") == [] and g.get("IpPermissionsEgress") == [],
              L + f"quarantine group has rules: {g.get('IpPermissions')} {g.get('IpPermissionsEgress')}")
    for vpc in set(e["VpcId"] for e in enis):
        for role_name in ("quarantine", "open"):
            n = [g for g in sgs.values() if g["VpcId"] == vpc and tags(g).get("ssrfguard:role") == role_name]
            check(len(n) == 1, L + f"{len(n)} {role_name} groups in {vpc}, want exactly 1")
    opn = [g for g in sgs.values() if tags(g).get("ssrfguard:role") == "open"]
    for g in opn:
        check(any("::/0" in [r.get("CidrIpv6") for r in p.get("Ipv6Ranges", [])] for p in g["IpPermissionsEgress"]),
              L + "all-open group allows IPv6 egress")
    # ASG
    if asg:
        g = st["autoscaling"][asg]
        check(victim not in [i["InstanceId"] for i in g["Instances"]], L + "still in the ASG")
        check(g["DesiredCapacity"] == desired, L + f"desired capacity {g['DesiredCapacity']}, want {desired}")
    # load balancers: not a target by id or by any address
    addrs = set()
    for e in enis:
        for p in e.get("PrivateIpAddresses", []):
            addrs.add(p["PrivateIpAddress"])
        for p in e.get("Ipv6Addresses", []):
            addrs.add(p["Ipv6Address"] if isinstance(p, dict) else p)
    for tg in st["elbv2"].values():
        for tgt in tg["Targets"]:
            if tgt.get("state") in ("draining", "unused") and tgt["Id"] in addrs | {victim}:
                continue
            check(tgt["Id"] != victim and tgt["Id"] not in addrs,
                  L + f"still a target of {tg['TargetGroupName']}: {tgt}")
    for lb in st["elb"].values():
        check(victim not in [i["InstanceId"] for i in lb["Instances"]], L + f"still in ELB {lb['LoadBalancerName']}")
    # revocation: the role's one deny policy, with one statement for this
    # instance, both conditions
    if role:
        pols = st["iam"]["roles"][role]["Policies"]
        name = "ssrfguard-revoke"
        check(list(pols) == [name], L + f"policies {list(pols)}, want only {name}")
        if name in pols:
            mine = [x for x in pols[name]["Statement"]
                    if x["Condition"]["ArnEquals"]["ec2:SourceInstanceARN"].endswith(f":instance/{victim}")]
            check(len(mine) == 1, L + f"{len(mine)} statements for {victim}, want 1")
            for stmt in mine:
                c = stmt["Condition"]
                check(stmt["Effect"] == "Deny" and stmt["Action"] == "*", L + "deny all")
                check("aws:TokenIssueTime" in c["DateLessThan"], L + "token issue time")
    # snapshots: one per volume, tagged
    snaps = [s for s in ec2["snapshots"].values() if tags(s).get("IncidentId") == inc]
    check(len(snaps) == n_volumes, L + f"{len(snaps)} snapshots, want {n_volumes} (duplicates?)")
    for s in snaps:
        check(tags(s).get("ssrfguard:source-volume") == s["VolumeId"], L + "snapshot source-volume tag")
        check(tags(s).get("ssrfguard:device", "").startswith("/dev/"), L + "snapshot device tag")
    # evidence volumes: one per snapshot, attached to the forensic instance at distinct free slots
    if forensic:
        vols = [v for v in ec2["volumes"].values() if tags(v).get("IncidentId") == inc]
        check(len(vols) == n_volumes, L + f"{len(vols)} evidence volumes, want {n_volumes} (duplicates?)")
        fi = ec2["instances"][forensic]
        taken = {"/dev/xvda", "/dev/sdf", "/dev/sdg"}
        devs = []
        for v in vols:
            att = [x for x in v["Attachments"] if x["InstanceId"] == forensic]
            check(len(att) == 1, L + f"{v['VolumeId']} not attached to the forensic instance")
            if att:
                devs.append(att[0]["Device"])
            check(v["AvailabilityZone"] == fi["Placement"]["AvailabilityZone"], L + "volume in the forensic AZ")
        check(len(set(devs)) == len(devs) and not (set(devs) & taken), L + f"device slots {devs}")
        cmds = [c for c in st["ssm"]["commands"].values() if comment_is(c.get("Comment"), inc, "forensics")]
        check(len(cmds) == 1, L + f"{len(cmds)} forensic commands, want 1")
        if cmds:
            line = cmds[0]["Parameters"]["commands"][0]
            check(re.match(f"ssrfguard forensics examine --incident {aws_key(inc)} --volume vol-", line),
                  L + f"forensic command line: {line}")
            check(cmds[0]["InstanceIds"] == [forensic], L + "forensic command target")
    caps = [c for c in st["ssm"]["commands"].values() if comment_is(c.get("Comment"), inc, "volatile capture")]
    want = 1 if captured else 0
    check(len(caps) == want, L + f"{len(caps)} capture commands, want {want}")


def fingerprint(st, inc):
    """What must be identical between a clean run and a crashed-and-resumed
    one (ids of created things differ; their number and shape must not)."""
    ec2 = st["ec2"]
    f = {}
    f["snapshots"] = sorted((s["VolumeId"], tags(s).get("ssrfguard:device")) for s in ec2["snapshots"].values()
                            if tags(s).get("IncidentId") == inc)
    f["volumes"] = sorted(tags(v).get("ssrfguard:source-volume") for v in ec2["volumes"].values()
                          if tags(v).get("IncidentId") == inc)
    f["groups"] = sorted((g["GroupName"], len(g["IpPermissions"]), len(g["IpPermissionsEgress"]))
                         for g in ec2["security_groups"].values() if "ssrfguard:role" in tags(g))
    f["desired"] = {k: g["DesiredCapacity"] for k, g in st["autoscaling"].items()}
    f["asg_size"] = {k: len(g["Instances"]) for k, g in st["autoscaling"].items()}
    f["policies"] = {k: sorted(r["Policies"]) for k, r in st["iam"]["roles"].items()}
    # each run has a store of its own: its identity differs, not its place
    f["commands"] = sorted(re.sub(r"-[0-9a-f]{16} ", "-STORE ", c.get("Comment", ""))
                           for c in st["ssm"]["commands"].values())
    inst = ec2["instances"][VICTIM]
    f["victim_tags"] = {k: "STORE" if k == "ssrfguard:store" else v for k, v in tags(inst).items()}
    return f


# A journaled change is written before its call, so it says what was asked,
# never what happened ("attach vol-… at /dev/sdf", not "attached"): the
# call's result says that.  Its first word is one of these verbs, or the
# API action itself when the step gave no words (CreateTags).
INTENT_VERBS = {"allow", "attach", "copy", "create", "delete", "deregister", "detach",
                "disassociate", "dry", "enter", "launch", "move", "put", "replace", "restore",
                "revoke", "send", "set", "share", "snapshot", "swap", "tag", "take", "turn"}


def intent_worded(change):
    w = change.split(" ", 1)[0]
    return w in INTENT_VERBS or re.fullmatch(r"(?:[A-Z][a-z0-9]+){2,}", w) is not None


def report_ok(workdir, inc, want_outcome="contained"):
    p = report_path(workdir, inc)
    if not check(os.path.exists(p), f"{inc}: report {p} written"):
        return None
    r = json.load(open(p))
    if not check(r["outcome"] == want_outcome, f"{inc}: report outcome {r['outcome']}, want {want_outcome}"):
        for s in r["steps"]:
            if s["state"] not in ("done", "skipped"):
                errs = [c.get("error") for c in s.get("calls", []) if c.get("error")]
                print(f"  step {s['name']}: {s['state']}: {s.get('result')} {errs[-3:]}", flush=True)
    md = report_path(workdir, inc, "md")
    check(os.path.exists(md) and "| change asked | result |" in open(md).read(), f"{inc}: Markdown timeline")
    names = [s["name"] for s in r["steps"]]
    check(names[0] == "record" and names[-1] == "finish" and len(names) == 13, f"{inc}: steps {names}")
    for s in r["steps"]:
        for c in s.get("calls", []):
            if "error" not in c and c["api"].split(":")[0] not in ("ssm",):
                check(c.get("request_id"), f"{inc}: {c['api']} without request id")
            if c.get("change"):
                check(intent_worded(c["change"]), f"{inc}: {c['api']}'s change is not worded as "
                      f"an intent: {c['change']!r}")
    return r
