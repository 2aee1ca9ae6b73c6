"""Elastic Load Balancing v2: target groups with instance and IP targets.

Targets move initial -> healthy once registered, draining -> gone after the
group's deregistration delay ("Deregistration delay", ELB user guide,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay);
DescribeTargetHealth reports the states with AWS's reason codes
(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
Marker/PageSize pagination.  RegisterTargets refuses what the API reference
refuses (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html,
API_TargetDescription.html: AvailabilityZone "is not supported if the target
type of the target group is instance or alb"); DeregisterTargets of a target
that is not registered succeeds ("If the specified target does not exist,
the action returns successfully",
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeregisterTargets.html).
"""
import ipaddress
import sys

from errors import ApiError
from services import ec2, op, register
from world import clone

register(sys.modules[__name__])

HEALTHY_AFTER = 1.0


def st(world):
    return world.ns.setdefault("elbv2", {"tgs": {}})


def tg_arn(world, name):
    return f"arn:{world.partition()}:elasticloadbalancing:{world.region}:{world.account_id}:targetgroup/{name}/" + \
        world.new_id("x", 16)[2:]


def add_tg(world, spec):
    name = spec["TargetGroupName"]
    arn = spec.get("TargetGroupArn") or tg_arn(world, name)
    ttype = spec.get("TargetType", "instance")
    tg = {"TargetGroupArn": arn, "TargetGroupName": name, "Protocol": spec.get("Protocol", "HTTP"),
          "Port": spec.get("Port", 80), "VpcId": spec.get("VpcId"), "HealthCheckProtocol": spec.get("Protocol", "HTTP"),
          "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True, "HealthCheckIntervalSeconds": 30,
          "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 5, "UnhealthyThresholdCount": 2,
          "HealthCheckPath": "/", "Matcher": {"HttpCode": "200"},
          "LoadBalancerArns": spec.get("LoadBalancerArns") or
          [f"arn:{world.partition()}:elasticloadbalancing:{world.region}:{world.account_id}:loadbalancer/app/{name}-alb/"
           + world.new_id("x", 16)[2:]],
          "TargetType": ttype, "ProtocolVersion": "HTTP1", "IpAddressType": "ipv4",
          "_delay": spec.get("DeregistrationDelaySeconds"), "_targets": []}
    st(world)["tgs"][arn] = tg
    for t in spec.get("Targets") or []:
        _check_target(world, tg, t)
        tg["_targets"].append({"Id": t["Id"], "Port": t.get("Port", tg["Port"]), "state": "healthy",
                               "AvailabilityZone": t.get("AvailabilityZone")})
    return tg


def seed(world, sc):
    for t in sc.get("target_groups") or []:
        add_tg(world, t)


def dump(world):
    out = {}
    for arn, tg in st(world)["tgs"].items():
        d = {k: v for k, v in tg.items() if not k.startswith("_")}
        d["DeregistrationDelaySeconds"] = delay(world, tg)
        d["Targets"] = [{k: v for k, v in t.items() if not k.startswith("_")} for t in tg["_targets"]]
        out[arn] = d
    return out


def delay(world, tg):
    return tg["_delay"] if tg["_delay"] is not None else world.timing["deregistration_delay_seconds"]


def by_name(world, name):
    for tg in st(world)["tgs"].values():
        if tg["TargetGroupName"] == name:
            return tg
    return None


def _tg(world, arn):
    tg = st(world)["tgs"].get(arn)
    if tg is None:
        raise ApiError("TargetGroupNotFound", f"Target groups '{arn}' not found")
    return tg


def _check_target(world, tg, t):
    tid = t["Id"]
    if t.get("AvailabilityZone") and tg["TargetType"] in ("instance", "alb"):
        raise ApiError("ValidationError", f"An Availability Zone cannot be specified for targets of type "
                       f"'{tg['TargetType']}': '{tid}'")
    if tg["TargetType"] == "instance":
        if not ec2._ID_RE["i"].match(tid):
            raise ApiError("ValidationError", f"Instance ID '{tid}' is not valid")
        inst = ec2.st(world)["instances"].get(tid)
        if inst is None:
            raise ApiError("InvalidTarget", f"The following targets are not valid instances: '{tid}'")
        if inst["State"]["Name"] != "running":
            raise ApiError("InvalidTarget",
                           f"The following targets are not in a running state and cannot be registered: '{tid}'")
        if tg["VpcId"] and inst.get("VpcId") != tg["VpcId"]:
            raise ApiError("InvalidTarget", f"The following targets are not in the target group VPC '{tg['VpcId']}': '{tid}'")
    elif tg["TargetType"] == "ip":
        try:
            ip = ipaddress.ip_address(tid)
        except ValueError:
            raise ApiError("ValidationError", f"The IP address '{tid}' is not a valid IPv4 address")
        vpc = ec2.st(world)["vpcs"].get(tg["VpcId"])
        if vpc is not None and ip.version == 4 and t.get("AvailabilityZone") != "all":
            if ip not in ipaddress.ip_network(vpc["CidrBlock"]):
                raise ApiError("ValidationError",
                               f"The IP address '{tid}' is not within the CIDR ranges of VPC '{tg['VpcId']}'")
    port = t.get("Port", tg["Port"])
    if port is not None and not 1 <= port <= 65535:
        raise ApiError("ValidationError", f"Port {port} is not valid")


