#!/usr/bin/env bash
# Clean failures: a missing device, a directory, a device with no file
# system, truncated and corrupted images, a device locked by another run,
# a non-empty output directory, a full output disk, a device that shrinks
# mid-acquisition.  Each must exit 2 (or finish) with one JSON line on
# stdout and never crash or hang.
source "$(dirname "$0")/lib.sh"

# run NAME WANT_RC ARGS...: exit status, stdout is one JSON line with a status
run() {
  local name=$1 want=$2; shift 2
  local rc=0
  timeout 120 "$SG" forensics "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  if [ "$rc" -ge 124 ]; then fail "$name: crashed or hung (exit $rc)"; cat "$WORK/$name.err" >&2; return; fi
  case " $want " in *" $rc "*) ok "$name: exit $rc" ;; *) fail "$name: exit $rc, want $want"; cat "$WORK/$name.err" >&2 ;; esac
  [ "$name" == usage ] && return
  check "$name: stdout is one JSON status line" $PY -c "import json,sys; json.loads(open(sys.argv[1]).read())['status']" "$WORK/$name.out"
}

run missing 2 examine --device "$WORK/nope.img" --out "$WORK/o-missing"
check "missing: says so" grep -q "No such file" "$WORK/missing.err"
mkdir "$WORK/adir"
run directory 2 examine --device "$WORK/adir" --out "$WORK/o-dir"
check "directory: says so" grep -q "is a directory" "$WORK/directory.err"
truncate -s 8M "$WORK/zero.img"
run nofs 2 examine --device "$WORK/zero.img" --out "$WORK/o-nofs"
check "nofs: the report says no file system" grep -q "no file system" "$WORK/o-nofs/report.json"
# a fuzzed ext2 image whose root directory claims 4 GiB on a 128 KiB file
# system: libtsk alone spent 75 s on it; refused at once, said in the report
cp "$HERE/../../../fuzz/corpus/fx_walk/ext2-root-dir-claims-4GiB" "$WORK/hugedir.img"
t0=$(date +%s)
run hugedir "2 3" examine --device "$WORK/hugedir.img" --out "$WORK/o-hugedir" --no-device-hash
check "hugedir: done within 10 s" test $(( $(date +%s) - t0 )) -lt 10
check "hugedir: the report names the corrupt directory" grep -q "more than the whole file system" "$WORK/o-hugedir/report.json"
# an extent tree of five blocks whose index entries all name the same
# child (AUDIT5 H1): walked naively, 5e10 block reads (ours, and libtsk's
# for a directory); refused at once, the file and the directory named, the
# examination incomplete
make_tree "$WORK/fantree"
head -c 20480 /dev/urandom > "$WORK/fantree/srv/data/fan.bin"
mkdir "$WORK/fantree/srv/fandir"
for i in $(seq 1 400); do : > "$WORK/fantree/srv/fandir/a-name-long-enough-to-need-five-blocks-$i"; done
truncate -s 16M "$WORK/fan.img"; mkfs.ext4 -q -F -b 4096 -d "$WORK/fantree" "$WORK/fan.img"
$PY "$HERE/mkfanout.py" "$WORK/fan.img" /srv/data/fan.bin
$PY "$HERE/mkfanout.py" "$WORK/fan.img" /srv/fandir
t0=$(date +%s)
run fanout 3 examine --device "$WORK/fan.img" --out "$WORK/o-fan" --no-device-hash
check "fanout: done within 10 s" test $(( $(date +%s) - t0 )) -lt 10
check "fanout: the report says incomplete" test "$(jget "$WORK/o-fan/report.json" 'r["evidence"][0]["filesystems"][0]["status"]')" == incomplete
check "fanout: the manifest names the file and why" grep -q '"path":"/srv/data/fan.bin".*"note":"not hashed: its extent tree is corrupt"' "$WORK/o-fan/fan.img/manifest.jsonl"
check "fanout: the directory named in the walk warnings" grep -q 'directory inode [0-9]* (/srv/fandir): its extent tree is corrupt, not read' "$WORK/o-fan/report.json"
check "fanout: every other file hashed" test "$(jget "$WORK/o-fan/report.json" 'r["evidence"][0]["filesystems"][0]["hash_errors"]')" == 1
# a directory whose name is not UTF-8 and holds an escape sequence, its
# extent tree broken (AUDIT5 H3): the walk warning naming it reaches
# report.json escaped (not dropped with every other warning of the file
# system), and report.md carries no control byte
mkdir -p "$WORK/namtree/srv"
$PY -c "import os,sys; d=os.path.join(os.fsencode(sys.argv[1]), b'\xff\x1b[31mx'); os.mkdir(d); open(os.path.join(d, b'f'), 'w').write('x')" "$WORK/namtree/srv"
truncate -s 8M "$WORK/names.img"; mkfs.ext4 -q -F -d "$WORK/namtree" "$WORK/names.img"
$PY - "$WORK/names.img" <<'PYEOF'
import subprocess, sys
out = subprocess.run(["debugfs", "-R", "ls -p /srv", sys.argv[1]], check=True, capture_output=True).stdout
ino = [l.split(b"/")[1] for l in out.splitlines() if b"/\xff\x1b[31mx/" in l][0].decode()
subprocess.run(["debugfs", "-w", "-R", "sif <%s> block[0] 0" % ino, sys.argv[1]], check=True, capture_output=True)
PYEOF
run names 3 examine --device "$WORK/names.img" --out "$WORK/o-names" --no-device-hash
check "names: the warning is in report.json, the name escaped" $PY -c "
import json, sys
w = json.load(open(sys.argv[1]))['evidence'][0]['filesystems'][0]['walk_warnings']
assert '(/srv/\\\\xff\\\\x1b[31mx)' in w, w" "$WORK/o-names/report.json"
check "names: report.md holds no control byte but newlines" $PY -c "
import sys
b = open(sys.argv[1], 'rb').read()
assert b'xff' in b and not [c for c in b if c < 0x20 and c != 10 or c == 0x7f], b" "$WORK/o-names/report.md"
# a fuzzed ext4 image on which one inode lookup makes libtsk calloc 3 GiB,
# twice: under the memory ceiling the allocation fails, the report is written
cp "$HERE/../../../fuzz/corpus/fx_walk/ext4-inode-asks-libtsk-for-3GiB" "$WORK/membomb.img"
/usr/bin/time -f %M -o "$WORK/membomb.rss" \
  timeout 60 "$SG" forensics examine --device "$WORK/membomb.img" --out "$WORK/o-membomb" \
  --no-device-hash --max-memory 1024 >"$WORK/membomb.out" 2>"$WORK/membomb.err" \
  && echo 0 >"$WORK/membomb.rc" || echo $? >"$WORK/membomb.rc"
