#!/usr/bin/env bash
# bench/server/bench.sh [SECONDS] — `ssrfguard serve` under wrk, side by side
# (env: CONNS=64 wrk connections, SYNC=full|normal the store's sync level,
# BARE=1 wrk's bare request (Host only) instead of a client's headers,
# PLACE=fixed keeps sg-upstream on the first CPU the run may use and wrk on
# the last: the best placement for both proxies alike, a steadier ratio, not
# the default)
# in one run, inside a loopback-only network namespace (tests/netns-run):
#   1. direct:   wrk -> sg-upstream (203.0.113.10)            the ceiling
#   2. allowed:  wrk -> serve /go?url=upstream -> sg-upstream
#   3. named:    wrk -> serve /go?url=http://upstream.bench/... (a name: resolved
#                by the service from /etc/hosts — a private bind mount — judged,
#                cached for dns_cache_s and pinned for libcurl)
#   4. blocked:  wrk -> serve /go?url=http://169.254.169.254/...  (403; each
#                attempt committed to the store before its answer: counted)
#   5. nginx:    (run first, alternating with allowed, ROUNDS=3 times each)
#                wrk -> nginx (Debian's, worker_processes auto = one per core
#                as serve's default workers, a listening socket each
#                (reuseport) as serve's loops have, each worker on its own CPU
#                as serve's loops are (pin_loops), access log on and buffered as an
#                operator of a busy proxy sets it — serve's log is buffered per
#                loop turn too) as a plain reverse proxy -> sg-upstream, with
#                upstream keep-alive as serve has: the anchor of the /go target
#   6. RSS of serve holding 1,000 open client connections.
# Each proxied round also says where it ran: the CPUs' busy shares, each
# proxy thread's share of the proxy's CPU, and how often sg-upstream and
# wrk were seen on one CPU (the placement suspected in slow rounds).
# The client sends what curl sends (User-Agent and Accept), as the clients a
# service fronts do: nginx forwards them to the upstream; /go sends its own
# (User-Agent, Accept, Via), so the upstream reads a like request from both.
# With wrk's bare request nginx forwards nothing while /go still sends its
# three, which costs the one-core upstream ~1.3 us a request (docs/benchmarks.md).
# The anchor comparison (the method; docs/benchmarks.md, "the method"):
# nginx and allowed run in ROUNDS pairs (default 6), the order turning
# each pair: nginx, allowed, allowed, nginx, nginx, allowed, ...  (ABBA).
# On these shared cores every process costs more round after round (wrk
# 6.6 -> 8.1 us for the same work in one quiet run): a fixed order gives
# the drift to whichever runs second in every pair; turned, each side runs
# first in half the pairs and a linear drift cancels.  Printed: each pair's
# ratio (allowed/nginx of two adjacent runs), their median beside the ratio
# of the two medians, and each side's median CPU a request (proxy,
# sg-upstream, wrk) side by side.  Six pairs: the pairs' ratios spread
# by about 4-5 % (sd, quiet and boosted runs), so the median of six is
# within about +-2.5 %; with three it was +-4 % and the order fixed.
# SAME=nginx|allowed puts that proxy in both places of every pair (the
# method's own check: its ratio must come out 1.00 +- the spread);
# ORDER=fixed keeps nginx first in every pair, the old method, to compare.
# Needs build/ (scripts/build.sh).  Prints its figures; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v nginx >/dev/null || { echo "bench: nginx is not installed (bash scripts/deps.sh)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench: wrk is not installed (bash scripts/deps.sh)" >&2; exit 2; }
if [ "${SSRFGUARD_IN_NETNS:-}" != 1 ]; then
  exec tests/netns-run bash "$0" "$@"
fi
if [ "${SG_BENCH_MNT:-}" != 1 ]; then  # a private /etc/hosts for the named case
  export SG_BENCH_MNT=1
  exec unshare -m bash "$0" "$@"
