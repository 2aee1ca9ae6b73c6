#!/usr/bin/python3
"""seed_corpus.py DIR — capture real emulator replies as fuzz seeds into
DIR/aws_xml and DIR/aws_json.  Run as:
  tests/netns-run /usr/bin/python3 tests/integration/aws/with_emulator.py -- \
    /usr/bin/python3 tests/integration/aws/seed_corpus.py fuzz/corpus
"""
import os, sys, urllib.request, urllib.parse, json
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url = os.environ["AWS_ENDPOINT_URL"]
cr = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
out = sys.argv[1]
def call(svc, params=None, target=None, body=None, name=None):
    if target:
        data = json.dumps(body or {}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    else:
        data = urllib.parse.urlencode(params).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    req = AWSRequest(method="POST", url=url + "/", data=data, headers=headers)
    SigV4Auth(cr, svc, "us-east-1").add_auth(req)
    r = urllib.request.Request(url + "/", data=data, headers=dict(req.headers.items()), method="POST")
    try:
        resp = urllib.request.urlopen(r).read()
    except urllib.error.HTTPError as e:
        resp = e.read()
    d = "aws_json" if target else "aws_xml"
    open(os.path.join(out, d, name), "wb").write(resp)
    return resp
V="2016-11-15"
call("ec2", {"Action":"DescribeInstances","Version":V}, name="ec2-describe-instances.xml")
call("ec2", {"Action":"DescribeVolumes","Version":V}, name="ec2-describe-volumes.xml")
call("ec2", {"Action":"DescribeSecurityGroups","Version":V}, name="ec2-describe-security-groups.xml")
call("ec2", {"Action":"DescribeNetworkInterfaces","Version":V}, name="ec2-describe-enis.xml")
call("ec2", {"Action":"DescribeIamInstanceProfileAssociations","Version":V}, name="ec2-iip-assoc.xml")
call("ec2", {"Action":"CreateSnapshots","Version":V,"InstanceSpecification.InstanceId":"i-0a1b2c3d4e5f60001"}, name="ec2-create-snapshots.xml")
call("ec2", {"Action":"DescribeInstances","Version":V,"InstanceId.1":"i-0000000000000dead"}, name="ec2-error-notfound.xml")
call("ec2", {"Action":"ModifyInstanceAttribute","Version":V,"InstanceId":"i-0a1b2c3d4e5f60001","DisableApiTermination.Value":"true","DryRun":"true"}, name="ec2-dryrun.xml")
call("autoscaling", {"Action":"DescribeAutoScalingInstances","Version":"2011-01-01"}, name="asg-describe-instances.xml")
call("autoscaling", {"Action":"DescribeAutoScalingGroups","Version":"2011-01-01"}, name="asg-describe-groups.xml")
call("elasticloadbalancing", {"Action":"DescribeTargetGroups","Version":"2015-12-01"}, name="elbv2-target-groups.xml")
call("elasticloadbalancing", {"Action":"DescribeLoadBalancers","Version":"2012-06-01"}, name="elb-load-balancers.xml")
call("iam", {"Action":"GetInstanceProfile","Version":"2010-05-08","InstanceProfileName":"nope"}, name="iam-error-nosuchentity.xml")
call("sts", {"Action":"GetCallerIdentity","Version":"2011-06-15"}, name="sts-caller-identity.xml")
call("ssm", target="AmazonSSM.SendCommand", body={"InstanceIds":["i-0a1b2c3d4e5f60001"],"DocumentName":"AWS-RunShellScript","Parameters":{"commands":["uname -a"]}}, name="ssm-send-command.json")
call("ssm", target="AmazonSSM.GetCommandInvocation", body={"CommandId":"00000000-0000-0000-0000-000000000000","InstanceId":"i-0a1b2c3d4e5f60001"}, name="ssm-error.json")
imds = os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
tok = urllib.request.urlopen(urllib.request.Request(imds + "/latest/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})).read().decode()
for path, name in [("/latest/dynamic/instance-identity/document", "imds-identity.json"), ("/latest/meta-data/iam/security-credentials/web-fleet-role", "imds-credentials.json")]:
    b = urllib.request.urlopen(urllib.request.Request(imds + path, headers={"X-aws-ec2-metadata-token": tok})).read()
    open(os.path.join(out, "aws_json", name), "wb").write(b)
