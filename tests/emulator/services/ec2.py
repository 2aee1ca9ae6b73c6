"""EC2 core: ids and lookups shared by the EC2 modules, seeding, VPCs,
subnets, instances and their attributes, ENIs.  Security groups live in
ec2_sg, EBS in ec2_ebs, tags/profiles/metadata options in ec2_misc.

One source of truth per fact: an instance's NetworkInterfaces come from the
ENIs attached to it, its BlockDeviceMappings from the volumes attached, its
SecurityGroups from its primary ENI and its IamInstanceProfile from the
current association — so a change through any API shows up everywhere.

The calls follow their EC2 API reference pages
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/): resource ids and
their Malformed / NotFound codes ("Error codes for the Amazon EC2 API",
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html),
DescribeInstances' filters and MaxResults paging (not with InstanceIds),
ModifyInstanceAttribute (one attribute per call; Groups refused on a
multi-ENI instance; no termination protection on Spot), Stop/Start/
TerminateInstances and the instance states' codes ("Amazon EC2 instance state
changes", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html),
ModifyNetworkInterfaceAttribute (one attribute per call; connection-tracking
timeouts within their ranges).
"""
import ipaddress
import re
import sys

from errors import ApiError
from services import iam, op, register
from world import apply_filters, clone, paginate, tags_list
from wire import project, shape_of

register(sys.modules[__name__])