check "membomb: incomplete, not ok (exit $(cat "$WORK/membomb.rc"))" grep -qx 3 "$WORK/membomb.rc"
check "membomb: report written" test -s "$WORK/o-membomb/report.json"
check "membomb: peak memory under 1 GiB ($(tail -1 "$WORK/membomb.rss") KiB)" test "$(tail -1 "$WORK/membomb.rss")" -lt 1048576
run usage 2 examine --device "$WORK/zero.img"
run noevidence 2 examine --out "$WORK/o-none"
run badvol 2 examine --volume vol-nothex --out "$WORK/o-badvol"

make_tree "$WORK/tree"
$PY -c "
import sys
for i in range(1, 801):
    open('%s/f%d' % (sys.argv[1], i), 'w').write('file %d\\n' % i)" "$WORK/tree/srv/data"
truncate -s 64M "$WORK/good.img"; mkfs.ext4 -q -F -d "$WORK/tree" "$WORK/good.img"

# truncated: the second half is gone
cp --sparse=always "$WORK/good.img" "$WORK/trunc.img"; truncate -s 20M "$WORK/trunc.img"
run truncated "2 3" examine --device "$WORK/trunc.img" --out "$WORK/o-trunc"
# corrupted: seeded garbage over the metadata after the superblock
for seed in 1 2 3; do
  cp --sparse=always "$WORK/good.img" "$WORK/bad$seed.img"
  $PY -c "
