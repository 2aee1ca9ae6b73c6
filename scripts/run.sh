#!/usr/bin/env bash
# run.sh — the main job: install what is missing, build, and show ssrfguard
# at work.  Today that is `ssrfguard check` on a handful of URLs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
printf '%s\n' \
  'https://example.com/' \
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/' \
  'http://0xA9FEA9FE/' \
  'http://[::ffff:169.254.169.254]/' \
  'http://127.1:8080/admin' \
  | ./build/cli/ssrfguard check - || true
