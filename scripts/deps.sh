#!/usr/bin/env bash
# deps.sh [run|all] — install the Debian 12 packages ssrfguard needs.
#   run  what `scripts/run.sh` needs: build, libraries, the loopback-only
#        namespace, the AWS emulator (python3) and the demo's file system.
#   all  (the default) everything: run's set, plus the tests, the fuzzers,
#        the client cross-checks and the benchmarks' anchors.
# Idempotent: installs only what is missing, so a second run costs a dpkg
# query.  Packages that ship a network service (nginx, squid) are installed
# without starting it (policy-rc.d) and, on systemd, left disabled: they are
# benchmark anchors that the benchmarks start themselves, never services.
set -euo pipefail

case "${1:-all}" in
  run|all) group=${1:-all} ;;
  *) echo "usage: scripts/deps.sh [run|all]" >&2; exit 2 ;;
esac

RUN_PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config
  # libraries
  libcurl4-openssl-dev libevent-dev libsqlite3-dev libxml2-dev libjansson-dev
  libssl-dev libtsk-dev libnftables-dev libyara-dev
  # the demo: namespaces, the AWS double (python3, botocore's SigV4 check),
  # curl, `column`, the victim's ext4
  iproute2 util-linux nftables python3 python3-botocore curl bsdextrautils e2fsprogs
)

TEST_PACKAGES=(
  # fuzzers (clang with libFuzzer)
  clang libclang-rt-14-dev
  # tests: lint, cross-checks
  python3-pyflakes awscli sqlite3
  # test certificate authorities (the emulator's, serve's and the proxy's TLS
  # tests, the signed delivery, the dashboard's browser test): the openssl CLI
  openssl
  # the CloudFormation template's test (short-form tags need a YAML loader)
  python3-yaml
  # file-system images
  xfsprogs dosfstools gdisk fdisk sleuthkit hashdeep mtools time ntfs-3g libcap2-bin
  # the egress proxy's client tests (curl above, Python requests, Node's http
  # and undici's ProxyAgent; git and apt are Debian's own; Java's
  # HttpURLConnection, Go's net/http)
  python3-requests nodejs node-undici git default-jdk-headless golang-go
  # benchmarks (nginx: the reverse-proxy anchor of bench/server; squid: the
  # proxy benchmark's anchor)
  wrk nginx squid
  # the dashboard's browser test (headless, driven over the DevTools pipe; NSS
  # tools put the operator's client certificate into the browser's database)
  chromium libnss3-tools
)

SERVICES=(nginx squid)  # packages whose postinst would start a daemon

PACKAGES=("${RUN_PACKAGES[@]}")
[ "$group" = all ] && PACKAGES+=("${TEST_PACKAGES[@]}")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present ($group)"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing ${missing[*]}"

# Keep maintainer scripts from starting daemons while we install (Debian's
# policy-rc.d interface: exit 101 = "action forbidden"), unless the machine
# already has its own policy, which then decides.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  own_policy=1
  trap '$SUDO rm -f "$policy"' EXIT
fi

$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# A service package installed just now is left disabled on systemd (it would
# start at the next boot otherwise); one that was there before is untouched.
if [ -d /run/systemd/system ]; then
  for s in "${SERVICES[@]}"; do
    for m in "${missing[@]}"; do
      [ "$m" = "$s" ] && $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
    done
  done
fi
[ $own_policy = 1 ] && $SUDO rm -f "$policy"
trap - EXIT
echo "deps: installed ${#missing[@]} packages ($group)"
