"""IMDSv2: token PUT then GETs; IMDSv1 refused when HttpTokens=required (only
once a change is applied); role credentials usable for signing, following the
instance's live profile association."""
import http.client
import json
import unittest
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from emutest import EmuTest

WEB1 = "i-0a1b2c3d4e5f60001"


class Imds(EmuTest):
    imds = True

    def req(self, method, path, headers=None):
        u = urlsplit(self.emu.imds_url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def token(self, ttl="60"):
        st, tok = self.req("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        self.assertEqual(st, 200)
        return tok

    def get(self, path, tok):
        return self.req("GET", path, {"X-aws-ec2-metadata-token": tok})

    def test_identity(self):
        tok = self.token()
        self.assertEqual(self.get("/latest/meta-data/instance-id", tok), (200, WEB1))
        self.assertEqual(self.get("/latest/meta-data/placement/availability-zone", tok), (200, "us-east-1a"))
        self.assertEqual(self.get("/latest/meta-data/placement/region", tok), (200, "us-east-1"))
        self.assertEqual(self.get("/latest/meta-data/local-ipv4", tok), (200, "10.0.1.10"))
        st, doc = self.get("/latest/dynamic/instance-identity/document", tok)
        doc = json.loads(doc)
        self.assertEqual((doc["instanceId"], doc["region"], doc["accountId"], doc["privateIp"]),
                         (WEB1, "us-east-1", "123456789012", "10.0.1.10"))
        self.assertEqual(self.get("/latest/meta-data/public-ipv4", tok), (200, "198.51.100.10"))
        self.assertEqual(self.get("/latest/meta-data/ipv6", tok), (200, "2600:1f18:4a3:6901::10"))
        self.assertEqual(self.get("/latest/meta-data/nope", tok)[0], 404)

    def test_token_rules(self):
        self.assertEqual(self.req("PUT", "/latest/api/token")[0], 400)                     # no TTL
        self.assertEqual(self.req("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "0"})[0], 400)
        self.assertEqual(self.req("PUT", "/latest/api/token",
                                  {"X-aws-ec2-metadata-token-ttl-seconds": "21601"})[0], 400)
        self.assertEqual(self.req("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60",
                                                               "X-Forwarded-For": "203.0.113.10"})[0], 403)
        self.assertEqual(self.get("/latest/meta-data/instance-id", "forged")[0], 401)
        tok = self.token("2")
        self.emu.advance(3)
        self.assertEqual(self.get("/latest/meta-data/instance-id", tok)[0], 401)          # expired

    def test_v1_allowed_while_optional_refused_once_required_applied(self):
        self.assertEqual(self.req("GET", "/latest/meta-data/instance-id"), (200, WEB1))  # fleet: optional
        self.client("ec2").modify_instance_metadata_options(InstanceId=WEB1, HttpTokens="required")
        self.assertEqual(self.req("GET", "/latest/meta-data/instance-id")[0], 200)       # still pending
        self.emu.advance(2)
        self.assertEqual(self.req("GET", "/latest/meta-data/instance-id")[0], 401)       # applied
        self.assertEqual(self.get("/latest/meta-data/instance-id", self.token()), (200, WEB1))

    def test_role_credentials_sign_requests_and_follow_association(self):
        tok = self.token()
        self.assertEqual(self.get("/latest/meta-data/iam/security-credentials/", tok), (200, "web-fleet-role"))
        st, body = self.get("/latest/meta-data/iam/security-credentials/web-fleet-role", tok)
        c = json.loads(body)
        self.assertEqual((c["Code"], c["Type"]), ("Success", "AWS-HMAC"))
        self.assertRegex(c["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        sts = self.emu.client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["Token"])
        who = sts.get_caller_identity()
        self.assertEqual(who["Arn"], f"arn:aws:sts::123456789012:assumed-role/web-fleet-role/{WEB1}")
        # the credentials carry their instance: a revocation scoped to it bites
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
               "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2100-01-01T00:00:00Z"},
                             "ArnEquals": {"ec2:SourceInstanceARN":
                                           f"arn:aws:ec2:us-east-1:123456789012:instance/{WEB1}"}}}]}
        iam = self.client("iam")
        iam.put_role_policy(RoleName="web-fleet-role", PolicyName="revoke", PolicyDocument=json.dumps(doc))
        with self.assertRaises(ClientError):   # (sts:GetCallerIdentity is never denied: probe IAM)
            self.emu.client("iam", key=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["Token"]).get_role(
                RoleName="web-fleet-role")
        sts.get_caller_identity()
        iam.delete_role_policy(RoleName="web-fleet-role", PolicyName="revoke")
        # the same credentials again until close to expiry
        again = json.loads(self.get("/latest/meta-data/iam/security-credentials/web-fleet-role", tok)[1])
        self.assertEqual(again["AccessKeyId"], c["AccessKeyId"])
        # credentials expire on the emulator's clock
        self.emu.advance(6 * 3600 + 1)
        with self.assertRaises(ClientError) as cm:
            sts.get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"], "ExpiredToken")
        tok = self.token()
        fresh = json.loads(self.get("/latest/meta-data/iam/security-credentials/web-fleet-role", tok)[1])
        self.assertNotEqual(fresh["AccessKeyId"], c["AccessKeyId"])
        # take the profile away: the credentials path disappears
        ec2 = self.client("ec2")
        a = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [WEB1]}])["IamInstanceProfileAssociations"][0]
        ec2.disassociate_iam_instance_profile(AssociationId=a["AssociationId"])
        self.emu.advance(2)
        self.assertEqual(self.get("/latest/meta-data/iam/security-credentials/", tok)[0], 404)


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
