#!/usr/bin/env python3
"""mkxfsraw.py DIR — seeds for fuzz target fx_xfsraw: tiny XFS images (one
AG of 64 blocks of 512 bytes, 256-byte inodes) whose AGI's unlinked lists
hold orphan inodes: extents (one unwritten), a B+tree fork, a chain that
loops, a v4 file system, an extent outside the AG, a tree that reaches one
block twice.  mkfs.xfs makes nothing
this small (300 MB at least), so the bytes are laid out here as
xfs_format.h gives them."""
import os
import struct
import sys

BS, AGB, ISZ = 512, 64, 256


def sb(v5=True):
    b = bytearray(BS)
    struct.pack_into(">4sIQ", b, 0, b"XFSB", BS, AGB)
    struct.pack_into(">II", b, 84, AGB, 1)                       # agblocks, agcount
    struct.pack_into(">HHHH", b, 100, 0xb4a5 if v5 else 0xb4a4, 512, ISZ, BS // ISZ)
    b[120], b[121], b[122], b[123], b[124] = 9, 9, 8, 1, 6      # block/sect/inode/inopb/agblk logs
    if v5:
        struct.pack_into(">I", b, 216, 1 << 3)                   # incompat: bigtime
    return b


def agi(heads):
    b = bytearray(BS)
    struct.pack_into(">4sIII", b, 0, b"XAGI", 1, 0, AGB)
    for i in range(64):
        struct.pack_into(">I", b, 40 + 4 * i, heads.get(i, 0xffffffff))
    return b


def rec(off, blk, count, unwritten=False):
    l0 = (int(unwritten) << 63) | (off << 9) | (blk >> 43)
    l1 = ((blk & ((1 << 43) - 1)) << 21) | count
    return struct.pack(">QQ", l0, l1)


def inode(v5, fmt, size, nxt, recs=(), fork=b""):
    b = bytearray(ISZ)
    struct.pack_into(">HHBB", b, 0, 0x494e, 0o100755, 3 if v5 else 2, fmt)
    struct.pack_into(">III", b, 8, 0, 0, 0)                      # uid gid nlink
    if v5:
        t = (2147483648 + 1733390000) * 10**9 + 5               # bigtime: 2024-12-05
        struct.pack_into(">QQQ", b, 32, t, t, t)
        struct.pack_into(">Q", b, 120, 1 << 3)                   # flags2: bigtime
        struct.pack_into(">Q", b, 144, t)                        # crtime
    else:
        struct.pack_into(">iIiIiI", b, 32, 1733390000, 5, 1733390000, 5, 1733390000, 5)
    struct.pack_into(">Q", b, 56, size)
    struct.pack_into(">I", b, 76, len(recs))
    struct.pack_into(">I", b, 96, nxt)
    core = 176 if v5 else 100
    if fmt == 3:
        b[core:core + len(fork)] = fork
    else:
        for i, r in enumerate(recs):
            b[core + 16 * i:core + 16 * i + 16] = r
    return b


def bmdr(v5, level, ptrs):
    """the B+tree root in the data fork: level, numrecs, keys, then ptrs"""
    maxrecs = ((ISZ - (176 if v5 else 100)) - 4) // 16
    b = bytearray(4 + maxrecs * 16)
    struct.pack_into(">HH", b, 0, level, len(ptrs))
    for i, p in enumerate(ptrs):
        struct.pack_into(">Q", b, 4 + 8 * i, 0)
        struct.pack_into(">Q", b, 4 + maxrecs * 8 + 8 * i, p)
    return bytes(b)


def bmbt(v5, level, items):
    """a B+tree block: a leaf's records, or a node's child pointers"""
    hdr = 72 if v5 else 24
    b = bytearray(BS)
    struct.pack_into(">4sHH", b, 0, b"BMA3" if v5 else b"BMAP", level, len(items))
    maxrecs = (BS - hdr) // 16
    for i, it in enumerate(items):
        if level:
            struct.pack_into(">Q", b, hdr + maxrecs * 8 + 8 * i, it)
        else:
            b[hdr + 16 * i:hdr + 16 * i + 16] = it
    return b


def image(v5=True, loop=False, bad_extent=False, twice=False):
    img = bytearray(BS * AGB)
    img[0:BS] = sb(v5)
    img[2 * BS:3 * BS] = agi({3: 20})                            # bucket 3: agino 20
    far = 70 if bad_extent else 21
    a = inode(v5, 2, 1000, 21, [rec(0, 30, 1), rec(1, far, 1, unwritten=True)])
    # agino 21: a B+tree of two levels below its root (root -> node 41 ->
    # leaf 40), or one whose root names node 41 twice
    img[40 * BS:41 * BS] = bmbt(v5, 0, [rec(0, 31, 1), rec(3, 32, 2)])
    img[41 * BS:42 * BS] = bmbt(v5, 1, [40])
    b = inode(v5, 3, 5000, 20 if loop else 0xffffffff, [None, None],  # two extents, in the tree
              bmdr(v5, 2, [41, 41] if twice else [41]))
    img[10 * BS:10 * BS + ISZ] = a                               # agino 20: block 10, slot 0
    img[10 * BS + ISZ:11 * BS] = b                               # agino 21: slot 1
    img[30 * BS:31 * BS] = (b"stratum+tcp://pool.example:3333 " * 16)[:BS]
    return bytes(img)


seeds = {"extents-and-btree-v5": image(), "v4-inodes": image(v5=False),
         "chain-loops": image(loop=True), "extent-outside-the-ag": image(bad_extent=True),
         "btree-block-twice": image(twice=True)}
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(data)
