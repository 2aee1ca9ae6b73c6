# bench/server/serve-bench.sh — sourced by bench.sh and waits.sh: the
# service as issue 11's /go benchmarks run it, in front of the benchmarks'
# upstream (sg-upstream on 203.0.113.10:80), so that every comparison with
# nginx uses the same flags.
# serve_bench DIR SYNC  -> serve on 127.0.0.1:5001 in the background,
#                          its store and log in DIR, store_sync SYNC
serve_bench() {
  build/cli/ssrfguard serve --listen 127.0.0.1:5001 --store "$1/incidents.db" \
    --log "$1/serve.log" --rule 'allow 203.0.113.0/24' --instance-id i-bench \
    --region us-east-1 --az us-east-1a --no-imds --client-timeout-s 60 \
    --max-concurrent 256 --store-sync "$2" &
}
