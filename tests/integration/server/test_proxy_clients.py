"""test_proxy_clients.py — the egress proxy with the clients of the issue's list
that test_proxy.py does not run (curl, Python requests, Node are there):
git, apt, Java and Go, each through its own proxy setting only, inside
tests/netns-run.

  - git: `http.proxy`, a clone over dumb HTTP of a repository served on a
    TEST-NET host; the same clone of the metadata address fails with 403;
  - apt: `Acquire::http::Proxy`, `apt-get update` and `apt-get download`
    from a flat repository of one package ([trusted=yes], a Release file
    with the index's SHA-256), then the metadata address as a source;
  - Java: -Dhttp.proxyHost/-Dhttp.proxyPort with HttpURLConnection;
  - Go: HTTP_PROXY with net/http's default client (ProxyFromEnvironment).

Each client must be seen by the proxy (its log lines), so a client that
ignored the setting and went direct cannot pass.  Java and Go are skipped
(and said so) when their toolchains are not installed.
"""
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Serve, check, finish, require_netns, spawn, tmpdir,  # noqa: E402
                     wait_port)

require_netns()
tmp = tmpdir("sg-pxcl-")
www = os.path.join(tmp, "www")
os.makedirs(www)
HOST = "203.0.113.14"
PX = 3150
PROXY = "http://127.0.0.1:%d" % PX
env = dict(os.environ, HOME=tmp, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY",
          "all_proxy", "ALL_PROXY"):
    env.pop(k, None)


def run(args, cwd=None, extra=None, timeout=60):
    e = dict(env, **(extra or {}))
    return subprocess.run(args, cwd=cwd, env=e, capture_output=True, timeout=timeout)


def seen(srv, needle):
    """Proxy log lines whose target contains needle."""
    return [d for d in srv.log_lines() if d.get("route") == "proxy" and
            needle in d.get("target", "")]