_ID_RE = {
    "i": re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "vol": re.compile(r"^vol-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "snap": re.compile(r"^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "sg": re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "eni": re.compile(r"^eni-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "vpc": re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "subnet": re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
}
_NOTFOUND = {
    "i": ("InvalidInstanceID.NotFound", "The instance ID '{}' does not exist", "InvalidInstanceID.Malformed"),
    "vol": ("InvalidVolume.NotFound", "The volume '{}' does not exist.", "InvalidVolumeID.Malformed"),
    "snap": ("InvalidSnapshot.NotFound", "The snapshot '{}' does not exist.", "InvalidSnapshotID.Malformed"),
    "sg": ("InvalidGroup.NotFound", "The security group '{}' does not exist", "InvalidGroupId.Malformed"),
    "eni": ("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '{}' does not exist",
            "InvalidNetworkInterfaceID.Malformed"),
    "vpc": ("InvalidVpcID.NotFound", "The vpc ID '{}' does not exist", "InvalidVpcID.Malformed"),
    "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '{}' does not exist", "InvalidSubnetID.Malformed"),
}
_TABLE = {"i": "instances", "vol": "volumes", "snap": "snapshots", "sg": "sgs", "eni": "enis",
          "vpc": "vpcs", "subnet": "subnets"}
_RTYPE = {"i": "instance", "vol": "volume", "snap": "snapshot", "sg": "security-group",
          "eni": "network-interface", "vpc": "vpc", "subnet": "subnet"}
_STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
DEFAULT_ATTACH_LIMIT = 28   # Nitro: shared by ENIs and EBS volumes
SEEDED_AGE = 3600   # a seeded instance was launched (with its profile) this long ago


def st(world):
    return world.ns.setdefault("ec2", {k: {} for k in
                                       ("vpcs", "subnets", "sgs", "instances", "enis", "volumes",
                                        "snapshots", "assocs", "attrs")})


def check_id(rid, kind):
    if not isinstance(rid, str) or not _ID_RE[kind].match(rid):
        raise ApiError(_NOTFOUND[kind][2], f'Invalid id: "{rid}"')


def get(world, kind, rid, explicit=True):
    """Look a resource up as a request naming it would: malformed, missing, or hidden."""
    check_id(rid, kind)
    r = st(world)[_TABLE[kind]].get(rid)
    if r is None or r.get("_gone") or (explicit and not world.visible(rid)):
        code, msg, _ = _NOTFOUND[kind]
        raise ApiError(code, msg.format(rid))
    return r


def _listing(world, kind, ids):
    """Resources for a Describe: named ones (each must exist) or all visible ones."""
    table = st(world)[_TABLE[kind]]
    if ids:
        out = []
        for rid in ids:
            out.append(get(world, kind, rid))
        return out
    return [r for rid, r in table.items() if not r.get("_gone") and world.visible(rid)]


def _tag_specs(p, rtype):
    tags = []
    for spec in p.get("TagSpecifications") or []:
        if spec.get("ResourceType") != rtype:
            raise ApiError("InvalidParameterValue",
                           f"'{spec.get('ResourceType')}' is not a valid taggable resource type for this operation.")
        tags.extend(spec.get("Tags") or [])
    for t in tags:
        if t["Key"].lower().startswith("aws:"):
            raise ApiError("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
    return tags


def _max_results(p, with_ids_field):
    if p.get("MaxResults") is not None and p.get(with_ids_field):
        raise ApiError("InvalidParameterCombination",
                       f"The parameter {with_ids_field[:-1]}s cannot be used with the parameter maxResults")


# ------------------------------------------------------------------ seeding

def _az_region(az):
    return az[:-1]


def add_vpc(world, spec):
    s = st(world)
    vid = spec.get("VpcId") or world.new_id("vpc")
    check_id(vid, "vpc")
    v = {"VpcId": vid, "CidrBlock": spec.get("CidrBlock", "10.0.0.0/16"), "State": "available",
         "OwnerId": world.account_id, "InstanceTenancy": "default", "IsDefault": spec.get("IsDefault", False),
         "DhcpOptionsId": "dopt-0a1b2c3d", "Tags": tags_list(spec.get("Tags")),
         "CidrBlockAssociationSet": [{"AssociationId": world.new_id("vpc-cidr-assoc"),
                                      "CidrBlock": spec.get("CidrBlock", "10.0.0.0/16"),
                                      "CidrBlockState": {"State": "associated"}}]}
    if spec.get("Ipv6CidrBlock"):
        v["Ipv6CidrBlockAssociationSet"] = [{"AssociationId": world.new_id("vpc-cidr-assoc"),
                                             "Ipv6CidrBlock": spec["Ipv6CidrBlock"],
                                             "Ipv6CidrBlockState": {"State": "associated"},
                                             "NetworkBorderGroup": world.region}]
    s["vpcs"][vid] = v
    # every VPC has its "default" security group
    from services.ec2_sg import add_sg
    add_sg(world, {"GroupName": "default", "Description": "default VPC security group", "VpcId": vid,
                   "GroupId": spec.get("DefaultSecurityGroupId")}, is_default=True)
    return v


def add_subnet(world, spec):
    s = st(world)
    sid = spec.get("SubnetId") or world.new_id("subnet")
    check_id(sid, "subnet")
    vpc = get(world, "vpc", spec["VpcId"], explicit=False)
    az = spec.get("AvailabilityZone", world.region + "a")
    sn = {"SubnetId": sid, "VpcId": vpc["VpcId"], "CidrBlock": spec.get("CidrBlock", "10.0.1.0/24"),
          "AvailabilityZone": az, "AvailabilityZoneId": "use1-az1", "State": "available",
          "AvailableIpAddressCount": 250, "DefaultForAz": False, "MapPublicIpOnLaunch": False,
          "OwnerId": world.account_id, "Tags": tags_list(spec.get("Tags")),
          "SubnetArn": f"arn:{world.partition()}:ec2:{world.region}:{world.account_id}:subnet/{sid}",
          "AssignIpv6AddressOnCreation": False, "Ipv6CidrBlockAssociationSet": []}
    if spec.get("Ipv6CidrBlock"):
        sn["Ipv6CidrBlockAssociationSet"] = [{"AssociationId": world.new_id("subnet-cidr-assoc"),
                                              "Ipv6CidrBlock": spec["Ipv6CidrBlock"],
                                              "Ipv6CidrBlockState": {"State": "associated"}}]
    s["subnets"][sid] = sn
    return sn


def _eni_record(world, spec, inst, index, subnet):
    eid = spec.get("NetworkInterfaceId") or world.new_id("eni")
    check_id(eid, "eni")
    sub = get(world, "subnet", spec.get("SubnetId") or subnet["SubnetId"], explicit=False)
    groups = []
    for gid in spec.get("Groups") or []:
        gid = gid["GroupId"] if isinstance(gid, dict) else gid
        g = get(world, "sg", gid, explicit=False)
        groups.append({"GroupId": g["GroupId"], "GroupName": g["GroupName"]})
    if not groups:
        for g in st(world)["sgs"].values():
            if g["VpcId"] == sub["VpcId"] and g["GroupName"] == "default":
                groups.append({"GroupId": g["GroupId"], "GroupName": g["GroupName"]})
    net = ipaddress.ip_network(sub["CidrBlock"])
    ip = spec.get("PrivateIpAddress") or str(net.network_address + 10 + len(st(world)["enis"]))
    secondaries = spec.get("SecondaryPrivateIpAddresses") or []
    priv = [{"Primary": True, "PrivateIpAddress": ip, "PrivateDnsName": _dns(ip, world)}]
    priv += [{"Primary": False, "PrivateIpAddress": a, "PrivateDnsName": _dns(a, world)} for a in secondaries]
    e = {"NetworkInterfaceId": eid, "SubnetId": sub["SubnetId"], "VpcId": sub["VpcId"],
         "AvailabilityZone": sub["AvailabilityZone"], "Description": spec.get("Description", ""),
         "Groups": groups, "InterfaceType": "interface",
         "Ipv6Addresses": [{"Ipv6Address": a} for a in spec.get("Ipv6Addresses") or []],
         "MacAddress": spec.get("MacAddress") or "0a:%02x:%02x:00:00:%02x" % (len(st(world)["enis"]) % 256, index, 1),
         "OwnerId": world.account_id, "PrivateDnsName": _dns(ip, world), "PrivateIpAddress": ip,
         "PrivateIpAddresses": priv, "RequesterManaged": False, "SourceDestCheck": True,
         "Status": "available", "TagSet": tags_list(spec.get("Tags"))}
    if spec.get("ConnectionTrackingConfiguration"):
        _set_conntrack(e, spec["ConnectionTrackingConfiguration"])  # configured at launch
    if spec.get("PublicIp"):
        assoc = {"PublicIp": spec["PublicIp"], "PublicDnsName": f"ec2-{spec['PublicIp'].replace('.', '-')}.compute-1.amazonaws.com",
                 "IpOwnerId": "amazon"}
        e["Association"] = assoc
        priv[0]["Association"] = dict(assoc)
    if inst is not None:
        e["Status"] = "in-use"
        e["Attachment"] = {"AttachmentId": world.new_id("eni-attach"), "AttachTime": inst["LaunchTime"],
                           "DeleteOnTermination": spec.get("DeleteOnTermination", index == 0),
                           "DeviceIndex": index, "NetworkCardIndex": 0, "InstanceId": inst["InstanceId"],
                           "InstanceOwnerId": world.account_id, "Status": "attached"}
    st(world)["enis"][eid] = e
    return e


def _dns(ip, world):
    return "ip-" + ip.replace(".", "-") + (".ec2.internal" if world.region == "us-east-1"
                                           else f".{world.region}.compute.internal")


def default_key(world, spec):
    """KmsKeyId of an encrypted volume or snapshot: the one named, else the
    ARN of the AWS managed key aws/ebs (services/kms.aws_managed_key)."""
    if not spec.get("Encrypted") or spec.get("KmsKeyId"):
        return spec.get("KmsKeyId")
    from services import kms
    return kms.aws_managed_key(world)["Arn"]


def add_volume(world, spec, inst=None):
    vid = spec.get("VolumeId") or world.new_id("vol")
    check_id(vid, "vol")
    az = spec.get("AvailabilityZone") or (inst["Placement"]["AvailabilityZone"] if inst else world.region + "a")
    v = {"VolumeId": vid, "Size": spec.get("Size", 8), "SnapshotId": spec.get("SnapshotId", ""),
         "AvailabilityZone": az, "State": "available", "CreateTime": world.now(),
         "Attachments": [], "VolumeType": spec.get("VolumeType", "gp3"), "Iops": spec.get("Iops", 3000),
         "Encrypted": spec.get("Encrypted", False), "MultiAttachEnabled": False,
         "Tags": tags_list(spec.get("Tags")), "KmsKeyId": default_key(world, spec)}
    if v["VolumeType"] == "gp3":
        v["Throughput"] = 125
    st(world)["volumes"][vid] = v
    return v


def _attach_record(world, v, inst, device, dot, state="attached"):
    v["Attachments"] = [{"AttachTime": world.now(), "Device": device, "InstanceId": inst["InstanceId"],
                         "State": state, "VolumeId": v["VolumeId"], "DeleteOnTermination": dot}]
    v["State"] = "in-use"


def add_instance(world, spec, age=SEEDED_AGE):
    """An instance launched `age` seconds ago (seeded ones: an hour)."""
    s = st(world)
    iid = spec.get("InstanceId") or world.new_id("i")
    check_id(iid, "i")
    subnet = get(world, "subnet", spec["SubnetId"], explicit=False)
    state = spec.get("State", "running")
    state = state["Name"] if isinstance(state, dict) else state
    inst = {"InstanceId": iid, "ImageId": spec.get("ImageId", "ami-0abcdef1234567890"),
            "InstanceType": spec.get("InstanceType", "t3.micro"),
            "State": {"Code": _STATE_CODES[state], "Name": state},
            "Placement": {"AvailabilityZone": subnet["AvailabilityZone"], "Tenancy": "default", "GroupName": ""},
            "SubnetId": subnet["SubnetId"], "VpcId": subnet["VpcId"], "LaunchTime": world.now() - age,
            "Architecture": "x86_64", "Hypervisor": "xen", "VirtualizationType": "hvm", "RootDeviceType": "ebs",
            "RootDeviceName": spec.get("RootDeviceName", "/dev/xvda"), "AmiLaunchIndex": 0,
            "Monitoring": {"State": "disabled"}, "EbsOptimized": True, "EnaSupport": True,
            "SourceDestCheck": True, "Tags": tags_list(spec.get("Tags")), "KeyName": spec.get("KeyName"),
            "PrivateDnsNameOptions": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
                                      "EnableResourceNameDnsAAAARecord": False},
            "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                                "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled",
                                "InstanceMetadataTags": "disabled"},
            "_reservation": world.new_id("r"),
            "InstanceLifecycle": spec.get("InstanceLifecycle"),   # "spot" (absent: on-demand)
            "SpotInstanceRequestId": ("sir-" + world.new_id("x", 8)[2:]) if spec.get("InstanceLifecycle") == "spot"
            else None,
            "_attach_limit": spec.get("AttachmentLimit", DEFAULT_ATTACH_LIMIT)}
    inst["MetadataOptions"].update(spec.get("MetadataOptions") or {})
    s["instances"][iid] = inst
    s["attrs"][iid] = {"DisableApiTermination": spec.get("DisableApiTermination", False),
                       "DisableApiStop": spec.get("DisableApiStop", False),
                       "InstanceInitiatedShutdownBehavior": spec.get("InstanceInitiatedShutdownBehavior", "stop")}
    enis = spec.get("NetworkInterfaces") or [{}]
    for i, es in enumerate(enis):
        _eni_record(world, es, inst, es.get("DeviceIndex", i), subnet)
    bdms = spec.get("BlockDeviceMappings")
    if bdms is None:
        bdms = [{"DeviceName": inst["RootDeviceName"], "Size": 8}]
    for b in bdms:
        ebs = b.get("Ebs", b)
        vid = ebs.get("VolumeId")
        v = s["volumes"].get(vid) if vid else None
        if v is None:
            v = add_volume(world, {"VolumeId": vid, "Size": ebs.get("Size", ebs.get("VolumeSize", 8)),
                                   "VolumeType": ebs.get("VolumeType", "gp3"), "Tags": ebs.get("Tags")}, inst)
        _attach_record(world, v, inst, b["DeviceName"], ebs.get("DeleteOnTermination", True))
    prof = spec.get("IamInstanceProfile")
    if prof:
        name = prof if isinstance(prof, str) else prof.get("Name") or prof["Arn"].rsplit("/", 1)[1]
        p = iam.profile(world, name)
        aid = world.new_id("iip-assoc")
        s["assocs"][aid] = {"AssociationId": aid, "InstanceId": iid, "State": "associated",
                            "IamInstanceProfile": {"Arn": p["Arn"], "Id": p["InstanceProfileId"]},
                            "Timestamp": inst["LaunchTime"]}
    return inst


