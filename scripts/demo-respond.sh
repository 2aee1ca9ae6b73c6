#!/usr/bin/env bash
# demo-respond.sh — the whole loop on one machine, inside a loopback-only
# network namespace: the AWS emulator stands in for AWS, `ssrfguard serve`
# runs with its embedded responder, an SSRF attempt at the metadata service
# is blocked, and the responder contains and preserves the instance on the
# emulator.  The victim's root volume is a real ext4 image with an
# intruder's traces (scripts/demo-victim.sh); snapshot -> volume -> attach
# carries it to the forensic instance, where the SSM command really runs
# `ssrfguard forensics examine` (the emulator runs it here, against the
# attached image).  Shows the incident report and ends with the findings.
# Called by scripts/run.sh (after a build); runs on its own too:
# `bash scripts/demo-respond.sh`.  DEMO_KEEP=DIR keeps the demo's files
# (store, reports, the forensic case) in DIR for a test to check;
# DEMO_WEBHOOK=URL has the responder notify there; DEMO_THEN=CMD runs CMD
# before the emulator stops (see the end).
# Every line that says something happened is printed after it was checked;
# when a step does not happen the script stops, exit status 1, with the
# reason and the log to read (the demo's directory is then kept).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SSRFGUARD_IN_NETNS:-}" != 1 ]; then
  exec tests/netns-run bash "$0" "$@"   # nothing here can leave this machine
fi
sg=$(realpath "${SSRFGUARD:-./build/cli/ssrfguard}")   # SSRFGUARD: another build
if [ -n "${DEMO_KEEP:-}" ]; then
  tmp=$DEMO_KEEP
  mkdir -p "$tmp"
else
  tmp=$(mktemp -d /tmp/ssrfguard-respond-demo-XXXXXX)
fi
pids=()
keep=${DEMO_KEEP:-}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$keep" ] || rm -rf "$tmp"
}
trap cleanup EXIT
. scripts/demo-lib.sh

# the victim's root volume: a real disk image with what the intruder left;
# the forensic instance's SSM agent really runs the examination
SSRFGUARD=$sg bash scripts/demo-victim.sh "$tmp"
/usr/bin/python3 - tests/emulator/scenarios/fleet.json "$tmp/victim.img" >"$tmp/scenario.json" <<'PY'
import json, sys
sc = json.load(open(sys.argv[1]))
victim = next(i for i in sc["ec2"]["instances"] if i["InstanceId"] == "i-0a1b2c3d4e5f60001")
root = next(b for b in victim["BlockDeviceMappings"] if b["DeviceName"] == "/dev/xvda")
root["Image"] = sys.argv[2]
victim["BlockDeviceMappings"] = [root]           # the demo's victim has its root volume only
sc["ssm"]["scripts"].insert(0, {"match": "forensics examine", "instance_id": "i-0f0000000000000f1",
                                "run": True})
json.dump(sc, sys.stdout)
PY
mkdir -p "$tmp/forensic-host/cases" "$tmp/reports"

/usr/bin/python3 tests/emulator/emulator.py --port 0 --imds-port 0 \
  --seed "$tmp/scenario.json" --ready-file "$tmp/ready" >"$tmp/emulator.log" 2>&1 &
emulator=$!
pids+=($emulator)
for _ in $(seq 100); do
  [ -s "$tmp/ready" ] && break
  kill -0 $emulator 2>/dev/null || break
  sleep 0.1
done
[ -s "$tmp/ready" ] || fail "the AWS emulator did not start" "$tmp/emulator.log"
aws=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["aws"])' "$tmp/ready")
curl -sf -X POST -d '{"snapshot_seconds": 1, "attach_seconds": 0.5, "metadata_seconds": 0.5, "ssm_seconds": 0.5}' \
  "$aws/_emulator/timing" >/dev/null || fail "the AWS emulator refused the demo's timing" "$tmp/emulator.log"

