#!/usr/bin/python3
"""make_corpus.py — writes corpus.tsv and corpus.pins (run from anywhere).

The corpus is hand-declared here: every URL with the verdict and category a
correct guard must give, and where it comes from.  Sources:
  patt     PayloadsAllTheThings, "Server Side Request Forgery" (README)
  orange   Orange Tsai, "A New Era of SSRF" (Black Hat USA 2017)
  cloud    cloud providers' metadata documentation (AWS, GCP, Azure, ...)
  guards   other guards' test suites (advocate, ssrf_filter, ssrf-req-filter,
           safeurl, Python ipaddress tests): DNS answers, embeddings, ranges
  iana     IANA special-purpose registries (one address per entry)
  enc      the same address in every textual form (inet_aton, UTS #46)
  legit    ordinary URLs that must stay allowed
The expected values are written by hand from those sources, not produced by
ssrfguard.  Names resolve only through corpus.pins (curl --resolve syntax);
the corpus runs with corpus.policy (the tests' internet 203.0.113.0/24 allowed).
"""
import os

rows = []   # (verdict, category, url, source)
pins = []


def add(verdict, cat, url, src):
    rows.append((verdict, cat, url, src))


def block(cat, url, src):
    add("block", cat, url, src)


def allow(cat, url, src):
    add("allow", cat, url, src)


# --- every textual form of an IPv4 address (inet_aton: 1-4 parts, dec/oct/hex) ---
def forms(a, b, c, d):
    n = (a << 24) | (b << 16) | (c << 8) | d
    out = [
        f"{a}.{b}.{c}.{d}",
        str(n),                                   # one part, decimal
        hex(n),                                   # one part, hex
        "0x%08X" % n,                             # hex, upper case, padded
        "0%o" % n,                                # one part, octal
        f"{a}.{(b << 16) | (c << 8) | d}",        # two parts
        f"{a}.{b}.{(c << 8) | d}",                # three parts
        "0%o.0%o.0%o.0%o" % (a, b, c, d),         # dotted octal
        "0x%x.0x%x.0x%x.0x%x" % (a, b, c, d),     # dotted hex
        "0x%x.%d.0%o.%d" % (a, b, c, d),          # mixed
        "%04o.%d.%d.%d" % (a, b, c, d) if a else f"00.{b}.{c}.{d}",  # zero-padded octal
        f"{a}.{b}.{c}.{d}.",                      # trailing dot
        f"[::ffff:{a}.{b}.{c}.{d}]",              # IPv4-mapped
        "[::ffff:%x:%x]" % ((a << 8) | b, (c << 8) | d),
        "[0:0:0:0:0:ffff:%d.%d.%d.%d]" % (a, b, c, d),
        "[64:ff9b::%d.%d.%d.%d]" % (a, b, c, d),  # NAT64 well-known prefix
        "[2002:%x:%x::1]" % ((a << 8) | b, (c << 8) | d),  # 6to4
    ]
    return out


def fullwidth(s):
    return "".join(chr(0xFF10 + int(ch)) if ch.isdigit() else ("\uFF0E" if ch == "." else ch) for ch in s)


CIRCLED = {"0": "\u24EA", **{str(i): chr(0x2460 + i - 1) for i in range(1, 10)}}


def circled(s):
    return "".join(CIRCLED.get(ch, ch) for ch in s)


def ideographic(s, dot="\u3002"):
    return s.replace(".", dot)


# ------------------------------ cloud metadata ------------------------------
imds_paths = [
    "/latest/meta-data/", "/latest/meta-data/iam/security-credentials/",
    "/latest/meta-data/iam/security-credentials/admin-role", "/latest/user-data",
    "/latest/dynamic/instance-identity/document", "/latest/api/token",
    "/latest/meta-data/hostname", "/latest/meta-data/public-keys/0/openssh-key",
]
for p in imds_paths:
    block("metadata", "http://169.254.169.254" + p, "patt")
