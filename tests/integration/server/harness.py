"""harness.py — run the real `ssrfguard serve` and its test doubles.

Only ever used inside tests/netns-run (a loopback-only network namespace):
every script refuses to run outside one.
"""
import shutil
import atexit
import ctypes
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SSRFGUARD = os.environ.get("SSRFGUARD", "build/cli/ssrfguard")
UPSTREAM = os.environ.get("SG_UPSTREAM", "build/tests/integration/server/sg-upstream")
HERE = os.path.dirname(os.path.abspath(__file__))

FAILS = []
PROCS = []   # every process started here dies with the test, even on an exception
TMPDIRS = []  # removed after PROCS are dead, so nothing writes into them meanwhile


@atexit.register
def _reap():
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()
    for d in TMPDIRS:
        shutil.rmtree(d, True)


def _terminated(signum, frame):
    # meson's timeout sends SIGTERM (then SIGKILL 0.5 s later): exit through
    # atexit so the processes die and the directories go.
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _terminated)


def tmpdir(prefix):
    """A fresh directory, removed at exit (after every spawned process died)."""
    d = tempfile.mkdtemp(prefix=prefix)
    TMPDIRS.append(d)
    return d


def private_mounts():
    """For tests run as `netns-run unshare -m python3 ...`, before they
    bind-mount anything: check the mount namespace really is this test's own
    (never the host's), make it private, and put a tmpfs over the temporary
    directory, so whatever the test leaves there (even when SIGKILLed: meson's
    timeout) vanishes with the namespace and never reaches the host's /tmp."""
    mine = os.readlink("/proc/self/ns/mnt")
    if mine == os.readlink("/proc/%d/ns/mnt" % os.getppid()):
        print("refusing to mount: not in a private mount namespace (run under "
              "unshare -m)", file=sys.stderr)
        sys.exit(2)
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    base = os.path.realpath(tempfile.gettempdir())
    needed = [SSRFGUARD, UPSTREAM, HERE, sys.executable]
    if any(os.path.realpath(x).startswith(base + os.sep) for x in needed):
        return  # the build lives there: keep it visible; tmpdir() cleans at exit
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777,size=256m",
                    "sg-test-tmp", base], check=True)


def _die_with_parent():
    # PR_SET_PDEATHSIG(SIGKILL): a test killed outright (kill -9) takes its
    # servers with it instead of leaving them running, orphaned.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


def spawn(args, **kw):
    kw.setdefault("preexec_fn", _die_with_parent)
    p = subprocess.Popen(args, **kw)
    PROCS.append(p)
    return p


def require_netns():
    if os.environ.get("SSRFGUARD_IN_NETNS") != "1":
        print("refusing to run outside tests/netns-run", file=sys.stderr)
        sys.exit(2)


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, file=sys.stderr, flush=True)
    return cond


def finish():
    if FAILS:
        print("%d failure(s)" % len(FAILS), file=sys.stderr)
        sys.exit(1)
    print("ok")
    sys.exit(0)


def wait_until(pred, what, timeout=10.0):
    """Until pred() holds (a failed check after timeout): a test waits for
    the event it needs, never a fixed time a loaded machine may outlast."""
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    check(False, what)
    return False


def replace_file(path, data, keep_mtime=False):
    """Replace path atomically with data (str or bytes): a watcher sees the
    old file or the new one, never a half-written one.  keep_mtime: with the
    old file's change time, which ssrfguard's policy poll (it compares
    change times) cannot tell from the old file, so that only SIGHUP reads
    it and a SIGHUP test never races the poll."""
    new = path + ".new"
    with open(new, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    if keep_mtime:
        st = os.stat(path)
        os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, path)


def read_response(s):
    """One whole HTTP response (Content-Length framed, or none) from socket
    s: (status, body), or (0, b"") if the peer closed first."""
    data = b""
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            st, hd, _ = parse_response(head + sep)
            n = int(hd.get("content-length", "0"))
            if len(rest) >= n:
                return st, rest[:n]
        b = s.recv(65536)
        if not b:
            return 0, b""
        data += b


