"""Where AWS is stricter than a happy-path double (/work/shared/aws-strictness.md):
Spot termination protection, Auto Scaling lifecycle states and draining,
IAM inline-policy quotas and partitions, clock skew.  docs/emulator.md names
the AWS page behind each."""
import unittest

from botocore.exceptions import ClientError

from emutest import EmuTest

WEB1, WEB2 = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"
SPOT = "i-0c000000000000c01"


class Strict(EmuTest):
    def err(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        return cm.exception.response["Error"]["Code"]

    def asg_state(self, iid):
        rows = self.client("autoscaling").describe_auto_scaling_instances(InstanceIds=[iid])["AutoScalingInstances"]
        return rows[0]["LifecycleState"] if rows else None

    # ------------------------------------------------------------ Spot
    def test_spot_instances_refuse_termination_protection(self):
        self.emu.seed({"ec2": {"instances": [{"InstanceId": SPOT, "SubnetId": "subnet-0a000000000000001",
                                              "InstanceLifecycle": "spot"}]}})
        ec2 = self.client("ec2")
        self.assertEqual(self.err(ec2.modify_instance_attribute, InstanceId=SPOT,
                                  DisableApiTermination={"Value": True}), "UnsupportedOperation")
        ec2.modify_instance_attribute(InstanceId=SPOT, DisableApiStop={"Value": True})
        i = ec2.describe_instances(InstanceIds=[SPOT])["Reservations"][0]["Instances"][0]
        self.assertEqual(i["InstanceLifecycle"], "spot")
        self.assertTrue(i["SpotInstanceRequestId"].startswith("sir-"))
        ec2.modify_instance_attribute(InstanceId=WEB1, DisableApiTermination={"Value": True})   # on-demand: fine


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
