"""Faults on demand: throttling per protocol, 500s/503s, slow replies,
dropped connections and eventual consistency; a retrying SDK client rides
them out exactly as against AWS."""
import http.client
import json
import time
import unittest

import botocore.config
import botocore.session
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from emutest import EmuTest, KEY, signed, xml

WEB1 = "i-0a1b2c3d4e5f60001"


class Faults(EmuTest):
    def code(self, body):
        r = xml(body)
        e = r.find("Errors/Error/Code")
        return (e if e is not None else r.find("Error/Code")).text

    def test_throttle_next_n_calls_each_protocol(self):
        self.emu.fault(kind="throttle", service="ec2", action="DescribeInstances", count=2)
        for _ in range(2):
            st, _, body = signed(self.emu.url, "ec2", {"Action": "DescribeInstances", "Version": "2016-11-15"})
            self.assertEqual((st, self.code(body)), (503, "RequestLimitExceeded"))
        st, _, body = signed(self.emu.url, "ec2", {"Action": "DescribeInstances", "Version": "2016-11-15"})
        self.assertEqual(st, 200)
        # other actions were never affected
        self.emu.fault(kind="throttle", service="autoscaling", count=1)
        st, _, body = signed(self.emu.url, "autoscaling", {"Action": "DescribeAutoScalingGroups",
                                                           "Version": "2011-01-01"})
        self.assertEqual((st, self.code(body)), (400, "Throttling"))
        self.emu.fault(kind="throttle", service="ssm", count=1)
        st, _, body = signed(self.emu.url, "ssm", json_target="AmazonSSM.DescribeInstanceInformation")
        self.assertEqual((st, json.loads(body)["__type"]), (400, "ThrottlingException"))
        j = [c for c in self.emu.journal() if c.get("fault")]
        self.assertEqual([c["fault"] for c in j], ["RequestLimitExceeded"] * 2 + ["Throttling", "ThrottlingException"])

    def test_server_errors(self):
        self.emu.fault(kind="error", service="ec2", count=1)
        self.emu.fault(kind="unavailable", service="ec2", count=1)
        st, _, body = signed(self.emu.url, "ec2", {"Action": "DescribeVolumes", "Version": "2016-11-15"})
        self.assertEqual((st, self.code(body)), (500, "InternalError"))
        st, _, body = signed(self.emu.url, "ec2", {"Action": "DescribeVolumes", "Version": "2016-11-15"})
        self.assertEqual((st, self.code(body)), (503, "ServiceUnavailable"))
        self.emu.fault(kind="error", service="iam", count=1, code="ServiceFailure", status=500)
        st, _, body = signed(self.emu.url, "iam", {"Action": "GetRole", "Version": "2010-05-08",
                                                    "RoleName": "web-fleet-role"})
        r = xml(body)
        self.assertEqual((st, r.find("Error/Type").text, r.find("Error/Code").text), (500, "Receiver", "ServiceFailure"))

    def test_retrying_client_survives_throttling(self):
        self.emu.fault(kind="throttle", service="ec2", action="DescribeInstances", count=2)
        cfg = botocore.config.Config(retries={"max_attempts": 4, "mode": "standard"})
        c = botocore.session.get_session().create_client(
            "ec2", region_name="us-east-1", endpoint_url=self.emu.url, aws_access_key_id=KEY[0],
            aws_secret_access_key=KEY[1], config=cfg)
        r = c.describe_instances(InstanceIds=[WEB1])
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 2)
        calls = [x for x in self.emu.journal() if x["action"] == "DescribeInstances"]
        self.assertEqual([x["status"] for x in calls], [503, 503, 200])

    def test_rate_fault(self):
        self.emu.fault(kind="throttle", service="sts", rate=0.5)
        codes = []
        for _ in range(40):
            st, _, _ = signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
            codes.append(st)
        n = codes.count(400)
        self.assertTrue(5 < n < 35, codes)
        self.assertEqual(set(codes), {200, 400})

    def test_token_bucket_rate_limit(self):
        self.emu.fault(kind="throttle", service="sts", per_second=2, burst=2)
        codes = [signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})[0]
                 for _ in range(6)]
        self.assertEqual(codes[:2], [200, 200])
        self.assertGreaterEqual(codes[2:].count(400), 3, codes)
        time.sleep(1.1)
        st, _, _ = signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
        self.assertEqual(st, 200)

    def test_slow_reply(self):
        self.emu.fault(kind="delay", service="sts", seconds=1.0, count=1)
        t = time.monotonic()
        st, _, _ = signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.95)
        self.emu.fault(kind="delay", service="sts", seconds=3.0, count=1)
        cfg = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=0.5)
        c = botocore.session.get_session().create_client(
            "sts", region_name="us-east-1", endpoint_url=self.emu.url, aws_access_key_id=KEY[0],
            aws_secret_access_key=KEY[1], config=cfg)
        with self.assertRaises(ReadTimeoutError):
            c.get_caller_identity()

    def test_dropped_connection(self):
        self.emu.fault(kind="drop", service="ec2", action="CreateSnapshot", count=1)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            signed(self.emu.url, "ec2", {"Action": "CreateSnapshot", "Version": "2016-11-15",
                                         "VolumeId": "vol-0a000000000000001"})
        # the dropped request did nothing (the fault fires before the handler)
        self.assertEqual(self.emu.state()["ec2"]["snapshots"], {})
        c = self.emu.client("ec2", key=KEY)
        self.emu.fault(kind="drop", service="ec2", action="DescribeVolumes", count=1)
        with self.assertRaises(ConnectionClosedError):
            c.describe_volumes()
        c.describe_volumes()

    def test_drop_after_effect_and_client_token_retry(self):
        """The reply is lost after the create happened: a retry with the same
        ClientToken returns the same volume, so exactly one exists."""
        self.emu.fault(kind="drop_after", service="ec2", action="CreateVolume", count=1)
        cfg = botocore.config.Config(retries={"total_max_attempts": 3, "mode": "standard"})
        c = botocore.session.get_session().create_client(
            "ec2", region_name="us-east-1", endpoint_url=self.emu.url, aws_access_key_id=KEY[0],
            aws_secret_access_key=KEY[1], config=cfg)
        v = c.create_volume(AvailabilityZone="us-east-1a", Size=10, ClientToken="incident-7-evidence")
        self.assertEqual(v["ResponseMetadata"]["RetryAttempts"], 1)
        made = [x for x in self.emu.state()["ec2"]["volumes"].values() if x["Size"] == 10]
        self.assertEqual([x["VolumeId"] for x in made], [v["VolumeId"]])
        calls = [x for x in self.emu.journal() if x["action"] == "CreateVolume"]
        self.assertEqual([x.get("fault") for x in calls], ["drop_after", None])
        # a naive client retrying without a token makes a duplicate (botocore
        # itself fills in ClientToken: the model marks it idempotencyToken)
        self.emu.fault(kind="drop_after", service="ec2", action="CreateVolume", count=1)
        args = {"Action": "CreateVolume", "Version": "2016-11-15", "AvailabilityZone": "us-east-1a", "Size": "11"}
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            signed(self.emu.url, "ec2", args)
        self.assertEqual(signed(self.emu.url, "ec2", args)[0], 200)
        self.assertEqual(len([x for x in self.emu.state()["ec2"]["volumes"].values() if x["Size"] == 11]), 2)

    def test_eventual_consistency(self):
        self.emu.fault(kind="invisible", calls=2)
        ec2 = self.client("ec2")
        vid = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
        for _ in range(2):
            with self.assertRaises(ClientError) as cm:
                ec2.describe_volumes(VolumeIds=[vid])
            self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidVolume.NotFound")
        self.assertEqual(ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["VolumeId"], vid)
        # tagging a just-created resource races the same way
        gid = ec2.create_security_group(GroupName="q", Description="q", VpcId="vpc-0a1b2c3d4e5f60001")["GroupId"]
        with self.assertRaises(ClientError) as cm:
            ec2.create_tags(Resources=[gid], Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidGroup.NotFound")
        # specific ids, e.g. a seeded instance
        self.emu.fault(kind="invisible", ids=[WEB1], calls=1)
        with self.assertRaises(ClientError):
            ec2.describe_instances(InstanceIds=[WEB1])
        ec2.describe_instances(InstanceIds=[WEB1])

    def test_clear_faults(self):
        self.emu.fault(kind="throttle")
        self.emu.clear_faults()
        st, _, _ = signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
        self.assertEqual(st, 200)

    def test_bad_fault_rule_refused(self):
        with self.assertRaises(RuntimeError):
            self.emu.fault(kind="explode")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
