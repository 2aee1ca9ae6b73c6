"""corpus.py — attack URLs for the service tests, one per class and encoding,
with the category the guard must give them.  When the guard's corpus
(tests/data/) carries more, test_serve.py reads that too (see load())."""
import os

ATTACKS = [
    # cloud metadata, every textual form of 169.254.169.254
    ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "metadata"),
    ("http://0xA9FEA9FE/", "metadata"),
    ("http://2852039166/", "metadata"),
    ("http://0251.0376.0251.0376/", "metadata"),
    ("http://169.254.43518/", "metadata"),
    ("http://0xa9.0xfe.0xa9.0xfe/", "metadata"),
    ("http://[::ffff:169.254.169.254]/", "metadata"),
    ("http://[::ffff:a9fe:a9fe]/", "metadata"),
    ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("http://169.254.170.2/v2/credentials/", "metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("http://instance-data/latest/", "metadata"),
    ("http://100.100.100.200/latest/meta-data/", "metadata"),
    ("http://192.0.0.192/opc/v1/", "metadata"),
    ("http://user:pw@169.254.169.254:80/", "metadata"),
    ("http://169.254.169.254./", "metadata"),
    ("http://%31%36%39.254.169.254/", "metadata"),
    ("HTTP://169.254.169.254/", "metadata"),
    # loopback
    ("http://127.0.0.1:5001/metrics", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://0x7f000001/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://localhost/", "loopback"),
    # private, link-local, unspecified, multicast, reserved
    ("http://10.0.0.1/", "private"),
    ("http://012.0.0.1/", "private"),
    ("http://192.168.1.1/admin", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://100.64.0.1/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://169.254.1.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://255.255.255.255/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    # schemes
    ("file:///etc/passwd", "scheme"),
    ("gopher://127.0.0.1:6379/_INFO", "scheme"),
    ("dict://127.0.0.1:11211/stats", "scheme"),
    ("ftp://10.0.0.1/", "scheme"),
]
