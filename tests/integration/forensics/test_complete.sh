#!/usr/bin/env bash
# An examination an examiner can sign: nothing incomplete is called "ok",
# libtsk's limits are not the examiner's, each source keeps its own result.
#  - a 4 KiB image and zeroed group descriptors: status "incomplete", exit 3,
#    the report says so first (never rc 0 "ok" with 0 entries);
#  - a directory and a file whose extent trees are deeper than the inode
#    (libtsk 4.11 lists 2 of 600 names and cannot read the file): every name
#    listed, the file hashed right, its growth against a baseline found;
#  - a file the baseline hashed that cannot be read: an "unverified" finding;
#  - several sources, one missing, one truncated: each its own status;
#  - ext4 times as the kernel decodes them (before 1970, after 2038, 0),
#    symlink targets of 60 bytes or more, extended attributes
#    (security.capability) and orphan inodes, recorded and diffed; an
#    orphan (a miner unlinked while it ran) hashed, extent- or block-mapped
#    (ext3), and matched by YARA, inode and all.
source "$(dirname "$0")/lib.sh"

# examine NAME ARGS...: runs examine, keeps stdout/stderr/rc
examine() {
  local name=$1; shift
  local rc=0
  timeout 120 "$SG" forensics examine "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  echo $rc >"$WORK/$name.rc"
}
rc_of() { cat "$WORK/$1.rc"; }

# ---- incomplete examinations are never "ok" ----
mkdir -p "$WORK/small/d"
for i in 1 2 3; do echo "$i" >"$WORK/small/d/f$i"; done
truncate -s 16M "$WORK/small.img"; mkfs.ext4 -q -F -b 1024 -d "$WORK/small" "$WORK/small.img"
head -c 4096 "$WORK/small.img" >"$WORK/t4k.img"
examine t4k --device "$WORK/t4k.img" --out "$WORK/o-t4k"
check "4 KiB image: exit 3 (incomplete), not 0" test "$(rc_of t4k)" = 3
check "4 KiB image: status incomplete" test "$(jline 'r["status"]' <"$WORK/t4k.out")" = incomplete
check "4 KiB image: report.json status incomplete" test "$(jget "$WORK/o-t4k/report.json" 'r["status"]')" = incomplete
check "4 KiB image: the file system says why" grep -q "the walk found no entries" "$WORK/o-t4k/report.json"
check "4 KiB image: report.md says INCOMPLETE first" grep -q "^\*\*Status: INCOMPLETE\*\*" "$WORK/o-t4k/report.md"
check "4 KiB image: custody log says examine-incomplete" grep -q '"examine-incomplete"' "$WORK/o-t4k/custody.log"

cp "$WORK/small.img" "$WORK/gdt.img"   # 1 KiB blocks: descriptors in block 2
dd if=/dev/zero of="$WORK/gdt.img" bs=1024 seek=2 count=1 conv=notrunc status=none
examine gdt --device "$WORK/gdt.img" --out "$WORK/o-gdt" --no-device-hash
check "zeroed group descriptors: exit 3" test "$(rc_of gdt)" = 3
check "zeroed group descriptors: the root is named as damaged" grep -q "root directory (inode 2)" "$WORK/o-gdt/report.json"

# acq_right IMG OUTDIR LABEL: the device hash and every 1 MiB window (the last one short)
acq_right() {
  $PY - "$1" "$2" "$3" <<'PYEOF'
import hashlib, json, sys
d = open(sys.argv[1], "rb").read()
r = json.load(open(sys.argv[2] + "/report.json"))
assert r["evidence"][0]["sha256"] == hashlib.sha256(d).hexdigest()
lines = open(sys.argv[2] + "/" + sys.argv[3] + "/windows.txt").read().split("\n")[:-1]
assert len(lines) == (len(d) + (1 << 20) - 1) >> 20, len(lines)
for i, l in enumerate(lines):
    off, n, h = l.split()
    assert int(off) == i << 20 and int(n) == min(1 << 20, len(d) - int(off)), l
    assert hashlib.sha256(d[int(off):int(off) + int(n)]).hexdigest() == h, l
PYEOF
}
examine good --device "$WORK/small.img" --out "$WORK/o-good"
check "default: no windows (they cost a core; --hash-windows)" test ! -e "$WORK/o-good/small.img/windows.txt"
check "default: the device hash is right" $PY -c "
import hashlib, json, sys
r = json.load(open(sys.argv[1]))
assert r['evidence'][0]['sha256'] == hashlib.sha256(open(sys.argv[2], 'rb').read()).hexdigest()
assert 'windows' not in r['evidence'][0]" "$WORK/o-good/report.json" "$WORK/small.img"
examine win --device "$WORK/small.img" --out "$WORK/o-win" --hash-windows
check "--hash-windows: device hash and every 1 MiB window right" \
  acq_right "$WORK/small.img" "$WORK/o-win" small.img
