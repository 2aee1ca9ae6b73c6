"""dns.py — a tiny authoritative DNS server for the rebinding test.

usage: dns.py ADDR PORT LOGFILE [PINS]
  rebind.test  A: alternately 203.0.113.10 and 169.254.169.254 (TTL 0)
  swap.test    A: alternately 203.0.113.10 and 203.0.113.11 (TTL 0)
  multi.test   A: 203.0.113.10 and 169.254.169.254 in one answer
  multi2.test  A: 169.254.169.254 and 203.0.113.10 (the other order)
  multi6.test  A: 203.0.113.10, AAAA: ::ffff:169.254.169.254
  multi6b.test A: 203.0.113.10, AAAA: fd00:ec2::254
  pair.test    A: 203.0.113.10 and 203.0.113.11, AAAA: 2001:db8::10
  public.test  A: 203.0.113.10
  many.test    A: 40 records, the 35th 169.254.169.254 (past evdns's 32)
  manyok.test  A: 40 allowed records, 203.0.113.10 first
  slow.test    never answered (a resolver timeout)
  names in PINS (the guard corpus's --resolve pins, HOST[:PORT]:ADDR,...):
               their A and AAAA addresses (TTL 0)
  anything else: NXDOMAIN; other types: no data.
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
swap_turn = 0
pins = {}
# name -> (A answers, AAAA answers), one reply each
STATIC = {
    "multi.test": (["203.0.113.10", "169.254.169.254"], []),
    "multi2.test": (["169.254.169.254", "203.0.113.10"], []),
    "multi6.test": (["203.0.113.10"], ["::ffff:169.254.169.254"]),
    "multi6b.test": (["203.0.113.10"], ["fd00:ec2::254"]),
    "pair.test": (["203.0.113.10", "203.0.113.11"], ["2001:db8::10"]),
    "public.test": (["203.0.113.10"], []),
    "many.test": (["203.0.113.10"] + ["203.0.113.%d" % i for i in range(100, 133)] +
                  ["169.254.169.254"] + ["203.0.113.%d" % i for i in range(133, 138)], []),
    "manyok.test": (["203.0.113.10"] + ["203.0.113.%d" % i for i in range(100, 139)], []),
}


def load_pins(path):
    for ln in open(path, encoding="utf-8"):
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        host, _, rest = ln.partition(":")
        if rest[:1].isdigit() and ":" in rest and not rest.startswith("["):
            port, _, maybe = rest.partition(":")
            if port.isdigit() and maybe:
                rest = maybe
        try:
            host = host.rstrip(".").encode("idna").decode("ascii").lower()
        except UnicodeError:
            continue
        for a in rest.split(","):
            a = a.strip().strip("[]")
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            pins.setdefault(host, []).append((fam, socket.inet_pton(fam, a)))


if len(sys.argv) > 4:
    load_pins(sys.argv[4])
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
    raw = []
    rcode = 0
    if name in pins:
        want = socket.AF_INET if qtype == 1 else socket.AF_INET6 if qtype == 28 else None
        raw = [b for f, b in pins[name] if f == want]
        for b in raw:
            log.write("%s %s %s\n" % (name, "A" if qtype == 1 else "AAAA",
                                       socket.inet_ntop(want, b)))
    elif name == "rebind.test":
        if qtype == 1:
            ip = "203.0.113.10" if turn % 2 == 0 else "169.254.169.254"
            turn += 1
            answers = [ip]
    elif name == "swap.test":
        if qtype == 1:
            answers = ["203.0.113.10" if swap_turn % 2 == 0 else "203.0.113.11"]
            swap_turn += 1
    elif name in STATIC:
        v4, v6 = STATIC[name]
        if qtype == 1:
            answers = v4
        elif qtype == 28:
            raw = [socket.inet_pton(socket.AF_INET6, a) for a in v6]
            for a in v6:
                log.write("%s AAAA %s\n" % (name, a))
    elif name == "slow.test":
        log.write("slow.test dropped\n")
        continue
    else:
        rcode = 3
    for ip in answers:
        log.write("%s A %s\n" % (name, ip))
    out = struct.pack("!HHHHHH", qid, 0x8400 | rcode, 1, len(answers) + len(raw), 0, 0)
    out += question
    for ip in answers:
        out += struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton(ip)
    for b in raw:
        out += struct.pack("!HHHIH", 0xC00C, qtype, 1, 0, len(b)) + b
    s.sendto(out, peer)