for f in forms(169, 254, 169, 254):
    block("metadata", f"http://{f}/latest/meta-data/", "enc")
for host in [fullwidth("169.254.169.254"), circled("169.254.169.254"),
             ideographic("169.254.169.254"), ideographic("169.254.169.254", "\uFF0E"),
             ideographic("169.254.169.254", "\uFF61"),
             "\u246F\u2468.\u2461\u2464\u2463.\u246F\u2468.\u2461\u2464\u2463",   # circled 16 9 . 2 5 4
             "%31%36%39.%32%35%34.%31%36%39.%32%35%34",
             "%EF%BC%91%EF%BC%96%EF%BC%99.254.169.254"]:
    block("metadata", f"http://{host}/latest/meta-data/", "enc")
cloud = [
    ("http://[fd00:ec2::254]/latest/meta-data/", "cloud"),
    ("http://[fd00:ec2:0:0:0:0:0:254]/latest/meta-data/", "cloud"),
    ("http://[FD00:EC2::254]:80/latest/api/token", "cloud"),
    ("http://169.254.170.2/v2/credentials/0123abcd", "cloud"),
    ("http://169.254.170.2/v2/metadata", "cloud"),
    ("http://169.254.170.23/v1/credentials", "cloud"),
    ("http://[fd00:ec2::23]/v1/credentials", "cloud"),
    ("http://metadata.google.internal/computeMetadata/v1/", "patt"),
    ("http://metadata.google.internal/computeMetadata/v1beta1/instance/service-accounts/default/token", "patt"),
    ("http://metadata/computeMetadata/v1/", "patt"),
    ("http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/", "enc"),
    ("http://metadata.google.internal.:80/", "enc"),
    ("http://%6d%65%74%61%64%61%74%61.google.internal/", "enc"),
    ("http://\u24DC\u24D4\u24E3\u24D0\u24D3\u24D0\u24E3\u24D0.\u24D6\u24DE\u24DE\u24D6\u24DB\u24D4.\u24D8\u24DD\u24E3\u24D4\u24E1\u24DD\u24D0\u24DB/", "patt"),
    ("http://\uFF4D\uFF45\uFF54\uFF41\uFF44\uFF41\uFF54\uFF41/computeMetadata/v1/", "enc"),
    ("http://169.254.169.254/computeMetadata/v1/instance/", "patt"),
    ("http://169.254.169.254/metadata/instance?api-version=2021-02-01", "patt"),
    ("http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/", "cloud"),
    ("http://168.63.129.16/machine?comp=goalstate", "cloud"),
    ("http://168.63.129.16/?comp=versions", "cloud"),
    ("http://[::ffff:168.63.129.16]/machine?comp=goalstate", "enc"),
    ("http://100.100.100.200/latest/meta-data/", "patt"),
    ("http://100.100.100.200/latest/meta-data/ram/security-credentials/", "patt"),
    ("http://1684301000/latest/meta-data/", "enc"),
    ("http://192.0.0.192/latest/", "patt"),
    ("http://192.0.0.192/opc/v2/instance/", "cloud"),
    ("http://169.254.169.254/opc/v1/instance/", "patt"),
    ("http://169.254.169.254/metadata/v1.json", "patt"),
    ("http://169.254.169.254/openstack/latest/meta_data.json", "patt"),
    ("http://169.254.169.254/hetzner/v1/metadata", "cloud"),
    ("http://instance-data/latest/meta-data/", "cloud"),
    ("http://instance-data.ec2.internal/latest/meta-data/", "cloud"),
    ("https://169.254.169.254/latest/meta-data/", "patt"),
    ("http://169.254.169.254:80/latest/meta-data/", "patt"),
    ("http://user:pass@169.254.169.254/latest/meta-data/", "orange"),
    ("http://example.com@169.254.169.254/latest/meta-data/", "orange"),
    ("http://example.com:80\\@169.254.169.254/latest/meta-data/", "orange"),
    ("http://169.254.169.254#@example.com/", "orange"),
    ("http://169.254.169.254?@example.com/", "orange"),
    ("http://[::169.254.169.254]/", "guards"),
    ("http://[::ffff:0:169.254.169.254]/", "guards"),
    ("http://[64:ff9b:1::a9fe:a9fe]/", "guards"),
    ("http://[2001:0:a9fe:a9fe::]/", "guards"),         # Teredo server
    ("http://[2001:0:808:808::5601:5601]/", "guards"),  # Teredo client (NOT 169.254.169.254)
    ("http://[2002:a9fe:a9fe::]/", "guards"),
    ("http://[64:ff9b::a9fe:a9fe]:8080/", "guards"),
    ("http://[::ffff:a9fe:a9fe%25eth0]/", "enc"),
]
for u, s in cloud:
    block("metadata", u, s)

