"""dns.py — a tiny authoritative DNS server for the rebinding test.

usage: dns.py ADDR PORT LOGFILE
  rebind.test  A: alternately 203.0.113.10 and 169.254.169.254 (TTL 0)
  multi.test   A: 203.0.113.10 and 169.254.169.254 in one answer
  public.test  A: 203.0.113.10
  anything else: NXDOMAIN; AAAA and other types: no data.
Every answer is logged ("rebind.test A 169.254.169.254").  Bounded parsing:
malformed queries are dropped.
"""
import socket
import struct
import sys

addr, port, logf = sys.argv[1], int(sys.argv[2]), sys.argv[3]
log = open(logf, "a", buffering=1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
turn = 0
print("ready", flush=True)


def qname(msg, off):
    labels = []
    while off < len(msg) and len(labels) < 64:
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels).lower(), off
        if n > 63 or off + n > len(msg):
            return None, off
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return None, off


while True:
    msg, peer = s.recvfrom(4096)
    if len(msg) < 12:
        continue
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1 or flags & 0x8000:
        continue
    name, off = qname(msg, 12)
    if name is None or off + 4 > len(msg):
        continue
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    answers = []
    rcode = 0
    if name == "rebind.test":
        if qtype == 1:
            ip = "203.0.113.10" if turn % 2 == 0 else "169.254.169.254"
            turn += 1
            answers = [ip]
    elif name == "multi.test":
        if qtype == 1:
            answers = ["203.0.113.10", "169.254.169.254"]
    elif name == "public.test":
        if qtype == 1:
            answers = ["203.0.113.10"]
    else:
        rcode = 3
    for ip in answers:
        log.write("%s A %s\n" % (name, ip))
    out = struct.pack("!HHHHHH", qid, 0x8400 | rcode, 1, len(answers), 0, 0) + question
    for ip in answers:
        out += struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton(ip)
    s.sendto(out, peer)