def wait_port(host, port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class Upstream:
    def __init__(self, *addrs):
        self.p = spawn([UPSTREAM, *addrs], stdout=subprocess.PIPE)
        line = self.p.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError("upstream did not start")

    def stop(self):
        self.p.kill()
        self.p.wait()


class Serve:
    """One `ssrfguard serve` process with its own store and log."""

    def __init__(self, settings=None, args=(), env=None, port=5001, tmp=None, start=True):
        if tmp is None:  # ours: removed when the test process exits
            tmp = tmpdir("sg-serve-")
        self.tmp = tmp
        self.port = port
        self.db = os.path.join(self.tmp, "incidents.db")
        self.log = os.path.join(self.tmp, "serve.log")
        conf = {
            "listen": "127.0.0.1:%d" % port,
            "store": self.db,
            "log": self.log,
            "instance_id": "i-0123456789abcdef0",
            "region": "us-east-1",
            "az": "us-east-1a",
            "imds": "off",
        }
        conf.update(settings or {})
        self.conf = os.path.join(self.tmp, "serve.conf")
        with open(self.conf, "w") as f:
            f.write("# written by harness.py\n")
            for k, v in conf.items():
                if k == "rule":
                    for r in v:
                        f.write("rule = %s\n" % r)
                elif v is not None:
                    f.write("%s = %s\n" % (k, v))
        self.args = [SSRFGUARD, "serve", "--config", self.conf, *args]
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.p = None
        if start:
            self.start()

    def start(self):
        self.p = spawn(self.args, env=self.env, stderr=subprocess.PIPE)
        if not wait_port("127.0.0.1", self.port):
            self.p.kill()
            raise RuntimeError("serve did not start: %s" % self.p.stderr.read().decode())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.p and self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def get(self, path, headers=None, timeout=30, source=None):
        return http_get("127.0.0.1", self.port, path, headers, timeout, source)

    def go(self, url, headers=None, timeout=30, source=None):
        return self.get("/go?url=" + quote(url), headers, timeout, source)

    def health(self):
        """/healthz's document."""
        return json.loads(self.get("/healthz")[2])

    def metric(self, name):
        """One series of /metrics (name with its labels), or None."""
        for line in self.get("/metrics")[2].decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return None

    def sql(self, q, *params):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            return con.execute(q, params).fetchall()
        finally:
            con.close()

    def log_lines(self):
        # a line reaches the file within LOG_FLUSH_MS (10 ms, src/server/log.c)
        time.sleep(0.05)
        out = []
        with open(self.log, "rb") as f:
            for line in f:
                out.append(json.loads(line))
        return out


def quote(s):
    from urllib.parse import quote as q
    return q(s, safe="")


def http_get(host, port, path, headers=None, timeout=30, source=None):
    """A minimal HTTP/1.1 GET over a fresh connection: (status, headers, body)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    req = "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n" % (path, host, port)
    for k, v in (headers or {}).items():
        req += "%s: %s\r\n" % (k, v)
    s.sendall(req.encode("latin-1") + b"\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return parse_response(data)


def send_raw(port, data, timeout=5.0, source=None, read=True):
    """Raw bytes on a fresh connection to 127.0.0.1:port; with read, all the
    server sends until it closes (b"<timeout>" appended if it does not)."""
    s = socket.socket()
    if source:
        s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    out = b""
    if read:
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                out += c
        except socket.timeout:
            out += b"<timeout>"
    s.close()
    return out


def serve_raw(addr, answer, linger=0.0):
    """A stub upstream on addr (host, port) that answers every connection's
    first read with the given raw bytes, waits linger seconds, and closes:
    for answers no real server would send."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr)
    ls.listen(16)

    def loop():
        while True:
            c, _ = ls.accept()
            c.recv(65536)
            try:
                c.sendall(answer)
                time.sleep(linger)
            except OSError:
                pass
            c.close()
    threading.Thread(target=loop, daemon=True).start()


def parse_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        return (0, {}, data)
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line.split(b";")[0], 16)
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        body = out
    return (status, hdrs, body)