# ------------------------------- loopback -----------------------------------
for port in ["", ":22", ":25", ":80", ":443", ":2375", ":2379", ":3306", ":6379",
             ":8080", ":9200", ":11211", ":27017"]:
    block("loopback", f"http://127.0.0.1{port}/", "patt")
for f in forms(127, 0, 0, 1):
    block("loopback", f"http://{f}/admin", "enc")
for host in ["127.1", "127.0.1", "127.127.127.127", "127.0.1.3", "127.0.0.0",
             "127.255.255.254", "0x7f.1", "0177.1", "0x7f.0x0.0x0.0x1", "127.000.000.001",
             "0000177.0.0.1", "0x0000007f.1", "127.0.0.1..",
             "[::1]", "[0:0:0:0:0:0:0:1]", "[0000::1]", "[::1]:80", "[::1]:8080",
             "[::1%25lo]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]",
             "[2002:7f00:1::]", "[::ffff:0:7f00:1]",
             "localhost", "LOCALHOST", "localhost.", "LocalHost:8080", "app.localhost",
             "a.b.c.localhost", "%6c%6f%63%61%6c%68%6f%73%74",
             fullwidth("127.0.0.1"), circled("127.0.0.1"), ideographic("127.0.0.1"),
             ideographic("127.0.0.1", "\uFF0E"), ideographic("127.0.0.1", "\uFF61"),
             "\u00B9\u00B2\u2077.0.0.1", "%31%32%37.0.0.1", "%31%32%37%2e%30%2e%30%2e%31",
             "\uFF10\uFF58\uFF17\uFF46.\uFF11", "\uFF1A\uFF1A\uFF11",
             "\uFF4C\uFF4F\uFF43\uFF41\uFF4C\uFF48\uFF4F\uFF53\uFF54",
             "\u24DB\u24DE\u24D2\u24D0\u24DB\u24D7\u24DE\u24E2\u24E3"]:
    block("loopback", f"http://{host}/", "patt" if host[0].isdigit() else "enc")
for u in ["https://127.0.0.1/", "https://localhost/", "http://localhost:80",
          "http://localhost:443", "http://localhost:22",
          "http://127.1.1.1:80\\@127.2.2.2:80/", "http://127.1.1.1:80#\\@127.2.2.2:80/",
          "http://google.com:80+&@127.88.23.245:22/#+@google.com:80/",
          "http://127.0.0.1#@example.com/", "http://127.0.0.1/%61dmin",
          "http://127.0.0.1/%2561dmin", "http://evil.com\\@127.0.0.1/",
          "http://example.com\\@127.0.0.1:8080/", "http://foo@127.0.0.1:11211/",
          "http://127.0.0.1:80/?url=http://example.com/", "HTTP://127.0.0.1/",
          "hTtP://127.0.0.1/", "http:/127.0.0.1/", "http:///127.0.0.1/"]:
    block("loopback", u, "orange")

