#!/usr/bin/env bash
# run.sh — the main job: install what is missing, build, and show ssrfguard
# at work.  Today that is `ssrfguard check` on a handful of URLs: the guard's
# verdicts, no fetch.  Names are pinned with --resolve, so nothing here asks
# DNS or sends a packet anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
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
printf '%s\n' "${urls[@]}" | ./build/cli/ssrfguard check \
  --resolve example.com:443:93.184.215.14 \
  --resolve bücher.example:443:203.0.113.10 --allow 203.0.113.0/24 \
  --resolve rebind.example:80:93.184.215.14,169.254.169.254 - \
  | { printf 'URL\tVERDICT\tCATEGORY\tRULE\tDESTINATION\n'; cat; } | column -t -s $'\t'
rc=${PIPESTATUS[1]}
set -e
echo
echo "exit status $rc (0: all allowed, 1: something blocked, 2: error)"
