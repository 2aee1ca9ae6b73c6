#!/usr/bin/env python3
"""mkxfslog.py DIR — seeds for fuzz target fx_xfslog: tiny XFS images (one
AG of 64 blocks of 512 bytes) whose internal log (48 basic blocks from AG
block 8) is clean (an unmount record last), dirty, written around the
physical end, torn after an unmount record, left with a hole by in-core
logs written out of order, never written, external, or with a damaged
record header.  mkfs.xfs makes nothing this small (300 MB and a 64 MB log
at least), so the bytes are laid out here as xfs_log_format.h gives them:
each 512-byte block starts with its cycle number, a record header with
0xfeedbabe and then it."""
import os
import struct
import sys

BS, AGB, LOG_AT, LOG_BBS = 512, 64, 8, 48
MAGIC, UNMOUNT = 0xFEEDBABE, 0x20


def sb(logstart=LOG_AT):
    b = bytearray(BS)
    struct.pack_into(">4sIQ", b, 0, b"XFSB", BS, AGB)
    struct.pack_into(">Q", b, 48, logstart)                       # sb_logstart
    struct.pack_into(">II", b, 84, AGB, 1)                        # agblocks, agcount
    struct.pack_into(">I", b, 96, LOG_BBS)                        # sb_logblocks
    struct.pack_into(">HHHH", b, 100, 0xb4a5, 512, 256, BS // 256)
    b[120], b[121], b[122], b[123], b[124] = 9, 9, 8, 1, 6
    return b


class Log:
    def __init__(self):
        self.b = bytearray(LOG_BBS * 512)                         # cycle 0 everywhere

    def stamp(self, blk, cycle):
        struct.pack_into(">I", self.b, blk % LOG_BBS * 512, cycle)

    def record(self, blk, cycle, data_bbs, ops, tail, flags=0, version=2, tail_cycle=None):
        """a record header at blk, then data_bbs blocks; the part past the
        physical end is stamped with the next cycle, as xlog_sync does"""
        h = bytearray(512)
        struct.pack_into(">IIII", h, 0, MAGIC, cycle, version, data_bbs * 512)
        struct.pack_into(">QQ", h, 16, cycle << 32 | blk, (tail_cycle or cycle) << 32 | tail)
        struct.pack_into(">I", h, 40, ops)
        struct.pack_into(">I", h, 320, 32768)                     # h_size
        self.b[blk * 512:blk * 512 + 512] = h
        for i in range(1, data_bbs + 1):
            n = blk + i
            self.stamp(n, cycle + 1 if n >= LOG_BBS else cycle)
            if i == 1:                                            # the first op header
                struct.pack_into(">IBB", self.b, n % LOG_BBS * 512 + 4, 16, 0x69, flags)
        return (blk + 1 + data_bbs) % LOG_BBS


def image(log, logstart=LOG_AT):
    img = bytearray(BS * AGB)
    img[0:BS] = sb(logstart)
    img[LOG_AT * BS:LOG_AT * BS + len(log.b)] = log.b
    return bytes(img)


def clean():
    g = Log()
    n = g.record(0, 1, 2, 3, 0)
    g.record(n, 1, 1, 1, n, UNMOUNT)                              # head 5
    return g


def dirty(version=2):
    g = Log()
    n = g.record(0, 1, 1, 1, 0, UNMOUNT)
    g.record(n, 1, 3, 5, n, version=version)                      # head 6, tail 2
    return g


def wrapped(unmount):
    g = Log()
    for blk in range(10, LOG_BBS):
        g.stamp(blk, 1)                                           # the first pass
    n = g.record(44, 1, 6, 9, 44)                                 # 45..47, then 0..2 (cycle 2)
    if unmount:
        n = g.record(n, 2, 1, 1, n, UNMOUNT)                      # head 5
    else:
        n = g.record(n, 2, 6, 4, 44, tail_cycle=1)                # head 10, tail 44
    for blk in range(n, 10):
        g.stamp(blk, 1)
    return g


def torn():
    g = Log()
    n = g.record(0, 1, 1, 1, 0)
    n = g.record(n, 1, 1, 1, n, UNMOUNT)                          # ends at 4
    g.record(n, 1, 8, 2, n)
    for blk in range(8, 13):
        g.stamp(blk, 0)                                           # written only to 7
    return g


def hole():
    g = Log()
    n = g.record(0, 1, 1, 1, 0, UNMOUNT)
    n = g.record(n, 1, 3, 5, n)                                   # 2..5, tail 2
    g.record(n + 2, 1, 3, 5, n)                                   # 8..11, written first
    return g                                                      # 6, 7: still cycle 0


def bad_header():
    return dirty(version=7)


seeds = {"clean": image(clean()), "dirty": image(dirty()),
         "dirty-wrapped": image(wrapped(False)), "clean-wrapped": image(wrapped(True)),
         "torn-after-unmount": image(torn()), "hole": image(hole()),
         "never-written": image(Log()), "external": image(dirty(), logstart=0),
         "bad-header": image(bad_header())}
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(data)
