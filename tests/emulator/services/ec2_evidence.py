"""EC2 calls an incident response needs beyond containment: Elastic IPs,
console output and screenshot, snapshot copy and sharing, launch templates
and RunInstances from one (a forensic instance on demand).

Per the EC2 API reference pages of each action
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/) and botocore's ec2
model:
- Elastic IPs: an address associated with an ENI is that ENI's public IP
  (its Association carries AllocationId/AssociationId, IpOwnerId the account);
  DisassociateAddress takes the AssociationId (InvalidAssociationID.NotFound);
  AssociateAddress refuses an address already associated unless
  AllowReassociation (Resource.AlreadyAssociated); ReleaseAddress refuses an
  associated one (InvalidIPAddress.InUse).
- GetConsoleOutput: the instance's serial console output, base64 (scenario
  ConsoleOutput); GetConsoleScreenshot: a JPG, base64, of a running instance.
- CopySnapshot: a new snapshot, pending then completed (the source must be
  completed; SourceRegion is the emulator's one region); encrypted with a
  KmsKeyId the caller cannot use, it ends in `error` with a StateMessage (the
  Snapshot.StateMessage doc: "If a snapshot copy operation fails (for example,
  if the proper KMS permissions are not obtained)...").
- ModifySnapshotAttribute createVolumePermission add/remove (account ids or
  group all); a snapshot encrypted with the AWS managed key cannot be shared
  (EBS user guide, "Share an Amazon EBS snapshot").
- CreateLaunchTemplate / DescribeLaunchTemplates /
  DescribeLaunchTemplateVersions; RunInstances with
  LaunchTemplate (template data, then the call's own parameters win),
  instances pending then running; with an instance profile whose role lets
  the SSM agent work, the instance registers with Systems Manager once it
  runs.
"""
import base64
import struct
import sys

from errors import ApiError
from services import disks, ec2, iam, kms, op, register
from services.ec2 import _tag_specs, get, instance, st
from services.ec2_ebs import _start_snapshot
from world import apply_filters, clone, tags_list
from wire import project, shape_of

register(sys.modules[__name__])


def _state(w):
    s = st(w)
    for k in ("eips", "templates", "console"):
        s.setdefault(k, {})
    return s


def seed(world, sc):
    e = sc.get("ec2") or {}
    for a in e.get("addresses") or []:
        alloc = _allocate(world, a.get("PublicIp"), a.get("AllocationId"), tags_list(a.get("Tags")))
        if a.get("NetworkInterfaceId") or a.get("InstanceId"):
            _associate(world, alloc, a.get("InstanceId"), a.get("NetworkInterfaceId"), None)
    for t in e.get("launch_templates") or []:   # as CreateLaunchTemplate makes them
        lt = {"LaunchTemplateId": t.get("LaunchTemplateId") or world.new_id("lt"),
              "LaunchTemplateName": t["LaunchTemplateName"], "CreateTime": world.now(), "CreatedBy": "seed",
              "DefaultVersionNumber": 1, "LatestVersionNumber": 1, "Tags": [],
              "_data": clone(t.get("LaunchTemplateData") or {})}
        _state(world)["templates"][lt["LaunchTemplateId"]] = lt
    for i in e.get("instances") or []:
        if i.get("ConsoleOutput") is not None or i.get("ConsoleScreenshot") is not None:
            _state(world)["console"][i["InstanceId"]] = {"output": i.get("ConsoleOutput", ""),
                                                         "screenshot": i.get("ConsoleScreenshot")}


def dump(world):
    s = _state(world)
    return {"addresses": {a: _address_out(world, x) for a, x in s["eips"].items()},
            "launch_templates": s["templates"]}


# ------------------------------------------------------------ Elastic IPs