def seed(world, sc):
    ec2 = sc.get("ec2") or sc
    for v in ec2.get("vpcs") or []:
        add_vpc(world, v)
    for sn in ec2.get("subnets") or []:
        add_subnet(world, sn)
    from services.ec2_sg import add_sg
    for g in ec2.get("security_groups") or []:
        add_sg(world, g)
    from services.ec2_ebs import _add_snapshot   # (ec2_ebs builds on this module)
    for s in ec2.get("snapshots") or []:
        _add_snapshot(world, s)
    for v in ec2.get("volumes") or []:
        add_volume(world, v)
    for i in ec2.get("instances") or []:
        add_instance(world, i)


def dump(world):
    from services.ec2_sg import _sg_out
    s = st(world)
    return {"vpcs": s["vpcs"], "subnets": s["subnets"],
            "security_groups": {k: _sg_out(g) for k, g in s["sgs"].items()},
            "instances": {k: {**_instance_out(world, i), "Attributes": s["attrs"][k]} for k, i in s["instances"].items()},
            "network_interfaces": s["enis"], "volumes": s["volumes"], "snapshots": s["snapshots"],
            "iam_instance_profile_associations": s["assocs"], "failed_volumes": s.get("failed_volumes", {})}


# ----------------------------------------------------------------- instances