# past 8 MiB chunks and windows: 16 MiB + 3 bytes; SHA-NI lanes and OpenSSL
cp "$WORK/small.img" "$WORK/odd.img"; printf 'abc' >>"$WORK/odd.img"
examine odd --device "$WORK/odd.img" --out "$WORK/o-odd" --hash-windows
check "odd-sized device: hash and windows right, the last window short" \
  acq_right "$WORK/odd.img" "$WORK/o-odd" odd.img
examine odd-ossl --device "$WORK/odd.img" --out "$WORK/o-odd-ossl" --openssl-only --hash-windows
check "odd-sized device, --openssl-only: hash and windows right" \
  acq_right "$WORK/odd.img" "$WORK/o-odd-ossl" odd.img
check "--openssl-only: the report names the acquisition's engine" test \
  "$(jget "$WORK/o-odd-ossl/report.json" 'r["evidence"][0]["acquisition_engine"]')" = openssl
check "progress: quiet when stderr is not a terminal" bash -c "! grep -q 'forensics: acquired' '$WORK/good.err'"
examine progress --device "$WORK/small.img" --out "$WORK/o-progress" --progress on
check "progress: --progress shows bytes, rate, ETA and files" \
  grep -Eq "forensics: acquired [0-9.]+/[0-9.]+ GB [0-9.]+ GB/s ETA [0-9]+:[0-9]{2} \| [0-9]+ entries, [0-9]+ files hashed" "$WORK/progress.err"
check "intact image: exit 0, status ok" test "$(rc_of good)/$(jline 'r["status"]' <"$WORK/good.out")" = 0/ok
check "intact image: report.md says complete" grep -q "^\*\*Status: complete\*\*" "$WORK/o-good/report.md"

# ---- several sources, each with its own result ----
examine multi --device "$WORK/t4k.img" --device "$WORK/missing.img" --device "$WORK/small.img" \
  --out "$WORK/o-multi" --no-device-hash
check "several sources, one missing: exit 2" test "$(rc_of multi)" = 2
check "several sources: statuses are each its own" test \
  "$(jget "$WORK/o-multi/report.json" '" ".join(e["status"] for e in r["evidence"])')" = \
  "incomplete failed complete"
check "several sources: the missing one's error stays with it" test \
  "$(jget "$WORK/o-multi/report.json" '[("error" in e) for e in r["evidence"]]')" = "[False, True, False]"
check "several sources: the last one has all its entries" test \
  "$(jget "$WORK/o-multi/report.json" 'r["evidence"][2]["filesystems"][0]["entries"]')" = 5
check "several sources: the result line names the failure" grep -q '1 of 3 sources failed; missing.img' "$WORK/multi.out"

# ---- a baseline is parsed beside the acquisition: its errors still stop the examination ----
examine nobase --device "$WORK/small.img" --out "$WORK/o-nobase" --baseline "$WORK/none.jsonl"
check "missing baseline: exit 2 before the device is touched" test \
  "$(rc_of nobase)/$(jline 'r["status"]' <"$WORK/nobase.out")" = 2/error
