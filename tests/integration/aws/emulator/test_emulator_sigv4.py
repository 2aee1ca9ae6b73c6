"""The emulator verifies SigV4 independently: good signatures pass, any
tampering, a wrong secret, a stale or future date, an unknown key, a wrong
scope or a missing/mismatched session token are refused with AWS's codes."""
import unittest

from emutest import EmuTest, KEY, ago, signed, xml


class SigV4(EmuTest):
    def ec2(self, **kw):
        return signed(self.emu.url, "ec2", {"Action": "DescribeInstances", "Version": "2016-11-15"}, **kw)

    def sts(self, **kw):
        return signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, **kw)

    def ssm(self, **kw):
        return signed(self.emu.url, "ssm", json_target="AmazonSSM.DescribeInstanceInformation", **kw)

    def test_valid_signatures_accepted_all_protocols(self):
        st, _, body = self.ec2()
        self.assertEqual(st, 200, body)
        self.assertEqual(xml(body).tag, "DescribeInstancesResponse")
        st, _, body = self.sts()
        self.assertEqual(st, 200, body)
        self.assertEqual(xml(body).find("GetCallerIdentityResult/Arn").text,
                         "arn:aws:iam::123456789012:user/ssrfguard-responder")
        st, _, body = self.ssm()
        self.assertEqual(st, 200, body)

    def test_get_with_query_string_signature(self):
        st, _, body = signed(self.emu.url, "ec2", {"Action": "DescribeInstances", "Version": "2016-11-15",
                                                    "InstanceId.1": "i-0a1b2c3d4e5f60001"}, method="GET")
        self.assertEqual(st, 200, body)
        self.assertEqual(len(xml(body).findall(".//instancesSet/item")), 1)

    def _flip(self, h):
        auth = h["Authorization"]
        i = auth.index("Signature=") + len("Signature=") + 7
        c = "0" if auth[i] != "0" else "1"
        h["Authorization"] = auth[:i] + c + auth[i + 1:]

    def test_one_byte_of_signature_changed(self):
        st, _, body = self.ec2(tamper=self._flip)
        self.assertEqual(st, 401)
        self.assertEqual(xml(body).find("Errors/Error/Code").text, "AuthFailure")
        st, _, body = self.sts(tamper=self._flip)
        self.assertEqual(st, 403)
        self.assertEqual(xml(body).find("Error/Code").text, "SignatureDoesNotMatch")
        st, h, body = self.ssm(tamper=self._flip)
        self.assertEqual(st, 400)
        self.assertIn(b'"__type": "InvalidSignatureException"', body)
        self.assertIn("x-amzn-requestid", h)

    def test_changed_signed_header_or_body(self):
        def date_plus(h):
            d = h["X-Amz-Date"]
            h["X-Amz-Date"] = d[:13] + "%02d" % ((int(d[13:15]) + 1) % 60) + "Z"
        st, _, body = self.sts(tamper=date_plus)
        self.assertEqual(st, 403, body)
        st, _, body = self.sts(tamper=lambda h: h.update({"X-Unsigned-Extra": "x"}))  # unsigned header: fine
        self.assertEqual(st, 200, body)
        st, _, body = signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                             tamper=lambda h: h.update({"Content-Type": "application/x-www-form-urlencoded"}))
        self.assertEqual(st, 403, body)  # content-type is signed by botocore
        self.assertEqual(xml(body).find("Error/Code").text, "SignatureDoesNotMatch")

    def test_authorization_parts_in_any_order(self):
        def reorder(h):
            algo, rest = h["Authorization"].split(" ", 1)
            parts = [x.strip() for x in rest.split(",")]
            h["Authorization"] = algo + " " + ", ".join(reversed(parts))
        st, _, body = self.sts(tamper=reorder)
        self.assertEqual(st, 200, body)
        def dup(h):
            h["Authorization"] += ", Signature=" + "0" * 64
        st, _, body = self.sts(tamper=dup)
        self.assertEqual((st, xml(body).find("Error/Code").text), (400, "IncompleteSignature"))

    def test_wrong_secret(self):
        bad = (KEY[0], KEY[1][:-1] + "X")
        st, _, body = self.ec2(key=bad)
        self.assertEqual((st, xml(body).find("Errors/Error/Code").text), (401, "AuthFailure"))
        self.assertTrue(xml(body).find("RequestID").text)
        st, _, body = self.sts(key=bad)
        root = xml(body)
        self.assertEqual(root.tag, "ErrorResponse")
        self.assertEqual((st, root.find("Error/Type").text, root.find("Error/Code").text),
                         (403, "Sender", "SignatureDoesNotMatch"))

    def test_unknown_access_key(self):
        st, _, body = self.sts(key=("AKIANOTKNOWN00000000", "x"))
        self.assertEqual((st, xml(body).find("Error/Code").text), (403, "InvalidClientTokenId"))
        st, _, body = self.ssm(key=("AKIANOTKNOWN00000000", "x"))
        self.assertEqual(st, 400)
        self.assertIn(b"UnrecognizedClientException", body)

    def test_stale_and_future_dates(self):
        st, _, body = self.ec2(when=ago(minutes=6))
        self.assertEqual((st, xml(body).find("Errors/Error/Code").text), (400, "RequestExpired"))
        st, _, body = self.sts(when=ago(minutes=6))
        self.assertEqual(st, 403)
        self.assertIn("Signature expired", xml(body).find("Error/Message").text)
        st, _, body = self.sts(when=ago(minutes=-6))
        self.assertIn("not yet current", xml(body).find("Error/Message").text)
        st, _, body = self.sts(when=ago(minutes=4))     # within AWS's 5 minutes
        self.assertEqual(st, 200, body)

    def test_scope_region_and_service(self):
        st, _, body = self.ec2(region="eu-west-1")
        self.assertEqual(st, 401)
        self.assertIn("region", xml(body).find("Errors/Error/Message").text)
        st, _, body = signed(self.emu.url, "iam", {"Action": "GetRole", "Version": "2010-05-08",
                                                    "RoleName": "web-fleet-role"})
        self.assertEqual(st, 200, body)   # IAM signs in us-east-1
        st, _, body = signed(self.emu.url, "s3", {"Action": "ListBuckets"})
        self.assertNotEqual(st, 200)

    def test_session_token(self):
        k = ("ASIAEXAMPLESESSION01", "c2Vzc2lvbi1zZWNyZXQtZXhhbXBsZS1rZXktMDAwMQ")
        st, _, body = self.sts(key=k, token="FwoGZXIvYXdzEXAMPLESESSIONTOKEN")
        self.assertEqual(st, 200, body)
        self.assertIn(b"assumed-role/ssrfguard-ir", body)
        st, _, body = self.sts(key=k)                       # token missing
        self.assertEqual((st, xml(body).find("Error/Code").text), (403, "InvalidClientTokenId"))
        st, _, body = self.sts(key=k, token="FwoGZXIvYXdzWRONG")
        self.assertEqual(st, 403)

    def test_expired_session_credentials(self):
        self.emu.add_credentials(access_key_id="ASIASHORTLIVED000001", secret_access_key="s3cr3t",
                                 session_token="tok", expires=__import__("time").time() + 60)
        st, _, _ = self.sts(key=("ASIASHORTLIVED000001", "s3cr3t"), token="tok")
        self.assertEqual(st, 200)
        self.emu.advance(61)
        st, _, body = self.sts(key=("ASIASHORTLIVED000001", "s3cr3t"), token="tok")
        self.assertEqual((st, xml(body).find("Error/Code").text), (403, "ExpiredToken"))

    def test_missing_and_malformed_authorization(self):
        st, _, body = self.sts(tamper=lambda h: h.pop("Authorization"))
        self.assertEqual((st, xml(body).find("Error/Code").text), (403, "MissingAuthenticationToken"))
        st, _, body = self.sts(tamper=lambda h: h.update({"Authorization": "AWS4-HMAC-SHA256 Credential=x"}))
        self.assertEqual((st, xml(body).find("Error/Code").text), (400, "IncompleteSignature"))

    def test_rejections_are_journaled(self):
        self.emu.clear_journal()
        self.sts(tamper=self._flip)
        j = self.emu.journal()
        self.assertEqual((j[-1]["action"], j[-1]["error"]), ("GetCallerIdentity", "SignatureDoesNotMatch"))
        self.assertNotIn("wJalr", repr(j))   # secrets never journaled


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