def _instance_out(world, inst):
    s = st(world)
    out = {k: clone(v) for k, v in inst.items() if not k.startswith("_")}
    enis = sorted((e for e in s["enis"].values()
                   if (e.get("Attachment") or {}).get("InstanceId") == inst["InstanceId"]),
                  key=lambda e: e["Attachment"]["DeviceIndex"])
    out["NetworkInterfaces"] = []
    for e in enis:
        x = clone(e)
        x.pop("TagSet", None)
        out["NetworkInterfaces"].append(x)
    primary = enis[0] if enis and enis[0]["Attachment"]["DeviceIndex"] == 0 else None
    out["SecurityGroups"] = clone(primary["Groups"]) if primary else []
    if primary:
        out["PrivateIpAddress"] = primary["PrivateIpAddress"]
        out["PrivateDnsName"] = primary["PrivateDnsName"]
        if primary.get("Association"):
            out["PublicIpAddress"] = primary["Association"]["PublicIp"]
            out["PublicDnsName"] = primary["Association"]["PublicDnsName"]
        if primary.get("Ipv6Addresses"):
            out["Ipv6Address"] = primary["Ipv6Addresses"][0]["Ipv6Address"]
    bdm = []
    for v in s["volumes"].values():
        for a in v["Attachments"]:
            if a["InstanceId"] == inst["InstanceId"]:
                bdm.append({"DeviceName": a["Device"],
                            "Ebs": {"AttachTime": a["AttachTime"], "DeleteOnTermination": a["DeleteOnTermination"],
                                    "Status": a["State"], "VolumeId": v["VolumeId"]}})
    bdm.sort(key=lambda b: b["DeviceName"])
    out["BlockDeviceMappings"] = bdm
    for a in s["assocs"].values():
        if a["InstanceId"] == inst["InstanceId"] and a["State"] in ("associated", "associating"):
            out["IamInstanceProfile"] = clone(a["IamInstanceProfile"])
    if inst["State"]["Name"] in ("stopped", "terminated"):
        out.pop("PublicIpAddress", None)
    return out


