"""EC2 evidence calls (issue 10 section 4): Elastic IPs, console output and
screenshot, snapshot copy/sharing, a forensic instance from a launch template."""
import base64
import json
import unittest

from emutest import EmuTest

WEB1, WEB2, FOR = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002", "i-0f0000000000000f1"


class Evidence(EmuTest):
    def test_elastic_ip_disassociated_and_back(self):
        self.emu.seed({"ec2": {"addresses": [{"AllocationId": "eipalloc-0e000000000000001", "PublicIp": "203.0.113.77",
                                              "InstanceId": WEB1}]}})
        ec2 = self.client("ec2")
        a = ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [WEB1]}])["Addresses"]
        self.assertEqual([(x["PublicIp"], x["NetworkInterfaceId"]) for x in a], [("203.0.113.77", "eni-0a000000000000001")])
        self.assertEqual(self.inst(WEB1)["PublicIpAddress"], "203.0.113.77")
        ec2.disassociate_address(AssociationId=a[0]["AssociationId"])
        self.assertNotIn("PublicIpAddress", self.inst(WEB1))
        self.assertNotIn("AssociationId", ec2.describe_addresses(AllocationIds=[a[0]["AllocationId"]])["Addresses"][0])
        self.assertEqual(self.err(ec2.disassociate_address, AssociationId=a[0]["AssociationId"]),
                         "InvalidAssociationID.NotFound")
        ec2.associate_address(AllocationId=a[0]["AllocationId"], InstanceId=WEB2)
        self.assertEqual(self.err(ec2.associate_address, AllocationId=a[0]["AllocationId"], InstanceId=WEB1),
                         "Resource.AlreadyAssociated")
        self.assertEqual(self.err(ec2.release_address, AllocationId=a[0]["AllocationId"]), "InvalidIPAddress.InUse")
        ec2.associate_address(AllocationId=a[0]["AllocationId"], InstanceId=WEB1, AllowReassociation=True)
        self.assertEqual(self.inst(WEB1)["PublicIpAddress"], "203.0.113.77")
        self.assertNotIn("PublicIpAddress", self.inst(WEB2))

    def test_errored_volume_keeps_its_client_token(self):
        """A volume that ends in error can only be deleted, and its ClientToken
        stays bound after that (EC2 API reference, "Ensuring idempotency"):
        the same token makes no new volume, so a retry needs a new token."""
        ec2 = self.client("ec2")
        self.emu.ebs_fail(1)
        v = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, ClientToken="INC-1-vol-1")
        self.emu.advance(5)
        vid = v["VolumeId"]
        self.assertEqual(ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"], "error")
        again = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, ClientToken="INC-1-vol-1")
        self.assertEqual(again["VolumeId"], vid)                       # still the errored one
        ec2.delete_volume(VolumeId=vid)
        after = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, ClientToken="INC-1-vol-1")
        self.assertEqual((after["VolumeId"], after["State"]), (vid, "deleted"))   # no new volume
        self.assertEqual(self.err(ec2.describe_volumes, VolumeIds=[vid]), "InvalidVolume.NotFound")
        fresh = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, ClientToken="INC-1-vol-2")
        self.assertNotEqual(fresh["VolumeId"], vid)
        self.emu.advance(5)
        self.assertEqual(ec2.describe_volumes(VolumeIds=[fresh["VolumeId"]])["Volumes"][0]["State"], "available")

    def test_console_output_and_screenshot(self):
        self.emu.seed({"ec2": {"instances": [{"InstanceId": "i-0a0000000000000c1", "SubnetId": "subnet-0a000000000000001",
                                              "ConsoleOutput": "boot ok\ncurl 169.254.169.254 ...\n"}]}})
        ec2 = self.client("ec2")
        out = ec2.get_console_output(InstanceId="i-0a0000000000000c1", Latest=True)
        self.assertEqual(out["Output"], "boot ok\ncurl 169.254.169.254 ...\n")   # botocore decodes the base64
        shot = base64.b64decode(ec2.get_console_screenshot(InstanceId=WEB1)["ImageData"])
        self.assertEqual((shot[:2], shot[-2:]), (b"\xff\xd8", b"\xff\xd9"))      # a JPEG
        ec2.stop_instances(InstanceIds=[WEB2])
        self.emu.advance(3)
        self.assertEqual(self.err(ec2.get_console_screenshot, InstanceId=WEB2), "IncorrectInstanceState")

    def test_copy_and_share_snapshots(self):
        ec2 = self.client("ec2")
        snap = ec2.create_snapshot(VolumeId="vol-0a000000000000002")["SnapshotId"]
        self.assertEqual(self.err(ec2.copy_snapshot, SourceSnapshotId=snap, SourceRegion="us-east-1"), "IncorrectState")
        self.emu.advance(5)
        copy = ec2.copy_snapshot(SourceSnapshotId=snap, SourceRegion="us-east-1", Description="evidence copy")
        self.emu.advance(5)
        s = ec2.describe_snapshots(SnapshotIds=[copy["SnapshotId"]])["Snapshots"][0]
        self.assertEqual((s["State"], s["Description"]), ("completed", "evidence copy"))
        # encrypted under a key the responder may not use: the copy ends in error, saying why
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                  "Principal": {"AWS": "arn:aws:iam::123456789012:role/forensics-role"}}]}
        key = self.client("kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
        bad = ec2.copy_snapshot(SourceSnapshotId=snap, SourceRegion="us-east-1", Encrypted=True, KmsKeyId=key)
        self.emu.advance(5)
        s = ec2.describe_snapshots(SnapshotIds=[bad["SnapshotId"]])["Snapshots"][0]
        self.assertEqual(s["State"], "error")
        self.assertIn("kms:", s["StateMessage"])
        # share with a forensic account
        ec2.modify_snapshot_attribute(SnapshotId=copy["SnapshotId"], Attribute="createVolumePermission",
                                      OperationType="add", UserIds=["210987654321"])
        perms = ec2.describe_snapshot_attribute(SnapshotId=copy["SnapshotId"],
                                                Attribute="createVolumePermission")["CreateVolumePermissions"]
        self.assertEqual(perms, [{"UserId": "210987654321"}])
        # not with the AWS managed key
        self.emu.seed({"ec2": {"snapshots": [{"SnapshotId": "snap-0e0000000000000a1", "Encrypted": True}]}})
        self.assertEqual(self.err(ec2.modify_snapshot_attribute, SnapshotId="snap-0e0000000000000a1",
                                  Attribute="createVolumePermission", OperationType="add",
                                  UserIds=["210987654321"]), "OperationNotPermitted")

    def test_forensic_instance_from_a_launch_template(self):
        ec2 = self.client("ec2")
        lt = ec2.create_launch_template(LaunchTemplateName="forensics", LaunchTemplateData={
            "ImageId": "ami-0f0000000000000f1", "InstanceType": "m5.large",
            "IamInstanceProfile": {"Name": "forensics-profile"},
            "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-0a000000000000001",
                                   "Groups": ["sg-0f000000000000001"]}],
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "forensics"}]}]}
        )["LaunchTemplate"]
        self.assertEqual(self.err(ec2.create_launch_template, LaunchTemplateName="forensics",
                                  LaunchTemplateData={"ImageId": "ami-0f0000000000000f1"}),
                         "InvalidLaunchTemplateName.AlreadyExistsException")
        r = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"]}, MinCount=1, MaxCount=1,
                              ClientToken="forensics-INC-1")
        i = r["Instances"][0]
        self.assertEqual((i["State"]["Name"], i["InstanceType"]), ("pending", "m5.large"))
        again = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"]}, MinCount=1,
                                  MaxCount=1, ClientToken="forensics-INC-1")
        self.assertEqual(again["Instances"][0]["InstanceId"], i["InstanceId"])     # idempotent
        # the token is bound to its first request: other parameters are refused
        # (EC2 developer guide, "Ensuring idempotency"), not a second launch
        self.assertEqual(self.err(ec2.run_instances, LaunchTemplate={"LaunchTemplateName": "forensics"},
                                  MinCount=1, MaxCount=1, ClientToken="forensics-INC-1"),
                         "IdempotentParameterMismatch")
        self.assertEqual(self.err(ec2.run_instances, LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"]},
                                  MinCount=1, MaxCount=1, ClientToken="forensics-INC-1",
                                  TagSpecifications=[{"ResourceType": "instance",
                                                      "Tags": [{"Key": "IncidentId", "Value": "INC-2"}]}]),
                         "IdempotentParameterMismatch")
        self.emu.advance(2)
        got = self.inst(i["InstanceId"])
        self.assertEqual(got["State"]["Name"], "running")
        self.assertTrue(got["IamInstanceProfile"]["Arn"].endswith("/forensics-profile"))
        self.assertEqual([g["GroupId"] for g in got["SecurityGroups"]], ["sg-0f000000000000001"])
        self.assertIn({"Key": "Role", "Value": "forensics"}, got["Tags"])
        # its SSM agent registers once it runs (the profile lets it)
        info = self.client("ssm").describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [i["InstanceId"]]}])["InstanceInformationList"]
        self.assertEqual([x["PingStatus"] for x in info], ["Online"])
        self.assertEqual(self.err(ec2.run_instances, LaunchTemplate={"LaunchTemplateName": "nope"}, MinCount=1,
                                  MaxCount=1), "InvalidLaunchTemplateName.NotFoundException")
        # terminated, the token still answers with that instance: no new launch
        ec2.terminate_instances(InstanceIds=[i["InstanceId"]])
        self.emu.advance(5)
        gone = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"]}, MinCount=1,
                                 MaxCount=1, ClientToken="forensics-INC-1")["Instances"]
        self.assertEqual([(x["InstanceId"], x["State"]["Name"]) for x in gone], [(i["InstanceId"], "terminated")])


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
