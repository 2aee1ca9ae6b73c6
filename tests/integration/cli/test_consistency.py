#!/usr/bin/env python3
"""One command line: every command and subcommand meets a user the same way.

- `--help` (and `-h`) of every command and of every subcommand word exits 0,
  prints "usage: ssrfguard CMD" on stdout and nothing on stderr, and says
  the command's exit status;
- a bad option or argument exits 2 with nothing on stdout and the common
  usage error on stderr: for a command that speaks to people the two lines
  "ssrfguard CMD: WHY" / "Try 'ssrfguard CMD --help'.", for a service whose
  stderr is its JSON log (serve, dashboard, the respond daemon, backstop
  watch) one JSON log line {"ts","level":"error","event":"config",
  "message": "WHY (ssrfguard CMD --help lists the options)"} — unless
  stderr is a terminal: a person typed it, and gets the two lines;
- one incident, one spelling: "7" and "INC-7" wherever an incident is
  named (respond --incident, incidents, forensics --incident);
- an option name means one thing: every option that several commands take
  has the same placeholder everywhere (--store PATH, --profile NAME, ...);
- a start-up (setup) error is exit 2 in every service, as the man page's
  EXIT STATUS says.

Runs under tests/netns-run (a start-up error must not reach anything).

usage: test_consistency.py SSRFGUARD"""
import json
import os
import pty
import re
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
failures = []
BAD = "--no-such-option"


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


work = tempfile.mkdtemp(prefix="cli-consistency-")
ENV = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
ENV.update({"SSRFGUARD_STORE": os.path.join(work, "none", "incidents.db"), "HOME": work,
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.path.join(work, "none"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(work, "none")})


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, env=ENV,
                          stdin=subprocess.DEVNULL)


def plain_usage_error(p, cmd):
    """The people's shape: exactly "ssrfguard CMD: WHY" and the --help hint."""
    lines = p.stderr.splitlines()
    return (len(lines) == 2 and lines[0].startswith("ssrfguard %s: " % cmd) and len(lines[0]) >
            len("ssrfguard %s: " % cmd) and lines[1] == "Try 'ssrfguard %s --help'." % cmd)


def logged_usage_error(p, cmd):
    """The services' shape: one JSON log line, event config."""
    lines = p.stderr.splitlines()
    try:
        o = json.loads(lines[0]) if len(lines) == 1 else {}
    except ValueError:
        return False
    return (o.get("level") == "error" and o.get("event") == "config" and
            re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", o.get("ts", "")) is not None and
            o.get("message", "").endswith("(ssrfguard %s --help lists the options)" % cmd))


def usage_error(args, cmd, logged):
    p = run(*args)
    shape = logged_usage_error if logged else plain_usage_error
    check(p.returncode == 2 and p.stdout == "" and shape(p, cmd),
          "%s: exit 2, nothing on stdout, the %s usage error: rc %d, out %r, err %r" %
          (" ".join(args), "logged" if logged else "common", p.returncode, p.stdout[:200], p.stderr))


def helps(args, cmd):
    for flag in ("--help", "-h"):
        p = run(*args, flag)
        check(p.returncode == 0 and re.match(r"usage: ssrfguard %s[ \n]" % cmd, p.stdout) and
              p.stderr == "" and re.search(r"^Exit status", p.stdout, re.M),
              "%s %s: exit 0, usage on stdout with the exit status: rc %d, %r, %r" %
              (" ".join(args), flag, p.returncode, p.stdout[:300], p.stderr))
    return run(*args, "--help").stdout


# --- every command and subcommand: --help and a bad option -----------------
top = run("--help")
check(top.returncode == 0 and "Exit status, the same in every command" in top.stdout,
      "ssrfguard --help says what every exit status means: %r" % top.stdout)
commands = re.findall(r"^  ([a-z]+) ", top.stdout, re.M)
check({"check", "serve", "respond", "incidents", "forensics", "aws", "backstop", "dashboard",
       "completion", "version", "help"} <= set(commands), "every command is listed: %s" % commands)
SERVICES = {"serve", "dashboard", "respond", "backstop watch"}
bash = run("completion", "bash").stdout
placeholders = {}  # option -> {placeholder: [commands]}
for cmd in commands:
    text = helps([cmd], cmd)
    usage_error([cmd, BAD], cmd, cmd in SERVICES)
    for opt, arg in re.findall(r"^  (?:-\w, )?--([a-z][a-z0-9-]*) ?(\S*)$", text, re.M):
        placeholders.setdefault(opt, {}).setdefault(arg, []).append(cmd)
    arm = bash.split("    %s)\n" % cmd, 1)[-1].split(";;", 1)[0]
    words = re.search(r'words="([^"]*)"', arm)
    for word in (words.group(1).split() if words and cmd in arm else []):
        helps([cmd, word], cmd)
        usage_error([cmd, word, BAD], cmd, "%s %s" % (cmd, word) in SERVICES)
        usage_error([cmd, BAD, word], cmd, "%s %s" % (cmd, word) in SERVICES)