cat >"$tmp/ssrfguard.conf" <<CONF
[respond]
forensic-instance = i-0f0000000000000f1
quarantine-profile = arn:aws:iam::123456789012:instance-profile/ssrfguard-quarantine-profile
report-dir = $tmp/reports
poll-ms = 100
capture-timeout = 10
forensics-cmd = $sg forensics examine --progress off --wait-device 10 --sysfs-root "\${EMULATOR_SYSFS_ROOT:-/sys}" --dev-root "\${EMULATOR_DEV_ROOT:-/dev}"
baseline = $tmp/baseline.jsonl
forensics-dir = $tmp/forensic-host
forensics-wait = 60
CONF
[ -z "${DEMO_WEBHOOK:-}" ] || echo "webhook = $DEMO_WEBHOOK" >>"$tmp/ssrfguard.conf"   # tests
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$aws"
$sg serve --config "$tmp/ssrfguard.conf" --listen 127.0.0.1:5002 --store "$tmp/incidents.db" --log "$tmp/serve.log" \
  --instance-id i-0a1b2c3d4e5f60001 --region us-east-1 --az us-east-1a --no-imds --respond \
  2>"$tmp/respond.log" &
serve=$!
pids+=($serve)
listening $serve 127.0.0.1:5002 ||
  fail "ssrfguard serve --respond did not start listening on 127.0.0.1:5002" "$tmp/respond.log"

echo
echo "== containment: ssrfguard serve --respond, with an AWS emulator standing in for AWS"
echo "\$ curl 'http://127.0.0.1:5002/go?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/'"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' \
  'http://127.0.0.1:5002/go?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/') || true
cat "$tmp/body"; echo "  -> HTTP $code"
[ "$code" = 403 ] || fail "the attempt at the metadata service was answered HTTP $code, not 403" "$tmp/serve.log"
state() {
  $sg incidents --store "$tmp/incidents.db" list --json | /usr/bin/python3 -c \
    'import json,sys; l=json.load(sys.stdin); print(l[0]["state"] if l else "")'
}
[ -n "$(state)" ] || fail "the blocked attempt left no incident in the store" "$tmp/serve.log"
echo "(the attacker already has its 403; the responder runs the playbook on the emulator now)"
st=
for _ in $(seq 300); do
  st=$(state)
  case "$st" in contained|failed) break ;; esac
  sleep 0.2
done
sed -n 's/^respond: //p' "$tmp/respond.log"
case "$st" in
  contained|failed) ;;
  *) fail "the responder did not finish INC-1 within 60 s (its state: ${st:-none})" "$tmp/respond.log" ;;
esac
echo
echo "\$ ssrfguard incidents list"
$sg incidents --store "$tmp/incidents.db" list
echo
written=
rep=$(cd "$tmp/reports" 2>/dev/null && ls INC-1-*.md 2>/dev/null | head -1)   # INC-N-STORE.md
[ -n "$rep" ] && [ -s "$tmp/reports/${rep%.md}.json" ] && written="; also written to reports/$rep and .json"
echo "\$ ssrfguard incidents show 1      (the report$written)"
$sg incidents --store "$tmp/incidents.db" show 1 | sed -n '1,/^## Timeline/p'
echo "... $( $sg incidents --store "$tmp/incidents.db" show 1 --json | /usr/bin/python3 -c '
import json, sys
calls = [c for s in json.load(sys.stdin)["steps"] for c in s.get("calls", [])]
with_id = sum(1 for c in calls if c.get("request_id"))
print("%d AWS calls in the timeline, %s" % (len(calls), "each with its request id" if with_id == len(calls)
      else "%d of them with a request id" % with_id))')"
echo
echo "== the emulator's view of the victim afterwards"
curl -sf "$aws/_emulator/journal" >"$tmp/journal.json" || fail "the emulator's journal could not be read" "$tmp/emulator.log"
curl -sf "$aws/_emulator/state" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin); e = s["ec2"]; v = "i-0a1b2c3d4e5f60001"; i = e["instances"][v]
seeded = json.load(open(sys.argv[1]))
calls = [c["action"] for c in sorted(json.load(open(sys.argv[2]))["calls"], key=lambda c: c["seq"])]
tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
print("  tags:", {k: tags[k] for k in ("IncidentId", "InvestigationTicket", "ssrfguard:status") if k in tags})
print("  IMDS:", i["MetadataOptions"]["HttpTokens"], "hop", i["MetadataOptions"]["HttpPutResponseHopLimit"])
print("  protection:", i["Attributes"])
for n in e["network_interfaces"].values():
    if (n.get("Attachment") or {}).get("InstanceId") == v:
        print("  ", n["NetworkInterfaceId"], "->", [e["security_groups"][g["GroupId"]]["GroupName"] for g in n["Groups"]])
