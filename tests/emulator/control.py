#!/usr/bin/python3
"""Drive the emulator from tests: start it, seed it, inspect it, inject faults.

Library (Debian's /usr/bin/python3; add tests/emulator to sys.path):

    from control import Emulator
    with Emulator.start(seed="tests/emulator/scenarios/fleet.json", imds=True) as emu:
        env = emu.env()                      # AWS_* variables for a client under test
        emu.fault(kind="throttle", action="DescribeInstances", count=2)
        out = emu.call("ec2", "DescribeInstances", InstanceIds=["i-0a1b2c3d4e5f60001"])
        emu.advance(5)                       # run timed transitions (snapshots...)
        st = emu.state()["ec2"]["snapshots"]

Command line (tests/emulator/emulatorctl is this file):

    emulatorctl run [--seed F]... [--imds] [--tls CERT KEY] -- CMD ARGS...
        start an emulator on free ports, run CMD with AWS_ENDPOINT_URL,
        AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
        AWS_EC2_METADATA_SERVICE_ENDPOINT (with --imds), EMULATOR_URL set,
        stop the emulator, exit with CMD's status
    emulatorctl [--url URL] state | journal | health | reset | seed FILE |
        fault JSON | faults | clear-faults | advance SECONDS | skew SECONDS | timing [JSON] |
        script JSON | imds JSON
        (URL defaults to $EMULATOR_URL)

Everything here must run inside tests/netns-run.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


class Emulator:
    def __init__(self, url, imds_url=None, tls_url=None, proc=None, region="us-east-1"):
        self.url = url.rstrip("/")
        self.imds_url = imds_url
        self.tls_url = tls_url
        self.proc = proc
        self.region = region
        self.key = DEFAULT_KEY

    # ------------------------------------------------------------ process
    @classmethod
    def start(cls, seed=None, imds=False, tls=None, host="127.0.0.1", extra=(), timeout=15.0):
        """Start emulator.py on free ports; return once it is serving."""
        if os.environ.get("SSRFGUARD_IN_NETNS") != "1":
            raise RuntimeError("the emulator runs only inside tests/netns-run")
        args = ["/usr/bin/python3", os.path.join(HERE, "emulator.py"), "--host", host, "--port", "0"]
        for s in ([seed] if isinstance(seed, str) else (seed or [])):
            args += ["--seed", s]
        if imds:
            args += ["--imds-port", "0"]
        if tls:
            args += ["--tls-port", "0", "--tls-cert", tls[0], "--tls-key", tls[1]]
        args += list(extra)
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=None, text=True)
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if line.startswith("emulator ready") or not line:
                break
        if not line.startswith("emulator ready"):
            p.kill()
            p.wait()
            raise RuntimeError(f"emulator did not start (exit {p.poll()})")
        urls = dict(kv.split("=", 1) for kv in line.split()[2:])
        return cls(urls["aws"], urls.get("imds"), urls.get("tls"), p)

    def stop(self):
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()

    def env(self, key=None, tls=False):
        """Environment for an AWS client under test (SDK variable names)."""
        akid, secret = key or self.key
        e = {"AWS_ENDPOINT_URL": self.tls_url if tls else self.url, "AWS_ACCESS_KEY_ID": akid,
             "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
             "EMULATOR_URL": self.url}
        if self.imds_url:
            e["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = self.imds_url + "/"
        else:
            e["AWS_EC2_METADATA_DISABLED"] = "true"
        return e

    # ----------------------------------------------------------- control
    def _req(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        r = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method,
                                   headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"emulator control {method} {path}: {e.code} {e.read().decode()[:500]}")

    def health(self):
        return self._req("GET", "health")

    def reset(self):
        return self._req("POST", "reset")

    def seed(self, scenario):
        if isinstance(scenario, str):
            with open(scenario) as f:
                scenario = json.load(f)
        return self._req("POST", "seed", scenario)

    def state(self):
        return self._req("GET", "state")

    def journal(self, since=0):
        return self._req("GET", f"journal?since={since}")["calls"]

    def clear_journal(self):
        return self._req("DELETE", "journal")

    def fault(self, **rule):
        return self._req("POST", "faults", rule)

    def faults(self):
        return self._req("GET", "faults")

    def clear_faults(self):
        return self._req("DELETE", "faults")

    def advance(self, seconds):
        return self._req("POST", "advance", {"seconds": seconds})

    def ebs_fail(self, count=1):
        """The next `count` new EBS volumes end in state `error`."""
        return self._req("POST", "ebs/fail", {"count": count})

    def aws_event(self, **entry):
        """An AWS service's own event on the default bus (e.g. Source aws.guardduty)."""
        return self._req("POST", "events", entry)

    def skew(self, seconds):
        """Set AWS's wall clock `seconds` off the machine's (the Date header follows)."""
        return self._req("POST", "clock", {"skew": seconds})

    def timing(self, **t):
        return self._req("POST" if t else "GET", "timing", t or None)

    def add_credentials(self, **c):
        return self._req("POST", "credentials", c)

    def ssm_script(self, **rule):
        return self._req("POST", "ssm/script", rule)

    def imds(self, **conf):
        return self._req("POST", "imds", conf)

    # -------------------------------------------- a reference AWS client
    def client(self, service, key=None, region=None, token=None):
        """A botocore client signed with a key the emulator knows (a real client)."""
        import botocore.config
        import botocore.session
        akid, secret = key or self.key
        s = botocore.session.get_session()
        cfg = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                                     read_timeout=30)
        return s.create_client(service, region_name=region or self.region, endpoint_url=self.url,
                               aws_access_key_id=akid, aws_secret_access_key=secret, aws_session_token=token,
                               config=cfg)

    def call(self, service, operation, **params):
        c = self.client(service)
        import botocore
        return getattr(c, botocore.xform_name(operation))(**params)


