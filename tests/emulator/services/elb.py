"""Classic Elastic Load Balancing: load balancers and their instances.

From the Classic Load Balancers API reference
(https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/):
RegisterInstancesWithLoadBalancer / DeregisterInstancesFromLoadBalancer name
instances by id; an instance that does not exist is InvalidInstance (its wire
code; botocore elb InvalidEndPointException), an unknown load balancer
LoadBalancerNotFound; DescribeInstanceHealth gives each instance's state."""
import sys

from errors import ApiError
from services import ec2, op, register
from world import clone

register(sys.modules[__name__])


def st(world):
    return world.ns.setdefault("elb", {"lbs": {}})


def add_lb(world, spec):
    name = spec["LoadBalancerName"]
    lb = {"LoadBalancerName": name, "DNSName": f"{name}-1234567890.{world.region}.elb.amazonaws.com",
          "CanonicalHostedZoneName": f"{name}-1234567890.{world.region}.elb.amazonaws.com",
          "CanonicalHostedZoneNameID": "Z35SXDOTRQ7X7K",
          "ListenerDescriptions": [{"Listener": {"Protocol": "HTTP", "LoadBalancerPort": 80,
                                                 "InstanceProtocol": "HTTP", "InstancePort": 80},
                                    "PolicyNames": []}],
          "Policies": {"AppCookieStickinessPolicies": [], "LBCookieStickinessPolicies": [], "OtherPolicies": []},
          "BackendServerDescriptions": [], "AvailabilityZones": spec.get("AvailabilityZones", [world.region + "a"]),
          "Subnets": spec.get("Subnets", []), "VPCId": spec.get("VPCId"),
          "Instances": [{"InstanceId": i} for i in spec.get("Instances") or []],
          "HealthCheck": {"Target": "HTTP:80/", "Interval": 30, "Timeout": 5, "UnhealthyThreshold": 2,
                          "HealthyThreshold": 10},
          "SourceSecurityGroup": {"OwnerAlias": world.account_id, "GroupName": "default"},
          "SecurityGroups": spec.get("SecurityGroups", []), "CreatedTime": world.now(), "Scheme": "internet-facing"}
    st(world)["lbs"][name] = lb
    return lb


def seed(world, sc):
    for lb in sc.get("load_balancers") or []:
        add_lb(world, lb)


def dump(world):
    return st(world)["lbs"]


def lb(world, name):
    x = st(world)["lbs"].get(name)
    if x is None:
        raise ApiError("LoadBalancerNotFound", f"There is no ACTIVE Load Balancer named '{name}'")
    return x


# AWS: Classic Load Balancer API reference, DescribeLoadBalancers: https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_DescribeLoadBalancers.html
@op("elb", "DescribeLoadBalancers")
def describe_load_balancers(ctx, p):
    w = ctx.world
    names = p.get("LoadBalancerNames")
    items = [lb(w, n) for n in names] if names else list(st(w)["lbs"].values())
    start = int(p["Marker"], 16) if p.get("Marker") else 0
    size = p.get("PageSize") or 400
    page = items[start:start + size]
    out = {"LoadBalancerDescriptions": clone(page)}
    if start + size < len(items):
        out["NextMarker"] = "%x" % (start + size)
    return out


def register_instances(world, x, ids):
    for iid in ids:
        inst = ec2.st(world)["instances"].get(iid)
        if inst is None:
            raise ApiError("InvalidInstance", f"The specified EC2 Instance '{iid}' is invalid")
    for iid in ids:
        if not any(i["InstanceId"] == iid for i in x["Instances"]):
            x["Instances"].append({"InstanceId": iid})


def deregister_instances(world, x, ids, strict=True):
    for iid in ids:
        if strict and not any(i["InstanceId"] == iid for i in x["Instances"]):
            raise ApiError("InvalidEndPoint", f"The specified EndPoint is not valid: {iid}")
    x["Instances"] = [i for i in x["Instances"] if i["InstanceId"] not in ids]


# AWS: Classic Load Balancer API reference, RegisterInstancesWithLoadBalancer: https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_RegisterInstancesWithLoadBalancer.html
@op("elb", "RegisterInstancesWithLoadBalancer")
def op_register(ctx, p):
    x = lb(ctx.world, p["LoadBalancerName"])
    register_instances(ctx.world, x, [i["InstanceId"] for i in p["Instances"]])
    return {"Instances": clone(x["Instances"])}


# AWS: Classic Load Balancer API reference, DeregisterInstancesFromLoadBalancer: https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_DeregisterInstancesFromLoadBalancer.html
@op("elb", "DeregisterInstancesFromLoadBalancer")
def op_deregister(ctx, p):
    x = lb(ctx.world, p["LoadBalancerName"])
    deregister_instances(ctx.world, x, [i["InstanceId"] for i in p["Instances"]])
    return {"Instances": clone(x["Instances"])}


# AWS: Classic Load Balancer API reference, DescribeInstanceHealth: https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_DescribeInstanceHealth.html
@op("elb", "DescribeInstanceHealth")
def describe_instance_health(ctx, p):
    w = ctx.world
    x = lb(w, p["LoadBalancerName"])
    ids = [i["InstanceId"] for i in p.get("Instances") or x["Instances"]]
    out = []
    for iid in ids:
        if not any(i["InstanceId"] == iid for i in x["Instances"]):
            raise ApiError("InvalidInstance", f"Could not find EC2 instance {iid}.")
        inst = ec2.st(w)["instances"].get(iid)
        if inst and inst["State"]["Name"] == "running":
            out.append({"InstanceId": iid, "State": "InService", "ReasonCode": "N/A", "Description": "N/A"})
        else:
            out.append({"InstanceId": iid, "State": "OutOfService", "ReasonCode": "Instance",
                        "Description": "Instance is in stopped state."})
    return {"InstanceStates": out}