fi
hosts=$(mktemp /tmp/sg-bench-hosts-XXXXXX)
{ cat /etc/hosts; echo "203.0.113.10 upstream.bench"; } >"$hosts"
mount --make-rprivate /
mount --bind "$hosts" /etc/hosts
secs=${1:-5}
conns=${CONNS:-64}
client=(-H "User-Agent: curl/7.88.1" -H "Accept: */*")  # Debian 12's curl
[ "${BARE:-}" = 1 ] && client=()
upcpu=() wrkcpu=()
if [ "${PLACE:-}" = fixed ]; then  # the first and last CPUs this run may use
  read -r c0 c1 < <(/usr/bin/python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])')
  upcpu=(taskset -c "$c0") wrkcpu=(taskset -c "$c1")
fi
sync=${SYNC:-full}   # store_sync: full (fsync per commit) or normal
B=build
tmp=$(mktemp -d /tmp/sg-bench-XXXXXX)
ulimit -n 8192
"${upcpu[@]}" $B/tests/integration/server/sg-upstream 203.0.113.10:80 >/dev/null &
up=$!
. bench/server/serve-bench.sh
serve_bench "$tmp" "$sync"
srv=$!
. bench/server/nginx-conf.sh
nginx_conf "$tmp" auto  # one worker per core, as serve's default workers
nginx -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' &
ngx=$!
trap 'kill $srv $up $ngx 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; umount /etc/hosts; rm -f "$hosts"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:5002/hello && break; sleep 0.1; done
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:5001/healthz && break; sleep 0.1; done

cpu() { # utime+stime of the processes given (all their threads), clock ticks
  local p t=0
  for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done
  echo "$t"
}
ngx_pids() { echo "$ngx" $(pgrep -P "$ngx"); }  # nginx's master and workers
hz=$(getconf CLK_TCK)

