#!/bin/sh
# replay_oversize.sh REPLAY — an input over 16 MiB is refused by name, not
# replayed cut to its first 16 MiB; one of exactly 16 MiB is replayed.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
truncate -s 16M "$dir/exact"
"$1" "$dir/exact" >/dev/null
truncate -s 17M "$dir/big"
if "$1" "$dir/big" >/dev/null 2>"$dir/err"; then
  echo "FAIL: a 17 MiB input was replayed" >&2; exit 1
fi
grep -q "big: larger than 16 MiB" "$dir/err" || { echo "FAIL: no clear refusal:" >&2; cat "$dir/err" >&2; exit 1; }
echo "ok: 16 MiB replayed, 17 MiB refused by name"
