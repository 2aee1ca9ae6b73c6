#!/usr/bin/env bash
# XFS (Amazon Linux's root): built by mkfs.xfs -p from the known tree; the
# attacker's changes through a mount; examined through a read-only loop
# device mounted ro,norecovery,nouuid in a private namespace.  Exactly the
# expected findings, agreement with the kernel's view, the loop device gone
# afterwards, and a dirty log (shut down without flushing) reported dirty.
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
check "xfs: clean log reported clean" test "$(jget "$out/report.json" 'r["evidence"][0]["filesystems"][0]["journal"]')" == clean
check "xfs: acquisition hash equals sha256sum" test "$(jget "$out/report.json" 'r["evidence"][0]["sha256"]')" == "$(sha256sum "$evil" | cut -d' ' -f1)"
check "xfs: no loop device left attached" test -z "$(losetup -j "$evil")"
check "xfs: no mount left behind" sh -c "! grep -q ssrfguard-xfs /proc/mounts"
check "xfs: evidence unchanged by the examination" test "$(sha256sum "$evil" | cut -d' ' -f1)" == "$(jget "$out/report.json" 'r["evidence"][0]["sha256"]')"
mount_ro "$evil" "$WORK/ro" xfs
check "xfs: manifest agrees with the kernel's view" $PY "$HERE/crosscheck.py" "$out/xfs-evil.img/manifest.jsonl" "$WORK/ro"
unmount "$WORK/ro"

# a dirty log: write, then shut the file system down without flushing
mount_rw "$evil" "$WORK/mnt2"
for i in $(seq 1 20); do echo "written just before the crash" > "$WORK/mnt2/tmp/last-write-$i"; done
sync -f "$WORK/mnt2/tmp/last-write-1"   # the log holds them, the metadata is not yet in place
xfs_io -x -c shutdown "$WORK/mnt2"
unmount "$WORK/mnt2"
"$SG" forensics examine --device "$evil" --out "$WORK/out-dirty" --no-device-hash >/dev/null \
  || fail "examine of a dirty XFS exited $?"
check "xfs: dirty log reported dirty" test "$(jget "$WORK/out-dirty/report.json" 'r["evidence"][0]["filesystems"][0]["journal"]')" == dirty
check "xfs: still no loop device left" test -z "$(losetup -j "$evil")"

# ext4 whose needs_recovery flag is set: the journal is dirty
truncate -s 32M "$WORK/e.img"; mkfs.ext4 -q -F -d "$WORK/tree" "$WORK/e.img"
debugfs -w -R "feature needs_recovery" "$WORK/e.img" >/dev/null 2>&1
"$SG" forensics examine --device "$WORK/e.img" --out "$WORK/out-e" --no-device-hash >/dev/null || fail "ext4 dirty examine"
check "ext4: needs_recovery reported as a dirty journal" test "$(jget "$WORK/out-e/report.json" 'r["evidence"][0]["filesystems"][0]["journal"]')" == dirty
finish
