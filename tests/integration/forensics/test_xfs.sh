#!/usr/bin/env bash
# XFS (Amazon Linux's root): built by mkfs.xfs -p from the known tree; the
# attacker's changes through a mount; examined through a read-only loop
# device mounted ro,norecovery,nouuid in a private namespace.  Exactly the
# expected findings, agreement with the kernel's view, the loop device gone
# afterwards, and a dirty log (shut down without flushing, or a snapshot of
# the running file system) reported dirty, with a caveat on the findings.
source "$(dirname "$0")/lib.sh"
make_tree "$WORK/tree"
$PY "$HERE/mkproto.py" "$WORK/tree" > "$WORK/proto"
img=$WORK/xfs.img evil=$WORK/xfs-evil.img
truncate -s 320M "$img"
mkfs.xfs -q -f -p "$WORK/proto" "$img"
"$SG" forensics baseline --device "$img" --out "$WORK/base.jsonl" >/dev/null || fail "baseline"
cp --sparse=always "$img" "$evil"
mount_rw "$evil" "$WORK/mnt"
apply_changes "$WORK/mnt"
unmount "$WORK/mnt"
out=$WORK/out
"$SG" forensics examine --device "$evil" --baseline "$WORK/base.jsonl" --out "$out" >"$WORK/result" \
  || fail "examine exited $?"
expect_findings xfs "$out/report.json" "$EXPECTED_CHANGES"
check "xfs: method is the read-only loop mount" test "$(jget "$out/report.json" 'r["evidence"][0]["filesystems"][0]["method"]')" == xfs-readonly-loop-mount
check "xfs: the report says deleted files are invisible" grep -q "deleted files" "$out/report.md"
check "xfs: the report says what it cannot see (deleted files), and that orphans are read raw" $PY - "$out/report.json" <<'PYEOF'
import json, sys
fs = json.load(open(sys.argv[1]))["evidence"][0]["filesystems"][0]
said = [c for c in fs["cannot_see"] if c.startswith("deleted files: ")]
assert len(said) == 1 and "orphan inodes read raw" in said[0], fs["cannot_see"]
PYEOF
check "xfs: clean log reported clean" test "$(jget "$out/report.json" 'r["evidence"][0]["filesystems"][0]["journal"]')" == clean
check "xfs: acquisition hash equals sha256sum" test "$(jget "$out/report.json" 'r["evidence"][0]["sha256"]')" == "$(sha256sum "$evil" | cut -d' ' -f1)"
check "xfs: no loop device left attached" test -z "$(losetup -j "$evil")"
check "xfs: no mount left behind" sh -c "! grep -q ssrfguard-xfs /proc/mounts"
check "xfs: evidence unchanged by the examination" test "$(sha256sum "$evil" | cut -d' ' -f1)" == "$(jget "$out/report.json" 'r["evidence"][0]["sha256"]')"
mount_ro "$evil" "$WORK/ro" xfs
check "xfs: manifest agrees with the kernel's view" $PY "$HERE/crosscheck.py" "$out/xfs-evil.img/manifest.jsonl" "$WORK/ro"
unmount "$WORK/ro"

# extended attributes, read through the kernel: a capability added to a
# binary, a user attribute changed, a trusted one on a symlink (not followed)
cp --sparse=always "$img" "$WORK/xa.img"
mount_rw "$WORK/xa.img" "$WORK/mnt-xa"
$PY -c 'import os, sys; os.setxattr(sys.argv[1] + "/usr/bin/tool", "user.origin", b"pkg")' "$WORK/mnt-xa"
unmount "$WORK/mnt-xa"
"$SG" forensics baseline --device "$WORK/xa.img" --out "$WORK/xa.jsonl" >/dev/null || fail "baseline xa"
check "xfs: a user attribute recorded in the baseline" grep -q '"xattrs":"user.origin=706b67"' "$WORK/xa.jsonl"
mount_rw "$WORK/xa.img" "$WORK/mnt-xa"
setcap cap_setuid+ep "$WORK/mnt-xa/usr/bin/helper"
$PY - "$WORK/mnt-xa" <<'PYEOF'
import os, sys
m = sys.argv[1]
os.setxattr(m + "/usr/bin/tool", "user.origin", b"evil")
os.setxattr(m + "/usr/lib/libx.so", "trusted.mark", b"\x01", follow_symlinks=False)
PYEOF
unmount "$WORK/mnt-xa"
"$SG" forensics examine --device "$WORK/xa.img" --baseline "$WORK/xa.jsonl" --out "$WORK/out-xa" \
  --no-device-hash >/dev/null || fail "examine xa exited $?"