import random, sys
r = random.Random($seed)
with open(sys.argv[1], 'r+b') as f:
    for _ in range(40):
        f.seek(r.randrange(4096, 8 << 20)); f.write(bytes(r.randrange(256) for _ in range(r.randrange(1, 4096))))
" "$WORK/bad$seed.img"
  run "corrupt$seed" "0 2 3" examine --device "$WORK/bad$seed.img" --out "$WORK/o-bad$seed" --no-device-hash
done
# superblock gone
cp --sparse=always "$WORK/good.img" "$WORK/nosb.img"
dd if=/dev/zero of="$WORK/nosb.img" bs=1024 seek=1 count=1 conv=notrunc status=none
run nosb 2 examine --device "$WORK/nosb.img" --out "$WORK/o-nosb"

# locked by another examination
exec 9<"$WORK/good.img"
flock -x 9
run locked 2 examine --device "$WORK/good.img" --out "$WORK/o-locked"
check "locked: says busy" grep -q "busy" "$WORK/locked.err"
exec 9<&-

# output directory not empty
mkdir -p "$WORK/o-full"; echo x > "$WORK/o-full/something"
run notempty 2 examine --device "$WORK/good.img" --out "$WORK/o-full"

# full output disk: a 64 KiB tmpfs
mkdir -p "$WORK/tiny"; mount -t tmpfs -o size=64k tmpfs "$WORK/tiny"; MOUNTS+=("$WORK/tiny")
run diskfull 2 examine --device "$WORK/good.img" --out "$WORK/tiny/case" --custody-log "$WORK/custody-full.log"
if grep -Eq "disk is full|No space left" "$WORK/diskfull.err"; then ok "diskfull: says the disk is full"; else fail "diskfull: says the disk is full"; cat "$WORK/diskfull.err" >&2; fi
check "diskfull: no partial files left" test -z "$(find "$WORK/tiny" -name '*.partial')"
check "diskfull: custody log records the failure" grep -q "examine-failed\|examine-start" "$WORK/custody-full.log"

# a device that shrinks while it is being hashed
truncate -s 2G "$WORK/shrink.img"
( sleep 0.2; truncate -s 1M "$WORK/shrink.img" ) &
run shrinking 2 examine --device "$WORK/shrink.img" --out "$WORK/o-shrink"
wait
check "shrinking: says the device shrank or vanished" grep -Eq "shrank or vanished|did the device vanish|no file system" "$WORK/shrinking.err"

# discovery: NVMe serials carry the volume id without its dash
mkdir -p "$WORK/sys/block/nvme1n1/device" "$WORK/sys/block/nvme0n1/device" "$WORK/sys/block/loop0"
printf 'vol0123456789abcdef0\n' > "$WORK/sys/block/nvme1n1/device/serial"
printf 'AWS1234567890ABCDEF \n' > "$WORK/sys/block/nvme0n1/device/serial"
d=$("$SG" forensics discover --sysfs-root "$WORK/sys" --volume vol-0123456789abcdef0)
check "discover: volume found by NVMe serial" test "$(echo "$d" | jline 'r["evidence"][0]["device"]')" == /dev/nvme1n1
printf '{"incident":"INC-7","volumes":[{"volume_id":"vol-0123456789abcdef0","snapshot_id":"snap-1"}]}' > "$WORK/ev.json"
d=$("$SG" forensics discover --sysfs-root "$WORK/sys" --incident INC-7 --evidence-manifest "$WORK/ev.json")
check "discover: incident's evidence manifest resolved" test "$(echo "$d" | jline 'r["evidence"][0]["volume_id"]')" == vol-0123456789abcdef0
run notattached 2 discover --sysfs-root "$WORK/sys" --volume vol-0fffffffffffffff0 --wait-device 0
check "notattached: names the volume" grep -q "vol-0fffffffffffffff0 is not attached" "$WORK/notattached.err"
run wrongincident 2 discover --sysfs-root "$WORK/sys" --incident INC-8 --evidence-manifest "$WORK/ev.json"
finish
