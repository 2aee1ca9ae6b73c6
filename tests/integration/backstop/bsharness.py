"""bsharness.py — what the backstop's integration tests share.

Only ever used inside tests/netns-run: every metadata address is put on
this namespace's loopback, where a honeypot answers, so nothing can leave.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading

SG = os.environ["SSRFGUARD"]
APP, SERVICE = 4242, 4343
PY = "/usr/bin/python3"
METADATA = ["169.254.169.254", "169.254.170.2", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23"]
FAILURES = []
PROCS = []
TMPDIRS = []


@atexit.register
def _reap():
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()
    for d in TMPDIRS:
        shutil.rmtree(d, True)
    subprocess.run(["nft", "delete", "table", "inet", "ssrfguard_backstop"], capture_output=True)


signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(SystemExit(128 + signum)))


def in_own_netns():
    """tests/netns-run's namespace: only loopback, no route out."""
    links = sh("ip", "-o", "link", "show").stdout.splitlines()
    return os.environ.get("SSRFGUARD_IN_NETNS") == "1" and len(links) == 1 and ": lo:" in links[0] \
        and not sh("ip", "route", "show", "default").stdout.strip()


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


def as_uid(uid, *args):
    return sh("setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *args)


def spawn(*args, **kw):
    p = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    PROCS.append(p)
    return p


def tmpdir():
    d = tempfile.mkdtemp(prefix="sg-backstop-")
    os.chmod(d, 0o755)
    TMPDIRS.append(d)
    return d


def url(a, port=80, path="/"):
    return f"http://[{a}]:{port}{path}" if ":" in a else f"http://{a}:{port}{path}"


def add_addresses(addrs):
    for a in addrs:
        if ":" in a:
            sh("ip", "-6", "addr", "add", a + "/128", "dev", "lo", "nodad")
        else:
            sh("ip", "addr", "add", a + "/32", "dev", "lo")


class Honeypot:
    """Answers 200 "honeypot" on a TCP port of every address; records the
    local address of every connection that got through."""

    def __init__(self, port=80):
        self.hits = []
        for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
            s.listen(64)
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, s):
        while True:
            c, _ = s.accept()
            self.hits.append(c.getsockname()[0])
            try:
                c.recv(4096)
                c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nhoneypot")
            except OSError:
                pass
            c.close()


# A plain socket client: connect to each argument, print one line each.
PROBE = ("import socket,sys,time\n"
         "port=int(sys.argv[1])\n"
         "for a in sys.argv[2:]:\n"
         "  t=time.monotonic()\n"
         "  try:\n"
         "    socket.create_connection((a,port),timeout=5).close(); print(a,'CONNECTED',0)\n"
         "  except OSError as e: print(a,'refused',e.errno,round(time.monotonic()-t,3))\n")


def probe(uid, port, *addrs):
    """{addr: (connected, seconds)} for a python3 socket client as uid."""
    r = as_uid(uid, PY, "-c", PROBE, str(port), *addrs)
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        out[parts[0]] = (parts[1] == "CONNECTED", float(parts[-1]))
    return out


def finish():
    print(f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0
