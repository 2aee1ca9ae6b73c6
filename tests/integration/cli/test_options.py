#!/usr/bin/env python3
"""The command line as a user meets it.

- every command reads options the same way (--x v, --x=v, switches with
  on/off words, --no-x, '_' for '-'), and --config=FILE is really read;
- the config file: `name = value`, comments, [sections], errors that name
  the file and the line, and exit status 2 before anything starts;
- --help, the man page and the completion scripts come from one table: every
  option of --help is in the man page and in both completions, and back.
"""
import os
import re
import subprocess
import sys
import tempfile

BIN, TEMPLATE = sys.argv[1], sys.argv[2]
failures = []


def run(*args, env=None):
    e = dict(os.environ)
    e.pop("SSRFGUARD_STORE", None)
    e.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, env=e)


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


tmp = tempfile.mkdtemp(prefix="cli-options-")


def conf(text):
    path = os.path.join(tmp, "c%d.conf" % len(os.listdir(tmp)))
    with open(path, "w") as f:
        f.write(text)
    return path


def setting(out, name):
    m = re.search(r"^%s = (.*)$" % re.escape(name), out, re.M)
    return m.group(1) if m else None


# --- one grammar -----------------------------------------------------------
for args, name, want in [
    (["--respond", "on"], "respond", "on"),
    (["--respond=on"], "respond", "on"),
    (["--respond"], "respond", "on"),
    (["--respond", "--respond=off"], "respond", "off"),
    (["--no-imds"], "imds", "off"),
    (["--imds", "false"], "imds", "off"),
    (["--max_body", "77"], "max-body", "77"),
    (["--max-body=78"], "max-body", "78"),
    (["--store-sync", "normal"], "store-sync", "normal"),
]:
    p = run("serve", "--check-config", *args)
    check(p.returncode == 0 and setting(p.stdout, name) == want,
          "serve %s: %s = %s (got %r, rc %d, %s)" % (args, name, want, setting(p.stdout, name),
                                                      p.returncode, p.stderr.strip()))

# --config=FILE and --config FILE are read; flags override the file
c = conf("# shared\nstore = /tmp/x.db   # trailing comment\n[serve]\nmax-body = 5\n"
         "rule = \"deny 10.0.0.0/8\"\n[respond]\nparallel = 3\n")
for form in (["--config=" + c], ["--config", c]):
    p = run("serve", "--check-config", *form)
    check(p.returncode == 0 and setting(p.stdout, "max-body") == "5" and
          setting(p.stdout, "store") == '"/tmp/x.db"' and
          setting(p.stdout, "rule") == '"deny 10.0.0.0/8"',
          "serve %s reads the file: %s %s" % (form, p.stdout, p.stderr))
p = run("serve", "--check-config", "--max-body", "6", "--config", c)
check(setting(p.stdout, "max-body") == "6", "a flag overrides the file wherever it stands")

# one default store for every command: SSRFGUARD_STORE, else one path
p = run("serve", "--check-config")
check(setting(p.stdout, "store") == '"/var/lib/ssrfguard/incidents.db"', "serve's default store")
p = run("serve", "--check-config", env={"SSRFGUARD_STORE": "/tmp/s.db"})
check(setting(p.stdout, "store") == '"/tmp/s.db"', "serve honours SSRFGUARD_STORE")

# errors: unknown or malformed settings name the file and the line; exit 2
for text, want in [
    ("[serve]\nmax-body = 12x\n", ":2: max-body: '12x' is not a whole number"),
    ("[serve]\n\nbogus = 1\n", ":3: unknown setting 'bogus' of serve"),
    ("forensic-instance = i-1\n", ":1: unknown setting 'forensic-instance' of serve"),
    ("[serv]\n", ":1: unknown section [serv]"),
    ("[serve]\nrespond = maybe\n", ":2: respond: 'maybe' is not on or off"),
    ("[respond]\nparallel = 99\n", ":2: parallel: 99 is not in 1..64"),
]:
    c = conf(text)
    p = run("serve", "--config", c, "--check-config")
    check(p.returncode == 2 and (c + want) in p.stderr,
          "serve config %r: rc 2 and %r (got rc %d, %r)" % (text, c + want, p.returncode,
                                                            p.stderr))
# serve's deliver-to: the detector side, checked like respond's, never with --respond
SQSQ = "https://sqs.us-east-1.amazonaws.com/123456789012/incidents"
p = run("serve", "--check-config", "--deliver-to", SQSQ)
check(p.returncode == 0 and setting(p.stdout, "deliver-to") == '"%s"' % SQSQ,
      "serve --deliver-to QUEUE_URL: %r" % p.stderr)
