#!/usr/bin/env bash
# Exports other tools read back, baselines other tools write:
#  - hashdeep -a -k with our list passes on a read-only mount of the
#    evidence (names with a tab, "|", a backslash, Latin-1 bytes; a GPT
#    disk's list per partition, names without a "pN:" prefix);
#  - a name holding a newline is written exactly as hashdeep writes it;
#  - a baseline hashdeep took of the tree (raw names, one record across two
#    lines) matches the partitioned disk: no false findings, a warning;
#  - a hashdeep line that is no record is skipped with a warning, and the
#    examination goes on.
source "$(dirname "$0")/lib.sh"

tree=$WORK/tree
mkdir -p "$tree/etc" "$tree/srv"
printf 'root:x:0:0::/root:/bin/sh\n' >"$tree/etc/passwd"
printf a >"$tree/srv/$(printf 'tab\there')"
printf b >"$tree/srv/pipe|name"
printf c >"$tree/srv/back\\slash"
printf d >"$tree/srv/$(printf 'lat\xe9in1')"
printf e >"$tree/srv/$(printf 'new\nline')"
head -c 100000 /dev/urandom >"$tree/srv/data.bin"

# GPT: p1 ext4 (the tree), p2 FAT with one file
gpt=$WORK/gpt.img
truncate -s 64M "$gpt"
sgdisk -n 1:2048:53247 -t 1:8300 -c 1:root -n 2:53248:0 -t 2:ef00 -c 2:EFI "$gpt" >/dev/null
truncate -s 25M "$WORK/p1.img"; mkfs.ext4 -q -F -d "$tree" "$WORK/p1.img"
dd if="$WORK/p1.img" of="$gpt" bs=512 seek=2048 conv=notrunc,sparse status=none
mkfs.vfat -C "$WORK/p2.img" 10000 >/dev/null
printf 'efi\n' >"$WORK/boot.txt"
MTOOLS_SKIP_CHECK=1 mcopy -i "$WORK/p2.img" "$WORK/boot.txt" ::/boot.txt
dd if="$WORK/p2.img" of="$gpt" bs=512 seek=53248 conv=notrunc status=none

out=$WORK/o-gpt
"$SG" forensics examine --device "$gpt" --out "$out" --no-device-hash >"$WORK/gpt.out" 2>"$WORK/gpt.err" \
  || fail "examine gpt exited $?"
L=$out/gpt.img
check "a list per partition" test -s "$L/manifest-p1.hashdeep" -a -s "$L/manifest-p2.hashdeep"
check "no pN: prefix in the hashdeep lists" bash -c "! grep -q ',\./*p[0-9]:' '$L/manifest.hashdeep'"
mkdir -p "$WORK/ro"; mount -o loop,ro,noload,offset=$((2048 * 512)) "$gpt" "$WORK/ro"; MOUNTS+=("$WORK/ro")
# hashdeep cannot audit a name holding a newline even with its own list
# (it reads the list line by line): audit the tree without it, then compare
# our line for it with hashdeep's own
grep -a -v -e '^1,.*,\./srv/new$' -e '^line$' "$L/manifest-p1.hashdeep" >"$WORK/p1-no-newline.hashdeep"
( cd "$WORK/ro" && hashdeep -c sha256 -o f -a -k "$WORK/p1-no-newline.hashdeep" -r -l \
    ./etc ./srv/data.bin ./srv/tab* ./srv/pipe* ./srv/back* ./srv/lat* ) >"$WORK/audit" 2>&1 || true
check "hashdeep -a -k passes on the mounted partition (tab, |, backslash, Latin-1)" grep -q "Audit passed" "$WORK/audit"
( cd "$WORK/ro" && hashdeep -c sha256 -o f -r -l ./srv ) >"$WORK/theirs" 2>/dev/null
check "a newline in a name: written as hashdeep writes it" \
  bash -c "diff <(grep -a -A1 -F ',./srv/new' '$WORK/theirs') <(grep -a -A1 -F ',./srv/new' '$L/manifest-p1.hashdeep')"
# the bodyfile reads back in mactime (TSK's timeline tool): one row per
# entry, every hostile name on one row, escaped, none split at its '|'
mactime -b "$L/bodyfile" -d -y >"$WORK/timeline.csv" 2>"$WORK/mactime.err"
check "mactime reads the bodyfile: every entry has its rows (one per distinct time)" $PY -c "
import csv, sys
body = {l.split('|')[1] for l in open(sys.argv[1], encoding='latin-1').read().splitlines()}
rows = list(csv.reader(open(sys.argv[2], encoding='latin-1')))[1:]
got = {r[-1] for r in rows}
assert got == body, (sorted(body - got)[:5], sorted(got - body)[:5])" "$L/bodyfile" "$WORK/timeline.csv"
for name in 'tab\x09here' 'pipe\x7cname' 'back\\slash' 'lat\xe9in1' 'new\x0aline'; do
  check "mactime: $name on its row" grep -qF "\"p1:/srv/$name\"" "$WORK/timeline.csv"
done
check "mactime: no complaint" test ! -s "$WORK/mactime.err"

# a baseline hashdeep wrote from the tree itself, against the partitioned disk
( cd "$tree" && hashdeep -c sha256 -o f -r -l . ) >"$WORK/tree.hashdeep"
"$SG" forensics examine --device "$gpt" --baseline "$WORK/tree.hashdeep" --out "$WORK/o-base" \
  --no-device-hash >"$WORK/base.out" 2>"$WORK/base.err" || fail "examine with a tree baseline exited $?"
R=$WORK/o-base/report.json
check "tree baseline vs partitioned disk: no findings" test "$(jget "$R" 'len(r["evidence"][0]["findings"])')" = 0
check "tree baseline: compared with the ext4 file system" test \
  "$(jget "$R" 'r["evidence"][0]["baseline"]["compared_with"]["filesystem"]')" = 0
check "tree baseline: the two-line record is reported" grep -q "read across two lines" "$R"
# the same, with a changed file and a garbage line: the examination goes on
cp "$WORK/tree.hashdeep" "$WORK/bad.hashdeep"
sed -i -e '5a this is not a record' \
  -e 's|^[0-9]*,[0-9a-f]*,\./etc/passwd$|32,0000000000000000000000000000000000000000000000000000000000000000,./etc/passwd|' "$WORK/bad.hashdeep"
"$SG" forensics examine --device "$gpt" --baseline "$WORK/bad.hashdeep" --out "$WORK/o-bad" \
  --no-device-hash >"$WORK/bad.out" 2>"$WORK/bad.err" || true
check "a garbage line and a changed hash: the examination goes on" test "$(jline 'r["status"]' <"$WORK/bad.out")" = ok
check "a garbage line: counted in the report" grep -q "unreadable lines skipped" "$WORK/o-bad/report.json"
check "the changed hash is a finding" test \
  "$(jget "$WORK/o-bad/report.json" '[f["class"] + " " + f["path"] for f in r["evidence"][0]["findings"]]')" = "['modified /etc/passwd']"
finish
