"""STS AssumeRole as the STS API reference documents it
(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html):
temporary credentials of the role for a session name, DurationSeconds
900..43200, a role the caller cannot see is AccessDenied; the credentials
sign like any others and expire."""
import unittest

from botocore.exceptions import ClientError

from emutest import EmuTest

ROLE = "arn:aws:iam::123456789012:role/web-fleet-role"


class Sts(EmuTest):
    def test_assume_role_gives_working_session_credentials(self):
        out = self.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="responder")
        c = out["Credentials"]
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        self.assertTrue(out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/web-fleet-role/responder"))
        who = self.emu.client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"]),
                              token=c["SessionToken"]).get_caller_identity()
        self.assertEqual(who["Arn"], out["AssumedRoleUser"]["Arn"])

    def test_refusals(self):
        sts = self.client("sts")
        # (botocore itself refuses a short session name or a duration out of range)
        for kw, code in ((dict(RoleArn="arn:aws:iam::123456789012:role/nope", RoleSessionName="s1"),
                          "AccessDenied"),):
            with self.assertRaises(ClientError) as cm:
                sts.assume_role(**kw)
            self.assertEqual(cm.exception.response["Error"]["Code"], code)


if __name__ == "__main__":
    unittest.main()