def instance(world, iid):
    return get(world, "i", iid)


def _inst_getters():
    def enis(i):
        return i["NetworkInterfaces"]
    return {
        "instance-id": lambda i: i["InstanceId"],
        "instance-state-name": lambda i: i["State"]["Name"],
        "instance-state-code": lambda i: str(i["State"]["Code"]),
        "instance-type": lambda i: i["InstanceType"],
        "vpc-id": lambda i: i.get("VpcId"), "subnet-id": lambda i: i.get("SubnetId"),
        "availability-zone": lambda i: i["Placement"]["AvailabilityZone"],
        "image-id": lambda i: i["ImageId"],
        "private-ip-address": lambda i: i.get("PrivateIpAddress"),
        "ip-address": lambda i: i.get("PublicIpAddress"),
        "private-dns-name": lambda i: i.get("PrivateDnsName"),
        "iam-instance-profile.arn": lambda i: (i.get("IamInstanceProfile") or {}).get("Arn"),
        "instance.group-id": lambda i: [g["GroupId"] for g in i["SecurityGroups"]],
        "instance.group-name": lambda i: [g["GroupName"] for g in i["SecurityGroups"]],
        "network-interface.network-interface-id": lambda i: [e["NetworkInterfaceId"] for e in enis(i)],
        "network-interface.addresses.private-ip-address":
            lambda i: [a["PrivateIpAddress"] for e in enis(i) for a in e["PrivateIpAddresses"]],
        "network-interface.private-ip-address": lambda i: [e["PrivateIpAddress"] for e in enis(i)],
        "network-interface.ipv6-addresses.ipv6-address":
            lambda i: [a["Ipv6Address"] for e in enis(i) for a in e["Ipv6Addresses"]],
        "network-interface.group-id": lambda i: [g["GroupId"] for e in enis(i) for g in e["Groups"]],
        "block-device-mapping.volume-id": lambda i: [b["Ebs"]["VolumeId"] for b in i["BlockDeviceMappings"]],
        "block-device-mapping.device-name": lambda i: [b["DeviceName"] for b in i["BlockDeviceMappings"]],
        "metadata-options.http-tokens": lambda i: i["MetadataOptions"]["HttpTokens"],
    }


_INST_GETTERS = _inst_getters()


# AWS: EC2 API reference, DescribeInstances: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
@op("ec2", "DescribeInstances")
def describe_instances(ctx, p):
    w = ctx.world
    _max_results(p, "InstanceIds")
    recs = _listing(w, "i", p.get("InstanceIds"))
    items = [_instance_out(w, i) for i in recs]
    for it, rec in zip(items, recs):
        it["_reservation"] = rec["_reservation"]
    items = apply_filters(items, p.get("Filters"), _INST_GETTERS)
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    shape = shape_of("ec2", "Instance")
    res = []
    for it in page:
        res.append({"ReservationId": it["_reservation"], "OwnerId": w.account_id, "Groups": [],
                    "Instances": [project(shape, it)]})
    out = {"Reservations": res}
    if nxt:
        out["NextToken"] = nxt
    return out


# AWS: EC2 API reference, DescribeInstanceAttribute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceAttribute.html
@op("ec2", "DescribeInstanceAttribute")
def describe_instance_attribute(ctx, p):
    w = ctx.world
    inst = instance(w, p["InstanceId"])
    a = st(w)["attrs"][inst["InstanceId"]]
    attr = p["Attribute"]
    out = {"InstanceId": inst["InstanceId"]}
    if attr == "disableApiTermination":
        out["DisableApiTermination"] = {"Value": a["DisableApiTermination"]}
    elif attr == "disableApiStop":
        out["DisableApiStop"] = {"Value": a["DisableApiStop"]}
    elif attr == "instanceInitiatedShutdownBehavior":
        out["InstanceInitiatedShutdownBehavior"] = {"Value": a["InstanceInitiatedShutdownBehavior"]}
    elif attr == "groupSet":
        out["Groups"] = _instance_out(w, inst)["SecurityGroups"]
    elif attr == "blockDeviceMapping":
        out["BlockDeviceMappings"] = _instance_out(w, inst)["BlockDeviceMappings"]
    elif attr == "instanceType":
        out["InstanceType"] = {"Value": inst["InstanceType"]}
    elif attr == "sourceDestCheck":
        out["SourceDestCheck"] = {"Value": inst["SourceDestCheck"]}
    else:
        raise ApiError("InvalidParameterValue", f"Value ({attr}) for parameter attribute is invalid. Unknown attribute.")
    return out


def _attr_bool(v):
    return v["Value"] if isinstance(v, dict) else v


