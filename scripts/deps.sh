#!/usr/bin/env bash
# Install every Debian 12 package ssrfguard needs to build, test and benchmark.
# Idempotent: installs only what is missing, so a second run costs a dpkg query.
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  # libraries
  libcurl4-openssl-dev libevent-dev libsqlite3-dev libxml2-dev libjansson-dev
  libssl-dev libtsk-dev libnftables-dev libyara-dev
  # tests: namespaces, the AWS double, file-system images, cross-checks
  iproute2 util-linux nftables python3 python3-botocore python3-pyflakes awscli sqlite3 curl
  # test certificate authorities (the emulator's, serve's and the proxy's TLS
  # tests, the signed delivery, the dashboard's browser test): the openssl CLI
  openssl
  # `column` for `scripts/run.sh check`
  bsdextrautils
  # the CloudFormation template's test (short-form tags need a YAML loader)
  python3-yaml
  e2fsprogs xfsprogs dosfstools gdisk fdisk sleuthkit hashdeep mtools time ntfs-3g libcap2-bin
  # the egress proxy's client tests (curl above, Python requests, Node's http
  # and undici's ProxyAgent; git and apt are Debian's own; Java's
  # HttpURLConnection, Go's net/http)
  python3-requests nodejs node-undici git default-jdk-headless golang-go
  # benchmarks (nginx: the reverse-proxy anchor of bench/server; squid: the
  # proxy benchmark's anchor; neither is started as a service)
  wrk nginx squid
  # the dashboard's browser test (headless, driven over the DevTools pipe; NSS
  # tools put the operator's client certificate into the browser's database)
  chromium libnss3-tools
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
