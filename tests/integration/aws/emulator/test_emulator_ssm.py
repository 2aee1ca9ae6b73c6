"""SSM Run Command as strict as AWS: the agent is a client of AWS signing with
the instance profile's role session, so revoking that role's sessions cuts the
agent off too (docs/emulator.md, "SSM")."""
import datetime
import hashlib
import json
import os
import tempfile
import time
import unittest

from botocore.exceptions import ClientError

from emutest import EmuTest

WEB1, WEB2, FOR = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002", "i-0f0000000000000f1"
ROLE = "web-fleet-role"


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def revoke_before(t, **extra):
    """The IAM console's "Revoke active sessions" policy, as the IAM guide shows it."""
    st = {"Effect": "Deny", "Action": "*", "Resource": "*",
          "Condition": {"DateLessThan": {"aws:TokenIssueTime": iso(t)}}}
    st.update(extra)
    st = {k: v for k, v in st.items() if v is not None}
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


class SsmAgent(EmuTest):
    def send(self, iid, timeout=None):
        kw = {"TimeoutSeconds": timeout} if timeout else {}
        return self.client("ssm").send_command(InstanceIds=[iid], DocumentName="AWS-RunShellScript",
                                               Parameters={"commands": ["uname -a"]}, **kw)["Command"]["CommandId"]

    def inv(self, cid, iid):
        return self.emu.state()["ssm"]["invocations"][f"{cid}/{iid}"]

    def ping(self, iid):
        rows = self.client("ssm").describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [iid]}])["InstanceInformationList"]
        return rows[0]["PingStatus"]

    def revoke_now(self, **extra):
        now = self.emu.state()["clock"]
        self.client("iam").put_role_policy(RoleName=ROLE, PolicyName="revoke",
                                           PolicyDocument=revoke_before(now + 1, **extra))
        return now

    def test_delivered_while_the_agent_can_reach_ssm(self):
        cid = self.send(WEB1)
        self.emu.advance(3)
        self.assertEqual(self.inv(cid, WEB1)["Status"], "Success")
        self.assertEqual(self.ping(WEB1), "Online")

    def test_revoking_the_role_sessions_cuts_the_agent_off(self):
        self.revoke_now()
        self.assertEqual(self.ping(WEB1), "ConnectionLost")
        self.assertEqual(self.ping(WEB2), "ConnectionLost")     # same role: the whole fleet
        self.assertEqual(self.ping(FOR), "Online")               # another role
        cid = self.send(WEB1, timeout=60)                        # accepted, never delivered
        self.emu.advance(30)
        self.assertEqual(self.inv(cid, WEB1)["Status"], "Pending")
        self.emu.advance(31)
        inv = self.inv(cid, WEB1)
        self.assertEqual((inv["Status"], inv["StatusDetails"]), ("TimedOut", "DeliveryTimedOut"))
        self.assertEqual(inv["stdout"], "")
        cmd = self.emu.state()["ssm"]["commands"][cid]
        self.assertEqual((cmd["Status"], cmd["DeliveryTimedOutCount"]), ("TimedOut", 1))
        out = self.client("ssm").get_command_invocation(CommandId=cid, InstanceId=WEB1)
        self.assertEqual(out["StatusDetails"], "DeliveryTimedOut")

    def test_a_deny_scoped_to_one_instance_cuts_off_only_its_agent(self):
        self.revoke_now(Condition={
            "DateLessThan": {"aws:TokenIssueTime": iso(self.emu.state()["clock"] + 1)},
            "ArnEquals": {"ec2:SourceInstanceARN": f"arn:aws:ec2:us-east-1:123456789012:instance/{WEB1}"}})
        self.assertEqual(self.ping(WEB1), "ConnectionLost")
        self.assertEqual(self.ping(WEB2), "Online")

    def test_agent_back_once_imds_rotates_its_credentials(self):
        self.revoke_now()
        cid = self.send(WEB1, timeout=30)
        # seeded credentials were issued an hour ago and last 6 h; IMDS
        # serves new ones 5 minutes before expiry: 6 h - 5 min - 1 h from now
        self.emu.advance(6 * 3600 - 300 - 3600 - 60)
        self.assertEqual(self.ping(WEB1), "ConnectionLost")
        self.assertEqual(self.inv(cid, WEB1)["StatusDetails"], "DeliveryTimedOut")
        self.emu.advance(120)
        self.assertEqual(self.ping(WEB1), "Online")
        cid = self.send(WEB1)
        self.emu.advance(3)
        self.assertEqual(self.inv(cid, WEB1)["Status"], "Success")

    def test_agent_back_at_once_with_another_profile(self):
        self.revoke_now()
        cid = self.send(WEB1, timeout=600)
        self.emu.advance(5)
        self.assertEqual(self.inv(cid, WEB1)["Status"], "Pending")
        ec2 = self.client("ec2")
        a = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [WEB1]}])["IamInstanceProfileAssociations"][0]
        ec2.replace_iam_instance_profile_association(AssociationId=a["AssociationId"],
                                                     IamInstanceProfile={"Name": "forensics-profile"})
        self.emu.advance(3)
        self.assertEqual(self.inv(cid, WEB1)["Status"], "Success")

    def test_no_profile_no_agent(self):
        ec2 = self.client("ec2")
        a = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [WEB1]}])["IamInstanceProfileAssociations"][0]
        ec2.disassociate_iam_instance_profile(AssociationId=a["AssociationId"])
        self.emu.advance(2)
        self.assertEqual(self.ping(WEB1), "ConnectionLost")

    def test_a_deny_that_spares_the_agent_actions(self):
        # NotAction: everything but what the agent needs
        self.revoke_now(Action=None, NotAction=["ssm:UpdateInstanceInformation", "ec2messages:*"])
        self.assertEqual(self.ping(WEB1), "Online")
        sim = self.client("iam").simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::123456789012:role/{ROLE}",
            ActionNames=["ssm:UpdateInstanceInformation", "ec2:DescribeInstances"])["EvaluationResults"]
        res = {r["EvalActionName"]: r for r in sim}
        self.assertNotIn("MissingContextValues", res["ssm:UpdateInstanceInformation"])
        self.assertEqual(res["ec2:DescribeInstances"]["MissingContextValues"], ["aws:TokenIssueTime"])
        cid = self.send(WEB1)
        self.emu.advance(3)
        self.assertEqual(self.inv(cid, WEB1)["Status"], "Success")

    def test_stopped_instance_delays_then_times_out(self):
        cid = self.send(WEB2, timeout=60)
        self.client("ec2").stop_instances(InstanceIds=[WEB2])
        self.emu.advance(2)
        self.assertEqual(self.inv(cid, WEB2)["Status"], "Delayed")
        self.emu.advance(60)
        self.assertEqual(self.inv(cid, WEB2)["StatusDetails"], "DeliveryTimedOut")


