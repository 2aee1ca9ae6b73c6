#!/usr/bin/env bash
# The chain-of-custody log: every run appends hash-chained entries under
# flock; verify-log accepts the intact log and rejects every edit, deletion,
# reordering or torn write; a truncated tail is caught by --expect-head; a
# broken log is never appended to; concurrent runs interleave safely.
source "$(dirname "$0")/lib.sh"
make_tree "$WORK/tree"
for n in a b c; do truncate -s 24M "$WORK/$n.img"; mkfs.ext4 -q -F -d "$WORK/tree" "$WORK/$n.img"; done
log=$WORK/custody.log
"$SG" forensics baseline --device "$WORK/a.img" --out "$WORK/base.jsonl" --custody-log "$log" --examiner tester >/dev/null
"$SG" forensics examine --device "$WORK/a.img" --baseline "$WORK/base.jsonl" --out "$WORK/o1" --custody-log "$log" --examiner tester >"$WORK/r1"
head1=$(jline 'r["custody_head"]' <"$WORK/r1")
v=$("$SG" forensics verify-log "$log")
check "verify-log: intact log passes" test "$(echo "$v" | jline 'r["status"]')" == ok
check "verify-log: 4 entries" test "$(echo "$v" | jline 'r["entries"]')" == 4
check "verify-log: head matches what examine printed" test "$(echo "$v" | jline 'r["head"]')" == "$head1"
check "verify-log: --expect-head passes" "$SG" forensics verify-log "$log" --expect-head "$head1"
check "examiner is recorded" grep -q '"who":"tester"' "$log"
check "report hash is recorded" grep -q "$(sha256sum "$WORK/o1/report.json" | cut -d' ' -f1)" "$log"

# concurrent runs on two devices share the log
"$SG" forensics examine --device "$WORK/b.img" --out "$WORK/o2" --custody-log "$log" >/dev/null 2>&1 &
"$SG" forensics examine --device "$WORK/c.img" --out "$WORK/o3" --custody-log "$log" >/dev/null 2>&1 &
wait
check "concurrent appends keep the chain" "$SG" forensics verify-log "$log"
check "concurrent appends: 10 entries" test "$("$SG" forensics verify-log "$log" | jline 'r["entries"]')" == 10
head=$("$SG" forensics verify-log "$log" | jline 'r["head"]')

expect_broken() {
  local what=$1 file=$2 rc=0
  "$SG" forensics verify-log "$file" "${@:3}" >/dev/null 2>&1 || rc=$?
  check "verify-log rejects $what (exit 1)" test "$rc" == 1
}
cp "$log" "$WORK/edit.log"; sed -i '2s/"who":"tester"/"who":"mallory"/' "$WORK/edit.log"
expect_broken "an edited entry" "$WORK/edit.log"
cp "$log" "$WORK/del.log"; sed -i '3d' "$WORK/del.log"
expect_broken "a deleted entry" "$WORK/del.log"
cp "$log" "$WORK/swap.log"; $PY -c "
import sys; l=open(sys.argv[1]).readlines(); l[3],l[4]=l[4],l[3]; open(sys.argv[1],'w').writelines(l)" "$WORK/swap.log"
expect_broken "reordered entries" "$WORK/swap.log"
cp "$log" "$WORK/torn.log"; printf '{"seq":11,"time":"x' >> "$WORK/torn.log"
expect_broken "a torn last line" "$WORK/torn.log"
cp "$log" "$WORK/tail.log"; sed -i '$d' "$WORK/tail.log"
check "a cut tail alone still chains" "$SG" forensics verify-log "$WORK/tail.log"
expect_broken "a cut tail against the recorded head" "$WORK/tail.log" --expect-head "$head"
# the last line edited: the chain alone cannot tell; the heads recorded
# outside the log (the report's, the result line's) can
"$SG" forensics examine --device "$WORK/a.img" --out "$WORK/o5" --custody-log "$WORK/last.log" \
  --no-device-hash >"$WORK/o5.out" 2>/dev/null || fail "examine o5"
final=$(jline 'r["custody_head"]' <"$WORK/o5.out")
check "the report records the log's head" test "$(jget "$WORK/o5/report.json" 'len(r["custody"]["head_before_report"])')" = 64
check "verify-log --report: intact" "$SG" forensics verify-log "$WORK/last.log" --report "$WORK/o5/report.json" --expect-head "$final"
$PY - "$WORK/last.log" <<'PYEOF'
import hashlib, json, sys
lines = open(sys.argv[1]).read().splitlines(True)
last = json.loads(lines[-1])
last["hashes"]["report_json_sha256"] = hashlib.sha256(b"another report").hexdigest()
lines[-1] = json.dumps(last, separators=(",", ":")) + "\n"
open(sys.argv[1], "w").writelines(lines)
PYEOF
check "the last line edited: the chain alone still passes" "$SG" forensics verify-log "$WORK/last.log"
expect_broken "the last line edited, against the report" "$WORK/last.log" --report "$WORK/o5/report.json"
expect_broken "the last line edited, against the printed head" "$WORK/last.log" --expect-head "$final"
# the entry that logs the report edited, its hashes kept (who, action, time
# moved earlier): the report still says what that entry must say
"$SG" forensics examine --device "$WORK/a.img" --out "$WORK/o6" --custody-log "$WORK/who.log" \
  --examiner alice --no-device-hash >/dev/null 2>&1 || fail "examine o6"
for edit in 'who=mallory' 'action=examine-failed' 'time=2001-01-01T00:00:00.000Z'; do
  cp "$WORK/who.log" "$WORK/who-edit.log"
  $PY - "$WORK/who-edit.log" "$edit" <<'PYEOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines(True)
last = json.loads(lines[-1])
k, v = sys.argv[2].split("=", 1)
last[k] = v
lines[-1] = json.dumps(last, separators=(",", ":")) + "\n"
open(sys.argv[1], "w").writelines(lines)
PYEOF
  expect_broken "the report's entry edited ($edit), hashes kept, against the report" \
    "$WORK/who-edit.log" --report "$WORK/o6/report.json"
done
check "the report's entry intact: passes against the report" \
  "$SG" forensics verify-log "$WORK/who.log" --report "$WORK/o6/report.json"
rc=0; "$SG" forensics examine --device "$WORK/a.img" --out "$WORK/o4" --custody-log "$WORK/edit.log" >/dev/null 2>"$WORK/o4.err" || rc=$?
check "a broken log is never appended to" test "$rc" == 2
check "... and says why" grep -q "refusing to append" "$WORK/o4.err"
finish
