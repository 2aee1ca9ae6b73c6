#!/usr/bin/env bash
# Hostile trees: 100k files in one directory, nesting deeper than PATH_MAX,
# 255-byte names, newlines/'|'/backslashes/non-UTF-8 in names, a FIFO,
# device nodes, a socket, symlink loops and symlinks into the host.  Both
# walkers (libtsk on ext4, the read-only mount on XFS) must list every entry
# exactly as the kernel sees it, never open the special files, never follow
# a link, in bounded memory, without hanging.
source "$(dirname "$0")/lib.sh"
NFILES=${NFILES:-100000}
# mkfs -d is quadratic in directory size: build through a kernel mount instead
img=$WORK/hostile.img
truncate -s 400M "$img"
mkfs.ext4 -q -F -N $((NFILES + 20000)) "$img"
mount_rw "$img" "$WORK/me"
$PY "$HERE/mkhostile.py" "$WORK/me/t" "$NFILES" 1500
n=$(find "$WORK/me" -mindepth 1 -printf . | wc -c)
unmount "$WORK/me"
/usr/bin/time -f '%M' -o "$WORK/rss" timeout 300 "$SG" forensics examine --device "$img" \
  --out "$WORK/out" --no-device-hash >/dev/null 2>"$WORK/err" || fail "ext4 hostile: examine exited $?"
got=$(jget "$WORK/out/report.json" 'r["evidence"][0]["filesystems"][0]["entries"]')
check "ext4 hostile: every entry listed ($got of $n)" test "$got" -ge "$n"
mount_ro "$img" "$WORK/ro" ext4
check "ext4 hostile: manifest equals the kernel's view (names, types, hashes)" $PY "$HERE/crosscheck.py" "$WORK/out/hostile.img/manifest.jsonl" "$WORK/ro"
unmount "$WORK/ro"
rss=$(cat "$WORK/rss")
check "ext4 hostile: peak memory ${rss} KiB under 512 MiB" test "$rss" -lt 524288
check "ext4 hostile: bodyfile has one line per entry" test "$(wc -l <"$WORK/out/hostile.img/bodyfile")" -eq "$(($(wc -l <"$WORK/out/hostile.img/manifest.jsonl") - 1))"
check "ext4 hostile: FIFO listed, not hashed" grep -q '"path":"/t/odd/fifo".*"type":"fifo"' "$WORK/out/hostile.img/manifest.jsonl"
rm -f "$img"

# the same tree on XFS, written through the kernel
img=$WORK/hostile-xfs.img
truncate -s 600M "$img"
mkfs.xfs -q -f "$img"
mount_rw "$img" "$WORK/mx"
$PY "$HERE/mkhostile.py" "$WORK/mx/t" 20000 1500
unmount "$WORK/mx"
/usr/bin/time -f '%M' -o "$WORK/rss2" timeout 300 "$SG" forensics examine --device "$img" \
  --out "$WORK/out2" --no-device-hash >/dev/null 2>"$WORK/err2" || { fail "xfs hostile: examine exited $?"; tail -3 "$WORK/err2" >&2; }
mount_ro "$img" "$WORK/ro2" xfs
check "xfs hostile: manifest equals the kernel's view" $PY "$HERE/crosscheck.py" "$WORK/out2/hostile-xfs.img/manifest.jsonl" "$WORK/ro2"
unmount "$WORK/ro2"
check "xfs hostile: no walk errors" test "$(jget "$WORK/out2/report.json" 'r["evidence"][0]["filesystems"][0]["walk_errors"]')" == 0
finish
