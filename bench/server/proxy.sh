#!/usr/bin/env bash
# bench/server/proxy.sh [SECONDS] — the egress proxy against squid (the
# Debian package), side by side in one run, inside a loopback-only network
# namespace (tests/netns-run).  Env: CONNS=64 wrk connections, MB=512 size
# of each bulk download.
#   1. GET direct:    wrk -> sg-upstream (203.0.113.10)                the ceiling
#   2. GET squid:     wrk -> squid (absolute-form GET http://203.0.113.10/hello)
#   3. GET ssrfguard: wrk -> serve --proxy-listen (the same requests)
#   4. CONNECT bulk:  curl -p through each proxy to sg-bulk (MB megabytes over
#      one tunnel), and the same download direct.
# Both proxies run with their defaults (squid: one worker; ssrfguard: one
# event loop per core), no cache, no access log file for squid (ssrfguard
# writes its JSON log to a file).
# Needs build/ (scripts/build.sh) and squid.  Prints its figures and ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${SSRFGUARD_IN_NETNS:-}" != 1 ]; then
  exec tests/netns-run bash "$0" "$@"
fi
secs=${1:-5}
conns=${CONNS:-64}
mb=${MB:-512}
B=build
tmp=$(mktemp -d /tmp/sg-pxbench-XXXXXX)
chmod 777 "$tmp"
ulimit -n 8192
$B/tests/integration/server/sg-upstream 203.0.113.10:80 >/dev/null &
up=$!
$B/bench/server/sg-bulk 203.0.113.11 443 $((mb * 1024 * 1024)) >/dev/null &
bulk=$!
$B/cli/ssrfguard serve --listen 127.0.0.1:5001 --store "$tmp/incidents.db" \
  --log "$tmp/serve.log" --rule 'allow 203.0.113.0/24' --instance-id i-bench \
  --region us-east-1 --az us-east-1a --no-imds --proxy-listen 127.0.0.1:3128 &
srv=$!
cat >"$tmp/squid.conf" <<CONF
http_port 127.0.0.1:3129
http_access allow all
cache deny all
cache_mem 8 MB
access_log none
cache_log $tmp/cache.log
pid_filename $tmp/squid.pid
coredump_dir $tmp
cache_effective_user proxy
shutdown_lifetime 0 seconds
CONF
squid -N -f "$tmp/squid.conf" &
sq=$!
trap 'kill $srv $up $bulk $sq 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null -x http://127.0.0.1:3128 http://203.0.113.10/hello &&
    curl -s -o /dev/null -x http://127.0.0.1:3129 http://203.0.113.10/hello && break
  sleep 0.1
done
echo 'init = function(args) wrk.path = "http://203.0.113.10/hello" end' >"$tmp/abs.lua"

get() { # name url [script] -> req/s
  local out rps p99
  out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency ${3:+-s "$3"} "$2")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '%-14s %10s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "${non2xx:-0}" >&2
  echo "$rps"
}
bulk() { # name [proxy] -> MB/s
  local bps
  bps=$(curl -sS -o /dev/null -w '%{speed_download}' ${2:+-p -x "$2"} \
    "http://203.0.113.11:443/bulk")
  awk -v b="$bps" -v n="$1" 'BEGIN { printf "%-14s %10.0f MB/s\n", n, b / 1048576 > "/dev/stderr"; print b / 1048576 }'
}

echo "proxy benchmark: ${secs}s per GET case, $conns connections, wrk -t1; CONNECT: one ${mb} MB" \
  "download; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
d=$(get "GET direct" "http://203.0.113.10/hello")
s=$(get "GET squid" "http://127.0.0.1:3129" "$tmp/abs.lua")
g=$(get "GET ssrfguard" "http://127.0.0.1:3128" "$tmp/abs.lua")
bd=$(bulk "CONNECT direct")
bs=$(bulk "CONNECT squid" http://127.0.0.1:3129)
bg=$(bulk "CONNECT ssrfguard" http://127.0.0.1:3128)
awk -v d="$d" -v s="$s" -v g="$g" -v bd="$bd" -v bs="$bs" -v bg="$bg" 'BEGIN {
  printf "GET: ssrfguard/squid = %.2f (target >= 1.00)   ssrfguard/direct = %.2f\n", g / s, g / d
  printf "CONNECT: ssrfguard/squid = %.2f (target >= 1.00)   ssrfguard/direct = %.2f   squid/direct = %.2f\n", bg / bs, bg / bd, bs / bd }'