# AWS: EC2 API reference, ModifyInstanceAttribute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html
@op("ec2", "ModifyInstanceAttribute")
def modify_instance_attribute(ctx, p):
    w = ctx.world
    inst = instance(w, p["InstanceId"])
    a = st(w)["attrs"][inst["InstanceId"]]
    changed = False
    attr, value = p.get("Attribute"), p.get("Value")
    if attr is not None and value is not None:
        key = {"disableApiTermination": "DisableApiTermination", "disableApiStop": "DisableApiStop",
               "instanceInitiatedShutdownBehavior": "InstanceInitiatedShutdownBehavior"}.get(attr)
        if key is None:
            raise ApiError("InvalidParameterValue", f"Value ({attr}) for parameter attribute is invalid.")
        p = dict(p)
        p[key] = {"Value": value if key.endswith("Behavior") else value == "true"}
    for key in ("DisableApiTermination", "DisableApiStop"):
        if p.get(key) is not None:
            v = p[key].get("Value")
            if v is None:
                raise ApiError("MissingParameter", f"The request must contain the parameter {key}.Value")
            if key == "DisableApiTermination" and inst.get("InstanceLifecycle") == "spot":
                # EC2 user guide, "Change instance termination protection": "You can't
                # enable termination protection for Spot Instances"
                # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_ChangingDisableAPITermination.html)
                raise ApiError("UnsupportedOperation",
                               "Modifying 'disableApiTermination' is not supported for spot instances.")
            a[key] = v
            changed = True
    if p.get("InstanceInitiatedShutdownBehavior") is not None:
        v = p["InstanceInitiatedShutdownBehavior"].get("Value")
        if v not in ("stop", "terminate"):
            raise ApiError("InvalidParameterValue",
                           f"Value ({v}) for parameter instanceInitiatedShutdownBehavior is invalid.")
        a["InstanceInitiatedShutdownBehavior"] = v
        changed = True
    if p.get("SourceDestCheck") is not None:
        inst["SourceDestCheck"] = p["SourceDestCheck"]["Value"]
        changed = True
    if p.get("Groups") is not None:
        enis = [e for e in st(w)["enis"].values() if (e.get("Attachment") or {}).get("InstanceId") == inst["InstanceId"]]
        if len(enis) > 1:
            raise ApiError("InvalidInstanceID",
                           f"There are multiple interfaces attached to instance '{inst['InstanceId']}'. "
                           "Please specify an interface ID for the operation instead.")
        _set_eni_groups(w, enis[0], p["Groups"])
        changed = True
    for b in p.get("BlockDeviceMappings") or []:
        dev = b.get("DeviceName")
        ebs = b.get("Ebs") or {}
        hit = None
        for v in st(w)["volumes"].values():
            for att in v["Attachments"]:
                if att["InstanceId"] == inst["InstanceId"] and att["Device"] == dev:
                    hit = att
        if hit is None or (ebs.get("VolumeId") and ebs["VolumeId"] != hit["VolumeId"]):
            raise ApiError("InvalidInstanceAttributeValue",
                           f"No device is currently mapped at {dev}")
        if ebs.get("DeleteOnTermination") is not None:
            hit["DeleteOnTermination"] = ebs["DeleteOnTermination"]
        changed = True
    if not changed:
        raise ApiError("InvalidParameterCombination", "No attributes specified.")
    return {}


def _set_eni_groups(w, eni, gids):
    if not gids:
        raise ApiError("InvalidParameterValue", "Value () for parameter groupId is invalid. The value cannot be empty")
    groups = []
    for gid in gids:
        g = get(w, "sg", gid)
        if g["VpcId"] != eni["VpcId"]:
            raise ApiError("InvalidGroup.NotFound",
                           f"The security group '{gid}' does not exist in VPC '{eni['VpcId']}'")
        groups.append({"GroupId": g["GroupId"], "GroupName": g["GroupName"]})
    eni["Groups"] = groups


def _change_state(w, inst, new, final, delay):
    prev = clone(inst["State"])
    inst["State"] = {"Code": _STATE_CODES[new], "Name": new}

    def done():
        if inst["State"]["Name"] == new:
            inst["State"] = {"Code": _STATE_CODES[final], "Name": final}
            if final == "terminated":
                _on_terminated(w, inst)
                w.at(w.timing["terminated_visible_seconds"], lambda: _forget(w, inst))
    w.at(delay, done)
    return {"InstanceId": inst["InstanceId"], "CurrentState": clone(inst["State"]), "PreviousState": prev}


def _on_terminated(w, inst):
    s = st(w)
    for v in list(s["volumes"].values()):
        for a in list(v["Attachments"]):
            if a["InstanceId"] == inst["InstanceId"]:
                v["Attachments"] = []
                v["State"] = "available"
                if a["DeleteOnTermination"]:
                    del s["volumes"][v["VolumeId"]]
    for e in list(s["enis"].values()):
        att = e.get("Attachment") or {}
        if att.get("InstanceId") == inst["InstanceId"]:
            if att.get("DeleteOnTermination"):
                del s["enis"][e["NetworkInterfaceId"]]
            else:
                e.pop("Attachment")
                e["Status"] = "available"
    for a in s["assocs"].values():
        if a["InstanceId"] == inst["InstanceId"]:
            a["State"] = "disassociated"


