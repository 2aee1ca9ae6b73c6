#!/usr/bin/env bash
# bench/forensics/run.sh [SSRFGUARD] — files/s and MB/s of `ssrfguard forensics`
# on a multi-GiB ext4 image of tens of thousands of files, side by side in one
# run with fiwalk (libtsk's own walker, MD5+SHA1 as it does by default),
# hashdeep -c sha256 over a read-only mount, sha256sum of the raw image, and
# one core of OpenSSL SHA-256 on the image's large files (`openssl speed`, in
# memory); and the whole examination with default flags against `openssl dgst
# -sha256` of the device (the acquisition floor: one stream, one core).  Everything is read warm from the page
# cache, so the figures compare CPU work, not the disk.  Needs root (loop mount).  The image is sparse and
# deleted at the end.  Tunables: SMALL (files), LARGE (files), LARGE_MB (size
# of each large file), IMG_GB.
set -euo pipefail
SG=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build/cli/ssrfguard}
SMALL=${SMALL:-40000} LARGE=${LARGE:-48} LARGE_MB=${LARGE_MB:-40} IMG_GB=${IMG_GB:-4}
# in RAM when there is room: the disk here is shared and slow
BASE=${BENCH_DIR:-/dev/shm}
[ "$(df --output=avail -k "$BASE" | tail -1)" -gt $((IMG_GB * 1100000)) ] || BASE=/var/tmp
W=$(mktemp -d "$BASE/sg-fbench.XXXXXX")
MNT=$W/mnt
cleanup() { umount "$MNT" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
img=$W/bench.img

echo "building a ${IMG_GB} GiB sparse ext4 image: $SMALL small files, $LARGE x ${LARGE_MB} MiB files ..." >&2
truncate -s "${IMG_GB}G" "$img"
mkfs.ext4 -q -F -N $((SMALL + 10000)) "$img"
mkdir -p "$MNT"
mount -o loop "$img" "$MNT"
/usr/bin/python3 - "$MNT" "$SMALL" "$LARGE" "$LARGE_MB" <<'PY'
import os, random, sys
root, small, large, large_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = random.Random(7)
blob = os.urandom(64 << 20)
for d in range(200):
    os.makedirs(f"{root}/usr/share/d{d:03d}", exist_ok=True)
for i in range(small):
    n = r.choice((0, 100, 700, 2000, 4096, 9000, 30000))
    off = r.randrange(0, len(blob) - n - 1)
    with open(f"{root}/usr/share/d{i % 200:03d}/f{i:06d}", "wb") as f:
        f.write(blob[off:off + n])
os.makedirs(f"{root}/var/lib/big", exist_ok=True)
for i in range(large):
    with open(f"{root}/var/lib/big/blob{i:03d}", "wb") as f:
        for k in range(large_mb):
            f.write(os.urandom(1 << 20) if k == 0 else blob[(k * 1048573) % (32 << 20):][: 1 << 20])
PY
unmount_all() {  # and wait for the loop device to let go of the image
  umount "$MNT"; sync
  while losetup -j "$img" | grep -q .; do sleep 0.2; done
}
unmount_all
# the known-good baseline is taken now; then what an intrusion leaves behind:
# CHANGED small files rewritten, NEW files added (webshells under the web
# root, a miner and its config, tools of 1-4 MiB), REMOVED files deleted —
# so the default examination really diffs, and YARA (scope "changed") reads
# every new and changed file
CHANGED=${CHANGED:-300} NEW=${NEW:-200} REMOVED=${REMOVED:-50}
"$SG" forensics baseline --device "$img" --out "$W/baseline.jsonl" >/dev/null 2>&1
mount -o loop "$img" "$MNT"
/usr/bin/python3 - "$MNT" "$SMALL" "$CHANGED" "$NEW" "$REMOVED" <<'PY'
import os, random, sys
root, small, changed, new, removed = sys.argv[1], *map(int, sys.argv[2:])
r = random.Random(11)
victims = r.sample(range(small), changed + removed)
for i in victims[:changed]:
    with open(f"{root}/usr/share/d{i % 200:03d}/f{i:06d}", "ab") as f:
        f.write(os.urandom(r.choice((50, 700, 5000))))
for i in victims[changed:]:
    os.unlink(f"{root}/usr/share/d{i % 200:03d}/f{i:06d}")
os.makedirs(f"{root}/var/www/html/uploads", exist_ok=True)
os.makedirs(f"{root}/opt/.cache/bin", exist_ok=True)
shells = ['<?php system($_GET["c"]); ?>\n', '<?php eval(base64_decode($_REQUEST["q"])); ?>\n']
for k in range(new):
    if k % 10 == 0:      # 1-4 MiB tools and a miner
        with open(f"{root}/opt/.cache/bin/tool{k:03d}", "wb") as f:
            f.write(os.urandom(r.randrange(1 << 20, 4 << 20)))
    elif k % 25 == 1:    # webshells
        with open(f"{root}/var/www/html/uploads/img{k:03d}.php", "w") as f:
            f.write("<?php /* thumbnail cache */ ?>\n" * r.randrange(1, 50) + shells[k % 2])
    else:                # uploads: images and pages
        with open(f"{root}/var/www/html/uploads/up{k:03d}.jpg", "wb") as f:
            f.write(os.urandom(r.choice((2000, 30000, 200000))))
with open(f"{root}/opt/.cache/bin/config.json", "w") as f:
    f.write('{"pools":[{"url":"stratum+tcp://pool.example.net:3333","user":"4'
            + "A" * 94 + '"}],"algo":"rx/0","donate-level":1}\n')
PY
unmount_all
bytes=$(stat -c %s "$img")
files=$((SMALL + LARGE - REMOVED + NEW + 1))
echo "warming the page cache ..." >&2
cat "$img" > /dev/null

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
rate() { echo "scale=1; $1 / $2" | bc -l; }

t_sha=$(t sha256sum "$img")
mount -o loop,ro,noload "$img" "$MNT"
large_bytes=$(du -sb "$MNT/var/lib/big" | cut -f1)
find "$MNT" -type f -exec cat {} + > /dev/null   # warm the mount's own cache
t_hd=$(t sh -c "cd $MNT && hashdeep -c sha256 -r -l .")
umount "$MNT"
t_fi=$(t fiwalk -O -x "$img")
# one core of OpenSSL SHA-256 on 1 MiB buffers (SHA-NI here), bytes/s
one=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | awk '/^sha256/ {sub("k","",$2); print $2 * 1000}')
rm -rf "$W/o1" "$W/o2" "$W/o3"
"$SG" forensics examine --device "$img" --out "$W/o1" --no-device-hash --workers 2 >/dev/null 2>&1
"$SG" forensics examine --device "$img" --out "$W/o2" --no-device-hash --workers 1 >/dev/null 2>&1
t_full=$(t "$SG" forensics examine --device "$img" --out "$W/o3" --workers 2)
# the issue-14 target: the whole examination with default flags (device
# hash, walk, file hashes, diff against a baseline) against one OpenSSL core
# hashing the device alone, alternated twice, the better of each taken
t_dgst=999999 t_def=999999
for i in 1 2; do
  d=$(t openssl dgst -sha256 "$img")
  rm -rf "$W/od"
  e=$(t "$SG" forensics examine --device "$img" --baseline "$W/baseline.jsonl" --out "$W/od")
  t_dgst=$(echo "if ($d < $t_dgst) $d else $t_dgst" | bc -l)
  t_def=$(echo "if ($e < $t_def) $e else $t_def" | bc -l)
