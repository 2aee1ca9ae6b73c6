#!/usr/bin/env bash
# test.sh — install what is missing, build, and run every test twice: in the
# normal build and under ASan+UBSan.  Fuzz corpora are replayed as tests in
# both.  Ends with one line: "tests: N passed, N failed, N skipped".
#
# Tests run 4 at a time on any machine (MESON_TESTTHREADS=N for another
# number): most of a test's time is spent waiting on its processes (the
# emulator's timed transitions, a poll, a lease).  The normal suite's tests
# use about 400 CPU s in all and took about 560 s 2 at a time on 2 cores:
# less than one core busy.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 2
bash scripts/build.sh || exit 2
bash scripts/build.sh asan || exit 2

jobs=${MESON_TESTTHREADS:-4}
rc=0
meson test -C build --print-errorlogs --num-processes "$jobs" || rc=1
# allocator_may_return_null: libtsk asks for absurd sizes on corrupt images and
# copes with NULL, as it does without ASan; the abort would hide that path.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=2048 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes "$jobs" --no-suite heavy \
  --timeout-multiplier 3 || rc=1

/usr/bin/python3 scripts/test-summary.py build build-asan || rc=1
exit $rc