check "xfs: exactly the attribute findings" test \
  "$(jget "$WORK/out-xa/report.json" 'sorted((f["class"], f["path"], f["detail"]) for f in r["evidence"][0]["findings"])')" = \
  "[('metadata', '/usr/bin/helper', 'xattrs +security.capability'), ('metadata', '/usr/bin/tool', 'xattrs ~user.origin'), ('metadata', '/usr/lib/libx.so', 'xattrs +trusted.mark')]"
check "xfs: the capability is of special interest" test \
  "$(jget "$WORK/out-xa/report.json" '[f["interest"] for f in r["evidence"][0]["findings"] if f["path"] == "/usr/bin/helper"][0]' | grep -ci capab)" -ge 1
check "xfs: the symlink's own attribute, not its target's" \
  bash -c "grep '\"path\":\"/usr/lib/libx.so.1\"' '$WORK/out-xa/xa.img/manifest.jsonl' | grep -q '\"xattrs\":\"\"'"

# orphan inodes: a miner unlinked while it ran (this shell holds it open),
# imaged while the file system is frozen (metadata in place, log clean), as
# a snapshot of the running instance would be; the mount cannot show it, the
# AGI's unlinked list holds it: listed, hashed and scanned by YARA
cp --sparse=always "$img" "$WORK/orph.img"
mount_rw "$WORK/orph.img" "$WORK/mnt-o"
ino=$($PY - "$WORK/mnt-o/tmp/kdevtmpfsi" "$WORK/xorph.sha" <<'PYEOF'
import hashlib, os, sys
data = os.urandom(200000) + (b"\nexec ./kdevtmpfsi -o stratum+tcp://pool.minexmr.example:4444 -u "
       b"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
       b" -a rx/0\n") + os.urandom(100000)
with open(sys.argv[1], "wb") as f:
    f.write(data)
    os.fsync(f.fileno())
open(sys.argv[2], "w").write(hashlib.sha256(data).hexdigest())
print(os.stat(sys.argv[1]).st_ino)
PYEOF
)
# and a log of 300 scattered 4 KiB writes: too many extents for the inode,
# its map is a B+tree
ino2=$($PY - "$WORK/mnt-o/tmp/.cache" "$WORK/xorph2.sha" <<'PYEOF'
import hashlib, os, sys
with open(sys.argv[1], "wb") as f:
    for i in range(300):
        f.seek(i * 65536)
        f.write(os.urandom(4096))
    os.fsync(f.fileno())
open(sys.argv[2], "w").write(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())
print(os.stat(sys.argv[1]).st_ino)
PYEOF
)
exec 7<"$WORK/mnt-o/tmp/kdevtmpfsi" 8<"$WORK/mnt-o/tmp/.cache"
rm "$WORK/mnt-o/tmp/kdevtmpfsi" "$WORK/mnt-o/tmp/.cache"
xfs_freeze -f "$WORK/mnt-o"
cp --sparse=always "$WORK/orph.img" "$WORK/orph-snap.img"
xfs_freeze -u "$WORK/mnt-o"
exec 7<&- 8<&-
unmount "$WORK/mnt-o"
check "test image: the scattered log's extent map is a B+tree" bash -c \
  "xfs_db -r -c 'inode $ino2' -c 'p core.format' '$WORK/orph-snap.img' | grep -q btree"
agno=$(xfs_db -r -c "convert inode $ino agno" "$WORK/orph-snap.img" | sed 's/.*(\(.*\))/\1/')
agino=$(xfs_db -r -c "convert inode $ino agino" "$WORK/orph-snap.img" | sed 's/.*(\(.*\))/\1/')
check "test image: the AGI's unlinked list holds the miner's inode" bash -c \
  "xfs_db -r -c 'agi $agno' -c 'p unlinked' '$WORK/orph-snap.img' | grep -Eq '[0-9]+:$agino( |\$)'"
"$SG" forensics examine --device "$WORK/orph-snap.img" --out "$WORK/out-orph" --no-device-hash >/dev/null \
  || fail "examine of an XFS with an orphan exited $?"
check "xfs orphan inode: listed, deleted, its content hashed" grep -q \
  "\"path\":\"/\$OrphanFiles/OrphanFile-$ino\",\"fs\":0,\"inode\":$ino,\"type\":\"file\",\"size\":300[0-9]*,.*\"deleted\":true,\"sha256\":\"$(cat "$WORK/xorph.sha")\".*\"note\":\"orphan inode" \
  "$WORK/out-orph/orph-snap.img/manifest.jsonl"
