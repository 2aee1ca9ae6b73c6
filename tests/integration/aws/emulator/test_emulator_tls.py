"""The API over HTTPS with a throw-away certificate: a client trusting it as
its CA bundle works (signatures verified as for HTTP), one that does not fails."""
import os
import shutil
import subprocess
import tempfile
import unittest

import botocore.config
import botocore.session
from botocore.exceptions import SSLError

from emutest import FLEET, KEY, Emulator


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="emu-tls-")
        cls.key, cls.cert = os.path.join(cls.tmp, "key.pem"), os.path.join(cls.tmp, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", cls.key, "-out", cls.cert], check=True, capture_output=True)
        cls.emu = Emulator.start(seed=FLEET, tls=(cls.cert, cls.key))

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def client(self, service, verify, key=KEY):
        cfg = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})
        return botocore.session.get_session().create_client(
            service, region_name="us-east-1", endpoint_url=self.emu.tls_url, aws_access_key_id=key[0],
            aws_secret_access_key=key[1], verify=verify, config=cfg)

    def test_https_with_ca_bundle(self):
        self.assertTrue(self.emu.tls_url.startswith("https://127.0.0.1:"))
        r = self.client("ec2", self.cert).describe_instances(InstanceIds=["i-0a1b2c3d4e5f60001"])
        self.assertEqual(r["Reservations"][0]["Instances"][0]["InstanceId"], "i-0a1b2c3d4e5f60001")
        r = self.client("ssm", self.cert).describe_instance_information()
        self.assertEqual(len(r["InstanceInformationList"]), 3)

    def test_wrong_secret_over_https(self):
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as cm:
            self.client("sts", self.cert, key=(KEY[0], "nope")).get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"], "SignatureDoesNotMatch")

    def test_untrusted_certificate_refused(self):
        with self.assertRaises(SSLError):
            self.client("sts", "/etc/ssl/certs/ca-certificates.crt").get_caller_identity()


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
