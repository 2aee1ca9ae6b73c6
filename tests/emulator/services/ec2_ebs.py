"""EC2 EBS: volumes (create with ClientToken idempotency, attach with device
slots and attachment limits, detach, delete) and snapshots that go
pending -> completed over time (CreateSnapshot, CreateSnapshots).

CreateVolume is asynchronous and can fail after answering, as on AWS:
- from a snapshot encrypted under a customer managed KMS key the caller may
  not use (services/kms: kms:CreateGrant, Decrypt, DescribeKey,
  GenerateDataKeyWithoutPlaintext, ReEncrypt* — EBS user guide, "Amazon EBS
  encryption requirements"), or with a KmsKeyId that is missing or disabled,
  the call succeeds and the volume goes creating -> gone (DescribeVolumes then
  says InvalidVolume.NotFound; state: ec2.failed_volumes says why);
- a volume can end in `error` ("The underlying hardware related to your EBS
  volume has failed", EBS user guide, "Amazon EBS volume lifecycle",
  https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-lifecycle.html):
  POST /_emulator/ebs/fail {"count": N} makes the next N new volumes do so.
  Such a volume can only be deleted; a ClientToken stays bound to it after
  that (EC2 API reference, "Ensuring idempotency"), so a retry needs a new
  token.
"""
import re
import sys

from errors import ApiError
from services import disks, ec2, kms, op, register
from services.ec2 import _listing, _max_results, _tag_specs, get, instance, st
from world import apply_filters, clone, paginate, tags_list
from wire import project, shape_of

register(sys.modules[__name__])

_DEVICE_RE = re.compile(r"^/dev/(sd[a-z][1-9]?|xvd[a-z]{1,2}|sd[a-z]{2})$")


def _add_snapshot(world, spec):
    sid = spec.get("SnapshotId") or world.new_id("snap")
    ec2.check_id(sid, "snap")
    s = {"SnapshotId": sid, "VolumeId": spec.get("VolumeId", "vol-ffffffff"), "State": spec.get("State", "completed"),
         "StartTime": world.now(), "Progress": "100%" if spec.get("State", "completed") == "completed" else "0%",
         "OwnerId": world.account_id, "VolumeSize": spec.get("VolumeSize", 8),
         "Description": spec.get("Description", ""), "Encrypted": spec.get("Encrypted", False),
         "StorageTier": "standard", "Tags": tags_list(spec.get("Tags")), "KmsKeyId": ec2.default_key(world, spec)}
    st(world)["snapshots"][sid] = s
    return s