def _forget(w, inst):
    """A terminated instance stays visible for a while, then EC2 no longer
    knows it: "Recently terminated instances might appear in the returned
    results. This interval is usually less than one hour" (EC2 API
    reference, DescribeInstances,
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html),
    here terminated_visible_seconds (3600).  From then on every request
    naming it, CreateTags included, is InvalidInstanceID.NotFound ("The
    specified instance does not exist", EC2 API reference, "Error codes",
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
    While it is still visible, CreateTags on it succeeds here: neither the
    CreateTags page nor "Tag your Amazon EC2 resources" says a terminated
    instance refuses tags, and ssrfguard never relies on either answer (it
    reads DescribeInstances and does not tag a terminated instance)."""
    if inst["State"]["Name"] == "terminated":
        inst["_gone"] = True     # kept for the control API's state and RunInstances' token replay


# AWS: EC2 API reference, StopInstances: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html
@op("ec2", "StopInstances")
def stop_instances(ctx, p):
    w = ctx.world
    out = []
    insts = [instance(w, i) for i in p["InstanceIds"]]
    for inst in insts:
        if st(w)["attrs"][inst["InstanceId"]]["DisableApiStop"]:
            raise ApiError("OperationNotPermitted",
                           f"The instance '{inst['InstanceId']}' may not be stopped. Modify its 'disableApiStop' "
                           "instance attribute and try again.")
    for inst in insts:
        out.append(_change_state(w, inst, "stopping", "stopped", w.timing["instance_seconds"]))
    return {"StoppingInstances": out}


# AWS: EC2 API reference, StartInstances: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StartInstances.html
@op("ec2", "StartInstances")
def start_instances(ctx, p):
    w = ctx.world
    out = []
    for iid in p["InstanceIds"]:
        inst = instance(w, iid)
        if inst["State"]["Name"] not in ("stopped", "running"):
            raise ApiError("IncorrectInstanceState",
                           f"The instance '{iid}' is not in a state from which it can be started.")
        out.append(_change_state(w, inst, "pending", "running", w.timing["instance_seconds"]))
    return {"StartingInstances": out}


def _terminate(w, inst):
    """An instance terminates in two steps: "When you terminate an instance,
    it enters the shutting-down state and then the terminated state" (EC2
    user guide, "State change events for Amazon EC2 instances",
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html;
    "Amazon EC2 instance state changes",
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html:
    shutting-down "The instance is preparing to be terminated", terminated
    "The instance has been permanently deleted and cannot be started"),
    here over shutdown_seconds (the guide gives no duration).  Its EBS
    volumes stay attached while it shuts down; once it is terminated each is
    deleted or detached and kept as its DeleteOnTermination says
    (VolumeAttachment.DeleteOnTermination, "Indicates whether the EBS volume
    is deleted on instance termination", EC2 API reference): _on_terminated."""
    return _change_state(w, inst, "shutting-down", "terminated", w.timing["shutdown_seconds"])


# AWS: EC2 API reference, TerminateInstances: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html
@op("ec2", "TerminateInstances")
def terminate_instances(ctx, p):
    w = ctx.world
    insts = [instance(w, i) for i in p["InstanceIds"]]
    for inst in insts:
        if st(w)["attrs"][inst["InstanceId"]]["DisableApiTermination"]:
            raise ApiError("OperationNotPermitted",
                           f"The instance '{inst['InstanceId']}' may not be terminated. Modify its "
                           "'disableApiTermination' instance attribute and try again.")
    return {"TerminatingInstances": [_terminate(w, i) for i in insts]}


def control(world, method, path, q, data):
    if path == "/ec2/terminate" and method == "POST":
        # {"instance_id"}: terminated from outside the responder (a Spot
        # interruption, an administrator), as TerminateInstances does it
        with world.lock:
            return 200, _terminate(world, instance(world, data["instance_id"]))
    return None


# -------------------------------------------------------- network interfaces

_ENI_FILTERS = {
    "network-interface-id": lambda e: e["NetworkInterfaceId"],
    "attachment.instance-id": lambda e: (e.get("Attachment") or {}).get("InstanceId"),
    "attachment.device-index": lambda e: str((e.get("Attachment") or {}).get("DeviceIndex", "")),
    "attachment.attachment-id": lambda e: (e.get("Attachment") or {}).get("AttachmentId"),
    "vpc-id": lambda e: e["VpcId"], "subnet-id": lambda e: e["SubnetId"],
    "availability-zone": lambda e: e["AvailabilityZone"],
    "group-id": lambda e: [g["GroupId"] for g in e["Groups"]],
    "group-name": lambda e: [g["GroupName"] for g in e["Groups"]],
    "private-ip-address": lambda e: e["PrivateIpAddress"],
    "addresses.private-ip-address": lambda e: [a["PrivateIpAddress"] for a in e["PrivateIpAddresses"]],
    "ipv6-addresses.ipv6-address": lambda e: [a["Ipv6Address"] for a in e["Ipv6Addresses"]],
    "status": lambda e: e["Status"], "mac-address": lambda e: e["MacAddress"],
    "description": lambda e: e["Description"],
}


