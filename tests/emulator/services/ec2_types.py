"""EC2 DescribeInstanceTypes: what an instance type is, here only the part
the responder reads, each type's default idle connection-tracking timeouts.

EC2 API reference, DescribeInstanceTypes
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html):
InstanceType.N names the types; an unknown one fails InvalidInstanceType.
Each InstanceTypeInfo's NetworkInfo (API_NetworkInfo.html) carries
connectionTrackingConfiguration, "Indicates conntrack information for the
instance type", a DefaultConnectionTrackingConfiguration
(API_DefaultConnectionTrackingConfiguration.html: defaultTcpEstablishedTimeout,
defaultUdpStreamTimeout, defaultUdpTimeout, seconds).  The values follow the
defaults the EC2 API reference states for ConnectionTrackingSpecificationRequest
(API_ConnectionTrackingSpecificationRequest.html): TCP established "350
seconds for Nitro v6 instance types (excluding P6e-GB200); 432000 seconds
for all other instance types", UDP stream 180, UDP 30.  The types known
here are the ones the scenarios run (none of them Nitro v6); a test seeds
others, each with its own defaults, under ec2.instance_types
({"c8i.large": {"DefaultTcpEstablishedTimeout": 350, ...}})."""
import sys

from errors import ApiError
from services import op, register
from services.ec2 import st

register(sys.modules[__name__])

_OTHER = {"DefaultTcpEstablishedTimeout": 432000, "DefaultUdpStreamTimeout": 180, "DefaultUdpTimeout": 30}
_KNOWN = ("t3.micro", "t3.small", "t3.medium", "t3.large", "m5.large", "m5.xlarge", "c5.large")


def _types(world):
    s = st(world)
    if "instance_types" not in s:
        s["instance_types"] = {t: dict(_OTHER) for t in _KNOWN}
    return s["instance_types"]


def seed(world, sc):
    for name, defaults in ((sc.get("ec2") or {}).get("instance_types") or {}).items():
        _types(world)[name] = {**_OTHER, **defaults}


# AWS: EC2 API reference, DescribeInstanceTypes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html
@op("ec2", "DescribeInstanceTypes")
def describe_instance_types(ctx, p):
    known = _types(ctx.world)
    names = p.get("InstanceTypes") or sorted(known)
    missing = [n for n in names if n not in known]
    if missing:
        raise ApiError("InvalidInstanceType",
                       f"The following supplied instance types do not exist: [{', '.join(missing)}]")
    return {"InstanceTypes": [{"InstanceType": n, "CurrentGeneration": True,
                               "NetworkInfo": {"ConnectionTrackingConfiguration": dict(known[n])}}
                              for n in names]}
