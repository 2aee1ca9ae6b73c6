#!/usr/bin/python3
"""check_cli_test.py SSRFGUARD — `ssrfguard check` as users drive it: exit
statuses, TSV and JSON shapes, escaping, pins, policy files, and hostile
stdin (binary junk, a 1 MB line, empty lines, invalid UTF-8, CRLF, no final
newline).  Runs under tests/netns-run."""
import json
import os
import subprocess
import sys
import tempfile

exe = sys.argv[1]
failures = 0


def run(args, stdin=b""):
    p = subprocess.run([exe, "check"] + args, input=stdin, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def expect(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def fields(line):
    return line.decode("utf-8").split("\t")


# --help and usage errors
rc, out, err = run(["--help"])
expect(rc == 0 and b"usage: ssrfguard check" in out and b"--resolve" in out, "--help")
rc, out, err = run([])
expect(rc == 2 and b"no URL" in err, "no arguments is a usage error (2)")
rc, out, err = run(["--bogus", "http://8.8.8.8/"])
expect(rc == 2 and out == b"", "unknown option is a usage error")
rc, out, err = run(["--resolve", "nonsense", "http://8.8.8.8/"])
expect(rc == 2 and b"--resolve" in err, "bad --resolve names itself")
rc, out, err = run(["--policy", "/nonexistent/policy", "http://8.8.8.8/"])
expect(rc == 2 and b"/nonexistent/policy" in err, "missing policy file")

# Exit statuses: 0 all allowed, 1 something blocked.
rc, out, err = run(["http://8.8.8.8/", "https://[2606:4700:4700::1111]/"])
expect(rc == 0, f"all allowed exits 0 (got {rc})")
lines = out.splitlines()
expect(len(lines) == 2 and fields(lines[0]) == ["http://8.8.8.8/", "allow", "public", "iana:global", "8.8.8.8:80"],
       f"TSV shape: {lines[:1]}")
rc, out, err = run(["http://8.8.8.8/", "http://0xA9FEA9FE/"])
expect(rc == 1, "a block exits 1")
f = fields(out.splitlines()[1])
expect(f[1:] == ["block", "metadata", "metadata:aws-imds", "169.254.169.254:80"], f"metadata verdict {f}")

# Pins: a name is judged by its pinned answers, never by DNS.
rc, out, err = run(["--resolve", "shop.example:443:203.0.113.10", "--allow", "203.0.113.0/24",
                    "https://shop.example/cart"])
expect(rc == 0 and fields(out.splitlines()[0])[4] == "shop.example:443=203.0.113.10", f"pinned name {out!r}")
rc, out, err = run(["--resolve", "rebind.example:203.0.113.10,169.254.169.254",
                    "--allow", "203.0.113.0/24", "https://rebind.example/"])
expect(rc == 1 and fields(out.splitlines()[0])[2] == "metadata", f"one bad answer blocks {out!r}")
rc, out, err = run(["http://unpinned.invalid/"])
expect(rc == 1 and fields(out.splitlines()[0])[2] == "unresolved", f"unresolvable name {out!r}")

# Policy file, --deny beats --allow, --allow-scheme.
with tempfile.NamedTemporaryFile("w", suffix=".policy", delete=False) as pf:
    pf.write("# test\nallow 203.0.113.0/24\ndeny 203.0.113.66   # a bad host\n")
rc, out, err = run(["--policy", pf.name, "http://203.0.113.10/", "http://203.0.113.66/"])
ls = out.splitlines()
expect(rc == 1 and fields(ls[0])[1:3] == ["allow", "allowed"] and
       fields(ls[1])[1:4] == ["block", "denied", "policy:deny 203.0.113.66"], f"policy file {out!r}")
with open(pf.name, "w") as bad:
    bad.write("allow 203.0.113.0/24\nallow 10.0.0.0/99\n")
rc, out, err = run(["--policy", pf.name, "http://8.8.8.8/"])
expect(rc == 2 and b"line 2" in err, f"policy error names the line: {err!r}")
os.unlink(pf.name)
rc, out, err = run(["--allow", "0.0.0.0/0", "--deny", "8.8.4.4", "http://8.8.4.4/", "http://10.1.1.1/"])
ls = out.splitlines()
expect(fields(ls[0])[2] == "denied" and fields(ls[1])[2] == "allowed", f"deny beats allow {out!r}")
rc, out, err = run(["--allow-scheme", "ftp", "ftp://8.8.8.8/", "gopher://8.8.8.8/"])
ls = out.splitlines()
expect(fields(ls[0])[1] == "allow" and fields(ls[1])[2] == "scheme", f"--allow-scheme {out!r}")

# Hostile stdin: every line gets exactly one output line, nothing crashes.
junk = bytes(range(256)) * 4
big = b"http://" + b"a" * (1 << 20) + b".example/"
stdin = (b"http://8.8.8.8/\n"
         b"\n"                                   # empty line
         + junk.replace(b"\n", b"") + b"\n"      # binary junk
         + big + b"\n"                           # a 1 MB line
         + b"http://\xff\xfe.example/\n"         # invalid UTF-8
         + b"http://127.0.0.1/\twith\ttabs\n"    # tabs inside the URL
         + b"http://8.8.4.4/\r\n"                # CRLF
         + b"http://1.1.1.1/")                   # no final newline
rc, out, err = run(["-"], stdin)
ls = out.splitlines()
expect(len(ls) == 8, f"one output line per input line (got {len(ls)})")
expect(rc == 2, f"input errors exit 2 (got {rc})")
for l in ls:
    expect(len(fields(l)) == 5, f"5 columns: {l[:80]!r}")
    l.decode("utf-8")  # output is valid UTF-8 whatever the input was
if len(ls) == 8:
    expect(fields(ls[0])[1] == "allow", "first line")
    expect(fields(ls[1])[1:4] == ["error", "malformed", "input:empty-line"], f"empty line {ls[1]!r}")
    expect(fields(ls[2])[1:3] == ["block", "malformed"] and b"\\x01" in ls[2], f"junk {ls[2][:60]!r}")
    expect(fields(ls[3])[1] == "error" and b"line-too-long(line 4" in ls[3] and len(ls[3]) < 300,
           f"long line reported, not echoed whole: {ls[3][:120]!r}")
    # Not UTF-8: judged in its Latin-1 reading (a name here), echoed escaped.
    expect(fields(ls[4])[1] == "block" and fields(ls[4])[0] == "http://\\xff\\xfe.example/", f"invalid UTF-8 {ls[4]!r}")
    expect(fields(ls[5])[0] == "http://127.0.0.1/\\x09with\\x09tabs" and fields(ls[5])[1] == "block",
           f"tabs escaped {ls[5]!r}")
    expect(fields(ls[6])[0] == "http://8.8.4.4/" and fields(ls[6])[1] == "allow", f"CRLF {ls[6]!r}")
    expect(fields(ls[7])[0] == "http://1.1.1.1/" and fields(ls[7])[1] == "allow", f"last line {ls[7]!r}")

# JSON: one valid object a line, the same verdicts.
rc, out, err = run(["--json", "-"], b"http://[::ffff:127.0.0.1]/\nhttp://\xff/\n\n")
objs = [json.loads(l) for l in out.splitlines()]
expect(len(objs) == 3 and objs[0]["category"] == "loopback" and objs[0]["port"] == 80 and
       objs[0]["addr"] == "::ffff:127.0.0.1" and objs[1]["url"] == "http://\\xff/" and
       objs[2]["verdict"] == "error", f"json {out!r}")

# Hostile bytes in both forms: C1 (CSI), ESC, DEL, a quote and a backslash
# come out as the one escaper writes them; JSON adds only its own escapes.
hostile = b'http://127.0.0.1/\xc2\x9b"\\\x1b\x7f|\xc3\xa9'
want = 'http://127.0.0.1/\\xc2\\x9b"\\\\\\x1b\\x7f|\u00e9'
rc, out, err = run(["--json", "-"], hostile + b"\n")
objs = [json.loads(l) for l in out.splitlines()]
expect(len(objs) == 1 and objs[0]["url"] == want, f"json hostile {out!r} want {want!r}")
rc, out, err = run(["-"], hostile + b"\n")
expect(out.split(b"\t")[0].decode() == want and b"\x1b" not in out and b"\xc2\x9b" not in out,
       f"text hostile {out!r}")

# Issue 17, as a new user found it: a rule that looks like an address and is
# not one is an error, never a silent host-name rule.
for opt, rule in (("--allow", "300.1.1.1"), ("--allow", "10.0.0.256"), ("--deny", "1.2.3.4.5")):
    rc, out, err = run([opt, rule, "http://8.8.8.8/"])
    expect(rc == 2 and out == b"" and rule.encode() in err and b"neither an IP address" in err,
           f"{opt} {rule}: {rc} {err!r}")
# A policy file saved with a byte-order mark reads like one without.
with tempfile.NamedTemporaryFile("wb", suffix=".policy", delete=False) as pf:
    pf.write(b"\xef\xbb\xbfallow 203.0.113.0/24\r\ndeny 203.0.113.66\r\n")
rc, out, err = run(["--policy", pf.name, "http://203.0.113.10/", "http://203.0.113.66/"])
ls = out.splitlines()
expect(rc == 1 and len(ls) == 2 and fields(ls[0])[2] == "allowed" and fields(ls[1])[2] == "denied",
       f"policy file with a BOM: {rc} {out!r} {err!r}")
os.unlink(pf.name)
# Two --resolve pins for one HOST:PORT: all their addresses are judged.
rc, out, err = run(["--resolve", "two.example:443:203.0.113.10", "--resolve", "two.example:443:169.254.169.254",
                    "--allow", "203.0.113.0/24", "https://two.example/"])
expect(rc == 1 and fields(out.splitlines()[0])[2] == "metadata", f"second pin judged: {out!r}")
rc, out, err = run(["--resolve", "two.example:443:169.254.169.254", "--resolve", "two.example:443:203.0.113.10",
                    "--allow", "203.0.113.0/24", "https://two.example/"])
expect(rc == 1 and fields(out.splitlines()[0])[2] == "metadata", f"first pin still judged: {out!r}")

# Output buffering: interactive (a terminal, or --line-buffered) sends each
# verdict as it is judged; batch output is complete either way.
import pty
import select


def first_line_before_eof(args, use_pty):
    """Write one URL, keep stdin open, and wait up to 10 s for its verdict."""
    if use_pty:
        master, slave = pty.openpty()
        p = subprocess.Popen([exe, "check"] + args, stdin=subprocess.PIPE, stdout=slave)
        os.close(slave)
        rfd = master
    else:
        p = subprocess.Popen([exe, "check"] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        rfd = p.stdout.fileno()
    p.stdin.write(b"http://8.8.8.8/\n")
    p.stdin.flush()
    ready, _, _ = select.select([rfd], [], [], 10)
    got = os.read(rfd, 4096) if ready else b""
    p.stdin.close()
    p.wait(timeout=30)
    if use_pty:
        os.close(master)
    return got


expect(b"allow" in first_line_before_eof(["--line-buffered", "-"], False), "--line-buffered flushes each verdict")
expect(b"allow" in first_line_before_eof(["-"], True), "a terminal gets each verdict at once")
many = b"".join(b"http://8.8.8.%d/\n" % (i % 256) for i in range(20000))
rc, out, err = run(["-"], many)
expect(rc == 0 and len(out.splitlines()) == 20000, f"batch output complete ({len(out.splitlines())} lines)")

# Literal addresses need no network at all (this namespace has none).
rc, out, err = run(["http://[2001:4860:4860::8888]:8443/x"])
expect(rc == 0, "IPv6 literal without network")

print("check-cli:", "ok" if not failures else f"{failures} failures")
sys.exit(1 if failures else 0)
