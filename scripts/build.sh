#!/usr/bin/env bash
# build.sh [asan] — configure (once) and compile build/ or build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "")   dir=build;      opts=() ;;
  asan) dir=build-asan; opts=(-Db_sanitize=address,undefined -Db_lundef=false) ;;
  *)    echo "usage: scripts/build.sh [asan]" >&2; exit 2 ;;
esac
[ -f "$dir/build.ninja" ] || meson setup "$dir" "${opts[@]}" >/dev/null
meson compile -C "$dir" >/dev/null || meson compile -C "$dir"
echo "build: $dir ok"
