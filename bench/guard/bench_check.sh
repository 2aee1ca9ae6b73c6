#!/usr/bin/env bash
# bench/guard/bench_check.sh [LINES] [ROUNDS] [userinfo] — `ssrfguard check -` over a file
# of LINES URLs (default 200000), whole process, default flags, output to a
# file, side by side in one run with libcurl's URL parser alone on the same
# file (build/bench/guard/curl_parse) and with check whose policy says
# "intent off" (the other parsers' readings not judged); ROUNDS (default 5)
# alternating rounds, best of each, and the ratios.  Targets: check at least
# half as fast as the parse alone (check/parse time <= 2.00), and the intent
# readings (check minus check without them) at most a quarter of that budget
# (<= 0.50 parse times).  "userinfo" puts user:pw@ in every URL: none takes
# the readers' fast path (their worst case).  Needs build/.
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-200000}
rounds=${2:-5}
B=build
tmp=$(mktemp -d /tmp/sg-bench-check-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
python3 bench/guard/make_urls.py "$lines" "${3:-}" >"$tmp/urls.txt"
echo "intent off" >"$tmp/intent-off.policy"

# Seconds (wall clock) of one run of "$@" < urls > out.
run() {
  local t0 t1
  t0=$EPOCHREALTIME
  "$@" <"$tmp/urls.txt" >"$tmp/out" || [ $? -le 1 ]  # check exits 1 when it blocked
  t1=$EPOCHREALTIME
  python3 -c "print(f'{$t1 - $t0:.4f}')"
}
best_parse=999 best_check=999 best_off=999
for ((r = 0; r < rounds; r++)); do
  p=$(run $B/bench/guard/curl_parse)
  c=$(run $B/cli/ssrfguard check -)
  o=$(run $B/cli/ssrfguard check --policy "$tmp/intent-off.policy" -)
  best_parse=$(python3 -c "print(min($best_parse, $p))")
  best_check=$(python3 -c "print(min($best_check, $c))")
  best_off=$(python3 -c "print(min($best_off, $o))")
done
out_lines=$(wc -l <"$tmp/out")
[ "$out_lines" -eq "$lines" ] || { echo "bench_check: check wrote $out_lines lines for $lines URLs" >&2; exit 2; }
python3 - "$lines" "$rounds" "$best_parse" "$best_check" "$best_off" "${3:-}" <<'PY'
import sys
n, rounds = int(sys.argv[1]), int(sys.argv[2])
p, c, o = (float(x) for x in sys.argv[3:6])
print(f"bench_check: {n} literal-address URLs{' with userinfo' if sys.argv[6] else ''}, whole process, best of {rounds} rounds")
print(f"  curl_url parse alone (curl_parse)  {p:8.3f} s  {n / p:10.0f} URLs/s  {p / n * 1e9:6.0f} ns each")
print(f"  ssrfguard check - (default flags)  {c:8.3f} s  {n / c:10.0f} URLs/s  {c / n * 1e9:6.0f} ns each")
print(f"  ssrfguard check, intent off         {o:8.3f} s  {n / o:10.0f} URLs/s  {o / n * 1e9:6.0f} ns each")
r = c / p
print(f"  ratio check / parse time  {r:.2f}x   (target <= 2.00x: {'met' if r <= 2.0 else 'NOT met'})")
share = (c - o) / (2 * p)
print(f"  intent readings: {(c - o) / n * 1e9:.0f} ns each = {share * 100:.0f}% of the check budget "
      f"(2 x parse)   (target <= 25%: {'met' if share <= 0.25 else 'NOT met'})")
PY