# ---- "the internet": one static web server on a TEST-NET host ----
web = spawn(["/usr/bin/python3", "-m", "http.server", "--bind", HOST, "--directory", www, "80"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
check(wait_port(HOST, 80), "static web server up")
srv = Serve({"rule": ["allow 203.0.113.0/24"], "proxy_listen": "127.0.0.1:%d" % PX,
             "proxy_drain_s": 1}, tmp=tmpdir("sg-pxcl-srv-"))

# ---- git over dumb HTTP ----
work = os.path.join(tmp, "work")
os.makedirs(work)
for args in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.email", "t@example.com"],
             ["git", "config", "user.name", "t"]):
    run(args, cwd=work)
with open(os.path.join(work, "README"), "w") as f:
    f.write("fetched through ssrfguard\n")
run(["git", "add", "README"], cwd=work)
run(["git", "commit", "-q", "-m", "one"], cwd=work)
run(["git", "clone", "-q", "--bare", work, os.path.join(www, "repo.git")])
run(["git", "update-server-info"], cwd=os.path.join(www, "repo.git"))
out = os.path.join(tmp, "clone")
r = run(["git", "-c", "http.proxy=" + PROXY, "clone", "-q", "http://%s/repo.git" % HOST, out])
readme = os.path.join(out, "README")
check(r.returncode == 0 and os.path.exists(readme) and
      open(readme).read() == "fetched through ssrfguard\n",
      "git clone over http.proxy: %r" % r.stderr[-300:])
check(seen(srv, "/repo.git/info/refs"), "git's requests went through the proxy")
r = run(["git", "-c", "http.proxy=" + PROXY, "clone", "-q", "http://169.254.169.254/repo.git",
         os.path.join(tmp, "meta")])
check(r.returncode != 0 and b"403" in r.stderr, "git: the metadata address refused (403): %r"
      % r.stderr[-300:])

# ---- apt: a flat repository of one package ----
repo = os.path.join(www, "apt")
pkg = os.path.join(tmp, "pkg")
os.makedirs(os.path.join(pkg, "DEBIAN"))
os.makedirs(os.path.join(pkg, "usr/share/sg-hello"))
with open(os.path.join(pkg, "DEBIAN/control"), "w") as f:
    f.write("Package: sg-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.com>\n"
            "Description: a package fetched through the proxy\n")
with open(os.path.join(pkg, "usr/share/sg-hello/hello.txt"), "w") as f:
    f.write("hello\n")
os.makedirs(repo)
deb = os.path.join(repo, "sg-hello_1.0_all.deb")
r = run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", pkg, deb])
check(r.returncode == 0, "a .deb built: %r" % r.stderr)
data = open(deb, "rb").read()
control = open(os.path.join(pkg, "DEBIAN/control")).read()
packages = control + "Filename: ./sg-hello_1.0_all.deb\nSize: %d\nSHA256: %s\n\n" % (
    len(data), hashlib.sha256(data).hexdigest())
with open(os.path.join(repo, "Packages"), "w") as f:
    f.write(packages)
with open(os.path.join(repo, "Release"), "w") as f:
    f.write("Origin: sg\nLabel: sg\nDate: Thu, 01 Jan 2026 00:00:00 UTC\nSHA256:\n %s %d Packages\n"
            % (hashlib.sha256(packages.encode()).hexdigest(), len(packages)))
state = os.path.join(tmp, "aptstate")
for d in ("lists/partial", "cache/archives/partial"):
    os.makedirs(os.path.join(state, d))
open(os.path.join(state, "status"), "w").close()


def apt(source, *args):
    lst = os.path.join(state, "sources.list")
    with open(lst, "w") as f:
        f.write("deb [trusted=yes] %s ./\n" % source)
    opts = ["-o", "Dir::Etc::sourcelist=" + lst, "-o", "Dir::Etc::sourceparts=/nonexistent",
            "-o", "Dir::Etc::parts=/nonexistent", "-o", "Dir::State::lists=" + state + "/lists",
            "-o", "Dir::State::status=" + state + "/status",
            "-o", "Dir::Cache=" + state + "/cache", "-o", "Debug::NoLocking=1",
            "-o", "APT::Sandbox::User=root", "-o", "Acquire::http::Proxy=" + PROXY,
            "-o", "Acquire::Retries=0"]
    return run(["apt-get", "-q", *opts, *args], cwd=state, timeout=90)


r = apt("http://%s/apt" % HOST, "update")
check(r.returncode == 0, "apt-get update through Acquire::http::Proxy: %r" % r.stdout[-400:])
r = apt("http://%s/apt" % HOST, "download", "sg-hello")
got = os.path.join(state, "sg-hello_1.0_all.deb")
check(r.returncode == 0 and os.path.exists(got) and open(got, "rb").read() == data,
      "apt-get download through the proxy: %r %r" % (r.stdout[-300:], r.stderr[-300:]))
check(seen(srv, "Release") and seen(srv, "/sg-hello_1.0_all.deb"),
      "apt's requests went through the proxy")
r = apt("http://169.254.169.254/apt", "update")
check(b"403" in r.stdout + r.stderr, "apt: the metadata address refused (403): %r"
      % (r.stdout[-300:] + r.stderr[-300:]))

# ---- Java: the http.proxyHost system properties ----
java_src = r"""
import java.io.*;
import java.net.*;
public class ProxyGet {
    public static void main(String[] a) throws Exception {
        for (String u : a) {
            HttpURLConnection c = (HttpURLConnection) new URL(u).openConnection();
            int code = c.getResponseCode();
            InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream();
            String body = new String(in.readAllBytes(), "UTF-8");
            System.out.println(code + " " + body.trim());
        }
    }
}
"""
if shutil.which("java"):
    src = os.path.join(tmp, "ProxyGet.java")
    with open(src, "w") as f:
        f.write(java_src)
    r = run(["java", "-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=%d" % PX, src,
             "http://%s/repo.git/HEAD?from=java" % HOST, "http://169.254.169.254/latest/meta-data/"],
            timeout=90)
    lines = r.stdout.decode().splitlines()
    check(r.returncode == 0 and len(lines) == 2 and lines[0] == "200 ref: refs/heads/main" and
          lines[1].startswith("403 ") and '"category":"metadata"' in lines[1],
          "Java HttpURLConnection through http.proxyHost: %r %r" % (lines, r.stderr[-300:]))
    check(seen(srv, "/repo.git/HEAD?from=java"), "Java's request went through the proxy")
else:
    print("skip: no java")

# ---- Go: HTTP_PROXY and net/http's default client ----
go_src = r"""
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	for _, u := range os.Args[1:] {
		r, err := http.Get(u)
		if err != nil {
			fmt.Println("error", err)
			continue
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		fmt.Println(r.StatusCode, strings.TrimSpace(string(b)))
	}
}
"""
if shutil.which("go"):
    src = os.path.join(tmp, "proxyget.go")
    with open(src, "w") as f:
        f.write(go_src)
    r = run(["go", "run", src, "http://%s/apt/Release?from=go" % HOST,
             "http://169.254.169.254/latest/meta-data/"],
            extra={"HTTP_PROXY": PROXY, "GOCACHE": os.path.join(tmp, "gocache"),
                   "GOPATH": os.path.join(tmp, "gopath"), "GOPROXY": "off",
                   "GOFLAGS": "", "GO111MODULE": "off"}, timeout=120)
    lines = r.stdout.decode().splitlines()
    check(r.returncode == 0 and lines and lines[0].startswith("200 Origin: sg") and
          any(ln.startswith("403 ") and '"category":"metadata"' in ln for ln in lines),
          "Go net/http through HTTP_PROXY: %r %r" % (lines, r.stderr[-300:]))
    check(seen(srv, "/apt/Release?from=go"), "Go's request went through the proxy")
else:
    print("skip: no go")

check(srv.stop() == 0, "serve: clean exit after SIGTERM")
finish()
