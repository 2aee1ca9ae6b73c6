#!/usr/bin/python3
"""mkproto.py DIR — print an mkfs.xfs protofile that recreates DIR's tree
(regular files, directories, symlinks, FIFOs, devices; modes and owners).
Names must not hold whitespace (a protofile limit)."""
import os, stat, sys

def mode_str(st):
    m = st.st_mode
    t = {stat.S_IFREG: "-", stat.S_IFDIR: "d", stat.S_IFLNK: "l", stat.S_IFIFO: "p",
         stat.S_IFCHR: "c", stat.S_IFBLK: "b"}[stat.S_IFMT(m)]
    return "%s%s%s%03o" % (t, "u" if m & stat.S_ISUID else "-", "g" if m & stat.S_ISGID else "-",
                          m & 0o777)

def emit(path, depth):
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        st = os.lstat(full)
        pad = "  " * depth
        line = "%s%s %s %d %d" % (pad, name, mode_str(st), st.st_uid, st.st_gid)
        if stat.S_ISREG(st.st_mode):
            print(line, full)
        elif stat.S_ISLNK(st.st_mode):
            print(line, os.readlink(full))
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            print(line, os.major(st.st_rdev), os.minor(st.st_rdev))
        elif stat.S_ISDIR(st.st_mode):
            print(line)
            emit(full, depth + 1)
            print(pad + "$")
        else:
            print(line)

root = sys.argv[1]
print("/dev/null")
print("0 0")
print("d--755 0 0")
emit(root, 1)
print("$")
