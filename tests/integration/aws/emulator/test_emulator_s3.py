"""S3 in the emulator: buckets and objects through botocore's own S3 client,
SigV4 with x-amz-content-sha256 verified, S3's error codes and statuses."""
import base64
import hashlib
import http.client
import unittest
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from emutest import KEY, EmuTest


class S3(EmuTest):
    def err_status(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        r = cm.exception.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]

    def raw(self, method, path, body=b"", sha=None, tamper=None):
        """A request signed by botocore's S3 signer, optionally tampered after signing."""
        host = urlsplit(self.emu.url).netloc
        req = AWSRequest(method=method, url=self.emu.url + path, data=body, headers={"Host": host})
        if sha is not None:
            req.headers["X-Amz-Content-SHA256"] = sha
            S3SigV4Auth._modify_request_before_signing = _keep_sha
        try:
            S3SigV4Auth(Credentials(*KEY), "s3", "us-east-1").add_auth(req)
        finally:
            S3SigV4Auth._modify_request_before_signing = _ORIG
        hdrs = dict(req.headers.items())
        if tamper:
            tamper(hdrs)
        c = http.client.HTTPConnection(host, timeout=20)
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def test_bucket_and_object_round_trip(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="evidence-123")
        body = b"memory image\x00\xff" * 1000
        put = s3.put_object(Bucket="evidence-123", Key="INC-1/mem.lime", Body=body,
                            Metadata={"incident": "INC-1"})
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        head = s3.head_object(Bucket="evidence-123", Key="INC-1/mem.lime")
        self.assertEqual((head["ContentLength"], head["Metadata"]), (len(body), {"incident": "INC-1"}))
        got = s3.get_object(Bucket="evidence-123", Key="INC-1/mem.lime")
        self.assertEqual(got["Body"].read(), body)
        listed = s3.list_objects_v2(Bucket="evidence-123", Prefix="INC-1/")
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["INC-1/mem.lime"])
        st = self.emu.state()["s3"]["evidence-123"]["Objects"]["INC-1/mem.lime"]
        self.assertEqual(st["SHA256"], hashlib.sha256(body).hexdigest())
        self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["evidence-123"])

    def test_sha256_checksum_kept_and_checked(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="evidence-123")
        body = b"x" * 100
        good = base64.b64encode(hashlib.sha256(body).digest()).decode()
        s3.put_object(Bucket="evidence-123", Key="k", Body=body, ChecksumSHA256=good)
        head = s3.head_object(Bucket="evidence-123", Key="k", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumSHA256"], good)
        bad = base64.b64encode(hashlib.sha256(b"y").digest()).decode()
        self.assertEqual(self.err_status(s3.put_object, Bucket="evidence-123", Key="k2", Body=body, ChecksumSHA256=bad),
                         ("BadDigest", 400))

    def test_missing_things_are_404(self):
        s3 = self.client("s3")
        self.assertEqual(self.err_status(s3.get_object, Bucket="nope-bucket", Key="k"), ("NoSuchBucket", 404))
        s3.create_bucket(Bucket="evidence-123")
        # the fleet's responder key has the documented policy, without
        # s3:ListBucket: a missing key is 403 to it (GetObject, "Permissions")
        self.assertEqual(self.err_status(s3.get_object, Bucket="evidence-123", Key="k"), ("AccessDenied", 403))
        self.assertEqual(self.err_status(s3.head_object, Bucket="evidence-123", Key="k")[1], 403)
        self.emu.add_credentials(access_key_id="AKIALISTER0000000001", secret_access_key="x" * 40)
        lister = self.emu.client("s3", key=("AKIALISTER0000000001", "x" * 40))
        self.assertEqual(self.err_status(lister.get_object, Bucket="evidence-123", Key="k"), ("NoSuchKey", 404))
        self.assertEqual(self.err_status(lister.head_object, Bucket="evidence-123", Key="k")[1], 404)   # HEAD: no body
        self.assertEqual(self.err_status(s3.head_bucket, Bucket="other-bucket")[1], 404)
        s3.delete_object(Bucket="evidence-123", Key="k")          # missing key: 204 all the same
        self.assertEqual(self.err_status(s3.create_bucket, Bucket="Bad_Name"), ("InvalidBucketName", 400))
        self.assertEqual(self.err_status(s3.create_bucket, Bucket="evidence-124",
                                  CreateBucketConfiguration={"LocationConstraint": "us-east-1"}),
                         ("InvalidLocationConstraint", 400))
        s3.create_bucket(Bucket="evidence-123")                  # us-east-1: re-creating your own is 200
        s3.put_object(Bucket="evidence-123", Key="k", Body=b"1")
        self.assertEqual(self.err_status(s3.delete_bucket, Bucket="evidence-123"), ("BucketNotEmpty", 409))

    def test_payload_hash_is_verified(self):
        self.client("s3").create_bucket(Bucket="evidence-123")
        st, _ = self.raw("PUT", "/evidence-123/a", b"hello")
        self.assertEqual(st, 200)
        # unsigned payload is allowed (botocore uses it over TLS with Content-MD5)
        st, _ = self.raw("PUT", "/evidence-123/b", b"hello", sha="UNSIGNED-PAYLOAD")
        self.assertEqual(st, 200)
        # the body changed after signing: the signed hash no longer matches
        st, body = self.raw("PUT", "/evidence-123/c", b"hello", sha=hashlib.sha256(b"other").hexdigest())
        self.assertEqual(st, 400)
        self.assertIn(b"<Code>XAmzContentSHA256Mismatch</Code>", body)
        # no x-amz-content-sha256 at all
        st, body = self.raw("PUT", "/evidence-123/d", b"hello", tamper=lambda h: h.pop("X-Amz-Content-SHA256"))
        self.assertEqual(st, 400)
        self.assertIn(b"<Code>InvalidRequest</Code>", body)
        # a flipped signature byte
        def flip(h):
            a = h["Authorization"]
            h["Authorization"] = a[:-1] + ("0" if a[-1] != "0" else "1")
        st, body = self.raw("GET", "/evidence-123/a", tamper=flip)
        self.assertEqual(st, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", body)

    def test_unknown_key_and_unemulated_subresource(self):
        s3 = self.emu.client("s3", key=("AKIANOTKNOWN00000000", "x" * 40))
        self.assertEqual(self.err_status(s3.list_buckets), ("InvalidAccessKeyId", 403))
        self.client("s3").create_bucket(Bucket="evidence-123")
        self.assertEqual(self.err_status(self.client("s3").get_bucket_acl, Bucket="evidence-123")[1], 501)


def _keep_sha(self, request):
    """Sign with the X-Amz-Content-SHA256 the test put there."""
    sha = request.headers["X-Amz-Content-SHA256"]
    _ORIG(self, request)
    del request.headers["X-Amz-Content-SHA256"]
    request.headers["X-Amz-Content-SHA256"] = sha


_ORIG = S3SigV4Auth._modify_request_before_signing

if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
