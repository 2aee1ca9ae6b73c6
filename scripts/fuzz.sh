#!/usr/bin/env bash
# fuzz.sh NAME [SECONDS [LIBFUZZER_FLAGS...]] — run libFuzzer target NAME
# (default 300 s) on one core, growing fuzz/corpus/NAME/ with what it finds.
# Crashes land in build-fuzz/crashes/; minimise them and add them to the
# corpus once fixed.  fx_walk: libtsk 4.11 itself leaks 1 KiB on some
# corrupt ext4 directories (docs/forensics.md, Known limits) and libFuzzer
# stops there; to fuzz past it run
#   ASAN_OPTIONS=detect_leaks=0 scripts/fuzz.sh fx_walk 300 -detect_leaks=0
# (the tests' ASan replay of the corpus still checks our own leaks).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/fuzz.sh NAME [SECONDS [LIBFUZZER_FLAGS...]]}
secs=${2:-300}
shift $(($# < 2 ? $# : 2))
bash scripts/deps.sh
[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzzing=true -Db_lundef=false >/dev/null
meson compile -C build-fuzz "$name-fuzz" >/dev/null
mkdir -p "fuzz/corpus/$name" build-fuzz/crashes
"build-fuzz/fuzz/$name-fuzz" -max_total_time="$secs" -artifact_prefix=build-fuzz/crashes/ \
  -print_final_stats=1 "$@" "fuzz/corpus/$name"
