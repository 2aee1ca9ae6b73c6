#!/usr/bin/python3
"""cross_check.py SSRFGUARD AWS_SCENARIO — Debian's AWS CLI and ssrfguard's
C client, pointed at one emulator (run under with_emulator.py), must see
the same state through a scripted scenario:

  1. both describe the instance: same state, groups, ENIs and their groups,
     volumes, instance profile, metadata options, tags;
  2. the AWS CLI changes things (tags, metadata options); the C view shows them;
  3. the C client contains the instance (aws_scenario); the AWS CLI sees the
     quarantine group on every ENI, the tags, termination protection, the
     instance out of its ASG, target groups and classic ELB, the deny policy;
  4. the views agree again at the end.
"""
import json
import os
import subprocess
import sys

SSRFGUARD, SCENARIO = sys.argv[1], sys.argv[2]
IID = "i-0a1b2c3d4e5f60001"
ENV = dict(os.environ, AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="",
           AWS_DEFAULT_OUTPUT="json")
fails = 0


def cli(*args):
    out = subprocess.run(["/usr/bin/aws", "--endpoint-url", os.environ["AWS_ENDPOINT_URL"],
                          "--region", os.environ["AWS_REGION"], *args],
                         env=ENV, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"aws {' '.join(args)}: {out.stderr}")
    return json.loads(out.stdout) if out.stdout.strip() else {}


def cview():
    out = subprocess.run([SSRFGUARD, "aws", "instance", "--json", IID], capture_output=True,
                         text=True, env=os.environ)
    if out.returncode != 0:
        raise SystemExit(f"ssrfguard aws instance: {out.stderr}")
    return json.loads(out.stdout)


def check(what, got, want):
    global fails
    if got != want:
        fails += 1
        print(f"FAIL {what}: C client {got!r} != AWS CLI {want!r}")
    else:
        print(f"ok   {what}")


def advance(s):
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(
        os.environ["EMULATOR_URL"] + "/_emulator/advance", data=json.dumps({"seconds": s}).encode(),
        method="POST", headers={"Content-Type": "application/json"})).read()


def compare(tag):
    c = cview()
    inst = cli("ec2", "describe-instances", "--instance-ids", IID)["Reservations"][0]["Instances"][0]
    check(f"{tag}: state", c["state"], inst["State"]["Name"])
    check(f"{tag}: groups", sorted(g["id"] for g in c["security_groups"]),
          sorted(g["GroupId"] for g in inst["SecurityGroups"]))
    check(f"{tag}: enis", sorted((e["id"], tuple(sorted(g["id"] for g in e["security_groups"])))
                                 for e in c["network_interfaces"]),
          sorted((n["NetworkInterfaceId"], tuple(sorted(g["GroupId"] for g in n["Groups"])))
                 for n in inst["NetworkInterfaces"]))
    check(f"{tag}: volumes", sorted((v["device_name"], v["volume_id"], v["delete_on_termination"])
                                    for v in c["volumes"]),
          sorted((b["DeviceName"], b["Ebs"]["VolumeId"], b["Ebs"]["DeleteOnTermination"])
                 for b in inst["BlockDeviceMappings"]))
    check(f"{tag}: profile", c["instance_profile"]["arn"],
          inst.get("IamInstanceProfile", {}).get("Arn", ""))
    md = inst["MetadataOptions"]
    check(f"{tag}: metadata", (c["metadata_options"]["http_tokens"], c["metadata_options"]["hop_limit"],
                               c["metadata_options"]["state"]),
          (md["HttpTokens"], md["HttpPutResponseHopLimit"], md["State"]))
    check(f"{tag}: tags", c["tags"], {t["Key"]: t["Value"] for t in inst.get("Tags", [])})
    assoc = cli("ec2", "describe-iam-instance-profile-associations", "--filters",
                f"Name=instance-id,Values={IID}")["IamInstanceProfileAssociations"]
    check(f"{tag}: association", c["instance_profile"]["association_id"],
          next((a["AssociationId"] for a in assoc if a["State"] == "associated"), ""))
    asg = cli("autoscaling", "describe-auto-scaling-instances", "--instance-ids", IID)
    check(f"{tag}: asg", c["asg"] if asg["AutoScalingInstances"] else "",
          asg["AutoScalingInstances"][0]["AutoScalingGroupName"] if asg["AutoScalingInstances"] else "")
    return c