def _page(items, p):
    size = p.get("PageSize")
    start = 0
    if p.get("Marker"):
        try:
            start = int(p["Marker"], 16)
        except ValueError:
            raise ApiError("ValidationError", "Invalid marker")
    if size is None:
        return items[start:], None
    page = items[start:start + size]
    return page, ("%x" % (start + size)) if start + size < len(items) else None


# AWS: Elastic Load Balancing API reference, DescribeTargetGroups: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetGroups.html
@op("elbv2", "DescribeTargetGroups")
def describe_target_groups(ctx, p):
    w = ctx.world
    tgs = list(st(w)["tgs"].values())
    if p.get("TargetGroupArns"):
        tgs = [_tg(w, a) for a in p["TargetGroupArns"]]
    if p.get("Names"):
        found = []
        for n in p["Names"]:
            t = by_name(w, n)
            if t is None:
                raise ApiError("TargetGroupNotFound", "One or more target groups not found")
            found.append(t)
        tgs = [t for t in tgs if t in found]
    if p.get("LoadBalancerArn"):
        tgs = [t for t in tgs if p["LoadBalancerArn"] in t["LoadBalancerArns"]]
    page, nxt = _page(tgs, p)
    out = {"TargetGroups": [{k: clone(v) for k, v in t.items() if not k.startswith("_")} for t in page]}
    if nxt:
        out["NextMarker"] = nxt
    return out


# AWS: Elastic Load Balancing API reference, DescribeTargetGroupAttributes: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetGroupAttributes.html
@op("elbv2", "DescribeTargetGroupAttributes")
def describe_tg_attributes(ctx, p):
    tg = _tg(ctx.world, p["TargetGroupArn"])
    return {"Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": str(int(delay(ctx.world, tg)))},
                           {"Key": "stickiness.enabled", "Value": "false"}]}


def _health(world, tg, t):
    if t is None:
        return {"State": "unused", "Reason": "Target.NotRegistered",
                "Description": "Target is not registered to the target group"}
    if t["state"] == "draining":
        return {"State": "draining", "Reason": "Target.DeregistrationInProgress",
                "Description": "Target deregistration is in progress"}
    if tg["TargetType"] == "instance":
        inst = ec2.st(world)["instances"].get(t["Id"])
        if inst is None or inst["State"]["Name"] != "running":
            name = inst["State"]["Name"] if inst else "terminated"
            return {"State": "unused", "Reason": "Target.InvalidState", "Description": f"Target is in the {name} state"}
    if t["state"] == "initial":
        return {"State": "initial", "Reason": "Elb.RegistrationInProgress",
                "Description": "Target registration is in progress"}
    return {"State": "healthy"}


def _find(tg, tid, port):
    for t in tg["_targets"]:
        if t["Id"] == tid and (port is None or t["Port"] == port):
            return t
    return None


# AWS: Elastic Load Balancing API reference, DescribeTargetHealth: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html
@op("elbv2", "DescribeTargetHealth")
def describe_target_health(ctx, p):
    w = ctx.world
    tg = _tg(w, p["TargetGroupArn"])
    out = []
    if p.get("Targets"):
        for q in p["Targets"]:
            t = _find(tg, q["Id"], q.get("Port"))
            tgt = {"Id": q["Id"], "Port": q.get("Port", tg["Port"])}
            out.append({"Target": tgt, "HealthCheckPort": str(tgt["Port"]), "TargetHealth": _health(w, tg, t)})
    else:
        for t in tg["_targets"]:
            tgt = {"Id": t["Id"], "Port": t["Port"]}
            if t.get("AvailabilityZone"):
                tgt["AvailabilityZone"] = t["AvailabilityZone"]
            out.append({"Target": tgt, "HealthCheckPort": str(t["Port"]), "TargetHealth": _health(w, tg, t)})
    return {"TargetHealthDescriptions": out}


def register_targets(world, tg, targets):
    for q in targets:
        _check_target(world, tg, q)
    for q in targets:
        port = q.get("Port", tg["Port"])
        t = _find(tg, q["Id"], port)
        if t is not None and t["state"] != "draining":
            continue  # registering twice is a no-op
        if t is not None:
            tg["_targets"].remove(t)
        t = {"Id": q["Id"], "Port": port, "state": "initial", "AvailabilityZone": q.get("AvailabilityZone")}
        tg["_targets"].append(t)

        def healthy(t=t):
            if t["state"] == "initial":
                t["state"] = "healthy"
        world.at(HEALTHY_AFTER, healthy)


def deregister_targets(world, tg, targets):
    """A target not registered is no error (API_DeregisterTargets: "If the
    specified target does not exist, the action returns successfully")."""
    for q in targets:
        t = _find(tg, q["Id"], q.get("Port"))
        if t is None or t["state"] == "draining":
            continue
        t["state"] = "draining"

        def gone(t=t):
            if t["state"] == "draining" and t in tg["_targets"]:
                tg["_targets"].remove(t)
        world.at(delay(world, tg), gone)


# AWS: Elastic Load Balancing API reference, RegisterTargets: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html
@op("elbv2", "RegisterTargets")
def op_register_targets(ctx, p):
    register_targets(ctx.world, _tg(ctx.world, p["TargetGroupArn"]), p["Targets"])
    return {}


# AWS: Elastic Load Balancing API reference, DeregisterTargets: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeregisterTargets.html
@op("elbv2", "DeregisterTargets")
def op_deregister_targets(ctx, p):
    deregister_targets(ctx.world, _tg(ctx.world, p["TargetGroupArn"]), p["Targets"])
    return {}
