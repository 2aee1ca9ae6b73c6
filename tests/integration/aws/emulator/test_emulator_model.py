"""Requests are checked against botocore's service models: unknown actions and
parameters, missing required ones and mistyped values get each protocol's
real error; replies have AWS's XML/JSON shapes."""
import json
import unittest

from emutest import EmuTest, signed, xml

EC2V = {"Version": "2016-11-15"}


class Model(EmuTest):
    def ec2(self, action, **params):
        return signed(self.emu.url, "ec2", {"Action": action, **EC2V, **params})

    def code(self, body):
        r = xml(body)
        e = r.find("Errors/Error/Code")
        if e is None:
            e = r.find("Error/Code")
        return e.text

    def test_unknown_action(self):
        st, _, body = self.ec2("DescribeInstancez")
        self.assertEqual((st, self.code(body)), (400, "InvalidAction"))
        st, _, body = signed(self.emu.url, "autoscaling", {"Action": "DetachInstancez", "Version": "2011-01-01"})
        self.assertEqual((st, self.code(body)), (400, "InvalidAction"))
        st, h, body = signed(self.emu.url, "ssm", json_target="AmazonSSM.SendCommandz")
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["__type"], "UnknownOperationException")
        self.assertTrue(h["x-amzn-requestid"])

    def test_unknown_parameter(self):
        st, _, body = self.ec2("DescribeInstances", InstanceIdz="i-0a1b2c3d4e5f60001")
        self.assertEqual((st, self.code(body)), (400, "UnknownParameter"))
        self.assertIn("InstanceIdz", xml(body).find("Errors/Error/Message").text)
        # lists are Name.N in EC2: Name.member.N is not a parameter there
        st, _, body = self.ec2("DescribeInstances", **{"InstanceId.member.1": "i-0a1b2c3d4e5f60001"})
        self.assertEqual(self.code(body), "UnknownParameter")
        st, _, body = signed(self.emu.url, "autoscaling", {"Action": "DescribeAutoScalingInstances",
                                                           "Version": "2011-01-01", "Bogus": "1"})
        self.assertEqual((st, self.code(body)), (400, "ValidationError"))
        st, _, body = signed(self.emu.url, "ssm", json_target="AmazonSSM.GetCommandInvocation",
                             json_body='{"CommandId":"x","InstanceId":"i-0a1b2c3d4e5f60001","Bogus":1}')
        self.assertEqual(json.loads(body)["__type"], "SerializationException")

    def test_missing_required(self):
        st, _, body = self.ec2("AttachVolume", Device="/dev/sdh", InstanceId="i-0f0000000000000f1")
        self.assertEqual((st, self.code(body)), (400, "MissingParameter"))
        self.assertIn("VolumeId", xml(body).find("Errors/Error/Message").text)
        st, _, body = signed(self.emu.url, "autoscaling", {"Action": "DetachInstances", "Version": "2011-01-01",
                                                           "AutoScalingGroupName": "web-asg"})
        self.assertEqual(self.code(body), "ValidationError")
        self.assertIn("shouldDecrementDesiredCapacity", xml(body).find("Error/Message").text)
        st, _, body = signed(self.emu.url, "ssm", json_target="AmazonSSM.GetCommandInvocation",
                             json_body='{"CommandId":"x"}')
        self.assertEqual(json.loads(body)["__type"], "ValidationException")

    def test_type_errors(self):
        st, _, body = self.ec2("DescribeInstances", MaxResults="many")
        self.assertEqual((st, self.code(body)), (400, "InvalidParameterValue"))
        st, _, body = self.ec2("DescribeInstances", DryRun="yes")
        self.assertEqual(self.code(body), "InvalidParameterValue")
        st, _, body = self.ec2("ModifyInstanceMetadataOptions", InstanceId="i-0a1b2c3d4e5f60001",
                               HttpTokens="mandatory")
        self.assertEqual((st, self.code(body)), (400, "InvalidParameterValue"))
        st, _, body = signed(self.emu.url, "autoscaling", {"Action": "DetachInstances", "Version": "2011-01-01",
                                                           "AutoScalingGroupName": "web-asg",
                                                           "ShouldDecrementDesiredCapacity": "maybe"})
        self.assertEqual(self.code(body), "ValidationError")
        st, _, body = signed(self.emu.url, "ssm", json_target="AmazonSSM.ListCommandInvocations",
                             json_body='{"MaxResults":"ten"}')
        self.assertEqual(json.loads(body)["__type"], "SerializationException")
        # enum constraints apply to query/JSON services
        st, _, body = signed(self.emu.url, "elasticloadbalancing",
                             {"Action": "DescribeTargetGroups", "Version": "2015-12-01", "PageSize": "0"})
        self.assertEqual(self.code(body), "ValidationError")

    def test_elb_version_selects_model(self):
        st, _, body = signed(self.emu.url, "elasticloadbalancing",
                             {"Action": "DescribeLoadBalancers", "Version": "2012-06-01"})
        self.assertEqual(st, 200, body)
        self.assertEqual(xml(body).find("DescribeLoadBalancersResult/LoadBalancerDescriptions/member/"
                                        "LoadBalancerName").text, "web-classic")
        st, _, body = signed(self.emu.url, "elasticloadbalancing",
                             {"Action": "DescribeTargetGroups", "Version": "2015-12-01"})
        self.assertEqual(st, 200, body)
        names = [m.text for m in xml(body).findall("DescribeTargetGroupsResult/TargetGroups/member/TargetGroupName")]
        self.assertEqual(sorted(names), ["web-instances", "web-ips"])

    def test_ec2_reply_shape(self):
        st, _, body = self.ec2("DescribeInstances", **{"InstanceId.1": "i-0a1b2c3d4e5f60001"})
        self.assertIn(b'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"', body)
        r = xml(body)
        self.assertTrue(r.find("requestId").text)
        inst = r.find("reservationSet/item/instancesSet/item")
        self.assertEqual(inst.find("instanceId").text, "i-0a1b2c3d4e5f60001")
        self.assertEqual(inst.find("instanceState/name").text, "running")
        self.assertEqual(inst.find("instanceState/code").text, "16")
        enis = inst.findall("networkInterfaceSet/item")
        self.assertEqual(len(enis), 2)
        self.assertEqual(enis[0].find("groupSet/item/groupId").text, "sg-0a000000000000001")
        self.assertEqual(enis[0].find("ipv6AddressesSet/item/ipv6Address").text, "2600:1f18:4a3:6901::10")
        self.assertEqual(enis[0].find("attachment/deviceIndex").text, "0")
        self.assertEqual(inst.find("iamInstanceProfile/arn").text,
                         "arn:aws:iam::123456789012:instance-profile/web-fleet-profile")
        self.assertRegex(inst.find("launchTime").text, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_ec2_error_shape(self):
        st, _, body = self.ec2("DescribeInstances", **{"InstanceId.1": "i-0000000000000dead"})
        r = xml(body)
        self.assertEqual(r.tag, "Response")
        self.assertEqual(r.find("Errors/Error/Code").text, "InvalidInstanceID.NotFound")
        self.assertEqual(r.find("Errors/Error/Message").text, "The instance ID 'i-0000000000000dead' does not exist")
        self.assertTrue(r.find("RequestID").text)
        st, _, body = self.ec2("DescribeInstances", **{"InstanceId.1": "web-1"})
        self.assertEqual(self.code(body), "InvalidInstanceID.Malformed")

    def test_query_reply_shape(self):
        st, _, body = signed(self.emu.url, "iam", {"Action": "GetInstanceProfile", "Version": "2010-05-08",
                                                    "InstanceProfileName": "web-fleet-profile"})
        self.assertIn(b'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"', body)
        r = xml(body)
        self.assertEqual(r.tag, "GetInstanceProfileResponse")
        self.assertEqual(r.find("GetInstanceProfileResult/InstanceProfile/Roles/member/RoleName").text,
                         "web-fleet-role")
        self.assertTrue(r.find("ResponseMetadata/RequestId").text)
        st, _, body = signed(self.emu.url, "iam", {"Action": "GetRole", "Version": "2010-05-08",
                                                    "RoleName": "nope"})
        r = xml(body)
        self.assertEqual((st, r.find("Error/Type").text, r.find("Error/Code").text), (404, "Sender", "NoSuchEntity"))

    def test_dry_run(self):
        st, _, body = self.ec2("ModifyInstanceAttribute", InstanceId="i-0a1b2c3d4e5f60001",
                               **{"DisableApiTermination.Value": "true", "DryRun": "true"})
        self.assertEqual((st, self.code(body)), (412, "DryRunOperation"))
        a = self.emu.state()["ec2"]["instances"]["i-0a1b2c3d4e5f60001"]["Attributes"]
        self.assertFalse(a["DisableApiTermination"])   # a dry run changes nothing
        self.emu.add_credentials(access_key_id="AKIALIMITED000000001", secret_access_key="x",
                                 deny=["ec2:ModifyInstanceAttribute"])
        st, _, body = signed(self.emu.url, "ec2", {"Action": "ModifyInstanceAttribute", **EC2V,
                                                    "InstanceId": "i-0a1b2c3d4e5f60001",
                                                    "DisableApiTermination.Value": "true", "DryRun": "true"},
                             key=("AKIALIMITED000000001", "x"))
        self.assertEqual((st, self.code(body)), (403, "UnauthorizedOperation"))

    def test_hostile_input_gets_clear_errors_never_a_crash(self):
        import http.client
        from urllib.parse import urlsplit
        u = urlsplit(self.emu.url)

        def raw(body, headers):
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            try:
                c.request("POST", "/", body=body, headers=headers)
                r = c.getresponse()
                return r.status, r.read()
            finally:
                c.close()
        deep = "[" * 100000 + "]" * 100000
        st, _, body = signed(self.emu.url, "ssm", json_target="AmazonSSM.ListCommands", json_body=deep)
        self.assertEqual((st, json.loads(body)["__type"]), (400, "SerializationException"))
        st, _, body = signed(self.emu.url, "ssm", json_target="AmazonSSM.ListCommands", json_body="\x00\xff{")
        self.assertEqual(st, 400)
        st, _, body = self.ec2("DescribeInstances", **{"InstanceId.99999999999": "i-0a1b2c3d4e5f60001"})
        self.assertEqual(self.code(body), "UnknownParameter")
        st, _, body = self.ec2("DescribeInstances", **{"Filter.1.Name.x.y.z": "a"})
        self.assertEqual(st, 400)
        many = {f"InstanceId.{i}": "i-0a1b2c3d4e5f60001" for i in range(1, 6000)}
        st, _, body = self.ec2("DescribeInstances", **many)
        self.assertEqual(st, 400)
        st, body = raw(b"x" * 10, {"Content-Length": "999999999"})
        self.assertEqual(st, 413)
        st, body = raw(b"Action=DescribeInstances&Version=2016-11-15\xff\xfe", {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertIn(st, (400, 403))
        st, body = raw(b"{}", {"X-Amz-Target": "AmazonSSM.ListCommands",
                              "Authorization": "AWS4-HMAC-SHA256 Credential=" + "A/" * 5000})
        self.assertEqual(st, 400)
        r = self.emu._req("GET", "health")
        self.assertEqual(r, {"ok": True})
        self.assertFalse([c for c in self.emu.journal() if c.get("error") == "EmulatorBug"])

    def test_revoke_unknown_rule_in_default_vpc_is_listed_not_an_error(self):
        self.emu.seed({"ec2": {"vpcs": [{"VpcId": "vpc-0d000000000000001", "CidrBlock": "172.31.0.0/16",
                                         "IsDefault": True}]}})
        ec2 = self.client("ec2")
        gid = ec2.create_security_group(GroupName="q", Description="q", VpcId="vpc-0d000000000000001")["GroupId"]
        r = ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        self.assertEqual(r["UnknownIpPermissions"][0]["Ipv6Ranges"], [{"CidrIpv6": "::/0"}])
        self.assertEqual(ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissionsEgress"], [])

    def test_concurrent_clients(self):
        import threading
        results = []

        def worker():
            for _ in range(15):
                st, _, body = signed(self.emu.url, "ec2", {"Action": "CreateTags", **EC2V,
                                                            "ResourceId.1": "i-0a1b2c3d4e5f60001",
                                                            "Tag.1.Key": f"k{threading.get_ident() % 1000}",
                                                            "Tag.1.Value": "v"})
                results.append(st)
        ts = [threading.Thread(target=worker) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertEqual(results, [200] * 120)
        self.assertEqual(len([c for c in self.emu.journal() if c["action"] == "CreateTags"]), 120)

    def test_botocore_client_parses_everything(self):
        """A real SDK client parses our replies into the documented fields."""
        ec2 = self.client("ec2")
        r = ec2.describe_instances(InstanceIds=["i-0a1b2c3d4e5f60001"])
        i = r["Reservations"][0]["Instances"][0]
        self.assertEqual([e["NetworkInterfaceId"] for e in i["NetworkInterfaces"]],
                         ["eni-0a000000000000001", "eni-0a000000000000002"])
        self.assertEqual(i["SecurityGroups"], [{"GroupName": "web", "GroupId": "sg-0a000000000000001"}])
        self.assertEqual(i["MetadataOptions"]["HttpTokens"], "optional")
        asg = self.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])
        self.assertEqual(asg["AutoScalingGroups"][0]["DesiredCapacity"], 2)
        who = self.client("sts").get_caller_identity()
        self.assertEqual(who["Account"], "123456789012")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