for args, want in [
    (["--deliver-to", SQSQ, "--respond"], "respond and deliver-to exclude each other"),
    (["--deliver-to", "http://responder:8443/v1/incidents"], "deliver-to: an https:// URL"),
    (["--deliver-to", "https://responder:8443/v1/incidents"], "needs --key-file"),
]:
    p = run("serve", "--check-config", *args)
    check(p.returncode == 2 and want in p.stderr, "serve %s: rc 2, %r (got %d, %r)" %
          (args, want, p.returncode, p.stderr))
c = conf("[respond]\nqueue = %s\n" % SQSQ)
p = run("serve", "--config", c, "--check-config", "--deliver-to", SQSQ)
check(p.returncode == 2 and "queue (in [respond]) belongs to a responder" in p.stderr,
      "serve --deliver-to with a [respond] queue: %r" % p.stderr)
c = conf("[respond]\nguardduty-action = Backdoor:EC2/=contain\nguardduty-action = Nope:EC2/=ignore\n")
p = run("serve", "--config", c, "--check-config")
check(p.returncode == 2 and (c + ":3: guardduty-action: 'Nope:EC2/' matches no GuardDuty finding type")
      in p.stderr, "a GuardDuty rule matching no type names file:line: %r" % p.stderr)

pol = conf("allow 10.0.0.0/8\nfrobnicate everything\n")
p = run("serve", "--check-config", "--policy", pol)
check(p.returncode == 2 and pol in p.stderr, "--check-config checks the policy file: %r" % p.stderr)
p = run("serve", "--check-config", "--rule", "allow nonsense/99")
check(p.returncode == 2 and "rule 'allow nonsense/99'" in p.stderr,
      "--check-config checks the rules: %r" % p.stderr)
# --check-config refuses what start-up refuses in the files the settings name
PX = ["--proxy-listen", "127.0.0.1:3128"]
good = conf("[role ci]\nmode = enforce\nallow = *.github.com\n[role default]\nmode = report\n")
p = run("serve", "--check-config", *PX, "--proxy-roles", good)
check(p.returncode == 0, "--check-config: a good roles file passes: %r" % p.stderr)
missing = "/nonexistent/ssrfguard.pem"
for args, want in [
    (PX + ["--proxy-roles", conf("[role ci]\nmode = enforcee\n")], "line 2: mode"),
    (PX + ["--proxy-roles", "/nonexistent/roles"], "proxy_roles /nonexistent/roles"),
    (PX + ["--proxy-roles", conf("[role ci]\nallow = 10.0.0.0/99\n")], "line 2: allow"),
    (PX + ["--proxy-tls-cert", missing, "--proxy-tls-key", missing], "proxy_tls_cert " + missing),
    (PX + ["--proxy-client-ca", missing], "proxy_client_ca/crl need a TLS listener"),
]:
    p = run("serve", "--check-config", *args)
    check(p.returncode == 2 and want in p.stderr,
          "--check-config %s: rc 2 and %r, as start-up (got rc %d, %r)" % (args, want, p.returncode,
                                                                          p.stderr))
p = run("serve", "--config", "/nonexistent/ssrfguard.conf")
check(p.returncode == 2 and "/nonexistent/ssrfguard.conf" in p.stderr, "a missing --config file")
p = run("respond", "--config=/nonexistent/ssrfguard.conf", "--once")
check(p.returncode == 2 and "/nonexistent/ssrfguard.conf" in p.stderr,
      "respond --config=FILE is read (a missing one is an error)")
c = conf("[respond]\nbogus = 1\n")
p = run("respond", "--config", c, "--once")
check(p.returncode == 2 and (c + ":2: unknown setting 'bogus' of respond") in p.stderr,
      "respond config error names file:line: %r" % p.stderr)
p = run("respond", "--observe", "maybe")  # the daemon's: a JSON log line
check(p.returncode == 2 and "unexpected argument 'maybe'" in p.stderr and "--help" in p.stderr,
      "a stray argument is a usage error: %r" % p.stderr)

# version
p = run("--version")
check(p.returncode == 0 and re.match(r"ssrfguard \d+\.\d+\.\d+\n$", p.stdout), "--version")
check(run("version").stdout == p.stdout, "version = --version")
check(re.search(r"^  version ", run("--help").stdout, re.M), "version is listed in help")

# --- one table: --help, man page, completions ------------------------------
man = subprocess.run([BIN, "help", "--man", TEMPLATE], capture_output=True, text=True,
                     check=True).stdout
