#!/usr/bin/python3
"""crosscheck.py MANIFEST MOUNTDIR [PREFIX] — the manifest must agree with the
kernel's view of the same file system (mounted read-only): same live paths,
types, sizes, modes, owners, mtimes (ns), symlink targets and SHA-256s.
Deleted entries (libtsk only) are not compared.  Exit 1 on any difference."""
import hashlib, json, os, resource, stat, sys

# trees deeper than PATH_MAX: deep recursion, one descriptor per level
sys.setrecursionlimit(200000)
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def unescape(s):
    out, i = bytearray(), 0
    b = s.encode()
    while i < len(b):
        if b[i:i+2] == b"\\\\":
            out += b"\\"; i += 2
        elif b[i:i+2] == b"\\x":
            out.append(int(b[i+2:i+4], 16)); i += 4
        else:
            out.append(b[i]); i += 1
    return bytes(out)

def kind(m):
    for t, f in (("file", stat.S_ISREG), ("dir", stat.S_ISDIR), ("symlink", stat.S_ISLNK),
                 ("fifo", stat.S_ISFIFO), ("chr", stat.S_ISCHR), ("blk", stat.S_ISBLK),
                 ("socket", stat.S_ISSOCK)):
        if f(m):
            return t
    return "other"

manifest, root = sys.argv[1], os.fsencode(sys.argv[2])
prefix = sys.argv[3].encode() if len(sys.argv) > 3 else b""
ours = {}
with open(manifest) as f:
    head = json.loads(f.readline())
    assert head["format"] == "ssrfguard-forensics-manifest"
    for line in f:
        e = json.loads(line)
        if e["deleted"]:
            continue
        p = unescape(e["path"])
        if prefix:
            if not p.startswith(prefix):
                continue
            p = p[len(prefix):]
        ours[p] = e

kernel = {}
# fwalk: directory descriptors, so paths longer than PATH_MAX still work
for dirpath, dirs, files, dfd in os.fwalk(root):
    for name in dirs + files:
        rel = b"/" + os.path.relpath(os.path.join(dirpath, name), root) if dirpath != root \
            else b"/" + name
        st = os.lstat(name, dir_fd=dfd)
        k = {"type": kind(st.st_mode), "size": st.st_size, "mode": "%04o" % (st.st_mode & 0o7777),
             "uid": st.st_uid, "gid": st.st_gid,
             "mtime": "%d.%09d" % (st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9)}
        if stat.S_ISLNK(st.st_mode):
            k["target"] = os.readlink(name, dir_fd=dfd)
        if stat.S_ISREG(st.st_mode):
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dfd)
            h = hashlib.sha256()
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                h.update(chunk)
            os.close(fd)
            k["sha256"] = h.hexdigest()
        kernel[rel] = k

bad = 0
for p in sorted(set(ours) | set(kernel)):
    if p not in ours:
        print("missing from manifest:", p); bad += 1; continue
    if p not in kernel:
        print("not seen by the kernel:", p); bad += 1; continue
    o, k = ours[p], kernel[p]
    for key in ("type", "mode", "uid", "gid", "mtime", "sha256"):
        if key in k and o.get(key) != k[key]:
            print("%s: %s ours=%r kernel=%r" % (p, key, o.get(key), k[key])); bad += 1
    if k["type"] != "dir" and o["size"] != k["size"]:
        print("%s: size ours=%r kernel=%r" % (p, o["size"], k["size"])); bad += 1
    if "target" in k and unescape(o.get("target", "")) != k["target"]:
        print("%s: target differs" % p); bad += 1
if not kernel or not ours:
    print("crosscheck: nothing to compare (%d kernel, %d manifest entries)" % (len(kernel), len(ours))); bad += 1
print("crosscheck: %d entries, %d differences" % (len(kernel), bad))
sys.exit(1 if bad else 0)
