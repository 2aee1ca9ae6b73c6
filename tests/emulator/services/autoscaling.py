"""Auto Scaling: groups, their instances and desired capacity.

DetachInstances deregisters the instance from the group's target groups and
classic load balancers (as AWS does) and, without ShouldDecrementDesiredCapacity,
launches a replacement so the group keeps its desired capacity.

Lifecycle, per the Auto Scaling user guide ("Amazon EC2 Auto Scaling instance
lifecycle", https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html;
"Detach or attach instances",
https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-detach-attach-instances.html;
"Temporarily remove instances from your Auto Scaling group",
https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-enter-exit-standby.html):
an instance can be detached only from InService or Standby; it stays
Detaching while its target groups drain it (the longest
deregistration_delay.timeout_seconds, default 300 s) and then leaves the
group.  EnterStandby works from InService: EnteringStandby while draining,
then Standby (no replacement unless the capacity is kept); ExitStandby goes
Pending then InService and registers the instance again.  Any other state a
scenario seeds (Pending, Pending:Wait, Terminating, Terminating:Wait, ...)
refuses both.
"""
import sys

from errors import ApiError
from services import ec2, elb, elbv2, op, register
from world import clone, tags_list

register(sys.modules[__name__])


def st(world):
    return world.ns.setdefault("autoscaling", {"groups": {}})


def add_group(world, spec):
    name = spec["AutoScalingGroupName"]
    tg_arns = list(spec.get("TargetGroupARNs") or [])
    g = {"AutoScalingGroupName": name,
         "AutoScalingGroupARN": f"arn:{world.partition()}:autoscaling:{world.region}:{world.account_id}:autoScalingGroup:"
                                f"{world.new_id('x', 8)[2:]}-0000-4000-8000-000000000000:autoScalingGroupName/{name}",
         "LaunchTemplate": {"LaunchTemplateId": "lt-0abcdef1234567890", "LaunchTemplateName": f"{name}-lt",
                            "Version": "$Default"},
         "MinSize": spec.get("MinSize", 1), "MaxSize": spec.get("MaxSize", 4),
         "DesiredCapacity": spec.get("DesiredCapacity", len(spec.get("Instances") or [])),
         "DefaultCooldown": 300, "AvailabilityZones": spec.get("AvailabilityZones", [world.region + "a"]),
         "LoadBalancerNames": list(spec.get("LoadBalancerNames") or []), "TargetGroupARNs": tg_arns,
         "HealthCheckType": "EC2", "HealthCheckGracePeriod": 300, "Instances": [], "CreatedTime": world.now(),
         "SuspendedProcesses": [], "VPCZoneIdentifier": spec.get("VPCZoneIdentifier", ""),
         "EnabledMetrics": [], "Tags": [], "TerminationPolicies": ["Default"],
         "NewInstancesProtectedFromScaleIn": False,
         "ServiceLinkedRoleARN": f"arn:{world.partition()}:iam::{world.account_id}:role/aws-service-role/"
                                 "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"}
    for n in spec.get("TargetGroupNames") or []:
        tg = elbv2.by_name(world, n)
        if tg is None:
            raise ValueError(f"autoscaling group {name}: no target group named {n}")
        g["TargetGroupARNs"].append(tg["TargetGroupArn"])
    for t in tags_list(spec.get("Tags")):
        g["Tags"].append({"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": t["Key"],
                          "Value": t["Value"], "PropagateAtLaunch": True})
    for m in spec.get("Instances") or []:   # an id, or {"InstanceId", "LifecycleState"}
        m = m if isinstance(m, dict) else {"InstanceId": m}
        g["Instances"].append(_member(world, m["InstanceId"], m.get("LifecycleState", "InService")))
    st(world)["groups"][name] = g
    return g