def _allocate(w, ip=None, alloc=None, tags=()):
    s = _state(w)
    n = len(s["eips"]) + 1
    a = {"AllocationId": alloc or w.new_id("eipalloc"), "PublicIp": ip or f"203.0.113.{n}", "Domain": "vpc",
         "PublicIpv4Pool": "amazon", "NetworkBorderGroup": w.region, "Tags": list(tags),
         "NetworkInterfaceId": None, "AssociationId": None, "PrivateIpAddress": None}
    s["eips"][a["AllocationId"]] = a
    return a


def _address_out(w, a):
    out = {k: v for k, v in a.items() if v is not None}
    if a["NetworkInterfaceId"]:
        eni = st(w)["enis"].get(a["NetworkInterfaceId"]) or {}
        out["NetworkInterfaceOwnerId"] = w.account_id
        if (eni.get("Attachment") or {}).get("InstanceId"):
            out["InstanceId"] = eni["Attachment"]["InstanceId"]
    return out


def _eip(w, alloc):
    a = _state(w)["eips"].get(alloc)
    if a is None:
        raise ApiError("InvalidAllocationID.NotFound", f"The allocation ID '{alloc}' does not exist")
    return a


def _associate(w, a, iid, eni_id, private_ip):
    if eni_id:
        eni = get(w, "eni", eni_id)
    else:
        inst = instance(w, iid)
        enis = [e for e in st(w)["enis"].values()
                if (e.get("Attachment") or {}).get("InstanceId") == inst["InstanceId"]
                and e["Attachment"]["DeviceIndex"] == 0]
        if not enis:
            raise ApiError("InvalidInstanceID", f"The instance '{iid}' has no primary network interface")
        eni = enis[0]
    ip = private_ip or eni["PrivateIpAddress"]
    if ip not in [p["PrivateIpAddress"] for p in eni["PrivateIpAddresses"]]:
        raise ApiError("InvalidParameterValue", f"The private IP address {ip} is not on {eni['NetworkInterfaceId']}")
    for other in _state(w)["eips"].values():      # the ENI's previous Elastic IP lets go
        if other["NetworkInterfaceId"] == eni["NetworkInterfaceId"] and other["PrivateIpAddress"] == ip:
            _disassociate(w, other)
    a.update({"NetworkInterfaceId": eni["NetworkInterfaceId"], "PrivateIpAddress": ip,
              "AssociationId": w.new_id("eipassoc")})
    assoc = {"PublicIp": a["PublicIp"], "PublicDnsName": f"ec2-{a['PublicIp'].replace('.', '-')}.compute-1.amazonaws.com",
             "IpOwnerId": w.account_id, "AllocationId": a["AllocationId"], "AssociationId": a["AssociationId"]}
    for p in eni["PrivateIpAddresses"]:
        if p["PrivateIpAddress"] == ip:
            p["Association"] = dict(assoc)
    if ip == eni["PrivateIpAddress"]:
        eni["Association"] = dict(assoc)
    return a["AssociationId"]


def _disassociate(w, a):
    eni = st(w)["enis"].get(a["NetworkInterfaceId"])
    if eni is not None:
        for p in eni["PrivateIpAddresses"]:
            if (p.get("Association") or {}).get("AllocationId") == a["AllocationId"]:
                del p["Association"]
        if (eni.get("Association") or {}).get("AllocationId") == a["AllocationId"]:
            del eni["Association"]
    a.update({"NetworkInterfaceId": None, "PrivateIpAddress": None, "AssociationId": None})


# AWS: EC2 API reference, AllocateAddress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AllocateAddress.html
@op("ec2", "AllocateAddress")
def allocate_address(ctx, p):
    a = _allocate(ctx.world, tags=_tag_specs(p, "elastic-ip"))
    ctx.world.created(a["AllocationId"])
    return {k: a[k] for k in ("PublicIp", "AllocationId", "PublicIpv4Pool", "NetworkBorderGroup", "Domain")}