# --------------------------- unspecified (0.0.0.0/8, ::) -----------------------
for host in ["0", "0.0.0.0", "0x0", "00", "0000", "0.0.0.0:80", "0.0.0.0:22", "0.0.0.0:443",
             "0.1.2.3", "[::]", "[::]:80", "[::]:25", "[::]:3128", "[0:0:0:0:0:0:0:0]",
             "[::ffff:0.0.0.0]", "00000000000000000000", "0x00000000", "0.0", "0.0.0"]:
    block("unspecified", f"http://{host}/", "patt")

# -------------------------------- private -----------------------------------
for f in forms(10, 0, 0, 1):
    block("private", f"http://{f}/", "enc")
for f in forms(192, 168, 1, 1):
    block("private", f"http://{f}/", "enc")
for host in ["10.255.255.254", "012.0.0.1", "167772161", "0xa000001", "172.16.0.1",
             "172.31.255.254", "2886729729", "0xac100001", "192.168.0.1", "3232235521",
             "3232235777", "0300.0250.0.1", "100.64.0.1", "100.127.255.254", "100.100.0.1",
             "[fc00::1]", "[fd12:3456:789a::1]", "[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]",
             "[fec0::1]", "[feff::1]", "[::ffff:10.0.0.1]", "[::ffff:172.16.0.1]",
             "[64:ff9b::c0a8:101]", "[2002:c0a8:101::1]", "[2002:0a00:0001::]",
             "[2001:0:c0a8:101::]", fullwidth("10.0.0.1"), circled("192.168.1.1")]:
    block("private", f"http://{host}/", "guards")

# ------------------------------- link-local ---------------------------------
for host in ["169.254.0.1", "169.254.1.1", "169.254.169.253", "169.254.255.255",
             "2851995649", "[fe80::1]", "[fe80::1%25eth0]", "[fe80::a9fe:a9fe]",
             "[febf:ffff::1]", "[fe80::1%25]", "[::ffff:169.254.1.1]", "[2002:a9fe:0101::]"]:
    block("link-local", f"http://{host}/", "guards")

# ------------------------- multicast and broadcast ---------------------------
for host in ["224.0.0.1", "239.255.255.250", "232.1.1.1", "255.255.255.255", "4294967295",
             "0xffffffff", "[ff02::1]", "[ff05::2]", "[::ffff:224.0.0.251]"]:
    block("multicast", f"http://{host}/", "iana")

# ----------------------------- other reserved -------------------------------
for host in ["192.0.0.1", "192.0.0.8", "192.0.0.170", "192.0.2.1", "192.0.2.254",
             "192.88.99.1", "198.18.0.1", "198.19.255.254", "198.51.100.10", "240.0.0.1",
             "250.1.2.3", "255.255.255.254", "[100::1]", "[100::]", "[2001:2::1]",
             "[2001:10::1]", "[2001:db8::1]", "[2001:db8::11]:8080", "[3fff::1]", "[5f00::1]",
             "[::ffff:0:808:808]", "[::8.8.8.8]", "[64:ff9b:1::808:808]", "[4000::1]",
             "[1::1]", "[e000::1]", "[2001:1::4]"]:
    block("reserved", f"http://{host}/", "iana")

# ------------------------------- schemes ------------------------------------
for u in ["file:///etc/passwd", "file://localhost/etc/passwd",
          "gopher://127.0.0.1:6379/_INFO", "gopher://localhost:8000/_%00%1A%00%00",
          "gopher://127.0.0.1:25/xHELO%20localhost", "dict://127.0.0.1:6379/INFO",
          "dict://attacker:11111/", "ldap://localhost:11211/%0astats%0aquit",
          "ldaps://127.0.0.1/", "sftp://evil.com:11111/", "tftp://evil.com:12346/TESTUDPPACKET",
          "ftp://127.0.0.1/", "ftp://example.com/file.txt", "netdoc:///etc/passwd",
          "smtp://127.0.0.1:25/", "telnet://127.0.0.1:23/", "imap://127.0.0.1/",
          "rtsp://127.0.0.1/", "mqtt://127.0.0.1/", "smb://127.0.0.1/share",
          "ws://127.0.0.1/", "wss://example.com/", "scp://127.0.0.1/etc/passwd",
          "HTTPX://example.com/", "ssh://127.0.0.1/"]:
    block("scheme", u, "patt")