def _member(world, iid, state="InService"):
    inst = ec2.st(world)["instances"].get(iid)
    if inst is None:
        raise ApiError("ValidationError", f"Instance ID {iid} is invalid.")
    return {"InstanceId": iid, "InstanceType": inst["InstanceType"],
            "AvailabilityZone": inst["Placement"]["AvailabilityZone"], "LifecycleState": state,
            "HealthStatus": "Healthy", "ProtectedFromScaleIn": False,
            "LaunchTemplate": {"LaunchTemplateId": "lt-0abcdef1234567890", "Version": "1"}}


def seed(world, sc):
    for g in sc.get("autoscaling_groups") or []:
        add_group(world, g)


def dump(world):
    return st(world)["groups"]


def group(world, name):
    g = st(world)["groups"].get(name)
    if g is None:
        raise ApiError("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return g


def _page(items, p):
    n = p.get("MaxRecords") or 50
    start = 0
    if p.get("NextToken"):
        try:
            start = int(p["NextToken"], 16)
        except ValueError:
            raise ApiError("InvalidNextToken", "The token is invalid")
    return items[start:start + n], ("%x" % (start + n)) if start + n < len(items) else None


# AWS: EC2 Auto Scaling API reference, DescribeAutoScalingInstances: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingInstances.html
@op("autoscaling", "DescribeAutoScalingInstances")
def describe_asg_instances(ctx, p):
    w = ctx.world
    rows = []
    for g in st(w)["groups"].values():
        for m in g["Instances"]:
            if p.get("InstanceIds") and m["InstanceId"] not in p["InstanceIds"]:
                continue
            r = clone(m)
            r["AutoScalingGroupName"] = g["AutoScalingGroupName"]
            r["HealthStatus"] = r["HealthStatus"].upper()   # this API spells it HEALTHY
            rows.append(r)
    page, nxt = _page(rows, p)
    out = {"AutoScalingInstances": page}
    if nxt:
        out["NextToken"] = nxt
    return out


# AWS: EC2 Auto Scaling API reference, DescribeAutoScalingGroups: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html
@op("autoscaling", "DescribeAutoScalingGroups")
def describe_asgs(ctx, p):
    w = ctx.world
    groups = list(st(w)["groups"].values())
    if p.get("AutoScalingGroupNames"):
        groups = [g for g in groups if g["AutoScalingGroupName"] in p["AutoScalingGroupNames"]]
    for f in p.get("Filters") or []:
        name, vals = f.get("Name"), f.get("Values") or []
        if name == "tag-key":
            groups = [g for g in groups if any(t["Key"] in vals for t in g["Tags"])]
        elif name == "tag-value":
            groups = [g for g in groups if any(t["Value"] in vals for t in g["Tags"])]
        elif name and name.startswith("tag:"):
            groups = [g for g in groups if any(t["Key"] == name[4:] and t["Value"] in vals for t in g["Tags"])]
        else:
            raise ApiError("ValidationError", f"Filter name '{name}' is invalid")
    page, nxt = _page(groups, p)
    out = {"AutoScalingGroups": clone(page)}
    if nxt:
        out["NextToken"] = nxt
    return out


def _members(g, ids, states):
    """The group's members by id; each of ids must be one, in one of states."""
    members = {m["InstanceId"]: m for m in g["Instances"]}
    for iid in ids:
        m = members.get(iid)
        if m is None:
            raise ApiError("ValidationError",
                           f"The instance {iid} is not part of Auto Scaling group {g['AutoScalingGroupName']}.")
        if m["LifecycleState"] not in states:
            raise ApiError("ValidationError", f"The instance {iid} is not in {' or '.join(states)}.")
    return members


def _drain_seconds(w, g):
    """How long deregistration from the group's target groups takes: the
    longest deregistration_delay.timeout_seconds among them (ELBv2 target
    group attributes; default 300 s, here timing deregistration_delay_seconds)."""
    delays = [elbv2.delay(w, elbv2.st(w)["tgs"][arn]) for arn in g["TargetGroupARNs"] if arn in elbv2.st(w)["tgs"]]
    return max(delays, default=0.0)


def _activity(w, g, desc, cause, status="InProgress"):
    return {"ActivityId": w.request_id(), "AutoScalingGroupName": g["AutoScalingGroupName"], "Description": desc,
            "Cause": cause, "StartTime": w.now(), "StatusCode": status, "Progress": 50,
            "Details": '{"Subnet ID":"","Availability Zone":"%s"}' % g["AvailabilityZones"][0]}


def _lb_detach(w, g, iid):
    for arn in g["TargetGroupARNs"]:
        tg = elbv2.st(w)["tgs"].get(arn)
        if tg is not None:
            elbv2.deregister_targets(w, tg, [{"Id": iid}])
    for n in g["LoadBalancerNames"]:
        x = elb.st(w)["lbs"].get(n)
        if x is not None:
            elb.deregister_instances(w, x, [iid], strict=False)


def _lb_attach(w, g, iid):
    for arn in g["TargetGroupARNs"]:
        tg = elbv2.st(w)["tgs"].get(arn)
        if tg is not None and tg["TargetType"] == "instance":
            elbv2.register_targets(w, tg, [{"Id": iid}])
    for n in g["LoadBalancerNames"]:
        x = elb.st(w)["lbs"].get(n)
        if x is not None:
            elb.register_instances(w, x, [iid])


def _launch_replacement(w, g, template_iid):
    """Launch an instance like template_iid (same subnet, groups, profile) into g."""
    s = ec2.st(w)
    t = s["instances"].get(template_iid)
    enis = [e for e in s["enis"].values() if (e.get("Attachment") or {}).get("InstanceId") == template_iid]
    primary = next((e for e in enis if e["Attachment"]["DeviceIndex"] == 0), None)
    prof = None
    for a in s["assocs"].values():
        if a["InstanceId"] == template_iid and a["State"] in ("associated", "associating", "disassociating",
                                                             "disassociated"):
            prof = {"Arn": a["IamInstanceProfile"]["Arn"]}
    spec = {"SubnetId": t["SubnetId"], "InstanceType": t["InstanceType"], "ImageId": t["ImageId"],
            "State": "pending", "Tags": {"aws:autoscaling:groupName": g["AutoScalingGroupName"]},
            "NetworkInterfaces": [{"Groups": [x["GroupId"] for x in primary["Groups"]] if primary else []}]}
    if prof:
        spec["IamInstanceProfile"] = prof
    new = ec2.add_instance(w, spec, age=0)
    m = _member(w, new["InstanceId"], "Pending")
    g["Instances"].append(m)

    def running():
        if new["State"]["Name"] == "pending":
            new["State"] = {"Code": 16, "Name": "running"}
            m["LifecycleState"] = "InService"
            _lb_attach(w, g, new["InstanceId"])
    w.at(w.timing["instance_seconds"], running)
    return new


# AWS: EC2 Auto Scaling API reference, DetachInstances: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DetachInstances.html
@op("autoscaling", "DetachInstances")
def detach_instances(ctx, p):
    w = ctx.world
    g = group(w, p["AutoScalingGroupName"])
    ids = p.get("InstanceIds") or []
    members = _members(g, ids, ("InService", "Standby"))
    dec = p["ShouldDecrementDesiredCapacity"]
    if dec and g["DesiredCapacity"] - len(ids) < g["MinSize"]:
        raise ApiError("ValidationError",
                       f"Currently, desiredCapacity is {g['DesiredCapacity']} and minSize is {g['MinSize']}. "
                       f"Detaching {len(ids)} instance(s) with ShouldDecrementDesiredCapacity would violate minSize.")
    drain = _drain_seconds(w, g)
    acts = []
    for iid in ids:
        m = members[iid]
        m["LifecycleState"] = "Detaching"
        _lb_detach(w, g, iid)
        cause = (f"At {_iso(w.now())} instance {iid} was detached in response to a user request"
                 + (", shrinking the capacity from %d to %d." % (g["DesiredCapacity"], g["DesiredCapacity"] - 1)
                    if dec else "."))
        acts.append(_activity(w, g, f"Detaching EC2 instance: {iid}", cause,
                              "WaitingForELBConnectionDraining" if drain else "InProgress"))
        if dec:
            g["DesiredCapacity"] -= 1

        def gone(m=m):
            if m in g["Instances"]:
                g["Instances"].remove(m)
        w.at(max(drain, w.timing["attach_seconds"]), gone)
        if not dec:
            _launch_replacement(w, g, iid)
    return {"Activities": acts}


def _iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# AWS: EC2 Auto Scaling API reference, AttachInstances: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AttachInstances.html
# "If the number of instances being attached plus the desired capacity of the
# group exceeds the maximum size of the group, the operation fails": the
# desired capacity rises by the instances attached, never above MaxSize.
@op("autoscaling", "AttachInstances")
def attach_instances(ctx, p):
    w = ctx.world
    g = group(w, p["AutoScalingGroupName"])
    ids = p.get("InstanceIds") or []
    for iid in ids:
        inst = ec2.st(w)["instances"].get(iid)
        if inst is None or inst["State"]["Name"] != "running":
            raise ApiError("ValidationError", f"Instance {iid} is not in correct state.")
        for other in st(w)["groups"].values():
            if any(m["InstanceId"] == iid for m in other["Instances"]):
                raise ApiError("ValidationError",
                               f"The instance {iid} is already part of an Auto Scaling group.")
    if g["DesiredCapacity"] + len(ids) > g["MaxSize"]:
        raise ApiError("ValidationError",
                       f"Cannot update group {g['AutoScalingGroupName']}: desired capacity "
                       f"{g['DesiredCapacity'] + len(ids)} would exceed max size {g['MaxSize']}")
    for iid in ids:
        g["Instances"].append(_member(w, iid))
        g["DesiredCapacity"] += 1
        _lb_attach(w, g, iid)
    return {}


# AWS: EC2 Auto Scaling API reference, UpdateAutoScalingGroup: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html
@op("autoscaling", "UpdateAutoScalingGroup")
def update_asg(ctx, p):
    g = group(ctx.world, p["AutoScalingGroupName"])
    lo = p.get("MinSize", g["MinSize"])
    hi = p.get("MaxSize", g["MaxSize"])
    want = p.get("DesiredCapacity", g["DesiredCapacity"])
    if not lo <= want <= hi:
        raise ApiError("ValidationError",
                       f"Desired capacity:{want} must be between the specified min size:{lo} and max size:{hi}")
    g["MinSize"], g["MaxSize"], g["DesiredCapacity"] = lo, hi, want
    return {}


# AWS: EC2 Auto Scaling API reference, SetInstanceProtection: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceProtection.html
@op("autoscaling", "SetInstanceProtection")
def set_instance_protection(ctx, p):
    g = group(ctx.world, p["AutoScalingGroupName"])
    for iid in p["InstanceIds"]:
        m = next((m for m in g["Instances"] if m["InstanceId"] == iid), None)
        if m is None:
            raise ApiError("ValidationError", f"The instance {iid} is not part of Auto Scaling group "
                           f"{g['AutoScalingGroupName']}.")
        m["ProtectedFromScaleIn"] = p["ProtectedFromScaleIn"]
    return {}


PROCESSES = ("Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification", "AZRebalance", "HealthCheck",
             "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions")


def _processes(p):
    names = p.get("ScalingProcesses") or list(PROCESSES)
    for n in names:
        if n not in PROCESSES:
            raise ApiError("ValidationError", f"Process name {n} is not valid")
    return names


# AWS: EC2 Auto Scaling API reference, SuspendProcesses: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SuspendProcesses.html
@op("autoscaling", "SuspendProcesses")
def suspend_processes(ctx, p):
    g = group(ctx.world, p["AutoScalingGroupName"])
    have = {s["ProcessName"] for s in g["SuspendedProcesses"]}
    for n in _processes(p):
        if n not in have:
            g["SuspendedProcesses"].append({"ProcessName": n, "SuspensionReason": "User suspended at "
                                            + _iso(ctx.world.now())})
    return {}


# AWS: EC2 Auto Scaling API reference, ResumeProcesses: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_ResumeProcesses.html
@op("autoscaling", "ResumeProcesses")
def resume_processes(ctx, p):
    g = group(ctx.world, p["AutoScalingGroupName"])
    names = set(_processes(p))
    g["SuspendedProcesses"] = [s for s in g["SuspendedProcesses"] if s["ProcessName"] not in names]
    return {}


# AWS: EC2 Auto Scaling API reference, EnterStandby: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_EnterStandby.html
@op("autoscaling", "EnterStandby")
def enter_standby(ctx, p):
    w = ctx.world
    g = group(w, p["AutoScalingGroupName"])
    ids = p.get("InstanceIds") or []
    dec = p["ShouldDecrementDesiredCapacity"]
    members = _members(g, ids, ("InService",))
    if dec and g["DesiredCapacity"] - len(ids) < g["MinSize"]:
        raise ApiError("ValidationError", f"Cannot decrement desired capacity below min size {g['MinSize']}")
    drain = _drain_seconds(w, g)
    acts = []
    for iid in ids:
        m = members[iid]
        m["LifecycleState"] = "EnteringStandby"
        _lb_detach(w, g, iid)
        if dec:
            g["DesiredCapacity"] -= 1
        else:
            _launch_replacement(w, g, iid)

        def standby(m=m):
            if m["LifecycleState"] == "EnteringStandby":
                m["LifecycleState"] = "Standby"
        w.at(drain, standby)
        acts.append(_activity(w, g, f"Moving EC2 instance to Standby: {iid}",
                              f"At {_iso(w.now())} instance {iid} was moved to standby in response to a user request"))
    return {"Activities": acts}


# AWS: EC2 Auto Scaling API reference, ExitStandby: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_ExitStandby.html
# "After you put the instances back in service, the desired capacity is
# incremented"; the user guide, "Temporarily remove instances from your Auto
# Scaling group" (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-enter-exit-standby.html),
# says the same of returning a standby instance to service; and the desired
# capacity "must be greater than or equal to the minimum size of the group
# and less than or equal to the maximum size of the group" (API reference,
# UpdateAutoScalingGroup, DesiredCapacity).  So a group whose desired
# capacity is already at MaxSize (EnterStandby kept the capacity and a
# replacement serves) refuses ExitStandby, as it refuses AttachInstances,
# with nothing changed.
@op("autoscaling", "ExitStandby")
def exit_standby(ctx, p):
    """Standby -> Pending -> InService; the desired capacity grows by one and
    the instance is registered with the group's load balancers again; above
    MaxSize: ValidationError, nothing changed."""
    w = ctx.world
    g = group(w, p["AutoScalingGroupName"])
    ids = p.get("InstanceIds") or []
    members = _members(g, ids, ("Standby",))
    if g["DesiredCapacity"] + len(ids) > g["MaxSize"]:
        raise ApiError("ValidationError",
                       f"Cannot update group {g['AutoScalingGroupName']}: desired capacity "
                       f"{g['DesiredCapacity'] + len(ids)} would exceed max size {g['MaxSize']}")
    acts = []
    for iid in ids:
        m = members[iid]
        m["LifecycleState"] = "Pending"
        g["DesiredCapacity"] += 1

        def in_service(m=m, iid=iid):
            if m["LifecycleState"] == "Pending":
                m["LifecycleState"] = "InService"
                _lb_attach(w, g, iid)
        w.at(w.timing["attach_seconds"], in_service)
        acts.append(_activity(w, g, f"Moving EC2 instance out of Standby: {iid}",
                              f"At {_iso(w.now())} instance {iid} was moved out of standby in response to a user "
                              "request"))
    return {"Activities": acts}
