# bench/server/nginx-conf.sh — sourced by bench.sh and instr.sh: the anchor
# of issue 11's /go target, nginx as an operator of a busy reverse proxy
# sets it up in front of the benchmarks' upstream (sg-upstream on
# 203.0.113.10:80), with upstream keep-alive as the service has, the
# access log on and buffered (the service buffers its log per loop turn),
# and a listening socket per worker (reuseport) as the service has one per
# loop: without it, wrk's 64 connections often all landed on one worker
# (one worker's CPU ticks only, in 3 of 5 rounds), leaving nginx a core;
# and each worker kept on its own CPU (worker_cpu_affinity auto) as the
# service keeps each loop (pin_loops, on by default) — nginx unpinned was
# not faster: 29.2 k against 34.3 k req/s pinned, medians of three
# alternating rounds (docs/benchmarks.md, "pinned loops").
# nginx_conf DIR WORKERS  -> DIR/nginx.conf, listening on 127.0.0.1:5002
nginx_conf() {
  cat >"$1/nginx.conf" <<EOF
worker_processes $2;
worker_cpu_affinity auto;
pid $1/nginx.pid;
error_log $1/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log $1/nginx-access.log combined buffer=64k flush=1s;
  upstream up { server 203.0.113.10:80; keepalive 256; }
  server {
    listen 127.0.0.1:5002 reuseport;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
}