# AWS: EC2 API reference, DescribeNetworkInterfaces: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html
@op("ec2", "DescribeNetworkInterfaces")
def describe_network_interfaces(ctx, p):
    w = ctx.world
    _max_results(p, "NetworkInterfaceIds")
    items = _listing(w, "eni", p.get("NetworkInterfaceIds"))
    items = apply_filters(items, p.get("Filters"), _ENI_FILTERS, tag_field="TagSet")
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    shape = shape_of("ec2", "NetworkInterface")
    out = {"NetworkInterfaces": [project(shape, e) for e in page]}
    if nxt:
        out["NextToken"] = nxt
    return out


# Idle connection-tracking timeouts per ENI, (min, max, default) seconds
# (EC2 user guide, "Security group connection tracking", "Idle connection
# tracking timeout",
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html#connection-tracking-timeouts;
# EC2 API reference, ConnectionTrackingConfiguration,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ConnectionTrackingConfiguration.html,
# whose TCP default is 350 s on Nitro v6 types: the emulator's types are
# older).  A field left out keeps its value.  The ENI (DescribeNetworkInterfaces)
# and the instance's networkInterfaceSet (DescribeInstances) show the
# configuration once one was set, at launch (a seeded
# "ConnectionTrackingConfiguration") or by ModifyNetworkInterfaceAttribute;
# an ENI never configured shows none (its type's defaults apply).
_CONNTRACK = {"TcpEstablishedTimeout": (60, 432000, 432000), "UdpStreamTimeout": (60, 180, 180),
              "UdpTimeout": (30, 60, 30)}


def _set_conntrack(eni, spec):
    for k, v in spec.items():
        lo, hi, _ = _CONNTRACK[k]
        if not lo <= v <= hi:
            raise ApiError("InvalidParameterValue", f"Value ({v}) for parameter {k} is invalid. "
                           f"Must be between {lo} and {hi}.")
    cur = eni.setdefault("ConnectionTrackingConfiguration", {k: d for k, (_, _, d) in _CONNTRACK.items()})
    cur.update(spec)


# AWS: EC2 API reference, ModifyNetworkInterfaceAttribute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyNetworkInterfaceAttribute.html
@op("ec2", "ModifyNetworkInterfaceAttribute")
def modify_network_interface_attribute(ctx, p):
    w = ctx.world
    e = get(w, "eni", p["NetworkInterfaceId"])
    changed = False
    if p.get("Groups") is not None:
        _set_eni_groups(w, e, p["Groups"])
        changed = True
    if p.get("SourceDestCheck") is not None:
        e["SourceDestCheck"] = p["SourceDestCheck"]["Value"]
        changed = True
    if p.get("Description") is not None:
        e["Description"] = p["Description"].get("Value", "")
        changed = True
    if p.get("ConnectionTrackingSpecification") is not None:
        _set_conntrack(e, p["ConnectionTrackingSpecification"])
        changed = True
    if p.get("Attachment") is not None:
        att = e.get("Attachment")
        if att is None or att["AttachmentId"] != p["Attachment"].get("AttachmentId"):
            raise ApiError("InvalidAttachmentID.NotFound",
                           f"The attachment ID '{p['Attachment'].get('AttachmentId')}' does not exist")
        if p["Attachment"].get("DeleteOnTermination") is not None:
            att["DeleteOnTermination"] = p["Attachment"]["DeleteOnTermination"]
        changed = True
    if not changed:
        raise ApiError("MissingParameter", "The request must contain the parameter groupId")
    return {}


# -------------------------------------------------------------- vpcs/subnets

# AWS: EC2 API reference, DescribeVpcs: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html
@op("ec2", "DescribeVpcs")
def describe_vpcs(ctx, p):
    items = _listing(ctx.world, "vpc", p.get("VpcIds"))
    items = apply_filters(items, p.get("Filters"), {"vpc-id": lambda v: v["VpcId"], "cidr": lambda v: v["CidrBlock"],
                                                     "is-default": lambda v: v["IsDefault"],
                                                     "state": lambda v: v["State"]})
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    out = {"Vpcs": [project(shape_of("ec2", "Vpc"), v) for v in page]}
    if nxt:
        out["NextToken"] = nxt
    return out


# AWS: EC2 API reference, DescribeSubnets: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html
@op("ec2", "DescribeSubnets")
def describe_subnets(ctx, p):
    items = _listing(ctx.world, "subnet", p.get("SubnetIds"))
    items = apply_filters(items, p.get("Filters"), {"subnet-id": lambda s: s["SubnetId"], "vpc-id": lambda s: s["VpcId"],
                                                     "availability-zone": lambda s: s["AvailabilityZone"],
                                                     "cidr-block": lambda s: s["CidrBlock"]})
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    out = {"Subnets": [project(shape_of("ec2", "Subnet"), s) for s in page]}
    if nxt:
        out["NextToken"] = nxt
    return out
