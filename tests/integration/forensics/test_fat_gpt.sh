#!/usr/bin/env bash
# FAT (changed with mtools: the kernel here has no vfat), a GPT disk with an
# ext4 and a FAT partition, and an MBR disk: partition tables parsed, every
# file system walked, paths prefixed by partition, findings exact.
source "$(dirname "$0")/lib.sh"
export MTOOLS_SKIP_CHECK=1
t=$WORK/fat-tree
mkdir -p "$t"/{etc/cron.d,usr/bin,var/www/html,opt/app}
printf '127.0.0.1 localhost\n' > "$t/etc/hosts"
printf '* * * * * root x\n' > "$t/etc/cron.d/job"
head -c 100000 /dev/urandom > "$t/usr/bin/tool"
printf '<?php echo 1; ?>\n' > "$t/var/www/html/index.php"
printf 'old\n' > "$t/opt/app/old.txt"
find "$t" -exec touch -d '2024-03-01 12:00:00' {} +

img=$WORK/fat.img evil=$WORK/fat-evil.img
mkfs.vfat -C "$img" 32768 >/dev/null
mcopy -s -m -i "$img" "$t"/* ::/
"$SG" forensics baseline --device "$img" --out "$WORK/fat.base" >/dev/null || fail "fat baseline"
cp "$img" "$evil"
printf '<?php system($_GET[1]); ?>\n' > "$WORK/shell.php"
head -c 100000 /dev/urandom > "$WORK/tool2"
mcopy -i "$evil" "$WORK/shell.php" ::/var/www/html/shell.php
mcopy -o -i "$evil" "$WORK/tool2" ::/usr/bin/tool
mdel -i "$evil" ::/etc/cron.d/job
mren -i "$evil" ::/opt/app/old.txt ::/opt/app/new.txt
"$SG" forensics examine --device "$evil" --baseline "$WORK/fat.base" --out "$WORK/out-fat" >/dev/null \
  || fail "fat examine exited $?"
expect_findings fat "$WORK/out-fat/report.json" 'added /var/www/html/shell.php
modified /usr/bin/tool
removed /etc/cron.d/job
moved /opt/app/new.txt' deleted_in_image
check "fat: walked by libtsk" test "$(jget "$WORK/out-fat/report.json" 'r["evidence"][0]["filesystems"][0]["type"]')" == vfat
# mtools' own listing agrees with our file hashes
mcopy -n -i "$evil" ::/usr/bin/tool "$WORK/tool-out"
check "fat: file hash agrees with mtools' copy" grep -q "$(sha256sum "$WORK/tool-out" | cut -d' ' -f1)" "$WORK/out-fat/fat-evil.img/manifest.jsonl"

# GPT: p1 ext4 "root", p2 FAT "EFI"
make_tree "$WORK/tree"
gpt=$WORK/gpt.img
truncate -s 80M "$gpt"
sgdisk -n 1:2048:67583 -t 1:8300 -c 1:root -n 2:67584:0 -t 2:ef00 -c 2:EFI "$gpt" >/dev/null
truncate -s 32M "$WORK/p1.img"; mkfs.ext4 -q -F -d "$WORK/tree" "$WORK/p1.img"
dd if="$WORK/p1.img" of="$gpt" bs=512 seek=2048 conv=notrunc,sparse status=none
dd if="$img" of="$gpt" bs=512 seek=67584 conv=notrunc status=none count=$(( (80*2048 - 67584 - 34) ))
# with the device hash (the default): files at the partitions' offsets are
# hashed from the acquisition's buffers, and must still agree with the kernel
"$SG" forensics examine --device "$gpt" --out "$WORK/out-gpt" >/dev/null || fail "gpt examine exited $?"
R=$WORK/out-gpt/report.json
check "gpt: scheme" test "$(jget "$R" 'r["evidence"][0]["partition_table"]["scheme"]')" == gpt
check "gpt: two partitions with names" test "$(jget "$R" '",".join(p["name"] for p in r["evidence"][0]["partition_table"]["partitions"])')" == "root,EFI"
check "gpt: both file systems walked" test "$(jget "$R" '",".join(f["type"] for f in r["evidence"][0]["filesystems"])')" == "ext4,vfat"
check "gpt: sgdisk agrees on p2's start" test "$(jget "$R" 'r["evidence"][0]["partition_table"]["partitions"][1]["start"]')" == $((67584*512))
mkdir -p "$WORK/ro-gpt"; mount -o loop,ro,noload,offset=$((2048*512)) "$gpt" "$WORK/ro-gpt"; MOUNTS+=("$WORK/ro-gpt")
check "gpt: p1 manifest agrees with the kernel's view" $PY "$HERE/crosscheck.py" "$WORK/out-gpt/gpt.img/manifest.jsonl" "$WORK/ro-gpt" "p1:"
"$SG" forensics examine --device "$gpt" --partition 2 --out "$WORK/out-gpt2" --no-device-hash >/dev/null || fail "--partition 2"
check "gpt: --partition 2 walks only the FAT, unprefixed" test "$(jget "$WORK/out-gpt2/report.json" '[f["type"] for f in r["evidence"][0]["filesystems"]]')" == "['vfat']"
check "gpt: unprefixed paths" grep -q '"path":"/usr/bin/tool"' "$WORK/out-gpt2/gpt.img/manifest.jsonl"

# MBR with one ext4 partition
mbr=$WORK/mbr.img
truncate -s 40M "$mbr"
echo 'start=2048, type=83' | sfdisk -q "$mbr"
dd if="$WORK/p1.img" of="$mbr" bs=512 seek=2048 conv=notrunc,sparse status=none
"$SG" forensics examine --device "$mbr" --out "$WORK/out-mbr" --no-device-hash >/dev/null || fail "mbr examine exited $?"
check "mbr: scheme and type" test "$(jget "$WORK/out-mbr/report.json" 'r["evidence"][0]["partition_table"]["scheme"]+r["evidence"][0]["partition_table"]["partitions"][0]["type"]')" == mbr0x83
check "mbr: p1 walked" grep -q '"path":"p1:/etc/passwd"' "$WORK/out-mbr/mbr.img/manifest.jsonl"
finish
