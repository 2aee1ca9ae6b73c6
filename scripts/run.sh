#!/usr/bin/env bash
# run.sh — the main job: install what is missing, build, and show ssrfguard
# at work: `ssrfguard serve` inside a loopback-only network namespace, one
# allowed fetch from a TEST-NET "internet" host, one attempt at the metadata
# service (blocked, recorded as an incident), and the incident itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
if [ "${SSRFGUARD_IN_NETNS:-}" != 1 ]; then
  exec tests/netns-run bash "$0" "$@"   # nothing here can leave this machine
fi
tmp=$(mktemp -d /tmp/ssrfguard-demo-XXXXXX)
./build/tests/integration/server/sg-upstream 203.0.113.10:80 >/dev/null &
./build/cli/ssrfguard serve --store "$tmp/incidents.db" --log "$tmp/serve.log" \
  --rule 'allow 203.0.113.0/24' --instance-id i-0123456789abcdef0 \
  --region us-east-1 --az us-east-1a --no-imds &
trap 'kill %1 %2 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:5001/healthz && break; sleep 0.1; done
show() { echo; echo "\$ curl '$1'"; curl -s -w '  -> HTTP %{http_code}\n' "$1"; }
echo "ssrfguard serve is listening on 127.0.0.1:5001 (inside a network namespace)"
show 'http://127.0.0.1:5001/go?url=http://203.0.113.10/hello'
show 'http://127.0.0.1:5001/go?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/'
echo; echo "\$ ssrfguard incidents list"
./build/cli/ssrfguard incidents --store "$tmp/incidents.db" list