# ------------------------------ malformed -----------------------------------
for u in ["localhost:+11211aaa", "localhost:00011211aaaa", "0://evil.com:80;http://google.com:80/",
          "jar:http://127.0.0.1!/", "file://\\/\\/etc/passwd", "javascript:alert(1)",
          "http://1.1.1.1 &@2.2.2.2# @3.3.3.3/", "http://127.1.1.1:80\\@@127.2.2.2:80/",
          "http://127.1.1.1:80:\\@@127.2.2.2:80/", "http://0000::1:80/",
          "http://foo@evil.com:80@google.com/", "http://127.0.0.1:11211:80/",
          "http://127.0.0.1:65536/", "http://127.0.0.1:99999/", "http://[::1/", "http://::1/",
          "http://[::1]]/", "http://[127.0.0.1]/", "file:///c:/windows/win.ini", "http://%5B::1%5D/",
          "http://a b/", "http://%00/", "http://127.0.0.1%00.example.com/",
          "http://127.0.0.1%09/", "http://127.0.0.1%2f.example.com/", "http://", "http:///",
          "http://:80/", "https://", "127.0.0.1", "//127.0.0.1/", "http:127.0.0.1",
          "http:\\\\127.0.0.1\\", "http:/\\127.0.0.1/", "http://xn--1\u2460.com/",
          "http://\ufdd0.example/", "http://\U0010ffff.example/", "\u3000http://127.0.0.1/",
          "http://127.0.0.1/\x7f", "http://exa mple.com/"]:
    block("malformed", u, "orange")

# -------------- names, with the answers their DNS really gives -----------------
dns = [
    # name, pin addresses, category   (source)
    ("localtest.me", "127.0.0.1", "loopback", "patt"),
    ("customer1.app.localhost.my.company.127.0.0.1.nip.io", "127.0.0.1", "loopback", "patt"),
    ("spoofed.burpcollaborator.net", "127.0.0.1", "loopback", "patt"),
    ("mail.ebc.apple.com", "127.0.0.6", "loopback", "patt"),
    ("bugbounty.dod.network", "127.0.0.2", "loopback", "patt"),
    ("169.254.169.254.nip.io", "169.254.169.254", "metadata", "patt"),
    ("169.254.169.254.xip.io", "169.254.169.254", "metadata", "patt"),
    ("a9fea9fe.nip.io", "169.254.169.254", "metadata", "guards"),
    ("make-1.2.3.4-rebind-169.254-169.254-rr.1u.ms", "1.2.3.4,169.254.169.254", "metadata", "patt"),
    ("imds6.attacker.example", "[fd00:ec2::254]", "metadata", "guards"),
    ("mapped.attacker.example", "[::ffff:169.254.169.254]", "metadata", "guards"),
    ("nat64.attacker.example", "[64:ff9b::a9fe:a9fe]", "metadata", "guards"),
    ("v6loop.attacker.example", "[::1]", "loopback", "guards"),
    ("mapped-loop.attacker.example", "[::ffff:127.0.0.1]", "loopback", "guards"),
    ("cgnat.attacker.example", "100.64.0.1", "private", "guards"),
    ("mixed.attacker.example", "93.184.216.34,10.0.0.5", "private", "guards"),
    ("mixed6.attacker.example", "[2606:4700::1111],[fc00::5]", "private", "guards"),
    ("zero.attacker.example", "0.0.0.0", "unspecified", "guards"),
    ("ll.attacker.example", "169.254.1.1", "link-local", "guards"),
    ("ecs.attacker.example", "169.254.170.2", "metadata", "guards"),
    ("alibaba.attacker.example", "100.100.100.200", "metadata", "guards"),
    ("wire.attacker.example", "168.63.129.16", "metadata", "guards"),
    ("oracle.attacker.example", "192.0.0.192", "metadata", "guards"),
    ("docnet.attacker.example", "192.0.2.10", "reserved", "guards"),
    ("mcast.attacker.example", "239.1.1.1", "multicast", "guards"),
    ("public-then-loop.attacker.example", "203.0.113.10,127.0.0.1", "loopback", "guards"),
]
for name, addrs, cat, src in dns:
    pins.append(f"{name}:{addrs}")
    for path in ["/", "/latest/meta-data/"]:
        block(cat, f"http://{name}{path}", src)