def _start_snapshot(world, vol, description, tags):
    s = _add_snapshot(world, {"VolumeId": vol["VolumeId"], "State": "pending", "VolumeSize": vol["Size"],
                              "Description": description or "", "Encrypted": vol["Encrypted"], "Tags": tags,
                              "KmsKeyId": vol.get("KmsKeyId")})
    world.created(s["SnapshotId"])
    disks.carry(world, vol["VolumeId"], s["SnapshotId"])      # the bytes, as of now
    total = max(0.0, world.timing["snapshot_seconds"])
    steps = 4

    def step(k):
        def run():
            if s["State"] != "pending":
                return
            if k == steps:
                s["State"], s["Progress"] = "completed", "100%"
            else:
                s["Progress"] = "%d%%" % (k * 100 // steps)
        return run
    for k in range(1, steps + 1):
        world.at(total * k / steps, step(k))
    return s


# AWS: EC2 API reference, CreateSnapshot: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshot.html
@op("ec2", "CreateSnapshot")
def create_snapshot(ctx, p):
    w = ctx.world
    v = get(w, "vol", p["VolumeId"])
    if v["State"] not in ("available", "in-use"):
        raise ApiError("IncorrectState", f"The volume '{v['VolumeId']}' is not in a valid state for a snapshot")
    s = _start_snapshot(w, v, p.get("Description"), _tag_specs(p, "snapshot"))
    return project(shape_of("ec2", "Snapshot"), clone(s))


# AWS: EC2 API reference, CreateSnapshots: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshots.html
@op("ec2", "CreateSnapshots")
def create_snapshots(ctx, p):
    w = ctx.world
    spec = p["InstanceSpecification"]
    if not spec.get("InstanceId"):
        raise ApiError("MissingParameter", "The request must contain the parameter InstanceSpecification.InstanceId")
    inst = instance(w, spec["InstanceId"])
    exclude = set(spec.get("ExcludeDataVolumeIds") or [])
    tags = _tag_specs(p, "snapshot")
    copy_tags = p.get("CopyTagsFromSource")
    if copy_tags not in (None, "volume"):
        raise ApiError("InvalidParameterValue", f"Value ({copy_tags}) for parameter CopyTagsFromSource is invalid.")
    out = []
    for v in list(st(w)["volumes"].values()):
        att = [a for a in v["Attachments"] if a["InstanceId"] == inst["InstanceId"]]
        if not att:
            continue
        boot = att[0]["Device"] == inst["RootDeviceName"]
        if (boot and spec.get("ExcludeBootVolume")) or v["VolumeId"] in exclude:
            continue
        t = list(tags)
        if copy_tags == "volume":
            t = [x for x in v["Tags"] if not x["Key"].startswith("aws:")] + \
                [x for x in tags if x["Key"] not in {y["Key"] for y in v["Tags"]}]
        s = _start_snapshot(w, v, p.get("Description"), t)
        out.append({k: s[k] for k in ("Description", "Tags", "Encrypted", "VolumeId", "State", "VolumeSize",
                                      "StartTime", "Progress", "OwnerId", "SnapshotId")})
    return {"Snapshots": out}


_SNAP_FILTERS = {
    "snapshot-id": lambda s: s["SnapshotId"], "volume-id": lambda s: s["VolumeId"],
    "status": lambda s: s["State"], "owner-id": lambda s: s["OwnerId"], "progress": lambda s: s["Progress"],
    "description": lambda s: s["Description"], "volume-size": lambda s: str(s["VolumeSize"]),
    "encrypted": lambda s: s["Encrypted"],
}


# AWS: EC2 API reference, DescribeSnapshots: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
@op("ec2", "DescribeSnapshots")
def describe_snapshots(ctx, p):
    w = ctx.world
    _max_results(p, "SnapshotIds")
    items = _listing(w, "snap", p.get("SnapshotIds"))
    owners = p.get("OwnerIds")
    if owners:
        items = [s for s in items if s["OwnerId"] in owners or ("self" in owners and s["OwnerId"] == w.account_id)]
    items = apply_filters(items, p.get("Filters"), _SNAP_FILTERS)
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    out = {"Snapshots": [project(shape_of("ec2", "Snapshot"), s) for s in page]}
    if nxt:
        out["NextToken"] = nxt
    return out


# AWS: EC2 API reference, DeleteSnapshot: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html
@op("ec2", "DeleteSnapshot")
def delete_snapshot(ctx, p):
    w = ctx.world
    s = get(w, "snap", p["SnapshotId"])
    for v in st(w)["volumes"].values():
        if v.get("SnapshotId") == s["SnapshotId"] and v["State"] == "creating":
            raise ApiError("InvalidSnapshot.InUse", f"The snapshot {s['SnapshotId']} is currently in use")
    del st(w)["snapshots"][s["SnapshotId"]]
    return {}


_VOLUME_KEYS = ("AvailabilityZone", "Size", "SnapshotId", "VolumeType", "Iops", "Encrypted", "Throughput",
                "KmsKeyId", "MultiAttachEnabled", "OutpostArn", "TagSpecifications")


# AWS: EC2 API reference, CreateVolume: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html
@op("ec2", "CreateVolume")
def create_volume(ctx, p):
    w = ctx.world
    token = p.get("ClientToken")
    if token:
        # Bound to the account, not to the caller's key: a responder whose
        # credentials were renewed (or another responder of the same account
        # taking over) that repeats the token gets the same volume (EC2
        # developer guide, "Ensuring idempotency in Amazon EC2 API requests",
        # https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
        key = ("CreateVolume", w.account_id, token)
        prev = w.idempotency.get(key)
        fp = {k: p.get(k) for k in _VOLUME_KEYS}
        if prev is not None:
            if prev[0] != fp:
                raise ApiError("IdempotentParameterMismatch",
                               "The client token you have provided is associated with a resource that is already "
                               "deleted or has different parameters. Please use a different client token.")
            # The token stays bound after its volume is gone ("A client token
            # is valid for at least 24 hours after the termination of the
            # instance"; "If you retry a request that completed successfully
            # using the same client token and the same parameters, the retry
            # succeeds without performing any further actions": EC2 API
            # reference, "Ensuring idempotency"): no new volume, the first
            # answer with the state now.
            v = st(w)["volumes"].get(prev[1])
            if v is not None:
                return project(shape_of("ec2", "Volume"), clone(v))
            gone = clone(prev[2])
            gone["State"] = "deleted"
            return project(shape_of("ec2", "Volume"), gone)
    az = p["AvailabilityZone"]
    if not az.startswith(w.region) or len(az) != len(w.region) + 1:
        raise ApiError("InvalidParameterValue",
                       f"Invalid availability zone: [{az}]")
    size = p.get("Size")
    snap = None
    if p.get("SnapshotId"):
        snap = get(w, "snap", p["SnapshotId"])
        if snap["State"] != "completed":
            raise ApiError("IncorrectState", f"Snapshot is in invalid state - {snap['State']}")
        if size is not None and size < snap["VolumeSize"]:
            raise ApiError("InvalidParameterValue",
                           f"Volume of {size}GiB is too small; minimum is {snap['VolumeSize']}GiB.")
        size = size or snap["VolumeSize"]
    if size is None:
        raise ApiError("MissingParameter", "The request must contain the parameter size/snapshotId")
    vtype = p.get("VolumeType", "gp2")
    if not 1 <= size <= 16384:
        raise ApiError("InvalidParameterValue", f"Volume of size {size}GiB is too large; maximum is 16384GiB.")
    tags = _tag_specs(p, "volume")
    encrypted = bool(p.get("Encrypted")) or bool(snap and snap["Encrypted"])
    key_ref = p.get("KmsKeyId") or (snap or {}).get("KmsKeyId")
    if key_ref and not encrypted:
        raise ApiError("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.")
    key_arn = None
    if key_ref:
        try:
            key_arn = kms.key(w, key_ref)["Arn"]
        except ApiError:
            key_arn = key_ref
    v = ec2.add_volume(w, {"Size": size, "SnapshotId": snap["SnapshotId"] if snap else "", "AvailabilityZone": az,
                           "VolumeType": vtype, "Iops": p.get("Iops", 3000 if vtype == "gp3" else 100),
                           "Encrypted": encrypted, "Tags": tags, "KmsKeyId": key_arn})
    v["State"] = "creating"
    w.created(v["VolumeId"])
    if snap:
        disks.carry(w, snap["SnapshotId"], v["VolumeId"])
    why = None
    if key_ref and not kms.can_use(w, ctx.cred, key_ref, kms.EBS_NEEDS):
        why = f"the caller may not use KMS key {key_ref} ({', '.join('kms:' + o for o in kms.EBS_NEEDS)})"
    fails = st(w).setdefault("fail_next", [0])

    def ready():
        if v["State"] != "creating":
            return
        if why:
            del st(w)["volumes"][v["VolumeId"]]
            st(w).setdefault("failed_volumes", {})[v["VolumeId"]] = why
        elif fails[0] > 0:
            fails[0] -= 1
            v["State"] = "error"
        else:
            v["State"] = "available"
    w.at(w.timing["volume_seconds"], ready)
    if token:
        w.idempotency[key] = ({k: p.get(k) for k in _VOLUME_KEYS}, v["VolumeId"], clone(v))
    return project(shape_of("ec2", "Volume"), clone(v))


_VOL_FILTERS = {
    "volume-id": lambda v: v["VolumeId"], "status": lambda v: v["State"],
    "availability-zone": lambda v: v["AvailabilityZone"], "snapshot-id": lambda v: v["SnapshotId"],
    "size": lambda v: str(v["Size"]), "volume-type": lambda v: v["VolumeType"], "encrypted": lambda v: v["Encrypted"],
    "attachment.instance-id": lambda v: [a["InstanceId"] for a in v["Attachments"]],
    "attachment.device": lambda v: [a["Device"] for a in v["Attachments"]],
    "attachment.status": lambda v: [a["State"] for a in v["Attachments"]],
    "attachment.delete-on-termination": lambda v: [a["DeleteOnTermination"] for a in v["Attachments"]],
}


# AWS: EC2 API reference, DescribeVolumes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html
@op("ec2", "DescribeVolumes")
def describe_volumes(ctx, p):
    w = ctx.world
    _max_results(p, "VolumeIds")
    items = _listing(w, "vol", p.get("VolumeIds"))
    items = apply_filters(items, p.get("Filters"), _VOL_FILTERS)
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 500)
    out = {"Volumes": [project(shape_of("ec2", "Volume"), v) for v in page]}
    if nxt:
        out["NextToken"] = nxt
    return out