# Timed transitions move only when we say so: no race between two describes.
import urllib.request
urllib.request.urlopen(urllib.request.Request(
    os.environ["EMULATOR_URL"] + "/_emulator/timing",
    data=json.dumps({"metadata_seconds": 600, "deregistration_delay_seconds": 600}).encode(),
    method="POST", headers={"Content-Type": "application/json"})).read()

# 1. the starting picture: who we are, and the instance
who = subprocess.run([SSRFGUARD, "aws", "whoami"], capture_output=True, text=True, env=os.environ)
mine = dict(line.split(None, 1) for line in who.stdout.splitlines() if line.strip())
theirs = cli("sts", "get-caller-identity")
check("whoami", (mine.get("account"), mine.get("arn"), mine.get("user_id")),
      (theirs["Account"], theirs["Arn"], theirs["UserId"]))
compare("start")

# 2. the AWS CLI changes state; the C client sees it
cli("ec2", "create-tags", "--resources", IID, "--tags", "Key=owner,Value=web-team")
# a secondary private IP of the instance becomes an IP target too
ips_tg = next(t["TargetGroupArn"] for t in cli("elbv2", "describe-target-groups")["TargetGroups"]
              if t["TargetGroupName"] == "web-ips")
cli("elbv2", "register-targets", "--target-group-arn", ips_tg, "--targets", "Id=10.0.1.11,Port=8080")
cli("ec2", "modify-instance-metadata-options", "--instance-id", IID, "--http-tokens", "required",
    "--http-put-response-hop-limit", "1")
c = compare("after aws-cli changes (pending)")
check("metadata pending in C view", c["metadata_options"]["state"], "pending")
advance(700)
c = compare("after aws-cli changes (applied)")
check("C sees the CLI's tag", c["tags"].get("owner"), "web-team")
check("C sees required tokens", c["metadata_options"]["http_tokens"], "required")
check("C sees the secondary-IP target", "10.0.1.11" in [t["target_id"] for t in c["targets"]], True)

# 3. the C client contains; the AWS CLI sees it
out = subprocess.run([SCENARIO, IID], capture_output=True, text=True, env=os.environ)
if out.returncode != 0:
    raise SystemExit(f"aws_scenario: {out.stderr}")
gid = json.loads(out.stdout)["group_id"]
advance(700)
enis = cli("ec2", "describe-network-interfaces", "--filters",
           f"Name=attachment.instance-id,Values={IID}")["NetworkInterfaces"]
check("CLI: every ENI in the quarantine group", sorted({g["GroupId"] for n in enis for g in n["Groups"]}),
      [gid])
sg = cli("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]
check("CLI: quarantine group has no IPv4 egress",
      [r for r in sg["IpPermissionsEgress"] if r.get("IpRanges")], [])
attr = cli("ec2", "describe-instance-attribute", "--instance-id", IID, "--attribute",
           "disableApiTermination")
check("CLI: termination protection", attr["DisableApiTermination"]["Value"], True)
groups = cli("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "web-asg")
g = groups["AutoScalingGroups"][0]
check("CLI: out of the ASG", IID in [i["InstanceId"] for i in g["Instances"]], False)
check("CLI: desired capacity decremented", g["DesiredCapacity"], 1)
for tg in cli("elbv2", "describe-target-groups")["TargetGroups"]:
    ids = [d["Target"]["Id"] for d in cli("elbv2", "describe-target-health", "--target-group-arn",
                                          tg["TargetGroupArn"])["TargetHealthDescriptions"]]
    check(f"CLI: out of {tg['TargetGroupName']}",
          bool({IID, "10.0.1.10", "10.0.1.11", "10.0.2.10"} & set(ids)), False)
lb = cli("elb", "describe-load-balancers", "--load-balancer-names", "web-classic")
check("CLI: out of the classic ELB",
      IID in [i["InstanceId"] for i in lb["LoadBalancerDescriptions"][0]["Instances"]], False)
pol = cli("iam", "get-role-policy", "--role-name", "web-fleet-role", "--policy-name",
          "ssrfguard-revoke")
check("CLI: deny policy", pol["PolicyDocument"]["Statement"][0]["Effect"], "Deny")

# 4. and the two views agree at the end
c = compare("end")
check("C sees no target left", c["targets"], [])
print(f"cross-check: {fails} mismatches")
sys.exit(1 if fails else 0)