_EIP_FILTERS = {
    "allocation-id": lambda a: a["AllocationId"], "association-id": lambda a: a.get("AssociationId"),
    "domain": lambda a: a["Domain"], "instance-id": lambda a: a.get("InstanceId"),
    "network-interface-id": lambda a: a.get("NetworkInterfaceId"), "public-ip": lambda a: a["PublicIp"],
    "private-ip-address": lambda a: a.get("PrivateIpAddress"),
}


# AWS: EC2 API reference, DescribeAddresses: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAddresses.html
@op("ec2", "DescribeAddresses")
def describe_addresses(ctx, p):
    w = ctx.world
    rows = [_address_out(w, a) for a in _state(w)["eips"].values() if w.visible(a["AllocationId"])]
    if p.get("AllocationIds"):
        for x in p["AllocationIds"]:
            _eip(w, x)
        rows = [r for r in rows if r["AllocationId"] in p["AllocationIds"]]
    if p.get("PublicIps"):
        missing = set(p["PublicIps"]) - {r["PublicIp"] for r in rows}
        if missing:
            raise ApiError("InvalidAddress.NotFound", f"Address '{sorted(missing)[0]}' not found.")
        rows = [r for r in rows if r["PublicIp"] in p["PublicIps"]]
    return {"Addresses": apply_filters(rows, p.get("Filters"), _EIP_FILTERS)}


# AWS: EC2 API reference, AssociateAddress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html
@op("ec2", "AssociateAddress")
def associate_address(ctx, p):
    w = ctx.world
    if not p.get("AllocationId"):
        raise ApiError("MissingParameter", "The request must contain the parameter allocationId")
    a = _eip(w, p["AllocationId"])
    if not (p.get("InstanceId") or p.get("NetworkInterfaceId")):
        raise ApiError("MissingParameter", "Either an instance ID or a network interface ID must be specified")
    if a["AssociationId"]:
        if not p.get("AllowReassociation"):
            raise ApiError("Resource.AlreadyAssociated", f"resource {a['AllocationId']} is already associated "
                           f"with associate-id {a['AssociationId']}")
        _disassociate(w, a)
    return {"AssociationId": _associate(w, a, p.get("InstanceId"), p.get("NetworkInterfaceId"),
                                        p.get("PrivateIpAddress"))}


def control(world, method, path, q, data):
    if path == "/ec2/associate-address" and method == "POST":
        # {"allocation_id", "network_interface_id"}: someone else moves the
        # address (AssociateAddress with AllowReassociation, outside the
        # responder), e.g. to a standby during the incident
        with world.lock:
            a = _eip(world, data["allocation_id"])
            if a["AssociationId"]:
                _disassociate(world, a)
            return 200, {"AssociationId": _associate(world, a, None, data["network_interface_id"], None)}
    return None


# AWS: EC2 API reference, DisassociateAddress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateAddress.html
@op("ec2", "DisassociateAddress")
def disassociate_address(ctx, p):
    w = ctx.world
    if not p.get("AssociationId"):
        raise ApiError("MissingParameter", "The request must contain the parameter AssociationId")
    a = next((x for x in _state(w)["eips"].values() if x["AssociationId"] == p["AssociationId"]), None)
    if a is None:
        raise ApiError("InvalidAssociationID.NotFound", f"The association ID '{p['AssociationId']}' does not exist")
    _disassociate(w, a)
    return {}


# AWS: EC2 API reference, ReleaseAddress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReleaseAddress.html
@op("ec2", "ReleaseAddress")
def release_address(ctx, p):
    w = ctx.world
    a = _eip(w, p.get("AllocationId") or "")
    if a["AssociationId"]:
        raise ApiError("InvalidIPAddress.InUse", f"Address {a['PublicIp']} is in use.")
    del _state(w)["eips"][a["AllocationId"]]
    return {}


# ------------------------------------------------------------ console