# the one-shot forms of respond speak to people; with --json they log
usage_error(["respond", "--instance", "i-0123456789abcdef0", BAD], "respond", False)
usage_error(["respond", "--preflight", "--instance", "i-0123456789abcdef0", "--json", BAD],
            "respond", True)

# a service's usage error typed at a terminal: the people's two lines
for args, cmd in [(["serve", BAD], "serve"), (["respond", BAD], "respond"),
                  (["dashboard", BAD], "dashboard"), (["backstop", "watch", BAD], "backstop")]:
    master, slave = pty.openpty()
    p = subprocess.run([BIN, *args], stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                       env=ENV, timeout=30)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    lines = tty.decode(errors="replace").replace("\r\n", "\n").splitlines()
    check(p.returncode == 2 and len(lines) == 2 and lines[0].startswith("ssrfguard %s: " % cmd) and
          lines[1] == "Try 'ssrfguard %s --help'." % cmd,
          "%s on a terminal: the two lines, not a log line: rc %d, %r" % (" ".join(args), p.returncode, tty))

# --- one incident, one spelling ------------------------------------------
p = run("respond", "--incident", "INC-7", "--store", os.path.join(work, "empty.db"), "-q")
check('"event":"config"' not in p.stderr and "whole number" not in p.stderr and
      "not an incident id" not in p.stderr, "respond --incident INC-7 is taken: %r" % p.stderr)
usage_error(["respond", "--incident", "INC-seven", "--json"], "respond", True)
p = run("forensics", "discover", "--incident", "7")
check(p.returncode == 2 and "INC-7.json" in p.stderr and "IncidentId=INC-7" in p.stderr,
      "forensics --incident 7 is INC-7, as the manifest and the tags name it: %r" % p.stderr)

# --- bad arguments: the same shapes ---------------------------------------
for args, cmd in [
    (["check"], "check"),
    (["incidents"], "incidents"),
    (["incidents", "frobnicate"], "incidents"),
    (["incidents", "show"], "incidents"),
    (["incidents", "show", "seven"], "incidents"),
    (["incidents", "open"], "incidents"),
    (["incidents", "list", "--state", "sleeping"], "incidents"),
    (["incidents", "list", "a", "b"], "incidents"),
    (["aws"], "aws"),
    (["aws", "frobnicate"], "aws"),
    (["forensics"], "forensics"),
    (["forensics", "frobnicate"], "forensics"),
    (["backstop"], "backstop"),
    (["backstop", "frobnicate"], "backstop"),
    (["backstop", "status", "--print"], "backstop"),
    (["completion"], "completion"),
    (["completion", "fish"], "completion"),
    (["version", "x"], "version"),
    (["help", "frobnicate"], "help"),
]:
    usage_error(args, cmd, False)
for args, cmd in [
    (["serve", "extra"], "serve"),
    (["dashboard", "extra"], "dashboard"),
    (["dashboard"], "dashboard"),  # neither a token nor a client CA
    (["backstop", "watch", "extra"], "backstop"),
    (["backstop", "watch", "--print"], "backstop"),
    (["backstop", "watch", "--workers", "nine"], "backstop"),
]:
    usage_error(args, cmd, True)

# --- one name, one meaning: the same placeholder wherever an option is ----
for opt, forms in sorted(placeholders.items()):
    check(len(forms) == 1, "--%s is written the same in every command: %s" % (opt, forms))
# the settings every command shares are named alike wherever they are taken
for opt in ("store", "state-table", "region", "profile", "endpoint-url", "ca-bundle"):
    takers = sorted(c for f in placeholders.get(opt, {}).values() for c in f)
    check(len(takers) >= 4, "--%s is taken by the commands that need it: %s" % (opt, takers))
for cmd in ("serve", "respond", "incidents", "dashboard", "backstop"):
    for opt in ("store", "state-table", "profile"):
        check(any(cmd in f for f in placeholders.get(opt, {}).values()),
              "%s takes --%s, as every command that opens the store" % (cmd, opt))
for cmd in ("check", "respond", "incidents", "aws"):
    check(any(cmd in f for f in placeholders.get("json", {}).values()),
          "%s's machine-readable output is --json" % cmd)

# --- a start-up error is exit 2 in every service, said on stderr -----------
tok = os.path.join(work, "token")
with open(tok, "w") as f:
    f.write("0123456789abcdef0123456789abcdef\n")
os.chmod(tok, 0o600)
for args in (["serve", "--listen", "127.0.0.1:0", "--log", os.path.join(work, "none", "serve.log"),
              "--no-imds", "--instance-id", "i-0123456789abcdef0", "--az", "us-east-1a"],
             ["dashboard", "--listen", "127.0.0.1:0", "--token-file", tok],      # no store yet
             ["dashboard", "--listen", "nowhere", "--token-file", tok,
              "--store", os.path.join(work, "none.db")],
             ["respond", "--once", "--store", os.path.join(work, "none", "incidents.db")]):
    p = run(*args)
    lines = p.stderr.splitlines()
    check(p.returncode == 2 and lines and all(ln.startswith("{") for ln in lines),
          "%s: a start-up error is exit 2, said as JSON log lines: rc %d, %r" %
          (" ".join(args[:1]), p.returncode, p.stderr))

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
