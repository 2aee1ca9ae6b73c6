#!/usr/bin/env bash
# bench/server/waits.sh [SECONDS] — why /go's rate moves: nginx and serve
# side by side as bench.sh runs them (the same flags, upstream and wrk
# flags; env CONNS=64, ROUNDS=2), and for each run what the proxy waited
# on rather than only its rate:
#   p50/p99            wrk --latency (a 40 ms Nagle/delayed-ACK stall or a
#                      200 ms timer shows in p99)
#   cpu us/req         the proxy's and sg-upstream's CPU (all threads)
#   csw/req            their context switches (one per wait for an event)
#   up-conns           connections from the proxy to sg-upstream (ss -tn),
#                      a pool or slot bound shows as fewer than CONNS
#   idle%              the machine's idle CPU over the run (/proc/stat):
#                      0 means other work took every free cycle
#   running%           the proxy's threads' samples (every 10 ms) in state R
#                      (running or waiting for a CPU) rather than S (waiting)
#                      (serve's count its store thread, idle here: 3 threads
#                      against nginx's 2 workers)
#   per-loop ticks     each serve thread's CPU: SO_REUSEPORT's spread
# Needs build/ (scripts/build.sh).  Prints its figures; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${SSRFGUARD_IN_NETNS:-}" != 1 ]; then
  exec tests/netns-run bash "$0" "$@"
fi
secs=${1:-3}
conns=${CONNS:-64}
B=build
tmp=$(mktemp -d /tmp/sg-waits-XXXXXX)
ulimit -n 8192
$B/tests/integration/server/sg-upstream 203.0.113.10:80 >/dev/null &
up=$!
. bench/server/serve-bench.sh
serve_bench "$tmp" full
srv=$!
. bench/server/nginx-conf.sh
nginx_conf "$tmp" auto
nginx -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' &
ngx=$!
trap 'kill $srv $up $ngx 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:5002/hello && break; sleep 0.1; done
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:5001/healthz && break; sleep 0.1; done
hz=$(getconf CLK_TCK)

tasks() { local p; for p in "$@"; do echo /proc/"$p"/task/*; done; }
ticks() { cat $(tasks "$@" | sed 's|\([^ ]*\)|\1/stat|g') | awk '{t += $14 + $15} END {print t}'; }
switches() {
  cat $(tasks "$@" | sed 's|\([^ ]*\)|\1/status|g') | awk '/^(non)?voluntary_ctxt_switches/ {t += $2} END {print t}'
}
idle() { awk '/^cpu / {print $5 + $6}' /proc/stat; }
upconns() { ss -tnH state established '( dport = :80 )' | wc -l; }
sample() { # PIDS... -> share of their threads' samples in state R, every 10 ms for SECS
  local end=$((SECONDS + secs))
  while ((SECONDS < end)); do cat $(tasks "$@" | sed 's|\([^ ]*\)|\1/stat|g') 2>/dev/null; sleep 0.01; done |
    awk '{n++; if ($3 == "R") r++} END {printf "%.0f", 100 * r / n}'
}

run() { # name url pids...
  local name=$1 url=$2; shift 2
  local pids="$*" c0 u0 s0 us0 i0 conns0 out
  c0=$(ticks $pids); s0=$(switches $pids); u0=$(ticks $up); us0=$(switches $up); i0=$(idle)
  conns0=$(upconns)
  sample $pids >"$tmp/running" &
  local sp=$!
  (sleep "$((secs / 2)).5"; echo $(( $(upconns) - conns0 )) >"$tmp/conns") &
  local cp=$!
  out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$url")
  wait $sp $cp
  awk -v name="$name" -v n="$(awk '/requests in/ {print $1}' <<<"$out")" \
      -v rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" \
      -v p50="$(awk '$1 == "50%" {print $2}' <<<"$out")" -v p99="$(awk '$1 == "99%" {print $2}' <<<"$out")" \
      -v c="$(( $(ticks $pids) - c0 ))" -v u="$(( $(ticks $up) - u0 ))" \
      -v s="$(( $(switches $pids) - s0 ))" -v us="$(( $(switches $up) - us0 ))" \
      -v i="$(( $(idle) - i0 ))" -v hz="$hz" -v secs="$secs" -v cpus="$(nproc)" \
      -v conns="$(cat "$tmp/conns")" -v running="$(cat "$tmp/running")" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "%-6s %8.0f req/s  p50 %7s  p99 %8s  cpu us/req %5.1f (upstream %4.1f)  csw/req %.2f (upstream %.2f)  new up-conns %3d  idle%% %3.0f  running%% %3d  load %s\n",
      name, rps, p50, p99, c / hz * 1e6 / n, u / hz * 1e6 / n, s / n, us / n, conns,
      100 * i / (hz * secs * cpus), running, load }'
}

echo "waits: ${secs}s a run, wrk -t1 -c$conns, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
loops=$(echo /proc/$srv/task/* | wc -w)
for r in $(seq "${ROUNDS:-2}"); do
  run nginx "http://127.0.0.1:5002/hello" $(pgrep -P "$ngx")
  run serve "http://127.0.0.1:5001/go?url=http%3A%2F%2F203.0.113.10%2Fhello" "$srv"
done
echo "serve's $loops threads, CPU ticks (user system) over all rounds:" \
  $(for t in /proc/$srv/task/*; do awk '{printf "%s ", $14 "+" $15}' "$t/stat"; done)