def _gray_jpeg(side=8):
    """A real (decodable) side x side mid-gray baseline JPEG: one 8x8 block
    per MCU, every coefficient zero, one-symbol Huffman tables."""
    def seg(marker, body):
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body
    dqt = seg(0xDB, b"\x00" + b"\x01" * 64)
    sof = seg(0xC0, struct.pack(">BHHB", 8, side, side, 1) + b"\x01\x11\x00")
    one_symbol = b"\x01" + b"\x00" * 15 + b"\x00"     # one code of length 1 for symbol 0
    dht = seg(0xC4, b"\x00" + one_symbol) + seg(0xC4, b"\x10" + one_symbol)
    sos = seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    blocks = (side // 8) * (side // 8)
    bits = "00" * blocks                               # DC diff 0, then EOB, per block
    bits += "1" * (-len(bits) % 8)
    data = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)).replace(b"\xff", b"\xff\x00")
    return b"\xff\xd8" + dqt + sof + dht + sos + data + b"\xff\xd9"


# AWS: EC2 API reference, GetConsoleOutput: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetConsoleOutput.html
@op("ec2", "GetConsoleOutput")
def get_console_output(ctx, p):
    w = ctx.world
    inst = instance(w, p["InstanceId"])
    c = _state(w)["console"].get(inst["InstanceId"]) or {}
    text = c.get("output")
    if text is None:
        text = f"[    0.000000] Linux version 6.1.0-aws ({inst['InstanceId']})\n"
    out = {"InstanceId": inst["InstanceId"], "Timestamp": w.now()}
    if inst["State"]["Name"] not in ("pending",):
        out["Output"] = base64.b64encode(text.encode()[-65536:]).decode()   # the most recent 64 KB
    return out


# AWS: EC2 API reference, GetConsoleScreenshot: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetConsoleScreenshot.html
@op("ec2", "GetConsoleScreenshot")
def get_console_screenshot(ctx, p):
    w = ctx.world
    inst = instance(w, p["InstanceId"])
    if inst["State"]["Name"] != "running":
        raise ApiError("IncorrectInstanceState", f"The instance '{inst['InstanceId']}' is not in the 'running' state.")
    shot = (_state(w)["console"].get(inst["InstanceId"]) or {}).get("screenshot")
    return {"InstanceId": inst["InstanceId"], "ImageData": shot or base64.b64encode(_gray_jpeg(16)).decode()}


# --------------------------------------------------------- snapshot copy/share

# AWS: EC2 API reference, CopySnapshot: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html
@op("ec2", "CopySnapshot")
def copy_snapshot(ctx, p):
    w = ctx.world
    if p["SourceRegion"] != w.region:
        raise ApiError("InvalidParameterValue", f"The emulator serves one region ({w.region}); cross-region "
                       f"copies from {p['SourceRegion']} are not emulated")
    src = get(w, "snap", p["SourceSnapshotId"])
    if src["State"] != "completed":
        raise ApiError("IncorrectState", f"Snapshot '{src['SnapshotId']}' is not in the completed state")
    encrypted = bool(p.get("Encrypted")) or src["Encrypted"]
    key_ref = p.get("KmsKeyId") or src.get("KmsKeyId")
    if p.get("KmsKeyId") and not p.get("Encrypted"):
        raise ApiError("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.")
    vol = {"VolumeId": src["VolumeId"], "Size": src["VolumeSize"], "Encrypted": encrypted, "KmsKeyId": None}
    if key_ref:
        try:
            vol["KmsKeyId"] = kms.key(w, key_ref)["Arn"]
        except ApiError:
            vol["KmsKeyId"] = key_ref
    snap = _start_snapshot(w, vol, p.get("Description") or f"Copied for DestinationAvailabilityZone from "
                           f"{src['SnapshotId']}", _tag_specs(p, "snapshot"))
    disks.carry(w, src["SnapshotId"], snap["SnapshotId"])
    if key_ref and not kms.can_use(w, ctx.cred, key_ref, kms.EBS_NEEDS):
        def fail():
            snap["State"] = "error"
            snap["StateMessage"] = (f"The caller may not use KMS key {key_ref} "
                                    f"({', '.join('kms:' + o for o in kms.EBS_NEEDS)})")
        w.at(0.0, fail)
    return {"SnapshotId": snap["SnapshotId"], "Tags": clone(snap["Tags"])}