check "xfs orphan inode with a B+tree extent map: hashed (holes as zeros)" grep -q \
  "\"path\":\"/\$OrphanFiles/OrphanFile-$ino2\",.*\"deleted\":true,\"sha256\":\"$(cat "$WORK/xorph2.sha")\"" \
  "$WORK/out-orph/orph-snap.img/manifest.jsonl"
check "xfs orphan inode: YARA matched it, complete" $PY - "$WORK/out-orph/report.json" "$ino" <<'PYEOF'
import json, sys
ev = json.load(open(sys.argv[1]))["evidence"][0]
y = ev["yara"]
m = [m for m in y["matches"] if m["path"] == "/$OrphanFiles/OrphanFile-" + sys.argv[2]]
assert len(m) == 1 and m[0]["orphan"] and m[0]["class"] == "deleted_in_image", y["matches"]
assert [x["namespace"] + "." + x["rule"] for x in m[0]["rules"]] == ["miners.miner_stratum_launcher"], m
assert y["orphans"] == 2 and y["status"] == "complete" and ev["status"] == "complete", (y, ev["status"])
PYEOF

# a dirty log: write, then shut the file system down without flushing
mount_rw "$evil" "$WORK/mnt2"
for i in $(seq 1 20); do echo "written just before the crash" > "$WORK/mnt2/tmp/last-write-$i"; done
sync -f "$WORK/mnt2/tmp/last-write-1"   # the log holds them, the metadata is not yet in place
xfs_io -x -c shutdown "$WORK/mnt2"
unmount "$WORK/mnt2"
"$SG" forensics examine --device "$evil" --out "$WORK/out-dirty" --no-device-hash >/dev/null \
  || fail "examine of a dirty XFS exited $?"
check "xfs: dirty log reported dirty" test "$(jget "$WORK/out-dirty/report.json" 'r["evidence"][0]["filesystems"][0]["journal"]')" == dirty
check_caveat() { # $1: what; $2: the examination's output directory
  check "xfs $1: the report's caveats say the log was not clean" $PY - "$2/report.json" <<'PYEOF'
import json, sys
ev = json.load(open(sys.argv[1]))["evidence"][0]
fs = ev["filesystems"][0]
assert fs["journal"] == "dirty" and fs["journal_pending_bytes"] > 0, fs
assert ev["caveats"] == ["file system 0: " + fs["journal_note"]], ev["caveats"]
assert fs["journal_note"].startswith("the XFS log was not clean: files changed in the last "
                                     "seconds may be missing"), fs["journal_note"]
PYEOF
  check "xfs $1: report.md says it under Findings" bash -c \
    "grep -A2 '^#### Findings' '$2/report.md' | grep -q '^\*\*Caveat:\*\* file system 0: the XFS log was not clean'"
}
check_caveat "shut down without flushing" "$WORK/out-dirty"
check "xfs: a clean log has no caveat" test "$(jget "$out/report.json" 'r["evidence"][0]["caveats"]')" = "[]"
check "xfs: ... nor a Caveat line in report.md" bash -c "! grep -q Caveat '$out/report.md'"

# a snapshot of a running instance: the image copied while mounted and
# written to, its last changes synced to the log only (not frozen, not
# unmounted): the log is read raw and found not clean
cp --sparse=always "$img" "$WORK/live.img"
mount_rw "$WORK/live.img" "$WORK/mnt-live"
for i in $(seq 1 30); do echo "dropped by the intruder" > "$WORK/mnt-live/tmp/.x$i"; done
sync -f "$WORK/mnt-live/tmp/.x1"
cp --sparse=always "$WORK/live.img" "$WORK/live-snap.img"
unmount "$WORK/mnt-live"
"$SG" forensics examine --device "$WORK/live-snap.img" --baseline "$WORK/base.jsonl" \
  --out "$WORK/out-live" --no-device-hash >/dev/null || fail "examine of a live snapshot exited $?"
check_caveat "snapshot of a running file system" "$WORK/out-live"
check "xfs snapshot of a running file system: still no loop device left" \
  test -z "$(losetup -j "$WORK/live-snap.img")"
check "xfs: still no loop device left" test -z "$(losetup -j "$evil")"

# ext4 whose needs_recovery flag is set: the journal is dirty
truncate -s 32M "$WORK/e.img"; mkfs.ext4 -q -F -d "$WORK/tree" "$WORK/e.img"
debugfs -w -R "feature needs_recovery" "$WORK/e.img" >/dev/null 2>&1
"$SG" forensics examine --device "$WORK/e.img" --out "$WORK/out-e" --no-device-hash >/dev/null || fail "ext4 dirty examine"
check "ext4: needs_recovery reported as a dirty journal" test "$(jget "$WORK/out-e/report.json" 'r["evidence"][0]["filesystems"][0]["journal"]')" == dirty
finish
