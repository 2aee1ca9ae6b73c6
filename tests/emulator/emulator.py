#!/usr/bin/python3
"""ssrfguard's AWS + IMDSv2 test double.

    /usr/bin/python3 tests/emulator/emulator.py --port 4566 [--imds-port 4567]
        [--host 127.0.0.1] [--seed scenario.json] [--state-file F]
        [--tls-port 4443 --tls-cert cert.pem --tls-key key.pem] [--ready-file F]

Prints one line "emulator ready aws=URL imds=URL [tls=URL]" when it serves,
then serves until SIGTERM/SIGINT, or until the process that started it ends.
Port 0 picks a free port (read the ready line or --ready-file).  Run it only
inside tests/netns-run.  See docs/emulator.md.
"""
import argparse
import gc
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PARENT = os.getppid()    # read before the slow imports below: see parent_alive

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The imports (botocore among them) make objects that live as long as the
# process: no collection while they are made, and frozen after (gc.freeze),
# no later collection scans them again.  Every test starts an emulator.
gc.disable()
import control_api  # noqa: E402
import dispatch     # noqa: E402
import imds         # noqa: E402
from world import World  # noqa: E402
gc.freeze()
gc.enable()

# Large enough for the largest request a modelled API accepts: a DynamoDB
# TransactWriteItems of 4 MB of items plus its expressions (API reference,
# TransactWriteItems), and BatchWriteItem's 16 MB (quotas page).
MAX_BODY = 16 << 20


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, world, family=socket.AF_INET, tls=None):
        self.address_family = family
        self.world = world
        self.tls = tls
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        # TLS handshake here, in the connection's own thread, so one slow
        # client cannot stall accept().
        if self.tls is not None:
            try:
                request.settimeout(10)
                request = self.tls.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                return
            try:
                super().finish_request(request, client_address)
            finally:
                request.close()
            return
        super().finish_request(request, client_address)


