"""Where AWS is stricter than a happy-path double (/work/shared/aws-strictness.md):
Spot termination protection, Auto Scaling lifecycle states and draining,
IAM inline-policy quotas and partitions, clock skew.  docs/emulator.md names
the AWS page behind each."""
import email.utils
import json
import time
import unittest

from botocore.exceptions import ClientError

from emutest import DEFAULT_KEY, EmuTest, ago, signed

WEB1, WEB2 = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"
SPOT = "i-0c000000000000c01"


class Strict(EmuTest):
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

    # ------------------------------------------------------ Auto Scaling
    def test_detach_waits_for_the_target_groups_deregistration_delay(self):
        self.emu.timing(deregistration_delay_seconds=300)        # AWS's default (web-ips has no own delay)
        asg = self.client("autoscaling")
        out = asg.detach_instances(AutoScalingGroupName="web-asg", InstanceIds=[WEB1],
                                   ShouldDecrementDesiredCapacity=True)
        self.assertEqual(out["Activities"][0]["StatusCode"], "WaitingForELBConnectionDraining")
        self.emu.advance(299)
        self.assertEqual(self.asg_state(WEB1), "Detaching")
        self.emu.advance(2)
        self.assertIsNone(self.asg_state(WEB1))

    def test_detach_only_from_in_service_or_standby(self):
        self.emu.seed({"ec2": {"instances": [
            {"InstanceId": "i-0a0000000000000a7", "SubnetId": "subnet-0a000000000000001"},
            {"InstanceId": "i-0a0000000000000a8", "SubnetId": "subnet-0a000000000000001"}]},
            "autoscaling_groups": [{"AutoScalingGroupName": "busy", "MinSize": 0, "MaxSize": 4, "DesiredCapacity": 2,
                                    "Instances": [{"InstanceId": "i-0a0000000000000a7", "LifecycleState": "Pending"},
                                                  {"InstanceId": "i-0a0000000000000a8",
                                                   "LifecycleState": "Terminating:Wait"}]}]})
        asg = self.client("autoscaling")
        for iid in ("i-0a0000000000000a7", "i-0a0000000000000a8"):
            self.assertEqual(self.err(asg.detach_instances, AutoScalingGroupName="busy", InstanceIds=[iid],
                                      ShouldDecrementDesiredCapacity=True), "ValidationError")
            self.assertEqual(self.err(asg.enter_standby, AutoScalingGroupName="busy", InstanceIds=[iid],
                                      ShouldDecrementDesiredCapacity=True), "ValidationError")
        # a detach in progress cannot be detached again
        asg.detach_instances(AutoScalingGroupName="web-asg", InstanceIds=[WEB1], ShouldDecrementDesiredCapacity=True)
        self.assertEqual(self.err(asg.detach_instances, AutoScalingGroupName="web-asg", InstanceIds=[WEB1],
                                  ShouldDecrementDesiredCapacity=True), "ValidationError")

    def test_standby_drains_then_detaches_and_exits(self):
        asg = self.client("autoscaling")
        asg.enter_standby(AutoScalingGroupName="web-asg", InstanceIds=[WEB1], ShouldDecrementDesiredCapacity=True)
        self.assertEqual(self.asg_state(WEB1), "EnteringStandby")
        self.emu.advance(3)                                     # fleet: delays of 2 s
        self.assertEqual(self.asg_state(WEB1), "Standby")
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
        self.assertEqual((g["DesiredCapacity"], len(g["Instances"])), (1, 2))   # no replacement launched
        asg.exit_standby(AutoScalingGroupName="web-asg", InstanceIds=[WEB1])
        self.assertEqual(self.asg_state(WEB1), "Pending")
        self.emu.advance(2)
        self.assertEqual(self.asg_state(WEB1), "InService")
        tgs = self.emu.state()["elbv2"]
        ids = [t["Id"] for tg in tgs.values() if tg["TargetGroupName"] == "web-instances" for t in tg["Targets"]
               if t["state"] not in ("draining", "unused")]
        self.assertIn(WEB1, ids)
        # and from Standby it may be detached
        asg.enter_standby(AutoScalingGroupName="web-asg", InstanceIds=[WEB1], ShouldDecrementDesiredCapacity=True)
        self.emu.advance(3)
        asg.detach_instances(AutoScalingGroupName="web-asg", InstanceIds=[WEB1], ShouldDecrementDesiredCapacity=False)

    def test_exit_standby_refused_above_max_size(self):
        # ExitStandby raises the desired capacity by one, which must stay
        # within MaxSize (API reference, ExitStandby, UpdateAutoScalingGroup)
        asg = self.client("autoscaling")
        asg.update_auto_scaling_group(AutoScalingGroupName="web-asg", MaxSize=2)
        asg.enter_standby(AutoScalingGroupName="web-asg", InstanceIds=[WEB1], ShouldDecrementDesiredCapacity=False)
        self.emu.advance(3)
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
        self.assertEqual((g["DesiredCapacity"], g["MaxSize"]), (2, 2))    # a replacement keeps the capacity
        self.assertEqual(self.err(asg.exit_standby, AutoScalingGroupName="web-asg", InstanceIds=[WEB1]),
                         "ValidationError")
        self.assertEqual(self.asg_state(WEB1), "Standby")                   # nothing changed
        asg.update_auto_scaling_group(AutoScalingGroupName="web-asg", MaxSize=3)
        asg.exit_standby(AutoScalingGroupName="web-asg", InstanceIds=[WEB1])
        self.assertEqual(self.asg_state(WEB1), "Pending")

    # ------------------------------------------------------------- IAM
    def test_inline_policies_of_a_role_total_at_most_10240_characters(self):
        iam = self.client("iam")
        stmt = {"Effect": "Deny", "Action": "ec2:DescribeInstances", "Resource": "arn:aws:ec2:*:*:instance/" + "x" * 80}
        big = json.dumps({"Version": "2012-10-17", "Statement": [stmt] * 40})     # ~5,300 characters
        small = json.dumps({"Version": "2012-10-17", "Statement": [stmt]})
        iam.put_role_policy(RoleName="web-fleet-role", PolicyName="a", PolicyDocument=big)
        with self.assertRaises(ClientError) as cm:
            iam.put_role_policy(RoleName="web-fleet-role", PolicyName="b", PolicyDocument=big)
        e = cm.exception.response
        self.assertEqual((e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]), ("LimitExceeded", 409))
        # white space does not count; replacing a policy counts it once
        iam.put_role_policy(RoleName="web-fleet-role", PolicyName="a", PolicyDocument=json.dumps(
            json.loads(big), indent=8))
        iam.put_role_policy(RoleName="web-fleet-role", PolicyName="b", PolicyDocument=small)
        self.assertEqual(sorted(iam.list_role_policies(RoleName="web-fleet-role")["PolicyNames"]), ["a", "b"])

    def test_partitions_have_their_own_iam_endpoint(self):
        self.emu.reset()
        self.emu.seed({"region": "cn-north-1", "iam": {"roles": [{"RoleName": "r"}]}})
        role = self.emu.client("iam", region="cn-north-1").get_role(RoleName="r")["Role"]
        self.assertTrue(role["Arn"].startswith("arn:aws-cn:iam::"), role["Arn"])
        # signed for the aws partition's IAM (us-east-1): refused
        status, _, body = signed(self.emu.url, "iam", {"Action": "GetRole", "Version": "2010-05-08", "RoleName": "r"},
                                 region="us-east-1", key=DEFAULT_KEY)
        self.assertEqual(status, 403)
        self.assertIn(b"cn-north-1", body)
        self.emu.reset()
        self.emu.seed({"region": "us-gov-east-1", "iam": {"roles": [{"RoleName": "r"}]}})
        status, _, _ = signed(self.emu.url, "iam", {"Action": "GetRole", "Version": "2010-05-08", "RoleName": "r"},
                              region="us-gov-west-1", key=DEFAULT_KEY)
        self.assertEqual(status, 200)

    # ------------------------------------------------------ EBS and KMS
    def new_volume(self, client=None, **kw):
        ec2 = client or self.client("ec2")
        v = ec2.create_volume(AvailabilityZone="us-east-1a", **kw)
        self.assertEqual(v["State"], "creating")            # the call itself succeeds ...
        self.emu.advance(2)
        return v["VolumeId"]

    def test_volume_can_end_in_error(self):
        self.emu.ebs_fail(1)
        ec2 = self.client("ec2")
        vid = self.new_volume(Size=10)
        self.assertEqual(ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"], "error")
        vid = self.new_volume(Size=10)
        self.assertEqual(ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"], "available")

    def test_encrypted_snapshot_with_a_customer_key_needs_kms(self):
        kms = self.client("kms")
        # a key whose policy names only the forensics role: the responder may not use it
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/forensics-role"},
            "Action": "kms:*", "Resource": "*"}]}
        locked = kms.create_key(Policy=json.dumps(policy), Description="forensic evidence")["KeyMetadata"]
        open_key = kms.create_key(Description="account default policy")["KeyMetadata"]
        self.emu.seed({"ec2": {"snapshots": [
            {"SnapshotId": "snap-0e000000000000001", "VolumeSize": 8, "Encrypted": True, "KmsKeyId": locked["Arn"]},
            {"SnapshotId": "snap-0e000000000000002", "VolumeSize": 8, "Encrypted": True, "KmsKeyId": open_key["Arn"]}]}})
        ec2 = self.client("ec2")
        # the account's default key policy lets IAM decide: fine
        vid = self.new_volume(SnapshotId="snap-0e000000000000002")
        v = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
        self.assertEqual((v["State"], v["Encrypted"], v["KmsKeyId"]), ("available", True, open_key["Arn"]))
        # not allowed by the key policy: accepted, then gone (as AWS does)
        vid = self.new_volume(SnapshotId="snap-0e000000000000001")
        self.assertEqual(self.err(ec2.describe_volumes, VolumeIds=[vid]), "InvalidVolume.NotFound")
        self.assertIn("kms:CreateGrant", self.emu.state()["ec2"]["failed_volumes"][vid])
        # a grant for the caller on the operations EBS needs makes it work
        me = self.client("sts").get_caller_identity()["Arn"]
        with self.assertRaises(ClientError):      # the responder cannot even grant itself
            kms.create_grant(KeyId=locked["KeyId"], GranteePrincipal=me, Operations=["Decrypt"])
        self.emu.seed({"kms_keys": [{"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Policy": json.dumps(policy),
                                     "Grants": [{"GranteePrincipal": me, "Operations": [
                                         "CreateGrant", "Decrypt", "DescribeKey", "GenerateDataKeyWithoutPlaintext",
                                         "ReEncryptFrom"]}]}],
                       "ec2": {"snapshots": [{"SnapshotId": "snap-0e000000000000003", "VolumeSize": 8,
                                              "Encrypted": True,
                                              "KmsKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}]}})
        vid = self.new_volume(SnapshotId="snap-0e000000000000003")
        self.assertEqual(ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"], "available")
        # a disabled key: gone again
        kms.disable_key(KeyId=open_key["KeyId"])
        vid = self.new_volume(SnapshotId="snap-0e000000000000002")
        self.assertEqual(self.err(ec2.describe_volumes, VolumeIds=[vid]), "InvalidVolume.NotFound")
        # a deny on the caller's kms:Decrypt (its identity policy) when the key policy defers to IAM
        kms.enable_key(KeyId=open_key["KeyId"])
        self.emu.add_credentials(access_key_id="AKIADENYKMS000000001", secret_access_key="s" * 40,
                                 deny=["kms:Decrypt"])
        vid = self.new_volume(self.emu.client("ec2", key=("AKIADENYKMS000000001", "s" * 40)),
                              SnapshotId="snap-0e000000000000002")
        self.assertEqual(self.err(ec2.describe_volumes, VolumeIds=[vid]), "InvalidVolume.NotFound")

    # ------------------------------------------------- extra permissions
    def test_passing_a_role_needs_iam_pass_role_on_that_role(self):
        frole = "arn:aws:iam::123456789012:role/forensics-role"
        key = ("AKIANOPASSFX00000001", "p" * 40)
        self.emu.add_credentials(access_key_id=key[0], secret_access_key=key[1], arn="arn:aws:iam::123456789012:user/np",
                                 deny=[{"Action": "iam:PassRole", "Resource": frole}])
        ec2 = self.emu.client("ec2", key=key)
        assoc = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [WEB1]}])["IamInstanceProfileAssociations"][0]
        self.assertEqual(self.err(ec2.replace_iam_instance_profile_association, AssociationId=assoc["AssociationId"],
                                  IamInstanceProfile={"Name": "forensics-profile"}), "UnauthorizedOperation")
        ec2.replace_iam_instance_profile_association(AssociationId=assoc["AssociationId"],
                                                     IamInstanceProfile={"Name": "ssrfguard-quarantine-profile"})
        self.emu.seed({"ec2": {"launch_templates": [{"LaunchTemplateName": "fx-tpl", "LaunchTemplateData": {
            "IamInstanceProfile": {"Name": "forensics-profile"}, "SubnetId": "subnet-0a000000000000001"}}]}})
        self.assertEqual(self.err(ec2.run_instances, LaunchTemplate={"LaunchTemplateName": "fx-tpl"}, MinCount=1,
                                  MaxCount=1), "UnauthorizedOperation")
        v = self.client("ec2").describe_launch_template_versions(LaunchTemplateName="fx-tpl", Versions=["$Default"])
        self.assertEqual(v["LaunchTemplateVersions"][0]["LaunchTemplateData"]["IamInstanceProfile"],
                         {"Name": "forensics-profile"})
        sim = self.client("iam").simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:user/np", ActionNames=["iam:PassRole"],
            ResourceArns=[frole, "arn:aws:iam::123456789012:role/ssrfguard-quarantine-role"])
        self.assertEqual([r["EvalDecision"] for r in sim["EvaluationResults"]], ["explicitDeny", "allowed"])

    def test_tags_at_creation_need_create_tags(self):
        key = ("AKIANOTAGS0000000001", "t" * 40)
        self.emu.add_credentials(access_key_id=key[0], secret_access_key=key[1], deny=["ec2:CreateTags"])
        ec2 = self.emu.client("ec2", key=key)
        tags = [{"ResourceType": "security-group", "Tags": [{"Key": "IncidentId", "Value": "INC-1"}]}]
        self.assertEqual(self.err(ec2.create_security_group, GroupName="q", Description="q",
                                  VpcId="vpc-0a1b2c3d4e5f60001", TagSpecifications=tags), "UnauthorizedOperation")
        self.assertEqual(self.err(ec2.create_security_group, GroupName="q", Description="q",
                                  VpcId="vpc-0a1b2c3d4e5f60001", TagSpecifications=tags, DryRun=True),
                         "UnauthorizedOperation")
        ec2.create_security_group(GroupName="q", Description="q", VpcId="vpc-0a1b2c3d4e5f60001")   # untagged: fine

    def test_tags_at_creation_are_create_tags_with_create_action(self):
        """ec2:CreateAction: a CreateTags grant for one create, or for creates
        only (the user guide's example: existing resources never tagged)."""
        vol = dict(AvailabilityZone="us-east-1a", Size=1)
        tags = [{"ResourceType": "volume", "Tags": [{"Key": "IncidentId", "Value": "INC-1"}]}]
        key = ("AKIANOTAGSONVOL00001", "v" * 40)
        self.emu.add_credentials(access_key_id=key[0], secret_access_key=key[1],
                                 deny=[{"Action": "ec2:CreateTags", "CreateAction": "CreateVolume"}])
        ec2 = self.emu.client("ec2", key=key)
        self.assertEqual(self.err(ec2.create_volume, TagSpecifications=tags, DryRun=True, **vol),
                         "UnauthorizedOperation")
        self.assertEqual(self.err(ec2.create_volume, DryRun=True, **vol), "DryRunOperation")
        sg = ec2.create_security_group(GroupName="t", Description="t", VpcId="vpc-0a1b2c3d4e5f60001",
                                       TagSpecifications=[{"ResourceType": "security-group",
                                                           "Tags": [{"Key": "k", "Value": "v"}]}])
        ec2.create_tags(Resources=[sg["GroupId"]], Tags=[{"Key": "k2", "Value": "v"}])  # its own: allowed
        key = ("AKIATAGSONCREATE0001", "w" * 40)
        self.emu.add_credentials(access_key_id=key[0], secret_access_key=key[1],
                                 deny=[{"Action": "ec2:CreateTags", "CreateAction": None}])
        ec2 = self.emu.client("ec2", key=key)
        self.assertEqual(self.err(ec2.create_volume, TagSpecifications=tags, DryRun=True, **vol),
                         "DryRunOperation")
        self.assertEqual(self.err(ec2.create_tags, Resources=[sg["GroupId"]], DryRun=True,
                                  Tags=[{"Key": "k3", "Value": "v"}]), "UnauthorizedOperation")

    def test_unauthorized_operation_does_not_name_the_action(self):
        """The message carries an encoded authorization failure message, as
        AWS's does: the refused action is not in plain text, so a client
        cannot tell the create's refusal from its tags' by reading it."""
        key = ("AKIANOTAGS0000000002", "u" * 40)
        self.emu.add_credentials(access_key_id=key[0], secret_access_key=key[1], deny=["ec2:CreateTags"])
        ec2 = self.emu.client("ec2", key=key)
        with self.assertRaises(ClientError) as cm:
            ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, DryRun=True, TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": "IncidentId", "Value": "INC-1"}]}])
        msg = cm.exception.response["Error"]["Message"]
        self.assertTrue(msg.startswith("You are not authorized to perform this operation. "
                                       "Encoded authorization failure message: "), msg)
        self.assertNotIn("CreateTags", msg)
        self.assertNotIn("CreateVolume", msg)

    # ------------------------------------------------- connection tracking
    def test_conntrack_timeouts_within_awss_ranges(self):
        # (sent by hand: Debian's botocore client predates the parameter)
        def modify(**spec):
            params = {"Action": "ModifyNetworkInterfaceAttribute", "Version": "2016-11-15",
                      "NetworkInterfaceId": "eni-0a000000000000002"}
            params.update({f"ConnectionTrackingSpecification.{k}": str(v) for k, v in spec.items()})
            status, _, body = signed(self.emu.url, "ec2", params)
            return status, body
        for spec in ({"TcpEstablishedTimeout": 59}, {"UdpStreamTimeout": 181}, {"UdpTimeout": 29}):
            status, body = modify(**spec)
            self.assertEqual(status, 400, body)
            self.assertIn(b"InvalidParameterValue", body)
        self.assertEqual(modify(TcpEstablishedTimeout=60)[0], 200)
        eni = self.emu.state()["ec2"]["network_interfaces"]["eni-0a000000000000002"]
        self.assertEqual(eni["ConnectionTrackingConfiguration"],
                         {"TcpEstablishedTimeout": 60, "UdpStreamTimeout": 180, "UdpTimeout": 30})
        status, _, body = signed(self.emu.url, "ec2", {"Action": "DescribeNetworkInterfaces", "Version": "2016-11-15",
                                                       "NetworkInterfaceId.1": "eni-0a000000000000002"})
        self.assertIn(b"<tcpEstablishedTimeout>60</tcpEstablishedTimeout>", body)

    # ------------------------------------------------------ small codes
    def test_failed_create_tags_changes_nothing(self):
        ec2 = self.client("ec2")
        full = [{"Key": f"k{i}", "Value": "v"} for i in range(50 - len(self.inst(WEB2).get("Tags", [])))]
        ec2.create_tags(Resources=[WEB2], Tags=full)                 # WEB2 now holds 50 tags
        before = self.inst(WEB1).get("Tags", [])
        self.assertEqual(self.err(ec2.create_tags, Resources=[WEB1, WEB2], Tags=[{"Key": "IncidentId", "Value": "INC-9"}]),
                         "TagLimitExceeded")
        self.assertEqual(self.inst(WEB1).get("Tags", []), before)   # WEB1 untouched too

    def test_terminated_instance_is_gone_after_an_hour(self):
        # DescribeInstances: "Recently terminated instances might appear in
        # the returned results. This interval is usually less than one hour"
        ec2 = self.client("ec2")
        ec2.terminate_instances(InstanceIds=[WEB2])
        self.emu.advance(2)                                           # shutting-down -> terminated
        self.assertEqual(self.inst(WEB2)["State"]["Name"], "terminated")
        ec2.create_tags(Resources=[WEB2], Tags=[{"Key": "ssrfguard:status", "Value": "closed"}])
        self.emu.advance(3600)
        self.assertEqual(self.err(ec2.describe_instances, InstanceIds=[WEB2]), "InvalidInstanceID.NotFound")
        self.assertEqual(self.err(ec2.create_tags, Resources=[WEB2], Tags=[{"Key": "k", "Value": "v"}]),
                         "InvalidInstanceID.NotFound")
        self.assertNotIn(WEB2, [i["InstanceId"] for r in ec2.describe_instances()["Reservations"]
                                for i in r["Instances"]])
        self.assertNotIn(WEB2, [t["ResourceId"] for t in ec2.describe_tags()["Tags"]])

    def test_get_caller_identity_works_under_an_explicit_deny(self):
        key = ("AKIADENYALL000000001", "d" * 40)
        self.emu.add_credentials(access_key_id=key[0], secret_access_key=key[1], deny=["*"])
        self.assertTrue(self.emu.client("sts", key=key).get_caller_identity()["Arn"])
        self.assertEqual(self.err(self.emu.client("ec2", key=key).describe_instances), "UnauthorizedOperation")

    def test_deregistering_a_target_not_registered_succeeds(self):
        elb = self.client("elbv2")
        tg = [t for t in elb.describe_target_groups()["TargetGroups"] if t["TargetType"] == "instance"][0]
        elb.deregister_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "i-0a1b2c3d4e5f6ffff"}])
        self.assertEqual(self.err(elb.register_targets, TargetGroupArn=tg["TargetGroupArn"],
                                  Targets=[{"Id": WEB1, "AvailabilityZone": "all"}]), "ValidationError")

    def test_sns_throttling_is_throttled_429(self):
        self.emu.fault(kind="throttle", service="sns", action="Publish", count=1)
        sns = self.client("sns")
        with self.assertRaises(ClientError) as cm:
            sns.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:ssrfguard-incidents", Message="m")
        self.assertEqual(cm.exception.response["Error"]["Code"], "Throttled")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 429)

    # -------------------------------------------------- idempotency tokens
    def test_client_token_is_the_accounts_not_the_keys(self):
        other = ("AKIAOTHERKEY00000001", "o" * 40)
        self.emu.add_credentials(access_key_id=other[0], secret_access_key=other[1])
        kw = dict(AvailabilityZone="us-east-1a", Size=8, ClientToken="INC-4-evidence-vol")
        a = self.client("ec2").create_volume(**kw)["VolumeId"]
        b = self.emu.client("ec2", key=other).create_volume(**kw)["VolumeId"]
        self.assertEqual(a, b)
        vols = [v for v in self.client("ec2").describe_volumes()["Volumes"] if v["Size"] == 8 and
                v["AvailabilityZone"] == "us-east-1a" and not v.get("Attachments")]
        self.assertEqual(len(vols), 1)

    # ------------------------------------------------------ SSM listing
    def test_list_commands_pages_and_is_eventually_consistent(self):
        ssm = self.client("ssm")
        ids = [ssm.send_command(InstanceIds=[WEB1], DocumentName="AWS-RunShellScript", Comment=f"c{i}",
                                Parameters={"commands": ["true"]})["Command"]["CommandId"] for i in range(53)]
        page = ssm.list_commands(InstanceId=WEB1, MaxResults=50)
        self.assertEqual(len(page["Commands"]), 50)
        rest = ssm.list_commands(InstanceId=WEB1, MaxResults=50, NextToken=page["NextToken"])
        self.assertNotIn("NextToken", rest)
        self.assertEqual({c["CommandId"] for c in page["Commands"] + rest["Commands"]}, set(ids))
        self.assertEqual(self.err(ssm.list_commands, MaxResults=51), "ValidationException")
        self.emu.fault(kind="invisible", calls=1)
        late = ssm.send_command(InstanceIds=[WEB1], DocumentName="AWS-RunShellScript", Comment="late",
                                Parameters={"commands": ["true"]})["Command"]["CommandId"]
        listed = lambda: [c["CommandId"] for c in ssm.list_commands(CommandId=late).get("Commands", [])]  # noqa: E731
        self.assertEqual(self.err(ssm.list_commands, CommandId=late), "InvalidCommandId")
        self.assertEqual(listed(), [late])

    def test_default_encryption_shows_the_aws_ebs_key(self):
        ec2 = self.client("ec2")
        vid = self.new_volume(Encrypted=True, Size=8)
        arn = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["KmsKeyId"]
        meta = self.client("kms").describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
        self.assertEqual((arn, meta["KeyManager"]), (meta["Arn"], "AWS"))
        sid = ec2.create_snapshot(VolumeId=vid)["SnapshotId"]
        self.emu.advance(120)
        self.assertEqual(ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]["KmsKeyId"], arn)
        self.assertEqual(self.err(ec2.modify_snapshot_attribute, SnapshotId=sid, Attribute="createVolumePermission",
                                  OperationType="add", UserIds=["210987654321"]), "OperationNotPermitted")

    # -------------------------------------------------------- clock skew
    def test_skewed_clock_errors_carry_the_server_date(self):
        self.emu.skew(600)                       # AWS's clock 10 minutes ahead of this host's
        ec2 = signed(self.emu.url, "ec2", {"Action": "DescribeInstances", "Version": "2016-11-15"})
        sts = signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
        ssm = signed(self.emu.url, "ssm", json_target="AmazonSSM.DescribeInstanceInformation")
        for (status, hdrs, body), want_status, want_code in (
                (ec2, 400, b"<Code>RequestExpired</Code>"),
                (sts, 403, b"<Code>SignatureDoesNotMatch</Code>"),
                (ssm, 400, b"InvalidSignatureException")):
            self.assertEqual(status, want_status, body)
            self.assertIn(want_code, body)
            server = email.utils.parsedate_to_datetime(hdrs["date"]).timestamp()
            self.assertAlmostEqual(server - time.time(), 600, delta=5)
        # S3 allows 15 minutes
        s3 = self.client("s3")
        s3.create_bucket(Bucket="evidence-123")
        self.emu.skew(1200)
        with self.assertRaises(ClientError) as cm:
            s3.head_object(Bucket="evidence-123", Key="k")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        with self.assertRaises(ClientError) as cm:
            s3.list_objects_v2(Bucket="evidence-123")
        self.assertEqual(cm.exception.response["Error"]["Code"], "RequestTimeTooSkewed")
        # a client that corrects its clock from the Date header gets through (what the SDKs do)
        status, hdrs, _ = signed(self.emu.url, "ec2", {"Action": "DescribeInstances", "Version": "2016-11-15"})
        server = email.utils.parsedate_to_datetime(hdrs["date"]).replace(tzinfo=None)
        status, _, body = signed(self.emu.url, "ec2", {"Action": "DescribeInstances", "Version": "2016-11-15"},
                                 when=server)
        self.assertEqual(status, 200, body)

    def test_client_clock_off_by_more_than_five_minutes(self):
        status, hdrs, body = signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                                    when=ago(minutes=6))
        self.assertEqual(status, 403)
        self.assertIn(b"Signature expired", body)
        server = email.utils.parsedate_to_datetime(hdrs["date"]).timestamp()
        self.assertAlmostEqual(server, time.time(), delta=5)
        status, _, _ = signed(self.emu.url, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                              when=ago(minutes=4))
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