def _used_slots(w, iid):
    devs = set()
    n = 0
    for v in st(w)["volumes"].values():
        for a in v["Attachments"]:
            if a["InstanceId"] == iid:
                devs.add(a["Device"])
                n += 1
    enis = sum(1 for e in st(w)["enis"].values() if (e.get("Attachment") or {}).get("InstanceId") == iid)
    return devs, n + enis


# AWS: EC2 API reference, AttachVolume: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AttachVolume.html
@op("ec2", "AttachVolume")
def attach_volume(ctx, p):
    w = ctx.world
    v = get(w, "vol", p["VolumeId"])
    inst = instance(w, p["InstanceId"])
    dev = p["Device"]
    if not _DEVICE_RE.match(dev):
        raise ApiError("InvalidParameterValue",
                       f"Value ({dev}) for parameter device is invalid. {dev} is not a valid EBS device name.")
    if v["Attachments"]:
        raise ApiError("VolumeInUse", f"{v['VolumeId']} is already attached to an instance")
    if v["State"] != "available":
        raise ApiError("IncorrectState", f"vol '{v['VolumeId']}' is not 'available'.")
    if inst["State"]["Name"] not in ("running", "stopped"):
        raise ApiError("IncorrectState", f"Instance '{inst['InstanceId']}' is not 'running'.")
    if v["AvailabilityZone"] != inst["Placement"]["AvailabilityZone"]:
        raise ApiError("InvalidVolume.ZoneMismatch",
                       f"The volume '{v['VolumeId']}' is not in the same availability zone as instance "
                       f"'{inst['InstanceId']}'")
    devs, used = _used_slots(w, inst["InstanceId"])
    if dev in devs:
        raise ApiError("InvalidParameterValue",
                       f"Invalid value '{dev}' for unixDevice. Attachment point {dev} is already in use")
    if used >= inst["_attach_limit"]:
        raise ApiError("AttachmentLimitExceeded",
                       f"Instance '{inst['InstanceId']}' has reached its attachment limit")
    ec2._attach_record(w, v, inst, dev, False, state="attaching")
    att = v["Attachments"][0]

    def done():
        if v["Attachments"] and v["Attachments"][0] is att and att["State"] == "attaching":
            att["State"] = "attached"
    w.at(w.timing["attach_seconds"], done)
    return {k: att[k] for k in ("AttachTime", "Device", "InstanceId", "State", "VolumeId", "DeleteOnTermination")}