block("metadata", "http://169.254.169.254.nip.io:80/", "patt")
block("loopback", "http://LOCALTEST.ME./", "enc")
block("loopback", "http://\uFF4C\uFF4F\uFF43\uFF41\uFF4C\uFF54\uFF45\uFF53\uFF54.me/", "enc")
# A name with no answer at all (no pin, no network in the test namespace).
block("unresolved", "http://no-such-name.invalid/", "guards")
block("unresolved", "http://rancher-metadata.invalid/latest", "patt")

# ------------------------------- legitimate ---------------------------------
public_v4 = ["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "208.67.222.222",
             "151.101.1.69", "140.82.112.3", "13.107.42.14", "104.16.132.229", "93.184.216.34",
             "172.32.0.1", "172.15.255.255", "100.128.0.1", "100.63.255.255", "11.0.0.1",
             "169.255.0.1", "169.253.255.255", "126.255.255.255", "128.0.0.1", "192.0.3.1",
             "192.167.255.255", "192.169.0.1", "198.17.255.255", "198.20.0.1", "223.255.255.254",
             "1.2.3.4", "52.95.110.1", "54.239.28.85", "35.190.247.1", "20.112.52.29",
             "168.63.129.17", "101.100.100.200", "44.0.0.1"]
for ip in public_v4:
    allow("public", f"http://{ip}/", "legit")
for ip, extra in [("8.8.8.8", ":443/dns-query?name=example.com"), ("1.1.1.1", ":8080/"),
                  ("9.9.9.9", "/path/to/resource.json"), ("93.184.216.34", "/index.html#top"),
                  ("140.82.112.3", ":8443/api/v3?per_page=100&page=2")]:
    allow("public", f"https://{ip}{extra}", "legit")
for enc in ["134744072", "0x08080808", "8.524296", "8.8.2056",
            "0x8.0x8.0x8.0x8", "[::ffff:8.8.8.8]", "[64:ff9b::808:808]", "[2002:808:808::1]",
            "[2001:0:808:808::f7f7:f7f7]", fullwidth("8.8.8.8"), circled("8.8.4.4")]:
    allow("public", f"http://{enc}/", "enc")
public_v6 = ["2606:4700:4700::1111", "2001:4860:4860::8888", "2620:fe::fe", "2a00:1450:4001:80b::200e",
             "2001:4860::1", "2400:cb00:2048:1::c629:d7a2", "2a03:2880:f12f:83:face:b00c:0:25de",
             "2001:200::1", "2001:1::1", "2001:3::1", "2001:20::1", "3ffe::1", "2c0f:fb50:4003::1"]
for ip in public_v6:
    allow("public", f"http://[{ip}]/", "legit")
allow("public", "https://[2606:4700:4700::1111]:443/dns-query", "legit")
allow("public", "http://[2001:4860:4860::8888]:8080/x?y=1", "legit")
allow("public", "http://user:password@8.8.8.8/", "legit")
allow("public", "http://8.8.8.8./", "enc")
# 8.8.8.8 in octal to libcurl, but 10.10.10.10 to a parser that reads the
# parts as decimal (Python's ipaddress before 3.9.5, CVE-2021-29921; Go's
# net.ParseIP before 1.17, CVE-2021-29923): attack intent.
block("intent", "http://010.010.010.010/", "enc")

