#!/usr/bin/env bash
# bench/server/instr.sh — user-space instructions per request, counted by
# valgrind's callgrind: repeatable on a shared machine, where req/s and CPU
# time move with everyone else's load.  Inside a loopback-only namespace
# (tests/netns-run), each case in turn, one keep-alive connection:
#   go     ssrfguard serve (default flags): GET /go?url=http://203.0.113.10/hello
#   proxy  ssrfguard serve --proxy-listen:  GET http://203.0.113.10/hello
#   nginx  nginx as the reverse proxy of bench.sh (one process, no master):
#          GET /hello, proxied with upstream keep-alive
# Each case is run twice, with N0 and N1 requests (env; default 500 and
# 2500); the difference of the totals over N1-N0 is the cost of one request
# with the start-up and shutdown taken out.  Kernel work is not counted.
# CASES="go nginx" picks cases; B=DIR another build of ssrfguard.
# Needs build/ (scripts/build.sh), valgrind and nginx.  Takes about 3 min.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "instr: valgrind is not installed" >&2; exit 2; }
command -v nginx >/dev/null || { echo "instr: nginx is not installed (bash scripts/deps.sh)" >&2; exit 2; }
if [ "${SSRFGUARD_IN_NETNS:-}" != 1 ]; then
  exec tests/netns-run bash "$0" "$@"
fi
B=${B:-build}
n0=${N0:-500}
n1=${N1:-2500}
tmp=$(mktemp -d /tmp/sg-instr-XXXXXX)
$B/tests/integration/server/sg-upstream 203.0.113.10:80 >/dev/null &
up=$!
trap 'kill $up 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

. bench/server/nginx-conf.sh
nginx_conf "$tmp" 1  # one process (no master): one to count

# count CASE N -> total instructions of the process over its whole life
count() {
  local out="$tmp/cg.$1.$2" port path pid
  rm -f "$tmp/incidents.db"*
  case $1 in
    nginx) port=5002 path=/hello
      valgrind --tool=callgrind --callgrind-out-file="$out" \
        nginx -p "$tmp" -c "$tmp/nginx.conf" -g 'master_process off; daemon off;' \
        2>"$tmp/vg.err" & ;;
    go|proxy) port=5001 path=/go?url=http%3A%2F%2F203.0.113.10%2Fhello
      [ "$1" = proxy ] && port=3128 path=http://203.0.113.10/hello
      valgrind --tool=callgrind --callgrind-out-file="$out" \
        $B/cli/ssrfguard serve --listen 127.0.0.1:5001 --store "$tmp/incidents.db" \
        --log "$tmp/serve.log" --rule 'allow 203.0.113.0/24' --instance-id i-bench \
        --region us-east-1 --az us-east-1a --no-imds --proxy-listen 127.0.0.1:3128 \
        2>"$tmp/vg.err" & ;;
  esac
  pid=$!
  python3 - "$port" "$path" "$2" <<'PY'
import http.client, sys, time
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for _ in range(300):  # valgrind starts slowly
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.connect()
        break
    except OSError:
        time.sleep(0.1)
for _ in range(n):
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("instr: answer %d to %s" % (r.status, path))
PY
  if [ "$1" = nginx ]; then kill -QUIT $pid; else kill -TERM $pid; fi
  wait $pid || true
  callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

echo "instructions per request (callgrind, user space; ($n1 - $n0) requests on one connection)"
for c in ${CASES:-go proxy nginx}; do
  a=$(count $c "$n0")
  b=$(count $c "$n1")
  printf '%-6s %8d instructions/request\n' "$c" $(( (b - a) / (n1 - n0) ))
done
