#!/usr/bin/env python3
"""`meson install` puts everything a host needs where it belongs: the binary,
the man page, bash and zsh completion, the hardened systemd units for serve
and respond (they pass `systemd-analyze verify`, their exposure is printed),
their user, the example configuration (which passes --check-config) and the
IAM policies."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BUILD, BIN = sys.argv[1], sys.argv[2]
dest = tempfile.mkdtemp(prefix="install-")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


p = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"],
                   capture_output=True, text=True)
check(p.returncode == 0, "meson install: %s" % p.stderr[-1000:])
files = {os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest) for f in fs}


def find(suffix):
    return sorted(f for f in files if f.endswith(suffix))


for want in ["bin/ssrfguard", "man1/ssrfguard.1", "bash-completion/completions/ssrfguard",
             "zsh/site-functions/_ssrfguard", "systemd/system/ssrfguard-serve.service",
             "systemd/system/ssrfguard-respond.service", "sysusers.d/ssrfguard.conf",
             "systemd/system/ssrfguard-backstop.service",
             "systemd/system/ssrfguard-backstop-watch.service",
             "systemd/system/ssrfguard-dashboard.service",
             "ssrfguard/ssrfguard.conf.example", "doc/ssrfguard/iam-policy.json",
             "doc/ssrfguard/iam-policy-forensics.json", "doc/ssrfguard/iam-policy-detector.json",
             "doc/ssrfguard/ssrfguard-fleet.yaml"]:
    check(find(want), "installed: %s" % want)

# the example configuration is valid, for serve and the responder
example = find("ssrfguard/ssrfguard.conf.example")
if example:
    p = subprocess.run([BIN, "serve", "--config", os.path.join(dest, example[0]), "--check-config"],
                       capture_output=True, text=True, env=dict(os.environ, HOME=dest))
    check(p.returncode == 0 and "[serve]" in p.stdout,
          "the example configuration passes --check-config: %s" % p.stderr)

# the units: verified by systemd (with ExecStart pointing at this build)
analyze = shutil.which("systemd-analyze")
for name in ("serve", "respond", "backstop", "backstop-watch", "dashboard"):
    unit = find("ssrfguard-%s.service" % name)
    if not unit:
        continue
    text = open(os.path.join(dest, unit[0])).read()
    installed_bin = re.search(r"=(\S*/bin/ssrfguard) ", text).group(1)
    check("--config" in text and "NoNewPrivileges=yes" in text and "ProtectSystem=strict" in text,
          "%s unit is hardened and reads the config" % name)
    if not analyze:
        continue
    local = os.path.join(dest, "ssrfguard-%s.service" % name)
    with open(local, "w") as f:
        f.write(text.replace(installed_bin, os.path.abspath(BIN)))
    v = subprocess.run([analyze, "verify", "--man=no", local], capture_output=True, text=True)
    check(v.returncode == 0 and not v.stderr.strip(), "systemd-analyze verify %s: %s" % (name, v.stderr))
    s = subprocess.run([analyze, "security", "--offline=yes", local], capture_output=True, text=True)
    print("%s: %s" % (name, (s.stdout.strip().splitlines() or ["?"])[-1]))

shutil.rmtree(dest, ignore_errors=True)
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
