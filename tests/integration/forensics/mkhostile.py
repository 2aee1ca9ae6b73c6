#!/usr/bin/python3
"""mkhostile.py DIR NFILES DEPTH — a tree meant to break walkers: NFILES
files in one directory, a chain of DEPTH nested directories, 255-byte
names, names with newlines, '|', backslashes, tabs and bytes that are not
UTF-8, a FIFO, device nodes, a socket, symlink loops and symlinks into
the host."""
import os, socket, stat, sys

root, nfiles, depth = os.fsencode(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
os.makedirs(root, exist_ok=True)
big = os.path.join(root, b"many")
os.mkdir(big)
fd = os.open(big, os.O_RDONLY | os.O_DIRECTORY)
for i in range(nfiles):
    os.close(os.open(b"f%06d" % i, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
os.close(fd)

fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
for _ in range(depth):          # deeper than PATH_MAX allows in one path
    os.mkdir(b"deep", dir_fd=fd)
    nfd = os.open(b"deep", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
os.close(os.open(b"bottom", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd))
os.close(fd)

odd = os.path.join(root, b"odd")
os.mkdir(odd)
names = [b"x" * 255, b"new\nline", b"pipe|name", b"back\\slash", b"tab\there",
         b"\xff\xfe not utf-8", b"-leading-dash", b" spaces ", b"\x01\x1b[31mansi",
         "unicodé ✓".encode()]
for i, n in enumerate(names):
    with open(os.path.join(odd, n), "wb") as f:
        f.write(b"content %d\n" % i)
os.mkfifo(os.path.join(odd, b"fifo"))
os.mknod(os.path.join(odd, b"null-dev"), 0o600 | stat.S_IFCHR, os.makedev(1, 3))
os.mknod(os.path.join(odd, b"disk-dev"), 0o600 | stat.S_IFBLK, os.makedev(7, 0))
s = socket.socket(socket.AF_UNIX)
s.bind(os.path.join(odd, b"sock"))
s.close()
os.symlink(b"loop-b", os.path.join(odd, b"loop-a"))
os.symlink(b"loop-a", os.path.join(odd, b"loop-b"))
os.symlink(b"/etc/shadow", os.path.join(odd, b"host-shadow"))
os.symlink(b"../../../../../../../../../dev/zero", os.path.join(odd, b"to-dev-zero"))