# Names pinned to the tests' internet (203.0.113.0/24, allowed by corpus.policy).
names = ["example.com", "www.example.com", "api.example.com", "cdn.example.net", "images.example.org",
         "hooks.slack.example", "github.example", "news.example.co.uk", "shop.example.de",
         "blog.example.io", "a.b.c.d.example.com", "xn--bcher-kva.de", "localhost.example.com",
         "metadata.example.com", "internal-looking.example", "127-0-0-1.example.com",
         "169-254-169-254.example.com", "metadata-google-internal.example", "instance-data.example",
         "localhostx.example", "my-localhost", "0x7f.example"]
for i, n in enumerate(names):
    pins.append(f"{n}:203.0.113.{10 + i % 10}")
    allow("allowed", f"https://{n}/", "legit")
    allow("allowed", f"http://{n}:8080/path?q=1#frag", "legit")
    allow("allowed", f"https://{n.upper()}./", "enc")
idn = [("b\u00fccher.de", "xn--bcher-kva.de"), ("m\u00fcnchen.de", None), ("stra\u00dfe.de", None),
       ("\u4f8b\u3048.\u30c6\u30b9\u30c8", None), ("\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", None),
       ("caf\u00e9.fr", None), ("\u65e5\u672c\u8a9e.jp", None), ("\u4e2d\u56fd.cn", None),
       ("\u00e9cole.example", None), ("\u03b5\u03bb\u03bb\u03ac\u03b4\u03b1.gr", None),
       ("\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\uFF0E\uFF4F\uFF52\uFF47", None),   # fullwidth example.org
       ("\u24d4\u24e7\u24d0\u24dc\u24df\u24db\u24d4.\u24d2\u24de\u24dc", None)]         # circled example.com
for i, (n, _) in enumerate(idn):
    pins.append(f"{n}:203.0.113.{11 + i % 9}")
    allow("allowed", f"https://{n}/", "legit")
    allow("allowed", f"http://{n}/\u30d1\u30b9?\u30af\u30a8\u30ea=1", "legit")
# Public answers without any allow rule.
for n, a in [("dns.google", "8.8.8.8,8.8.4.4,[2001:4860:4860::8888]"), ("one.one.one.one", "1.1.1.1,[2606:4700:4700::1111]"),
             ("quad9.example", "9.9.9.9"), ("v6only.example", "[2a00:1450:4001:80b::200e]")]:
    pins.append(f"{n}:{a}")
    allow("public", f"https://{n}/", "legit")
    allow("public", f"https://{n}:443/resolve?name=example.com&type=A", "legit")
allow("allowed", "http://203.0.113.10/", "legit")
allow("allowed", "http://203.0.113.19:8080/x", "legit")
allow("allowed", "https://[::ffff:203.0.113.11]/", "legit")
allow("allowed", "http://[2001:db8::10]/", "legit")

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "corpus.tsv"), "w", encoding="utf-8") as f:
    f.write("# expected verdict<TAB>category<TAB>url<TAB>source -- written by make_corpus.py\n")
    for r in rows:
        assert "\t" not in r[2] and "\n" not in r[2], r
        f.write("\t".join(r) + "\n")
with open(os.path.join(here, "corpus.pins"), "w", encoding="utf-8") as f:
    f.write("# --resolve pins for corpus.tsv -- written by make_corpus.py\n")
    for p in pins:
        f.write(p + "\n")
n_allow = sum(1 for r in rows if r[0] == "allow")
print(f"corpus: {len(rows)} URLs, {n_allow} allowed, {len(rows) - n_allow} blocked, {len(pins)} pins")
