"""Every call the responder needs is a real state transition, visible through
the API (as a real client parses it) and in the state dump."""
import json
import unittest
from urllib.parse import unquote

from botocore.exceptions import ClientError

from emutest import EmuTest

WEB1, WEB2, FOR = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002", "i-0f0000000000000f1"


class State(EmuTest):
    # ------------------------------------------------------------ EC2
    def test_termination_and_stop_protection(self):
        ec2 = self.client("ec2")
        ec2.modify_instance_attribute(InstanceId=WEB1, DisableApiTermination={"Value": True})
        ec2.modify_instance_attribute(InstanceId=WEB1, DisableApiStop={"Value": True})
        ec2.modify_instance_attribute(InstanceId=WEB1, InstanceInitiatedShutdownBehavior={"Value": "stop"})
        a = ec2.describe_instance_attribute(InstanceId=WEB1, Attribute="disableApiTermination")
        self.assertTrue(a["DisableApiTermination"]["Value"])
        self.assertEqual(self.err(ec2.terminate_instances, InstanceIds=[WEB1]), "OperationNotPermitted")
        self.assertEqual(self.err(ec2.stop_instances, InstanceIds=[WEB1]), "OperationNotPermitted")
        self.assertEqual(self.inst(WEB1)["State"]["Name"], "running")
        ec2.terminate_instances(InstanceIds=[WEB2])
        self.assertEqual(self.inst(WEB2)["State"]["Name"], "shutting-down")
        self.emu.advance(5)
        self.assertEqual(self.inst(WEB2)["State"]["Name"], "terminated")

    def test_delete_on_termination_via_block_device_mapping(self):
        ec2 = self.client("ec2")
        ec2.modify_instance_attribute(InstanceId=WEB1, BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": False}}])
        bdm = {b["DeviceName"]: b["Ebs"]["DeleteOnTermination"] for b in self.inst(WEB1)["BlockDeviceMappings"]}
        self.assertEqual(bdm, {"/dev/xvda": False, "/dev/sdf": False})
        self.assertEqual(self.err(ec2.modify_instance_attribute, InstanceId=WEB1, BlockDeviceMappings=[
            {"DeviceName": "/dev/sdz", "Ebs": {"DeleteOnTermination": False}}]), "InvalidInstanceAttributeValue")
        # the volumes outlive the instance now
        ec2.terminate_instances(InstanceIds=[WEB1])
        self.emu.advance(5)
        vols = self.emu.state()["ec2"]["volumes"]
        self.assertEqual(vols["vol-0a000000000000001"]["State"], "available")

    def test_quarantine_security_group_with_ipv6_egress(self):
        ec2 = self.client("ec2")
        g = ec2.create_security_group(GroupName="quarantine", Description="ssrfguard quarantine",
                                      VpcId="vpc-0a1b2c3d4e5f60001",
                                      TagSpecifications=[{"ResourceType": "security-group",
                                                          "Tags": [{"Key": "ssrfguard", "Value": "quarantine"}]}])
        gid = g["GroupId"]
        sg = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        egress = sg["IpPermissionsEgress"]
        self.assertEqual(egress[0]["IpProtocol"], "-1")
        self.assertEqual(egress[0]["IpRanges"], [{"CidrIp": "0.0.0.0/0"}])
        self.assertEqual(egress[0]["Ipv6Ranges"], [])   # a new group: IPv4 egress only, as AWS
        dflt = ec2.describe_security_groups(GroupIds=["sg-0d0000000000000d0"])["SecurityGroups"][0]
        self.assertEqual(dflt["IpPermissionsEgress"][0]["Ipv6Ranges"], [{"CidrIpv6": "::/0"}])  # VPC default
        self.assertEqual(self.err(ec2.create_security_group, GroupName="quarantine", Description="x",
                                  VpcId="vpc-0a1b2c3d4e5f60001"), "InvalidGroup.Duplicate")
        self.assertEqual(self.err(ec2.revoke_security_group_egress, GroupId=gid, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]),
            "InvalidPermission.NotFound")   # nothing revoked when any part is missing
        ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        sg = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        self.assertEqual(sg["IpPermissionsEgress"], [])
        self.assertEqual(self.err(ec2.revoke_security_group_egress, GroupId=gid, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]), "InvalidPermission.NotFound")
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.1.99/32"}]}])
        self.assertEqual(self.err(ec2.authorize_security_group_ingress, GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.1.99/32"}]}]),
            "InvalidPermission.Duplicate")
        # isolate every ENI of the two-ENI instance
        self.assertEqual(self.err(ec2.modify_instance_attribute, InstanceId=WEB1, Groups=[gid]), "InvalidInstanceID")
        for eni in self.inst(WEB1)["NetworkInterfaces"]:
            ec2.modify_network_interface_attribute(NetworkInterfaceId=eni["NetworkInterfaceId"], Groups=[gid])
        i = self.inst(WEB1)
        self.assertEqual({g["GroupId"] for e in i["NetworkInterfaces"] for g in e["Groups"]}, {gid})
        self.assertEqual(i["SecurityGroups"], [{"GroupName": "quarantine", "GroupId": gid}])
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [gid]}])["NetworkInterfaces"]
        self.assertEqual(len(enis), 2)
        self.assertEqual(self.err(ec2.delete_security_group, GroupId=gid), "DependencyViolation")

    def test_security_group_rules_by_id(self):
        ec2 = self.client("ec2")
        gid = ec2.create_security_group(GroupName="q2", Description="q", VpcId="vpc-0a1b2c3d4e5f60001")["GroupId"]
        added = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.1.99/32"}]}])
        rid = added["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
        self.assertEqual(sorted((r["IsEgress"], r.get("CidrIpv4")) for r in rules),
                         [(False, "10.0.1.99/32"), (True, "0.0.0.0/0")])
        egress_id = next(r["SecurityGroupRuleId"] for r in rules if r["IsEgress"])
        self.assertEqual(self.err(ec2.revoke_security_group_ingress, GroupId=gid, SecurityGroupRuleIds=[egress_id]),
                         "InvalidSecurityGroupRuleId.NotFound")   # an egress id is not an ingress rule
        ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=[rid])
        ec2.revoke_security_group_egress(GroupId=gid, SecurityGroupRuleIds=[egress_id])
        sg = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        self.assertEqual((sg["IpPermissions"], sg["IpPermissionsEgress"]), ([], []))
        self.assertEqual(self.err(ec2.describe_security_group_rules, SecurityGroupRuleIds=[rid]),
                         "InvalidSecurityGroupRuleId.NotFound")

    def test_snapshots_pending_then_completed(self):
        ec2 = self.client("ec2")
        self.client("ec2").create_tags(Resources=["vol-0a000000000000002"], Tags=[{"Key": "app", "Value": "web"}])
        r = ec2.create_snapshots(InstanceSpecification={"InstanceId": WEB1, "ExcludeBootVolume": False},
                                 Description="ssrfguard incident 7", CopyTagsFromSource="volume",
                                 TagSpecifications=[{"ResourceType": "snapshot",
                                                     "Tags": [{"Key": "incident", "Value": "7"}]}])
        snaps = r["Snapshots"]
        self.assertEqual(sorted(s["VolumeId"] for s in snaps), ["vol-0a000000000000001", "vol-0a000000000000002"])
        self.assertTrue(all(s["State"] == "pending" for s in snaps))
        data = next(s for s in snaps if s["VolumeId"] == "vol-0a000000000000002")
        self.assertEqual({t["Key"]: t["Value"] for t in data["Tags"]}, {"app": "web", "incident": "7"})
        ids = [s["SnapshotId"] for s in snaps]
        self.emu.advance(1.6)
        mid = ec2.describe_snapshots(SnapshotIds=ids)["Snapshots"]
        self.assertTrue(all(s["State"] == "pending" and s["Progress"] == "50%" for s in mid), mid)
        self.emu.advance(2)
        done = ec2.describe_snapshots(SnapshotIds=ids)["Snapshots"]
        self.assertTrue(all(s["State"] == "completed" and s["Progress"] == "100%" for s in done))
        got = ec2.describe_snapshots(Filters=[{"Name": "tag:incident", "Values": ["7"]}], OwnerIds=["self"])
        self.assertEqual(len(got["Snapshots"]), 2)
        self.assertEqual(self.err(ec2.describe_snapshots, SnapshotIds=["snap-0000000000000dead"]),
                         "InvalidSnapshot.NotFound")

    def _completed_snapshot(self):
        ec2 = self.client("ec2")
        s = ec2.create_snapshot(VolumeId="vol-0a000000000000002", Description="evidence")
        self.emu.advance(5)
        return s["SnapshotId"]

    def test_create_volume_idempotent_and_attach_to_forensic_instance(self):
        ec2 = self.client("ec2")
        snap = self._completed_snapshot()
        kw = dict(SnapshotId=snap, AvailabilityZone="us-east-1a", VolumeType="gp3", ClientToken="incident-7-vol",
                  TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "incident", "Value": "7"}]}])
        v1 = ec2.create_volume(**kw)
        v2 = ec2.create_volume(**kw)
        self.assertEqual(v1["VolumeId"], v2["VolumeId"])
        self.assertEqual(v1["Size"], 100)
        self.assertEqual(v1["State"], "creating")
        self.assertEqual(self.err(ec2.create_volume, **{**kw, "VolumeType": "gp2"}), "IdempotentParameterMismatch")
        vid = v1["VolumeId"]
        self.assertEqual(self.err(ec2.attach_volume, VolumeId=vid, InstanceId=FOR, Device="/dev/sdh"),
                         "IncorrectState")   # still creating
        self.emu.advance(1)
        # device slots taken on the forensic instance
        self.assertEqual(self.err(ec2.attach_volume, VolumeId=vid, InstanceId=FOR, Device="/dev/sdf"),
                         "InvalidParameterValue")
        self.assertEqual(self.err(ec2.attach_volume, VolumeId=vid, InstanceId=FOR, Device="/dev/bogus"),
                         "InvalidParameterValue")
        a = ec2.attach_volume(VolumeId=vid, InstanceId=FOR, Device="/dev/sdh")
        self.assertEqual(a["State"], "attaching")
        self.assertEqual(self.err(ec2.attach_volume, VolumeId=vid, InstanceId=FOR, Device="/dev/sdi"), "VolumeInUse")
        self.emu.advance(1.5)
        v = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
        self.assertEqual((v["State"], v["Attachments"][0]["State"], v["Attachments"][0]["Device"]),
                         ("in-use", "attached", "/dev/sdh"))
        devs = [b["DeviceName"] for b in self.inst(FOR)["BlockDeviceMappings"]]
        self.assertEqual(devs, ["/dev/sdf", "/dev/sdg", "/dev/sdh", "/dev/xvda"])

    def test_attachment_limit(self):
        ec2 = self.client("ec2")
        snap = self._completed_snapshot()
        # forensic instance: limit 6 = 1 ENI + 3 volumes + 2 more
        vids = [ec2.create_volume(SnapshotId=snap, AvailabilityZone="us-east-1a")["VolumeId"] for _ in range(3)]
        self.emu.advance(1)
        ec2.attach_volume(VolumeId=vids[0], InstanceId=FOR, Device="/dev/sdh")
        ec2.attach_volume(VolumeId=vids[1], InstanceId=FOR, Device="/dev/sdi")
        self.assertEqual(self.err(ec2.attach_volume, VolumeId=vids[2], InstanceId=FOR, Device="/dev/sdj"),
                         "AttachmentLimitExceeded")

    def test_instance_profile_associations_and_imds_follow(self):
        ec2 = self.client("ec2")
        a = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [WEB1]}])["IamInstanceProfileAssociations"]
        self.assertEqual(len(a), 1)
        aid = a[0]["AssociationId"]
        self.assertEqual(self.err(ec2.associate_iam_instance_profile, InstanceId=WEB1,
                                  IamInstanceProfile={"Name": "forensics-profile"}), "IncorrectState")
        r = ec2.replace_iam_instance_profile_association(AssociationId=aid,
                                                         IamInstanceProfile={"Name": "forensics-profile"})
        new = r["IamInstanceProfileAssociation"]
        self.assertEqual(new["State"], "associating")
        self.emu.advance(2)
        self.assertTrue(self.inst(WEB1)["IamInstanceProfile"]["Arn"].endswith("/forensics-profile"))
        ec2.disassociate_iam_instance_profile(AssociationId=new["AssociationId"])
        self.emu.advance(2)
        self.assertNotIn("IamInstanceProfile", self.inst(WEB1))
        self.assertEqual(self.err(ec2.disassociate_iam_instance_profile, AssociationId=new["AssociationId"]),
                         "InvalidAssociationID.NotFound")

    def test_metadata_options_pending_then_applied(self):
        ec2 = self.client("ec2")
        r = ec2.modify_instance_metadata_options(InstanceId=WEB1, HttpTokens="required", HttpPutResponseHopLimit=1)
        self.assertEqual(r["InstanceMetadataOptions"]["State"], "pending")
        self.assertEqual(r["InstanceMetadataOptions"]["HttpTokens"], "required")
        self.emu.advance(2)
        self.assertEqual(self.inst(WEB1)["MetadataOptions"]["State"], "applied")
        self.assertEqual(self.err(ec2.modify_instance_metadata_options, InstanceId=WEB1,
                                  HttpPutResponseHopLimit=99), "InvalidParameterValue")

    def test_tags_filters_and_pagination(self):
        ec2 = self.client("ec2")
        ec2.create_tags(Resources=[WEB1, "vol-0a000000000000001", "eni-0a000000000000001"],
                        Tags=[{"Key": "ssrfguard:incident", "Value": "7"}])
        t = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["ssrfguard:incident"]}])["Tags"]
        self.assertEqual(sorted((x["ResourceType"], x["ResourceId"]) for x in t),
                         [("instance", WEB1), ("network-interface", "eni-0a000000000000001"),
                          ("volume", "vol-0a000000000000001")])
        self.assertEqual(self.err(ec2.create_tags, Resources=[WEB1], Tags=[{"Key": "aws:x", "Value": "1"}]),
                         "InvalidParameterValue")
        got = ec2.describe_instances(Filters=[{"Name": "tag:ssrfguard:incident", "Values": ["7"]}])
        self.assertEqual([i["InstanceId"] for r in got["Reservations"] for i in r["Instances"]], [WEB1])
        got = ec2.describe_instances(Filters=[{"Name": "network-interface.addresses.private-ip-address",
                                               "Values": ["10.0.1.11"]}])
        self.assertEqual(len(got["Reservations"]), 1)
        got = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web-*"]}])
        self.assertEqual(len(got["Reservations"]), 2)
        self.assertEqual(self.err(ec2.describe_instances, Filters=[{"Name": "no-such-filter", "Values": ["x"]}]),
                         "InvalidParameterValue")
        seen, token = [], None
        for _ in range(10):
            kw = {"MaxResults": 5}
            if token:
                kw["NextToken"] = token
            page = ec2.describe_volumes(**kw)
            seen += [v["VolumeId"] for v in page["Volumes"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(len(seen), 6)
        self.assertEqual(len(set(seen)), 6)
        self.assertEqual(self.err(ec2.describe_instances, InstanceIds=[WEB1], MaxResults=5),
                         "InvalidParameterCombination")

    # ------------------------------------------------- ASG / ELB / ELBv2
    def test_asg_detach_with_decrement(self):
        asg = self.client("autoscaling")
        m = asg.describe_auto_scaling_instances(InstanceIds=[WEB1])["AutoScalingInstances"]
        self.assertEqual(m[0]["AutoScalingGroupName"], "web-asg")
        r = asg.detach_instances(InstanceIds=[WEB1], AutoScalingGroupName="web-asg",
                                 ShouldDecrementDesiredCapacity=True)
        self.assertIn(WEB1, r["Activities"][0]["Description"])
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
        self.assertEqual(g["DesiredCapacity"], 1)
        self.emu.advance(2)
        self.assertEqual(asg.describe_auto_scaling_instances(InstanceIds=[WEB1])["AutoScalingInstances"], [])
        # detaching from the group also took it out of the group's load balancers
        st = self.emu.state()
        tgs = {t["TargetGroupName"]: t for t in st["elbv2"].values()}
        self.assertNotIn(WEB1, [t["Id"] for t in tgs["web-instances"]["Targets"]])
        self.assertEqual([i["InstanceId"] for i in st["elb"]["web-classic"]["Instances"]], [WEB2])
        self.assertEqual(self.err(asg.detach_instances, InstanceIds=[WEB2], AutoScalingGroupName="web-asg",
                                  ShouldDecrementDesiredCapacity=True), "ValidationError")   # below MinSize 1

    def test_asg_detach_without_decrement_launches_replacement(self):
        asg = self.client("autoscaling")
        asg.detach_instances(InstanceIds=[WEB2], AutoScalingGroupName="web-asg", ShouldDecrementDesiredCapacity=False)
        self.emu.advance(3)
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
        ids = [i["InstanceId"] for i in g["Instances"]]
        self.assertEqual(g["DesiredCapacity"], 2)
        self.assertEqual(len(ids), 2)
        self.assertNotIn(WEB2, ids)
        new = [i for i in ids if i != WEB1][0]
        self.assertEqual(self.inst(new)["State"]["Name"], "running")
        asg.attach_instances(InstanceIds=[WEB2], AutoScalingGroupName="web-asg")
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
        self.assertEqual(g["DesiredCapacity"], 3)

    def test_asg_suspend_processes_and_standby(self):
        asg = self.client("autoscaling")
        asg.suspend_processes(AutoScalingGroupName="web-asg", ScalingProcesses=["ReplaceUnhealthy", "HealthCheck"])
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
        self.assertEqual(sorted(x["ProcessName"] for x in g["SuspendedProcesses"]), ["HealthCheck", "ReplaceUnhealthy"])
        self.assertEqual(self.err(asg.suspend_processes, AutoScalingGroupName="web-asg",
                                  ScalingProcesses=["Nope"]), "ValidationError")
        asg.enter_standby(InstanceIds=[WEB1], AutoScalingGroupName="web-asg", ShouldDecrementDesiredCapacity=True)
        m = asg.describe_auto_scaling_instances(InstanceIds=[WEB1])["AutoScalingInstances"][0]
        self.assertEqual(m["LifecycleState"], "EnteringStandby")     # draining first
        self.emu.advance(3)
        m = asg.describe_auto_scaling_instances(InstanceIds=[WEB1])["AutoScalingInstances"][0]
        self.assertEqual(m["LifecycleState"], "Standby")
        asg.resume_processes(AutoScalingGroupName="web-asg")
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
        self.assertEqual((g["SuspendedProcesses"], g["DesiredCapacity"]), ([], 1))

    def test_target_groups_instance_and_ip_draining(self):
        elb = self.client("elbv2")
        tgs = {t["TargetGroupName"]: t for t in elb.describe_target_groups()["TargetGroups"]}
        inst_tg, ip_tg = tgs["web-instances"]["TargetGroupArn"], tgs["web-ips"]["TargetGroupArn"]
        page = elb.describe_target_groups(PageSize=1)
        self.assertEqual(len(page["TargetGroups"]), 1)
        self.assertEqual(len(elb.describe_target_groups(PageSize=1, Marker=page["NextMarker"])["TargetGroups"]), 1)
        elb.deregister_targets(TargetGroupArn=inst_tg, Targets=[{"Id": WEB1}])
        elb.deregister_targets(TargetGroupArn=ip_tg, Targets=[{"Id": "10.0.1.10", "Port": 8080},
                                                              {"Id": "10.0.2.10", "Port": 8080}])
        h = elb.describe_target_health(TargetGroupArn=inst_tg, Targets=[{"Id": WEB1}])["TargetHealthDescriptions"]
        self.assertEqual((h[0]["TargetHealth"]["State"], h[0]["TargetHealth"]["Reason"]),
                         ("draining", "Target.DeregistrationInProgress"))
        self.emu.advance(2.5)
        h = elb.describe_target_health(TargetGroupArn=inst_tg, Targets=[{"Id": WEB1}])["TargetHealthDescriptions"]
        self.assertEqual((h[0]["TargetHealth"]["State"], h[0]["TargetHealth"]["Reason"]),
                         ("unused", "Target.NotRegistered"))
        # not registered any more: AWS answers success (API_DeregisterTargets)
        elb.deregister_targets(TargetGroupArn=inst_tg, Targets=[{"Id": WEB1}])
        # an instance target takes no Availability Zone (API_TargetDescription)
        self.assertEqual(self.err(elb.register_targets, TargetGroupArn=inst_tg,
                                  Targets=[{"Id": WEB1, "AvailabilityZone": "us-east-1a"}]), "ValidationError")
        left = [d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=ip_tg)["TargetHealthDescriptions"]]
        self.assertEqual(left, ["10.0.1.20"])
        self.assertEqual(self.err(elb.register_targets, TargetGroupArn=ip_tg, Targets=[{"Id": "192.0.2.1"}]),
                         "ValidationError")
        elb.register_targets(TargetGroupArn=inst_tg, Targets=[{"Id": WEB1}])
        h = elb.describe_target_health(TargetGroupArn=inst_tg, Targets=[{"Id": WEB1}])["TargetHealthDescriptions"]
        self.assertEqual(h[0]["TargetHealth"]["State"], "initial")

    def test_classic_elb(self):
        elb = self.client("elb")
        r = elb.deregister_instances_from_load_balancer(LoadBalancerName="web-classic", Instances=[{"InstanceId": WEB1}])
        self.assertEqual(r["Instances"], [{"InstanceId": WEB2}])
        self.assertEqual(self.err(elb.deregister_instances_from_load_balancer, LoadBalancerName="web-classic",
                                  Instances=[{"InstanceId": WEB1}]), "InvalidEndPoint")
        self.assertEqual(self.err(elb.describe_load_balancers, LoadBalancerNames=["nope"]), "LoadBalancerNotFound")
        elb.register_instances_with_load_balancer(LoadBalancerName="web-classic", Instances=[{"InstanceId": WEB1}])
        d = elb.describe_load_balancers(LoadBalancerNames=["web-classic"])["LoadBalancerDescriptions"][0]
        self.assertEqual(sorted(i["InstanceId"] for i in d["Instances"]), [WEB1, WEB2])

    # ------------------------------------------------------------- SSM
    def test_ssm_command_lifecycle_and_scripted_output(self):
        self.emu.ssm_script(match="ps aux", stdout="root 1 init\n", exit_code=0)
        self.emu.ssm_script(match="netstat", stderr="netstat: not found\n", exit_code=127)
        ssm = self.client("ssm")
        c = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[WEB1, WEB2],
                             Parameters={"commands": ["ps aux"]}, Comment="ssrfguard incident 7")["Command"]
        cid = c["CommandId"]
        self.assertEqual((c["Status"], c["TargetCount"]), ("Pending", 2))
        # eventually consistent: not there right after SendCommand
        self.assertEqual(self.err(ssm.get_command_invocation, CommandId=cid, InstanceId=WEB1),
                         "InvocationDoesNotExist")
        self.emu.advance(0.6)
        inv = ssm.get_command_invocation(CommandId=cid, InstanceId=WEB1)
        self.assertEqual((inv["Status"], inv["ResponseCode"]), ("Pending", -1))
        self.emu.advance(1.1)
        self.assertEqual(ssm.get_command_invocation(CommandId=cid, InstanceId=WEB1)["Status"], "InProgress")
        self.emu.advance(1.1)
        inv = ssm.get_command_invocation(CommandId=cid, InstanceId=WEB1)
        self.assertEqual((inv["Status"], inv["ResponseCode"], inv["StandardOutputContent"]),
                         ("Success", 0, "root 1 init\n"))
        c2 = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[WEB1],
                              Parameters={"commands": ["netstat -tunap"]})["Command"]
        self.emu.advance(3)
        inv = ssm.get_command_invocation(CommandId=c2["CommandId"], InstanceId=WEB1)
        self.assertEqual((inv["Status"], inv["ResponseCode"], inv["StandardErrorContent"]),
                         ("Failed", 127, "netstat: not found\n"))
        lst = ssm.list_command_invocations(CommandId=cid, Details=True)["CommandInvocations"]
        self.assertEqual(sorted(i["InstanceId"] for i in lst), [WEB1, WEB2])
        self.assertEqual(lst[0]["CommandPlugins"][0]["Output"], "root 1 init\n")
        self.assertEqual(self.err(ssm.send_command, DocumentName="AWS-RunShellScript", InstanceIds=["i-00000000000000bad"],
                                  Parameters={"commands": ["id"]}), "InvalidInstanceId")
        self.assertEqual(self.err(ssm.send_command, DocumentName="AWS-Nope", InstanceIds=[WEB1],
                                  Parameters={"commands": ["id"]}), "InvalidDocument")

    # ------------------------------------------------------- IAM / SNS
    def test_iam_inline_policies_revoke_sessions(self):
        iam = self.client("iam")
        self.assertEqual(iam.get_instance_profile(InstanceProfileName="web-fleet-profile")
                         ["InstanceProfile"]["Roles"][0]["RoleName"], "web-fleet-role")
        # a session of the fleet role, issued now
        self.emu.add_credentials(access_key_id="ASIAFLEETSESSION0001", secret_access_key="fleet",
                                 session_token="fleettok", role="web-fleet-role",
                                 arn="arn:aws:sts::123456789012:assumed-role/web-fleet-role/i-0a1b2c3d4e5f60001")
        # (probed with iam:GetRole: sts:GetCallerIdentity is never denied)
        sts = self.emu.client("iam", key=("ASIAFLEETSESSION0001", "fleet"), token="fleettok")
        sts.get_role(RoleName="web-fleet-role")
        self.emu.advance(1)
        import datetime
        cut = datetime.datetime.fromtimestamp(self.emu.state()["clock"], datetime.timezone.utc)
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
               "Condition": {"DateLessThan": {"aws:TokenIssueTime": cut.strftime("%Y-%m-%dT%H:%M:%SZ")}}}]}
        iam.put_role_policy(RoleName="web-fleet-role", PolicyName="AWSRevokeOlderSessions",
                            PolicyDocument=json.dumps(doc))
        self.assertEqual(iam.list_role_policies(RoleName="web-fleet-role")["PolicyNames"], ["AWSRevokeOlderSessions"])
        got = iam.get_role_policy(RoleName="web-fleet-role", PolicyName="AWSRevokeOlderSessions")
        self.assertEqual(json.loads(unquote(got["PolicyDocument"])) if isinstance(got["PolicyDocument"], str)
                         else got["PolicyDocument"], doc)
        with self.assertRaises(ClientError) as cm:
            sts.get_role(RoleName="web-fleet-role")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        iam.delete_role_policy(RoleName="web-fleet-role", PolicyName="AWSRevokeOlderSessions")
        sts.get_role(RoleName="web-fleet-role")
        self.assertEqual(self.err(iam.delete_role_policy, RoleName="web-fleet-role",
                                  PolicyName="AWSRevokeOlderSessions"), "NoSuchEntity")
        self.assertEqual(self.err(iam.put_role_policy, RoleName="web-fleet-role", PolicyName="bad",
                                  PolicyDocument="{not json"), "MalformedPolicyDocument")

    def test_revocation_scoped_to_one_instance(self):
        """The responder's policy: sessions issued before T AND from the victim only."""
        arn = "arn:aws:ec2:us-east-1:123456789012:instance/"
        for n, iid in (("1", WEB1), ("2", WEB2)):
            self.emu.add_credentials(access_key_id=f"ASIAFLEETSESSION000{n}", secret_access_key="s",
                                     session_token="t", role="web-fleet-role", source_instance_arn=arn + iid,
                                     arn=f"arn:aws:sts::123456789012:assumed-role/web-fleet-role/{iid}")
        # probed with iam:GetRole (sts:GetCallerIdentity is never denied)
        s1 = self.emu.client("iam", key=("ASIAFLEETSESSION0001", "s"), token="t")
        s2 = self.emu.client("iam", key=("ASIAFLEETSESSION0002", "s"), token="t")
        self.emu.advance(1)
        import datetime
        cut = datetime.datetime.fromtimestamp(self.emu.state()["clock"], datetime.timezone.utc)
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
               "Condition": {"DateLessThan": {"aws:TokenIssueTime": cut.strftime("%Y-%m-%dT%H:%M:%SZ")},
                             "ArnEquals": {"ec2:SourceInstanceARN": arn + WEB1}}}]}
        self.client("iam").put_role_policy(RoleName="web-fleet-role", PolicyName="ssrfguard-revoke",
                                           PolicyDocument=json.dumps(doc))
        with self.assertRaises(ClientError) as cm:
            s1.get_role(RoleName="web-fleet-role")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        s2.get_role(RoleName="web-fleet-role")            # the rest of the fleet keeps working
        self.emu.advance(1)
        self.emu.add_credentials(access_key_id="ASIAFLEETSESSION0003", secret_access_key="s", session_token="t",
                                 role="web-fleet-role", source_instance_arn=arn + WEB1)
        self.emu.client("iam", key=("ASIAFLEETSESSION0003", "s"), token="t").get_role(
            RoleName="web-fleet-role")  # newer: fine
        # an action-scoped deny covers only its actions
        doc2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["ec2:Describe*"],
                                                        "Resource": "*"}]}
        self.client("iam").put_role_policy(RoleName="web-fleet-role", PolicyName="no-describe",
                                           PolicyDocument=json.dumps(doc2))
        e2 = self.emu.client("ec2", key=("ASIAFLEETSESSION0002", "s"), token="t")
        with self.assertRaises(ClientError) as cm:
            e2.describe_instances()
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnauthorizedOperation")
        s2.get_role(RoleName="web-fleet-role")

    def test_sns_publish_recorded(self):
        sns = self.client("sns")
        topic = "arn:aws:sns:us-east-1:123456789012:ssrfguard-incidents"
        mid = sns.publish(TopicArn=topic, Subject="SSRF blocked", Message=json.dumps({"incident": 7}))["MessageId"]
        pub = self.emu.state()["sns"]["published"]
        self.assertEqual((pub[0]["MessageId"], pub[0]["Subject"], json.loads(pub[0]["Message"])),
                         (mid, "SSRF blocked", {"incident": 7}))
        self.assertEqual(self.err(sns.publish, TopicArn=topic + "-nope", Message="x"), "NotFound")

    def test_sts_identity(self):
        who = self.client("sts").get_caller_identity()
        self.assertEqual(who["Arn"], "arn:aws:iam::123456789012:user/ssrfguard-responder")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