check "missing baseline: no custody entry for the device" bash -c "! grep -q examine-start '$WORK/o-nobase/custody.log' 2>/dev/null"
"$SG" forensics baseline --device "$WORK/small.img" --out "$WORK/small.jsonl" >/dev/null 2>&1 || fail "baseline small"
{ head -3 "$WORK/small.jsonl"; echo '{"path":"/x","fs":0'; } >"$WORK/badbase.jsonl"
examine badbase --device "$WORK/small.img" --out "$WORK/o-badbase" --baseline "$WORK/badbase.jsonl"
check "unparsable baseline: exit 2, the source failed" test \
  "$(rc_of badbase)/$(jget "$WORK/o-badbase/report.json" 'r["evidence"][0]["status"]')" = 2/failed
check "unparsable baseline: the error names its line" grep -q "badbase.jsonl: manifest line 4" "$WORK/badbase.out"
check "unparsable baseline: never called ok" bash -c "! grep -q '\"status\":\"ok\"' '$WORK/badbase.out'"

# ---- extent trees deeper than the inode ----
mkdir -p "$WORK/deep/big" "$WORK/deep/var/log"
$PY - "$WORK/deep" <<'PYEOF'
import os, sys
d = sys.argv[1]
# 600 long names, each with one data block: the directory's blocks are
# interleaved with file data, so its extent tree needs an index level
for i in range(600):
    open('%s/big/%s%05d' % (d, 'n' * 200, i), 'w').write('x' * 1000)
# a log that grew with holes: 400 runs, a two-level extent tree
with open(d + '/var/log/app.log', 'wb') as f:
    for i in range(400):
        f.seek(i * 32768)
        f.write(os.urandom(4096))
PYEOF
mkdir -p "$WORK/shallow/var/log"
head -c 100000 /dev/urandom >"$WORK/shallow/var/log/app.log"
touch -d '2024-03-01 12:00:00' "$WORK/shallow/var/log/app.log"
truncate -s 64M "$WORK/deep.img" "$WORK/shallow.img"
mkfs.ext4 -q -F -b 1024 -d "$WORK/deep" "$WORK/deep.img"
mkfs.ext4 -q -F -b 1024 -d "$WORK/shallow" "$WORK/shallow.img"
depth() { debugfs -R "ex $2" "$1" 2>/dev/null | awk 'NR == 2 { print $2 + 0 }'; }
check "test image: the directory's extent tree has an index level" test "$(depth "$WORK/deep.img" /big)" -ge 1
check "test image: the log's extent tree is two levels deep" test "$(depth "$WORK/deep.img" /var/log/app.log)" -ge 2
"$SG" forensics baseline --device "$WORK/shallow.img" --out "$WORK/shallow.jsonl" >/dev/null 2>&1 \
  || fail "baseline of the shallow image"
examine deep --device "$WORK/deep.img" --out "$WORK/o-deep" --no-device-hash --baseline "$WORK/shallow.jsonl"
check "deep trees: exit 0 (complete)" test "$(rc_of deep)" = 0
check "deep directory: all 600 names listed" test \
  "$(grep -c '"path":"/big/nnnn' "$WORK/o-deep/deep.img/manifest.jsonl")" = 600
want=$(sha256sum <"$WORK/deep/var/log/app.log" | cut -d' ' -f1)
check "deep file: hashed, and right" grep -q "\"path\":\"/var/log/app.log\".*\"sha256\":\"$want\"" \
  "$WORK/o-deep/deep.img/manifest.jsonl"
check "deep file: its growth is a finding" test \
  "$(jget "$WORK/o-deep/report.json" '[f["class"] for f in r["evidence"][0]["findings"] if f["path"] == "/var/log/app.log"]')" = "['modified']"
# with the device hash (the default) files are hashed from the acquisition's
# own buffers: the same hashes as read on their own, the sparse log included
# (SHA-NI lanes and OpenSSL)
same_hashes() {
  $PY - "$@" <<'PYEOF'
import json, sys
def hashes(p):
    m = {}
    for line in open(p):
        e = json.loads(line)
        if e.get("type") == "file":
            m[e["path"]] = e.get("sha256")
    return m
a, b = hashes(sys.argv[1]), hashes(sys.argv[2])
assert a == b and len(a) > 600, (len(a), [k for k in a if a[k] != b.get(k)][:5])
# how many came from the stream depends on which thread the machine runs
# first (test_dfeed checks that path itself); here: whichever way, the same
r = json.load(open(sys.argv[3]))
assert isinstance(r["evidence"][0]["filesystems"][0]["files_hashed_from_acquisition"], int)
PYEOF
}
for how in default openssl-only; do
  flags=(); [ $how = openssl-only ] && flags=(--openssl-only)
  examine deepfed-$how --device "$WORK/deep.img" --out "$WORK/o-deepfed-$how" "${flags[@]}"
  check "hashed from the acquisition ($how): every file as read on its own" same_hashes \
    "$WORK/o-deep/deep.img/manifest.jsonl" "$WORK/o-deepfed-$how/deep.img/manifest.jsonl" \
    "$WORK/o-deepfed-$how/report.json"
