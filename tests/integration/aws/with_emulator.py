#!/usr/bin/python3
"""with_emulator.py [--tls] [--seed F]... -- CMD ARGS...

Start tests/emulator/emulator.py on free loopback ports (AWS API, IMDS and,
with --tls, an HTTPS port with a throw-away CA made here), run CMD with

  AWS_ENDPOINT_URL, AWS_EC2_METADATA_SERVICE_ENDPOINT, EMULATOR_URL,
  AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the scenario's responder key),
  AWS_REGION, and with --tls EMULATOR_TLS_URL + TEST_CA_BUNDLE

and a private HOME (no real ~/.aws is ever read), then stop the emulator and
exit with CMD's status.  Only inside tests/netns-run.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
EMU = os.path.join(ROOT, "tests", "emulator", "emulator.py")
FLEET = os.path.join(ROOT, "tests", "emulator", "scenarios", "fleet.json")


def main(argv):
    if os.environ.get("SSRFGUARD_IN_NETNS") != "1":
        sys.stderr.write("with_emulator.py: run me under tests/netns-run\n")
        return 99
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    # SIGTERM (meson's timeout, a stopped run) ends CMD and the emulator
    # through the finally below, not this process alone
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    opts, cmd = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    tls = "--tls" in opts
    seeds = [opts[i + 1] for i, o in enumerate(opts) if o == "--seed"] or [FLEET]
    tmp = tempfile.mkdtemp(prefix="ssrfguard-aws-")
    ready = os.path.join(tmp, "ready.json")
    args = ["/usr/bin/python3", EMU, "--host", "127.0.0.1", "--port", "0", "--imds-port", "0",
            "--ready-file", ready]
    for s in seeds:
        args += ["--seed", s]
    env = dict(os.environ)
    if tls:
        key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        args += ["--tls-port", "0", "--tls-cert", cert, "--tls-key", key]
        env["TEST_CA_BUNDLE"] = cert
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    try:
        # Until the ready file (written whole) or the emulator's exit, never
        # a fixed time a loaded machine may outlast (meson's timeout bounds it).
        urls = None
        while proc.poll() is None:
            if os.path.exists(ready):
                with open(ready) as f:
                    urls = json.load(f)
                break
            time.sleep(0.05)
        if not urls:
            sys.stderr.write("with_emulator.py: emulator did not start\n")
            return 99
        with open(seeds[0]) as f:
            sc = json.load(f)
        cred = (sc.get("credentials") or [{}])[0]
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        env.update({
            "HOME": home,
            "AWS_ENDPOINT_URL": urls["aws"],
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": urls["imds"],
            "EMULATOR_URL": urls["aws"],
            "AWS_ACCESS_KEY_ID": cred.get("access_key_id", "AKIDEXAMPLE"),
            "AWS_SECRET_ACCESS_KEY": cred.get("secret_access_key",
                                              "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "AWS_REGION": sc.get("region", "us-east-1"),
            "TEST_TMPDIR": tmp,
        })
        if tls:
            env["EMULATOR_TLS_URL"] = urls["tls"]
        return subprocess.call(cmd, env=env)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        subprocess.call(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
