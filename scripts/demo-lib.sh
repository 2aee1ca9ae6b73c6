# demo-lib.sh — sourced by run.sh and demo-respond.sh: a demo prints a
# claim only once it has checked it, and otherwise stops here.  The caller
# sets tmp (the demo's directory) and keep (non-empty: the directory stays).

# fail REASON LOG: say what did not happen and where to read why (the log's
# last lines too), keep the demo's files, exit status 1.
fail() {
  keep=1
  echo "$(basename "$0"): $1 (see $2; the demo's files are kept in $tmp)" >&2
  [ ! -s "$2" ] || tail -n 5 "$2" | sed 's/^/  | /' >&2
  exit 1
}

# listening PID HOST:PORT: true once http://HOST:PORT/healthz answers;
# false at once when PID has died, or after 5 s.
listening() {
  for _ in $(seq 50); do
    kill -0 "$1" 2>/dev/null || return 1
    curl -sf -o /dev/null "http://$2/healthz" && return 0
    sleep 0.1
  done
  return 1
}
