#!/usr/bin/python3
"""fiwalk_check.py IMAGE MANIFEST — our live regular files (path, size) must
be exactly the allocated regular files fiwalk (libtsk's own walker) lists."""
import json, subprocess, sys
import xml.etree.ElementTree as ET

xml = subprocess.run(["fiwalk", "-O", "-z", "-x", sys.argv[1]], capture_output=True, check=True).stdout
theirs = set()
def local(tag):
    return tag.rsplit("}", 1)[-1]

for fo in (el for el in ET.fromstring(xml).iter() if local(el.tag) == "fileobject"):
    kids = {local(c.tag): c.text for c in fo}
    name, size, meta = kids.get("filename"), kids.get("filesize"), kids.get("meta_type")
    # libtsk's virtual $OrphanFiles is not a file; NTFS's $MFT etc. are
    if name and meta == "1" and kids.get("alloc", "1") == "1" and not name.startswith("$OrphanFiles"):
        theirs.add(("/" + name, int(size)))
ours = set()
with open(sys.argv[2]) as f:
    f.readline()
    for line in f:
        e = json.loads(line)
        # NTFS named streams ("file:stream"), which fiwalk -O does not list
        if e["type"] == "file" and not e["deleted"] and ":" not in e["path"].rsplit("/", 1)[-1]:
            ours.add((e["path"], e["size"]))
for p in sorted(theirs ^ ours):
    print("only in", "fiwalk:" if p in theirs else "ours:", p)
print("fiwalk check: %d files, %d differences" % (len(ours), len(theirs ^ ours)))
sys.exit(1 if theirs != ours or not ours else 0)