def _perms(s):
    return s.setdefault("_create_volume_permissions", [])


# AWS: EC2 API reference, ModifySnapshotAttribute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html
@op("ec2", "ModifySnapshotAttribute")
def modify_snapshot_attribute(ctx, p):
    w = ctx.world
    s = get(w, "snap", p["SnapshotId"])
    if p.get("Attribute") not in (None, "createVolumePermission"):
        raise ApiError("InvalidParameterValue", f"Value ({p['Attribute']}) for parameter attribute is invalid.")
    add = list((p.get("CreateVolumePermission") or {}).get("Add") or [])
    remove = list((p.get("CreateVolumePermission") or {}).get("Remove") or [])
    direct = [{"UserId": u} for u in p.get("UserIds") or []] + [{"Group": g} for g in p.get("GroupNames") or []]
    if direct:
        if p.get("OperationType") not in ("add", "remove"):
            raise ApiError("MissingParameter", "The request must contain the parameter operationType")
        (add if p["OperationType"] == "add" else remove).extend(direct)
    if add and s["Encrypted"] and (not s.get("KmsKeyId") or kms.is_aws_managed(w, s["KmsKeyId"])):
        raise ApiError("OperationNotPermitted", "Encrypted snapshots with EBS default key cannot be shared")
    if any(x.get("Group") == "all" for x in add) and s["Encrypted"]:
        raise ApiError("OperationNotPermitted", "Encrypted snapshots cannot be made public")
    perms = _perms(s)
    for x in add:
        x = {k: v for k, v in x.items() if v}
        if x not in perms:
            perms.append(x)
    for x in remove:
        x = {k: v for k, v in x.items() if v}
        if x in perms:
            perms.remove(x)
    return {}


# AWS: EC2 API reference, DescribeSnapshotAttribute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshotAttribute.html
@op("ec2", "DescribeSnapshotAttribute")
def describe_snapshot_attribute(ctx, p):
    s = get(ctx.world, "snap", p["SnapshotId"])
    if p["Attribute"] != "createVolumePermission":
        raise ApiError("InvalidParameterValue", f"Value ({p['Attribute']}) for parameter attribute is not supported.")
    return {"SnapshotId": s["SnapshotId"], "CreateVolumePermissions": clone(_perms(s))}


# ----------------------------------------------- launch templates, RunInstances

# AWS: EC2 API reference, CreateLaunchTemplate: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html
@op("ec2", "CreateLaunchTemplate")
def create_launch_template(ctx, p):
    w = ctx.world
    name = p["LaunchTemplateName"]
    if any(t["LaunchTemplateName"] == name for t in _state(w)["templates"].values()):
        raise ApiError("InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use.")
    lt = {"LaunchTemplateId": w.new_id("lt"), "LaunchTemplateName": name, "CreateTime": w.now(),
          "CreatedBy": ctx.cred["arn"], "DefaultVersionNumber": 1, "LatestVersionNumber": 1,
          "Tags": _tag_specs(p, "launch-template"), "_data": clone(p["LaunchTemplateData"])}
    _state(w)["templates"][lt["LaunchTemplateId"]] = lt
    return {"LaunchTemplate": project(shape_of("ec2", "LaunchTemplate"), lt)}


