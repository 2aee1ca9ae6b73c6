#!/usr/bin/env bash
# run.sh — the main job: install what is missing, build, and show ssrfguard
# at work: `ssrfguard serve` inside a loopback-only network namespace, one
# allowed fetch from a TEST-NET "internet" host, one attempt at the metadata
# service (blocked, recorded as an incident), and the incident itself; then
# the whole loop with the embedded responder containing the instance on the
# AWS emulator (scripts/demo-respond.sh) and its report, ending with what
# the forensic examination of the victim's carried root volume found (a
# webshell, a trojaned binary, a cron entry, an authorized_keys line, a
# setuid file: scripts/demo-victim.sh).
# `scripts/run.sh check` shows the guard's verdicts instead (`ssrfguard
# check` on a handful of tricky URLs; names pinned, no DNS, no packet).
# Every line that says something happened is printed after it was checked;
# when a step does not happen the script stops, exit status 1, with the
# reason and the log to read (the demo's directory is then kept).
# SSRFGUARD=BINARY runs another build's binary (tests) and skips the
# install and build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SSRFGUARD:-}" ]; then
  bash scripts/deps.sh run
  bash scripts/build.sh
fi
sg=$(realpath "${SSRFGUARD:-./build/cli/ssrfguard}")
builddir=$(dirname "$(dirname "$sg")")
if [ "${1:-}" = check ]; then
  urls=(
    'https://example.com/'
    'https://bücher.example/katalog?q=1'
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/'
    'http://0xA9FEA9FE/'
    'http://[::ffff:169.254.169.254]/'
    'http://①⑥⑨。②⑤④。①⑥⑨。②⑤④/'
    'http://metadata.google.internal./computeMetadata/v1/'
    'http://127.1:8080/admin'
    'http://evil.example\@127.0.0.1/'
    'http://rebind.example/'
    'https://[2606:4700:4700::1111]/dns-query'
    'gopher://127.0.0.1:6379/_INFO'
  )
  echo "ssrfguard check: ${#urls[@]} URLs (example.com, bücher.example and rebind.example pinned)"
  echo
  set +e
  printf '%s\n' "${urls[@]}" | "$sg" check \
    --resolve example.com:443:93.184.215.14 \
    --resolve bücher.example:443:203.0.113.10 --allow 203.0.113.0/24 \
    --resolve rebind.example:80:93.184.215.14,169.254.169.254 - \
    | { printf 'URL\tVERDICT\tCATEGORY\tRULE\tDESTINATION\n'; cat; } | column -t -s $'\t'
  rc=${PIPESTATUS[1]}
  set -e
  echo
  echo "exit status $rc (0: all allowed, 1: something blocked, 2: error)"
  exit 0
fi
if [ "${SSRFGUARD_IN_NETNS:-}" != 1 ]; then
  exec tests/netns-run bash "$0" "$@"   # nothing here can leave this machine
fi
tmp=$(mktemp -d /tmp/ssrfguard-demo-XXXXXX)
keep=
"$builddir/tests/integration/server/sg-upstream" 203.0.113.10:80 >/dev/null 2>"$tmp/upstream.log" &
upstream=$!
"$sg" serve --store "$tmp/incidents.db" --log "$tmp/serve.log" \
  --rule 'allow 203.0.113.0/24' --instance-id i-0123456789abcdef0 \
  --region us-east-1 --az us-east-1a --no-imds 2>"$tmp/serve.err" &
serve=$!
trap 'kill $upstream $serve 2>/dev/null; wait 2>/dev/null; [ -n "$keep" ] || rm -rf "$tmp"' EXIT
. scripts/demo-lib.sh
listening $serve 127.0.0.1:5001 ||
  fail "ssrfguard serve did not start listening on 127.0.0.1:5001" "$tmp/serve.err"
echo "ssrfguard serve is listening on 127.0.0.1:5001 (inside a network namespace)"
show() {
  echo; echo "\$ curl '$1'"
  code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$1") || true
  cat "$tmp/body"; echo "  -> HTTP $code"
  [ "$code" = "$2" ] || fail "expected HTTP $2 from serve, got $code" "$tmp/serve.log"
}
show 'http://127.0.0.1:5001/go?url=http://203.0.113.10/hello' 200
show 'http://127.0.0.1:5001/go?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/' 403
echo; echo "\$ ssrfguard incidents list"
"$sg" incidents --store "$tmp/incidents.db" list
SSRFGUARD=$sg bash scripts/demo-respond.sh   # containment: serve --respond against the AWS emulator