done

# a file whose extent index block is destroyed cannot be hashed: against a
# baseline that hashed it, that is a finding, and the examination incomplete
"$SG" forensics baseline --device "$WORK/deep.img" --out "$WORK/deep.jsonl" >/dev/null 2>&1 \
  || fail "baseline of the deep image"
cp "$WORK/deep.img" "$WORK/broken.img"
idx=$(debugfs -R "ex /var/log/app.log" "$WORK/broken.img" 2>/dev/null | awk 'NR == 2 { print $8 }')
dd if=/dev/zero of="$WORK/broken.img" bs=1024 seek="$idx" count=1 conv=notrunc status=none
examine broken --device "$WORK/broken.img" --out "$WORK/o-broken" --no-device-hash --baseline "$WORK/deep.jsonl"
check "unreadable file: exit 3 (got $(rc_of broken))" test "$(rc_of broken)" = 3
check "unreadable file: an unverified finding" test \
  "$(jget "$WORK/o-broken/report.json" '[f["class"] for f in r["evidence"][0]["findings"]]')" = "['unverified']"

# ---- times as the kernel decodes them; long symlink targets ----
mkdir -p "$WORK/tt"
for f in old older future zero; do echo "$f" >"$WORK/tt/$f"; done
long=/$(printf 'x%.0s' $(seq 1 80))/target
ln -s "$long" "$WORK/tt/longlink"
truncate -s 16M "$WORK/tt.img"; mkfs.ext4 -q -F -I 256 -d "$WORK/tt" "$WORK/tt.img"
# set_raw IMG PATH OFFSET U32: write one 32-bit field of the inode
set_raw() {
  local loc blk off
  loc=$(debugfs -R "imap $2" "$1" 2>/dev/null | awk '/located at block/ { print $(NF-2), $NF }')
  blk=${loc% *}; blk=${blk%,}; off=${loc#* }
  $PY - "$1" "$blk" "$off" "$3" "$4" <<'PYEOF'
import struct, sys
img, blk, off, field, val = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0), int(sys.argv[4], 0), int(sys.argv[5], 0)
with open(img, 'r+b') as f:
    f.seek(blk * 1024 + off + field)   # 16M ext4: 1 KiB blocks
    f.write(struct.pack('<I', val & 0xffffffff))
PYEOF
  debugfs -w -n -R "sif $2 checksum calc" "$1" >/dev/null 2>&1
}
set_raw "$WORK/tt.img" /old 0x10 -1; set_raw "$WORK/tt.img" /old 0x88 $((999999999 << 2))    # -0.000000001
set_raw "$WORK/tt.img" /older 0x10 -31536000; set_raw "$WORK/tt.img" /older 0x88 0       # 1969-01-01
set_raw "$WORK/tt.img" /future 0x10 $((4102444800 & 0xffffffff)); set_raw "$WORK/tt.img" /future 0x88 1  # 2100
set_raw "$WORK/tt.img" /zero 0x08 0; set_raw "$WORK/tt.img" /zero 0x8c 0                 # atime 0
examine tt --device "$WORK/tt.img" --out "$WORK/o-tt" --no-device-hash
field() { grep "\"path\":\"$1\"" "$WORK/o-tt/tt.img/manifest.jsonl" | $PY -c "import json,sys; print(json.loads(sys.stdin.read()).get('$2'))"; }
check "time just before 1970: -0.000000001" test "$(field /old mtime)" = -0.000000001
check "time in 1969: negative seconds" test "$(field /older mtime)" = -31536000.000000000
check "time after 2038: epoch bits used" test "$(field /future mtime)" = 4102444800.000000000
check "time 0 is a time, not absent" test "$(field /zero atime)" = 0.000000000
check "symlink target of 80 bytes recorded" test "$(field /longlink target)" = "$long"
"$SG" forensics baseline --device "$WORK/tt.img" --out "$WORK/tt.jsonl" >/dev/null 2>&1 || fail "baseline tt"
cp "$WORK/tt.img" "$WORK/tt2.img"
debugfs -w -R "rm /longlink" "$WORK/tt2.img" >/dev/null 2>&1
debugfs -w -R "symlink /longlink ${long/target/evil}" "$WORK/tt2.img" >/dev/null 2>&1
examine tt2 --device "$WORK/tt2.img" --out "$WORK/o-tt2" --no-device-hash --baseline "$WORK/tt.jsonl"
check "long symlink retargeted: a finding" test \
  "$(jget "$WORK/o-tt2/report.json" '[f["class"] + " " + f["path"] for f in r["evidence"][0]["findings"]]')" = "['modified /longlink']"

