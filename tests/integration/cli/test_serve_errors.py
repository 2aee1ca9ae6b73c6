#!/usr/bin/env python3
"""serve's every line on stderr is a JSON log line, from the first: the
errors before its own log exists (a bad option, a bad or missing config
file, a log file that cannot be opened, a bad TLS file of the proxy, a
listener that cannot bind) and after it does are each one JSON object with
`ts` (RFC 3339, UTC) and `level`, and serve exits 2.  IMDS is off: nothing
here asks for an identity (and the namespace has no route anywhere)."""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
if os.environ.get("SSRFGUARD_IN_NETNS") != "1":
    sys.exit("refusing to run outside tests/netns-run")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
failures = []
tmp = tempfile.mkdtemp(prefix="serve-errors-")


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def path(name, text=None):
    p = os.path.join(tmp, name)
    if text is not None:
        with open(p, "w") as f:
            f.write(text)
    return p


def serve_fails(what, want, *args):
    """serve with args exits 2; each stderr line is a JSON log line with ts
    and level; an error line says want."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    p = subprocess.run([BIN, "serve", "--no-imds", "--store", path("inc.db"), *args],
                       capture_output=True, text=True, timeout=30, env=env)
    lines = p.stderr.splitlines()
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            check(False, f"{what}: a line that is not JSON: {line!r}")
    check(p.returncode == 2, f"{what}: exit 2 (got {p.returncode}): {p.stderr}")
    check(lines and all(isinstance(x, dict) and RFC3339.match(str(x.get("ts")))
                        and x.get("level") in ("debug", "info", "warning", "error")
                        for x in parsed), f"{what}: ts (RFC 3339) and level on every line: "
                                          f"{p.stderr}")
    check(any(x.get("level") == "error" and want in str(x.get("message")) for x in parsed),
          f"{what}: an error line says {want!r}: {p.stderr}")


conf = path("bad.conf", "[serve]\nlisten = 127.0.0.1:0\nbogus = 1\n")
serve_fails("an unknown option", "unknown option '--bogus'", "--bogus")
serve_fails("an unknown setting", conf + ":3: unknown setting 'bogus' of serve", "--config", conf)
serve_fails("a missing config file", "/nonexistent/ssrfguard.conf",
            "--config", "/nonexistent/ssrfguard.conf")
serve_fails("a bad rule", "rule 'nonsense'", "--rule", "nonsense", "--listen", "127.0.0.1:0")
serve_fails("a log file that cannot be opened", "log /nonexistent/dir/serve.log",
            "--log", "/nonexistent/dir/serve.log", "--listen", "127.0.0.1:0")
bad_pem = path("bad.pem", "-----BEGIN CERTIFICATE-----\nnot a certificate\n"
                          "-----END CERTIFICATE-----\n")
serve_fails("a bad TLS file", "proxy_tls_cert " + bad_pem, "--listen", "127.0.0.1:0",
            "--proxy-listen", "127.0.0.1:0", "--proxy-tls-cert", bad_pem,
            "--proxy-tls-key", bad_pem)
taken = socket.socket()
taken.bind(("127.0.0.1", 0))
taken.listen()
port = taken.getsockname()[1]
serve_fails("a listener that cannot bind", "127.0.0.1:%d" % port, "--listen", "127.0.0.1:%d" % port)
serve_fails("a listener that cannot bind, the log in a file", "127.0.0.1:%d" % port,
            "--listen", "127.0.0.1:%d" % port, "--log", path("serve.log"))
with open(path("serve.log")) as f:
    logged = [json.loads(x) for x in f if x.strip()]
check(any(x.get("level") == "error" and "127.0.0.1:%d" % port in str(x.get("message"))
          for x in logged), f"the bind error is in the log file too: {logged}")
taken.close()

print("cli-serve-errors:", "FAILED %d" % len(failures) if failures else "ok")
sys.exit(1 if failures else 0)