# Where a round ran, to tell a slow round's cause: each CPU's busy share
# (the whole machine's, /proc/stat), each proxy thread's share of the
# proxy's CPU (serve's loops, nginx's workers), and how often sg-upstream
# and wrk were seen on one CPU.  On two cores the upstream (one thread) and
# the proxy's loop beside it share a CPU; wrk there too makes three.
cpus_ticks() { # -> "busy total" ticks of each CPU, on one line
  awk '/^cpu[0-9]/ { t = 0; for (i = 2; i <= NF; i++) t += $i; printf "%d %d ", t - $5 - $6, t }' /proc/stat
}
threads_ticks() { # PIDS -> "tid ticks" of every thread
  local p t
  for p in "$@"; do for t in /proc/"$p"/task/*; do
    awk -v t="${t##*/}" '{ sub(/^.*\) /, ""); print t, $12 + $13 }' "$t/stat" 2>/dev/null || true
  done; done
}
on_cpu=
last_cpu() { # PID -> on_cpu: the CPU it last ran on, empty once it has
  local s    # exited (builtins only: no fork)
  on_cpu=
  read -r s 2>/dev/null <"/proc/$1/stat" || return 0
  s=${s##*) }
  set -- $s
  [ "$1" = Z ] || on_cpu=${37}
}
placement() { # UPSTREAM WRK -> "same seen" samples every 50 ms while WRK runs
  local same=0 seen=0 a fd
  exec {fd}<> <(:)
  while :; do
    last_cpu "$2"
    [ -n "$on_cpu" ] || break
    a=$on_cpu
    last_cpu "$1"
    if [ -n "$on_cpu" ]; then
      seen=$((seen + 1))
      [ "$a" = "$on_cpu" ] && same=$((same + 1))
    fi
    read -r -t 0.05 -u "$fd" _ || true
  done
  exec {fd}>&-
  echo "$same $seen" >"$tmp/placement"
}
where() { # C0 C1 "tid ticks" lines before and after (files) -> one line
  awk -v c0="$1" -v c1="$2" -v f0="$3" -v f1="$4" -v pl="$(cat "$tmp/placement")" 'BEGIN {
    n = split(c0, a, " "); split(c1, b, " ")
    printf "          CPUs busy"
    for (i = 1; i < n; i += 2) {
      dt = b[i+1] - a[i+1]
      printf "%s %.0f%%", (i > 1 ? "," : ""), (dt > 0 ? 100 * (b[i] - a[i]) / dt : 0)
    }
    while ((getline l < f0) > 0) { split(l, x, " "); t0[x[1]] = x[2] }
    k = 0
    while ((getline l < f1) > 0) { split(l, x, " "); v[++k] = x[2] - t0[x[1]]; sum += v[k] }
    for (i = 1; i <= k; i++)  # largest first
      for (j = i + 1; j <= k; j++)
        if (v[j] > v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    printf "; the proxy'"'"'s threads"
    for (i = 1; i <= k && sum && v[i] / sum >= 0.02; i++)
      printf "%s %.0f%%", (i > 1 ? "," : ""), 100 * v[i] / sum
    printf " of its CPU"
    split(pl, p, " ")
    if (p[2]) printf "; sg-upstream and wrk on one CPU in %.0f%% of %d samples", 100 * p[1] / p[2], p[2]
    printf "\n" }'
}
run() { # name url -> "name req/s p50 p99", then the CPU a request of each process
  local out c0 u0 pids=$srv
  [ "$1" = nginx ] && pids=$(ngx_pids)
  [ "$1" = direct ] && pids=$up
  c0=$(cpu $pids)
  u0=$(cpu $up)
  local k0 k1
  k0=$(cpus_ticks)
  threads_ticks $pids >"$tmp/threads.0"
  # wrk's own CPU: the subshell's children's times (bash's `times`, 2nd line;
  # the placement sampler forks nothing but one `:`)
  out=$("${wrkcpu[@]}" wrk -t1 -c"$conns" -d"${secs}s" --latency ${client[@]+"${client[@]}"} "$2" & w=$!
        placement "$up" "$w"; wait "$w"; times)
  k1=$(cpus_ticks)
  threads_ticks $pids >"$tmp/threads.1"
  local rps p50 p99 n w
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  w=$(tail -1 <<<"$out" | awk '{ for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } print t }')
  printf '%-9s %10s req/s   p50 %8s   p99 %8s   requests %8s  non-2xx %s   load %s\n' \
    "$1" "$rps" "$p50" "$p99" "$n" "${non2xx:-0}" "$(cut -d' ' -f1 /proc/loadavg)"
  echo "$rps" >"$tmp/$1.rps"
  echo "$n" >"$tmp/$1.n"
  local who=serve
  [ "$1" = nginx ] && who=nginx
  [ "$1" = direct ] && who=upstream
  awk -v t=$(( $(cpu $pids) - c0 )) -v u=$(( $(cpu $up) - u0 )) -v w="$w" -v hz="$hz" \
      -v n="$n" -v who="$who" -v secs="$secs" -v out="$tmp/$1.cpu" 'BEGIN {
    us = t / hz * 1e6 / n
    printf "          %s CPU %.1f us/request (all threads) -> %.0f req/s per free core", who, us, 1e6 / us
    if (who != "upstream")
      printf "; sg-upstream %.1f us/request (%.0f%% of its one core)", u / hz * 1e6 / n, 100 * u / hz / secs
    printf "; wrk %.1f us/request\n", w * 1e6 / n
    printf "%.2f %.2f %.2f\n", us, u / hz * 1e6 / n, w * 1e6 / n > out }'
  [ "$1" = direct ] || where "$k0" "$k1" "$tmp/threads.0" "$tmp/threads.1"
}

echo "ssrfguard serve benchmark: ${secs}s per case, $conns connections, store_sync=$sync, wrk -t1," \
  "client headers: $([ ${#client[@]} = 0 ] && echo 'none (BARE=1)' || echo 'User-Agent, Accept (as curl)'), $(nproc) cores," \
  "load average $(cut -d' ' -f1 /proc/loadavg)"
run direct  "http://203.0.113.10/hello"
rounds=${ROUNDS:-6}
same=${SAME:-}
case "$same" in ""|nginx|allowed) ;; *) echo "bench: SAME=nginx or SAME=allowed" >&2; exit 2 ;; esac
declare -A url=([nginx]="http://127.0.0.1:5002/hello"
                [allowed]="http://127.0.0.1:5001/go?url=http%3A%2F%2F203.0.113.10%2Fhello")
side() { # SLOT -> the run of that place of the pair (SAME: both places one proxy)
  local who=${same:-$1}
  run "$who" "${url[$who]}"
  for f in rps cpu; do cat "$tmp/$who.$f" >>"$tmp/$1.all.$f"; done
}
for r in $(seq "$rounds"); do
  if [ "${ORDER:-}" = fixed ] || [ $((r % 2)) = 1 ]; then
    side nginx; side allowed
  else
    side allowed; side nginx
  fi