class _Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonEC2-emulator"
    sys_version = ""
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("emulator: " + (fmt % args) + "\n")

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if te == "chunked":
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(64)
                try:
                    n = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise ValueError("bad chunk")
                if n == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += n
                if total > MAX_BODY:
                    raise OverflowError
                chunks.append(self.rfile.read(n))
                self.rfile.readline(4)
            return b"".join(chunks)
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        if not n.isdigit():
            raise ValueError("bad Content-Length")
        n = int(n)
        if n > MAX_BODY:
            raise OverflowError
        return self.rfile.read(n)

    def setup(self):
        super().setup()
        # small replies on keep-alive connections: no Nagle/delayed-ACK stalls
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reply(self, status, ctype, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if not any(k.lower() == "content-length" for k, _ in headers):   # (HEAD may give its own)
            self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        # end_headers(), with the body in the same write as the headers
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def drop(self):
        """Close the connection without any answer (a dropped-connection fault)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self):
        try:
            body = self.read_body()
        except OverflowError:
            self.close_connection = True
            return self.reply(413, "text/plain", b"request body too large\n")
        except (ValueError, OSError):
            self.close_connection = True
            return self.reply(400, "text/plain", b"bad request body\n")
        self.handle_request(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


class AwsHandler(_Base):
    scheme = "http"

    def date_time_string(self, timestamp=None):
        """The Date header shows AWS's (possibly skewed) wall clock: SDKs
        correct their clock offset from it after a skew error."""
        return super().date_time_string(self.server.world.wall() if timestamp is None else timestamp)

    def handle_request(self, body):
        path = urlsplit(self.path).path
        world = self.server.world
        if path.startswith("/_emulator/") or path == "/_emulator":
            status, obj = control_api.handle(world, self.command, self.path, body)
            data = (json.dumps(obj, default=str, indent=1) + "\n").encode()
            return self.reply(status, "application/json", data)
        res = dispatch.handle(world, self.command, self.path, self.headers, body, self.scheme)
        if res.drop:
            return self.drop()
        if res.delay:
            time.sleep(res.delay)
        self.reply(res.status, res.ctype, res.body, res.headers)


class TlsAwsHandler(AwsHandler):
    scheme = "https"


class ImdsHandler(_Base):
    server_version = "EC2ws"

    def handle_request(self, body):
        status, ctype, data, hdrs = imds.handle(self.server.world, self.command, self.path, self.headers,
                                                self.client_address)
        self.reply(status, ctype, data, hdrs)


def _serve(srv):
    # poll_interval: how long shutdown() may wait for the loop (at each stop)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    return t


def parent_alive():
    """Is the process that started this one still there?  When it ends,
    however it ends (meson's timeout, SIGKILL, an exception before its
    cleanup), this one is handed to another parent: the emulator then
    stops as on SIGTERM, so a harness never leaves one behind.  (Not
    PR_SET_PDEATHSIG: that fires when the starting *thread* ends, and
    harnesses start emulators from pool threads.)"""
    return os.getppid() == PARENT


def _url(scheme, srv):
    host, port = srv.server_address[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def main(argv=None):
    ap = argparse.ArgumentParser(description="AWS + IMDSv2 test double for ssrfguard (run inside tests/netns-run)")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=int, required=True, help="AWS API port (0: pick one)")
    ap.add_argument("--imds-port", type=int, default=None, help="IMDS port (0: pick one; default: none)")
    ap.add_argument("--imds-host", default=None, help="IMDS bind address (default: --host)")
    ap.add_argument("--tls-port", type=int, default=None, help="also serve the AWS API over TLS here")
    ap.add_argument("--tls-cert", help="PEM certificate for --tls-port")
    ap.add_argument("--tls-key", help="PEM key for --tls-port")
    ap.add_argument("--seed", action="append", default=[], help="scenario JSON file to load (repeatable)")
    ap.add_argument("--state-file", help="write the final state (JSON) here on exit")
    ap.add_argument("--ready-file", help="write the ready URLs (JSON) here once serving")
    ap.add_argument("--verbose", action="store_true", help="log each request to stderr")
    a = ap.parse_args(argv)
    if os.environ.get("SSRFGUARD_IN_NETNS") != "1":
        sys.stderr.write("emulator: refusing to run outside tests/netns-run (a loopback-only namespace)\n")
        return 2

    world = World()
    for path in a.seed:
        with open(path, "rb") as f:
            scenario = json.load(f)
        control_api.seed(world, scenario)
    _Base.verbose = a.verbose

    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    servers = [_Server((a.host, a.port), AwsHandler, world, fam)]
    ready = {"aws": _url("http", servers[0])}
    if a.imds_port is not None:
        ih = a.imds_host or a.host
        s = _Server((ih, a.imds_port), ImdsHandler, world, socket.AF_INET6 if ":" in ih else socket.AF_INET)
        servers.append(s)
        ready["imds"] = _url("http", s)
    if a.tls_port is not None:
        if not (a.tls_cert and a.tls_key):
            ap.error("--tls-port needs --tls-cert and --tls-key")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        s = _Server((a.host, a.tls_port), TlsAwsHandler, world, fam, tls=ctx)
        servers.append(s)
        ready["tls"] = _url("https", s)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for s in servers:
        _serve(s)
    if a.ready_file:
        tmp = a.ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(ready, f)
        os.replace(tmp, a.ready_file)
    print("emulator ready " + " ".join(f"{k}={v}" for k, v in ready.items()), flush=True)
    while not stop.wait(0.5) and parent_alive():
        world.tick()
    for s in servers:
        s.shutdown()
        s.server_close()
    if a.state_file:
        with open(a.state_file, "w") as f:
            f.write(control_api.dump_json(world))
    return 0


if __name__ == "__main__":
    rc = main()
    gc.freeze()     # no last collection at exit: 0.3 s of every test's stop
    sys.exit(rc)
