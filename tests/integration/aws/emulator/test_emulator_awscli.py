"""Cross-check with a real client: Debian's AWS CLI v2 (/usr/bin/aws) pointed
at the emulator sees the same state the emulator dumps, runs a containment
script against it, and gets AWS's errors."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from emutest import EmuTest, KEY

AWS = "/usr/bin/aws"
WEB1, WEB2, FOR = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002", "i-0f0000000000000f1"


@unittest.skipUnless(os.path.exists(AWS), "Debian's awscli is not installed")
class AwsCli(EmuTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="emu-awscli-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def aws(self, *args, key=KEY, ok=True):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp, "AWS_ACCESS_KEY_ID": key[0],
               "AWS_SECRET_ACCESS_KEY": key[1], "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null",
               "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"}
        p = subprocess.run([AWS, "--endpoint-url", self.emu.url, "--output", "json", *args], env=env,
                           capture_output=True, text=True, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else {}
        return p.returncode, p.stderr

    def test_cli_sees_the_emulators_state(self):
        who = self.aws("sts", "get-caller-identity")
        self.assertEqual(who["Arn"], "arn:aws:iam::123456789012:user/ssrfguard-responder")
        state = self.emu.state()["ec2"]
        cli = self.aws("ec2", "describe-instances")["Reservations"]
        cli = {i["InstanceId"]: i for r in cli for i in r["Instances"]}
        self.assertEqual(sorted(cli), sorted(state["instances"]))
        for iid, want in state["instances"].items():
            got = cli[iid]
            for k in ("InstanceType", "State", "SubnetId", "VpcId", "PrivateIpAddress", "SecurityGroups",
                      "MetadataOptions", "IamInstanceProfile", "Tags"):
                self.assertEqual(got.get(k), want.get(k), f"{iid} {k}")
            self.assertEqual([(b["DeviceName"], b["Ebs"]["VolumeId"], b["Ebs"]["DeleteOnTermination"])
                              for b in got["BlockDeviceMappings"]],
                             [(b["DeviceName"], b["Ebs"]["VolumeId"], b["Ebs"]["DeleteOnTermination"])
                              for b in want["BlockDeviceMappings"]])
            self.assertEqual([(e["NetworkInterfaceId"], e["Groups"], e.get("Ipv6Addresses"),
                               e["PrivateIpAddresses"][0]["PrivateIpAddress"]) for e in got["NetworkInterfaces"]],
                             [(e["NetworkInterfaceId"], e["Groups"], e.get("Ipv6Addresses"),
                               e["PrivateIpAddresses"][0]["PrivateIpAddress"]) for e in want["NetworkInterfaces"]])
        sgs = {g["GroupId"]: g for g in self.aws("ec2", "describe-security-groups")["SecurityGroups"]}
        for gid, want in state["security_groups"].items():
            self.assertEqual(sgs[gid]["IpPermissionsEgress"], want["IpPermissionsEgress"])
            self.assertEqual(sgs[gid]["IpPermissions"], want["IpPermissions"])
        asg = self.aws("autoscaling", "describe-auto-scaling-groups")["AutoScalingGroups"][0]
        self.assertEqual(([i["InstanceId"] for i in asg["Instances"]], asg["DesiredCapacity"]), ([WEB1, WEB2], 2))
        prof = self.aws("iam", "get-instance-profile", "--instance-profile-name", "web-fleet-profile")
        self.assertEqual(prof["InstanceProfile"]["Roles"][0]["RoleName"], "web-fleet-role")

    def test_containment_script_through_the_cli(self):
        g = self.aws("ec2", "create-security-group", "--group-name", "ssrfguard-quarantine",
                     "--description", "isolation", "--vpc-id", "vpc-0a1b2c3d4e5f60001")["GroupId"]
        self.aws("ec2", "revoke-security-group-egress", "--group-id", g, "--ip-permissions",
                 json.dumps([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]))
        for eni in ("eni-0a000000000000001", "eni-0a000000000000002"):
            self.aws("ec2", "modify-network-interface-attribute", "--network-interface-id", eni, "--groups", g)
        self.aws("ec2", "modify-instance-attribute", "--instance-id", WEB1, "--disable-api-termination")
        self.aws("ec2", "modify-instance-metadata-options", "--instance-id", WEB1, "--http-tokens", "required")
        snaps = self.aws("ec2", "create-snapshots", "--instance-specification", f"InstanceId={WEB1}",
                         "--copy-tags-from-source", "volume")["Snapshots"]
        self.aws("autoscaling", "detach-instances", "--instance-ids", WEB1, "--auto-scaling-group-name", "web-asg",
                 "--should-decrement-desired-capacity")
        tg = self.aws("elbv2", "describe-target-groups", "--names", "web-ips")["TargetGroups"][0]["TargetGroupArn"]
        self.aws("elbv2", "deregister-targets", "--target-group-arn", tg, "--targets", "Id=10.0.1.10,Port=8080",
                 "Id=10.0.2.10,Port=8080")
        cmd = self.aws("ssm", "send-command", "--document-name", "AWS-RunShellScript", "--instance-ids", WEB1,
                       "--parameters", "commands=uname -a")["Command"]["CommandId"]
        self.aws("sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:123456789012:ssrfguard-incidents",
                 "--message", "incident 7 contained")
        self.emu.advance(5)

        st = self.emu.state()
        i = st["ec2"]["instances"][WEB1]
        self.assertEqual({x["GroupId"] for e in i["NetworkInterfaces"] for x in e["Groups"]}, {g})
        self.assertTrue(i["Attributes"]["DisableApiTermination"])
        self.assertEqual((i["MetadataOptions"]["HttpTokens"], i["MetadataOptions"]["State"]), ("required", "applied"))
        self.assertEqual(st["ec2"]["security_groups"][g]["IpPermissionsEgress"], [])
        self.assertEqual(st["autoscaling"]["web-asg"]["DesiredCapacity"], 1)
        self.assertEqual({s["State"] for s in st["ec2"]["snapshots"].values()}, {"completed"})
        self.assertEqual(len(snaps), 2)
        ips = [t["Id"] for t in next(t for t in st["elbv2"].values() if t["TargetGroupName"] == "web-ips")["Targets"]]
        self.assertEqual(ips, ["10.0.1.20"])
        self.assertEqual(st["ssm"]["commands"][cmd]["Status"], "Success")
        self.assertEqual(st["sns"]["published"][0]["Message"], "incident 7 contained")
        # and the CLI reads it back the same way
        cli = self.aws("ec2", "describe-snapshots", "--snapshot-ids", *[s["SnapshotId"] for s in snaps])["Snapshots"]
        self.assertEqual({s["State"] for s in cli}, {"completed"})
        attr = self.aws("ec2", "describe-instance-attribute", "--instance-id", WEB1, "--attribute",
                        "disableApiTermination")
        self.assertTrue(attr["DisableApiTermination"]["Value"])
        inv = self.aws("ssm", "get-command-invocation", "--command-id", cmd, "--instance-id", WEB1)
        self.assertEqual(inv["Status"], "Success")
        rc, err = self.aws("ec2", "terminate-instances", "--instance-ids", WEB1, ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("OperationNotPermitted", err)

    def test_cli_gets_aws_errors(self):
        rc, err = self.aws("ec2", "describe-instances", "--instance-ids", "i-0000000000000dead", ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidInstanceID.NotFound", err)
        rc, err = self.aws("sts", "get-caller-identity", key=(KEY[0], "wrong"), ok=False)
        self.assertIn("SignatureDoesNotMatch", err)
        rc, err = self.aws("ec2", "describe-instances", key=(KEY[0], "wrong"), ok=False)
        self.assertIn("AuthFailure", err)
        rc, err = self.aws("ssm", "get-command-invocation", "--command-id", "00000000-0000-4000-8000-000000000000",
                           "--instance-id", WEB1, ok=False)
        self.assertIn("InvocationDoesNotExist", err)


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