done
median() { sort -g "$1" | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
col() { awk -v k="$2" '{print $k}' "$1"; }
for s in nginx allowed; do
  median "$tmp/$s.all.rps" >"$tmp/$s.med"
  for k in 1 2 3; do median <(col "$tmp/$s.all.cpu" $k); done | paste -sd' ' >"$tmp/$s.medcpu"
done
paste "$tmp/allowed.all.rps" "$tmp/nginx.all.rps" | awk '{print $1 / $2}' >"$tmp/pairs"
pairmed=$(median "$tmp/pairs")
run named   "http://127.0.0.1:5001/go?url=http%3A%2F%2Fupstream.bench%2Fhello"
# every attempt is counted in its incident (the first store_detail_max also get a row)
before=$(sqlite3 "$tmp/incidents.db" 'SELECT coalesce(sum(attempts), 0) FROM incidents')
run blocked "http://127.0.0.1:5001/go?url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F"
after=$(sqlite3 "$tmp/incidents.db" 'SELECT coalesce(sum(attempts), 0) FROM incidents')
committed=$((after - before))
echo "blocked attempts committed to the store: $committed (wrk counted $(cat "$tmp/blocked.n") answers)"
echo "pairs (allowed/nginx, adjacent runs, in order): $(awk '{printf "%s%.3f", (NR > 1 ? " " : ""), $1}' "$tmp/pairs")"
read -r np nu nw <"$tmp/nginx.medcpu"
read -r ap au aw <"$tmp/allowed.medcpu"
printf 'CPU a request, medians (us):  proxy  sg-upstream  wrk   total\n'
printf '  nginx                     %6.1f  %11.1f  %4.1f  %6.1f\n' "$np" "$nu" "$nw" "$(awk -v a="$np" -v b="$nu" -v c="$nw" 'BEGIN {print a + b + c}')"
printf '  allowed                   %6.1f  %11.1f  %4.1f  %6.1f\n' "$ap" "$au" "$aw" "$(awk -v a="$ap" -v b="$au" -v c="$aw" 'BEGIN {print a + b + c}')"
awk -v d="$(cat "$tmp/direct.rps")" -v a="$(cat "$tmp/allowed.med")" -v b="$(cat "$tmp/blocked.rps")" \
  -v nm="$(cat "$tmp/named.rps")" -v ng="$(cat "$tmp/nginx.med")" -v r="$rounds" -v pm="$pairmed" \
  -v same="$same" -v order="$([ "${ORDER:-}" = fixed ] && echo 'nginx first in each pair (ORDER=fixed)' || echo 'the order turning each pair')" \
  'BEGIN { printf "allowed/direct = %.2f (target >= 0.33)   named/direct = %.2f   blocked = %.0f/s (target >= 20000)\n", a/d, nm/d, b
           if (same != "") printf "SAME=%s: both places of every pair ran %s; the ratios below must be 1.00 +- the spread\n", same, same
           printf "allowed/nginx = %.3f, medians of %d pairs, %s: %.0f / %.0f req/s; median of the pairs'"'"' ratios %.3f (target >= 1.0: /go at least as fast as nginx reverse-proxying the same upstream)\n", a/ng, r, order, a, ng, pm }'

# RSS with 1,000 open client connections (each has made one /go request and
# stays open, keep-alive).
/usr/bin/python3 - "$srv" <<'PY'
import socket, sys, time
pid = sys.argv[1]
def rss():
    for ln in open("/proc/%s/status" % pid):
        if ln.startswith(("VmRSS", "VmHWM")):
            yield ln.split()[0][:-1], int(ln.split()[1])
base = dict(rss())
socks = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", 5001))
    s.sendall(b"GET /go?url=http%3A%2F%2F203.0.113.10%2Fhello HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    s.settimeout(10)
    data = b""
    while b"hello from upstream" not in data:
        c = s.recv(4096)
        if not c:
            break
        data += c
time.sleep(0.5)
now = dict(rss())
print("RSS with 1000 open connections: %.1f MB (before: %.1f MB, peak over the run: %.1f MB; target < 64 MB)"
      % (now["VmRSS"] / 1024, base["VmRSS"] / 1024, now["VmHWM"] / 1024))
for s in socks:
    s.close()
PY