done
def_status=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['status'])" "$W/od/report.json")
# what the default examination found and scanned against the baseline
def_work=$(/usr/bin/python3 -c "
import json, sys
ev = json.load(open(sys.argv[1]))['evidence'][0]
c = ev['summary']['by_class']; y = ev['yara']; fs = ev['filesystems'][0]
print('findings %d (%s); yara %s: %d files scanned, %d bytes, %d matched; %.0f%% of file bytes hashed from the acquisition' % (
    ev['summary']['findings'], ', '.join('%s %d' % kv for kv in sorted(c.items()) if kv[1]),
    y['status'], y['scanned'], y['bytes'], len(y['matches']),
    100.0 * fs.get('bytes_hashed_from_acquisition', 0) / max(fs['bytes_hashed'], 1)))" "$W/od/report.json")
fs() { /usr/bin/python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['evidence'][0]['filesystems'][0]; print(f['$2'])" "$1"; }
w2=$(fs "$W/o1/report.json" seconds) w1=$(fs "$W/o2/report.json" seconds)
hashed=$(fs "$W/o1/report.json" bytes_hashed) nfiles=$(fs "$W/o1/report.json" files_hashed)
acq=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['evidence'][0]['acquisition_seconds'])" "$W/o3/report.json")
/usr/bin/time -f %M -o "$W/rss" "$SG" forensics examine --device "$img" --out "$W/o4" --no-device-hash >/dev/null 2>&1
rss=$(cat "$W/rss")
t_e2e=$(t "$SG" forensics examine --device "$img" --out "$W/o5" --no-device-hash --workers 2)
# CPU seconds (user+sys) of whole runs: what the figures would be on idle cores
cpu() { /usr/bin/time -f '%U %S' -o "$W/cpu" "$@" >/dev/null 2>&1; awk '{print $1 + $2}' "$W/cpu"; }
c_sg=$(cpu "$SG" forensics examine --device "$img" --out "$W/o6" --no-device-hash --workers 2)
c_fi=$(cpu fiwalk -O -x "$img")

MB=1000000
printf '\nimage: %s bytes, %s regular files, %s bytes of file content (%s in the large files)\n' \
  "$bytes" "$nfiles" "$hashed" "$large_bytes"
printf '%-46s %10s %12s %10s\n' tool seconds files/s MB/s
printf '%-46s %10.2f %12s %10s\n' "ssrfguard walk+hash, 2 workers (libtsk, no mount)" "$w2" "$(rate "$nfiles" "$w2")" "$(rate "$hashed/$MB" "$w2")"
printf '%-46s %10.2f %12s %10s\n' "ssrfguard walk+hash, 1 worker" "$w1" "$(rate "$nfiles" "$w1")" "$(rate "$hashed/$MB" "$w1")"
printf '%-46s %10.2f %12s %10s\n' "fiwalk -O -x (libtsk walk, MD5+SHA1)" "$t_fi" "$(rate "$files" "$t_fi")" "$(rate "$hashed/$MB" "$t_fi")"
printf '%-46s %10.2f %12s %10s\n' "hashdeep -c sha256 -r (ro mount)" "$t_hd" "$(rate "$files" "$t_hd")" "$(rate "$hashed/$MB" "$t_hd")"
printf '%-46s %10.2f %12s %10s\n' "ssrfguard acquisition hash (whole device)" "$acq" - "$(rate "$bytes/$MB" "$acq")"
printf '%-46s %10.2f %12s %10s\n' "sha256sum of the raw image" "$t_sha" - "$(rate "$bytes/$MB" "$t_sha")"
printf '%-46s %10s %12s %10s\n' "openssl speed sha256, one core, 1 MiB blocks" - - "$(rate "$one" $MB)"
printf '%-46s %10.2f %12s\n' "ssrfguard examine, no acquisition, end to end" "$t_e2e" "$(rate "$nfiles" "$t_e2e")"
printf '%-46s %10.2f\n' "ssrfguard examine end to end (with acquisition)" "$t_full"
printf '\nratios: files/s vs fiwalk %sx walk phase, %sx whole process (target >= 8x); file MB/s vs one core of SHA-256 %sx (target >= 1.5x)\n' \
  "$(echo "scale=1; ($nfiles / $w2) / ($files / $t_fi)" | bc -l)" \
  "$(echo "scale=1; $t_fi / $t_e2e" | bc -l)" \
  "$(echo "scale=2; ($hashed / $w2) / $one" | bc -l)"
printf 'whole examination, default flags + baseline (%s): %.2f s; openssl dgst -sha256 of the device: %.2f s; ratio %sx (target <= 1.2x)\n' \
  "$def_status" "$t_def" "$t_dgst" "$(echo "scale=2; $t_def / $t_dgst" | bc -l)"
printf '  against the baseline: %s\n' "$def_work"
printf 'peak RSS of examine: %s KiB\n' "$rss"
printf 'CPU seconds (user+sys): ssrfguard examine %s, fiwalk %s (%sx); ssrfguard hashes %s MB per CPU-second (one core of SHA-256: %s MB/s)\n' \
  "$c_sg" "$c_fi" "$(echo "scale=1; $c_fi / $c_sg" | bc -l)" "$(rate "$hashed/$MB" "$c_sg")" "$(rate "$one" $MB)"
printf 'load average during the run: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