bash = run("completion", "bash").stdout
zsh = run("completion", "zsh").stdout
for section in ("NAME", "SYNOPSIS", "COMMANDS", "CONFIGURATION FILE", "FILES", "ENVIRONMENT",
                "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
    check(re.search(r"^\.SH \"?%s\"?$" % section, man, re.M), "man page has %s" % section)
check("@COMMANDS@" not in man and "@VERSION@" not in man, "every template marker was replaced")
g = subprocess.run(["groff", "-man", "-ww", "-z"], input=man, capture_output=True, text=True)
check(g.returncode == 0 and not g.stderr, "groff -ww is silent: %r" % g.stderr)

commands = re.findall(r"^  ([a-z]+) ", run("--help").stdout, re.M)
for cmd in commands:
    h = run(cmd, "--help")
    check(h.returncode == 0, "%s --help exits 0" % cmd)
    opts = set(re.findall(r"^  (?:-\w, )?--([a-z][a-z0-9-]*)", h.stdout, re.M))
    if cmd in ("completion", "version", "help"):
        continue  # they take no options
    check(opts, "%s --help lists options" % cmd)
    sect = man.split(".SS %s\n" % cmd, 1)
    check(len(sect) == 2, "man page has a section for %s" % cmd)
    sect = sect[-1].split("\n.SS ", 1)[0]
    in_man = set(re.findall(r"^(?:\\fB\\-\w\\fR, )?\\fB\\-\\-([a-z0-9\\-]+)\\fR", sect, re.M))
    in_man = {o.replace("\\-", "-") for o in in_man}
    check(opts == in_man, "%s: --help and man page agree: only help %s, only man %s" %
          (cmd, sorted(opts - in_man), sorted(in_man - opts)))
    arm = bash.split("    %s)\n" % cmd, 1)[-1].split(";;", 1)[0]
    in_bash = set(re.findall(r"--([a-z][a-z0-9-]*)", arm.split("words=")[0]))
    check(opts == in_bash, "%s: bash completion agrees: %s" % (cmd, sorted(opts ^ in_bash)))
    arm = zsh.split("    (%s)\n" % cmd, 1)[-1].split(";;", 1)[0]
    in_zsh = set(re.findall(r"'\*?--([a-z][a-z0-9-]*)", arm)) | {"help"}
    check(opts == in_zsh, "%s: zsh completion agrees: %s" % (cmd, sorted(opts ^ in_zsh)))
# the AWS settings: one table in every command that calls AWS, and each
# setting reaches the client (the profile's region and credentials)
AWS_OPTS = ("region", "profile", "endpoint-url", "ca-bundle")


def aws_help(cmd):
    text = run(cmd, "--help").stdout
    return [re.search(r"^  --%s [A-Z]+\n(?:      .*\n)+" % o, text, re.M) for o in AWS_OPTS]


want = [m.group(0) if m else None for m in aws_help("aws")]
check(all(want), "aws --help lists %s" % (AWS_OPTS,))
for cmd in ("respond", "incidents", "dashboard", "forensics"):
    got = [m.group(0) if m else None for m in aws_help(cmd)]
    check(got == want, "%s: the same AWS options as aws: %s" % (cmd, got))
awsdir = tempfile.mkdtemp(prefix="cli-aws-")
with open(os.path.join(awsdir, "config"), "w") as f:
    f.write("[profile ops]\nregion = eu-west-3\n")
open(os.path.join(awsdir, "credentials"), "w").close()
no_aws = {k: "" for k in os.environ if k.startswith("AWS_")}
no_aws.update({"AWS_CONFIG_FILE": os.path.join(awsdir, "config"), "HOME": awsdir,
               "AWS_SHARED_CREDENTIALS_FILE": os.path.join(awsdir, "credentials"),
               "AWS_EC2_METADATA_DISABLED": "true"})
store = os.path.join(awsdir, "inc.db")
for args in (["respond", "--store", store, "--once"], ["incidents", "--store", store, "release", "1"]):
    p = run(*args, "--profile", "ops", env=no_aws)
    check(p.returncode != 0 and "profile 'ops' has no credentials" in p.stderr,
          "%s --profile reaches the AWS client: %s" % (args[0], p.stderr))
b = subprocess.run(["bash", "-n"], input=bash, capture_output=True, text=True)
check(b.returncode == 0, "the bash completion parses: %s" % b.stderr)

# --- a command's --help describes what that command does (AUDIT7 L6) --------
# backstop takes serve's table: a row's text must hold for backstop watch
# too (its store waits and caps), or say it is serve's
bs = run("backstop", "--help").stdout
for serve_only in ("then the blocked request gets 503", "; /healthz and the metrics say"):
    check(serve_only not in bs, "backstop --help: no serve-only behaviour %r" % serve_only)
check(re.search(r"--check-config \[on\|off\]\n      serve: check the settings", bs),
      "backstop --help: --check-config is labelled serve's")
p = run("backstop", "install", "--check-config")
check(p.returncode == 2 and "--check-config is serve's" in p.stderr,
      "backstop install --check-config refuses, installs nothing: %d %s" % (p.returncode, p.stderr))

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