# AWS: EC2 API reference, DetachVolume: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DetachVolume.html
@op("ec2", "DetachVolume")
def detach_volume(ctx, p):
    w = ctx.world
    v = get(w, "vol", p["VolumeId"])
    if not v["Attachments"]:
        raise ApiError("IncorrectState", f"Volume '{v['VolumeId']}' is in the 'available' state.")
    att = v["Attachments"][0]
    if p.get("InstanceId") and p["InstanceId"] != att["InstanceId"]:
        raise ApiError("InvalidAttachment.NotFound",
                       f"Volume '{v['VolumeId']}' is not attached to instance '{p['InstanceId']}'")
    inst = st(w)["instances"].get(att["InstanceId"])
    if inst is not None and att["Device"] == inst["RootDeviceName"] and inst["State"]["Name"] == "running":
        raise ApiError("OperationNotPermitted", f"Unable to detach root volume '{v['VolumeId']}' from instance "
                       f"'{inst['InstanceId']}'")
    att["State"] = "detaching"

    def done():
        if v["Attachments"] and v["Attachments"][0] is att:
            v["Attachments"] = []
            v["State"] = "available"
    w.at(w.timing["attach_seconds"], done)
    return {k: att[k] for k in ("AttachTime", "Device", "InstanceId", "State", "VolumeId", "DeleteOnTermination")}


# AWS: EC2 API reference, DeleteVolume: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVolume.html
@op("ec2", "DeleteVolume")
def delete_volume(ctx, p):
    w = ctx.world
    v = get(w, "vol", p["VolumeId"])
    if v["Attachments"] or v["State"] not in ("available", "error"):
        raise ApiError("VolumeInUse", f"Volume {v['VolumeId']} is currently attached to "
                       f"{v['Attachments'][0]['InstanceId'] if v['Attachments'] else 'an instance'}")
    del st(w)["volumes"][v["VolumeId"]]
    return {}


def control(world, method, path, q, data):
    if path == "/ebs/fail" and method == "POST":
        with world.lock:
            st(world).setdefault("fail_next", [0])[0] = int(data.get("count", 1))
        return 200, {"ok": True}
    return None