# each remark only when the emulator shows it
asg = s["autoscaling"]["web-asg"]
before = next(set(g["Instances"]) for g in seeded["autoscaling_groups"] if g["AutoScalingGroupName"] == "web-asg")
new = sorted(x["InstanceId"] for x in asg["Instances"] if x["InstanceId"] not in before)
print("  in ASG web-asg:", v in [x["InstanceId"] for x in asg["Instances"]], "(desired %d%s)" % (
      asg["DesiredCapacity"], "; a replacement was launched: " + ", ".join(new) if new else "; no replacement launched"))
now = [a["IamInstanceProfile"]["Arn"].rpartition("/")[2] for a in e["iam_instance_profile_associations"].values()
       if a["InstanceId"] == v and a["State"] == "associated"]
swap = "ReplaceIamInstanceProfileAssociation"
first = swap in calls and "PutRolePolicy" in calls and calls.index(swap) < calls.index("PutRolePolicy")
print("  profile now:", now or "none", "(the SSM-only quarantine profile, swapped in before the revocation)"
      if now == ["ssrfguard-quarantine-profile"] and first else "")
print("  snapshots:", sorted(x["SnapshotId"] for x in e["snapshots"].values()))
print("  evidence volumes on the forensic instance:", sorted((x["VolumeId"], x["Attachments"][0]["Device"]) for x in e["volumes"].values() if any(t["Key"] == "IncidentId" for t in x.get("Tags", [])) and x["Attachments"]))
print("  role policies:", list(s["iam"]["roles"]["web-fleet-role"]["Policies"]))
' "$tmp/scenario.json" "$tmp/journal.json"

echo
echo "== what the intruder left: the examination on the forensic instance, as the incident records it"
$sg incidents --store "$tmp/incidents.db" show 1 --json | /usr/bin/python3 -c '
import hashlib, json, os, sys
fx = json.load(sys.stdin).get("forensics")
if not fx:
    sys.exit("  no forensic examination in the incident (see the forensics step above)")
ex = fx.get("examination")
if not ex:
    sys.exit("  the examination (SSM command %s, %s) left no result in the incident" %
             (fx.get("command_id"), fx.get("ssm_status")))
print("  SSM command %s: %s; examination %s" % (fx["command_id"], fx["ssm_status"], ex["status"]))
rep, want = ex.get("report"), ex.get("report_sha256")
if rep and os.path.isfile(rep):   # the forensic instance is this machine in the demo
    got = hashlib.sha256(open(rep, "rb").read()).hexdigest()
    print("  report %s, sha256 %s (%s)" % (rep, want, "checked" if got == want else "MISMATCH: " + got))
else:
    print("  report %s (sha256 %s) is not on this machine" % (rep, want))
print("  custody log head", ex.get("custody_head"))
for ev in ex.get("evidence", []):
    print("  %s (%s): device sha256 %s, %d finding(s)" % (ev["label"], ev["status"],
          ev.get("device_sha256"), ev.get("findings", 0)))
    for f in ev.get("top_findings", []):
        print("    %-9s %-40s %s" % (f["class"], f["path"], f.get("interest") or ""))
    if ev.get("findings_omitted"):
        print("    ... and %d more in the report" % ev["findings_omitted"])
    y = ev.get("yara") or {}
    if y.get("scope", "off") != "off":
        print("  YARA (%s, scope %s): %d of %d scanned file(s) matched" % (
              y.get("status"), y.get("scope"), y.get("matched", 0), y.get("scanned", 0)))
        for m in y.get("matches", []):
            print("    YARA      %-40s %s" % (m["path"], ", ".join(m["rules"])))
    for p in ev.get("persistence", []):
        print("    persist   %-40s %s (%s)" % (p["path"], p["kind"], p.get("baseline", "no baseline")))
'

# DEMO_THEN=CMD (tests): run CMD while the emulator and the responder are
# still up; DEMO_READY names the file holding the emulator's URLs
if [ -n "${DEMO_THEN:-}" ]; then
  DEMO_READY="$tmp/ready" bash -c "$DEMO_THEN"
fi
