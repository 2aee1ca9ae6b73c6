"""Shared helpers for the emulator's integration tests (run under tests/netns-run).

start() launches one emulator for a test module; signed() sends a request
signed by botocore's SigV4Auth (optionally tampered) and returns the raw
(status, headers, body) so tests can assert AWS's wire shapes exactly.
"""
import datetime
import http.client
import os
import sys
import unittest
import warnings
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urlsplit

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from control import DEFAULT_KEY, Emulator  # noqa: E402

warnings.simplefilter("ignore", ResourceWarning)   # botocore keeps pooled sockets open

FLEET = os.path.join(ROOT, "tests", "emulator", "scenarios", "fleet.json")
KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


class FrozenSigV4(SigV4Auth):
    """botocore's signer at a chosen time (to make stale requests)."""

    def __init__(self, creds, service, region, when=None):
        super().__init__(creds, service, region)
        self.when = when

    def add_auth(self, request):
        if self.when is None:
            return super().add_auth(request)
        ts = self.when.strftime("%Y%m%dT%H%M%SZ")
        request.context["timestamp"] = ts
        self._modify_request_before_signing(request)   # sets X-Amz-Date from the context
        cr = self.canonical_request(request)
        sts = self.string_to_sign(request, cr)
        self._inject_signature_to_request(request, self.signature(sts, request))


def signed(url, service, params=None, region="us-east-1", key=KEY, token=None, when=None, tamper=None,
           json_target=None, json_body=None, method="POST", extra_headers=None):
    """Send one signed AWS request.  tamper(headers) may edit headers after signing."""
    host = urlsplit(url).netloc
    headers = {"Host": host}
    if json_target:
        body = (json_body or "{}").encode()
        headers["Content-Type"] = "application/x-amz-json-1.1"
        headers["X-Amz-Target"] = json_target
    else:
        body = urlencode(params or {}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    headers.update(extra_headers or {})
    path = "/"
    if method == "GET":
        path = "/?" + body.decode()
        body = b""
    req = AWSRequest(method=method, url=url.rstrip("/") + path, data=body, headers=headers)
    FrozenSigV4(Credentials(key[0], key[1], token), service, region, when).add_auth(req)
    hdrs = dict(req.headers.items())
    if tamper:
        tamper(hdrs)
    c = http.client.HTTPConnection(host, timeout=20)
    try:
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def xml(body):
    """Parse XML, dropping namespaces from tags."""
    root = ET.fromstring(body)
    for el in root.iter():
        if "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def ago(**kw):
    return datetime.datetime.utcnow() - datetime.timedelta(**kw)


class EmuTest(unittest.TestCase):
    """One emulator per test class, seeded with the fleet scenario; reset per test."""
    seed = FLEET
    imds = False

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator.start(seed=cls.seed, imds=cls.imds)
        cls._clients = {}

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def setUp(self):
        self.emu.reset()
        if self.seed:
            self.emu.seed(self.seed)

    def err(self, fn, **kw):
        """The AWS error code fn(**kw) fails with (the test fails if it succeeds)."""
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        return cm.exception.response["Error"]["Code"]

    def inst(self, iid):
        """The instance as DescribeInstances shows it."""
        return self.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]

    def client(self, service, key=KEY):
        k = (service, key)
        if k not in self._clients:
            self._clients[k] = self.emu.client(service, key=key)
        return self._clients[k]


__all__ = ["signed", "xml", "ago", "EmuTest", "Emulator", "KEY", "DEFAULT_KEY", "FLEET", "ROOT"]