# ---------------------------------------------------------------- CLI

def _run(argv):
    seeds, imds, tls = [], False, None
    i = 0
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a == "--seed":
            seeds.append(argv[i + 1])
            i += 2
        elif a == "--imds":
            imds = True
            i += 1
        elif a == "--tls":
            tls = (argv[i + 1], argv[i + 2])
            i += 3
        else:
            sys.exit(f"emulatorctl run: unknown option {a}")
    cmd = argv[i + 1:]
    if not cmd:
        sys.exit("usage: emulatorctl run [--seed F]... [--imds] [--tls CERT KEY] -- CMD ARGS...")
    with Emulator.start(seed=seeds, imds=imds, tls=tls) as emu:
        env = dict(os.environ)
        env.update(emu.env())
        if emu.tls_url:
            env["EMULATOR_TLS_URL"] = emu.tls_url
        return subprocess.call(cmd, env=env)


def main(argv):
    if argv[:1] in (["-h"], ["--help"]) or not argv:
        print(__doc__)
        return 0
    if argv[0] == "run":
        return _run(argv[1:])
    url = os.environ.get("EMULATOR_URL")
    if argv[0] == "--url":
        url, argv = argv[1], argv[2:]
    if not url:
        sys.exit("emulatorctl: no --url and no $EMULATOR_URL")
    emu = Emulator(url)
    cmd, rest = argv[0], argv[1:]
    table = {
        "state": lambda: emu.state(), "journal": lambda: emu.journal(), "health": lambda: emu.health(),
        "reset": lambda: emu.reset(), "faults": lambda: emu.faults(), "clear-faults": lambda: emu.clear_faults(),
        "seed": lambda: emu.seed(rest[0]), "fault": lambda: emu.fault(**json.loads(rest[0])),
        "advance": lambda: emu.advance(float(rest[0])),
        "skew": lambda: emu.skew(float(rest[0])),
        "timing": lambda: emu.timing(**(json.loads(rest[0]) if rest else {})),
        "script": lambda: emu.ssm_script(**json.loads(rest[0])), "imds": lambda: emu.imds(**json.loads(rest[0])),
    }
    if cmd not in table:
        sys.exit(f"emulatorctl: unknown command {cmd} (try --help)")
    print(json.dumps(table[cmd](), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