def _template(w, spec):
    ts = _state(w)["templates"]
    if spec.get("LaunchTemplateId"):
        lt = ts.get(spec["LaunchTemplateId"])
        if lt is None:
            raise ApiError("InvalidLaunchTemplateId.NotFound",
                           f"The specified launch template, with template ID {spec['LaunchTemplateId']}, does not exist.")
        return lt
    lt = next((t for t in ts.values() if t["LaunchTemplateName"] == spec.get("LaunchTemplateName")), None)
    if lt is None:
        raise ApiError("InvalidLaunchTemplateName.NotFoundException",
                       f"The specified launch template, with template name {spec.get('LaunchTemplateName')}, "
                       "does not exist.")
    if spec.get("Version") not in (None, "$Default", "$Latest", "1"):
        raise ApiError("InvalidLaunchTemplateId.VersionNotFound", f"Could not find launch template version {spec['Version']}")
    return lt


# AWS: EC2 API reference, DescribeLaunchTemplates: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplates.html
@op("ec2", "DescribeLaunchTemplates")
def describe_launch_templates(ctx, p):
    w = ctx.world
    rows = list(_state(w)["templates"].values())
    if p.get("LaunchTemplateIds"):
        rows = [_template(w, {"LaunchTemplateId": i}) for i in p["LaunchTemplateIds"]]
    if p.get("LaunchTemplateNames"):
        rows = [_template(w, {"LaunchTemplateName": n}) for n in p["LaunchTemplateNames"]]
    return {"LaunchTemplates": [project(shape_of("ec2", "LaunchTemplate"), t) for t in rows]}


@op("ec2", "DescribeLaunchTemplateVersions")
def describe_launch_template_versions(ctx, p):
    """One template's versions (the emulator keeps version 1, the default):
    its LaunchTemplateData, among it the IamInstanceProfile whose role a
    launch passes (EC2 API reference, DescribeLaunchTemplateVersions,
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplateVersions.html:
    one of LaunchTemplateId or LaunchTemplateName; Versions "$Latest",
    "$Default" or numbers)."""
    w = ctx.world
    if bool(p.get("LaunchTemplateId")) == bool(p.get("LaunchTemplateName")):
        raise ApiError("MissingParameter", "Either the launch template ID or the launch template name must be "
                       "specified (but not both).")
    lt = _template(w, {"LaunchTemplateId": p.get("LaunchTemplateId"),
                       "LaunchTemplateName": p.get("LaunchTemplateName")})
    for v in p.get("Versions") or []:
        _template(w, {"LaunchTemplateName": lt["LaunchTemplateName"], "Version": v})
    data = clone(lt["_data"])
    row = {"LaunchTemplateId": lt["LaunchTemplateId"], "LaunchTemplateName": lt["LaunchTemplateName"],
           "VersionNumber": 1, "CreateTime": lt["CreateTime"], "CreatedBy": lt["CreatedBy"],
           "DefaultVersion": True, "LaunchTemplateData": data}
    return {"LaunchTemplateVersions": [project(shape_of("ec2", "LaunchTemplateVersion"), row)]}


