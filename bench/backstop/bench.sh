#!/usr/bin/env bash
# bench.sh [SECONDS] — the kernel backstop's cost on the app's connections:
# connections per second from the app's uid to a "public" TEST-NET host,
# alternately without and with the backstop installed (default settings;
# DENY_POLICY=1 adds the policy's denied ranges), ROUNDS (default 9) short
# rounds each, interleaved, in one run inside tests/netns-run.  Prints each
# round and the ratios of the medians: wall-clock connections a second, and
# connections per CPU second (steadier on a shared machine).  A third column,
# "hook", installs only an empty output chain: what any nftables output rule
# costs, whatever it does, so the backstop's own share can be read off.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
secs=${1:-3}
if [ "${SSRFGUARD_IN_NETNS:-}" != 1 ]; then
  exec "$root/tests/netns-run" "$0" "$@"
fi
SG=$build/cli/ssrfguard
CB=$build/bench/backstop/connbench
APP=4242
conf=$(mktemp)
printf '[serve]\nbackstop_user = %s\nbackstop_service_user = 4343\nimds = off\n' "$APP" > "$conf"
if [ "${DENY_POLICY:-0}" = 1 ]; then
  printf 'backstop_deny_policy = on\nrule = allow 203.0.113.0/24\n' >> "$conf"
fi
run() { "$CB" 203.0.113.10 8080 "$APP" "$secs"; }
hook_only() {
  nft -f - <<'EOT'
table inet sgbench_hook {
	chain output {
		type filter hook output priority filter; policy accept;
	}
}
EOT
}
off=() on=() hk=() offc=() onc=() hkc=()
for round in $(seq 1 "${ROUNDS:-9}"); do
  "$SG" backstop remove >/dev/null
  read -r _ w _ c _ <<<"$(run)"; off+=("$w"); offc+=("$c")
  hook_only
  read -r _ w _ c _ <<<"$(run)"; hk+=("$w"); hkc+=("$c")
  nft delete table inet sgbench_hook
  "$SG" backstop install --config "$conf" >/dev/null
  read -r _ w _ c _ <<<"$(run)"; on+=("$w"); onc+=("$c")
  echo "round $round: without ${off[-1]} conn/s (${offc[-1]}/cpu-s), hook ${hk[-1]} (${hkc[-1]}/cpu-s), with ${on[-1]} conn/s (${onc[-1]}/cpu-s)"
done
"$SG" backstop remove >/dev/null
rm -f "$conf"
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v o="$2" -v i="$3" -v what="$1" 'BEGIN { printf "median %s: without %d, with %d: ratio %.3f (cost %.1f%%)\n", what, o, i, i/o, (1-i/o)*100 }'; }
ratio "conn/s" "$(median "${off[@]}")" "$(median "${on[@]}")"
ratio "conn per cpu-s" "$(median "${offc[@]}")" "$(median "${onc[@]}")"
ratio "conn per cpu-s, an empty output hook alone" "$(median "${offc[@]}")" "$(median "${hkc[@]}")"
