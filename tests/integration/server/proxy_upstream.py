"""proxy_upstream.py — the proxy tests' extra "internet" servers.

usage: proxy_upstream.py CERT KEY
  http://203.0.113.13:80   POST|PUT /echo   reads the body (Content-Length or
                                            chunked) and answers JSON
                                            {"len", "sha256", "chunked", "headers"}
                           GET /upgrade     answers 101 Switching Protocols
                           GET /headers     the request head, as JSON
  https://203.0.113.12:443 GET /hello       "hello over tls\n" (CERT for
                                            tls.test and 203.0.113.12)
Prints "ready" once both are listening.  Only ever run inside tests/netns-run.
"""
import hashlib
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading

if os.environ.get("SSRFGUARD_IN_NETNS") != "1":
    sys.exit("refusing to run outside tests/netns-run")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _json(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        h = hashlib.sha256()
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return n, h.hexdigest(), True
                left = size
                while left:
                    b = self.rfile.read(min(left, 65536))
                    h.update(b)
                    n += len(b)
                    left -= len(b)
                self.rfile.readline()
        left = int(self.headers.get("Content-Length", "0"))
        while left:
            b = self.rfile.read(min(left, 65536))
            if not b:
                break
            h.update(b)
            n += len(b)
            left -= len(b)
        return n, h.hexdigest(), False

    def do_POST(self):
        n, sha, chunked = self._body()
        self._json(200, {"len": n, "sha256": sha, "chunked": chunked,
                         "method": self.command, "headers": dict(self.headers.items())})

    do_PUT = do_POST

    def do_GET(self):
        if self.path == "/upgrade":
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.write(b"raw stream after the 101")
            self.close_connection = True
        elif self.path == "/hello":
            body = b"hello over tls\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._json(200, {"path": self.path, "headers": dict(self.headers.items())})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


plain = Server(("203.0.113.13", 80), Handler)
tls = Server(("203.0.113.12", 443), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
for srv in (plain, tls):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