# ---- extended attributes: a capability added to a binary ----
mkdir -p "$WORK/xa/usr/bin"
cp /bin/true "$WORK/xa/usr/bin/tool"
truncate -s 16M "$WORK/xa.img"; mkfs.ext4 -q -F -d "$WORK/xa" "$WORK/xa.img"
"$SG" forensics baseline --device "$WORK/xa.img" --out "$WORK/xa.jsonl" >/dev/null 2>&1 || fail "baseline xa"
mount_rw "$WORK/xa.img" "$WORK/mnt-xa"
setcap cap_setuid+ep "$WORK/mnt-xa/usr/bin/tool"
unmount "$WORK/mnt-xa"
examine xa --device "$WORK/xa.img" --out "$WORK/o-xa" --no-device-hash --baseline "$WORK/xa.jsonl"
check "capability added: a metadata finding of special interest" test \
  "$(jget "$WORK/o-xa/report.json" '[(f["class"], f["path"], f["detail"], bool(f.get("interest"))) for f in r["evidence"][0]["findings"]]')" = \
  "[('metadata', '/usr/bin/tool', 'xattrs +security.capability', True)]"
check "capability recorded in the manifest" grep -q '"xattrs":"security.capability=01000002' "$WORK/o-xa/xa.img/manifest.jsonl"

