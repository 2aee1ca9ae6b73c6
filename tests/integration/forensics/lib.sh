# lib.sh — shared helpers for the forensics integration tests (sourced).
# Every test gets a private work dir; every mount and loop device it makes
# is undone on exit, even on failure.
set -euo pipefail
SG=${SG:?SG must name the ssrfguard binary}
PY=/usr/bin/python3
# libtsk asks calloc for absurd sizes on corrupt images and copes with NULL,
# as it gets in production; under ASan let calloc return NULL the same way.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/sg-forensics-test.XXXXXX)
MOUNTS=()
LOOPS=()
FAILS=0

cleanup() {
  local m
  for m in "${MOUNTS[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  for m in "${LOOPS[@]}"; do losetup -d "$m" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok()   { echo "ok: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

# mount_rw IMG DIR: a loop mount to make the "attacker's" changes.  Its own
# loop device (never one that mount(8) might reuse, e.g. a read-only one),
# detached and synced on unmount so every write is in the image file.
declare -A LOOP_OF
mount_rw() {
  mkdir -p "$2"
  local dev
  dev=$(losetup --find --show "$1")
  LOOPS+=("$dev")
  LOOP_OF[$2]=$dev
  mount "$dev" "$2"
  MOUNTS+=("$2")
}
mount_ro() {
  mkdir -p "$2"
  local opt=loop,ro
  case "${3:-}" in xfs) opt="$opt,norecovery,nouuid" ;; ext*) opt="$opt,noload" ;; esac
  mount -o "$opt" "$1" "$2" 2>/dev/null || mount -o loop,ro "$1" "$2"
  MOUNTS+=("$2")
  LOOP_OF[$2]=""
}
unmount() {
  umount "$1"
  local dev=${LOOP_OF[$1]:-}
  if [ -n "$dev" ]; then
    losetup -d "$dev" 2>/dev/null || true
    unset "LOOP_OF[$1]"
    local i
    for i in $(seq 1 100); do losetup "$dev" >/dev/null 2>&1 || break; sleep 0.1; done
  fi
  sync
}

# make_tree DIR: the known-good system tree every image starts from
make_tree() {
  local d=$1
  mkdir -p "$d"/{etc/cron.d,etc/ssh,usr/bin,usr/lib,var/www/html,opt/app,home/u/.ssh,tmp,srv/data}
  printf 'root:x:0:0:root:/root:/bin/bash\nu:x:1000:1000::/home/u:/bin/bash\n' > "$d/etc/passwd"
  printf '127.0.0.1 localhost\n' > "$d/etc/hosts"
  printf 'nameserver 10.0.0.2\n' > "$d/etc/resolv.conf"
  printf 'PermitRootLogin no\n' > "$d/etc/ssh/sshd_config"
  printf '*/5 * * * * root /usr/bin/tool\n' > "$d/etc/cron.d/job"
  printf 'ssh-ed25519 AAAA good@host\n' > "$d/home/u/.ssh/authorized_keys"
  head -c 300000 /dev/urandom > "$d/usr/bin/tool"
  head -c 20000 /dev/urandom > "$d/usr/bin/helper"
  head -c 70000 /dev/urandom > "$d/usr/lib/libx.so.1"
  head -c 70000 /dev/urandom > "$d/usr/lib/libx.so.2"
  ln -s libx.so.1 "$d/usr/lib/libx.so"
  printf '<?php echo "hello"; ?>\n' > "$d/var/www/html/index.php"
  printf 'old content\n' > "$d/opt/app/old.txt"
  head -c 5000000 /dev/urandom > "$d/srv/data/big.bin"
  : > "$d/srv/data/empty"
  chmod 0755 "$d/usr/bin/tool" "$d/usr/bin/helper"
  chmod 0600 "$d/etc/ssh/sshd_config"
  chown 1000:1000 "$d/home/u/.ssh/authorized_keys"
  find "$d" -exec touch -h -d '2024-03-01 12:00:00' {} +
}

# apply_changes DIR: the attacker's changes, each one of a known class
apply_changes() {
  local d=$1
  printf '<?php system($_GET["c"]); ?>\n' > "$d/var/www/html/shell.php"        # added
  head -c 300000 /dev/urandom > "$d/usr/bin/tool"                               # modified
  rm "$d/etc/cron.d/job"                                                        # removed
  chmod 4755 "$d/usr/bin/helper"                                                # metadata (mode)
  touch -d '2020-01-01 00:00:00' "$d/etc/hosts"                                 # metadata (mtime forged)
  touch -r "$d/etc/ssh/sshd_config" "$WORK/stamp"                               # timestomped: content
  printf 'PermitRootLogin yes\n' > "$d/etc/ssh/sshd_config"                     #  changed, mtime
  touch -r "$WORK/stamp" "$d/etc/ssh/sshd_config"                               #  put back
  mv "$d/opt/app/old.txt" "$d/opt/app/new.txt"                                  # moved
  rm "$d/usr/lib/libx.so"; ln -s libx.so.2 "$d/usr/lib/libx.so"                 # symlink retargeted
  rm "$d/etc/resolv.conf"; ln -s /tmp/evil "$d/etc/resolv.conf"                 # type swap
}

EXPECTED_CHANGES='added /var/www/html/shell.php
modified /usr/bin/tool
removed /etc/cron.d/job
metadata /usr/bin/helper
metadata /etc/hosts
timestomped /etc/ssh/sshd_config
moved /opt/app/new.txt
modified /usr/lib/libx.so
type_changed /etc/resolv.conf'

# findings REPORT [EVIDENCE_INDEX]: "class path" lines, sorted
findings() {
  $PY - "$1" "${2:-0}" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
ev = r["evidence"][int(sys.argv[2])]
for f in ev.get("findings", []):
    print(f["class"], f["path"])
PYEOF
}

# expect_findings WHAT REPORT EXPECTED [IGNORE_CLASS]
expect_findings() {
  local what=$1 report=$2 expected=$3 ignore=${4:-}
  local got want
  got=$(findings "$report" | { if [ -n "$ignore" ]; then grep -v "^$ignore " || true; else cat; fi; } | sort)
  want=$(printf '%s\n' "$expected" | sort)
  if [ "$got" == "$want" ]; then ok "$what: exactly the expected findings"; else
    fail "$what: findings differ"; diff <(echo "$want") <(echo "$got") >&2 || true; fi
}

# jq-like field: jget FILE 'python expression on r'
jget() { $PY -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }
jline() { $PY -c "import json,sys; r=json.loads(sys.stdin.readline()); print($1)"; }

finish() {
  if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed" >&2; exit 1; fi
  echo "all checks passed"
}