class SsmOutput(EmuTest):
    """Output limits, S3 output, executionTimeout, cancellation (botocore ssm
    SendCommand / GetCommandInvocation / CancelCommand)."""

    def send(self, params=None, **kw):
        p = {"commands": ["collect"]}
        p.update(params or {})
        return self.client("ssm").send_command(InstanceIds=[WEB1], DocumentName="AWS-RunShellScript",
                                               Parameters=p, **kw)["Command"]["CommandId"]

    def get(self, cid):
        return self.client("ssm").get_command_invocation(CommandId=cid, InstanceId=WEB1)

    def test_output_cut_at_24000_and_8000_whole_in_s3(self):
        out, err = "o" * 24000 + "TAIL", "e" * 8000 + "TAIL"
        self.emu.seed({"ssm": {"scripts": [{"match": "collect", "stdout": out, "stderr": err}]}})
        cid = self.send()
        self.emu.advance(3)
        inv = self.get(cid)
        self.assertEqual(inv["StandardOutputContent"], out[:24000])
        self.assertEqual(inv["StandardErrorContent"], err[:8000])
        self.assertEqual(inv["StandardOutputUrl"], "")           # no bucket: nowhere else
        s3 = self.client("s3")
        s3.create_bucket(Bucket="evidence-123")
        cid = self.send(OutputS3BucketName="evidence-123", OutputS3KeyPrefix="INC-1")
        self.emu.advance(3)
        inv = self.get(cid)
        key = f"INC-1/{cid}/{WEB1}/awsrunShellScript/0.awsrunShellScript/stdout"
        self.assertTrue(inv["StandardOutputUrl"].endswith("/evidence-123/" + key), inv["StandardOutputUrl"])
        self.assertEqual(s3.get_object(Bucket="evidence-123", Key=key)["Body"].read().decode(), out)
        errkey = key[:-len("stdout")] + "stderr"
        self.assertEqual(s3.get_object(Bucket="evidence-123", Key=errkey)["Body"].read().decode(), err)

    def test_the_agent_uploads_with_its_own_role(self):
        self.emu.seed({"ssm": {"scripts": [{"match": "collect", "stdout": "data"}]}})
        self.client("s3").create_bucket(Bucket="evidence-123")
        self.client("iam").put_role_policy(RoleName=ROLE, PolicyName="no-s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}]}))
        cid = self.send(OutputS3BucketName="evidence-123")
        self.emu.advance(3)
        self.assertEqual(self.get(cid)["Status"], "Success")     # the command ran ...
        self.assertEqual(self.emu.state()["s3"]["evidence-123"]["Objects"], {})   # ... nothing uploaded
        self.assertEqual(self.emu.state()["ssm"]["invocations"][f"{cid}/{WEB1}"]["s3_upload"], "AccessDenied")

    def test_execution_timeout_is_the_run_limit(self):
        self.emu.seed({"ssm": {"scripts": [{"match": "collect", "stdout": "slow", "seconds": 100}]}})
        cid = self.send({"executionTimeout": ["10"]})
        self.emu.advance(12)
        inv = self.get(cid)
        self.assertEqual((inv["Status"], inv["StatusDetails"]), ("TimedOut", "ExecutionTimedOut"))
        # TimeoutSeconds only limits delivery: a started command runs on past it
        cid = self.send(TimeoutSeconds=30)
        self.emu.advance(60)
        self.assertEqual(self.get(cid)["Status"], "InProgress")
        self.emu.advance(50)
        self.assertEqual(self.get(cid)["Status"], "Success")

    def test_execution_timeout_bounds(self):
        for bad in ("0", "172801", "1h"):
            with self.assertRaises(ClientError) as cm:
                self.send({"executionTimeout": [bad]})
            self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameters")
        cid = self.send({"executionTimeout": ["172800"]})
        self.assertEqual(self.emu.state()["ssm"]["invocations"][f"{cid}/{WEB1}"]["run_limit"], 172800)

    def test_invocation_does_not_exist_right_after_send(self):
        cid = self.send()
        with self.assertRaises(ClientError) as cm:
            self.get(cid)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvocationDoesNotExist")
        self.emu.advance(0.6)
        self.assertIn(self.get(cid)["Status"], ("Pending", "InProgress"))

    def test_cancel(self):
        self.emu.seed({"ssm": {"scripts": [{"match": "collect", "seconds": 100}]}})
        cid = self.send()
        self.emu.advance(2)
        self.client("ssm").cancel_command(CommandId=cid)
        self.assertEqual(self.get(cid)["Status"], "Cancelling")
        self.emu.advance(2)
        self.assertEqual(self.get(cid)["Status"], "Cancelled")
        self.assertEqual(self.emu.state()["ssm"]["commands"][cid]["Status"], "Cancelled")


class SsmRunsForReal(EmuTest):
    """Issue 16: EBS volumes carry real disk images (snapshot -> volume ->
    attach), and an SSM command whose script rule says run: true really runs,
    seeing the instance's NVMe devices under EMULATOR_SYSFS_ROOT/EMULATOR_DEV_ROOT."""

    def test_image_travels_to_the_forensic_instance_and_the_command_reads_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            img = os.path.join(tmp, "root.img")
            data = os.urandom(1 << 20) + b"<?php system($_GET['c']); ?>"
            with open(img, "wb") as f:
                f.write(data)
            self.emu.seed({"ec2": {"volumes": [{"VolumeId": "vol-0d000000000000001", "Size": 1, "Image": img,
                                                "AvailabilityZone": "us-east-1a"}]}})
            with open(img, "wb") as f:                  # the emulator keeps its own copy
                f.write(b"changed afterwards")
        ec2 = self.client("ec2")
        snap = ec2.create_snapshot(VolumeId="vol-0d000000000000001")["SnapshotId"]
        self.emu.advance(5)
        vol = ec2.create_volume(SnapshotId=snap, AvailabilityZone="us-east-1a")["VolumeId"]
        self.emu.advance(1)
        ec2.attach_volume(VolumeId=vol, InstanceId=FOR, Device="/dev/sdh")
        self.emu.advance(1)
        serial = vol.replace("-", "")
        self.emu.seed({"ssm": {"scripts": [{"match": "examine", "run": True}]}})
        script = ('# examine\n'
                  f'dev=$(grep -l {serial} "$EMULATOR_SYSFS_ROOT"/block/*/device/serial)\n'
                  'name=$(basename "$(dirname "$(dirname "$dev")")")\n'
                  'echo "$name"; sha256sum < "$EMULATOR_DEV_ROOT/$name" | cut -d" " -f1; tail -c 28 '
                  '"$EMULATOR_DEV_ROOT/$name"; echo; echo oops >&2; exit 3')
        cid = self.client("ssm").send_command(InstanceIds=[FOR], DocumentName="AWS-RunShellScript",
                                              Parameters={"commands": script.split("\n")})["Command"]["CommandId"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.emu.advance(1)
            inv = self.emu.state()["ssm"]["invocations"][f"{cid}/{FOR}"]
            if inv["Status"] not in ("Pending", "InProgress"):
                break
            time.sleep(0.1)
        self.assertEqual((inv["Status"], inv["ResponseCode"]), ("Failed", 3), inv)
        lines = inv["stdout"].splitlines()
        self.assertEqual(lines[0], "nvme3n1")           # root, sdf, sdg, then the evidence volume
        self.assertEqual(lines[1], hashlib.sha256(data).hexdigest())
        self.assertEqual(lines[2], "<?php system($_GET['c']); ?>")
        self.assertEqual(inv["stderr"], "oops\n")


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