# ---- orphan inodes: files deleted while a process held them open ----
# orphan_snapshot NAME MKFS_OPTS...: an image whose snapshot is taken while
# a deleted file is still open; fsfreeze puts the orphan (in the journal
# until then) where a crash-consistent snapshot has it: the superblock's
# list, or the orphan file (-O orphan_file, e2fsprogs 1.47)
orphan_snapshot() {
  local name=$1; shift
  mkdir -p "$WORK/$name"; echo keep >"$WORK/$name/keep"
  truncate -s 16M "$WORK/$name.img"; mkfs.ext4 -q -F "$@" -d "$WORK/$name" "$WORK/$name.img"
  "$SG" forensics baseline --device "$WORK/$name.img" --out "$WORK/$name.jsonl" >/dev/null 2>&1 || fail "baseline $name"
  mount_rw "$WORK/$name.img" "$WORK/mnt-$name"
  $PY - "$WORK/mnt-$name" "$WORK/$name.img" "$WORK/$name-snap.img" "$WORK/$name.sha" "$WORK/$name.ino" <<'PYEOF'
import hashlib, os, shutil, subprocess, sys
mnt, img, snap, sha, ino = sys.argv[1:]
# a miner started, then unlinked while it runs: its launch line inside
launch = (b"\nexec ./kdevtmpfsi -o stratum+tcp://pool.minexmr.example:4444 -u "
          b"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
          b" -a rx/0\n")
data = os.urandom(30000) + launch + os.urandom(20000)
f = open(mnt + "/payload", "wb"); f.write(data); f.flush(); os.fsync(f.fileno())
open(ino, "w").write(str(os.fstat(f.fileno()).st_ino))
os.unlink(mnt + "/payload"); os.sync()
subprocess.run(["fsfreeze", "-f", mnt], check=True)
try:
    shutil.copy(img, snap)
finally:
    subprocess.run(["fsfreeze", "-u", mnt], check=True)
f.close()
open(sha, "w").write(hashlib.sha256(data).hexdigest())
PYEOF
  unmount "$WORK/mnt-$name"
  examine "$name" --device "$WORK/$name-snap.img" --out "$WORK/o-$name" --no-device-hash --baseline "$WORK/$name.jsonl"
}
orphan_checks() { # NAME WHAT
  check "$2: listed, deleted, its content hashed" grep -q \
    "\"path\":\"/\$OrphanFiles/OrphanFile-[0-9]*\".*\"deleted\":true,\"sha256\":\"$(cat "$WORK/$1.sha")\"" \
    "$WORK/o-$1/$1-snap.img/manifest.jsonl"
  check "$2: a finding" test \
    "$(jget "$WORK/o-$1/report.json" '[f["class"] for f in r["evidence"][0]["findings"] if "OrphanFile" in f["path"]]')" = "['deleted_in_image']"
  yara_orphan_checks "$1" "$2" "o-$1"
}
# yara_orphan_checks NAME WHAT OUTDIR: YARA read the orphan's content (the
# miner unlinked while it ran) and says which inode, that it is deleted, and
# the hash the walk took of it
yara_orphan_checks() {
  local ino path sha
  ino=$(cat "$WORK/$1.ino"); path="/\$OrphanFiles/OrphanFile-$ino"
  sha=$(cat "$WORK/$1.sha")
  check "$2: YARA matched the orphan's content, with its inode and status" $PY - \
    "$WORK/$3/report.json" "$path" "$ino" "$sha" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
y = r["evidence"][0]["yara"]
m = [m for m in y["matches"] if m["path"] == sys.argv[2]]
assert len(m) == 1, y["matches"]
m = m[0]
assert m["inode"] == int(sys.argv[3]) and m["class"] == "deleted_in_image", m
assert m["selected"] == "orphan inode" and str(m["sha256"]) == sys.argv[4], m
assert [x["namespace"] + "." + x["rule"] for x in m["rules"]] == ["miners.miner_stratum_launcher"], m
assert y["orphans"] == 1 and y["status"] == "complete", y
PYEOF
  check "$2: report.md shows the orphan's match, its inode and status" grep -Fq \
    "| \` $path \` (orphan inode $ino) | deleted\\_in\\_image | **miners.miner\\_stratum\\_launcher** |" \
    "$WORK/$3/report.md"
  check "$2: report.md counts the orphan among the files scanned" grep -Eq \
    "[0-9]+ of [0-9]+ selected files scanned \(1 orphan inode\)" "$WORK/$3/report.md"
  check "$2: the manifest line of the orphan names the rule" grep -Eq \
    "OrphanFile-$ino\".*\"yara\":\\[\"miners.miner_stratum_launcher\"\\]" \
    "$WORK/$3/$1-snap.img/manifest.jsonl"
}
orphan_snapshot orph -O ^orphan_file
orphan_checks orph "orphan inode (superblock list)"
examine orph-nobase --device "$WORK/orph-snap.img" --out "$WORK/o-orph-nobase" --no-device-hash
yara_orphan_checks orph "orphan inode, no baseline" o-orph-nobase
# ext3-like, block-mapped (no extents): hashed like the rest, through libtsk
orphan_snapshot orph3 -O ^extent,^64bit,^orphan_file
check "test image: the orphan is block-mapped" bash -c \
  "! debugfs -R 'stat <$(cat "$WORK/orph3.ino")>' '$WORK/orph3-snap.img' 2>/dev/null | grep -q Extents"
orphan_checks orph3 "orphan inode (block-mapped)"
orphan_snapshot orphf -O orphan_file
check "test image: the orphan is in the orphan file, not the superblock list" test \
  "$(dumpe2fs -h "$WORK/orphf-snap.img" 2>/dev/null | grep -c 'First orphan inode')" = 0
orphan_checks orphf "orphan inode (orphan file)"
check "orphan file: the note says where it was found" grep -q '"note":"orphan inode (orphan file)' \
  "$WORK/o-orphf/orphf-snap.img/manifest.jsonl"

finish