# AWS: EC2 API reference, RunInstances: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
@op("ec2", "RunInstances")
def run_instances(ctx, p):
    w = ctx.world
    data = clone(_template(w, p["LaunchTemplate"])["_data"]) if p.get("LaunchTemplate") else {}
    for k, v in p.items():                 # the call's own parameters win over the template's
        if k not in ("LaunchTemplate", "MinCount", "MaxCount", "ClientToken", "DryRun"):
            data[k] = v
    if p["MinCount"] < 1 or p["MaxCount"] < p["MinCount"]:
        raise ApiError("InvalidParameterValue", "MinCount must be at least 1 and no more than MaxCount")
    token = p.get("ClientToken")
    key = ("RunInstances", w.account_id, token)
    # A ClientToken is bound to its first request (EC2 developer guide,
    # "Ensuring idempotency in Amazon EC2 API requests", RunInstances
    # idempotency,
    # https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html):
    # the same token with the same parameters launches nothing and answers
    # with the instances of the first launch, in their state now, terminated
    # ones included (a token stays valid for at least 24 hours after the
    # instance is terminated); the same token with other parameters (but
    # the Region or Availability Zone) fails IdempotentParameterMismatch.
    fp = {k: v for k, v in p.items() if k not in ("ClientToken", "DryRun")}
    if token and key in w.idempotency:
        iids, first = w.idempotency[key]
        if first != fp:
            raise ApiError("IdempotentParameterMismatch",
                           "The client token you have provided is associated with a resource that is already "
                           "deleted or has different parameters. Please use a different client token.")
        insts = [_instance_view(w, st(w)["instances"][i]) for i in iids if i in st(w)["instances"]]
        return {"ReservationId": st(w)["instances"][iids[0]]["_reservation"], "OwnerId": w.account_id,
                "Groups": [], "Instances": insts}
    nics = data.get("NetworkInterfaces") or [{}]
    subnet = data.get("SubnetId") or nics[0].get("SubnetId")
    if not subnet:
        raise ApiError("MissingInput", "No subnet specified (the emulator has no default VPC)")
    groups = data.get("SecurityGroupIds") or nics[0].get("Groups") or []
    spec = {"SubnetId": subnet, "InstanceType": data.get("InstanceType", "t3.micro"),
            "ImageId": data.get("ImageId") or "ami-0abcdef1234567890", "State": "pending",
            "NetworkInterfaces": [{"Groups": groups}], "Tags": [], "MetadataOptions": data.get("MetadataOptions"),
            "DisableApiTermination": data.get("DisableApiTermination", False),
            "InstanceInitiatedShutdownBehavior": data.get("InstanceInitiatedShutdownBehavior", "stop")}
    for ts in data.get("TagSpecifications") or []:
        if ts.get("ResourceType") == "instance":
            spec["Tags"] += ts.get("Tags") or []
    prof = data.get("IamInstanceProfile") or {}
    if prof:
        found = iam.st(w)["profiles"].get(prof.get("Name") or "") or iam.profile_by_arn(w, prof.get("Arn") or "")
        if found is None:
            raise ApiError("InvalidParameterValue", "Value for parameter iamInstanceProfile is invalid: "
                           f"{prof.get('Name') or prof.get('Arn')}")
        iam.check_pass_role(w, ctx.cred, found)
        spec["IamInstanceProfile"] = found["InstanceProfileName"]
    made = []
    reservation = None
    for _ in range(p["MaxCount"]):
        inst = ec2.add_instance(w, dict(spec), age=0)
        if reservation is None:
            reservation = inst["_reservation"]
        inst["_reservation"] = reservation
        w.created(inst["InstanceId"])
        made.append(inst)

        def running(inst=inst):
            if inst["State"]["Name"] == "pending":
                inst["State"] = {"Code": 16, "Name": "running"}
                _agent_registers(w, inst)
        w.at(w.timing["instance_seconds"], running)
    if token:
        w.idempotency[key] = ([i["InstanceId"] for i in made], fp)
    return {"ReservationId": reservation, "OwnerId": w.account_id, "Groups": [],
            "Instances": [_instance_view(w, i) for i in made]}


def _agent_registers(w, inst):
    """An instance launched with a profile whose role lets the SSM agent work
    (AMIs such as Amazon Linux and Ubuntu ship the agent) registers with
    Systems Manager once it runs: SSM user guide, "Setting up Systems Manager
    for EC2 instances" (the instance profile, e.g. AmazonSSMManagedInstanceCore)."""
    from services import role_sessions, ssm
    iid = inst["InstanceId"]
    if not role_sessions.denied(w, iid, "ssm:UpdateInstanceInformation"):  # a profile, a usable role
        managed = ssm.st(w)["managed"]
        if iid not in managed:
            managed.append(iid)


def _instance_view(w, inst):
    return project(shape_of("ec2", "Instance"), ec2._instance_out(w, inst))
